"""A Slack channel that refuses the bot until someone acts in Slack — a private
channel it was not invited to yet (the day a rule's ``notify`` is edited), an
archived channel — holds that channel alone: its alerts, critical ones
included, wait without spending attempts, ops are told at once what to do,
the other channels go on, and once fixed the alerts go out at the next probe
(at most :data:`PROBE_CAP` later, ±20%), with one "works again" notice.

Against the fake Slack Web API, which answers ``not_in_channel`` (its join
refused as for a private channel) or ``is_archived``, then accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.e2e.sending_app import sending_app, sending_config
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.pipeline.retry_policy import PROBE_CAP

#: The channel that refuses the bot, and the one that goes on.
CHANNELS = ("slack:#crise", "slack:#veille")
#: The longest wait between two probes: PROBE_CAP with its +20% jitter.
LONGEST_PROBE = PROBE_CAP * 1.2


def _ops(smtp: SmtpServer) -> list[str]:
    """The ops notices received by e-mail: subject, then the plain-text body, with
    plain spaces for the French typography's no-break ones."""
    mails = []
    for mail in smtp.messages:
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        text = f"{mail['Subject']}\n{body.get_content()}"
        mails.append(text.replace("\xa0", " ").replace("\u202f", " "))
    return mails


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_alert_to_an_uninvited_private_channel_waits_for_the_invitation(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    slack.not_member.add("#crise")
    slack.private.add("#crise")
    config = sending_config(
        database_url, slack, smtp, *CHANNELS, ops_notify="email:ops@example.fr", language=language
    )
    with sending_app(write_config(config), slack, clock, monkeypatch) as app:
        queue(app, "slack:#crise", 2, severity="critical")
        queue(app, "slack:#veille", key="other", severity="critical")
        app.outbox.drain()
        for _ in range(3):  # probes while nobody has invited the bot yet
            clock.advance(seconds=LONGEST_PROBE)
            app.outbox.drain()

        held = [r for r in rows(app) if r.target == "slack:#crise"]
        assert {(r.status, r.attempts) for r in held} == {("pending", 0)}
        assert "/invite @watchtower" in (held[0].last_error or "")
        assert [p["channel"] for p in slack.posts()] == ["#veille"]  # the channel alone waits
        [told] = _ops(smtp)  # once, at the first refusal
        if language == "fr":
            assert "Canal Slack fermé au bot : slack:#crise" in told
            assert "Notifications en attente : 2" in told
            assert "canal privé #crise : l'inviter avec /invite @watchtower" in told
        else:
            assert "Slack channel closed to the bot: slack:#crise" in told
            assert "Notifications waiting: 2" in told
            assert "private channel #crise: invite it with /invite @watchtower" in told

        slack.not_member.discard("#crise")  # /invite @watchtower
        slack.private.discard("#crise")
        clock.advance(seconds=LONGEST_PROBE)  # one probe interval at most
        app.outbox.drain()
        held = [r for r in rows(app) if r.target == "slack:#crise"]
        assert {r.status for r in held} == {"sent"}, [(r.status, r.last_error) for r in held]
        assert [p["channel"] for p in slack.posts()] == ["#veille", "#crise", "#crise"]
        [_, back] = _ops(smtp)
        assert ("slack:#crise fonctionne à nouveau" if language == "fr" else "works again") in back

        clock.advance(seconds=LONGEST_PROBE)
        queue(app, "slack:#crise", key="later", severity="critical")
        app.outbox.drain()
        assert len(_ops(smtp)) == 2  # told back once
        assert len(slack.posts()) == 4


def test_an_archived_channel_waits_until_unarchived_and_the_others_go_on(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack.archived.add("#crise")
    config = sending_config(database_url, slack, smtp, *CHANNELS, ops_notify="slack:#ops")
    with sending_app(write_config(config), slack, clock, monkeypatch) as app:
        queue(app, "slack:#crise", severity="critical")
        app.outbox.drain()
        queue(app, "slack:#veille", key="other", severity="critical")  # after the refusal
        app.outbox.drain()
        [crise] = [r for r in rows(app) if r.target == "slack:#crise"]
        assert (crise.status, crise.attempts) == ("pending", 0)
        posted = [p["channel"] for p in slack.posts()]
        assert posted == ["#ops", "#veille"]  # ops told through Slack: only #crise waits
        assert "le désarchiver" in slack.posts()[0]["blocks"][1]["text"]["text"].replace(
            "\xa0", " "
        )

        slack.archived.discard("#crise")
        clock.advance(seconds=LONGEST_PROBE)
        app.outbox.drain()
        [crise] = [r for r in rows(app) if r.target == "slack:#crise"]
        assert crise.status == "sent"
        assert [p["channel"] for p in slack.posts()] == ["#ops", "#veille", "#crise", "#ops"]
