"""How ``watchtower status`` reads for people, from :mod:`watchtower.status_report`'s data.

:func:`render_report` is the plain text (not a terminal: scripts, ``watch``,
mail); :func:`watchtower.progress.print_report` draws the terminal's tables with
the same lines (:func:`daemon_line`, :func:`shown_sources`, …). Beyond the
sources and the outbox: one line per watchtower process from its heartbeats (a
warning first when the running ones run different versions), a config file it
refused and runs without, and under each source since when it fails (or is
silent) and what its last fetch warned about; what waits to be sent apart from
what is held on purpose; each paused target kind or Apprise service with its
next try. Absolute times are in the config's zone, with how long ago.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from watchtower.health import ago
from watchtower.poll_deferral import put_off_note, put_off_site
from watchtower.status_report import STATE_ORDER

__all__ = [
    "INSTANCES_SHOWN",
    "NEEDS_A_LOOK",
    "SOURCES_SHOWN",
    "config_lines",
    "daemon_line",
    "database_line",
    "heartbeat_head",
    "human_size",
    "instance_lines",
    "moment",
    "next_check",
    "outbox_lines",
    "render_report",
    "saved_copy_lines",
    "saved_copy_lines_of",
    "shown_sources",
    "source_lines",
    "target_lines",
    "version_lines",
]

#: Sources listed one per line up to this many; beyond, only those needing a look
#: (``--all`` lists every one).
SOURCES_SHOWN = 20
NEEDS_A_LOOK = ("failing", "silent", "never checked")


def human_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def database_line(db: dict[str, Any], now: datetime | None = None, tz: str = "UTC") -> str:
    """Where, which schema, how big; for a SQLite file, how much of that is its WAL,
    the space ``watchtower db vacuum`` would give back when that is worth it
    (after lowering ``retention`` or a burst of items: the file never shrinks),
    and a disk too full to store anything (what to do about it); then, on lines
    of their own, the copies a daemon saved of it (:func:`saved_copy_lines`)."""
    line = f"Database: {db['url']} · schema {db['schema']} · {human_size(db['size_bytes'])}"
    if db.get("wal_bytes"):
        line += f" (WAL {human_size(db['wal_bytes'])})"
    if db.get("vacuum_advised") and not db.get("disk_full"):  # a vacuum needs room
        line += (
            f" · {human_size(db['free_bytes'])} free inside the file could be given back: "
            "watchtower db vacuum"
        )
    if db.get("disk_full"):
        line += (
            f" · disk FULL: {human_size(db['disk_free_bytes'])} free on {db['disk_folder']}"
            " — free some space: watchtower resumes by itself"
        )
    return "\n".join([line, *saved_copy_lines(db, now, tz)])


def saved_copy_lines(db: dict[str, Any], now: datetime | None = None, tz: str = "UTC") -> list[str]:
    """The copies a daemon saved when the file was deleted or replaced under it
    (path, when, how big), and how to put the latest back, as docs/database.md
    says it. Times in ``tz`` with how long ago when ``now`` is given, else in UTC."""
    from watchtower.storage.sqlite_file import put_back_hint

    copies = db.get("saved_copies") or []
    lines = []
    for copy in copies:
        when = copy["saved_at"]
        shown = moment(when, now, tz) if now is not None else f"{when:%Y-%m-%d %H:%M} UTC"
        lines.append(
            f"  SAVED COPY {copy['path']} · saved {shown} · {human_size(copy['size_bytes'])}: "
            "the database as a daemon last wrote it, when its file was deleted or replaced"
        )
    if copies:
        path = db.get("sqlite_path") or db["url"]
        latest = copies[-1]["path"]
        lines.append(f"  to put it back: {put_back_hint(latest, path)} (docs/database.md)")
    return lines


def saved_copy_lines_of(url: str) -> list[str]:
    """:func:`saved_copy_lines` of the database at ``url`` when there is none to read
    (its file deleted: ``status`` and every command stop at "no database")."""
    from watchtower.status_database import saved_copies_report, sqlite_path

    db = {"url": url, "sqlite_path": sqlite_path(url), "saved_copies": saved_copies_report(url)}
    return [line.strip() for line in saved_copy_lines(db)]


def daemon_line(daemon: dict[str, Any], now: datetime, tz: str = "UTC") -> str:
    """Is it running? The daemon's own answer when it serves http, else its heartbeats;
    then the database's clues."""
    if daemon["live"] is None:
        head = heartbeat_head(daemon, now, tz)
    else:
        head = (
            "live" if daemon["live"] else "NOT LIVE"
        ) + f": {daemon['livez']} {daemon['detail']}"
        if daemon.get("last_tick"):
            head += f", last tick {ago(daemon['last_tick'], now)}"
    return (
        f"Daemon: {head} · last fetch {ago(daemon['last_fetch'], now)} · "
        f"last delivery {ago(daemon['last_delivery'], now)}"
    )


def shown_sources(
    sources: list[dict[str, Any]], every_source: bool
) -> tuple[list[dict[str, Any]], str]:
    """The sources to list and the header's counts; beyond :data:`SOURCES_SHOWN`,
    only those needing a look (or whose last fetch warned)."""
    by_state: dict[str, int] = {}
    for s in sources:
        by_state[s["state"]] = by_state.get(s["state"], 0) + 1
    counts = ", ".join(f"{by_state[state]} {state}" for state in STATE_ORDER if state in by_state)
    header = f"{len(sources)} ({counts})" if sources else "none yet: run `watchtower run` once"
    if every_source or len(sources) <= SOURCES_SHOWN:
        return sources, header
    listed = [s for s in sources if s["state"] in NEEDS_A_LOOK or s.get("last_warning")]
    return listed, f"{header}; {len(sources) - len(listed)} not listed: --all lists them"


def render_report(report: dict[str, Any], now: datetime, *, every_source: bool = False) -> str:
    """The plain text of ``watchtower status`` (not a terminal: scripts, ``watch``, mail)."""
    tz = report.get("timezone", "UTC")
    lines = [daemon_line(report["daemon"], now, tz)]
    lines += instance_lines(report, now, every=every_source)
    if report["database"]:
        lines.append(database_line(report["database"], now, tz))
    lines += config_lines(report)
    listed, header = shown_sources(report["sources"], every_source)
    lines.append(f"Sources: {header}")
    for s in listed:
        line = (
            f"  {s['name']} [{s['kind']}] {s['state']} · last success {ago(s['last_success'], now)}"
            f" · errors {s['failures']} · next check "
            f"{next_check(s['next_check'], now)} · items {s['items']}"
        )
        lines.append(line)
        if s["last_error"]:
            lines.append(f"      last error ({ago(s['last_error_at'], now)}): {s['last_error']}")
        lines += [f"      {line}" for line in source_lines(s, now, tz)]
    outbox = report["outbox"]
    summary = ", ".join(f"{status} {count}" for status, count in outbox["counts"].items())
    lines.append(f"Outbox: {summary}")
    lines += [f"  {line}" for line in outbox_lines(outbox, now, tz)]
    lines += [f"  {line}" for line in target_lines(report["targets"], now, tz)]
    return "\n".join(lines)


def next_check(when: datetime | None, now: datetime) -> str:
    """``"in 5m"``; ``"due 1h ago"`` when overdue (no daemon polls, or it is behind)."""
    if when is None:
        return "-"
    return ago(when, now) if when > now else f"due {ago(when, now)}"


def config_lines(report: dict[str, Any]) -> list[str]:
    """A config file that does not validate: where, its first problem, and the
    zone of the times shown (UTC, said so, when the file cannot tell)."""
    refused = report.get("config_refused")
    if not refused:
        return []
    problems = refused["problems"] or ["(no detail)"]
    more = len(problems) - 1
    line = f"Config: NOT VALID, status shows what the database says: {problems[0]}"
    if more:
        line += f" (and {more} more: `watchtower check` lists them)"
    if refused.get("timezone"):
        zone = f"  times in {refused['timezone']} ([watchtower] timezone, read from the file)"
    else:
        zone = f"  times in UTC: {refused.get('timezone_problem') or 'the zone is unknown'}"
    return [line, zone]


def outbox_lines(outbox: dict[str, Any], now: datetime, tz: str = "UTC") -> list[str]:
    """What waits: notifications to send (late since when) apart from those held on
    purpose (quiet hours, a digest, a grouping window: when the next goes out)."""
    counts = outbox["counts"]
    to_send = counts.get("pending", 0) + counts.get("sending", 0)
    held = counts.get("held", 0)
    lines = []
    if to_send:
        due = outbox.get("oldest_due")
        lines.append(
            f"{to_send} to send"
            + (f", the oldest due since {moment(due, now, tz)}" if due is not None else "")
        )
    if held:
        release = outbox.get("next_release")
        line = f"{held} held for quiet hours, a digest or a grouping window"
        if release is not None:
            when = moment(release, now, tz) if release > now else "at the next delivery round"
            line += f", the next going out {when}"
        lines.append(line)
    return lines


def target_lines(targets: dict[str, Any], now: datetime, tz: str = "UTC") -> list[str]:
    """Paused target kinds and services (since when, why, what waits and when it is
    tried next), and targets with lost notifications, one line each."""
    lines = []
    for p in targets["paused"]:
        who = p["kind"].capitalize()
        if p.get("target"):  # one service (an Apprise URL) down alone
            who += f" service {p['target']}"
        reason = f" ({p['reason']})" if p["reason"] else ""
        waiting = p.get("waiting")
        if waiting is None:
            what = "its notifications wait"
        else:
            what = f"{waiting or 'no'} notification{'s' if waiting != 1 else ''} waiting"
        next_try = p.get("next_try")
        if next_try is not None:
            when = moment(next_try, now, tz) if next_try > now else "at the next delivery round"
            what += f", next try {when}"
        lines.append(
            f"{who} paused since {moment(p['since'], now, tz)}{reason}: {what} (ops were told)"
        )
    lines += [
        f"failed for {f['target']}: {f['failed']} · last error: {f['last_error']}"
        for f in targets["failed"]
    ]
    return lines


def moment(when: datetime | None, now: datetime, tz: str = "UTC") -> str:
    """``"2026-11-25 15:02 CET (3h ago)"``, ``"… (in 5m)"``: a time in the config's
    zone, and how long ago (or how soon)."""
    from zoneinfo import ZoneInfo

    if when is None:
        return "never"
    local = when.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({ago(when, now)})"


def heartbeat_head(daemon: dict[str, Any], now: datetime, tz: str = "UTC") -> str:
    """What the heartbeats say, in a few words: running, or since when nobody polls
    (on a full disk, that no heartbeat can be written: the daemon may well run;
    a daemon of this host known gone: why, at once). A daemon stopped cleanly
    (SIGTERM, ``systemctl stop``) says so: "NOT SEEN" reads as a crash."""

    instances = daemon.get("instances")
    if instances is None:
        return "unknown (set [watchtower] http to ask it)"
    running = [i for i in instances if i["state"] == "running"]
    if running:
        latest = max(i["seen_at"] for i in running)
        plural = "s" if len(running) > 1 else ""
        return f"running ({len(running)} instance{plural}, last heartbeat {ago(latest, now)})"
    once = [i for i in instances if i["state"] == "ran"]
    if once:
        return f"not running; `run --once` last polled {ago(once[0]['seen_at'], now)}"
    if not instances:
        return "NOT SEEN: no watchtower has polled this database yet"
    if instances[0]["state"] == "gone":  # killed: no need to wait for its heartbeat to age
        latest = instances[0]
        return (
            f"NOT RUNNING: {latest['gone']} (last heartbeat {moment(latest['seen_at'], now, tz)})"
        )
    if instances[0]["state"] == "stopped":  # before the full disk: it wrote its stop
        return f"NOT RUNNING: stopped cleanly {moment(instances[0]['stopped_at'], now, tz)}"
    blocked = daemon.get("heartbeat_blocked")
    if blocked:  # a full disk refuses the heartbeat too: restarting would not help
        return (
            f"{blocked} (last heartbeat {moment(instances[0]['seen_at'], now, tz)}); "
            "a running daemon resumes by itself once space is freed"
        )
    return f"NOT SEEN since {moment(instances[0]['seen_at'], now, tz)}"


#: Instances listed by ``status`` (``--all``: every one; ``--json`` always lists all).
INSTANCES_SHOWN = 5


def instance_lines(report: dict[str, Any], now: datetime, *, every: bool = False) -> list[str]:
    """One line per recorded watchtower process (running ones first), and a line for
    a config it refused and still runs without."""

    tz = report.get("timezone", "UTC")
    instances = report["daemon"].get("instances") or []
    blocked = report["daemon"].get("heartbeat_blocked")
    listed = instances if every else instances[:INSTANCES_SHOWN]
    lines = version_lines(report["daemon"].get("versions") or {})
    for n, i in enumerate(listed):
        who = f"{i['host']} pid {i['pid']}"
        rounds = (
            f"last round with fetches {ago(i['round_at'], now)}: {i['round_sources']} "
            f"source{'s' if i['round_sources'] != 1 else ''}, "
            f"{i['round_ok']} ok, {i['round_failed']} failed"
            + (f", {i['round_put_off']} put off" if i.get("round_put_off") else "")
            if i["round_at"]
            else "no source fetched yet"
        )
        version = f"watchtower {i['version']}"
        stale = f"NOT SEEN since {moment(i['seen_at'], now, tz)}"
        # Only the latest process (first when none runs) can have been cut off by
        # the full disk: an older one stopped beating before (SQLite: one daemon per file).
        if blocked and n == 0:
            stale = f"last heartbeat {moment(i['seen_at'], now, tz)} ({blocked})"
        if i["mode"] == "once":
            line = f"run --once on {who} · {version} · {rounds}"
            if i["state"] != "ran":
                line += f" · {stale}"
        elif i["state"] == "running":
            line = (
                f"{who} · {version} · up since {moment(i['started_at'], now, tz)}"
                f" · last seen {ago(i['seen_at'], now)} · {rounds}"
            )
        elif i["state"] == "stopped":
            line = f"{who} · {version} · stopped cleanly {moment(i['stopped_at'], now, tz)}"
        elif i["state"] == "gone":  # this host knows its process ended (killed)
            line = (
                f"{who} · {version} · ended without a clean stop: {i['gone']} · last heartbeat "
                f"{moment(i['seen_at'], now, tz)} · started {moment(i['started_at'], now, tz)}"
            )
        else:
            line = f"{who} · {version} · {stale} · started {moment(i['started_at'], now, tz)}"
        lines.append(f"  {line}")
        if i["config_refused_at"] and i["state"] in ("running", "not seen"):
            lines.append(
                f"    config: refused at {moment(i['config_refused_at'], now, tz)}: "
                f"{i['config_refused']}; running the config loaded at "
                f"{moment(i['config_loaded_at'], now, tz)}"
            )
    if len(instances) > len(listed):
        lines.append(f"  {len(instances) - len(listed)} more not listed: --all lists them")
    return lines


def version_lines(versions: dict[str, list[str]]) -> list[str]:
    """A warning when the running daemons run different versions (from
    :func:`~watchtower.status_daemons.running_versions`), naming who runs which."""
    if len(versions) < 2:
        return []
    runs = "; ".join(f"{version} on {', '.join(who)}" for version, who in versions.items())
    return [
        f"  WARNING: the running daemons run {len(versions)} different versions: {runs}. "
        "Finish the upgrade (or the rollback) on every replica."
    ]


def source_lines(source: dict[str, Any], now: datetime, tz: str = "UTC") -> list[str]:
    """Under a source: that it is not polled (a placeholder), since when it fails,
    and what its last fetch warned about (a fetch put off behind other fetches of
    its site: when, not a warning)."""

    lines = []
    if source.get("not_polled"):  # watchtower.placeholders: never fetched until edited
        lines.append(
            f"not polled: its address is a placeholder ({source['not_polled']}); put your "
            "own in the config (`watchtower check` says which line)"
        )
    if source["state"] == "silent":
        lines.append(f"silent: no new item since {moment(source.get('last_new_item'), now, tz)}")
    if source["state"] == "failing":
        since = source.get("failing_since")
        lines.append(
            f"failing since {moment(since, now, tz)}"
            if since
            else "failing since: unknown (before this watchtower kept it)"
        )
    host = put_off_site(source.get("last_warning"))
    if host is not None:
        when = source.get("put_off_at")
        lines.append(put_off_note(host, moment(when, now, tz) if when else None))
    elif source.get("last_warning"):
        lines.append(f"last warning ({ago(source['last_success'], now)}): {source['last_warning']}")
    return lines
