"""The ``run --once`` summary table adds up a source's reads: a mailbox catching
up is read several times in one run, each read one ``poll`` event."""

from __future__ import annotations

import io

from rich.console import Console

from watchtower import metrics
from watchtower.progress import RunSummary, summary_table


def rendered(summary: RunSummary) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(summary_table(summary))
    return out.getvalue()


def poll(source: str, items: int, new: int, mentions: int, **extra: object) -> metrics.PollEvent:
    fields: dict[str, object] = {"kind": "imap", "ok": True, "seconds": 1.0, **extra}
    return metrics.PollEvent(
        source=source,
        items=items,
        new_items=new,
        mentions=mentions,
        **fields,  # type: ignore[arg-type]
    )


def test_a_source_read_several_times_shows_its_total() -> None:
    summary = RunSummary()
    for items, new, mentions in [(20, 18, 3), (15, 15, 2), (7, 7, 0)]:  # a mailbox catching up
        summary.on_event("poll", poll("boite-sav", items, new, mentions))
    summary.on_event("poll", poll("forum", 4, 1, 1, kind="rss"))
    [row] = [line for line in rendered(summary).splitlines() if "boite-sav" in line]
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    assert cells == ["boite-sav", "imap", "ok", "42", "40", "5", "3.0s"]  # totals
    assert summary.polls["boite-sav"].items == 42
    assert "items 46" in rendered(summary)  # the caption too
    assert "mentions 6" in rendered(summary)


def test_the_result_is_the_last_reads() -> None:
    summary = RunSummary()
    summary.on_event("poll", poll("boite-sav", 20, 20, 2))
    summary.on_event("poll", poll("boite-sav", 0, 0, 0, ok=False, error="IMAP timeout"))
    row = summary.polls["boite-sav"]
    assert (row.ok, row.error, row.items, row.mentions) == (False, "IMAP timeout", 20, 2)
