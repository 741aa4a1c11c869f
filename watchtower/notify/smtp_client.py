"""smtplib's client, connected to addresses already looked up.

:class:`~watchtower.notify.email.EmailNotifier` looks the server's name up
within its timeout (:mod:`watchtower.notify.lookups`) and hands the addresses
here: smtplib would look the name up again (``socket.create_connection``), with
no bound. The client still knows the server by its name: smtplib keeps it for
TLS, which sends it as SNI and checks the certificate against it, after
STARTTLS (:class:`SmtpClient`) and from the first byte (:class:`SmtpClientSSL`)
alike.

The client names itself in EHLO with :func:`~watchtower.notify.smtp_hello.hello_name`
(this machine's name looked up once per process within a bound, else the
connection's own address): smtplib would call ``socket.getfqdn()``, a lookup
with no bound, at every session.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from watchtower.notify.lookups import connect_first
from watchtower.notify.smtp_hello import hello_name

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["SmtpClient", "SmtpClientSSL"]


class SmtpClient(smtplib.SMTP):
    """An SMTP connection to one of ``found`` (IP addresses of ``host``, tried in
    order), that notes when DATA starts: a failure before it is the server's
    (nothing was sent), one after it may be this message's.

    ``options`` are smtplib's (``timeout``; ``context`` for :class:`SmtpClientSSL`).
    """

    data_started = False

    def __init__(self, host: str, port: int, found: Sequence[str], **options: Any) -> None:
        self.server_name = host  # what TLS names (smtplib's ``_host``, which starttls reads)
        self.found = tuple(found)  # read by _get_socket, which __init__ calls
        # Any name given here spares smtplib's own getfqdn(); the real one needs
        # the connection (its address stands in for a name not known in time).
        super().__init__(host, port, local_hostname="[127.0.0.1]", **options)
        timeout = options.get("timeout")
        bound = float(timeout) if isinstance(timeout, int | float) else None
        self.local_hostname = hello_name(self.sock, bound)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return connect_first(self.found or (host,), port, timeout)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


class SmtpClientSSL(SmtpClient, smtplib.SMTP_SSL):
    """:class:`SmtpClient` over TLS from the first byte (port 465), naming the server."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        try:
            return self.context.wrap_socket(sock, server_hostname=self.server_name)
        except BaseException:
            sock.close()
            raise
