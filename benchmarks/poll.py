"""One poll round over 1,000 local feeds against a plain concurrent fetch of the same URLs.

A feed server runs in its own process (its CPU is not counted): stdlib asyncio,
HTTP/1.1 keep-alive, each feed answering after its own fixed latency of 50-500
ms, a small RSS 2.0 document (10 items, a few mentioning the brand, a few
syndicated across feeds) with an ETag, and 304 to a matching If-None-Match.
Feeds are spread round-robin over 250 loopback addresses (127.0.0.2...), as
1,000 real feeds live on many hosts; watchtower's per-host limit and politeness
delay keep their defaults.

Cases, each best of 3 (2 shared cores):

- ``first``: watchtower's real poll path, ``App(loaded).poller.poll(all_sources=True)``
  on a fresh SQLite database (1,000 ``rss`` sources, ``concurrency = 100``):
  fetch, parse, store, dedup, match, outbox.
- ``conditional``: the next round on the same database: every feed answers 304.

The floor, measured in the same run right before each poll: the same GETs (with
If-None-Match for the conditional case) through one ``httpx.Client`` from a
100-thread pool, bodies read and dropped. Wall time: target poll <= 1.5x floor
(``ratio`` = floor/poll, ok when >= 1/1.5). CPU: process CPU time of the poll
over the feed count, target <= 2 ms per feed (baseline: the floor's CPU per feed).
Run: ``python benchmarks/poll.py [--quick] [--profile FILE]`` (``--quick``: 200 feeds;
``--profile``: after the measured rounds, one more first poll with each poll thread
under cProfile counting thread CPU time, the stats written to FILE for ``pstats``
and the top of them printed on stderr; the JSON lines are those of a run without it). With
``WATCHTOWER_BENCH_DATABASE_URL=postgresql://…`` the poll runs on PostgreSQL instead,
in a fresh schema per round (the default connection pool against 100 poll threads).
"""

from __future__ import annotations

import asyncio
import cProfile
import multiprocessing
import multiprocessing.connection
import os
import pstats
import random
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import sqlalchemy
from _bench import parse_args, report  # benchmarks/ is the script folder

from watchtower.app import App
from watchtower.config import parse_config

BENCH = "poll"
MAX_HOSTS = 250
ITEMS_PER_FEED = 10
CONCURRENCY = 100
MAX_WALL_RATIO = 1.5
MAX_CPU_MS = 2.0
ROUNDS = 3
PG_SCHEMA = "wt_poll_bench"
DATABASE = (
    "postgresql"
    if os.environ.get("WATCHTOWER_BENCH_DATABASE_URL", "").startswith("postgresql")
    else "sqlite"
)
SYLLABLES = "ba co di fu ga lo mi ne pa ri su ta ve zo an et on ré ci pou".split(" ")  # noqa: SIM905
WORDS = list(
    dict.fromkeys("".join(random.Random(k).choices(SYLLABLES, k=2 + k % 3)) for k in range(6_000))
)


def host_of(feed: int, hosts: int) -> str:
    return f"127.0.{(feed % hosts + 2) // 256}.{(feed % hosts + 2) % 256}"


def latency_of(feed: int) -> float:
    """A fixed latency per feed, spread evenly over 50-500 ms."""
    return 0.050 + (feed * 7_919 % 451) / 1000


def feed_body(feed: int) -> bytes:
    """A small RSS 2.0 feed; 1 item in 25 names the brand, 1 in 20 is syndicated
    (same link and text on many feeds: one story)."""
    base = datetime(2026, 3, 1, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Forum {feed}</title><link>https://forum{feed}.example.fr/</link>",
        "<description>Discussions</description>",
    ]
    for i in range(ITEMS_PER_FEED):
        n = feed * ITEMS_PER_FEED + i
        if n % 20 == 7:  # the same article syndicated by many sites
            rng = random.Random(-(n % 60) - 1)
            key, link = f"shared-{n % 60}", f"https://news.example.fr/{n % 60}"
        else:
            rng = random.Random(n)
            key, link = f"f{feed}-{i}", f"https://forum{feed}.example.fr/t/{i}"
        title = " ".join(rng.choices(WORDS, k=7)).capitalize()
        body = " ".join(rng.choices(WORDS, k=60))
        if n % 25 == 3:
            body = f"La Banque Acmé a encore perdu mon dossier, {body}"
        published = format_datetime(base - timedelta(minutes=37 * n))
        parts.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="false">{key}-{feed}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<description>{escape('<p>' + body + '</p>')}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def etag_of(feed: int) -> str:
    return f'"feed-{feed}-v1"'


async def _serve(
    feeds: int, hosts: int, port: int, ready: multiprocessing.connection.Connection
) -> None:
    bodies = [feed_body(f) for f in range(feeds)]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                feed = int(path.rsplit("/", 1)[-1].split(".")[0])
                await asyncio.sleep(latency_of(feed))
                etag = etag_of(feed)
                if headers.get("if-none-match") == etag:
                    status, body = "304 Not Modified", b""
                else:
                    status, body = "200 OK", bodies[feed]
                writer.write(
                    (
                        f"HTTP/1.1 {status}\r\nContent-Type: application/rss+xml\r\n"
                        f"ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = [
        await asyncio.start_server(handle, host_of(h, hosts), port, backlog=1024)
        for h in range(hosts)
    ]
    ready.send("ready")
    await asyncio.gather(*(s.serve_forever() for s in servers))


def serve(feeds: int, hosts: int, port: int, ready: multiprocessing.connection.Connection) -> None:
    asyncio.run(_serve(feeds, hosts, port, ready))


def free_port(hosts: int) -> int:
    """A port free on the first and last loopback address used."""
    with socket.socket() as s:
        s.bind((host_of(0, hosts), 0))
        port: int = s.getsockname()[1]
    with socket.socket() as s:
        s.bind((host_of(hosts - 1, hosts), port))
    return port


def url_of(feed: int, hosts: int, port: int) -> str:
    return f"http://{host_of(feed, hosts)}:{port}/feeds/{feed}.xml"


def config_text(database: str, urls: list[str]) -> str:
    lines = [
        "[watchtower]",
        f'database_url = "{database}"',
        f"concurrency = {CONCURRENCY}",
        'backlog = "all"  # every item is matched and queued: the worst first poll',
        "",
        "[[brands]]",
        'name = "Acmé"',
        'terms = ["Acmé", "Banque Acmé"]',
    ]
    for i, url in enumerate(urls):
        lines += [
            "",
            "[[sources]]",
            f'name = "feed-{i}"',
            'kind = "rss"',
            f'url = "{url}"',
            'every = "10m"',
            "allow_private = true",
        ]
    return "\n".join(lines) + "\n"


def floor(urls: list[str], *, conditional: bool) -> tuple[float, float]:
    """Wall and CPU seconds of a plain 100-way concurrent fetch of ``urls``."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    with httpx.Client(limits=limits, timeout=30) as client:

        def fetch(pair: tuple[int, str]) -> int:
            feed, url = pair
            headers = {"If-None-Match": etag_of(feed)} if conditional else {}
            response = client.get(url, headers=headers)
            expected = 304 if conditional else 200
            if response.status_code != expected:
                raise RuntimeError(f"{url}: {response.status_code}")
            return len(response.content)

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            wall, cpu = time.perf_counter(), time.process_time()
            list(pool.map(fetch, enumerate(urls)))
            return time.perf_counter() - wall, time.process_time() - cpu


def timed(poll: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    stats = poll()
    return time.perf_counter() - wall, time.process_time() - cpu, stats


def one_round(urls: list[str], workdir: Path) -> dict[str, tuple[float, float, float, float]]:
    """Floor and poll, first then conditional, on a fresh database."""
    config = workdir / "watchtower.toml"
    for path in workdir.glob("watchtower.db*"):
        path.unlink()
    config.write_text(config_text(fresh_database(workdir), urls), encoding="utf-8")
    app = App(parse_config(config.read_text(encoding="utf-8"), config))
    results: dict[str, tuple[float, float, float, float]] = {}
    try:
        app.start()
        for case, conditional in (("first", False), ("conditional", True)):
            floor_wall, floor_cpu = floor(urls, conditional=conditional)
            wall, cpu, stats = timed(lambda: app.poller.poll(all_sources=True))
            check(case, stats, len(urls))
            results[case] = (floor_wall, floor_cpu, wall, cpu)
    finally:
        app.close()
    return results


def fresh_database(workdir: Path) -> str:
    """An empty database: a SQLite file, or a new PostgreSQL schema when asked."""
    url = os.environ.get("WATCHTOWER_BENCH_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{workdir / 'watchtower.db'}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def check(case: str, stats: object, feeds: int) -> None:
    ok = getattr(stats, "ok", 0)
    not_modified = getattr(stats, "not_modified", 0)
    errors = getattr(stats, "errors", {})
    expected_304 = feeds if case == "conditional" else 0
    if ok != feeds or not_modified != expected_304:
        raise RuntimeError(f"{case}: {ok}/{feeds} ok, {not_modified} not modified, {errors}")
    if case == "first" and getattr(stats, "mentions", 0) == 0:
        raise RuntimeError("first poll found no mention")


def profile_target() -> Path | None:
    """``--profile FILE`` taken out of ``sys.argv`` (the shared parser knows only ``--quick``)."""
    if "--profile" not in sys.argv:
        return None
    at = sys.argv.index("--profile")
    if at + 1 >= len(sys.argv):
        raise SystemExit("--profile needs a file name")
    target = Path(sys.argv[at + 1])
    del sys.argv[at : at + 2]
    return target


def profiled_first_poll(urls: list[str], workdir: Path, target: Path) -> None:
    """One more first poll, every thread it starts (the poll workers, made at the
    first poll of an app) and the calling one profiled by thread CPU time;
    cProfile follows one thread, so each gets its own profiler, merged at the end."""
    config = workdir / "watchtower.toml"
    for path in workdir.glob("watchtower.db*"):
        path.unlink()
    config.write_text(config_text(fresh_database(workdir), urls), encoding="utf-8")
    app = App(parse_config(config.read_text(encoding="utf-8"), config))
    profiles: list[cProfile.Profile] = []

    def start(*_: object) -> None:  # the first event of a new thread: hand it its profiler
        profiler = cProfile.Profile(time.thread_time_ns, 1e-9)
        profiles.append(profiler)
        profiler.enable()

    try:
        app.start()
        floor(urls, conditional=False)  # the same warm-up as a measured round
        threading.setprofile(start)
        caller = cProfile.Profile(time.thread_time_ns, 1e-9)
        caller.enable()
        try:
            check("first", app.poller.poll(all_sources=True), len(urls))
        finally:
            caller.disable()
            threading.setprofile(None)
    finally:
        app.close()  # the workers end: their profilers are read once they are idle
    stats = pstats.Stats(caller, stream=sys.stderr)
    for profiler in profiles:
        stats.add(profiler)
    stats.dump_stats(target)
    print(f"profile of one first poll (thread CPU time) written to {target}", file=sys.stderr)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    target = profile_target()
    args = parse_args(__doc__.splitlines()[0] if __doc__ else BENCH)
    feeds = 200 if args.quick else 1_000
    hosts = min(MAX_HOSTS, feeds)
    port = free_port(hosts)
    urls = [url_of(f, hosts, port) for f in range(feeds)]
    spawn = multiprocessing.get_context("spawn")
    ready, child_end = spawn.Pipe(duplex=False)
    server = spawn.Process(target=serve, args=(feeds, hosts, port, child_end), daemon=True)
    server.start()
    try:
        if not ready.poll(60):
            raise RuntimeError("the feed server did not start")
        ready.recv()
        best: dict[str, tuple[float, float, float, float]] = {}
        with tempfile.TemporaryDirectory(prefix="wt-poll-") as tmp:
            for _ in range(ROUNDS):
                for case, result in one_round(urls, Path(tmp)).items():
                    old = best.get(case)
                    best[case] = (
                        result
                        if old is None
                        else (
                            min(old[0], result[0]),
                            min(old[1], result[1]),
                            min(old[2], result[2]),
                            min(old[3], result[3]),
                        )
                    )
            if target is not None:
                profiled_first_poll(urls, Path(tmp), target)
        for case in ("first", "conditional"):
            floor_wall, floor_cpu, wall, cpu = best[case]
            report(
                BENCH,
                f"{case} wall",
                value=wall,
                unit="s",
                baseline=floor_wall,
                target=f"<= {MAX_WALL_RATIO}x floor (ratio >= {1 / MAX_WALL_RATIO:.3f})",
                ok=wall <= MAX_WALL_RATIO * floor_wall,
                higher_is_better=False,
                feeds=feeds,
                hosts=hosts,
                concurrency=CONCURRENCY,
                database=DATABASE,
            )
            per_feed, floor_per_feed = cpu * 1000 / feeds, floor_cpu * 1000 / feeds
            report(
                BENCH,
                f"{case} cpu per feed",
                value=per_feed,
                unit="ms",
                baseline=floor_per_feed,
                target=f"<= {MAX_CPU_MS:g} ms CPU per feed",
                ok=per_feed <= MAX_CPU_MS,
                higher_is_better=False,
                feeds=feeds,
                database=DATABASE,
            )
    finally:
        server.terminate()
        server.join(10)


if __name__ == "__main__":
    main()
