"""End to end: feeds → match → Slack and e-mail through real local servers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main
from watchtower.storage.engines import make_engine


def test_run_once_delivers_each_mention_once(
    setup: Path, feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    slack.rate_limit_next = 1  # the first post gets a 429 with Retry-After: 1

    assert main(["run", "--once", "--config", str(setup)]) == 0

    by_channel: dict[str, list[str]] = {}
    for message in slack.posts():
        by_channel.setdefault(message["channel"], []).append(message["text"])
    # #veille: 20 Google Alerts entries for "Slack" + the Lyon agency post (the
    # Acme Corporation post is excluded, "Acmébis" is another word); the
    # "arnaque" post goes to #crise (and by e-mail) only, as the rule says.
    # Later sightings of a story are thread replies (issue 5 §4), not top-level posts:
    # every #veille message is either a story's one top-level post or a reply in its thread.
    replies = slack.replies()
    assert replies and all(r["thread_ts"] in {m["ts"] for m in slack.posts()} for r in replies)
    assert len(by_channel["#veille"]) + len(replies) == 21
    assert len(by_channel["#crise"]) == 1
    ids = {m["metadata"]["event_payload"]["outbox_id"] for m in slack.messages}
    assert len(ids) == len(slack.messages) == 22
    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert len(posts) == 23  # one was answered 429 and retried after Retry-After

    # Google's redirect is unwrapped, and <b> is gone from titles.
    veille = " ".join(by_channel["#veille"])
    assert "google.com/url" not in veille
    assert "<b>" not in veille and "&lt;b&gt;" not in veille
    assert "investorplace.com/2019/07/slack-stock-truly-compelling/" in veille

    # "<!channel>" in a title reaches Slack escaped: it pings nobody.
    crisis = (
        slack.posts()[0]
        if slack.posts()[0]["channel"] == "#crise"
        else next(m for m in slack.posts() if m["channel"] == "#crise")
    )
    rendered = crisis["text"] + str(crisis["blocks"])
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in rendered

    # The crisis also went by e-mail, with text and HTML parts.
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "dircom@example.fr"
    assert "CRITIQUE" in mail["Subject"] and "\n" not in mail["Subject"]
    kinds = sorted(part.get_content_type() for part in mail.walk() if not part.is_multipart())
    assert kinds == ["text/html", "text/plain"]


def test_second_run_sends_nothing_and_uses_304(
    setup: Path, feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    assert main(["run", "--once", "--config", str(setup)]) == 0
    sent = len(slack.posts())
    mails = len(smtp.messages)

    assert main(["run", "--once", "--config", str(setup)]) == 0

    assert len(slack.posts()) == sent
    assert len(smtp.messages) == mails
    assert feeds.statuses("/alerts/slack.xml") == [200, 304]
    assert feeds.statuses("/forum.rss") == [200, 304]


def test_failing_source_does_not_stop_the_others(
    setup: Path, feeds: FeedServer, slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds.resources["/forum.rss"] = Resource(b"boom", status=500)

    # Status 1 tells cron the run was incomplete; the other source was still delivered.
    assert main(["run", "--once", "--config", str(setup)]) == 1
    assert len(slack.messages) == 20  # top-level posts + story thread replies
    err = capsys.readouterr().err
    assert "run finished" in err and "failed=1" in err and "exit_code=1" in err

    assert main(["status", "--config", str(setup)]) == 0
    out = capsys.readouterr().out
    assert "forum-conso [rss] failing" in out
    assert "the site has a server error (500)" in out
    assert "alertes-slack [google_alerts] ok" in out


def test_secrets_never_reach_logs_output_or_database(
    setup: Path,
    slack: FakeSlack,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "xoxb-0000-this-token-is-revoked"
    monkeypatch.setenv("SLACK_BOT_TOKEN", secret)  # the fake answers invalid_auth
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-hunter2")

    # Slack refuses the token: its notifications wait, so the run is incomplete (status 1).
    assert main(["--log-level", "DEBUG", "run", "--once", "--config", str(setup)]) == 1
    assert main(["status", "--config", str(setup)]) == 0

    shown = capsys.readouterr()
    assert slack.posts() == []
    assert "invalid_auth" in shown.err or "token" in shown.err.lower()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = " ".join(
                str(row)
                for table in ("outbox", "sources")
                for row in conn.execute(sqlalchemy.text(f"SELECT * FROM {table}"))
            )
    finally:
        engine.dispose()
    for text in (shown.out, shown.err, stored):
        assert secret not in text and "smtp-hunter2" not in text


def test_run_once_releases_grouping_windows_instead_of_leaving_them_held(
    setup: Path, slack: FakeSlack, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    grouped = '\n[[rules]]\nname = "veille-slack"\nbrands = ["Slack"]\ngroup_wait = "10m"\n'
    setup.write_text(setup.read_text(encoding="utf-8") + grouped, encoding="utf-8")

    assert main(["run", "--once", "--config", str(setup)]) == 0

    engine = make_engine(database_url)
    with engine.connect() as conn:
        query = sqlalchemy.text("SELECT status, count(*) FROM outbox GROUP BY status")
        statuses = {status: count for status, count in conn.execute(query)}
    engine.dispose()
    assert "held" not in statuses and "pending" not in statuses
    assert statuses.get("grouped", 0) >= 2  # the burst went out as one summary
    assert any("mentions ·" in m["text"] for m in slack.posts())
    err = capsys.readouterr().err
    assert "sent=" in err and "held=0" in err and "exit_code=0" in err


def test_without_a_slack_token_a_service_keeps_slack_notifications_waiting(
    setup: Path,
    slack: FakeSlack,
    smtp: SmtpServer,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No terminal (systemd, Docker, cron): printing #crise to a journal would lose it."""
    monkeypatch.delenv("SLACK_BOT_TOKEN")

    assert main(["run", "--once", "--config", str(setup)]) == 1  # not everything went out

    assert slack.posts() == []
    assert len(smtp.messages) == 1  # e-mail is not paused with Slack
    engine = make_engine(database_url)
    with engine.connect() as conn:
        waiting = conn.execute(
            sqlalchemy.text(
                "SELECT count(*) FROM outbox WHERE target LIKE 'slack:%' AND status = 'pending'"
            )
        ).scalar_one()
    engine.dispose()
    assert waiting == 22
    captured = capsys.readouterr()
    assert "SLACK_BOT_TOKEN is not set: Slack notifications wait until it is" in captured.err
    assert "[Mention]" not in captured.out  # nothing printed in Slack's place
