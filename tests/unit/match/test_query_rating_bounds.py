"""``rating:`` compares a rating on the 0–5 scale every adapter brings reviews to.

``rating:<=6`` parses (it is a valid comparison) but holds for every rated
review, as does ``rating:<=5``; ``rating:>5`` holds for none. ``watchtower
check`` and ``test-rule`` warn about a bound outside 0..5 and a comparison that
is always true or always false on that scale; a rule may still mean it."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.pipeline.match import parse_query
from watchtower.pipeline.match.query_lint import query_warnings


@pytest.mark.parametrize(
    ("query", "warnings"),
    [
        (
            "rating:<=6",
            [
                "column 8: rating:<=6 compares with 6, outside the 0 to 5 scale ratings "
                "are read on; it is true of every rated review (it only needs a rating)"
            ],
        ),
        (
            "rating:<=5",
            [
                "column 8: rating:<=5 is true of every rated review, ratings being 0 to 5 "
                "(it only needs a rating)"
            ],
        ),
        (
            "rating:>=0",
            [
                "column 8: rating:>=0 is true of every rated review, ratings being 0 to 5 "
                "(it only needs a rating)"
            ],
        ),
        (
            "rating:>5",
            ["column 8: rating:>5 is never true, ratings being 0 to 5"],
        ),
        (
            "rating:<0",
            ["column 8: rating:<0 is never true, ratings being 0 to 5"],
        ),
        (
            "rating:10",
            [
                "column 8: rating:10 compares with 10, outside the 0 to 5 scale ratings "
                "are read on; it is never true"
            ],
        ),
        (
            "arnaque rating:≥8",
            [
                "column 16: rating:≥8 compares with 8, outside the 0 to 5 scale ratings "
                "are read on; it is never true"
            ],
        ),
        ("rating:<=2", []),
        ("rating:<=2,5", []),
        ("rating:<5", []),
        ("rating:>0", []),
        ("rating:5", []),
        ("rating:0", []),
        ("rating:>=5", []),
        ("rating:<=0", []),
    ],
)
def test_rating_bounds(query: str, warnings: list[str]) -> None:
    parse_query(query)  # valid: warned about, not refused
    assert query_warnings(query) == warnings


def test_check_warns_about_a_rating_out_of_five(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "w.toml"
    config.write_text(
        '[watchtower]\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[rules]]\nname = "avis"\nquery = "rating:<=6 rembours*"\n',
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "rating:<=6 compares with 6, outside the 0 to 5 scale" in err
