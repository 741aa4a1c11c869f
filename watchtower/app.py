"""The running application: config snapshot, database, matcher, HTTP client, notifiers.

Built once from a :class:`~watchtower.config.LoadedConfig`; the scheduler's jobs
and the CLI's one-shot commands all go through it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from watchtower import metrics, source_alerts
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import SourceSettings
from watchtower.config import LoadedConfig
from watchtower.config_models import SpikesSection
from watchtower.errors import DeliveryError, TargetDisabled
from watchtower.heartbeat import Elsewhere
from watchtower.lang import load_model as load_language_model
from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.outage import watch
from watchtower.pipeline.alerting import Alerting
from watchtower.pipeline.dedup import StoryIndex
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.outbox import Outbox
from watchtower.poll import Poller
from watchtower.storage import outbox_queries, queries
from watchtower.storage.db import Database
from watchtower.storage.dead_claims import left_claims

log = logging.getLogger("watchtower.app")
#: Seconds ``close`` waits for fetches still running before abandoning them.
CLOSE_WAIT = 2.0
#: A notifier replaced by a reload may still be mid-send in a delivery thread; it
#: is closed and dropped at a later reload once retired this long (far more than
#: a send takes), so a config edited every day for months does not keep them all.
RETIRED_NOTIFIER_KEEP = timedelta(minutes=15)


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """Everything a poll, drain or cleanup needs, built from one configuration."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        console: TextIO | None = None,
    ) -> None:
        self.clock = clock
        self.console = console
        self.loaded = loaded
        self.db = Database(loaded.database_url)
        dedup = loaded.config.dedup
        self.stories = StoryIndex(dedup.window, dedup.similarity)
        self._apply(loaded)
        self._notifiers: dict[str, Notifier] = {}
        self._notifiers_lock = threading.Lock()
        self._retired_notifiers: list[tuple[datetime, Notifier]] = []
        section = loaded.config.watchtower
        self.http = HttpFetcher(
            timeout=section.request_timeout.total_seconds(),
            max_bytes=section.max_response_bytes,
            per_host=section.per_host_concurrency,
        )
        self.poller = Poller(self)
        self.outbox = Outbox(
            self.db, self.notifier_for, clock, max_attempts=section.max_delivery_attempts
        )
        # Alerting (issue 7): holds, groups, threads, spikes; the outbox asks it before sends.
        self.alerting = Alerting(self)
        self.outbox.hooks = self.alerting
        self.outbox.lease = section.delivery_lease

    def _apply(self, loaded: LoadedConfig) -> None:
        config = loaded.config
        self.matcher = Matcher(
            config.brands,
            config.rules,
            sources=loaded.sources,
            language=config.watchtower.language,
        )
        self._sources = {s.name: s for s in loaded.sources}

    def reload(self, loaded: LoadedConfig) -> None:
        """Switch to a new, validated config (see :mod:`watchtower.reload`).

        Unchanged sources keep their ETags, cursors and schedules (``sync_sources``);
        the outbox is untouched, so queued notifications are still delivered.
        """
        with self.db.session() as session:
            queries.sync_sources(session, loaded.sources, self.clock(), self._sources)
        removed = set(self._sources) - {s.name for s in loaded.sources}
        self._apply(loaded)
        self.loaded = loaded
        metrics.forget_sources(removed)
        dedup = loaded.config.dedup
        self.stories.configure(dedup.window, dedup.similarity)
        log_warnings(loaded)
        self.outbox.max_attempts = loaded.config.watchtower.max_delivery_attempts
        self.outbox.lease = loaded.config.watchtower.delivery_lease
        now = self.clock()
        with self._notifiers_lock:
            # Built again on next use with the new settings; the old ones may be
            # mid-send in the drain thread, so they are closed at a later reload
            # (or at exit), once surely idle.
            done = [n for when, n in self._retired_notifiers if now - when >= RETIRED_NOTIFIER_KEEP]
            self._retired_notifiers = [
                (when, n)
                for when, n in self._retired_notifiers
                if now - when < RETIRED_NOTIFIER_KEEP
            ]
            self._retired_notifiers += [(now, n) for n in self._notifiers.values()]
            self._notifiers = {}
        for notifier in done:
            notifier.close()

    def source_settings(self, name: str) -> SourceSettings | None:
        return self._sources.get(name)

    def start(self) -> None:
        """Migrate the database and align the sources table with the config.

        A failing source whose fetch settings were changed while the daemon was
        stopped is due now, as after a reload: ``sync_sources`` compares them with
        those stored on its row by the last start or reload (``sources.fetch_key``).
        """
        watch(self.db.engine)  # from now on, a write the storage refuses shows in /readyz
        self.db.upgrade()
        with self.db.session() as session:
            queries.sync_sources(session, self.loaded.sources, self.clock())
        with self.db.session() as session:
            self.stories.load(session, self.clock())
        with self.db.session() as session:
            # Read before judging: a process starting meanwhile claims after (dead_claims).
            left = left_claims(session, self.clock())
        alone = self._alone()
        self.poller.release_dead_leases(alone, left)
        with self.db.session() as session:
            # A restart is a natural retry point (a fixed token, a server back):
            # waiting notifications are due now, not after their backoff or pause.
            released = outbox_queries.release_pending(session, self.clock())
            # Alone, what was being sent before the verdict was left by a process
            # that died mid-send (checked for before sending again).
            mid_send = (
                outbox_queries.release_claims(session, self.clock(), only=left.notifications)
                if alone and left.notifications
                else 0
            )
        if released:
            log.info("waiting notifications are due again", extra=kv(notifications=released))
        if mid_send:
            log.info(
                "notifications left mid-send by a stopped process are due",
                extra=kv(notifications=mid_send),
            )
        load_language_model()
        log.info(
            "watchtower ready",
            extra=kv(
                config=str(self.loaded.path),
                database=self.db.engine.url.render_as_string(hide_password=True),
                sources=len(self._sources),
                brands=len(self.loaded.config.brands),
                rules=len(self.loaded.config.rules),
                stories_indexed=len(self.stories.index),
            ),
        )
        log_warnings(self.loaded)

    def _alone(self) -> bool:
        """Whether the claims left in the database (sources leased, notifications
        mid-send) are a dead process's, judged once at start: when no other
        process is live (:meth:`~watchtower.heartbeat.Heartbeat.live_others`).
        On PostgreSQL this process's liveness lock is taken first, and its row
        and first claim come after (its first poll round, or its first drain if
        that round could not write the row): a process starting now sees it live
        once it can hold anything. On SQLite, where a ``run --once`` may run next
        to the daemon, by host and pid; a row of this host with this process's
        pid is an earlier process's (pid 1 again in a container): gone."""
        heartbeat = self.poller.heartbeat
        heartbeat.hold(self.db)
        others = [
            row
            for row in heartbeat.live_others(self.db, self.clock())
            if self.db.postgres or not (row.host == heartbeat.host and row.pid == heartbeat.pid)
        ]
        if others:
            log.info(
                "other watchtower processes use the database: their claims are kept",
                extra=kv(processes=len(others)),
            )
        return not others

    def named_elsewhere(self, target: str) -> Elsewhere:
        """Whether another live replica's config names ``target``, which this
        process's does not (:meth:`~watchtower.heartbeat.Heartbeat.named_elsewhere`)."""
        return self.poller.heartbeat.named_elsewhere(self.db, self.clock(), target)

    def notifier_for(self, kind: str) -> Notifier:
        """The notifier for a target kind, built on first use."""
        with self._notifiers_lock:
            if kind not in self._notifiers:
                self._notifiers[kind] = self._build_notifier(kind)
            return self._notifiers[kind]

    def _build_notifier(self, kind: str) -> Notifier:
        config, secrets = self.loaded.config, self.loaded.secrets
        lang, tz = config.watchtower.language, config.watchtower.timezone
        if kind == "slack":
            token = secrets.slack_bot_token
            slack = config.slack
            if token is None or not token.get_secret_value():
                return self._without_slack_token(lang, tz)
            # Imported here: slack_sdk is a few MiB a daemon without Slack targets never needs.
            from watchtower.notify.slack import SlackNotifier

            return SlackNotifier(
                token.get_secret_value(),
                api_url=slack.api_url if slack else "https://slack.com/api/",
                timeout=slack.timeout.total_seconds() if slack else 15.0,
                language=lang,
                timezone=tz,
                default_channel=slack.default_channel if slack else "#veille",
                channel_interval=slack.channel_interval.total_seconds() if slack else 1.0,
                reconcile=slack.reconcile if slack else True,
            )
        if kind == "email":
            email = config.email
            if email is None:
                raise DeliveryError("no [email] section in the config", retryable=False)
            return EmailNotifier(
                email.smtp_host,
                email.smtp_port,
                email.from_,
                starttls=email.starttls,
                use_ssl=email.ssl,
                username=secrets.smtp_username.get_secret_value()
                if secrets.smtp_username
                else None,
                password=secrets.smtp_password.get_secret_value()
                if secrets.smtp_password
                else None,
                timeout=email.timeout.total_seconds(),
                language=lang,
                timezone=tz,
            )
        if kind == "console":
            return ConsoleNotifier(lang, tz, self.console)
        if kind == "apprise":
            # Imported here: Apprise loads its hundred plugins at import.
            from watchtower.notify.apprise import AppriseNotifier

            return AppriseNotifier(lang, tz)
        raise DeliveryError(f"unknown target kind {kind!r}", retryable=False)

    def _without_slack_token(self, lang: str, tz: str) -> Notifier:
        """Slack targets without ``SLACK_BOT_TOKEN``.

        Someone trying a config in a terminal sees the messages printed. A service
        (no terminal: systemd, Docker, cron) that lost its token must not mark
        #crise's messages delivered after printing them to a journal nobody reads:
        Slack is paused instead, its notifications wait and ops are told.
        """
        if self.console is not None or sys.stdout.isatty():
            log.warning("SLACK_BOT_TOKEN is not set: Slack notifications go to the console")
            return ConsoleNotifier(lang, tz, self.console)
        raise TargetDisabled(
            "slack", "SLACK_BOT_TOKEN is not set: Slack notifications wait until it is"
        )

    def cleanup(self) -> tuple[int, int]:
        """Prune finished notifications and old items past the retention period,
        and the rows of removed sources that nothing needs any more."""
        from watchtower.storage.removed_sources import forget_removed_sources, shown_names

        now = self.clock()
        config = self.loaded.config
        before = now - config.watchtower.retention
        # A spike alert is its brand's cooldown: kept that long whatever the retention.
        cooldown = (config.spikes or SpikesSection()).cooldown
        configured = [source.name for source in self.loaded.sources]
        with self.db.writing() as session:  # SQLite: queued with the poll's writers
            # First, so that their items are not counted as pruned items and the
            # stories they leave empty go below, in the same transaction.
            forgotten = forget_removed_sources(session, before, configured)
            outbox, items = queries.cleanup(
                session, before, spikes_before=min(before, now - cooldown)
            )
        self.stories.prune(self.clock())
        if outbox or items or forgotten:
            log.info(
                "cleanup",
                extra=kv(
                    notifications=outbox,
                    items=items,
                    sources_forgotten=len(forgotten),
                    **({"forgotten": shown_names(forgotten)} if forgotten else {}),
                ),
            )
        return outbox, items

    def check_silence(self) -> int:
        """Flag sources that stopped publishing (ops are told once)."""
        with self.db.writing() as session:
            return source_alerts.check_silence(session, self.loaded.config, self.clock())

    def close(self) -> None:
        for notifier in [*self._notifiers.values(), *(n for _, n in self._retired_notifiers)]:
            notifier.close()
        # Bounded: a fetch stuck on a server that never answers is abandoned (its
        # thread is a daemon thread, its source's lease makes it due again).
        self.poller.close(timeout=CLOSE_WAIT)
        self.poller.heartbeat.close()  # the liveness lock: this process ends
        self.http.close()
        self.db.dispose()


def log_warnings(loaded: LoadedConfig) -> None:
    """What ``watchtower check`` warns about, in the daemon's log."""
    for warning in loaded.warnings:
        log.warning("config warning", extra=kv(problem=str(warning)))
