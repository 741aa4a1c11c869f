"""Hot reload: apply an edited configuration to a running daemon, or refuse it safely.

Triggers: a change to the config file or to an included rule pack (watchfiles,
in a thread; a symlink swapped on the way to the file counts, as a ConfigMap
update does: :mod:`~watchtower.config_links`) and ``SIGHUP``, which reads the
path as given again; an edit saved while the daemon was starting, after
it read the file, is applied as soon as the reloader runs
(:func:`~watchtower.reload_files.loaded_hash`). Both only wake one worker
thread, so reloads never overlap and a signal handler never touches the database.

A new configuration is validated completely (:func:`load_config`, the same as
``watchtower check``) before anything changes:

* **valid**: :meth:`App.reload` swaps the matcher, routes and source settings;
  ``sync_sources`` keeps the ETags, cursors and schedules of unchanged sources,
  queued notifications are still sent; those waiting for a target the new
  config no longer names (a corrected webhook URL, a renamed channel) go where
  their rule routes now (:mod:`watchtower.pipeline.readdress`), and ops are told.
* **invalid**: the daemon keeps the last good configuration, logs every problem
  as ``FILE:LINE: key: message`` and queues *one* message to ``ops_notify``
  through the outbox (so it is retried like any notification). Saving the same
  broken content again, the watcher firing twice or a SIGHUP neither repeats the
  problems in the log (one line says the file is still refused) nor sends again;
  a different broken content is logged and told. The notice's dedup key is the
  content's hash and the time the file was saved, so replicas reading one file
  send one notice, and the same mistake made again after a fix is told again.
  Once the file is good again (or the edit is undone), the log and
  ``ops_notify`` say so, once per refusal told.
* **emptied**: a valid file without a single brand or source, when the running
  one has some (a truncated save), is refused the same way.

A reload that *fails* (an exception: the database locked or unreachable, a
file gone mid-read) is not an answer about the file: the worker tries it again
after 1 s, 2 s, 4 s… up to 60 s (:mod:`watchtower.reload_retry`) until it
succeeds or a new trigger arrives; each failure is logged once with its attempt
number and the next delay. A refused file is never retried.

Each outcome is also recorded on this process's row of ``daemons``
(:mod:`watchtower.heartbeat`), so that ``watchtower status`` shows a refused
file, why (redacted as the ops notice is), and when the running config was
loaded, until a later reload succeeds.

Keys read once at start-up (database, HTTP address, intervals, HTTP client
limits) are applied at the next restart; the log says which.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchtower import packs
from watchtower.config import LoadedConfig, load_config
from watchtower.config_links import entry, link_chain, watch_folders, where
from watchtower.errors import ConfigError, ConfigProblem
from watchtower.heartbeat import refusal_reason
from watchtower.logs import kv
from watchtower.pipeline.readdress import readdress
from watchtower.pipeline.route import configured_targets
from watchtower.pipeline.target_outages import forget_targets
from watchtower.reload_files import content_hash, loaded_hash, pack_files, read_text, saved_at
from watchtower.reload_notices import (
    accepted_payload,
    notice_id,
    ops_payload,
    readdressed_payload,
)
from watchtower.reload_retry import Backoff
from watchtower.storage import outbox_queries

if TYPE_CHECKING:
    from datetime import datetime

    from watchtower.app import App
    from watchtower.config import Config
    from watchtower.storage.db import Database

__all__ = ["RESTART_KEYS", "Reloader"]

log = logging.getLogger("watchtower.reload")

RESTART_KEYS = (
    "database_url",
    "http",
    "poll_interval",
    "drain_interval",
    "per_host_concurrency",
    "request_timeout",
    "max_response_bytes",
)


class Reloader:
    """Watches the configuration of an :class:`App` and reloads it on change or SIGHUP."""

    def __init__(self, app: App, *, backoff: Backoff | None = None) -> None:
        """``backoff``: the delays between attempts of a reload that failed
        (:mod:`watchtower.reload_retry`)."""
        self.app = app
        self.backoff = backoff or Backoff()
        self.path = app.loaded.path
        # What the running config was loaded from, not what the file holds now:
        # an edit saved while the daemon started is applied by the first check.
        self._applied = loaded_hash(app.loaded)
        # What the process runs with for the keys read once at start: a later
        # config is compared with these, not with the last one applied, so
        # undoing such a change does not ask for a restart.
        self._running = app.loaded.config.watchtower
        self._files = self.watched_files()
        self._rejected = False  # the last file seen was refused: say when it is good again
        # The refused content, and the id of the ops notice that told about it:
        # saving it again (or SIGHUP) repeats neither the problems nor the notice.
        self._rejected_content = ""
        self._rejected_notice = ""
        self._wake = threading.Event()
        self._force = False  # the next reload reads the file even if it looks unchanged
        self._stop = threading.Event()
        #: Set once the file watcher's watch is in place (a change from then on is seen).
        self.armed = threading.Event()
        self._threads: list[threading.Thread] = []

    # -------------------------------------------------------------- triggers
    def start(self, *, watch: bool = True) -> Reloader:
        """Start the reload worker (and the file watcher unless ``watch=False``)."""
        self._threads.append(threading.Thread(target=self._work, name="reload", daemon=True))
        if watch:
            self._threads.append(threading.Thread(target=self._watch, name="watch", daemon=True))
        for thread in self._threads:
            thread.start()
        if not self._applied:  # the file changed since it was loaded: read it now
            log.info(
                "config file edited since the daemon read it: reloading",
                extra=kv(**where(self.path)),
            )
            self.request()
        return self

    def install_sighup(self) -> None:
        """``kill -HUP`` reloads (main thread only, where Python runs signal handlers)."""
        if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, lambda _signum, _frame: self.request())

    def request(self, *, force: bool = False) -> None:
        """Ask the worker for a reload; safe from a signal handler.

        ``force``: even if the file looks unchanged since the reloader started (a
        SIGHUP during start-up, for an edit made while the daemon was starting).
        """
        if force:
            self._force = True
        self._wake.set()

    def stop(self) -> None:
        """Stop the threads: the watcher checks its stop event every 50 ms; a reload
        in progress gets a second (the daemon is stopping: its deadline counts)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=1)

    def watched_files(self) -> set[Path]:
        """The directory entries whose change may change the config (:func:`entry`):
        the config path as given, each symlink on its way to the file and the file
        itself, and the rule packs it includes. Re-computed after each change: a
        ConfigMap update or ``ln -sfn`` points the chain at another folder."""
        files = set(link_chain(self.path))
        for pack in pack_files(read_text(self.path)):
            files.update(link_chain(pack))
        return files

    def _watch(self) -> None:
        # Watch folders, not files: editors save by writing a new file and
        # renaming it over the old one, and the kubelet renames a new ``..data``
        # link over the old one; a watch on the file itself misses both.
        # The folders follow the links: after a swap the watch is made again on
        # the folders the new chain goes through.
        seen: str | None = None  # the first watch checks the file once armed
        try:
            while not self._stop.is_set():
                try:
                    seen = self._watch_folders(self._folders(), seen)
                except FileNotFoundError:  # a folder went as the watch started
                    self._files = self.watched_files()
                    self._stop.wait(0.1)
        except Exception:  # no inotify, too many watches…: SIGHUP still works
            log.exception("config file watcher stopped; reload with SIGHUP")

    def _folders(self) -> set[Path]:
        folders = watch_folders(sorted(self._files))
        pack_folder = Path(str(packs._folder()))
        if pack_folder.is_dir():
            folders.add(pack_folder.resolve())
        return folders

    def _watch_folders(self, folders: set[Path], seen: str | None) -> str | None:
        """Watch ``folders`` until the stop event, or until the chain of links
        leads to other folders; return the content the last reload asked for
        covers (a new watch checks the file once armed only if it changed since,
        unless ``seen`` is None)."""
        import watchfiles

        if not folders:  # every folder on the way is gone: look again in a second
            self._stop.wait(1)
            self._files = self.watched_files()
            # Nothing was watched meanwhile: the next watch compares the file with
            # what was last asked for, not with what it holds now (never reloaded).
            return seen

        # Only our entries pass the filter: a SQLite database next to the config
        # changes all the time and must not wake anything.
        def ours(_change: watchfiles.Change, path: str) -> bool:
            return entry(path) in self._files

        armed = False
        for changes in watchfiles.watch(
            *folders,
            watch_filter=ours,
            stop_event=self._stop,
            debounce=300,
            rust_timeout=1000,
            yield_on_timeout=True,
            raise_interrupt=False,
            recursive=False,
        ):
            # The first yield (a change, or a second without any) says the
            # watch is in place: one check then catches an edit saved between
            # the reloader's start (or the last swap) and that moment, which no
            # event reports.
            missed = not armed and (seen is None or content_hash(self.path) != seen)
            armed = True
            self.armed.set()
            if not changes and not missed:
                continue
            # Hashed before asking: the worker reads the file after this, so any
            # later change is either reported to this watch or, if it lands once
            # this watch is left, seen by the next one's first check. Hashing
            # after leaving instead took a link swapped meanwhile (this thread
            # descheduled under load while the worker read the old file) for
            # content already read: the swap was never loaded.
            asked = content_hash(self.path)
            self.request()
            # The links may lead elsewhere now (or did since the chain was
            # computed, before this watch was in place).
            self._files = self.watched_files()
            if self._folders() != folders:
                log.info(
                    "config file links changed; watching the folders they lead to",
                    extra=kv(**where(self.path)),
                )
                return asked
        return seen

    def _work(self) -> None:
        # The file may have been corrected while the daemon was stopped: what waits
        # for a target it no longer names follows, as after a reload.
        self.readdress_waiting()
        failures = 0  # attempts failed in a row since the last trigger
        force = False
        while True:
            # A failed reload is tried again after a backoff; a trigger (file
            # event, SIGHUP, stop) ends the wait at once.
            triggered = self._wake.wait(self.backoff.delay(failures) if failures else None)
            if self._stop.is_set():
                return
            if triggered:
                self._wake.clear()
                # A forced attempt that failed stays forced until one succeeds.
                force = self._force or (force and failures > 0)
                self._force = False
                failures = 0
            try:
                self.reload(force=force)
            except Exception as exc:
                failures += 1
                self._failed(exc, failures)
                continue
            if failures:
                log.info(
                    "config reload succeeded on retry",
                    extra=kv(**where(self.path), attempt=failures + 1),
                )
            failures = 0

    def _failed(self, exc: Exception, failures: int) -> None:
        """Log a failed attempt once: its number, and when the next one runs."""
        fields = kv(
            **where(self.path),
            attempt=failures,
            retry_in=f"{self.backoff.delay(failures):g}s",
            error=type(exc).__name__,
        )
        message = "reload failed; still running on the last good config"
        if failures == 1:  # the traceback once; the retries of the same cause in one line
            log.exception(message, extra=fields)
        else:
            log.error(message, extra=fields)

    # ----------------------------------------------------------------- reload
    def reload(self, *, force: bool = False) -> bool | None:
        """Reload now: ``True`` applied, ``False`` rejected, ``None`` nothing changed.

        ``force``: read the file even if its content looks already applied.
        """
        self._files = self.watched_files()  # the include list may have changed
        fingerprint = content_hash(self.path)
        if fingerprint == self._applied and not force:
            if self._rejected:  # the refused edit was undone
                self._accepted(fingerprint)
            else:  # `systemctl reload` with nothing saved: say it was heard
                log.info(
                    "config unchanged since it was loaded: nothing to apply",
                    extra=kv(**where(self.path)),
                )
            return None
        if self._rejected and fingerprint == self._rejected_content and not force:
            # Said the same for a save, the watcher firing twice or a SIGHUP.
            log.warning(
                "config file unchanged since it was refused; still running on the last "
                "good config (problems above, or run watchtower check)",
                extra=kv(**where(self.path)),
            )
            return False
        # Packs are cached per process; an edited pack must be read again.
        for cached in (packs.load_pack, packs.pack_names, packs.vocabularies):
            cached.cache_clear()
        try:
            loaded = load_config(self.path)
        except ConfigError as exc:
            self._reject(exc.problems, fingerprint)
            return False
        emptied = _emptied(self.app.loaded.config, loaded)
        if emptied:
            self._reject(emptied, fingerprint)
            return False
        self._apply(loaded)
        self._applied = fingerprint
        if self._rejected:
            self._accepted(fingerprint)
        return True

    def _accepted(self, fingerprint: str) -> None:
        log.info("config valid again", extra=kv(**where(self.path)))
        heartbeat = self.app.poller.heartbeat
        self._record(lambda db, now: heartbeat.config_loaded(db, now, applied=False))
        # One notice per refusal told: the id names this recovery, so the same good
        # file after a later refusal is announced again.
        notice = notice_id(fingerprint, saved_at(self.path), self._rejected_notice)
        self._tell_ops(f"config-accepted:{notice}", accepted_payload)
        # Only once told: a notice that failed (database locked) is queued by the
        # retry of this reload, which finds the file still marked refused.
        self._rejected = False
        self._rejected_content = ""

    def _apply(self, loaded: LoadedConfig) -> None:
        old = self.app.loaded.config
        new = loaded.config
        self._record(
            lambda db, now: self.app.poller.heartbeat.config_loaded(
                db, now, targets=configured_targets(new)
            )
        )
        if new == old:
            log.info(
                "config file saved; same settings as the running ones",
                extra=kv(**where(self.path)),
            )
            return
        self.app.reload(loaded)
        self.readdress_waiting()
        # After the re-addressing: a send failing mid-reload cannot recreate the outage.
        forget_targets(self.app.outbox.targets, configured_targets(new))
        pending = [
            key
            for key in RESTART_KEYS
            if getattr(self._running, key) != getattr(new.watchtower, key)
        ]
        log.info(
            "config reloaded",
            extra=kv(
                **where(self.path),
                brands=len(new.brands),
                sources=len(new.sources),
                rules=len(new.rules),
            ),
        )
        if pending:
            log.warning(
                "some changes take effect at the next restart", extra=kv(keys=",".join(pending))
            )

    def readdress_waiting(self) -> None:
        """Send what waits for a target the running config no longer names (a
        corrected webhook URL, a renamed channel) where its rule routes now, and
        tell ops; after each applied reload, and once when the worker starts."""
        try:
            with self.app.db.session() as session:
                moved = readdress(session, self.app.loaded.config, self.app.clock())
        except Exception:  # the reload itself stands; the rows wait as before
            log.exception("waiting notifications not re-addressed; they stay queued")
            return
        moved = [done for done in moved if done.moved]  # all already there: nothing to tell
        if moved:
            lines = [f"re-addressed {done.describe()}" for done in moved]
            # The moves are the notice's identity: a replica that found nothing
            # left to move queues nothing, and one that races it the same notice.
            notice = notice_id(*lines)
            self._tell_ops(
                f"config-readdressed:{notice}",
                lambda language, now: readdressed_payload(moved, language, now),
            )

    def _reject(self, problems: list[ConfigProblem], fingerprint: str) -> None:
        log.error(
            "config rejected; still running on the last good config",
            extra=kv(**where(self.path), problems=len(problems)),
        )
        for problem in problems:
            log.error(str(problem))
        if self._rejected and fingerprint == self._rejected_content:
            return  # read again on SIGHUP: the same content was reported already
        reason = refusal_reason(problems)
        self._record(lambda db, now: self.app.poller.heartbeat.config_refused(db, now, reason))
        # The content and the time it was saved: replicas reading the same file
        # queue one notice, and the same mistake made again next week is told again.
        notice = notice_id(fingerprint, saved_at(self.path))
        self._tell_ops(
            f"config-rejected:{notice}",
            lambda language, now: ops_payload(problems, language, now),
        )
        # Only once told: if queueing the notice failed (database locked), the
        # retry of this reload judges the file again and tells; it is never applied.
        self._rejected = True
        self._rejected_content = fingerprint
        self._rejected_notice = notice

    def _record(self, write: Callable[[Database, datetime], None]) -> None:
        """Record a reload's outcome for ``status``; a database that fails here
        must not stop the reload (the log already says what happened)."""
        try:
            write(self.app.db, self.app.clock())
        except Exception as exc:
            log.warning(
                "could not record the reload outcome for status",
                extra=kv(error=type(exc).__name__),
            )

    def _tell_ops(self, key: str, payload: Callable[[str, str], dict[str, Any]]) -> None:
        config = self.app.loaded.config  # the last good one decides where ops alerts go
        targets = list(config.watchtower.ops_notify)
        if not targets:
            log.warning("no [watchtower] ops_notify target: nobody is told about this but the log")
            return
        now = self.app.clock()
        with self.app.db.session() as session:
            body = payload(config.watchtower.language, now.isoformat())
            queued = outbox_queries.enqueue_notice(
                session, key, targets, body, now, severity=body["severity"]
            )
        if queued:  # 0: this very file was already reported
            log.info("ops notified", extra=kv(notice=key.split(":")[0], queued=queued))


def _emptied(running: Config, loaded: LoadedConfig) -> list[ConfigProblem]:
    """A valid file that drops every brand or every source would stop all
    listening: a truncated save, most likely. Pausing is ``enabled = false``."""
    shown = str(loaded.path)
    return [
        ConfigProblem(
            shown, None, key, f"no [[{key}]] left: nothing would be {what} (a truncated file?)"
        )
        for key, what in (("brands", "matched"), ("sources", "polled"))
        if getattr(running, key) and not getattr(loaded.config, key)
    ]
