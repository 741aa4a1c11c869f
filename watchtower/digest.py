"""Digests: the period's mentions, grouped by brand and severity, with a small PNG chart.

A rule with ``digest = "daily 08:30"`` or ``"hourly"`` holds its notifications
(see :mod:`watchtower.pipeline.grouping`); at the digest time they become one
e-mail (text + HTML with the chart inline) or one Slack message (the chart
uploaded in its thread). The chart is drawn with matplotlib's Agg backend: no
display, no fonts to install, the same bytes on every platform.
"""

from __future__ import annotations

import io
from datetime import datetime

from watchtower.config import RuleConfig
from watchtower.timewindows import parse_digest

SEVERITY_COLOURS = {"critical": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}
MAX_BRANDS = 12


def digest_key(rule: str, target: str) -> str:
    return f"{rule}|{target}"


def next_digest(rule: RuleConfig, now: datetime, zone: str) -> datetime | None:
    """When ``rule``'s next digest goes out (``None``: the rule has no digest)."""
    if not rule.digest:
        return None
    return parse_digest(rule.digest).next_after(now, zone)


def period_name(rule: RuleConfig) -> str:
    return "hourly" if rule.digest and parse_digest(rule.digest).hourly else "daily"


def chart_png(by_brand: dict[str, dict[str, int]], title: str) -> bytes:
    """A horizontal stacked bar chart of mentions per brand and severity, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    brands = list(by_brand)[:MAX_BRANDS]
    figure = Figure(figsize=(6, 0.5 + 0.45 * max(1, len(brands))), dpi=100)
    axes = figure.add_subplot()
    left = [0] * len(brands)
    for severity in ("critical", "warning", "info"):
        values = [by_brand[b].get(severity, 0) for b in brands]
        if any(values):
            axes.barh(brands, values, left=left, color=SEVERITY_COLOURS[severity], label=severity)
            left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_title(title[:80])
    axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
