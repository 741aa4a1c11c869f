"""Deterministic, single-threaded first-poll driver for instruction counts.

Parses and records ``--feeds`` of benchmarks/poll.py's synthetic feeds (no HTTP)
into a fresh SQLite file, through the tree's own ``App.start()`` (its own
migrations) and ``Poller._record_success`` (transaction, run_batch, source
update, commit, metrics, log), as the real first poll does per feed.

Run it with ``scripts/instructions/run.sh`` (callgrind, markers from cgmark.so):

    valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
        python -P driver.py --tree TREE --feeds 300 [--split]

Phases (each a callgrind dump, named): ``parse`` (parse_feed of every feed),
``record`` (every _record_success); with ``--split``, only ``run_batch`` is
collected during the record phase (dump ``run_batch``).
Outside valgrind the markers are no-ops; the driver prints thread-time figures.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import random
import sys
import tempfile
import time
import types
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = ctypes.CDLL(str(HERE / "cgmark.so"))
MARK.cg_dump.argtypes = [ctypes.c_char_p]

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WARMUP = 30


def load_bench(tree: Path) -> types.ModuleType:
    """The tree's own benchmarks/poll.py (feed generator, config text)."""
    sys.path.insert(0, str(tree / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_poll", tree / "benchmarks" / "poll.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--split", action="store_true")
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    import watchtower

    assert Path(watchtower.__file__).resolve().is_relative_to(tree), watchtower.__file__
    print("watchtower:", watchtower.__file__, file=sys.stderr)

    import watchtower.poll_timing as poll_timing
    from watchtower.adapters._feed import parse_feed
    from watchtower.adapters.base import FetchResult
    from watchtower.app import App
    from watchtower.config import parse_config
    from watchtower.poll_outcome import PollStats
    from watchtower.storage.queries import LEASE, claim_due_sources

    # The module calling run_batch (``--split`` wraps it): watchtower.poll in
    # trees from before the outcome recording moved to watchtower.poll_record.
    split_out = (tree / "watchtower" / "poll_record.py").exists()
    poll_module = importlib.import_module(
        "watchtower.poll_record" if split_out else "watchtower.poll"
    )

    # Jitter from a seeded generator: the same values every run.
    seeded = random.Random(1)
    poll_timing.random = types.SimpleNamespace(Random=lambda: seeded)  # type: ignore[assignment]

    bench = load_bench(tree)
    total = WARMUP + args.feeds
    urls = [f"http://127.0.0.2:8080/feeds/{f}.xml" for f in range(total)]
    bodies = [bench.feed_body(f) for f in range(total)]
    with tempfile.TemporaryDirectory(prefix="wt-perf-") as tmp:
        path = Path(tmp) / "watchtower.toml"
        path.write_text(
            bench.config_text(f"sqlite:///{Path(tmp) / 'watchtower.db'}", urls), encoding="utf-8"
        )
        app = App(parse_config(path.read_text(encoding="utf-8"), path), clock=lambda: NOW)
        app.start()  # migrations, language model
        try:
            with app.db.writing() as session:
                claims = claim_due_sources(session, NOW, LEASE, total, all_sources=True)
            by_name = {c.name: c for c in claims}
            order = [by_name[f"feed-{f}"] for f in range(total)]
            stats = PollStats()
            poller = app.poller

            def record(claim, items) -> None:  # type: ignore[no-untyped-def]
                settings = app.source_settings(claim.name)
                result = FetchResult(items, etag=f'"feed-{claim.name}-v1"')
                poller._record_success(claim, settings, result, stats)

            for f in range(WARMUP):
                record(order[f], parse_feed(bodies[f], url=urls[f]).items)

            measured = range(WARMUP, total)
            if args.split:
                real = poll_module.run_batch

                def run_batch(*a, **k):  # type: ignore[no-untyped-def]
                    MARK.cg_toggle()
                    try:
                        return real(*a, **k)
                    finally:
                        MARK.cg_toggle()

                poll_module.run_batch = run_batch
            MARK.cg_instr_start()
            MARK.cg_zero()
            t0 = time.thread_time()
            if not args.split:
                MARK.cg_toggle()
            parsed = [parse_feed(bodies[f], url=urls[f]).items for f in measured]
            t1 = time.thread_time()
            MARK.cg_dump(b"parse")
            for f, items in zip(measured, parsed, strict=True):
                record(order[f], items)
            t2 = time.thread_time()
            MARK.cg_dump(b"run_batch" if args.split else b"record")
            if not args.split:
                MARK.cg_toggle()
            n = args.feeds
            print(
                f"feeds={n} parse_ms={(t1 - t0) * 1000 / n:.3f} "
                f"record_ms={(t2 - t1) * 1000 / n:.3f} new_items={stats.new_items} "
                f"mentions={stats.mentions}",
                file=sys.stderr,
            )
        finally:
            app.close()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
