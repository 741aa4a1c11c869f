"""``watchtower test-rule``: explanations for a text, and replay of stored items."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchtower.errors import ConfigError
from watchtower.testrule import add_parser, run

CONFIG = """
include = ["crisis-fr"]
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "sqlite:///{db}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
exclude = ["Acme Corporation"]

[[rules]]
name = "remboursement"
query = 'rembours* OR (service NEAR/3 client)'
"""


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    return parser.parse_args(["test-rule", *argv])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(CONFIG.format(db=tmp_path / "w.db"), encoding="utf-8")
    return path


def output(*argv: str) -> str:
    out = io.StringIO()
    assert run(parse(*argv), out) == 0
    return out.getvalue()


def test_text_explains_terms_surface_position_and_clauses(config: Path) -> None:
    text = "Franchement, l’ACMÉ ne m'a pas remboursé.\nLe service client ? Nul."
    got = output("-c", str(config), "remboursement", "--text", text)
    assert "brand 'Acmé': FIRES — the query is true" in got
    assert "'acme' as 'ACMÉ' at text 15-19 (line 1, col 16), brand term" in got
    assert "'rembours*' as 'remboursé' at text 31-40 (line 1, col 32), clause 'rembours*'" in got
    assert "'client' as 'client' at text 53-59 (line 2, col 12)" in got
    assert "[true ] service NEAR/3 client" in got
    assert "nothing was sent" in got


def test_why_not(config: Path) -> None:
    got = output(
        "-c",
        str(config),
        "--query",
        "arnaque NOT concours",
        "--text",
        "Acmé : grand concours, pas une arnaque",
    )
    assert "does not fire — the query is false" in got
    assert "[false] NOT concours" in got
    got = output("-c", str(config), "remboursement", "--text", "Acme Corporation rembourse")
    assert "every mention is inside a brand exclusion" in got
    got = output("-c", str(config), "remboursement", "--text", "rien")
    assert "no brand mentioned" in got


def test_pack_rule_and_file(config: Path, tmp_path: Path) -> None:
    item = tmp_path / "item.txt"
    item.write_text("C'est une escroquerie, Acmé !", encoding="utf-8")
    got = output("-c", str(config), "crisis-fr", "--file", str(item))
    assert "FIRES" in got and "'escroquerie*' as 'escroquerie'" in got
    assert "other clauses false" in got


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rembours", "--text", "x"], "unknown rule 'rembours'; did you mean 'remboursement'?"),
        (["--query", "(arnaque", "--text", "x"], "--query: column 9: expected ')'"),
        (["remboursement", "--file", "/nonexistent"], "--file: cannot read /nonexistent"),
        (["remboursement", "--stored", "--since", "soon"], "--since: 'soon' is not a duration"),
    ],
)
def test_errors(config: Path, argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        run(parse("-c", str(config), *argv), io.StringIO())
    assert message in str(info.value)


def test_stored_replays_and_compares(config: Path, tmp_path: Path) -> None:
    from watchtower.storage.db import Database
    from watchtower.storage.tables import ItemRow, MentionRow, SourceRow

    now = datetime.now(UTC)
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade()
    with db.session() as session:
        source = SourceRow(name="forum", kind="rss", next_check_at=now)
        session.add(source)
        session.flush()
        texts = [
            "Acmé m'a remboursé",
            "Acmé, service client nul",
            "Acmé est super",
            "pas de marque",
            "Acmé rembourse",
        ]
        rows = [
            ItemRow(source_id=source.id, guid=str(i), title=f"t{i}", text=t, fetched_at=now)
            for i, t in enumerate(texts)
        ]
        rows.append(
            ItemRow(
                source_id=source.id,
                guid="old",
                text="Acmé rembourse",
                fetched_at=now - timedelta(days=30),
            )
        )
        session.add_all(rows)
        session.flush()
        # When fetched, the rule had fired on items 0 and 2 (say, an older query).
        for row in (rows[0], rows[2]):
            session.add(
                MentionRow(item_id=row.id, brand="Acmé", rule="remboursement", created_at=now)
            )
    db.dispose()
    got = output("-c", str(config), "remboursement", "--stored", "--since", "7d")
    assert "replayed 5 item(s) fetched in the last 7d: the rule fires on 3 item(s)" in got
    assert "it fired on 2 of them when they were fetched: 2 more alert(s), 1 fewer" in got
    assert "+ [forum] 't1'" in got and "+ [forum] 't4'" in got
    assert f"- item #{rows[2].id} would no longer alert" in got


def test_stored_without_database_tables(config: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run(parse("-c", str(config), "remboursement", "--stored"), io.StringIO())
    assert "cannot read the database (no such table: items)" in str(info.value)
