"""An aiosmtpd server on 127.0.0.1 that keeps every message it receives.

``SmtpServer(tls="starttls" | "implicit", auth=("user", "password"))`` uses
aiosmtpd's real STARTTLS, implicit TLS and AUTH (offered only over TLS, as
aiosmtpd does by default); its certificate comes from a throwaway CA (trustme)
that :meth:`SmtpServer.client_context` trusts. ``handler`` answers can be set
per test: a reply for DATA, per-recipient refusals, a slow or cut DATA.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse_with: str | None = None
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address → SMTP reply
    refuse_mail_from: str | None = None
    data_delay: float = 0.0  # seconds before answering DATA (a slow server)
    cut_data: bool = False  # close the connection instead of answering DATA

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_mail_from:
            return self.refuse_mail_from
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.cut_data:
            server.transport.close()
            return "250 never sent"
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """``SmtpServer().start()``; read ``.messages``; ``.port``."""

    def __init__(
        self,
        *,
        tls: Literal["starttls", "implicit"] | None = None,
        auth: tuple[str, str] | None = None,
        cert_names: tuple[str, ...] = ("127.0.0.1", "localhost"),
    ) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.ca = trustme.CA()
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        kwargs: dict[str, Any] = {}
        if tls is not None:
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ca.issue_cert(*cert_names).configure_cert(server_context)
            # The controller checks that the server is up with a TLS connection of its own.
            kwargs["server_hostname"] = "127.0.0.1"
            if tls == "starttls":
                kwargs["tls_context"] = server_context
                kwargs["require_starttls"] = True
            else:
                kwargs["ssl_context"] = server_context
        if auth is not None:
            kwargs["authenticator"] = self._authenticator(auth)
            kwargs["auth_required"] = True
            # aiosmtpd counts only STARTTLS as TLS when it decides to offer AUTH.
            kwargs["auth_require_tls"] = tls != "implicit"
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticator(self, auth: tuple[str, str]) -> Any:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == auth
            )
            login = data.login.decode() if isinstance(data, LoginPassword) else "?"
            self.logins.append((login, ok))
            return AuthResult(success=ok, handled=False)

        return check

    def client_context(self) -> ssl.SSLContext:
        """What a client that trusts this server's CA verifies it with."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
