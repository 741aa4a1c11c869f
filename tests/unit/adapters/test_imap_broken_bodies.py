"""A mail server that sends sizes and headers but breaks on every body loses no e-mail.

Before, each e-mail in turn was "stuck" and skipped after ``SKIP_AFTER`` checks:
one e-mail lost every few checks, and the source looked healthy. Now an e-mail
is skipped only when the server sent another one in the same check (the check
that would skip it first asks for the start of an e-mail read at an earlier
check): when that breaks as well, the check fails as the source's usual
failure, counted against no e-mail, until the server sends bodies again. The
single poisoned e-mail among readable ones is still skipped, the newest in the
folder included (before, it waited for another e-mail to arrive).

Against a real Dovecot on 127.0.0.1, reached through the loopback TCP proxy of
``test_imap_stuck`` that swallows FETCHes of bodies; the e-mails are SYNTHETIC.
"""

from __future__ import annotations

import pytest

from tests.unit.adapters import test_imap_stuck
from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.test_imap import Mailbox, plain_mail, poll
from tests.unit.adapters.test_imap_backlog import poll_within
from tests.unit.adapters.test_imap_stuck import (
    BlockingProxy,
    direct,
    read_first_five,
    through,
    titles,
)
from watchtower.adapters._imap_stuck import SKIP_AFTER
from watchtower.adapters.base import SourceState
from watchtower.errors import TransientError

pytestmark = pytest.mark.timeout(120)

ENV = "WT_TEST_IMAP_PASSWORD"
TIMED_OUT = "the mail server did not answer within 1s"
proxies = test_imap_stuck.proxies  # the fixture


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


def read_first(mailbox: Mailbox, count: int) -> SourceState:
    """A first check that read UIDs 1 to ``count``."""
    for n in range(1, count + 1):
        mailbox.append(plain_mail(f"Lu {n}", n))
    _, state = poll(direct(mailbox), SourceState())
    assert state.cursor["last_uid"] == count
    return state


def test_a_server_broken_on_every_body_fails_the_check_and_skips_nothing(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    state = read_first_five(mailbox)  # 6-9 wait
    broken = through(mailbox, proxies, uid=0, mode="every_body")
    # The batch, then 6 alone twice: the e-mail may be the culprit, as before.
    for _ in range(SKIP_AFTER):
        result, state = poll_within(broken, state, timeout=1.0)
        assert result.items == [] and state.cursor["last_uid"] == 5
    assert state.cursor["stuck"] == {
        "first": 6,
        "last": 6,
        "failures": SKIP_AFTER - 1,
        "reason": TIMED_OUT,
        "subject": "Réclamation 6",
    }
    # The check that would skip 6 first asks for the start of 5, read before: it
    # breaks too. The server, not an e-mail: the usual failure, nothing is counted.
    for _ in range(2):
        with pytest.raises(TransientError) as caught:
            poll_within(broken, state, timeout=1.0)
        assert caught.value.message == TIMED_OUT
    proxies[0].mode = "pass"
    result, state = poll_within(broken, state, timeout=1.0)
    assert titles(result) == [f"Réclamation {n}" for n in range(6, 10)]
    assert result.warnings == [] and "skipped" not in state.cursor
    assert state.cursor["last_uid"] == 9 and "stuck" not in state.cursor


def test_a_lone_email_on_a_server_broken_on_bodies_fails_the_check_and_is_never_skipped(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """A quiet mailbox: one new e-mail, none after it. The check that would skip it
    asks for the start of the last e-mail read: that breaks too, so the check
    fails (the server, not the e-mail) and it is not lost."""
    state = read_first(mailbox, 2)
    mailbox.append(plain_mail("Réclamation 3", 3))
    broken = through(mailbox, proxies, uid=0, mode="every_body")
    for check in range(1, SKIP_AFTER):
        result, state = poll_within(broken, state, timeout=1.0)
        assert result.items == [] and state.cursor["last_uid"] == 2
        assert state.cursor["stuck"]["failures"] == check
    for _ in range(3):
        with pytest.raises(TransientError) as caught:
            poll_within(broken, state, timeout=1.0)
        assert caught.value.message == TIMED_OUT
    mailbox.append(plain_mail("Réclamation 4", 4))
    with pytest.raises(TransientError):
        poll_within(broken, state, timeout=1.0)
    proxies[0].mode = "pass"
    result, state = poll_within(broken, state, timeout=1.0)
    assert titles(result) == ["Réclamation 3", "Réclamation 4"]
    assert state.cursor["last_uid"] == 4 and "stuck" not in state.cursor


def test_the_newest_poisoned_email_is_skipped_after_three_checks(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """The single poisoned e-mail, newest in the box. Before, it was retried with a
    warning at every check until another e-mail arrived; now the server sends the
    start of the last e-mail read, which is proof enough: it is skipped at its
    third check, and the e-mail that arrives later is read."""
    state = read_first(mailbox, 2)
    mailbox.append(plain_mail("Newsletter cassée", 3))
    blocking = through(mailbox, proxies, uid=3, mode="stall")
    for check in range(1, SKIP_AFTER):
        result, state = poll_within(blocking, state, timeout=1.0)
        assert "skipped" not in state.cursor and state.cursor["last_uid"] == 2
        assert state.cursor["stuck"]["failures"] == check
    result, state = poll_within(blocking, state, timeout=1.0)
    assert result.items == []
    assert result.warnings == [
        f'e-mail UID 3 in INBOX ("Newsletter cassée") skipped: it could not be fetched at '
        f"{SKIP_AFTER} checks in a row ({TIMED_OUT}); the e-mails after it are read"
    ]
    assert state.cursor["last_uid"] == 3 and "stuck" not in state.cursor
    assert not result.more  # nothing waits after it
    mailbox.append(plain_mail("Réclamation 4", 4))
    result, state = poll_within(blocking, state, timeout=1.0)
    assert titles(result) == ["Réclamation 4"] and result.warnings == []
    assert state.cursor["last_uid"] == 4 and "sent" not in state.cursor
    again, _ = poll(direct(mailbox), state)
    assert again.items == []  # nothing is read twice


def test_one_email_per_check_a_poisoned_one_is_skipped_and_nothing_read_twice(
    mailbox: Mailbox, proxies: list[BlockingProxy]
) -> None:
    """``max_messages = 1``: the e-mail fetched first to prove the server works
    lies beyond the check's one e-mail, and is counted as read all the same."""
    state = read_first_five(mailbox)
    blocking = through(mailbox, proxies, uid=7, mode="stall").model_copy(update={"max_messages": 1})
    seen: list[str] = []
    for _ in range(3 + SKIP_AFTER):  # 6, 7 three times (8 read first at the third), 9
        result, state = poll_within(blocking, state, timeout=1.0)
        seen += titles(result)
    assert seen == ["Réclamation 6", "Réclamation 8", "Réclamation 9"]
    assert [note["uid"] for note in state.cursor["skipped"]] == [7]
    assert state.cursor["last_uid"] == 9
