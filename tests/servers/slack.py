"""A fake Slack Web API speaking the real JSON shapes, on 127.0.0.1.

Implements ``auth.test``, ``chat.postMessage``, ``chat.update``,
``conversations.history`` and ``conversations.join``; records every call.
Knobs: ``rate_limit_next`` (answer the next N posts with 429 + Retry-After),
``fail_next`` (answer the next N with a given HTTP status), ``error_next``
(answer ``ok: false`` with an error), ``block`` (hold requests until released).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    token: str = "xoxb-test-token"
    rate_limit_next: int = 0
    retry_after: int = 1
    fail_next: list[int] = field(default_factory=list)
    error_next: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    block: threading.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0

    def __post_init__(self) -> None:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or b"{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth else body.get("token")
                method = self.path.rstrip("/").rsplit("/", 1)[-1]
                if fake.block is not None:
                    fake.block.wait()
                status, headers, answer = fake.answer(method, body, token)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.block is not None:
            self.block.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def posts(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if not m.get("thread_ts")]

    def answer(
        self, method: str, body: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(method, body, token))
            if token != self.token:
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            if method == "auth.test":
                return 200, {}, {"ok": True, "url": "https://fake.slack.com/", "team": "Fake",
                                 "user": "watchtower", "team_id": "T0001", "user_id": "U0001",
                                 "bot_id": "B0001"}
            if method == "chat.postMessage":
                if self.rate_limit_next > 0:
                    self.rate_limit_next -= 1
                    return 429, {"Retry-After": str(self.retry_after)}, {
                        "ok": False, "error": "ratelimited"}
                if self.fail_next:
                    return self.fail_next.pop(0), {}, {"ok": False, "error": "fatal_error"}
                if self.error_next:
                    return 200, {}, {"ok": False, "error": self.error_next.pop(0)}
                if not body.get("channel"):
                    return 200, {}, {"ok": False, "error": "channel_not_found"}
                self._ts += 1
                ts = f"{int(time.time())}.{self._ts:06d}"
                message = dict(body, ts=ts)
                self.messages.append(message)
                return 200, {}, {"ok": True, "channel": "C" + str(abs(hash(body["channel"])))[:8],
                                 "ts": ts, "message": {"text": body.get("text"), "ts": ts}}
            if method == "chat.update":
                for message in self.messages:
                    if message["ts"] == body.get("ts"):
                        message.update({k: v for k, v in body.items() if k != "ts"})
                        return 200, {}, {"ok": True, "channel": body.get("channel"),
                                         "ts": body.get("ts")}
                return 200, {}, {"ok": False, "error": "message_not_found"}
            if method == "conversations.history":
                found = [m for m in self.messages if m.get("channel") == body.get("channel")]
                return 200, {}, {"ok": True, "messages": list(reversed(found)),
                                 "has_more": False}
            if method == "conversations.join":
                return 200, {}, {"ok": True, "channel": {"id": body.get("channel")}}
            return 200, {}, {"ok": False, "error": "unknown_method"}
