"""Soak at scale: run the real daemon for a while against local servers, as an operator would,
and sample its resources (RSS, fds, threads, CPU, database size, /livez). `scripts/soak.py`
is the chaos soak (kills, flaky feeds and targets, exactly-once checks).

Loopback only. Not run by ``make test``. Usage::

    .venv/bin/python scripts/soak_scale.py --minutes 25 --out /tmp/soak-sqlite
    .venv/bin/python scripts/soak_scale.py --minutes 12 --out /tmp/soak-pg \\
        --database-url 'postgresql://postgres@127.0.0.1:5432/soak'

What it starts (all on 127.0.0.1):

* a feed server with ``--feeds`` RSS feeds (150). Every ``--change`` seconds most
  feeds publish a new item (one in three names the brand, some say "arnaque")
  and edit the previous one's title; one feed in ten never changes (304s); a
  few answer 500, one hangs longer than ``request_timeout``, one is malformed
  XML, one answers after 6 s;
* the fake Slack Web API of ``tests/servers/slack.py``, in a child process of its
  own (so that it can be stopped and started again on the same port); it keeps
  its messages in ``slack.json`` across restarts;
* aiosmtpd (``tests/servers/smtp.py``) for the e-mail targets;
* ``watchtower run`` with ``[watchtower] http`` set, ``every`` = ``--every``.

The timeline (fractions of ``--minutes``): a good config edit + SIGHUP (0.12),
a broken one + SIGHUP (0.20), the fix + SIGHUP (0.24), ``kill -9`` mid-round and
a restart (0.32), Slack stopped for 60 s (0.44), on PostgreSQL the daemon's
connections terminated with ``pg_terminate_backend`` (0.60); then the feeds stop
changing (0.80: the idle phase, whose CPU is measured), the outbox drains, and
SIGTERM. Every 5 s it samples the daemon's RSS, open fds, threads, CPU, the
database size and the log; ``/livez`` and ``/readyz`` are asked each sample.

At the end it checks exactly-once delivery (each Slack outbox row marked sent is
in Slack exactly once, no Slack message twice, nothing left pending) and writes
``report.json`` and ``samples.csv`` into ``--out`` (plus ``daemon.log``,
``status-*.txt``, ``metrics.txt``). Exit status 0 when the checks pass.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "xoxb-soak-token"
HANG_SECONDS = 40.0  # the hanging feed: longer than request_timeout
SLOW_SECONDS = 6.0
HOSTS = 10  # web sites (127.0.0.1 … 127.0.0.10)
WORDS = (  # noqa: SIM905 - a word list reads better as text
    "banque agence conseiller crédit appli frais tarif ville client compte "
    "carte virement prêt épargne assurance guichet service attente "
    "remboursement offre taux livret découvert chèque retrait distributeur "
    "mobile paiement sécurité fraude litige réclamation médiateur contrat "
    "résiliation ouverture fermeture horaires parking accueil courrier "
    "relevé plafond option cotisation dossier immobilier étudiant retraite "
    "entreprise professionnel association "
).split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------- feeds
class FeedFarm:
    """``/feed/N.xml`` for N in range(count); content moves with ``epoch``."""

    WINDOW = 15  # items per feed

    def __init__(self, count: int, change_every: float) -> None:
        self.count = count
        self.change_every = change_every
        self.started = time.time()
        self.frozen_epoch: int | None = None
        self.requests: collections.Counter[int] = collections.Counter()
        self.failing = {7, 23, 71}  # 500
        self.hanging, self.malformed, self.slow = 41, 97, 113
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                match = re.fullmatch(r"/feed/(\d+)\.xml", self.path)
                if match is None:
                    return self._send(404, b"not found", {})
                n = int(match.group(1))
                farm.requests[n] += 1
                if n in farm.failing:
                    return self._send(500, b"boom", {})
                if n == farm.hanging:
                    time.sleep(HANG_SECONDS)
                if n == farm.slow:
                    time.sleep(SLOW_SECONDS)
                body = farm.body(n)
                etag = '"%x"' % (hash(body) & 0xFFFFFFFF)
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", {"ETag": etag})
                self._send(200, body, {"ETag": etag, "Content-Type": "application/rss+xml"})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)

        # Several loopback addresses, one web site each: sources spread over
        # HOSTS sites as in real life (per_host_concurrency applies per site).
        self.servers = []
        for host in range(HOSTS):
            httpd = ThreadingHTTPServer((f"127.0.0.{host + 1}", 0), Handler)
            httpd.daemon_threads = True
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            self.servers.append(httpd)

    def url(self, n: int) -> str:
        host, port = self.servers[n % HOSTS].server_address[:2]
        return f"http://{host}:{port}/feed/{n}.xml"

    def stop(self) -> None:
        for httpd in self.servers:
            httpd.shutdown()
            httpd.server_close()

    def epoch(self) -> int:
        if self.frozen_epoch is not None:
            return self.frozen_epoch
        return int((time.time() - self.started) / self.change_every)

    def body(self, n: int) -> bytes:
        if n == self.malformed:
            return b"<rss><channel><item><title>Acm\xc3\xa9 <b>cass\xc3\xa9</channel"
        epoch = 0 if n % 10 == 0 else self.epoch()  # one in ten never changes
        items = []
        for e in range(max(0, epoch - self.WINDOW + 1), epoch + 1):
            items.append(self.item(n, e, edited=(e == epoch - 1 and n % 7 == 0)))
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Flux {n}</title><link>https://site{n}.example/</link>"
            f"<description>soak</description>{''.join(items)}</channel></rss>"
        ).encode()

    def item(self, n: int, e: int, *, edited: bool) -> str:
        # Different words per item: near-duplicate detection must not fold the
        # whole farm into one story (then nearly every row is a counter update).
        seed = (n * 7919 + e * 104729) & 0xFFFFFFFF
        picked = []
        for _ in range(6):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            picked.append(WORDS[seed % len(WORDS)])
        topic = " ".join(picked)
        if (n + e) % 3 == 0:
            brand = "l'Acmé" if (n + e) % 2 else "Banque Acmé"
            extra = " une arnaque ?" if (n + e) % 11 == 0 else ""
            title = f"{brand} {topic} sujet {n}-{e}{extra}"
        else:
            title = f"Actualité {topic} numéro {n}-{e}"
        if edited:
            title += " (mis à jour)"
        published = formatdate(self.started + e * self.change_every, usegmt=True)
        return (
            f"<item><title>{title}</title><link>https://site{n}.example/a/{e}</link>"
            f"<guid>soak-{n}-{e}</guid><pubDate>{published}</pubDate>"
            f"<description>Texte {n} {e} {topic}.</description></item>"
        )


# ----------------------------------------------------------------- slack
def slack_main(port: int, store: Path) -> None:
    """The fake Slack API on a fixed port; messages kept in ``store`` across restarts."""
    from tests.servers.slack import FakeSlack

    fake = FakeSlack(token=TOKEN)
    if store.exists():  # a restart: same messages, same channel ids
        kept = json.loads(store.read_text())
        fake.messages.extend(kept["messages"])
        fake._channels.update(kept["channels"])
        fake._ids = itertools.count(len(fake._channels) + len(fake.messages) + 1)
        fake._ts = len(fake.messages) + 1
    handler = fake.httpd.RequestHandlerClass
    fake.httpd.server_close()
    fake.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    fake.httpd.daemon_threads = True
    fake.thread = threading.Thread(target=fake.httpd.serve_forever, daemon=True)
    fake.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def dump() -> None:
        with fake._lock:
            data = json.dumps(
                {"messages": list(fake.messages), "channels": dict(fake._channels)}, default=str
            )
        tmp = store.with_suffix(".tmp")
        tmp.write_text(data)
        tmp.replace(store)

    while not stop.wait(1.0):
        dump()
    fake.stop()
    dump()


class SlackProcess:
    def __init__(self, out: Path) -> None:
        self.port = free_port()
        self.store = out / "slack.json"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "slack", str(self.port), str(self.store)]
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.1)
        raise RuntimeError("the fake Slack did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
            self.proc = None

    def messages(self) -> list[dict[str, Any]]:
        if not self.store.exists():
            return []
        return list(json.loads(self.store.read_text())["messages"])


# ---------------------------------------------------------------- config
def config_text(
    args: argparse.Namespace, farm: FeedFarm, slack: SlackProcess, smtp_port: int, http: str
) -> str:
    head = f"""[watchtower]
database_url = "{args.database_url}"
backlog = "all"
http = "{http}"
poll_interval = "5s"
drain_interval = "2s"
request_timeout = "10s"
concurrency = 20
ops_notify = ["slack:#ops"]
delivery_lease = "30s"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"
timeout = "5s"

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
starttls = false
from = "veille@example.fr"

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque OR escroquerie"
severity = "critical"
notify = ["slack:#crise", "email:dircom@example.fr"]
"""
    sources = "".join(
        f'\n[[sources]]\nname = "flux-{n:03d}"\nkind = "rss"\n'
        f'url = "{farm.url(n)}"\nevery = "{args.every}s"\nallow_private = true\n'
        for n in range(farm.count)
    )
    return head + sources


# ------------------------------------------------------------ the daemon
class Daemon:
    def __init__(self, config: Path, log: Path, http: str) -> None:
        self.config, self.log, self.http = config, log, http
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ, SLACK_BOT_TOKEN=TOKEN, PYTHONPATH=str(ROOT))
        env.pop("WATCHTOWER_DATABASE_URL", None)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "watchtower", "run", "--config", str(self.config)],
                env=env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def get(self, route: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.http}/{route}", timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            return 0, str(exc)


def proc_figures(pid: int) -> dict[str, Any]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss_kib": rss, "threads": threads, "cpu_seconds": cpu, "fds": fds}


def database_size(url: str) -> int:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    import sqlalchemy

    from watchtower.storage.engines import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sqlalchemy.text("SELECT pg_database_size(current_database())")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def query(url: str, sql: str) -> list[Any]:
    import sqlalchemy

    from watchtower.storage.engines import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.text(sql)))
    finally:
        engine.dispose()


def count_rounds(log: Path) -> int:
    with log.open(errors="replace") as f:
        return sum(1 for line in f if " poll round " in line)


# ------------------------------------------------------------ the scenario
def run(args: argparse.Namespace) -> int:
    from tests.servers.smtp import SmtpServer

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in ("daemon.log", "slack.json"):
        (out / old).unlink(missing_ok=True)
    if args.database_url is None:
        args.database_url = f"sqlite:///{out / 'watchtower.db'}"
        for old in out.glob("watchtower.db*"):
            old.unlink()
    total = args.minutes * 60.0
    farm = FeedFarm(args.feeds, args.change)
    slack = SlackProcess(out)
    slack.start()
    smtp = SmtpServer().start()
    http = f"127.0.0.1:{free_port()}"
    config = out / "watchtower.toml"
    good = config_text(args, farm, slack, smtp.port, http)
    config.write_text(good)
    daemon = Daemon(config, out / "daemon.log", http)
    events: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    begun = time.monotonic()

    def note(event: str, **fields: Any) -> None:
        entry = {"t": round(time.monotonic() - begun, 1), "event": event, **fields}
        events.append(entry)
        print(json.dumps(entry), flush=True)

    def sighup() -> None:
        os.kill(daemon.pid, signal.SIGHUP)

    def edit_good() -> None:
        config.write_text(
            good.replace(
                'terms = ["Acmé", "Banque Acmé"]', 'terms = ["Acmé", "Banque Acmé", "acme.fr"]'
            )
        )
        sighup()

    def edit_broken() -> None:
        config.write_text(good.replace('severity = "critical"', 'sevrity = "critical"'))
        sighup()

    def edit_fixed() -> None:
        config.write_text(good)
        sighup()

    def kill9() -> None:
        os.kill(daemon.pid, signal.SIGKILL)
        assert daemon.proc is not None
        daemon.proc.wait()
        killed = time.monotonic()
        rounds = count_rounds(daemon.log)
        daemon.start()
        while count_rounds(daemon.log) == rounds and time.monotonic() - killed < 120:
            time.sleep(0.5)
        note("first round after kill -9", seconds=round(time.monotonic() - killed, 1))

    def slack_down() -> None:
        slack.stop()
        time.sleep(60)
        slack.start()

    def terminate_pg() -> None:
        sql = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{args.database_url.rsplit('/', 1)[1].split('?')[0]}' "
            "AND pid <> pg_backend_pid()"
        )
        rows = query(args.pg_admin_url, sql)
        note("pg_terminate_backend", connections=len(rows))
        # Then, for 15 s, every connection caught in the middle of a query.
        active, until = 0, time.monotonic() + 15
        while time.monotonic() < until:
            active += len(
                query(args.pg_admin_url, sql.replace("AND pid", "AND state <> 'idle' AND pid"))
            )
            time.sleep(0.05)
        note("pg_terminate_backend mid-query", connections=active)

    timeline: list[tuple[float, str, Any]] = [
        (0.12, "SIGHUP good edit", edit_good),
        (0.20, "SIGHUP broken edit", edit_broken),
        (0.24, "SIGHUP fixed", edit_fixed),
        (0.32, "kill -9", kill9),
        (0.44, "slack down 60s", slack_down),
    ]
    if args.database_url.startswith("postgresql"):
        timeline.append((0.60, "pg_terminate_backend", terminate_pg))
    timeline.append(
        (0.80, "feeds frozen (idle phase)", lambda: setattr(farm, "frozen_epoch", farm.epoch()))
    )
    timeline.sort(key=lambda entry: entry[0])

    def sampler(stop: threading.Event) -> None:
        writer_rows = samples
        while not stop.wait(5.0):
            proc = daemon.proc
            if proc is None or proc.poll() is not None:
                continue
            try:
                figures = proc_figures(proc.pid)
            except (OSError, AttributeError):
                continue
            live, _ = daemon.get("livez")
            ready, _ = daemon.get("readyz")
            with contextlib.suppress(Exception):
                figures["db_bytes"] = database_size(args.database_url)
            with daemon.log.open(errors="replace") as f:
                lines = f.readlines()
            figures.update(
                t=round(time.monotonic() - begun, 1),
                pid=proc.pid,
                rounds=sum(1 for line in lines if " poll round " in line),
                log_lines=len(lines),
                log_bytes=daemon.log.stat().st_size,
                livez=live,
                readyz=ready,
            )
            writer_rows.append(figures)

    daemon.start()
    note("daemon started", pid=daemon.pid)
    stop_sampling = threading.Event()
    sampling = threading.Thread(target=sampler, args=(stop_sampling,), daemon=True)
    sampling.start()
    try:
        for at, name, action in timeline:
            wait = begun + at * total - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            note(name)
            action()
            if name == "SIGHUP fixed":
                status(out, config, "status-mid.txt")
        time.sleep(max(0.0, begun + total - time.monotonic()))
        idle = [s for s in samples if s["t"] >= 0.85 * total and s["pid"] == daemon.pid]
        if len(idle) >= 2:
            span = idle[-1]["t"] - idle[0]["t"]
            note(
                "idle cpu",
                percent=round(100 * (idle[-1]["cpu_seconds"] - idle[0]["cpu_seconds"]) / span, 2),
            )
        drained = wait_drained(args.database_url, 120)
        note("outbox drained", drained=drained)
        (out / "metrics.txt").write_text(daemon.get("metrics")[1])
        status(out, config, "status-end.txt")
        began_stop = time.monotonic()
        os.kill(daemon.pid, signal.SIGTERM)
        assert daemon.proc is not None
        code = daemon.proc.wait(100)
        note("SIGTERM", seconds=round(time.monotonic() - began_stop, 2), exit_code=code)
    finally:
        stop_sampling.set()
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
        slack.stop()
        smtp.stop()
        farm.stop()
    report = check(args, out, slack, smtp, samples, events)
    with (out / "samples.csv").open("w", newline="") as f:
        if samples:
            writer = csv.DictWriter(f, fieldnames=sorted({k for s in samples for k in s}))
            writer.writeheader()
            writer.writerows(samples)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report["summary"], indent=2, ensure_ascii=False))
    return 0 if report["summary"]["exactly_once"] else 1


def status(out: Path, config: Path, name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "watchtower", "status", "--config", str(config)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=60,
    )
    (out / name).write_text(result.stdout + result.stderr + f"\nexit {result.returncode}\n")


def wait_drained(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            waiting = query(
                url, "SELECT count(*) FROM outbox WHERE status IN ('pending','sending')"
            )
            if waiting[0][0] == 0:
                return True
        time.sleep(2)
    return False


def check(
    args: argparse.Namespace,
    out: Path,
    slack: SlackProcess,
    smtp: Any,
    samples: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    messages = slack.messages()
    posted = collections.Counter(
        str((m.get("metadata") or {}).get("event_payload", {}).get("outbox_id"))
        for m in messages
        if m.get("metadata")
    )
    rows = query(args.database_url, "SELECT id, target, status FROM outbox")
    slack_sent = {
        str(i) for i, target, state in rows if target.startswith("slack:") and state == "sent"
    }
    by_status = collections.Counter(state for _, _, state in rows)
    duplicates = {k: v for k, v in posted.items() if v > 1}
    # A later sighting of a story may only update its counter (chat.update of
    # the story's message): sent, with that message's ts as provider id.
    timestamps = {str(m.get("ts")) for m in messages}
    provider = {
        str(i): str(p)
        for i, p in query(args.database_url, "SELECT id, provider_message_id FROM outbox")
    }
    missing = sorted(
        (i for i in slack_sent - set(posted) if provider.get(i) not in timestamps), key=int
    )
    unknown = sorted(set(posted) - slack_sent, key=int)
    lines = (out / "daemon.log").read_text(errors="replace").splitlines()
    levels = collections.Counter(line.split(" ", 3)[1] for line in lines if line[:2] == "20")
    events_by_text = collections.Counter(
        " ".join(line.split(" ")[3:]).split("=")[0].rsplit(" ", 1)[0]
        for line in lines
        if line[:2] == "20"
    )
    rounds = [s for s in samples if s.get("rounds")]

    def at_round(n: int) -> dict[str, Any] | None:
        return next((s for s in rounds if s["rounds"] >= n), None)

    summary = {
        "minutes": args.minutes,
        "database": args.database_url.split(":", 1)[0],
        "rounds": count_rounds(out / "daemon.log"),
        "rss_kib_round_1_10_50_last": [
            (s or {}).get("rss_kib")
            for s in (at_round(1), at_round(10), at_round(50), rounds[-1] if rounds else None)
        ],
        "fds_min_max": [
            min((s["fds"] for s in samples), default=None),
            max((s["fds"] for s in samples), default=None),
        ],
        "threads_min_max": [
            min((s["threads"] for s in samples), default=None),
            max((s["threads"] for s in samples), default=None),
        ],
        "db_bytes_first_last": [
            samples[0].get("db_bytes") if samples else None,
            samples[-1].get("db_bytes") if samples else None,
        ],
        "log_lines": len(lines),
        "log_lines_per_round": round(len(lines) / max(1, count_rounds(out / "daemon.log")), 1),
        "log_levels": dict(levels),
        "livez_not_200": sum(1 for s in samples if s["livez"] != 200),
        "readyz_not_200": sum(1 for s in samples if s["readyz"] != 200),
        "slack_messages": len(messages),
        "emails": len(smtp.messages),
        "outbox": dict(by_status),
        "duplicates_in_slack": len(duplicates),
        "sent_but_not_in_slack": len(missing),
        "in_slack_not_marked_sent": len(unknown),
        "exactly_once": not duplicates
        and not missing
        and by_status.get("pending", 0) == 0
        and by_status.get("sending", 0) == 0,
        "events": events,
    }
    return {
        "summary": summary,
        "top_log_events": events_by_text.most_common(25),
        "duplicates": duplicates,
        "missing": missing[:50],
        "unknown": unknown[:50],
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "slack":
        slack_main(int(sys.argv[2]), Path(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--feeds", type=int, default=150)
    parser.add_argument("--every", type=int, default=15, help="each source's `every`, seconds")
    parser.add_argument("--change", type=float, default=20.0, help="seconds between feed changes")
    parser.add_argument("--out", default="/tmp/watchtower-soak")
    parser.add_argument("--database-url", default=None, help="default: SQLite in --out")
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where pg_terminate_backend runs (PostgreSQL soaks)",
    )
    args = parser.parse_args()
    for url in (args.database_url or "", args.pg_admin_url):
        host = re.search(r"@([^:/?]+)", url)
        if host and not host.group(1).startswith("127.") and host.group(1) != "localhost":
            parser.error("loopback only: the database must be on 127.0.0.1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
