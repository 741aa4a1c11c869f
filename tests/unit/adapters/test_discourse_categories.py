"""Restricted categories as ``/site.json`` tells them (``read_restricted``,
``parent_category_id``), kept in the cursor, and the settings that govern them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from watchtower.adapters._discourse_categories import Categories
from watchtower.adapters._discourse_category_flags import restricted_ids
from watchtower.adapters.discourse import DiscourseSettings

NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)


def row(cid: int, restricted: Any = False, parent: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": cid, "name": f"c{cid}", "read_restricted": restricted}
    if parent is not None:
        out["parent_category_id"] = parent
    return out


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([row(1), row(2, True)], {1: False, 2: True}),
        # a restricted subcategory of a public category
        ([row(3), row(4, True, parent=3)], {3: False, 4: True}),
        # under a restricted parent: restricted, whatever its own flag says
        ([row(2, True), row(5, False, parent=2)], {2: True, 5: True}),
        ([row(2, True), row(5, parent=2), row(6, parent=5)], {2: True, 5: True, 6: True}),
        # a parent the account cannot see is not public
        ([row(7, parent=99)], {7: True}),
        # a flag that is not an explicit false fails safe
        ([row(8, None), row(9, "false")], {8: True, 9: True}),
        # a parent loop (a broken answer) fails safe
        ([row(10, parent=11), row(11, parent=10)], {10: True, 11: True}),
        ([{"name": "no id"}, "junk", row(12)], {12: False}),
    ],
)
def test_restricted_categories(rows: list[Any], expected: dict[int, bool]) -> None:
    assert restricted_ids({"categories": rows}) == expected


def test_an_answer_without_categories_knows_none() -> None:
    assert restricted_ids({}) == {} and restricted_ids({"categories": "x"}) == {}


def test_the_list_is_kept_in_the_cursor_and_goes_stale_after_an_hour() -> None:
    known = Categories(NOW, {1: False, 2: True, 4: True}, NOW.isoformat())
    saved = known.saved()
    assert saved == {"read_at": NOW.isoformat(), "restricted": [2, 4], "public": [1]}
    later = Categories.restored(saved, NOW + timedelta(minutes=59))
    assert later.restricted == {1: False, 2: True, 4: True} and not later.stale()
    assert Categories.restored(saved, NOW + timedelta(minutes=60)).stale()
    assert Categories.restored("junk", NOW).stale()
    assert Categories.restored(None, NOW).restricted == {}


def test_include_restricted_needs_an_api_key() -> None:
    with pytest.raises(ValidationError, match="include_restricted needs api_key_env"):
        DiscourseSettings(name="d", base_url="https://forum.example.fr", include_restricted=True)
    keyed = DiscourseSettings(name="d", base_url="https://forum.example.fr", api_key_env="K")
    assert keyed.screens_categories  # the default with a key: restricted topics left out
    anonymous = DiscourseSettings(name="d", base_url="https://forum.example.fr")
    assert not anonymous.screens_categories  # the public sees public categories only
