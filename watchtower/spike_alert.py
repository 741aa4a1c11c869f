"""The critical alert of a spike: what it says, and the ``spike_alerts`` row behind it.

:mod:`watchtower.spikes` decides when there is a spike and which alerts to send
(a rule's spike folded into its brand's); this module queues each one: a
critical alert naming the top sources, terms and examples of the window and the
on-call people of ``escalate_to``, and a ``spike_alerts`` row (its cooldown),
which :mod:`watchtower.escalation` escalates when nobody acknowledges it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchtower.durations import format_duration
from watchtower.logs import kv
from watchtower.models import Severity
from watchtower.notify._text import t
from watchtower.pipeline.normalise import normalise
from watchtower.storage.outbox_queries import enqueue_notice
from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import ItemRow, MentionRow, SourceRow, SpikeAlertRow

if TYPE_CHECKING:
    from watchtower.spikes import Scope, Verdict

__all__ = ["TOP", "queue_alert", "record_alert"]

log = logging.getLogger("watchtower.spikes")  # the spikes job's log, as before the split

#: Sources and terms an alert names.
TOP = 5


def _rank(severity: str) -> int:
    return int(Severity.__members__.get(severity, Severity.info))


def _summary(
    rows: Sequence[Any],
) -> tuple[Counter[str], Counter[str], list[dict[str, Any]], dict[str, str]]:
    """Top sources, terms, examples and the terms as written, from the window's mention rows.

    An item has one mention row per brand and rule it matched: the numbers count
    items, as the alert's total does (an article matched by two rules is not two
    uses of its words). The examples are distinct stories, newest first: three
    copies of one syndicated dispatch tell the reader less than three stories.
    """
    items: dict[int, dict[str, Any]] = {}
    written: dict[str, str] = {}
    for source, title, url, item_terms, surfaces, severity, item_id, story_id in rows:
        for surface in surfaces or ():
            written.setdefault(normalise(surface).strip(), surface)
        item = items.setdefault(
            item_id,
            {
                "source": source,
                "title": title,
                "url": url,
                "story": story_id if story_id is not None else f"item:{item_id}",
                "terms": set(),
                "severity": severity,
            },
        )
        item["terms"].update(item_terms or [])
        if _rank(severity) > _rank(item["severity"]):
            item["severity"] = severity
    sources: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    told: set[object] = set()
    for item in items.values():
        sources[item["source"]] += 1
        terms.update(item["terms"])
        if len(examples) < 3 and item["story"] not in told:
            told.add(item["story"])
            examples.append(
                {
                    "title": item["title"],
                    "url": item["url"],
                    "source": item["source"],
                    "severity": item["severity"],
                    "brands": [],
                }
            )
    return sources, terms, examples, written


def record_alert(
    session: Session, scope: Scope, verdict: Verdict, now: datetime, *, escalate: bool = True
) -> str:
    """Insert the ``spike_alerts`` row (its cooldown; its escalation unless folded)."""
    key = f"spike:{scope.kind}:{scope.name}:{now.strftime('%Y%m%dT%H%M')}"[:200]
    session.execute(
        insert_ignore(session, SpikeAlertRow)
        .values(
            dedup_key=key,
            scope=scope.kind,
            name=scope.name,
            observed=verdict.observed,
            baseline=verdict.mean,
            escalate_notify=list(scope.escalate_notify) if escalate else [],
            ack_timeout_s=scope.ack_timeout.total_seconds(),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    return key


def queue_alert(
    session: Session,
    scope: Scope,
    verdict: Verdict,
    window: timedelta,
    now: datetime,
    language: str = "fr",
) -> int:
    key = record_alert(session, scope, verdict, now)
    column = MentionRow.brand if scope.kind == "brand" else MentionRow.rule
    rows = session.execute(
        select(
            SourceRow.name,
            ItemRow.title,
            # The link every other notification shows: tracking parameters gone.
            func.coalesce(func.nullif(ItemRow.canonical_url, ""), ItemRow.url),
            MentionRow.terms,
            MentionRow.surfaces,
            MentionRow.severity,
            ItemRow.id,
            ItemRow.story_id,
        )
        .join(ItemRow, ItemRow.id == MentionRow.item_id)
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
        .where(
            column == scope.name, MentionRow.created_at >= now - window, MentionRow.created_at < now
        )
        .order_by(MentionRow.created_at.desc(), MentionRow.id)
    ).all()
    sources, terms, examples, written = _summary(rows)
    spike = {
        "alert": key,
        "scope": scope.kind,
        "name": scope.label,
        "observed": verdict.observed,
        "baseline": round(verdict.mean, 2),
        "p": verdict.p,
        "window": format_duration(window),
        "top_sources": sources.most_common(TOP),
        # The words as written ("Acmé"), not their matching form ("acme").
        "top_terms": [(written.get(term, term), n) for term, n in terms.most_common(TOP)],
        "examples": examples,
        "escalate_to": list(scope.escalate_to),
        "escalation": False,
        "timeout": format_duration(scope.ack_timeout),
        # Escalated unless acknowledged on its Slack copy: told where Slack is not.
        "ack_in_slack": bool(scope.escalate_notify)
        and any(target.split(":", 1)[0] == "slack" for target in scope.targets),
    }
    payload = {
        "kind": "spike",
        # Notifiers write their own heading; this one is for lists (outbox, logs).
        "title": t(language, "spike_title").format(name=scope.label),
        "url": "",
        "source": "",
        "brands": [scope.name] if scope.kind == "brand" else [],
        "terms": [],
        "rules": [scope.name] if scope.kind == "rule" else list(scope.rules),
        "severity": "critical",
        "spike": spike,
    }
    log.warning(
        "mention spike",
        extra=kv(
            scope=scope.kind, name=scope.name, observed=verdict.observed, baseline=verdict.mean
        ),
    )
    return 1 if enqueue_notice(session, key, scope.targets, payload, now, "critical") else 0
