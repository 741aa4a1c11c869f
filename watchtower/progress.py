"""What a person sees in a terminal: ``run --once`` progress and summary, ``status`` table.

Only used when standard output is a TTY; scripts and log shippers keep the plain
``key=value`` (or JSON) log lines. The progress display follows the run through
:mod:`watchtower.metrics` listeners, so poll and drain know nothing about it.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from watchtower import metrics
from watchtower.health import ago
from watchtower.poll_deferral import put_off_site
from watchtower.sanitise import printable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchtower.scheduler import Daemon

__all__ = ["RunSummary", "print_report", "print_status", "run_once_with_progress", "summary_table"]


@dataclass
class RunSummary:
    """What one ``run --once`` did, collected from metrics events."""

    polls: dict[str, metrics.PollEvent] = field(default_factory=dict)
    #: Sources put off behind other fetches of their site: the site, and how often.
    put_off: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: Of those, the ones whose last word in the run is that they were put off.
    still_put_off: set[str] = field(default_factory=set)
    sent: int = 0
    retried: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_event(self, event: str, data: Any) -> None:
        with self._lock:
            if event == "poll":
                self.polls[data.source] = _added(self.polls.get(data.source), data)
                self.still_put_off.discard(data.source)
            elif event == "put_off":
                _, times = self.put_off.get(data.source, ("", 0))
                host = put_off_site(data.error) or "the same site"
                self.put_off[data.source] = (host, times + 1)
                self.still_put_off.add(data.source)
                if data.source not in self.polls:  # its row, with nothing read
                    self.polls[data.source] = data
            elif event in ("sent", "retried", "failed"):
                setattr(self, event, getattr(self, event) + 1)

    def result(self, source: str) -> str:
        """The table's ``result`` cell (Rich markup): ok or failed, and for a source
        put off behind other fetches of its site, whether the retry at the end of
        the run fetched it."""
        p = self.polls[source]
        if source not in self.put_off:
            return "[green]ok[/]" if p.ok else f"[red]failed[/] {_plain(p.error or '')}"
        host, times = self.put_off[source]
        waiting = f"waiting for other fetches of {_plain(host)}"
        if source in self.still_put_off:
            again = f"still {waiting} when tried again" if times > 1 else waiting
            return f"[yellow]put off[/]: {again}; not counted as a failure, the next run fetches it"
        if p.ok:
            return f"[green]ok[/] on retry (put off first: {waiting})"
        return f"[red]failed[/] on retry (put off first: {waiting}): {_plain(p.error or '')}"


def _added(earlier: metrics.PollEvent | None, read: metrics.PollEvent) -> metrics.PollEvent:
    """A source's reads in one run added up: a mailbox catching up is read several
    times, and its row counts every read's items, not the last one's. The result
    (ok, error) is the last read's: where the source stands at the end of the run."""
    if earlier is None:
        return read
    return replace(
        read,
        seconds=earlier.seconds + read.seconds,
        items=earlier.items + read.items,
        new_items=earlier.new_items + read.new_items,
        mentions=earlier.mentions + read.mentions,
    )


def _plain(text: str) -> str:
    """Untrusted text (a source's error quotes its server) shown as written: Rich
    markup escaped (``[/]`` would crash the table, ``[link=…]`` plant a hyperlink),
    no terminal controls, one line."""
    return escape(printable(text, keep=""))


def summary_table(summary: RunSummary) -> Table:
    """Sources ok/failed, items, mentions, then the notifications line."""
    table = Table(title="watchtower run --once", title_justify="left")
    table.add_column("source")
    table.add_column("kind")
    table.add_column("result")
    table.add_column("items", justify="right")
    table.add_column("new", justify="right")
    table.add_column("mentions", justify="right")
    table.add_column("time", justify="right")
    for name in sorted(summary.polls):
        p = summary.polls[name]
        table.add_row(
            _plain(name),
            _plain(p.kind),
            summary.result(name),
            str(p.items),
            str(p.new_items),
            str(p.mentions),
            f"{p.seconds:.1f}s",
        )
    put_off = len(summary.still_put_off)
    ok = sum(p.ok for name, p in summary.polls.items() if name not in summary.still_put_off)
    failed = len(summary.polls) - ok - put_off
    table.caption = (
        f"sources: {ok} ok, {failed} failed"
        + (f", {put_off} put off" if put_off else "")
        + " · items "
        f"{sum(p.items for p in summary.polls.values())} · mentions "
        f"{sum(p.mentions for p in summary.polls.values())} · notifications: "
        f"{summary.sent} sent, {summary.retried} retried, {summary.failed} failed"
    )
    table.caption_justify = "left"
    return table


def run_once_with_progress(daemon: Daemon, console: Console | None = None) -> int:
    """``daemon.run_once()``, with a progress bar and a summary table on a TTY."""
    if console is None:
        if not sys.stdout.isatty():
            return daemon.run_once()
        console = Console()
    summary = RunSummary()
    total = sum(1 for s in daemon.app.loaded.sources if s.enabled)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("polling sources", total=total, last="")

        def listener(event: str, data: Any) -> None:
            first = event in ("poll", "put_off") and data.source not in summary.polls
            summary.on_event(event, data)
            if event in ("poll", "put_off"):
                # A source counts once: read again (a mailbox catching up, a source
                # put off then fetched at the end) it moves the bar no further.
                mark = "⏸" if event == "put_off" else ("✓" if data.ok else "✗")
                progress.update(task, advance=int(first), last=f"{mark} {_plain(data.source)}")
                if len(summary.polls) >= total:
                    progress.update(task, description="delivering notifications")
            elif event in ("sent", "retried", "failed"):
                progress.update(task, last=f"{event} → {_plain(str(data))}")

        metrics.add_listener(listener)
        try:
            code = daemon.run_once()
        finally:
            metrics.remove_listener(listener)
    console.print(summary_table(summary))
    return code


def print_status(session: Session, now: datetime, console: Console | None = None) -> None:
    """The sources and outbox tables of ``watchtower status``, from the database alone."""
    from watchtower.cli_db import status_report

    print_report(status_report(session, None, now), now, console)


def print_report(
    report: dict[str, Any],
    now: datetime,
    console: Console | None = None,
    *,
    every_source: bool = False,
) -> None:
    """``watchtower status`` as tables: the daemon and database, sources needing a look
    first, then the outbox and the targets that need a hand."""
    from watchtower.status_text import (
        config_lines,
        daemon_line,
        database_line,
        instance_lines,
        next_check,
        outbox_lines,
        shown_sources,
        source_lines,
        target_lines,
    )

    console = console or Console()
    tz = report.get("timezone", "UTC")
    if "live" in report["daemon"]:
        live = report["daemon"]["live"]
        colour = "green" if live else ("red" if live is False else "yellow")
        line = _plain(daemon_line(report["daemon"], now, tz))
        console.print(f"[{colour}]{line}[/]", highlight=False)
    for line in instance_lines(report, now, every=every_source):
        console.print(_plain(line), highlight=False)
    if report["database"]:  # then, on lines of their own, the saved copies of a lost file
        for line in database_line(report["database"], now, tz).splitlines():
            console.print(_plain(line), highlight=False)
    for i, line in enumerate(config_lines(report)):  # a file that does not validate
        console.print(f"[red]{_plain(line)}[/]" if i == 0 else _plain(line), highlight=False)
    listed, header = shown_sources(report["sources"], every_source)
    table = Table(title=_plain(f"Sources: {header}"), title_justify="left")
    for column in ("source", "kind", "state", "last success", "errors", "next check", "items"):
        table.add_column(column, justify="right" if column in ("errors", "items") else "left")
    colours = {
        "ok": "green",
        "failing": "red",
        "silent": "yellow",
        "never checked": "yellow",
        "disabled": "dim",
        "removed": "dim",
    }
    errors = []
    for s in listed:
        notes = source_lines(s, now, tz)  # failing since, the last warning
        if s["last_error"]:
            ago_ = ago(s["last_error_at"], now)
            errors.append(f"  {_plain(s['name'])} ({ago_}): [red]{_plain(s['last_error'])}[/]")
        elif notes:
            errors.append(f"  {_plain(s['name'])}:")
        errors += [f"      {_plain(note)}" for note in notes]
        table.add_row(
            _plain(s["name"]),
            _plain(s["kind"]),
            f"[{colours.get(s['state'], 'white')}]{s['state']}[/]",
            ago(s["last_success"], now),
            str(s["failures"]),
            next_check(s["next_check"], now),
            str(s["items"]),
        )
    console.print(table)
    if errors:  # under the table, full width: a server's words do not fit a column
        console.print("Last errors and warnings:", *errors, sep="\n", highlight=False)
    outbox = Table(title="Outbox", title_justify="left")
    counts = report["outbox"]["counts"]
    for status in counts:
        outbox.add_column(status, justify="right")
    outbox.add_row(*(str(count) for count in counts.values()))
    # What waits (to send, held on purpose), then what an operator must act on (a
    # paused kind or service, a target that loses messages) in red, as the plain
    # output lists them.
    caption = [_plain(line) for line in outbox_lines(report["outbox"], now, tz)]
    caption += [f"[red]{_plain(line)}[/]" for line in target_lines(report["targets"], now, tz)]
    if caption:
        outbox.caption = "\n".join(caption)
        outbox.caption_justify = "left"
    console.print(outbox)
