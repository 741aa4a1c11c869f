"""Several e-mails in a row that the mail server never sends are each skipped.

Before, the check that would skip a poisoned e-mail first fetched the e-mail
after it, as proof that the server sends others: when that one was poisoned too,
the check failed as if the server were broken, at every check, until someone
deleted an e-mail by hand; nothing after them was read. Now the proof is the
start of an e-mail the server sent at an earlier check (never marked \\Seen): two
or three poisoned e-mails in a row are each skipped after their three checks,
the newest ones included, and later mail is read. With no such e-mail left (it
was deleted), the e-mail after the poisoned one is the proof, as before.

Against a real Dovecot on 127.0.0.1, reached through the loopback TCP proxy of
``test_imap_stuck`` that swallows FETCHes of the poisoned e-mails' bodies; the
e-mails are SYNTHETIC.
"""

from __future__ import annotations

import pytest

from tests.unit.adapters import test_imap_stuck
from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.test_imap import Mailbox, plain_mail, poll
from tests.unit.adapters.test_imap_backlog import poll_within
from tests.unit.adapters.test_imap_stuck import BlockingProxy, direct, through, titles
from watchtower.adapters._imap_stuck import SKIP_AFTER
from watchtower.adapters.base import SourceState

pytestmark = pytest.mark.timeout(180)

ENV = "WT_TEST_IMAP_PASSWORD"
TIMED_OUT = "the mail server did not answer within 1s"
proxies = test_imap_stuck.proxies  # the fixture


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


def read_first(mailbox: Mailbox, count: int, **overrides: object) -> SourceState:
    """A first check that read UIDs 1 to ``count``."""
    for n in range(1, count + 1):
        mailbox.append(plain_mail(f"Lu {n}", n))
    _, state = poll(direct(mailbox).model_copy(update=overrides), SourceState())
    assert state.cursor["last_uid"] == count
    return state


def skipped(uid: int) -> str:
    return (
        f'e-mail UID {uid} in INBOX ("Réclamation {uid}") skipped: it could not be fetched '
        f"at {SKIP_AFTER} checks in a row ({TIMED_OUT}); the e-mails after it are read"
    )


@pytest.mark.parametrize(
    ("poisoned", "checks"),
    [
        # 6 read; per poisoned e-mail: the batch it is in fails, then it fails alone
        # SKIP_AFTER times (the last one after the start of 6 was sent); then the rest.
        ({7, 8}, 2 * (1 + SKIP_AFTER) + 1),
        ({7, 8, 9}, 3 * (1 + SKIP_AFTER) + 1),
        # The newest two: nothing after them, still each skipped.
        ({9, 10}, 2 * (1 + SKIP_AFTER)),
    ],
    ids=["two-in-a-row", "three-in-a-row", "the-newest-two"],
)
def test_poisoned_emails_in_a_row_are_each_skipped_and_later_mail_is_read(
    mailbox: Mailbox, proxies: list[BlockingProxy], poisoned: set[int], checks: int
) -> None:
    state = read_first(mailbox, 5)
    for n in range(6, 11):
        mailbox.append(plain_mail(f"Réclamation {n}", n))
    blocking = through(mailbox, proxies, uid=poisoned, mode="stall")
    seen: list[str] = []
    warned: list[str] = []
    for _ in range(checks):  # a check that fails (TransientError) fails the test
        result, state = poll_within(blocking, state, timeout=1.0)
        seen += titles(result)
        warned += result.warnings
    assert state.cursor["last_uid"] == 10 and "stuck" not in state.cursor
    assert seen == [f"Réclamation {n}" for n in range(6, 11) if n not in poisoned]
    assert [w for w in warned if ") skipped:" in w] == [skipped(uid) for uid in sorted(poisoned)]
    assert [note["uid"] for note in state.cursor["skipped"]] == sorted(poisoned)

    mailbox.append(plain_mail("Réclamation 11", 11))
    result, state = poll_within(blocking, state, timeout=1.0)
    assert titles(result) == ["Réclamation 11"] and result.warnings == []
    again, _ = poll(direct(mailbox), state)
    assert again.items == []  # nothing is read twice


def test_the_proof_never_marks_the_earlier_email_seen(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """``mark_seen = true`` marks what is read; the earlier e-mail whose start is
    asked for is not read again: an operator who marked it unread keeps it so."""
    state = read_first(mailbox, 2, mark_seen=True)
    client = mailbox.imap()
    try:
        client.select("INBOX")
        client.uid("STORE", "2", "-FLAGS", "(\\Seen)")
    finally:
        client.logout()
    mailbox.append(plain_mail("Réclamation 3", 3))
    blocking = through(mailbox, proxies, uid=3, mode="stall").model_copy(update={"mark_seen": True})
    for _ in range(SKIP_AFTER):
        result, state = poll_within(blocking, state, timeout=1.0)
    assert result.warnings == [skipped(3)]
    client = mailbox.imap()
    try:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", "1:2", "(FLAGS)")
    finally:
        client.logout()
    flags = {
        line.split(b"UID ")[1].split(b" ")[0]: line for line in data if isinstance(line, bytes)
    }
    assert b"\\Seen" in flags[b"1"] and b"\\Seen" not in flags[b"2"]


def test_with_the_earlier_email_deleted_the_next_one_is_the_proof(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """The last e-mail read was deleted: nothing proves the server sends bodies, so
    the poisoned e-mail is retried with a warning (not skipped) until the next
    one arrives and is sent."""
    state = read_first(mailbox, 2)
    client = mailbox.imap()
    try:
        client.select("INBOX")
        client.uid("STORE", "1:2", "+FLAGS", "(\\Deleted)")
        client.expunge()
    finally:
        client.logout()
    mailbox.append(plain_mail("Réclamation 3", 3))
    blocking = through(mailbox, proxies, uid=3, mode="stall")
    for _ in range(SKIP_AFTER + 1):
        result, state = poll_within(blocking, state, timeout=1.0)
        assert state.cursor["last_uid"] == 2 and "skipped" not in state.cursor
    assert result.warnings == [
        f'e-mail UID 3 in INBOX ("Réclamation 3") could not be fetched: {TIMED_OUT} '
        f"({SKIP_AFTER + 1} checks in a row; it is skipped once an e-mail after it "
        "arrives and can be fetched)"
    ]
    mailbox.append(plain_mail("Réclamation 4", 4))
    result, state = poll_within(blocking, state, timeout=1.0)
    assert titles(result) == ["Réclamation 4"] and result.warnings == [skipped(3)]
    assert state.cursor["last_uid"] == 4 and "stuck" not in state.cursor
