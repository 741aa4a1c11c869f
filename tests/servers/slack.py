"""A fake Slack Web API speaking the real JSON shapes, on 127.0.0.1.

Implements ``auth.test``, ``chat.postMessage``, ``chat.update``, ``chat.getPermalink``,
``conversations.history`` / ``replies`` / ``list`` / ``join``, ``reactions.get``
and files upload v2 (``files.getUploadURLExternal``, the upload URL itself,
``files.completeUploadExternal``); records every call. It enforces what real
Slack enforces:

- ``msg_too_long`` when ``text`` exceeds 40,000 characters; ``invalid_blocks``
  for more than 50 blocks, a text object over 3,000 or empty, or a header over
  150; ``msg_blocks_too_long`` when all the blocks' text passes 13,000
  characters (not in Slack's reference; seen in slackapi/bolt-js#2509);
- ``not_in_channel`` for channels in ``not_member`` until ``conversations.join``;
- ``invalid_auth`` for a wrong token, ``token_revoked`` once ``revoked`` is set;
- 429 + Retry-After when ``min_interval`` > 0 and a channel gets two posts closer
  than that (Slack: about one message per second per channel);
- channel names are lower case and resolve whatever their case; read calls,
  ``chat.update`` and ``reactions.get`` take channel ids only
  (``channel_not_found`` for a ``#name``);
- a reply whose parent is gone (``delete``) goes in the channel as a top-level
  message (``orphan_reply = ""``) or is refused with that error code;
- ``rename`` (the id stays, the old name no longer resolves) and ``archive``
  (``is_archived``); a successful post echoes the stored ``message`` (with its
  ``thread_ts`` for a reply), as Slack does;
- a reply posted with ``reply_broadcast`` is also in the channel: its subtype is
  ``thread_broadcast`` and ``conversations.history`` lists it.

Knobs: ``rate_limit_next`` (next N posts → 429), ``rate_limit_calls`` (method →
the next N calls of it answered 429), ``orphan_reply``, ``archived`` (channels
answering ``is_archived``), ``fail_next`` (HTTP statuses),
``error_next`` (``ok: false`` errors), ``block`` (hold every request until set),
``hang_after_record`` (record the next post, then never answer: a crash between
Slack's write and ours), ``fail_after_record`` (HTTP statuses answered to the
next posts *after* storing them: a gateway error after the write),
``reset_after_record`` (store the next N posts, then drop the connection
unanswered), ``private`` (channels ``conversations.join`` refuses with
``method_not_supported_for_channel_type``, as for a private channel), ``bot_name``
(the ``user`` of ``auth.test``), ``refuse`` (method → the Slack error code, e.g.
``missing_scope``, or the HTTP status answered to every call of that method).
Helpers: ``react``, ``human_reply``, ``posts``, ``replies``, ``broadcasts``,
``permalink``, ``rename``, ``delete``.

People (``users.info``, scope ``users:read``): ``add_user`` registers a member
with a display name, a real name and a user name; an unknown id answers
``user_not_found``, and ``refuse["users.info"] = "missing_scope"`` answers as
an app installed without ``users:read`` does (``needed: users:read``).
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEXT_MAX, BLOCKS_MAX, BLOCK_TEXT_MAX, HEADER_MAX = 40_000, 50, 3_000, 150
BLOCKS_TEXT_TOTAL = 13_000

Answer = tuple[int, dict[str, str], dict[str, Any]]


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None


def _broadcast(message: dict[str, Any]) -> bool:
    """A reply posted with ``reply_broadcast`` (JSON ``true``, or a form's "true" / "1")."""
    flag = message.get("reply_broadcast")
    return flag is True or str(flag).lower() in ("true", "1")


def _blocks_error(blocks: Any) -> str | None:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return None
    if len(blocks) > BLOCKS_MAX:
        return "invalid_blocks"
    total = 0
    for block in blocks:
        texts = [block.get("text"), *(block.get("elements") or [])]
        for obj in texts:
            if not isinstance(obj, dict):
                continue
            limit = HEADER_MAX if block.get("type") == "header" else BLOCK_TEXT_MAX
            size = len(str(obj.get("text", "")))
            if size > limit or size == 0:
                return "invalid_blocks"
            total += size
    if total > BLOCKS_TEXT_TOTAL:
        return "msg_blocks_too_long"
    return None


@dataclass
class FakeSlack:
    token: str = "xoxb-test-token"
    rate_limit_next: int = 0
    retry_after: int = 1
    min_interval: float = 0.0
    revoked: bool = False
    not_member: set[str] = field(default_factory=set)
    fail_next: list[int] = field(default_factory=list)
    error_next: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    block: threading.Event | None = None
    hang_after_record: threading.Event | None = None
    fail_after_record: list[int] = field(default_factory=list)
    reset_after_record: int = 0
    private: set[str] = field(default_factory=set)
    refuse: dict[str, str | int] = field(default_factory=dict)
    bot_name: str = "watchtower"
    orphan_reply: str = ""
    rate_limit_calls: dict[str, int] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    clock: Callable[[], float] = time.time
    rate_limited: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0
    _channels: dict[str, str] = field(default_factory=dict)
    _gone: set[str] = field(default_factory=set)  # names of renamed channels
    _last_post: dict[str, float] = field(default_factory=dict)
    _uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → users.info "user"

    def __post_init__(self) -> None:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                body = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._answer(url.path, body, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                url = urlsplit(self.path)
                body: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
                kind = self.headers.get("Content-Type") or ""
                if url.path.startswith("/upload/"):
                    pass  # raw file bytes
                elif "json" in kind:
                    body.update(json.loads(raw or b"{}"))
                elif "form-urlencoded" in kind:
                    body.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                self._answer(url.path, body, raw)

            def _answer(self, path: str, body: dict[str, Any], raw: bytes) -> None:
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth else body.get("token")
                if fake.block is not None:
                    fake.block.wait()
                if path.startswith("/upload/"):
                    status, headers, answer = fake.upload(path.rsplit("/", 1)[-1], raw)
                else:
                    method = path.rstrip("/").rsplit("/", 1)[-1]
                    status, headers, answer = fake.answer(method, body, token)
                    if method == "chat.postMessage" and answer.get("ok"):
                        hang = fake.hang_after_record
                        if hang is not None:
                            fake.hang_after_record = None
                            hang.wait()  # Slack stored it; the caller never hears back
                        if fake.fail_after_record:
                            status, headers = fake.fail_after_record.pop(0), {}
                            answer = {"ok": False, "error": "service_unavailable"}
                        elif fake.reset_after_record > 0:
                            fake.reset_after_record -= 1
                            self.close_connection = True
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return  # Slack stored it; the connection drops before the answer
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
        for event in (self.block, self.hang_after_record):
            if event is not None:
                event.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -------------------------------------------------------------- helpers
    def posts(self) -> list[dict[str, Any]]:
        """Top-level messages."""
        return [m for m in self.messages if not m.get("thread_ts")]

    def replies(self, ts: str | None = None) -> list[dict[str, Any]]:
        """Thread replies (of the message ``ts`` if given)."""
        return [
            m for m in self.messages if m.get("thread_ts") and (ts is None or m["thread_ts"] == ts)
        ]

    def broadcasts(self) -> list[dict[str, Any]]:
        """Thread replies also shown in the channel (``reply_broadcast``)."""
        return [m for m in self.replies() if _broadcast(m)]

    def channel_id(self, channel: str) -> str:
        """The id of a channel name (created on first use); ids map to themselves.

        Names are lower case in Slack: ``#Veille`` is ``#veille``.
        """
        if channel in self._channels.values():
            return channel
        if channel.startswith("#"):
            channel = channel.lower()
        if channel not in self._channels:
            self._channels[channel] = f"C{next(self._ids):08d}"
        return self._channels[channel]

    def rename(self, old: str, new: str) -> None:
        """Rename channel ``old`` (``#name``): same id, the old name is no more."""
        with self._lock:
            self._channels[new] = self._channels.pop(old)
            self._gone.add(old)

    def delete(self, ts: str) -> None:
        """Delete a message, as a member would in Slack."""
        with self._lock:
            self.messages = [m for m in self.messages if m["ts"] != ts]

    def react(self, ts: str, name: str, user: str = "U0HUMAN") -> None:
        with self._lock:
            message = next(m for m in self.messages if m["ts"] == ts)
            message.setdefault("reactions", []).append({"name": name, "users": [user], "count": 1})

    def human_reply(self, ts: str, text: str, user: str = "U0HUMAN") -> None:
        with self._lock:
            parent = next(m for m in self.messages if m["ts"] == ts)
            self._ts += 1
            self.messages.append(
                {
                    "channel": parent["channel"],
                    "channel_id": parent["channel_id"],
                    "ts": f"{self.clock():.0f}.{self._ts:06d}",
                    "thread_ts": ts,
                    "text": text,
                    "user": user,
                }
            )

    def _matches(self, message: dict[str, Any], channel: str) -> bool:
        return channel in (message.get("channel"), message.get("channel_id"))

    def _view(self, message: dict[str, Any], metadata: bool) -> dict[str, Any]:
        view = {k: v for k, v in message.items() if k not in ("metadata", "channel")}
        view["type"] = "message"
        if self.token and message.get("bot"):
            view["bot_id"] = "B0001"
        if metadata and message.get("metadata"):
            view["metadata"] = message["metadata"]
        return view

    # ------------------------------------------------------------ the API
    def upload(self, file_id: str, raw: bytes) -> Answer:
        with self._lock:
            if file_id not in self._uploads:
                return 404, {}, {"ok": False}
            self._uploads[file_id]["content"] = raw
            return 200, {}, {"ok": True}

    def answer(self, method: str, body: dict[str, Any], token: str | None) -> Answer:
        with self._lock:
            self.calls.append(Call(method, body, token))
            if token != self.token:
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            if self.revoked:
                return 200, {}, {"ok": False, "error": "token_revoked"}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {}, {"ok": False, "error": "unknown_method"}
            if self.rate_limit_calls.get(method, 0) > 0:
                self.rate_limit_calls[method] -= 1
                self.rate_limited += 1
                headers = {"Retry-After": str(self.retry_after)}
                return 429, headers, {"ok": False, "error": "ratelimited"}
            refusal = self.refuse.get(method)
            if isinstance(refusal, int):
                return refusal, {}, {"ok": False, "error": "fatal_error"}
            if refusal == "missing_scope":  # real Slack says which scope it wanted
                needed = {
                    "reactions.get": "reactions:read",
                    "conversations.history": "channels:history",
                    "conversations.replies": "channels:history",
                    "conversations.list": "channels:read",
                    "conversations.join": "channels:join",
                    "users.info": "users:read",
                }.get(method, "chat:write")
                error = {"error": refusal, "needed": needed, "provided": "chat:write"}
                return 200, {}, {"ok": False, **error}
            if refusal:
                return 200, {}, {"ok": False, "error": refusal}
            result: Answer = handler(body)
            return result

    def _auth_test(self, body: dict[str, Any]) -> Answer:
        return (
            200,
            {},
            {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": self.bot_name,
                "team_id": "T0001",
                "user_id": "U0001",
                "bot_id": "B0001",
            },
        )

    def _chat_postMessage(self, body: dict[str, Any]) -> Answer:
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            self.rate_limited += 1
            return (
                429,
                {"Retry-After": str(self.retry_after)},
                {"ok": False, "error": "ratelimited"},
            )
        if self.fail_next:
            return self.fail_next.pop(0), {}, {"ok": False, "error": "fatal_error"}
        if self.error_next:
            return 200, {}, {"ok": False, "error": self.error_next.pop(0)}
        channel = str(body.get("channel") or "")
        if not channel or channel.lower() in self._gone:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        channel_id = self.channel_id(channel)
        if channel in self.archived or channel_id in self.archived:
            return 200, {}, {"ok": False, "error": "is_archived"}
        if {channel, channel.lower(), channel_id} & self.not_member:
            return 200, {}, {"ok": False, "error": "not_in_channel"}
        if len(str(body.get("text") or "")) > TEXT_MAX:
            return 200, {}, {"ok": False, "error": "msg_too_long"}
        if error := _blocks_error(body.get("blocks")):
            return 200, {}, {"ok": False, "error": error}
        now = time.monotonic()
        # 50 ms of slack for network jitter between the client's clock and ours.
        gap = now - self._last_post.get(channel_id, -1e9)
        if self.min_interval and gap < self.min_interval - 0.05:
            self.rate_limited += 1
            return (
                429,
                {"Retry-After": str(self.retry_after)},
                {"ok": False, "error": "ratelimited"},
            )
        thread_ts = body.get("thread_ts")
        if thread_ts and not any(
            m["ts"] == thread_ts and m["channel_id"] == channel_id and not m.get("thread_ts")
            for m in self.messages
        ):
            if self.orphan_reply:
                return 200, {}, {"ok": False, "error": self.orphan_reply}
            body = {k: v for k, v in body.items() if k != "thread_ts"}  # in the channel
        self._last_post[channel_id] = now
        self._ts += 1
        ts = f"{self.clock():.0f}.{self._ts:06d}"
        message = dict(body, ts=ts, channel_id=channel_id, bot=True)
        self.messages.append(message)
        echo = {
            "type": "message",
            "subtype": "bot_message",
            "text": body.get("text"),
            "ts": ts,
            "bot_id": "B0001",
            "app_id": "A0001",
        }
        if body.get("blocks"):
            echo["blocks"] = body["blocks"]
        if body.get("thread_ts"):
            echo["thread_ts"] = body["thread_ts"]
            echo["parent_user_id"] = "U0001"
            if _broadcast(body):
                echo["subtype"] = "thread_broadcast"
        return 200, {}, {"ok": True, "channel": channel_id, "ts": ts, "message": echo}

    def permalink(self, message: dict[str, Any]) -> str:
        """The link real Slack gives (``p`` + the ts without its dot; a reply names its thread)."""
        channel_id = message["channel_id"]
        link = f"https://fake.slack.com/archives/{channel_id}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts"):
            link += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
        return link

    def _chat_getPermalink(self, body: dict[str, Any]) -> Answer:
        channel, ts = str(body.get("channel") or ""), str(body.get("message_ts") or "")
        if not channel or channel.startswith("#"):  # real Slack: ids only
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        for message in self.messages:
            if message["ts"] == ts and self._matches(message, channel):
                answer = {"ok": True, "channel": message["channel_id"]}
                return 200, {}, dict(answer, permalink=self.permalink(message))
        return 200, {}, {"ok": False, "error": "message_not_found"}

    def _chat_update(self, body: dict[str, Any]) -> Answer:
        if str(body.get("channel") or "#").startswith("#"):  # real Slack: ids only
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        for message in self.messages:
            if message["ts"] == body.get("ts") and self._matches(message, str(body["channel"])):
                if error := _blocks_error(body.get("blocks")):
                    return 200, {}, {"ok": False, "error": error}
                message.update({k: v for k, v in body.items() if k not in ("ts", "channel")})
                message["edited"] = True
                return 200, {}, {"ok": True, "channel": message["channel_id"], "ts": body["ts"]}
        return 200, {}, {"ok": False, "error": "message_not_found"}

    def _conversations_history(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel") or "")
        if channel.startswith("#"):
            return 200, {}, {"ok": False, "error": "channel_not_found"}  # real Slack: ids only
        oldest = float(body.get("oldest") or 0)
        metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [
            self._view(m, metadata)
            for m in self.messages
            if self._matches(m, channel)
            and (not m.get("thread_ts") or _broadcast(m))
            and float(m["ts"]) >= oldest
        ]
        return 200, {}, {"ok": True, "messages": list(reversed(found)), "has_more": False}

    def _conversations_replies(self, body: dict[str, Any]) -> Answer:
        channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
        if channel.startswith("#"):
            return 200, {}, {"ok": False, "error": "channel_not_found"}  # real Slack: ids only
        metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [
            self._view(m, metadata)
            for m in self.messages
            if self._matches(m, channel) and (m["ts"] == ts or m.get("thread_ts") == ts)
        ]
        if not found:
            return 200, {}, {"ok": False, "error": "thread_not_found"}
        return 200, {}, {"ok": True, "messages": found, "has_more": False}

    def _conversations_list(self, body: dict[str, Any]) -> Answer:
        channels = [
            {"id": cid, "name": name.lstrip("#"), "is_channel": True}
            for name, cid in self._channels.items()
        ]
        return 200, {}, {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _conversations_join(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel") or "")
        if self.private and (channel in self.private or self.channel_id(channel) in self.private):
            return 200, {}, {"ok": False, "error": "method_not_supported_for_channel_type"}
        self.not_member.discard(channel)
        for name, cid in self._channels.items():
            if channel in (name, cid):
                self.not_member.discard(name)
                self.not_member.discard(cid)
        return 200, {}, {"ok": True, "channel": {"id": self.channel_id(channel)}}

    def _reactions_get(self, body: dict[str, Any]) -> Answer:
        channel, ts = str(body.get("channel") or ""), str(body.get("timestamp") or "")
        if channel.startswith("#"):
            return 200, {}, {"ok": False, "error": "channel_not_found"}  # real Slack: ids only
        for message in self.messages:
            if message["ts"] == ts and self._matches(message, channel):
                return (
                    200,
                    {},
                    {
                        "ok": True,
                        "type": "message",
                        "channel": message["channel_id"],
                        "message": self._view(message, False),
                    },
                )
        return 200, {}, {"ok": False, "error": "message_not_found"}

    def _files_getUploadURLExternal(self, body: dict[str, Any]) -> Answer:
        file_id = f"F{next(self._ids):08d}"
        self._uploads[file_id] = {
            "id": file_id,
            "filename": body.get("filename"),
            "length": int(body.get("length") or 0),
        }
        host, port = self.httpd.server_address[:2]
        return (
            200,
            {},
            {
                "ok": True,
                "upload_url": f"http://{host!s}:{port}/upload/{file_id}",
                "file_id": file_id,
            },
        )

    def _files_completeUploadExternal(self, body: dict[str, Any]) -> Answer:
        entries = body.get("files")
        if isinstance(entries, str):
            entries = json.loads(entries)
        done = []
        for entry in entries or []:
            upload = self._uploads.get(entry.get("id"))
            if upload is None or "content" not in upload:
                return 200, {}, {"ok": False, "error": "file_not_found"}
            record = dict(
                upload,
                title=entry.get("title"),
                channel_id=body.get("channel_id"),
                thread_ts=body.get("thread_ts"),
            )
            self.files.append(record)
            done.append({"id": upload["id"], "title": entry.get("title")})
        return 200, {}, {"ok": True, "files": done}

    # --------------------------------------------------------- users.info
    # People, as ``users.info`` tells them (apart from the message calls above).
    def add_user(
        self, user_id: str, display_name: str = "", real_name: str = "", name: str = ""
    ) -> None:
        """A workspace member, in Slack's ``user`` object shape (``profile`` holds
        the display and real names; Slack writes "" for a name never set)."""
        with self._lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": "T0001",
                "name": name,
                "deleted": False,
                "real_name": real_name,
                "tz": "Europe/Paris",
                "profile": {
                    "real_name": real_name,
                    "real_name_normalized": real_name,
                    "display_name": display_name,
                    "display_name_normalized": display_name,
                    "team": "T0001",
                },
                "is_admin": False,
                "is_bot": False,
                "updated": 1_700_000_000,
            }

    def _users_info(self, body: dict[str, Any]) -> Answer:
        """``users.info``: the member, or ``user_not_found`` (real Slack's error for an
        unknown id)."""
        user = self.users.get(str(body.get("user") or ""))
        if user is None:
            return 200, {}, {"ok": False, "error": "user_not_found"}
        return 200, {}, {"ok": True, "user": user}
