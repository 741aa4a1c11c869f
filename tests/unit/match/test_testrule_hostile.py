"""``watchtower test-rule --stored`` shows stored items as ``status`` does: a title or
URL from a hostile site cannot act on the operator's terminal (clear the screen,
write a hyperlink or a window title) nor be shown in another order (U+202E)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from watchtower.storage.db import Database
from watchtower.storage.tables import ItemRow, SourceRow

CONFIG = """
[watchtower]
database_url = "sqlite:///{db}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[rules]]
name = "remboursement"
query = 'rembours*'
"""
#: Clear the screen, an OSC 8 hyperlink ended by BEL, a right-to-left override,
#: a C1 CSI and a line separator (a forged line in a log).
TITLE = (
    "Acmé rembourse\x1b[2J\x1b]8;;https://evil.example\x07ici\x1b]8;;\x07 \u202egnp.exe\u009b31m"
)
URL = "https://forum.example/t/1?\x1b[8mcache\u202etxt.exe\u2028forged"
CONTROLS = ("\x1b", "\x07", "\u202e", "\u009b", "\u2028")


def test_stored_titles_and_urls_are_printed_without_terminal_controls(tmp_path: Path) -> None:
    config = tmp_path / "watchtower.toml"
    config.write_text(CONFIG.format(db=tmp_path / "w.db"), encoding="utf-8")
    now = datetime.now(UTC)
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade()
    with db.session() as session:
        source = SourceRow(name="forum", kind="rss", next_check_at=now)
        session.add(source)
        session.flush()
        session.add_all(
            [
                ItemRow(source_id=source.id, guid="1", title=TITLE, url=URL,
                        text="Acmé m'a remboursé", fetched_at=now),
                # No title: the start of the text is shown instead.
                ItemRow(source_id=source.id, guid="2", title="", url="https://forum.example/t/2",
                        text="Acmé rembourse\x1b[2J enfin\u202e", fetched_at=now),
            ]
        )  # fmt: skip
    db.dispose()

    # The real command, as the operator runs it: what reaches the terminal.
    env = {k: v for k, v in os.environ.items() if k != "WATCHTOWER_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "watchtower", "test-rule", "-c", str(config), "remboursement",
         "--stored"],
        capture_output=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("utf-8")
    assert "the rule fires on 2 items" in out and "2 more alerts" in out
    for control in CONTROLS:
        assert control not in out, repr(control)
    assert "\\x1b" not in out and "\\u202e" not in out  # nor their escaped spelling
    [first, second] = [line for line in out.splitlines() if line.startswith("  + ")]
    # Each control is a space, each bidi control is gone: the rest reads as stored.
    assert first == (
        "  + [forum] 'Acmé rembourse [2J ]8;;https://evil.example ici ]8;;  gnp.exe 31m' "
        "https://forum.example/t/1? [8mcachetxt.exe forged"
    )
    assert second == "  + [forum] 'Acmé rembourse [2J enfin' https://forum.example/t/2"
