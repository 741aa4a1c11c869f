"""Soak and chaos run of the real daemon, checking watchtower's promises at the end.

Loopback only; not run by ``make test`` (``tests/e2e/test_soak_short.py`` runs a
short one). Usage::

    .venv/bin/python scripts/soak.py --seconds 300 --out /tmp/soak-sqlite
    .venv/bin/python scripts/soak.py --seconds 300 --out /tmp/soak-pg \\
        --database-url postgresql://postgres@127.0.0.1:5432/test   # a fresh schema in it

What runs (all on 127.0.0.1, every random choice from ``--seed``):

* ``watchtower run --config …`` as a subprocess (SQLite in ``--out`` by default);
* the tests' feed server (``tests/servers/http.py``) with ``--feeds`` RSS and Atom
  feeds, two a site (each site its own loopback address); an item arrives every
  ``--publish-every`` seconds on a random feed, its link carrying a unique token
  (``wtsk00042``); most name the brand, some say "arnaque" (a second, critical
  rule), some do not match at all, and some are copies of an earlier article on
  another site (one story: a thread reply). Some feeds are flaky: 500s,
  timeouts, a body cut short (malformed XML), 429 with Retry-After;
* the tests' fake Slack Web API (``tests/servers/slack.py``) answering some calls
  429 / 5xx at random, and storing some posts before answering 503 (the case the
  notifier's check-before-resend is for);
* the tests' aiosmtpd server (``tests/servers/smtp.py``) answering some DATA 451;
* chaos during the first 80 %: ``--reloads`` valid edits (the first adds a feed),
  ``--bad-configs`` invalid ones (refused, then the file fixed), ``--kills``
  ``kill -9`` of the daemon, each followed by a restart: in turn while Slack
  holds a post it stored, while the SMTP server holds a message it stored (the
  window between their write and ours), and at a random time; and
  ``--slack-outages`` of 30 s when Slack answers 503 to everything.

Then the feeds stop changing, every feed is read once more, the outbox drains,
chaos stops and SIGTERM stops the daemon. The checks: each published item that
matches a rule reached each of its targets exactly once (Slack: per channel,
one top-level message per story and a thread reply per other copy; e-mail: one
message per story, no Message-ID twice), non-matching items nowhere, nothing
left pending or failed, the invalid config refused and the daemon alive through
it, no traceback in the log, a clean exit. The same e-mail (same Message-ID)
received again across a kill -9 is counted, not broken: SMTP cannot be asked
whether the first copy arrived (at-least-once). ``report.json``, ``daemon.log``,
``slack.json`` and ``published.json`` go into ``--out``; the exit status is 1
when an invariant is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers.http import FeedServer  # noqa: E402
from tests.servers.slack import FakeSlack  # noqa: E402
from tests.servers.smtp import SmtpServer  # noqa: E402

TOKEN = "xoxb-soak-token"
REQUEST_TIMEOUT = 3.0  # the daemon's; a "timeout" feed answers later than this
POLL_SECONDS = 3
OUTAGE_SECONDS = 30.0  # Slack answering 503 to everything
TOKEN_RE = re.compile(r"wtsk\d{5}")
SYLLABLES = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"]
# Tracebacks a kill -9 or chaos may legitimately print: none so far.
EXPECTED_TRACEBACKS: tuple[str, ...] = ()


@dataclasses.dataclass
class Options:
    """One soak's knobs (the command line's, or a test's)."""

    out: Path
    seconds: float = 300.0
    database_url: str | None = None
    feeds: int = 20
    publish_every: float = 0.7
    kills: int = 3
    reloads: int = 2
    bad_configs: int = 2
    slack_outages: int = 1
    seed: int = 1


@dataclasses.dataclass
class Item:
    """One item the feed server published: what the daemon must deliver."""

    token: str
    feed: int
    story: str
    title: str
    text: str
    brand: bool
    critical: bool
    at: float

    def targets(self) -> list[str]:
        if not self.brand:
            return []
        found = ["slack:#veille", "email:veille@example.fr"]
        return [*found, "slack:#crise"] if self.critical else found


# ----------------------------------------------------------------- feeds
class Feeds:
    """The tests' feed server with items arriving and flaky answers."""

    FLAKY: ClassVar[dict[int, str]] = {
        12: "500",
        13: "500",
        14: "timeout",
        15: "malformed",
        16: "429",
        17: "429",
    }

    def __init__(self, count: int, rng: random.Random) -> None:
        self.count, self.rng = count, rng
        self.items: list[Item] = []
        self.by_feed: dict[int, list[Item]] = collections.defaultdict(list)
        self.served_at: dict[int, float] = {}  # last 200/304 per feed
        self.chaos = True
        self.lock = threading.Lock()
        # Two feeds a site, each site its own loopback address: the daemon limits
        # its fetches per site, as it would on the web.
        self.servers = [FeedServer(f"127.0.0.{k + 1}") for k in range((count + 1) // 2)]
        for n in range(count):
            self.server(n).handlers[self.path(n)] = self._handler(n)
        for server in self.servers:
            server.start()

    def server(self, n: int) -> FeedServer:
        return self.servers[n // 2]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    @staticmethod
    def path(n: int) -> str:
        return f"/feed/{n}.{'atom' if n % 2 else 'rss'}"

    def url(self, n: int) -> str:
        return self.server(n).url(self.path(n))

    def word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(3))

    def publish(self) -> Item:
        """One new item on a random feed (called from one thread only)."""
        with self.lock:
            token = f"wtsk{len(self.items):05d}"
            feed = self.rng.randrange(self.count)
            earlier = [i for i in self.items[-40:] if i.brand and i.story == i.token]
            roll = self.rng.random()
            if roll < 0.15 and earlier:  # a copy of an earlier article, on another site
                first = self.rng.choice(earlier)
                copies = [i for i in self.items if i.story == first.token]
                taken = {i.feed for i in copies}
                free = [n for n in range(self.count) if n not in taken]
                if len(copies) < 3 and free:
                    item = dataclasses.replace(
                        first, token=token, feed=self.rng.choice(free), at=time.time()
                    )
                    return self._add(item)
            words = " ".join(self.word() for _ in range(8))
            brand = roll < 0.85
            critical = brand and self.rng.random() < 0.15
            if brand:
                title = f"Banque Acmé {words}" + (" : une arnaque ?" if critical else "")
            else:
                title = f"Actualité {words}"
            text = f"Texte {words} " + " ".join(self.word() for _ in range(12))
            item = Item(token, feed, token, title, text, brand, critical, time.time())
            return self._add(item)

    def _add(self, item: Item) -> Item:
        self.items.append(item)
        self.by_feed[item.feed].append(item)
        return item

    def body(self, n: int) -> bytes:
        with self.lock:
            items = list(self.by_feed[n])
        entries = []
        for item in reversed(items):
            link = f"https://site{n}.example/a/{item.token}"
            when = formatdate(item.at, usegmt=True)
            if n % 2:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(item.at))
                entries.append(
                    f'<entry><title>{item.title}</title><link href="{link}"/>'
                    f"<id>urn:soak:{item.token}</id><updated>{stamp}</updated>"
                    f"<summary>{item.text}</summary></entry>"
                )
            else:
                entries.append(
                    f"<item><title>{item.title}</title><link>{link}</link>"
                    f"<guid>{link}</guid><pubDate>{when}</pubDate>"
                    f"<description>{item.text}</description></item>"
                )
        if n % 2:
            return (
                '<?xml version="1.0" encoding="utf-8"?>'
                '<feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Site {n}</title><id>urn:soak:{n}</id>"
                f"<updated>2026-01-01T00:00:00Z</updated>{''.join(entries)}</feed>"
            ).encode()
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Site {n}</title><link>https://site{n}.example/</link>"
            f"<description>soak</description>{''.join(entries)}</channel></rss>"
        ).encode()

    def _handler(self, n: int) -> Any:
        def handle(handler: BaseHTTPRequestHandler) -> None:
            flaw = self.FLAKY.get(n) if self.chaos else None
            with self.lock:
                failing = flaw is not None and self.rng.random() < 0.4
            headers = {"Content-Type": "application/atom+xml" if n % 2 else "application/rss+xml"}
            if failing and flaw == "500":
                return _answer(handler, 500, b"boom", {})
            if failing and flaw == "429":
                return _answer(handler, 429, b"slow down", {"Retry-After": "2"})
            if failing and flaw == "timeout":
                time.sleep(REQUEST_TIMEOUT + 1.5)
                # The daemon gave up on this answer before it came: not a read of
                # the feed (``served_at`` would let the end of the soak think the
                # feed's last items were fetched when they never were).
                return _answer(handler, 200, self.body(n), headers)
            body = self.body(n)
            if failing and flaw == "malformed":  # cut short, as by a dropped connection
                with self.lock:
                    cut = self.rng.randrange(len(body) // 3, len(body))
                return _answer(handler, 200, body[:cut], headers)
            etag = '"%x"' % (hash(body) & 0xFFFFFFFF)
            self.served_at[n] = time.time()
            if handler.headers.get("If-None-Match") == etag:
                return _answer(handler, 304, b"", {"ETag": etag})
            return _answer(handler, 200, body, {**headers, "ETag": etag})

        return handle


def _answer(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
) -> None:
    with contextlib.suppress(OSError):
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body) if status != 304 else 0))
        handler.end_headers()
        if status != 304:
            handler.wfile.write(body)


# ----------------------------------------------------------------- slack
class ChaosSlack(FakeSlack):
    """The fake Slack API answering some calls 429 or 5xx at random, and storing
    some posts before answering 503 (Slack wrote it; the caller cannot know)."""

    CHAOS_METHODS = ("chat.postMessage", "chat.update", "conversations.history")

    def setup(self, rng: random.Random) -> ChaosSlack:
        self.rng, self.chaos, self.down = rng, True, False
        self.injected: collections.Counter[str] = collections.Counter()
        return self

    def answer(self, method: str, body: dict[str, Any], token: str | None) -> Any:
        if self.down:
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        if self.chaos and method in self.CHAOS_METHODS:
            with self._lock:
                roll = self.rng.random()
            if roll < 0.04:
                self.injected["429"] += 1
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
            if roll < 0.07:
                self.injected["5xx"] += 1
                return 503, {}, {"ok": False, "error": "service_unavailable"}
            if roll < 0.10 and method == "chat.postMessage":
                self.injected["stored then 503"] += 1
                with self._lock:
                    self.fail_after_record.append(503)
        return super().answer(method, body, token)


def chaos_smtp(smtp: SmtpServer, rng: random.Random, lock: threading.Lock) -> dict[str, Any]:
    """Answer some DATA 451 (a greylisting or busy server), record when each message
    arrived, and hold the answer to one stored message when ``hold`` is set (the
    window a kill -9 between the server's write and ours falls in)."""
    state: dict[str, Any] = {"on": True, "refused": 0, "hold": None, "held": False}
    state["received"] = []  # (time, Message-ID)
    handler = smtp.handler
    accept = handler.handle_DATA

    async def handle_DATA(server: Any, session: Any, envelope: Any) -> str:
        with lock:
            refuse = state["on"] and rng.random() < 0.12
        if refuse:
            state["refused"] += 1
            return "451 4.3.0 Temporary failure, try again later"
        answer = await accept(server, session, envelope)
        state["received"].append((time.time(), str(handler.messages[-1]["Message-ID"])))
        hold: threading.Event | None = state["hold"]
        if hold is not None and not state["held"]:
            state["held"] = True
            while not hold.is_set():
                await asyncio.sleep(0.05)
        return str(answer)

    handler.handle_DATA = handle_DATA  # type: ignore[method-assign]
    return state


# ---------------------------------------------------------------- config
def config_text(
    database_url: str, feeds: Feeds, slack: FakeSlack, smtp: SmtpServer, count: int, extra: str
) -> str:
    head = f"""[watchtower]
database_url = "{database_url}"
backlog = "all"
poll_interval = "{POLL_SECONDS}s"
drain_interval = "1s"
request_timeout = "{REQUEST_TIMEOUT:.0f}s"
ops_notify = ["slack:#ops"]
delivery_lease = "20s"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"
timeout = "3s"

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
from = "soak@example.fr"

[spikes]
enabled = false

[[brands]]
name = "Acmé"
terms = ["Banque Acmé"{extra}]

[[rules]]
name = "veille"
brands = ["Acmé"]
notify = ["slack:#veille", "email:veille@example.fr"]

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque"
severity = "critical"
notify = ["slack:#crise"]
"""
    sources = "".join(
        f'\n[[sources]]\nname = "site-{n:02d}"\nkind = "rss"\nurl = "{feeds.url(n)}"\n'
        f'every = "{POLL_SECONDS}s"\nallow_private = true\n'
        for n in range(count)
    )
    return head + sources


# ------------------------------------------------------------ the daemon
class Daemon:
    """``watchtower run`` as a subprocess, its output appended to one log."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.rss_kib: list[tuple[int, float, int]] = []  # (pid, time, VmRSS)
        self.fds: list[int] = []

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

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sample(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(OSError, AttributeError):
            status = Path(f"/proc/{self.pid}/status").read_text()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            self.rss_kib.append((self.pid, time.time(), rss))
            self.fds.append(len(os.listdir(f"/proc/{self.pid}/fd")))

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, after: int, timeout: float) -> bool:
        """True once ``needle`` appears in the log past byte ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.log.open("rb") as f:
                f.seek(after)
                if needle.encode() in f.read():
                    return True
            time.sleep(0.2)
        return False


def wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def query(url: str, sql: str) -> list[Any]:
    import sqlalchemy

    from watchtower.storage.engines import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.text(sql)))
    finally:
        engine.dispose()


def outbox_waiting(url: str) -> int:
    with contextlib.suppress(Exception):
        rows = query(url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
        return int(rows[0][0])
    return -1


@contextlib.contextmanager
def database(url: str | None, out: Path) -> Iterator[str]:
    """SQLite in ``out``, or a fresh schema of the PostgreSQL database ``url``."""
    if url is None:
        for old in out.glob("watchtower.db*"):
            old.unlink()
        yield f"sqlite:///{out / 'watchtower.db'}"
        return
    from tests.conftest import _pg_schema_url

    yield from _pg_schema_url(url)


# ------------------------------------------------------------ the scenario
def run(options: Options) -> dict[str, Any]:
    """Run one soak; the report, whose ``broken`` lists the invariants broken."""
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "daemon.log").unlink(missing_ok=True)
    with database(options.database_url, out) as url:
        return _run(options, out, url)


def _run(options: Options, out: Path, url: str) -> dict[str, Any]:
    rng = random.Random(options.seed)
    chaos_lock = threading.Lock()
    feeds = Feeds(options.feeds, random.Random(rng.random()))
    slack = ChaosSlack(token=TOKEN).setup(random.Random(rng.random())).start()
    smtp = SmtpServer().start()
    smtp_chaos = chaos_smtp(smtp, random.Random(rng.random()), chaos_lock)
    config = out / "watchtower.toml"
    first = options.feeds - 1 if options.reloads else options.feeds  # a reload adds the last

    def write(count: int, extra: str = "") -> str:
        text = config_text(url, feeds, slack, smtp, count, extra)
        config.write_text(text, encoding="utf-8")
        return text

    good = write(first)
    daemon = Daemon(config, out / "daemon.log")
    events: list[dict[str, Any]] = []
    broken: list[str] = []
    begun = time.monotonic()

    def note(event: str, **fields: Any) -> None:
        entry = {"t": round(time.monotonic() - begun, 1), "event": event, **fields}
        events.append(entry)
        print(json.dumps(entry, ensure_ascii=False), flush=True)

    def started() -> None:
        mark = daemon.log.stat().st_size if daemon.log.exists() else 0
        daemon.start()
        if not daemon.wait_for(" poll round ", mark, 60):
            broken.append("the daemon did not finish a poll round within 60 s of its start")
        time.sleep(1)
        daemon.sample()

    def reload_good(i: int) -> None:
        nonlocal good
        mark = daemon.log.stat().st_size
        good = write(options.feeds, extra=f', "Acmé Soak {i}"')
        os.kill(daemon.pid, signal.SIGHUP)
        if not daemon.wait_for("config reloaded", mark, 30):
            broken.append(f"valid reload {i}: no 'config reloaded' within 30 s")

    def reload_bad(i: int) -> None:
        mark = daemon.log.stat().st_size
        config.write_text(good.replace('severity = "critical"', 'sevrity = "critical"'))
        os.kill(daemon.pid, signal.SIGHUP)
        if not daemon.wait_for("config rejected", mark, 30):
            broken.append(f"invalid config {i}: not refused within 30 s")
        time.sleep(POLL_SECONDS * 2)
        if not daemon.alive():
            broken.append(f"invalid config {i}: the daemon exited")
            return
        config.write_text(good, encoding="utf-8")  # the operator fixes it
        os.kill(daemon.pid, signal.SIGHUP)

    kills: list[float] = []

    def kill9(i: int) -> None:
        # In turn: while Slack holds a post it stored, while the SMTP server holds
        # a message it stored (kill -9 between their write and ours), at any time.
        mode = ("slack mid-send", "e-mail mid-send", "anywhere")[(i - 1) % 3]
        hold = threading.Event()
        if mode == "slack mid-send":
            slack.hang_after_record = hold
            caught = wait_until(lambda: slack.hang_after_record is None, 30)
        elif mode == "e-mail mid-send":
            smtp_chaos.update(hold=hold, held=False)
            caught = wait_until(lambda: smtp_chaos["held"], 30)
        else:
            caught = True
        daemon.sample()
        os.kill(daemon.pid, signal.SIGKILL)
        assert daemon.proc is not None
        daemon.proc.wait()
        kills.append(time.time())
        note("killed", mode=mode, mid_send=caught)
        slack.hang_after_record = None
        smtp_chaos["hold"] = None
        hold.set()
        started()

    def slack_down(i: int) -> None:
        slack.down = True
        time.sleep(OUTAGE_SECONDS)
        slack.down = False

    chaos = [(f"valid reload {i + 1}", reload_good, i + 1) for i in range(options.reloads)]
    chaos += [(f"slack down {i + 1}", slack_down, i + 1) for i in range(options.slack_outages)]
    chaos += [(f"invalid config {i + 1}", reload_bad, i + 1) for i in range(options.bad_configs)]
    chaos += [(f"kill -9 {i + 1}", kill9, i + 1) for i in range(options.kills)]
    # Spread over 10 %…75 % of the run: reloads first, the kills between them.
    rng.shuffle(chaos)
    chaos.sort(key=lambda entry: not entry[0].startswith("valid reload 1"))
    span = 0.65 * options.seconds
    timeline = [
        (0.10 * options.seconds + span * (k + 0.5) / len(chaos), *entry)
        for k, entry in enumerate(chaos)
    ]
    stop_publishing = threading.Event()

    def publisher() -> None:
        while not stop_publishing.wait(options.publish_every * (0.5 + rng.random())):
            feeds.publish()

    try:
        started()
        note("daemon started", pid=daemon.pid)
        threading.Thread(target=publisher, daemon=True).start()
        for at, name, action, i in timeline:
            time.sleep(max(0.0, begun + at - time.monotonic()))
            if not daemon.alive():
                broken.append(f"the daemon died before {name!r}")
                started()
            note(name, pid=daemon.pid)
            action(i)
        time.sleep(max(0.0, begun + 0.8 * options.seconds - time.monotonic()))
        stop_publishing.set()
        frozen = time.time()
        note("publishing stopped", items=len(feeds.items))
        # Every feed read once more in full, then chaos off and the outbox drained.
        feeds.chaos = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            feeds.served_at.get(n, 0) < frozen + 0.5 for n in range(options.feeds)
        ):
            time.sleep(0.5)
        time.sleep(POLL_SECONDS * 2)
        slack.chaos = False
        with chaos_lock:
            smtp_chaos["on"] = False
        drained = False
        deadline = time.monotonic() + max(90.0, 0.3 * options.seconds)
        while time.monotonic() < deadline:
            if outbox_waiting(url) == 0:
                drained = True
                break
            time.sleep(1)
        note("outbox drained" if drained else "outbox NOT drained", waiting=outbox_waiting(url))
        alive = daemon.alive()
        if not alive:
            broken.append("the daemon was not running at the end")
            started()
        daemon.sample()
        stopping = time.monotonic()
        os.kill(daemon.pid, signal.SIGTERM)
        assert daemon.proc is not None
        code = daemon.proc.wait(120)
        note("SIGTERM", seconds=round(time.monotonic() - stopping, 1), exit_code=code)
        if code != 0:
            broken.append(f"SIGTERM: exit code {code}")
    finally:
        stop_publishing.set()
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
        feeds.chaos = slack.chaos = False
        time.sleep(0.5)
        slack.stop()
        smtp.stop()
        feeds.stop()
    report = check(url, feeds, slack, smtp, daemon, broken, smtp_chaos["received"], kills)
    report["summary"].update(
        seconds=options.seconds,
        seed=options.seed,
        database=url.split(":", 1)[0],
        slack_injected=dict(slack.injected),
        smtp_refused=smtp_chaos["refused"],
        events=events,
    )
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out / "slack.json").write_text(json.dumps(slack.messages, indent=1, ensure_ascii=False))
    (out / "published.json").write_text(
        json.dumps([dataclasses.asdict(i) for i in feeds.items], indent=1, ensure_ascii=False)
    )
    return report


# ---------------------------------------------------------------- checks
def tokens_of(value: Any) -> set[str]:
    return set(TOKEN_RE.findall(json.dumps(value, ensure_ascii=False)))


def email_tokens(message: EmailMessage) -> set[str]:
    found = set(TOKEN_RE.findall(str(message["Subject"] or "")))
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found |= set(TOKEN_RE.findall(part.get_content()))
    return found


def check(
    url: str,
    feeds: Feeds,
    slack: FakeSlack,
    smtp: SmtpServer,
    daemon: Daemon,
    broken: list[str],
    received: list[tuple[float, str]],
    kills: list[float],
) -> dict[str, Any]:
    items = {item.token: item for item in feeds.items}
    stories: dict[str, list[Item]] = collections.defaultdict(list)
    for item in feeds.items:
        stories[item.story].append(item)
    names = {cid: name for name, cid in slack._channels.items()}
    problems: list[str] = []

    # Slack: per channel, each token once; per story one top-level message, the
    # other copies as replies in its thread.
    seen: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
    for message in slack.messages:
        channel = "slack:" + names.get(message["channel_id"], message["channel_id"])
        for token in tokens_of([message.get("text"), message.get("blocks")]):
            seen[(channel, token)].append(message)
    for message in slack.messages:
        channel = names.get(message["channel_id"], message["channel_id"])
        if channel in ("#veille", "#crise") and not tokens_of([message.get("text")]):
            problems.append(f"{channel}: a message names no published item: {message['text']!r}")
    for target, token in seen:
        if token not in items or target not in items[token].targets():
            problems.append(f"{target}: {token} delivered but not expected there")
    for item in feeds.items:
        for target in (t for t in item.targets() if t.startswith("slack:")):
            found = seen.get((target, item.token), [])
            if len(found) != 1:
                problems.append(f"{target}: {item.token} delivered {len(found)} times")
    for story, copies in stories.items():
        for target in (t for t in copies[0].targets() if t.startswith("slack:")):
            found = [m for c in copies for m in seen.get((target, c.token), [])]
            tops = [m for m in found if not m.get("thread_ts")]
            replies = [m for m in found if m.get("thread_ts")]
            if len(tops) != 1:
                problems.append(f"{target}: story {story} has {len(tops)} top-level messages")
            elif any(m["thread_ts"] != tops[0]["ts"] for m in replies):
                problems.append(f"{target}: story {story} has a reply outside its thread")

    # E-mail: one message per story (later copies go to Slack's thread only).
    # The same Message-ID twice is at-least-once only across a kill -9 (SMTP
    # cannot be asked whether the first copy arrived); otherwise a duplicate.
    arrivals: dict[str, list[float]] = collections.defaultdict(list)
    for at, message_id in received:
        arrivals[message_id].append(at)
    resent_after_kill, doubled = 0, []
    for message_id, times in arrivals.items():
        for before, after in itertools.pairwise(times):
            if any(before <= k <= after for k in kills):
                resent_after_kill += 1
            else:
                doubled.append(message_id)
    if doubled:
        problems.append(f"e-mail: {len(doubled)} Message-IDs received twice without a kill")
    once = {str(m["Message-ID"]): m for m in smtp.messages}
    mails: dict[str, list[EmailMessage]] = collections.defaultdict(list)
    for message in once.values():
        for token in email_tokens(message):
            mails[token].append(message)
    for story, copies in stories.items():
        if "email:veille@example.fr" not in copies[0].targets():
            if any(mails.get(c.token) for c in copies):
                problems.append(f"e-mail: story {story} delivered but not expected")
            continue
        got = {id(m) for c in copies for m in mails.get(c.token, [])}
        if len(got) != 1:
            problems.append(f"e-mail: story {story} delivered {len(got)} times")

    statuses = dict(collections.Counter(s for (s,) in query(url, "SELECT status FROM outbox")))
    if statuses.get("pending") or statuses.get("sending") or statuses.get("failed"):
        problems.append(f"outbox not clean at the end: {statuses}")

    log = daemon.text()
    tracebacks = [
        block.split("\n\n", 1)[0].strip().splitlines()[-1]
        for block in log.split("Traceback (most recent call last):")[1:]
    ]
    unexpected = [t for t in tracebacks if not t.startswith(EXPECTED_TRACEBACKS or ("\0",))]
    if unexpected:
        problems.append(f"{len(unexpected)} traceback(s) in the log: {unexpected[:5]}")
    pids = list(dict.fromkeys(pid for pid, _, _ in daemon.rss_kib))
    last = [rss for pid, _, rss in daemon.rss_kib if pids and pid == pids[-1]]
    first = [rss for pid, _, rss in daemon.rss_kib if pids and pid == pids[0]]
    delivered = sum(1 for i in feeds.items if i.brand)
    summary = {
        "items_published": len(feeds.items),
        "items_matching": delivered,
        "stories_with_copies": sum(1 for c in stories.values() if len(c) > 1 and c[0].brand),
        "slack_messages": len(slack.messages),
        "slack_replies": len(slack.replies()),
        "emails": len(smtp.messages),
        "emails_resent_across_a_kill": resent_after_kill,
        "outbox": statuses,
        "restarts": len(pids) - 1,
        "already_in_slack_not_resent": log.count("message already in Slack: not sent again"),
        "reloads_applied": log.count("config reloaded"),
        "configs_rejected": log.count("config rejected"),
        "tracebacks": len(tracebacks),
        "log_levels": dict(
            collections.Counter(
                line.split(" ", 2)[1] for line in log.splitlines() if line[:2] == "20"
            )
        ),
        "rss_kib_first_process": [first[0], first[-1]] if first else None,
        "rss_kib_last_process": [last[0], last[-1]] if last else None,
        "open_fds_first_last": [daemon.fds[0], daemon.fds[-1]] if daemon.fds else None,
    }
    broken = [*broken, *problems]
    return {"summary": summary, "broken": broken, "ok": not broken}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--out", default="/tmp/watchtower-soak")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL database on 127.0.0.1 (a fresh schema in it); default SQLite in --out",
    )
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--publish-every", type=float, default=0.7, help="seconds, on average")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--reloads", type=int, default=2)
    parser.add_argument("--bad-configs", type=int, default=2)
    parser.add_argument("--slack-outages", type=int, default=1, help="30 s of 503s each")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    host = re.search(r"@([^:/?]+)", args.database_url or "")
    if host and host.group(1) not in ("127.0.0.1", "localhost"):
        parser.error("loopback only: the database must be on 127.0.0.1")
    options = Options(
        out=Path(args.out),
        seconds=args.seconds,
        database_url=args.database_url,
        feeds=args.feeds,
        publish_every=args.publish_every,
        kills=args.kills,
        reloads=args.reloads,
        bad_configs=args.bad_configs,
        slack_outages=args.slack_outages,
        seed=args.seed,
    )
    report = run(options)
    print(json.dumps({k: v for k, v in report["summary"].items() if k != "events"}, indent=2))
    for problem in report["broken"][:40]:
        print("BROKEN:", problem)
    if len(report["broken"]) > 40:
        print(f"… {len(report['broken']) - 40} more in report.json")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
