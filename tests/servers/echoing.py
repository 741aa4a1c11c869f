"""Servers on 127.0.0.1 that quote the credentials they refuse, as careless ones do.

``EchoingSmtp``: aiosmtpd with AUTH offered in clear (a loopback relay, where
watchtower logs in without TLS), answering every login ``535`` followed by the
``AUTH PLAIN`` line it received. ``EchoingImap``: a minimal IMAP4rev1 server
answering ``LOGIN`` with ``NO`` and the command it received, password included.
What a client library makes of those answers (smtplib's
``SMTPAuthenticationError``, imaplib's ``IMAP4.error``) is the real error text
watchtower stores. With ``in_words=True`` both quote the password alone, in a
sentence (``… failed for user veille, password hunter2``), as no pattern can
recognise it: only knowing the value hides it (:mod:`watchtower.secret_values`).
"""

from __future__ import annotations

import base64
import socketserver
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers.smtp import free_port


class EchoingSmtp:
    """``EchoingSmtp().start()``; every login is refused with the ``AUTH PLAIN``
    line quoted (``in_words``: the password in a sentence); ``logins`` lists the
    user names tried, ``passwords`` the passwords."""

    def __init__(self, *, in_words: bool = False) -> None:
        self.port = free_port()
        self.in_words = in_words
        self.logins: list[str] = []
        self.passwords: list[str] = []
        self.controller = Controller(
            object(),  # no message gets past the login
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._refuse_quoting,
            auth_required=True,
            auth_require_tls=False,
            auth_exclude_mechanism=["LOGIN"],  # PLAIN: the whole credential in one line
        )

    def _refuse_quoting(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append(data.login.decode())
        self.passwords.append(data.password.decode())
        if self.in_words:
            said = (
                f"535 5.7.8 authentication failed for user {data.login.decode()}, "
                f"password {data.password.decode()}"
            )
            return AuthResult(success=False, handled=False, message=said)
        # What smtplib sent for PLAIN: base64 of "\0user\0password".
        sent = base64.b64encode(b"\0" + data.login + b"\0" + data.password).decode()
        return AuthResult(
            success=False,
            handled=False,
            message=f"535 5.7.8 Authentication failed for AUTH PLAIN {sent}",
        )

    def start(self) -> EchoingSmtp:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class _ImapHandler(socketserver.StreamRequestHandler):
    in_words = False

    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] echoing server ready\r\n")
        for raw in self.rfile:
            tag, _, rest = raw.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "CAPABILITY":
                self.wfile.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
                self.wfile.write(f"{tag} OK CAPABILITY completed\r\n".encode())
            elif command == "LOGIN" and self.in_words:
                password = rest.rsplit(" ", 1)[-1].strip('"')
                said = f"{tag} NO [AUTHENTICATIONFAILED] wrong password {password} for veille\r\n"
                self.wfile.write(said.encode())
            elif command == "LOGIN":
                said = f"{tag} NO [AUTHENTICATIONFAILED] refused: {tag} {rest}\r\n"
                self.wfile.write(said.encode())
            elif command == "LOGOUT":
                self.wfile.write(f"* BYE\r\n{tag} OK LOGOUT completed\r\n".encode())
                return
            else:
                self.wfile.write(f"{tag} BAD unknown command\r\n".encode())


class EchoingImap:
    """``EchoingImap().start()``; ``.port``. Refuses every LOGIN quoting it
    (``in_words``: the password alone, in a sentence)."""

    def __init__(self, *, in_words: bool = False) -> None:
        handler = type("_Handler", (_ImapHandler,), {"in_words": in_words})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> EchoingImap:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
