"""Memory of the real daemon on local feeds: RSS and USS at start, after the first
poll round, and over a long run (figures of README, "Resources").

Loopback only; not run by ``make test``. Usage::

    .venv/bin/python scripts/memory.py                       # 20 feeds, 200 rounds
    .venv/bin/python scripts/memory.py --feeds 200 --rounds 50 --concurrency 100
    .venv/bin/python scripts/memory.py --imports             # what importing costs

It serves ``--feeds`` RSS feeds on 127.0.0.1 (from this process, so their
memory is not counted); every ``--change`` seconds each publishes a new item,
one in three naming the brand, so every round fetches, parses, matches and
queues (``--change 0``: the same items for ever, each round parsing every feed
whole and finding nothing new: the steady state). ``watchtower run`` polls them
on a temporary SQLite database (``poll_interval`` and ``every`` 1 s;
notifications to the console, discarded).
The daemon's memory is read from ``/proc/PID/status`` (RSS) and
``/proc/PID/smaps_rollup`` (USS: its private pages, what stopping it gives back):

* ``start``: when the first feed request arrives (imports done, database
  migrated, before anything was fetched);
* ``round N``: after the Nth poll round that fetched something (from its log).

Prints one JSON line per sample and a summary; exit status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 20  # items per feed


def memory(pid: int) -> dict[str, Any]:
    """RSS, USS (private pages) and threads of ``pid``, in MiB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        fields[key] = int(value.split()[0])  # kB
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    mib = 1024.0
    return {
        "rss_mib": round(fields["Rss"] / mib, 1),
        "uss_mib": round((fields["Private_Clean"] + fields["Private_Dirty"]) / mib, 1),
        "anon_mib": round(fields["Anonymous"] / mib, 1),
        "threads": int(status["Threads"]),
    }


def stored_items(database: Path) -> int:
    """Items in the database (read-only: the daemon writes it)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


class Feeds:
    """``/N.xml``: a feed whose newest item changes every ``change`` seconds."""

    def __init__(self, count: int, change: float, daemon_pid: list[int]) -> None:
        self.count, self.change, self.started = count, change, time.time()
        self.first_request: dict[str, Any] | None = None
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if feeds.first_request is None and daemon_pid:
                    feeds.first_request = memory(daemon_pid[0])
                n = int(self.path.strip("/").removesuffix(".xml"))
                body = feeds.body(n)
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{n}.xml"

    def body(self, n: int) -> bytes:
        # --change 0: the same items for ever, in a body that still changes (its
        # build date), so each round parses the whole feed and finds nothing new.
        epoch = int((time.time() - self.started) / self.change) if self.change else WINDOW
        built = formatdate(time.time() if not self.change else self.started, usegmt=True)
        items = []
        for e in range(max(0, epoch - WINDOW + 1), epoch + 1):
            about = "Banque Acmé" if (n + e) % 3 == 0 else "la concurrence"
            items.append(
                f"<item><title>{about} : nouvelle {n}-{e}</title>"
                f"<link>https://site{n}.example/a/{e}</link><guid>m-{n}-{e}</guid>"
                f"<pubDate>{formatdate(self.started + e * self.change, usegmt=True)}</pubDate>"
                f"<description>Texte {n} {e} sur {about}, agence {e % 17}.</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Flux {n}</title><link>https://site{n}.example/</link>"
            f"<lastBuildDate>{built}</lastBuildDate>"
            f"<description>m</description>{''.join(items)}</channel></rss>"
        ).encode()


def config(feeds: Feeds, count: int, database: Path, concurrency: int) -> str:
    sources = "".join(
        f'[[sources]]\nname = "flux-{n}"\nkind = "rss"\nurl = "{feeds.url(n)}"\n'
        'every = "1s"\nallow_private = true\n\n'
        for n in range(count)
    )
    return f"""\
[watchtower]
database_url = "sqlite:///{database}"
default_notify = ["console:#veille"]
poll_interval = "1s"
drain_interval = "1s"
concurrency = {concurrency}
per_host_concurrency = 50
backlog = "all"

[[brands]]
name = "Acmé"
terms = ["Banque Acmé"]

{sources}"""


def imports() -> None:
    """RSS after importing what each command needs, one fresh interpreter each."""
    for label, code in [
        ("python", "pass"),
        ("watchtower.cli", "import watchtower.cli"),
        ("watchtower.config", "import watchtower.config"),
        ("daemon modules", "import watchtower.app, watchtower.scheduler, watchtower.reload"),
        ("+ web", "import watchtower.app, watchtower.scheduler, watchtower.reload, watchtower.web"),
    ]:
        probe = (
            f"{code}\nimport sys, json\n"
            "rss = [l for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
            "print(json.dumps({'modules': len(sys.modules), "
            "'rss_mib': round(int(rss.split()[1]) / 1024, 1)}))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        )
        print(json.dumps({"imports": label, **json.loads(out.stdout)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--every", type=int, default=20, help="sample every N rounds")
    parser.add_argument(
        "--change",
        type=float,
        default=3.0,
        help="seconds between new items (0: never a new item, every feed still fetched whole)",
    )
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--imports", action="store_true", help="only measure imports")
    args = parser.parse_args()
    if args.imports:
        imports()
        return 0
    pid: list[int] = []
    feeds = Feeds(args.feeds, args.change, pid)
    with tempfile.TemporaryDirectory(prefix="watchtower-memory-") as folder:
        path = Path(folder) / "watchtower.toml"
        path.write_text(
            config(feeds, args.feeds, Path(folder) / "m.db", args.concurrency), encoding="utf-8"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("SLACK_BOT_TOKEN", None)
        log = open(Path(folder) / "daemon.log", "w+", encoding="utf-8")  # noqa: SIM115
        daemon = subprocess.Popen(
            [sys.executable, "-m", "watchtower", "run", "--config", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
            cwd=folder,
        )
        pid.append(daemon.pid)
        samples = []
        try:
            seen = 0
            while seen < args.rounds:
                time.sleep(0.2)
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited ({daemon.returncode}); see its log")
                log.seek(0)
                rounds = sum(1 for line in log if "poll round" in line and "sources=0" not in line)
                if rounds > seen and (rounds == 1 or rounds // args.every > seen // args.every):
                    sample = {
                        "at": f"round {rounds}",
                        **memory(daemon.pid),
                        "items": stored_items(Path(folder) / "m.db"),
                    }
                    samples.append(sample)
                    print(json.dumps(sample), flush=True)
                seen = rounds
        finally:
            daemon.terminate()
            daemon.wait(30)
            feeds.httpd.shutdown()
        start = {"at": "start", **(feeds.first_request or {})}
        print(json.dumps(start))
        size = (Path(folder) / "m.db").stat().st_size
        print(
            json.dumps(
                {
                    "feeds": args.feeds,
                    "concurrency": args.concurrency,
                    "start_rss_mib": start.get("rss_mib"),
                    "first_round_rss_mib": samples[0]["rss_mib"] if samples else None,
                    "last_rss_mib": samples[-1]["rss_mib"] if samples else None,
                    "database_mib": round(size / 1048576, 1),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
