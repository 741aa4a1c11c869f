"""The poller's placeholder check of a round over 1,000 sources, against judging
every source again each round (``placeholder_names``, as rounds did before).

Each round, the poller asks which configured sources still point at a
placeholder (:class:`watchtower.poll_placeholders.PlaceholderSkips`), before it
claims the due ones: judging a source parses its address three times. It now
judges a source again only when a field the verdict reads changes (a reload).

Cases (best of 5 of 20 rounds each, 2 shared cores):

- ``round``: a round with the config unchanged; baseline ``placeholder_names``
  over the same config, measured in the same run. Target: 10x faster.
- ``reload``: the first round after a reload that changed the address of one
  source in ten (new objects for every source, as a reload gives); baseline as
  above. Target: no slower than the baseline.

Both must name the same sources. Run: ``python benchmarks/placeholders.py
[--quick]`` (``--quick``: 300 sources; full: 1,000).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _bench import parse_args, report  # benchmarks/ is the script folder

from watchtower.adapters.base import SourceSettings
from watchtower.config import parse_config
from watchtower.placeholders import placeholder_names
from watchtower.poll_placeholders import PlaceholderSkips

BENCH = "placeholders"
BEST_OF = 5
ROUNDS = 20
MIN_ROUND_RATIO = 10.0
MIN_RELOAD_RATIO = 0.8  # a reload judges every source once, as before: noise only


def _source(k: int, edited: bool) -> str:
    """The TOML of source ``k``: mostly real feeds, some forums and mailboxes, a
    few placeholders (the example's feed, a documentation domain)."""
    at = f"edited{k}" if edited else f"site{k}"
    if k % 50 == 0:
        body = 'kind = "google_alerts"\nurl = "https://www.google.com/alerts/feeds/00000/11111"'
    elif k % 50 == 1:
        body = f'kind = "rss"\nurl = "https://{at}.example.com/rss.xml"'
    elif k % 10 == 2:
        body = f'kind = "discourse"\nbase_url = "https://forum.{at}.fr"'
    elif k % 10 == 3:
        body = (
            f'kind = "imap"\nhost = "imap.{at}.fr"\nusername = "veille@{at}.fr"\n'
            'password_env = "IMAP_PASSWORD"'
        )
    else:
        body = f'kind = "rss"\nurl = "https://www.{at}.fr/feed?lang=fr"'
    return f'[[sources]]\nname = "s{k}"\n{body}\n'


def _config(folder: Path, count: int, edited: int = 0) -> list[SourceSettings]:
    """``count`` sources; with ``edited``, every ``edited``-th one at a new address."""
    text = "".join(_source(k, bool(edited) and k % edited == 5) for k in range(count))
    return parse_config(text, folder / "w.toml").sources


def _best(run: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Best of ``BEST_OF`` of the mean seconds of ``rounds`` calls of ``run``."""
    best = float("inf")
    for _ in range(BEST_OF):
        t = time.perf_counter()
        for _ in range(rounds):
            run()
        best = min(best, (time.perf_counter() - t) / rounds)
    return best


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    count = 300 if args.quick else 1_000
    logging.getLogger("watchtower.poll").setLevel(logging.ERROR)  # its "not polled" lines
    with tempfile.TemporaryDirectory() as folder:
        config = _config(Path(folder), count)
        reloaded = _config(Path(folder), count, edited=10)
    skips = PlaceholderSkips()
    same = skips.names(config) == set(placeholder_names(config))
    baseline = _best(lambda: placeholder_names(config))
    steady = _best(lambda: skips.names(config))
    report(
        BENCH,
        "round",
        value=steady * 1e3,
        unit="ms",
        baseline=baseline * 1e3,
        target=f">= {MIN_ROUND_RATIO:g}x faster than judging every source, the same names",
        ok=same and baseline >= MIN_ROUND_RATIO * steady,
        higher_is_better=False,
        sources=count,
        same=same,
    )

    def reloads() -> None:  # back and forth: each round is the first after a reload
        skips.names(reloaded)
        skips.names(config)

    same = skips.names(reloaded) == set(placeholder_names(reloaded))
    first = _best(reloads, rounds=ROUNDS // 2) / 2
    report(
        BENCH,
        "reload",
        value=first * 1e3,
        unit="ms",
        baseline=baseline * 1e3,
        target=f"no slower than judging every source (ratio >= {MIN_RELOAD_RATIO:g})",
        ok=same and baseline >= MIN_RELOAD_RATIO * first,
        higher_is_better=False,
        sources=count,
        edited=count // 10,
        same=same,
    )


if __name__ == "__main__":
    main()
