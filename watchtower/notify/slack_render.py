"""Block Kit for every kind of notification, and Slack's size limits enforced once.

Slack rejects a message whose ``text`` exceeds 40,000 characters
(``msg_too_long``), that has more than 50 blocks, a text object over 3,000
characters or a header over 150 (``invalid_blocks``), or whose blocks hold
more than about 13,000 characters in all (``msg_blocks_too_long``: not in the
reference, seen in slackapi/bolt-js#2509). :func:`fit` cuts every piece to its
limit with an ellipsis and, where the format allows it, a "read more" link to
the item, so a long notification is shortened, never refused; should Slack
still refuse the blocks, :func:`plain_text` is what is sent instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from watchtower.models import Notification, Severity
from watchtower.notify._spike_text import (
    ack_text,
    calm_text,
    original_permalink,
    original_text,
    paged_text,
    spike_heading,
    spike_stats,
)
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    app_version_text,
    author_text,
    clip,
    digest_apart_text,
    duration_text,
    edited_stars_text,
    http_url,
    kind_of,
    label,
    language_text,
    link_site,
    mentions_text,
    one_line,
    published_text,
    rating_text,
    reply_line,
    reviewed_text,
    seen_on_text,
    severity_text,
    t,
    title_text,
    watching_text,
)
from watchtower.notify.digest_text import (
    digest_heading,
    reach_text,
    review_text,
    severity_counts,
    stories,
    week_lines,
)

# Imported from here by slack.py and tests: re-exported.
from watchtower.notify.slack_mrkdwn import cut_mrkdwn as cut_mrkdwn
from watchtower.notify.slack_mrkdwn import escape_mrkdwn as escape_mrkdwn
from watchtower.notify.slack_mrkdwn import escape_text as escape_text
from watchtower.notify.slack_mrkdwn import escape_url as escape_url
from watchtower.notify.slack_mrkdwn import link as link
from watchtower.notify.slack_mrkdwn import linkable, shown_url
from watchtower.notify.slack_room import Line, Room, lay_out, left_out_text

TEXT_MAX = 40_000
BLOCKS_MAX = 50
BLOCK_TEXT_MAX = 3_000
HEADER_MAX = 150
BLOCKS_TEXT_TOTAL = 12_000  # all blocks' text together (msg_blocks_too_long beyond ~13,000)
PLAIN_MAX = 4_000  # a plain-text message: Slack shows longer ones cut
URL_SHOWN = 300  # characters of an unlinkable URL shown as plain text
GROUP_SHOWN = 20  # items listed (each linked) in a grouped message before "and N more"
SUMMARY_SHOWN = 10  # items per brand in quiet-hours summaries and digests

Block = dict[str, Any]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def fit(
    blocks: list[Block], text: str, *, url: str = "", language: str = "fr"
) -> tuple[list[Block], str]:
    """Blocks and fallback text within Slack's limits (see module docstring)."""
    more = link(url, t(language, "read_more")) if linkable(url) else ""
    if http_url(url) and not linkable(url):
        # Still show where the item is. verbatim: Slack must not turn the cut URL
        # into a link to a page that does not exist.
        shown = {
            "type": "mrkdwn",
            "text": shown_url(url, URL_SHOWN),
            "verbatim": True,
        }
        blocks = [*blocks, {"type": "context", "elements": [shown]}]
    out: list[Block] = []
    for block in blocks:
        block = dict(block)
        if block.get("type") == "header":
            inner = dict(block["text"])
            inner["text"] = clip(str(inner["text"]), HEADER_MAX)
            block["text"] = inner
        elif isinstance(block.get("text"), dict):
            inner = dict(block["text"])
            inner["text"] = cut_mrkdwn(str(inner["text"]), BLOCK_TEXT_MAX, more)
            block["text"] = inner
        if block.get("type") == "context":
            block["elements"] = [
                dict(e, text=cut_mrkdwn(str(e.get("text", "")), BLOCK_TEXT_MAX))
                for e in block.get("elements", [])[:10]
            ]
        out.append(block)
    out = _within_total(out, language)
    if len(out) > BLOCKS_MAX:
        out = [*out[: BLOCKS_MAX - 1], context(t(language, "cut"))]
    return out, cut_mrkdwn(text, TEXT_MAX, more)


def _texts(block: Block) -> list[str]:
    objects = [block.get("text"), *(block.get("elements") or [])]
    return [str(o.get("text", "")) for o in objects if isinstance(o, dict)]


def _within_total(blocks: list[Block], language: str) -> list[Block]:
    """The first blocks whose text fits ``BLOCKS_TEXT_TOTAL``, then a line saying
    the rest did not fit. Not "and N more": N would count blocks, which a
    reader takes for mentions; a summary counts its own (:mod:`.slack_room`)."""
    room = BLOCKS_TEXT_TOTAL - 100  # for the line saying so
    for index, block in enumerate(blocks):
        size = sum(len(text) for text in _texts(block))
        if size > room:
            return [*blocks[:index], context(t(language, "cut"))]
        room -= size
    return blocks


def plain_text(blocks: Sequence[Block], text: str) -> str:
    """The blocks' content as one mrkdwn text of at most ``PLAIN_MAX`` characters:
    what is posted when Slack refuses the blocks themselves."""
    lines: list[str] = []
    for block in blocks:
        if block.get("type") == "header":
            lines.append(f"*{escape_text(str(block['text'].get('text', '')))}*")
        else:
            lines += [line for line in _texts(block) if line]
    return cut_mrkdwn("\n".join(lines) or text, PLAIN_MAX)


# ------------------------------------------------------------------ one item
def item_blocks(
    n: Notification, language: str, timezone: str, *, sightings: int = 1
) -> tuple[list[Block], str]:
    """The top-level message for one item (with the story's sighting counter if > 1)."""
    if kind_of(n) == "ops":
        return notice_blocks(n, language)
    title = escape_text(clip(title_text(n, language), HEADER_MAX))
    emoji = SEVERITY_EMOJI[n.severity]
    severity = escape_mrkdwn(severity_text(n, language))
    headline = f"{emoji} *{severity}* · {link(n.url, title)}"
    site = link_site(n)
    if site and http_url(n.url):  # the link's label is the feed's: say where it leads
        headline += f" · {escape_text(site)}"
    details = " · ".join(
        f"*{label(language, key).rstrip()}* {escape_text(value)}"
        for key, value in (
            ("source", one_line(n.source)),
            ("brands", ", ".join(n.brands)),
            ("terms", ", ".join(n.terms)),
            ("reviewed", reviewed_text(n)),
            ("rating", rating_text(n, language)),
            ("author", one_line(author_text(n))),
            ("app_version", app_version_text(n)),
        )
        if value
    )
    # No line for what is unknown: no "Publié le date inconnue", no empty rule.
    published = published_text(n, language, timezone)
    when = [f"{t(language, 'published')} {published}"] if published else []
    if n.rules:
        when.append(f"{label(language, 'rule')}{escape_text(', '.join(n.rules))}")
    if n.lang:
        when.append(f"{label(language, 'language')}{escape_text(language_text(n.lang, language))}")
    blocks = [section(headline)] + ([section(details)] if details else [])
    if n.excerpt.strip():
        blocks.append(section(">" + escape_text(one_line(clip(n.excerpt.strip(), 500)))))
    if when:
        blocks.append(context(" · ".join(when)))
    if sightings > 1:
        blocks.append(context("👀 " + seen_on_text(language, sightings)))
    # The fallback text is mrkdwn too: a raw URL there could hold "<!channel>".
    url = shown_url(n.url)
    fallback = f"{emoji} {severity}{t(language, 'colon')}{title} {url}".rstrip()
    return fit(blocks, fallback, url=n.url, language=language)


def notice_blocks(n: Notification, language: str) -> tuple[list[Block], str]:
    """An operational notice (a source down or back, Slack paused, a refused
    configuration): its label, title and text. It names no brand, source or
    publication date; showing them empty made it look like a broken mention."""
    title = escape_text(clip(title_text(n, language), HEADER_MAX))
    emoji = SEVERITY_EMOJI[n.severity]
    severity = escape_mrkdwn(severity_text(n, language))
    blocks = [section(f"{emoji} *{severity}* · {link(n.url, title)}")]
    if n.excerpt.strip():
        blocks.append(section(escape_text(n.excerpt.strip())))
    fallback = f"{emoji} {severity}{t(language, 'colon')}{title}"
    return fit(blocks, fallback, url=n.url, language=language)


def reply_blocks(n: Notification, language: str) -> tuple[list[Block], str]:
    """A later sighting of a story, posted in the story's thread: "Aussi vu sur
    lemonde.fr : <title>" (the site, from the item's address)."""
    line = escape_text(reply_line(n, language))
    title = escape_text(clip(title_text(n, language), HEADER_MAX))
    text = f"{line}{t(language, 'colon')}{link(n.url, title)}"
    stars = edited_stars_text(n, language)
    if stars:  # an edited review: "… · ★★★★☆ 4/5"
        text += f" · {escape_text(stars)}"
    return fit([section(text)], text, url=n.url, language=language)


# ---------------------------------------------------------------- summaries
def _item_line(item: dict[str, Any], language: str, reach: str = "") -> str:
    """A summary's line for one item (and its story's ``reach``); a review adds,
    on a line of its own, who wrote it and the start of what they said."""
    severity = Severity[str(item.get("severity", "info"))]
    title = one_line(str(item.get("title") or "")) or t(language, "untitled")
    title = escape_text(clip(title, 200))
    source = escape_text(one_line(str(item.get("source") or "")))
    line = f"{SEVERITY_EMOJI[severity]} {link(str(item.get('url') or ''), title)}"
    line = f"{line} · _{source}_" if source else line
    line = f"{line} · {reach}" if reach else line
    said = review_text(item, language)
    return f"{line}\n{escape_text(said)}" if said else line


def _story_line(story: dict[str, Any], language: str) -> str:
    """A digest's line for one story: its first sighting, and on how many sites."""
    return _item_line(story, language, reach_text(story, language))


def _lines_blocks(lines: Sequence[str]) -> list[Block]:
    """Pack lines into sections of at most 3,000 characters each."""
    blocks: list[Block] = []
    chunk = ""
    for line in lines:
        if chunk and len(chunk) + 1 + len(line) > BLOCK_TEXT_MAX:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks


def summary_title(n: Notification, language: str) -> str:
    """The heading of a grouped, quiet-hours or digest message."""
    summary: dict[str, Any] = n.extra.get("summary") or {}
    count = int(summary.get("count", 0))
    reason = summary.get("reason")
    mentions = mentions_text(language, count)
    if reason == "quiet":
        return t(language, "quiet_title").format(count=count, mentions=mentions)
    if reason == "digest":  # a weekly one names its week: Slack has no subject line
        return digest_heading(summary, language, grouped=False)
    return t(language, "group_title").format(
        count=count, mentions=mentions, what=summary.get("what", "")
    )


def summary_blocks(n: Notification, language: str) -> tuple[list[Block], str]:
    """One message for many mentions: the first few, then "and N more"; what
    does not fit in one message is counted in mentions (:mod:`.slack_room`)."""
    summary: dict[str, Any] = n.extra.get("summary") or {}
    items: list[dict[str, Any]] = list(summary.get("items") or [])
    count = int(summary.get("count", len(items)))
    title = summary_title(n, language)
    blocks: list[Block] = [header(f"{SEVERITY_EMOJI[n.severity]} {title}")]
    if apart := digest_apart_text(summary, language):
        blocks.append(section(escape_text(apart)))
    if watching := watching_text(summary, language):  # a digest with no mention
        blocks.append(section(escape_text(watching)))
    if days := week_lines(summary, language):  # a weekly digest's 7 days, bars aligned
        bars = escape_mrkdwn("\n".join(days))
        blocks.append(section(f"*{escape_mrkdwn(t(language, 'digest_days'))}*\n```{bars}```"))
    grouped = summary.get("reason") == "group"
    groups = [_group_lines(items, count, language)] if grouped else _brand_lines(summary, language)
    # The summary fits its own lines: cut afterwards, only blocks could be counted.
    used = sum(len(text) for block in blocks for text in _texts(block))
    room = Room(BLOCKS_TEXT_TOTAL - 100 - used, BLOCKS_MAX - len(blocks), BLOCK_TEXT_MAX)
    laid = lay_out(groups, room)
    blocks += [section(text) for text in laid.sections]
    if left_out := left_out_text(laid, language, groups_are_brands=not grouped):
        blocks.append(context(left_out))
    # The fallback text is mrkdwn: a group named after a title must ping nobody.
    return fit(blocks, escape_text(title), language=language)


def _group_lines(items: list[dict[str, Any]], count: int, language: str) -> list[Line]:
    """A grouped message's lines: its first items, then "and N more"."""
    shown = items[:GROUP_SHOWN]
    lines = [Line(_item_line(i, language), 1) for i in shown]
    if count > len(shown):
        lines.append(Line(t(language, "more").format(count=count - len(shown)), count - len(shown)))
    return lines


def _brand_lines(summary: dict[str, Any], language: str) -> list[list[Line]]:
    """Each brand's lines in a digest or quiet-hours summary: its counts, its
    first stories (or items), then "and N more" (mentions)."""
    items: list[dict[str, Any]] = list(summary.get("items") or [])
    groups = []
    by_brand: dict[str, dict[str, int]] = summary.get("by_brand") or {}
    for brand, severities in by_brand.items():
        counts = severity_counts(severities, language, grouped=False)
        mine = [i for i in items if brand in (i.get("brands") or [])]
        lines = [Line(f"*{escape_text(brand)}* — {counts}")]
        if summary.get("reason") == "digest":
            # As the e-mail digest: one line per story, critical first, then by reach.
            shown = stories(mine)[:SUMMARY_SHOWN]
            lines += [Line(_story_line(s, language), int(s["mentions"])) for s in shown]
        else:
            mine.sort(key=lambda i: -Severity[str(i.get("severity", "info"))])
            lines += [Line(_item_line(i, language), 1) for i in mine[:SUMMARY_SHOWN]]
        rest = sum(severities.values()) - sum(line.mentions for line in lines)
        if rest > 0:
            lines.append(Line(t(language, "more").format(count=rest), rest))
        groups.append(lines)
    return groups


def mention(who: str) -> str:
    """``@U0123`` → ``<@U0123>``; a user group ``@S0123`` → ``<!subteam^S0123>``."""
    ident = who.removeprefix("@")
    return f"<!subteam^{ident}>" if ident.startswith("S") else f"<@{ident}>"


def spike_blocks(
    n: Notification, language: str, timezone: str = "Europe/Paris"
) -> tuple[list[Block], str]:
    """The critical alert for a volume spike, mentioning the on-call people.

    Its escalation says where and when the alert first went and links to its
    Slack message, so whoever it is escalated to lands on the thread at once.
    """
    spike: dict[str, Any] = n.extra.get("spike") or {}
    if taken := ack_text(spike, language, timezone):  # a reply in the alert's thread
        return fit([section(taken)], taken, language=language)
    heading = spike_heading(spike, language)
    # The escalation names the on-call people as text (paged_text), never pings them
    # again in front of whoever it is escalated to.
    on_call = [] if spike.get("escalation") else spike.get("escalate_to") or []
    mentions = " ".join(mention(str(who)) for who in on_call)
    paged = escape_mrkdwn(paged_text(spike, language))
    stats = spike_stats(spike, language)
    blocks: list[Block] = [header(heading)]
    original = ""
    if spike.get("escalation"):
        timeout = duration_text(str(spike.get("timeout", "")), language)
        blocks.append(section("⏫ " + t(language, "escalated").format(timeout=timeout)))
        permalink = original_permalink(spike)
        if linkable(permalink):
            original = link(permalink, t(language, "original_link"))
        lines = [paged, escape_mrkdwn(original_text(spike, language, timezone))]
        lines += [f"🔗 {original}"] if original else []
        if any(lines):
            blocks.append(section("\n".join(line for line in lines if line)))
    blocks.append(section(f"{mentions} {escape_mrkdwn(stats)}".strip()))
    if over := calm_text(spike, language, timezone):
        blocks.append(section(escape_mrkdwn(over)))
    for key, pairs in (
        ("top_sources", spike.get("top_sources")),
        ("top_terms", spike.get("top_terms")),
    ):
        if pairs:
            values = ", ".join(f"{escape_text(str(name))} ({count})" for name, count in pairs)
            blocks.append(section(f"*{t(language, key)}*{t(language, 'colon')}{values}"))
    examples = spike.get("examples") or []
    if examples:
        lines = [f"*{t(language, 'examples')}*"] + [_item_line(e, language) for e in examples]
        blocks += _lines_blocks(lines)
    if not spike.get("escalation") and not spike.get("calm"):
        blocks.append(context(t(language, "ack_hint")))
    parts = (escape_text(heading), mentions, escape_mrkdwn(stats), paged, original)
    fallback = " ".join(part for part in parts if part)
    return fit(blocks, fallback, language=language)
