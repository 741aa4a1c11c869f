"""``watchtower test-rule``: explanations for a text, and replay of stored items."""

from __future__ import annotations

import argparse
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.errors import ConfigError
from watchtower.storage.db import head_revision
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
    assert "FIRES" in got and "'escroque*' as 'escroquerie'" in got
    # The @crisis_fr clause is named, not spelt out as its fifty terms.
    assert "'escroque*' as 'escroquerie' at text 10-21 (line 1, col 11), clause '@crisis_fr'" in got
    assert "[true ] @crisis_fr\n" in got and "(arnaqu" not in got.split("\n\n")[1]


def test_clauses_are_shown_as_written(config: Path) -> None:
    # Before: '[true ] ("carte bloquee" OR "compte bloque")', accents gone.
    got = output(
        "-c",
        str(config),
        "--query",
        '("carte bloquée" OR « compte bloqué ») AND NOT concours',
        "--text",
        "Acmé : carte bloquée",
    )
    assert '[true ] ("carte bloquée" OR "compte bloqué")' in got
    assert "clause 'carte bloquée'" in got


def test_why_not_shows_the_words_that_made_it_false(config: Path) -> None:
    # Before: only "[false] NOT concours", without saying where "concours" is.
    got = output(
        "-c",
        str(config),
        "--query",
        '"carte bloquée" NOT concours',
        "--text",
        "Acmé : carte bloquée.\nGrand concours !",
    )
    assert "does not fire — the query is false" in got
    assert "'concours' as 'concours' at text 28-36 (line 2, col 7), clause 'NOT concours'" in got


def test_why_not_names_the_brand_exclusion(config: Path) -> None:
    # Before: "every mention is inside a brand exclusion", which one unsaid.
    got = output("-c", str(config), "remboursement", "--text", "ACME CORPORATION rembourse")
    assert "every mention is inside a brand exclusion" in got
    assert (
        "'acme corporation' as 'ACME CORPORATION' at text 0-16 (line 1, col 1), brand exclusion"
        in got
    )


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
    assert "replayed 5 items fetched in the last 7d: the rule fires on 3 items" in got
    assert "it fired on 2 of them when they were fetched: 2 more alerts, 1 fewer" in got
    assert "+ [forum] 't1'" in got and "+ [forum] 't4'" in got
    assert f"- item #{rows[2].id} would no longer alert" in got


def test_stored_without_a_database_creates_none(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong path (or a shell without the service's WATCHTOWER_DATABASE_URL) is
    said as such, exit 1 like ``status``: no empty database is left behind."""
    assert main(["test-rule", "-c", str(config), "remboursement", "--stored"]) == 1
    assert not (tmp_path / "w.db").exists()
    said = capsys.readouterr().err
    assert "no database at" in said
    assert "the daemon creates its database at its first start" in said


def test_stored_without_database_tables(config: Path, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "w.db") as db:  # a schema revision, and no tables
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (head_revision(),))
    with pytest.raises(ConfigError) as info:
        run(parse("-c", str(config), "remboursement", "--stored"), io.StringIO())
    assert "cannot read the database (no such table: items)" in str(info.value)


IMPLIED = """
[watchtower]
database_url = "sqlite:///{db}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "avis-agence"
kind = "rss"
url = "http://127.0.0.1:9/avis.xml"
brands = ["Acmé"]

[[rules]]
name = "avis-negatifs"
sources = ["avis-agence"]
query = 'injoignable* OR rembours*'
"""


@pytest.fixture
def implied(tmp_path: Path) -> Path:
    path = tmp_path / "implied.toml"
    path.write_text(IMPLIED.format(db=tmp_path / "w.db"), encoding="utf-8")
    return path


def test_text_of_a_source_with_brands_is_about_them(implied: Path) -> None:
    # Reviews of an agency never name the brand: the source's brands say it, as in the daemon.
    text = "Conseillère injoignable depuis un mois, une honte."
    got = output("-c", str(implied), "avis-negatifs", "--source", "avis-agence", "--text", text)
    assert "brand 'Acmé': FIRES — the query is true" in got
    assert "mentioned by its source: 'avis-agence' lists it in brands" in got
    assert "'injoignable*' as 'injoignable'" in got
    got = output(
        "-c", str(implied), "--query", "source", "--source", "avis-agence", "--text", "Acmé source"
    )
    assert "'source' as 'source' at text 5-11 (line 1, col 6), clause 'source'" in got
    got = output("-c", str(implied), "avis-negatifs", "--source", "avis-agenc", "--text", text)
    assert "note: no source 'avis-agenc' in the config (did you mean 'avis-agence'?)" in got
    assert "no brand mentioned" in got


def test_stored_items_of_a_source_with_brands(implied: Path, tmp_path: Path) -> None:
    from watchtower.storage.db import Database
    from watchtower.storage.tables import ItemRow, MentionRow, SourceRow

    now = datetime.now(UTC)
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade()
    with db.session() as session:
        source = SourceRow(name="avis-agence", kind="rss", next_check_at=now)
        session.add(source)
        session.flush()
        row = ItemRow(source_id=source.id, guid="1", text="Conseillère injoignable", fetched_at=now)
        session.add(row)
        session.flush()
        session.add(MentionRow(item_id=row.id, brand="Acmé", rule="avis-negatifs", created_at=now))
    db.dispose()
    got = output("-c", str(implied), "avis-negatifs", "--stored", "--since", "1d")
    assert "the rule fires on 1 item (1 brand mention)" in got
    assert "0 more alerts, 0 fewer" in got


def test_query_warnings_are_printed(config: Path) -> None:
    got = output("-c", str(config), "--query", "arnaque OU escroquerie", "--text", "Acmé")
    assert "warning: column 9: 'OU' is read as a word; for either word write OR" in got


@pytest.mark.parametrize(("given", "rating"), [("2,5", 2.5), ("2.5", 2.5), ("4", 4.0)])
def test_rating_accepts_a_decimal_comma(config: Path, given: str, rating: float) -> None:
    assert (
        parse("-c", str(config), "remboursement", "--text", "x", "--rating", given).rating == rating
    )
    got = output("-c", str(config), "--query", "rating:<=2,5", "--rating", given, "--text", "Acmé")
    assert ("FIRES" in got) is (rating <= 2.5)


def test_bad_rating_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("-c", str(config), "remboursement", "--text", "x", "--rating", "bof")
    assert "'bof' is not a number such as 2 or 2,5" in capsys.readouterr().err


class _ClosedPipe(io.StringIO):
    """Standard output read by ``head -1``, which has exited."""

    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_closed_pipe_ends_quietly(config: Path) -> None:
    args = parse("-c", str(config), "remboursement", "--text", "Acmé rembourse")
    assert run(args, _ClosedPipe()) == 1


def test_closed_pipe_in_a_real_process(config: Path) -> None:
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "watchtower", "test-rule", "-c", str(config)),
                *("remboursement", "--text", "Acmé rembourse"),
            ],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
