"""A fake OAuth 2.0 token server on 127.0.0.1: it issues access tokens (client
credentials or refresh-token grant, RFC 6749 §4.4 and §6) and answers token
introspection (RFC 7662) for Dovecot's ``oauth2`` passdb, so a real Dovecot
accepts exactly the tokens this server issued and still holds valid.

Tests drive it: :meth:`OAuthServer.expire_tokens` (every issued token dies, as
at the end of its ``expires_in``), :meth:`OAuthServer.revoke_client` (the app's
secret or the refresh token is revoked: ``400 invalid_client`` /
``invalid_grant``), ``status`` (answer every token request with it, a 503 for an
outage), ``stop()`` (nothing listens any more). ``token_requests`` records each
grant request's form, ``introspections`` each token Dovecot asked about.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CLIENT_ID = "watchtower-test-app"
CLIENT_SECRET = "s3cr3t-client-value"
REFRESH_TOKEN = "1//refresh-token-value"


def sasl_xoauth2(user: str, token: str) -> bytes:
    """The XOAUTH2 initial response a test sends to APPEND its mail (written here, not
    imported: the test checks watchtower's own)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


@dataclass
class OAuthServer:
    """Issue tokens for one app and one mailbox; tell Dovecot which are valid."""

    mailbox: str = "veille@example.fr"
    expires_in: int = 3600
    #: Answer every token request with this status (e.g. 503); ``None``: normally.
    status: int | None = None
    #: Seconds every token request waits before its answer (a hung server).
    delay: float = 0.0
    token_requests: list[dict[str, str]] = field(default_factory=list)
    introspections: list[str] = field(default_factory=list)
    #: Every access token issued, in order.
    issued: list[str] = field(default_factory=list)
    _valid: set[str] = field(default_factory=set)
    _revoked: bool = False
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()
                }
                if self.path == "/token":
                    time.sleep(server.delay)
                    status, answer = server._token(form, self.headers.get("Authorization"))
                elif self.path == "/introspect":
                    status, answer = 200, server._introspect(form.get("token", ""))
                else:
                    status, answer = 404, {"error": "not_found"}
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def start(self) -> OAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def mint(self) -> str:
        """A valid token made for the test itself (to APPEND mail), not counted as issued."""
        with self._lock:
            token = f"test-{next(self._numbers)}"
            self._valid.add(token)
            return token

    def reset(self, mailbox: str) -> None:
        """Forget every token and request; tokens are now for ``mailbox``."""
        with self._lock:
            self.mailbox, self.expires_in, self.status, self.delay = mailbox, 3600, None, 0.0
            self._revoked = False
            self._valid.clear()
            self.token_requests.clear()
            self.introspections.clear()
            self.issued.clear()

    def expire_tokens(self) -> None:
        """Every token issued so far is no longer valid (its lifetime is over)."""
        with self._lock:
            self._valid.clear()

    def revoke_client(self) -> None:
        """The app's secret and the refresh token are revoked, and their tokens with them."""
        with self._lock:
            self._revoked = True
            self._valid.clear()

    def _token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests.append(form)
            if self.status is not None:
                return self.status, {"error": "temporarily_unavailable"}
            client_id, secret = form.get("client_id"), form.get("client_secret")
            if authorization and authorization.startswith("Basic "):
                decoded = base64.b64decode(authorization[6:]).decode()
                client_id, _, secret = decoded.partition(":")
            grant = form.get("grant_type")
            refused = None
            if client_id != CLIENT_ID:
                refused = 401, "invalid_client", "The OAuth client was not found."
            elif grant == "client_credentials" and (secret != CLIENT_SECRET or self._revoked):
                refused = 401, "invalid_client", "Invalid client secret provided."
            elif grant == "refresh_token" and (
                form.get("refresh_token") != REFRESH_TOKEN or self._revoked
            ):
                refused = 400, "invalid_grant", "Token has been expired or revoked."
            elif form.get("scope", "").startswith("invalid"):
                refused = 400, "invalid_scope", "AADSTS70011: The provided scope is not valid."
            elif grant not in ("client_credentials", "refresh_token"):
                refused = 400, "unsupported_grant_type", grant or "none"
            if refused is not None:
                status, error, description = refused
                return status, {"error": error, "error_description": description}
            token = f"ya29.access-{next(self._numbers)}-{'x' * 20}"
            self._valid.add(token)
            self.issued.append(token)
            return 200, {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": form.get("scope", ""),
            }

    def _introspect(self, token: str) -> dict[str, Any]:
        with self._lock:
            self.introspections.append(token)
            if token not in self._valid:
                return {"active": False}
            return {"active": True, "username": self.mailbox, "token_type": "Bearer"}
