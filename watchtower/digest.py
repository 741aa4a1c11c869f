"""Digests: the period's mentions, grouped by brand and severity, with a small PNG chart.

A rule with ``digest = "daily 08:30"``, ``"weekly mon 08:30"`` or ``"hourly"``
holds its notifications (see :mod:`watchtower.pipeline.grouping`), and so does a
target listed in ``[[digests]]`` (all its notifications but critical ones); at
the digest time they become one e-mail (text + HTML with the chart inline) or
one Slack message (the chart uploaded in its thread). The chart is drawn with
matplotlib's Agg backend: no display, no fonts to install, the same bytes on
every platform.
"""

from __future__ import annotations

import io
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.config_models import DigestConfig
from watchtower.models import Severity
from watchtower.notify._text import one_line, t
from watchtower.notify.base import truncate
from watchtower.notify.digest_text import SEVERITIES, shown_days
from watchtower.pipeline.route import default_targets
from watchtower.storage.tables import DaemonRow, OutboxRow, SourceRow, StoryRow
from watchtower.timewindows import parse_digest

SEVERITY_COLOURS = {"critical": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}
MAX_BRANDS = 12
#: The rule part of a ``[[digests]]`` target's key: every rule (rule names are never blank).
ALL_RULES = ""
#: Characters of a review's text a digest line quotes (one line on a desktop, two on a phone).
REVIEW_EXCERPT = 140


def digest_key(rule: str, target: str) -> str:
    return f"{rule}|{target}"


def next_digest(schedule: str, now: datetime, zone: str) -> datetime:
    """When a digest on ``schedule`` (``"hourly"``, ``"daily 08:30"``,
    ``"weekly mon 08:30"``) next goes out."""
    return parse_digest(schedule).next_after(now, zone)


def period_start(schedule: str, now: datetime, zone: str) -> datetime:
    """When the period of the digest due at ``now`` began (the digest time before it).

    The morning after a change of summer time, a daily digest covers the 23 or
    25 hours since yesterday's, not the last 24 hours; a weekly one the 167 or
    169 hours since last week's. The instant is given at ``zone``'s offset then
    (see :func:`in_zone`): its clock reading names the period's first day, which
    :func:`enrich` writes in the digest for its title ("semaine du 16 au 22
    novembre").
    """
    return in_zone(parse_digest(schedule).period_start(now, zone), zone)


def in_zone(instant: datetime, zone: str) -> datetime:
    """``instant`` as the clocks of ``zone`` show it, at a fixed UTC offset.

    A fixed offset, not the :class:`ZoneInfo`: Python never finds an instant of
    a repeated hour in a ``ZoneInfo`` equal to the same instant in UTC (PEP 495);
    with the offset it is the same instant, equal and hashed as such. The
    offset is named after ``zone`` (its ``tzname()``; offsets compare and hash
    without their names): :func:`enrich` cuts a weekly digest's period into the
    zone's days with it, 23 or 25 hours long across a change of summer time.
    """
    offset = instant.astimezone(ZoneInfo(zone)).utcoffset()
    return instant.astimezone(timezone(offset or timedelta(0), zone))


def _zone_of(instant: datetime) -> tzinfo:
    """The zone :func:`in_zone` named ``instant``'s offset after, else the offset itself."""
    try:
        return ZoneInfo(instant.tzname() or "")
    except (ValueError, OSError, ZoneInfoNotFoundError):  # "UTC+01:00": an unnamed offset
        return instant.tzinfo or UTC


def zone_name(instant: datetime) -> str | None:
    """The IANA zone :func:`in_zone` gave ``instant`` ("America/New_York"), else ``None``.

    A digest's ``since`` carries its zone this way; an instant in plain UTC (the
    ``UTC`` singleton, a period guessed from its length) or at an unnamed offset
    names none, and its digest is told in the notifier's zone.
    """
    if instant.tzinfo is None or instant.tzinfo is UTC:
        return None
    if isinstance(instant.tzinfo, ZoneInfo):  # not its tzname(): "CET" is no place
        return instant.tzinfo.key
    zone = _zone_of(instant)
    return zone.key if isinstance(zone, ZoneInfo) else None


def period_name(schedule: str) -> str:
    """``"hourly"``, ``"daily"`` or ``"weekly"``: the digest's title and period."""
    return parse_digest(schedule).name


def _rule_targets(config: Config) -> dict[str, list[str]]:
    """Every target a digest of each rule with ``digest`` can hold rows for.

    A rule without ``notify`` (a pack rule) sends to each brand's ``notify``, or to
    the defaults (:func:`watchtower.pipeline.route.route`): its digest keys are
    those targets', which must get its period and title too.
    """
    anywhere = list(default_targets(config))
    for brand in config.brands:
        anywhere += [t for t in brand.notify if t not in anywhere]
    return {r.name: list(r.notify) or anywhere for r in config.rules if r.digest}


def for_target(config: Config, target: str) -> DigestConfig | None:
    """The ``[[digests]]`` entry listing ``target`` (the first one), if any."""
    return next((d for d in config.digests if target in d.targets), None)


def periods(config: Config) -> dict[str, str]:
    """``"hourly"``/``"daily"``/``"weekly"`` by digest key, for the summaries' titles."""
    targets = _rule_targets(config)
    by_key = {
        digest_key(r.name, t): period_name(r.digest)
        for r in config.rules
        if r.digest
        for t in targets[r.name]
    }
    for entry in config.digests:
        for target in entry.targets:
            by_key.setdefault(digest_key(ALL_RULES, target), period_name(entry.digest))
    return by_key


def period_starts(config: Config, now: datetime) -> dict[str, datetime]:
    """When the period of each digest due at ``now`` began, by digest key (as :func:`periods`)."""
    zone = config.watchtower.timezone
    targets = _rule_targets(config)
    by_key = {
        digest_key(r.name, t): period_start(r.digest, now, zone)
        for r in config.rules
        if r.digest
        for t in targets[r.name]
    }
    for entry in config.digests:
        for target in entry.targets:
            by_key.setdefault(
                digest_key(ALL_RULES, target),
                period_start(entry.digest, now, entry.timezone or zone),
            )
    return by_key


@dataclass(frozen=True)
class Due:
    """The last digest time of a ``[[digests]]`` target at or before now.

    ``key`` is its digest key, ``since`` the start of its period (the digest
    time before ``due``: 23 or 25 hours back the morning after a change of
    summer time; at the offset of the digest's zone, as :func:`period_start`),
    ``period`` ``"hourly"``/``"daily"``/``"weekly"``, ``when_empty`` its
    ``[[digests]]`` entry's setting.
    """

    key: str
    target: str
    due: datetime
    since: datetime
    period: str
    when_empty: str


def due_digests(config: Config, now: datetime) -> list[Due]:
    """Every ``[[digests]]`` target's latest digest time at or before ``now``.

    A target's digest goes at its time even when nothing was held for it (a
    day of critical alerts only, or an empty day): the alerting tick sends the
    ones no held row made (:func:`watchtower.pipeline.grouping.release_scheduled`).
    A rule's own ``digest`` is not here: it goes only when the rule held mentions.
    """
    zone = config.watchtower.timezone
    seen: set[str] = set()
    due: list[Due] = []
    for entry in config.digests:
        schedule = parse_digest(entry.digest)
        local = entry.timezone or zone
        for target in entry.targets:
            if target in seen:  # a target in several [[digests]] follows the first
                continue
            seen.add(target)
            due.append(
                Due(
                    key=digest_key(ALL_RULES, target),
                    target=target,
                    due=schedule.last_at_or_before(now, local),
                    since=in_zone(schedule.period_start(now, local), local),
                    period=schedule.name,
                    when_empty=entry.when_empty,
                )
            )
    return due


def watched_since(session: Session) -> datetime | None:
    """When the earliest watchtower process on record started (``None``: none yet).

    A digest time before it was not watched (a first start at 14:00 sends no
    "nothing to report" for the 08:30 digest of that morning); a process started
    again after a digest time still sends that digest, late, as the held rows are.
    """
    return session.scalar(select(func.min(DaemonRow.started_at)))


def health(session: Session) -> dict[str, int]:
    """How many sources are watched (enabled) and how many of them fail now."""
    sources = int(session.scalar(select(func.count()).where(SourceRow.enabled.is_(True))) or 0)
    failing = int(
        session.scalar(
            select(func.count()).where(
                SourceRow.enabled.is_(True), SourceRow.consecutive_failures > 0
            )
        )
        or 0
    )
    return {"sources": sources, "failing": failing}


def week_days(since: datetime) -> list[str]:
    """The first and last days (ISO dates) of the weekly period that began at
    ``since``, as the clocks of its zone show it (:func:`period_start`).

    Monday 16 November 08:30 to Monday 23 November 08:30 is "the week of 16–22
    November": 7 days, the last the day before the digest's.
    """
    first = since.date()
    return [first.isoformat(), (first + timedelta(days=6)).isoformat()]


def _sent_apart(target: str, since: datetime, until: datetime | None) -> list[Any]:
    """The conditions of the critical alerts ``target`` got at once in the period
    (a digest's "N alertes critiques"): sent, neither ops notices nor summaries."""
    return [
        OutboxRow.target == target,
        OutboxRow.status == "sent",
        OutboxRow.severity == Severity.critical.name,
        OutboxRow.dedup_key.not_like("ops:%"),
        OutboxRow.dedup_key.not_like("summary:%"),
        OutboxRow.created_at > since,
        OutboxRow.created_at <= until if until is not None else true(),
    ]


def week_midnights(since: datetime) -> list[datetime]:
    """When the 2nd to the 7th day of the weekly period that began at ``since``
    begin: their midnights on the clocks of the digest's zone (:func:`in_zone`).

    Across a change of summer time the day holding it is 23 or 25 hours long:
    still 7 days, each named by its date (:func:`week_days`).
    """
    zone = _zone_of(since)
    first = since.astimezone(zone).date()
    return [
        datetime.combine(first + timedelta(days=k), time(0), zone).astimezone(UTC)
        for k in range(1, 7)
    ]


def week_counts(
    session: Session, summary: dict[str, Any], target: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """A weekly digest's mentions per local day (:func:`week_midnights`): 7
    entries ``{"day": "2026-11-16", "count": 12, "critical": 1, "warning": 3,
    "info": 8}``, and an 8th for the digest's own day up to its time, with
    ``"before": "08:30"`` (none for a digest at midnight).

    What the digest counts: its held rows (``summary["what"]`` is its rule,
    its key's first part) and the critical alerts its target got at once (its
    "N alertes critiques"), on the day they were queued. The period's days are
    those its title names ("semaine du 16 au 22 novembre"): the first from the
    digest time on; the hours before the digest on its own day (Monday before
    08:30) are that day's, not Sunday's: a crisis on Monday at 07:00 reads as
    Monday's. A row queued before the period (held first for the night) counts
    on the first day.
    """
    key = digest_key(str(summary.get("what") or ""), target)
    held = session.execute(
        select(OutboxRow.created_at, OutboxRow.severity).where(
            OutboxRow.target == target,
            OutboxRow.status == "held",
            OutboxRow.hold_reason == "digest",
            OutboxRow.group_key == key,
            OutboxRow.hold_until <= until,
        )
    ).all()
    apart = session.scalars(
        select(OutboxRow.created_at).where(*_sent_apart(target, since, until))
    ).all()
    zone = _zone_of(since)
    first = since.astimezone(zone).date()
    starts = week_midnights(since)
    eighth = datetime.combine(first + timedelta(days=7), time(0), zone).astimezone(UTC)
    morning = eighth < until  # a digest at midnight has no morning of its own
    if morning:
        starts.append(eighth)
    counts: list[dict[str, int]] = [{s.name: 0 for s in Severity} for _ in range(len(starts) + 1)]
    rows = [(at, severity) for at, severity in held]
    rows += [(at, Severity.critical.name) for at in apart]
    for at, severity in rows:
        day = counts[bisect_right(starts, at)]
        day[severity if severity in day else Severity.info.name] += 1
    days: list[dict[str, Any]] = [
        {
            "day": (first + timedelta(days=k)).isoformat(),
            "count": sum(day.values()),
            "critical": day["critical"],
            "warning": day["warning"],
            "info": day["info"],
        }
        for k, day in enumerate(counts)
    ]
    if morning:
        days[7]["before"] = f"{until.astimezone(zone):%H:%M}"
    return days


def chart_png(
    by_brand: dict[str, dict[str, int]],
    title: str,
    *,
    days: list[dict[str, Any]] | None = None,
    language: str = "fr",
) -> bytes:
    """The digest's chart as PNG bytes, its words in ``language``.

    A weekly digest's (``days``, :func:`week_counts`): the week's shape, one
    vertical bar per local day ("lun. 16"), stacked by severity. Else (a daily
    or hourly digest, or a week without a mention) a horizontal stacked bar
    chart of mentions per brand and severity.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shown = shown_days(days, language) if days else []
    # Constrained layout keeps the legend outside the bars: inside, it covered
    # the only bar of a one-brand chart.
    if shown:
        figure = Figure(figsize=(6, 2.6), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        before = t(language, "digest_day_before")
        labels = [
            d.label + (f"\n{before.format(time=d.before)}" if d.before else "") for d in shown
        ]
        bottom = [0] * len(shown)
        for severity in SEVERITIES:
            values = [d.severities[severity] for d in shown]
            if any(values):
                name = t(language, f"severity.{severity}")
                axes.bar(
                    labels, values, bottom=bottom, color=SEVERITY_COLOURS[severity], label=name
                )
                bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        for x, total in enumerate(bottom):
            if total:
                axes.annotate(f"{total}", (x, total), ha="center", va="bottom", fontsize="small")
        axes.margins(y=0.15)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
    else:
        brands = list(by_brand)[:MAX_BRANDS]
        figure = Figure(
            figsize=(6, 0.8 + 0.45 * max(1, len(brands))), dpi=100, layout="constrained"
        )
        axes = figure.add_subplot()
        left = [0] * len(brands)
        for severity in SEVERITIES:
            values = [by_brand[b].get(severity, 0) for b in brands]
            if any(values):
                name = t(language, f"severity.{severity}")
                axes.barh(brands, values, left=left, color=SEVERITY_COLOURS[severity], label=name)
                left = [a + b for a, b in zip(left, values, strict=True)]
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        axes.set_title(title[:80])
    figure.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


#: Critical alerts listed by name in a digest (the count says how many there were).
APART_LISTED = 10


def review_fields(payload: dict[str, Any]) -> dict[str, str]:
    """What a digest shows of a review (a payload with a ``rating``) besides its
    stars: ``author``, and ``excerpt``, the start of the notification's excerpt
    (the passage that matched, :mod:`watchtower.pipeline.excerpt`) cut between
    words at :data:`REVIEW_EXCERPT` characters; ``{}`` for anything else.

    A community manager reads who complained and about what without opening
    each link; cut here, so that a digest of 200 reviews stays small in its row.
    """
    if payload.get("rating") is None:
        return {}
    author = one_line(str(payload.get("author") or ""))
    excerpt = one_line(str(payload.get("excerpt") or ""))
    found = {"author": truncate(author, 60), "excerpt": truncate(excerpt, REVIEW_EXCERPT)}
    return {key: value for key, value in found.items() if value}


def enrich(
    session: Session,
    summary: dict[str, Any],
    target: str,
    since: datetime,
    until: datetime | None = None,
) -> None:
    """Add what a digest's reader needs and its held rows do not say.

    Each item gets ``sites``: on how many sites its story has been seen by now
    (a dispatch syndicated on 12 sites is one row, the first sighting, whose
    payload said "1 site"). ``apart``: the critical alerts ``target`` got at
    once since ``since`` (and up to ``until``, when given), by title, so the
    digest lists them first instead of only counting them.

    ``until`` is the digest's own time, which ends its period even when it goes
    out late (the daemon was down then). A weekly digest gets ``week``: the
    first and last local days it covers (``since`` is at the offset of the
    digest's zone, as :func:`period_start` gives it), which its title names,
    and ``days``: its mentions on each of them (:func:`week_counts`).
    ``timezone``: that zone (:func:`zone_name`), in which every notifier tells
    the period: a ``[[digests]]`` entry's own, not ``[watchtower] timezone``.
    """
    summary["since"] = since.astimezone(UTC).isoformat()
    if zone := zone_name(since):
        summary["timezone"] = zone
    if until is not None:
        summary["until"] = until.astimezone(UTC).isoformat()
        if summary.get("period") == "weekly":
            summary["week"] = week_days(since)
            summary["days"] = week_counts(session, summary, target, since, until)
    items: list[dict[str, Any]] = summary.get("items") or []
    ids = {int(i["story"]) for i in items if isinstance(i.get("story"), int)}
    if ids:
        query = select(StoryRow.id, StoryRow.sightings).where(StoryRow.id.in_(ids))
        sites = {int(story): int(seen) for story, seen in session.execute(query)}
        for item in items:
            if item.get("story") in sites:
                item["sites"] = int(sites[item["story"]])
    rows = session.scalars(
        select(OutboxRow)
        .where(*_sent_apart(target, since, until))
        .order_by(OutboxRow.id)
        .limit(APART_LISTED)
    )
    summary["apart"] = [
        {
            "title": row.payload.get("title"),
            "url": row.payload.get("url"),
            "source": row.payload.get("source"),
            "severity": Severity.critical.name,
            "brands": row.payload.get("brands") or [],
        }
        for row in rows
        if (row.payload or {}).get("kind", "item") in ("item", "spike")
    ]
