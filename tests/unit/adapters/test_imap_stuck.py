"""One e-mail the mail server never sends no longer blocks the mailbox forever.

Before, an e-mail under ``max_message_bytes`` whose FETCH always timed out (or
made the server drop the connection: a Dovecot or Exchange choking on one
malformed message) failed the whole check and stored no cursor: every check
retried it and no later e-mail was ever read. Now the e-mails before it are
read, it is retried alone at the next checks with a warning, and after
``SKIP_AFTER`` checks in a row it is skipped with a warning naming its UID,
subject and folder, which ``status`` keeps showing for a day; the e-mails after
it are read, nothing is read twice, and a server that is down counts nothing
against the e-mail.

Against a real Dovecot on 127.0.0.1 (messages placed with IMAP APPEND), reached
through a TCP proxy on loopback that swallows (or hangs up on) any FETCH of one
UID's body; the e-mails are SYNTHETIC.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.test_imap import Mailbox, plain_mail, poll
from tests.unit.adapters.test_imap_backlog import poll_within
from watchtower.adapters._imap_stuck import SKIP_AFTER, reminders
from watchtower.adapters.base import FetchResult, SourceState
from watchtower.adapters.imap import ImapSettings
from watchtower.errors import TransientError

pytestmark = pytest.mark.timeout(120)

ENV = "WT_TEST_IMAP_PASSWORD"
_FETCH = re.compile(rb"UID FETCH ([\d,:*]+) \(([^\r\n]*)", re.IGNORECASE)


def _uid_set(text: bytes) -> set[int]:
    uids: set[int] = set()
    for part in text.decode().split(","):
        low, _, high = part.partition(":")
        if high and high != "*":
            uids.update(range(int(low), int(high) + 1))
        elif low != "*":
            uids.add(int(low))
    return uids


class BlockingProxy:
    """A TCP proxy to Dovecot on loopback; any FETCH of ``uid``'s body (``BODY[]``,
    ``BODY.PEEK[]``, whole or in part; ``uid`` may be a set of UIDs: ``uids``) is
    never answered (``mode = "stall"``: the client's read times out) or hangs up
    the connection (``"hang_up"``). ``"every_fetch"``
    never answers any FETCH (a server broken, not one e-mail); ``"every_body"``
    never answers a FETCH of any e-mail's body, while sizes and headers pass (a
    server broken on bodies); ``"pass"`` lets everything through (the server
    healed)."""

    def __init__(self, port: int, uid: int | Collection[int], mode: str = "stall") -> None:
        self.port_to = port
        self.uids = {uid} if isinstance(uid, int) else set(uid)
        self.mode = mode
        self.blocked = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.port_to))
            self._sockets += [client, server]
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client), daemon=True).start()

    def _blocks(self, data: bytes) -> bool:
        found = _FETCH.search(data)
        if found is not None and self.mode == "every_fetch":
            return True
        if found is None or self.mode == "pass":
            return False
        if self.mode != "every_body" and not self.uids & _uid_set(found.group(1)):
            return False
        return b"BODY[]" in found.group(2).upper() or b"BODY.PEEK[]" in found.group(2).upper()

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if self._blocks(data):
                    self.blocked += 1
                    if self.mode != "hang_up":
                        # "stall": the command never reaches the server; the
                        # client gives up and closes, then so does the proxy.
                        while client.recv(65536):
                            pass
                    break
                server.sendall(data)
        # Dovecot limits connections per user: none is left open behind a closed one.
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _down(self, server: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                client.sendall(data)

    def close(self) -> None:
        self.listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


@pytest.fixture
def proxies() -> Iterator[list[BlockingProxy]]:
    made: list[BlockingProxy] = []
    yield made
    for proxy in made:
        proxy.close()


def direct(mailbox: Mailbox) -> ImapSettings:
    return mailbox.settings(tls="none", port=mailbox.server.plain_port, ca_file=None)


def through(
    mailbox: Mailbox, proxies: list[BlockingProxy], uid: int | Collection[int], mode: str
) -> ImapSettings:
    proxy = BlockingProxy(mailbox.server.plain_port, uid, mode)
    proxies.append(proxy)
    return mailbox.settings(tls="none", port=proxy.port, ca_file=None)


def titles(result: FetchResult) -> list[str]:
    return [item.title for item in result.items]


def read_first_five(mailbox: Mailbox) -> SourceState:
    """The mailbox after a first check: UIDs 1-5 read; then 6-9 arrive, 7 the bad one."""
    for n in range(1, 6):
        mailbox.append(plain_mail(f"Lu {n}", n))
    _, state = poll(direct(mailbox), SourceState())
    for n in range(6, 10):
        mailbox.append(plain_mail(f"Réclamation {n}", n))
    return state


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("stall", "the mail server did not answer within 1s"),
        ("hang_up", "the mail server closed the connection (command: UID => socket error: EOF)"),
    ],
)
def test_an_email_the_server_never_sends_is_skipped_after_three_checks(
    mailbox: Mailbox, proxies: list[BlockingProxy], mode: str, reason: str
) -> None:
    state = read_first_five(mailbox)
    blocking = through(mailbox, proxies, uid=7, mode=mode)
    seen: list[str] = []

    # 1: the FETCH of 6-9 breaks: nothing is read, the four are suspects.
    result, state = poll_within(blocking, state, timeout=1.0)
    seen += titles(result)
    assert result.items == [] and not result.more
    assert result.warnings == [
        f"e-mails UID 6 to 9 in INBOX could not be fetched: {reason}; the next check "
        f"fetches them one at a time, and one that fails {SKIP_AFTER} checks in a row is skipped"
    ]
    assert state.cursor["last_uid"] == 5

    # 2 and 3: one at a time, 6 is read; 7 fails, named with its subject.
    for check in (1, 2):
        result, state = poll_within(blocking, state, timeout=1.0)
        seen += titles(result)
        assert result.warnings == [
            f'e-mail UID 7 in INBOX ("Réclamation 7") could not be fetched: {reason} '
            f"(check {check} of {SKIP_AFTER}: it is skipped if it still fails; "
            "the 2 e-mails after it wait)"
        ]
        assert not result.more  # a retried e-mail waits for `every`
        assert state.cursor["last_uid"] == 6

    # 4: the third failure in a row, after the start of 6 was sent (the server
    # sends bodies): skipped, with a warning status shows.
    result, state = poll_within(blocking, state, timeout=1.0)
    seen += titles(result)
    skipped = (
        f'e-mail UID 7 in INBOX ("Réclamation 7") skipped: it could not be fetched at '
        f"{SKIP_AFTER} checks in a row ({reason}); the e-mails after it are read"
    )
    assert result.warnings == [skipped] and result.reminders == []
    assert result.more  # the rest at the next round, not after `every`
    assert state.cursor["last_uid"] == 7 and "stuck" not in state.cursor
    assert state.cursor["sent"] == 6  # 7 was never sent: not proof of anything

    # 5: the e-mails after it are read; the skipped one is still shown, not warned again.
    result, state = poll_within(blocking, state, timeout=1.0)
    seen += titles(result)
    assert result.warnings == [] and len(result.reminders) == 1
    assert result.reminders[0].startswith('e-mail UID 7 in INBOX ("Réclamation 7") was skipped at ')
    assert not result.more

    assert seen == ["Réclamation 6", "Réclamation 8", "Réclamation 9"]  # each once
    assert proxies[0].blocked == 1 + SKIP_AFTER  # the batch, then 7 alone three times
    again, _ = poll(direct(mailbox), state)
    assert again.items == []  # nothing is announced again


def test_a_server_that_heals_skips_nothing(mailbox: Mailbox, proxies: list[BlockingProxy]) -> None:
    """Transient errors happen: two failed checks, then the e-mail arrives whole."""
    state = read_first_five(mailbox)
    blocking = through(mailbox, proxies, uid=7, mode="stall")
    seen: list[str] = []
    for _ in range(SKIP_AFTER - 1):
        result, state = poll_within(blocking, state, timeout=1.0)
        seen += titles(result)
    assert state.cursor["stuck"]["failures"] == 1
    proxies[0].mode = "pass"
    result, state = poll_within(blocking, state, timeout=1.0)
    seen += titles(result)
    assert result.warnings == [] and "stuck" not in state.cursor
    assert seen == [f"Réclamation {n}" for n in range(6, 10)]


def test_a_server_down_between_checks_counts_nothing_against_the_email(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """The count is of checks whose session worked: a refused connection (the
    server down) fails the check as before and leaves the count as it was."""
    state = read_first_five(mailbox)
    blocking = through(mailbox, proxies, uid=7, mode="stall")
    for _ in range(SKIP_AFTER):  # the batch, then 7 alone twice: one check from a skip
        _, state = poll_within(blocking, state, timeout=1.0)
    assert state.cursor["stuck"]["failures"] == SKIP_AFTER - 1
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        down = mailbox.settings(tls="none", port=sock.getsockname()[1], ca_file=None)
    for _ in range(3):
        with pytest.raises(TransientError):
            poll_within(down, state, timeout=1.0)
    proxies[0].mode = "pass"
    result, state = poll_within(blocking, state, timeout=1.0)
    assert titles(result) == ["Réclamation 7", "Réclamation 8", "Réclamation 9"]


def test_a_server_that_answers_no_fetch_fails_the_check_and_skips_nothing(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """Login, SELECT and SEARCH work but no FETCH is ever answered: the server is
    broken, not one e-mail. Each check fails as before (status, ops alerts) and
    no e-mail is skipped, however many checks fail."""
    state = read_first_five(mailbox)
    broken = through(mailbox, proxies, uid=7, mode="every_fetch")
    for _ in range(SKIP_AFTER + 1):
        with pytest.raises(TransientError) as caught:
            poll_within(broken, state, timeout=1.0)
        assert caught.value.message == "the mail server did not answer within 1s"
    proxies[0].mode = "pass"
    result, state = poll_within(broken, state, timeout=1.0)
    assert titles(result) == [f"Réclamation {n}" for n in range(6, 10)]


def test_a_rebuilt_folder_forgets_the_suspects(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """UIDVALIDITY changed: the old UIDs mean nothing, the suspects neither; the
    folder is re-read as before (older e-mails told apart by their date)."""
    settings = direct(mailbox).model_copy(update={"folder": "Alertes"})
    old = plain_mail("Ancien", 1)  # dated 2024
    mailbox.append(old, folder="Alertes")
    _, state = poll(settings, SourceState())
    mailbox.append(plain_mail("Nouveau 2", 2, datetime.now(UTC)), folder="Alertes")
    mailbox.append(plain_mail("Nouveau 3", 3, datetime.now(UTC)), folder="Alertes")
    blocking = through(mailbox, proxies, uid=2, mode="stall").model_copy(
        update={"folder": "Alertes"}
    )
    _, state = poll_within(blocking, state, timeout=1.0)
    assert state.cursor["stuck"]["first"] == 2

    mailbox.delete_folder("Alertes")
    mailbox.append(old, folder="Alertes")
    mailbox.append(plain_mail("Après", 4, datetime.now(UTC)), folder="Alertes")
    result, state = poll(settings, state)
    assert titles(result) == ["Après"]  # "Ancien" was read already
    assert "stuck" not in state.cursor and state.cursor["last_uid"] == 2


def test_a_skipped_email_is_shown_for_a_day() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    note = {"uid": 7, "folder": "INBOX", "subject": "Réclamation 7", "reason": "x"}
    recent = {**note, "at": (now - timedelta(hours=23)).isoformat()}
    old = {**note, "uid": 3, "at": (now - timedelta(hours=25)).isoformat()}
    kept, warnings = reminders([old, recent, {"broken": True}], now)
    assert kept == [recent]
    assert warnings == [
        f'e-mail UID 7 in INBOX ("Réclamation 7") was skipped at {recent["at"]}: '
        f"it could not be fetched at {SKIP_AFTER} checks in a row (x)"
    ]
