"""Opening the IMAP connection at the address that was checked.

:func:`check_host` resolves the server's name once, within the request timeout
(:mod:`._resolve`: a hung name server cannot hold the poll worker), and refuses
it when any of its addresses is private, loopback or link-local (unless
``allow_private``). :func:`connect` then connects to those very addresses:
imaplib would resolve the name again, and a name server answering a public
address to the check and ``127.0.0.1`` to the connect (DNS rebinding) would
point the source at this machine. TLS still names the server by its host name,
as the user wrote it: it is sent as SNI and the certificate must be valid for
it (implicit TLS and STARTTLS alike).
"""

from __future__ import annotations

import imaplib
import ipaddress
import socket
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxStarttlsError
from imap_tools.mailbox import BaseMailBox
from imap_tools.utils import check_command_status

from watchtower.adapters._net import address_refusal
from watchtower.adapters._resolve import Lookups
from watchtower.errors import PermanentError, TransientError

if TYPE_CHECKING:
    from watchtower.adapters._imap_settings import ImapSettings

__all__ = ["check_host", "connect"]


def check_host(settings: ImapSettings, lookups: Lookups, timeout: float) -> list[str]:
    """The server's addresses, resolved within ``timeout`` seconds; refuse a server
    whose addresses are not all allowed (private, loopback…)."""
    try:
        infos = lookups.resolve(settings.host, settings.effective_port, timeout)
    except (socket.gaierror, UnicodeError) as exc:
        params = {"host": settings.host, "reason": str(exc)}
        raise TransientError(code="imap_dns", params=params) from None
    addresses: list[str] = []
    for *_, sockaddr in infos:
        text = str(sockaddr[0])
        address = ipaddress.ip_address(text.split("%", 1)[0])
        refusal = address_refusal(address, allow_private=settings.allow_private)
        if refusal is not None:
            shown, problem = refusal
            params = {"host": settings.host, "problem": problem, "address": shown}
            raise PermanentError(code="host_address_refused", params=params)
        addresses.append(text)
    if not addresses:
        raise PermanentError(code="host_no_address", params={"host": settings.host})
    return list(dict.fromkeys(addresses))


def connect(
    settings: ImapSettings,
    context: ssl.SSLContext | None,
    timeout: float,
    addresses: Sequence[str] = (),
) -> BaseMailBox:
    """An open connection (TLS as configured) to one of ``addresses`` (those
    :func:`check_host` allowed; the host itself when none is given, for an IP
    address), not logged in yet.

    ``timeout`` bounds the connection and each read on it, in seconds.
    """
    port = settings.effective_port
    pinned = tuple(addresses) or (settings.host,)
    if settings.tls == "implicit":
        return _PinnedMailBox(settings.host, port, timeout, context, pinned)
    if settings.tls == "starttls":
        if port == 993:  # imap-tools refuses it (ValueError): say what to change
            raise PermanentError(code="imap_starttls_port")
        return _PinnedStartTls(settings.host, port, timeout, context, pinned)
    return _PinnedUnencrypted(settings.host, port, timeout, pinned)


def _connected(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers."""
    error: OSError | None = None
    for address in addresses:
        try:
            # An IP address: create_connection reads it as a number, no DNS query.
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


class _IMAP4(imaplib.IMAP4):
    """imaplib's client over a socket to a checked address; ``host`` stays the
    name (STARTTLS sends it as SNI and checks the certificate against it)."""

    def __init__(self, host: str, port: int, timeout: float | None, addresses: Sequence[str]):
        self.addresses = addresses  # read by _create_socket, which __init__ calls
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return _connected(self.addresses, self.port, timeout)


class _IMAP4_SSL(imaplib.IMAP4_SSL):
    """imaplib's TLS client over a socket to a checked address, TLS naming ``host``."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | None,
        addresses: Sequence[str],
        ssl_context: ssl.SSLContext | None,
    ):
        self.addresses = addresses
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = _connected(self.addresses, self.port, timeout)
        context: ssl.SSLContext = self.ssl_context  # set by IMAP4_SSL.__init__, untyped
        return context.wrap_socket(sock, server_hostname=self.host)


class _Pinned:
    """Keeps the checked addresses for the client that ``BaseMailBox.__init__`` opens."""

    _addresses: Sequence[str]

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float,
        context: ssl.SSLContext | None,
        addresses: Sequence[str],
    ) -> None:
        self._addresses = addresses  # before BaseMailBox.__init__, which connects
        super().__init__(host, port, timeout=timeout, ssl_context=context)  # type: ignore[call-arg]


class _PinnedMailBox(_Pinned, MailBox):
    """imap-tools' implicit-TLS mailbox over a checked address."""

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return _IMAP4_SSL(self._host, self._port, self._timeout, self._addresses, self._ssl_context)


class _PinnedStartTls(_Pinned, MailBoxStartTls):
    """imap-tools' STARTTLS mailbox over a checked address."""

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        client = _IMAP4(self._host, self._port, self._timeout, self._addresses)
        check_command_status(client.starttls(self._ssl_context), MailboxStarttlsError)
        return client


class _PinnedUnencrypted(MailBoxUnencrypted):
    """imap-tools' plain mailbox over a checked address."""

    def __init__(self, host: str, port: int, timeout: float, addresses: Sequence[str]) -> None:
        self._addresses = addresses
        super().__init__(host, port, timeout=timeout)

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return _IMAP4(self._host, self._port, self._timeout, self._addresses)
