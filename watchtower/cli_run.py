"""``watchtower run`` (and ``demo``): start the daemon, serve until stopped.

``run`` notes a SIGHUP that comes during a slow start, logs which code starts,
opens the app, then either polls once (``--once``) or serves with hot reload
and, when configured, the HTTP endpoint. A thread still stuck at the shutdown
deadline (a hung fetch) ends the process at once rather than waiting for it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from watchtower import __version__
from watchtower.cli_common import load_args
from watchtower.logs import kv

if TYPE_CHECKING:
    import threading
    from typing import NoReturn

    from watchtower.app import App
    from watchtower.scheduler import Daemon

__all__ = ["cmd_demo", "cmd_run"]

# The name the command line has always logged under: operators' filters and the
# start-up line ("watchtower.cli starting version=…") keep it.
log = logging.getLogger("watchtower.cli")


def cmd_run(args: argparse.Namespace) -> int:
    """``watchtower run [--once]``: the daemon's exit status."""
    # First of all: SIGHUP's default action ends the process, and `systemctl
    # reload` may come during a slow start (migrations, a locked database).
    reload_asked = _note_sighup()
    _log_start()
    from watchtower.app import App
    from watchtower.scheduler import Daemon

    app = App(load_args(args))
    try:
        app.start()
        daemon = Daemon(app)
        if args.once:
            return _run_once(app, daemon)
        code = _serve(app, daemon, reload_asked)
        if daemon.abandoned:  # a thread still stuck (a hung fetch): closing would wait for it
            _exit_now(app, code)
        return code
    finally:
        app.close()


def cmd_demo(args: argparse.Namespace) -> int:
    """``watchtower demo``: the real daemon on bundled sample feeds."""
    from watchtower.demo import run_demo

    return run_demo(later_after=args.later, duration=args.duration, verbose=args.verbose)


def _run_once(app: App, daemon: Daemon) -> int:
    """``run --once``: the run's own status, or 2 when every enabled source is a
    placeholder (nothing was fetched, and nothing will be until the config is
    edited); a run with no enabled source says so (it only delivered)."""
    from watchtower.nothing_fetched import nothing_fetched
    from watchtower.progress import run_once_with_progress

    # The run decides the code, and logs it last (``run finished exit_code=``).
    code = run_once_with_progress(daemon)
    why = nothing_fetched(app.loaded.sources, str(app.loaded.path))
    if why is not None and why.config_to_edit:
        # The status's reason, after the run (the last line a cron mail or a
        # terminal shows) and whatever the log level, as an invalid config's are.
        print(f"watchtower run --once: {why.message}", file=sys.stderr)
    return code


def _log_start() -> None:
    """Which code starts, first of all (before a config or database error): in a
    rolling upgrade, the log tells which replica ran which version."""
    import platform
    import socket

    log.info(
        "starting",
        extra=kv(
            version=__version__,
            python=platform.python_version(),
            host=socket.gethostname(),
            pid=os.getpid(),
        ),
    )


def _note_sighup() -> threading.Event:
    """Until the reloader takes over, SIGHUP only notes that a reload was asked."""
    import signal
    import threading

    asked = threading.Event()
    if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda _signum, _frame: asked.set())
    return asked


def _exit_now(app: App, code: int) -> NoReturn:
    """End the process now: the shutdown deadline passed with a thread stuck
    (leases make its work due again), and the interpreter would wait for it."""
    import contextlib

    with contextlib.suppress(Exception):
        app.db.dispose()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve(app: App, daemon: Daemon, reload_asked: threading.Event) -> int:
    """Run the daemon with hot reload and, when configured, the HTTP endpoint."""
    from watchtower.reload import Reloader
    from watchtower.web import StatusServer

    address = app.loaded.config.watchtower.http
    if address:
        _record_start(app)
    server = StatusServer(app, address, lambda: daemon.last_tick).start() if address else None
    reloader = Reloader(app).start()
    reloader.install_sighup()
    if reload_asked.is_set():
        log.info("reload asked during start-up (SIGHUP): reloading now")
        reloader.request(force=True)
    try:
        return daemon.run_forever()
    finally:
        reloader.stop()
        if server is not None:
            server.stop()


def _record_start(app: App) -> None:
    """Write this process's row before ``/livez`` answers: a ``status`` run as soon
    as the daemon is live must see it, not wait for the first poll round (seconds
    later on a busy host) and say "no watchtower seen polling recently"."""
    heartbeat = app.poller.heartbeat
    try:
        heartbeat.start(app.db, app.clock())
    except Exception as exc:  # the database down at start: the first round writes it
        log.warning("could not record the start yet", extra=kv(error=type(exc).__name__))
