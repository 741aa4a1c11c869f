"""Which watchtower processes recorded in ``daemons`` still run, as the commands
that read the database judge them: ``status`` (:mod:`watchtower.status_daemons`)
and the ones refused while a daemon runs, ``db downgrade``, ``db restore`` and
``db copy`` (:func:`daemons_of`, :func:`census_on`).

One rule (:func:`census`), in this order:

1. on PostgreSQL, a process holding its liveness lock runs, on whichever host
   (:mod:`watchtower.storage.liveness`): the pid this host sees may be another
   container's, with the same host name;
2. else a daemon of this host whose process is gone (killed: ``kill -9``, an
   OOM kill) is gone at once (:func:`watchtower.local_process.gone_reason`);
3. else its heartbeat's age decides (:func:`watchtower.heartbeat.instance_state`):
   a daemon of another host killed without stopping looks alive for a few
   minutes.

The running processes judge each other by a stricter rule
(:meth:`watchtower.heartbeat_others.OtherProcesses.live_others`): on PostgreSQL
a process whose lock nobody holds is dead, whatever its heartbeat says.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchtower.storage.db import Database
    from watchtower.storage.tables import DaemonRow

__all__ = ["Daemons", "Judged", "census", "census_on", "daemons_of"]


class Judged(NamedTuple):
    """One recorded process and what :func:`census` makes of it."""

    row: DaemonRow
    #: What its heartbeat says (:func:`~watchtower.heartbeat.instance_state`):
    #: ``running``, ``stopped``, ``not seen``, or for a ``run --once`` ``ran``.
    state: str
    #: Why its process is known not to run any more (a daemon not stopped
    #: cleanly, of this host, whose liveness lock nobody holds); None: it may run.
    gone: str | None

    @property
    def shown(self) -> str:
        """The state ``status`` shows: ``gone`` when its process is known gone."""
        return "gone" if self.gone else self.state


def census(
    session: Session, now: datetime, *, put_off: bool = True, this_host: bool = False
) -> list[Judged]:
    """Every process recorded in ``daemons``, the most recently seen first, judged
    by the rule of this module. Without ``put_off`` (a schema before 0010),
    ``round_put_off`` is not read. ``this_host`` words a reason for a line that
    also lists other hosts' daemons (``"process 1234 of this host is …"``)."""
    from watchtower.heartbeat import instance_state
    from watchtower.local_process import gone_reason
    from watchtower.storage.daemons import daemon_rows
    from watchtower.storage.liveness import held_keys, lock_key

    rows = daemon_rows(session, put_off=put_off)
    # After the rows: a process takes its lock before writing its row, so a row
    # read here has its lock seen, as long as its process lives.
    postgresql = session.get_bind().dialect.name == "postgresql"
    held = held_keys(session) if postgresql and rows else set()
    found = []
    for row in rows:
        state, gone = instance_state(row, now), None
        # Only a daemon not stopped cleanly may be gone; a held lock says it runs.
        maybe = row.mode == "daemon" and state in ("running", "not seen")
        if maybe and lock_key(row.id) not in held:
            gone = gone_reason(row.host, row.pid, row.seen_at, this_host=this_host)
        found.append(Judged(row, state, gone))
    return found


class Daemons(NamedTuple):
    """What the heartbeats say of the daemons on a database (:func:`daemons_of`)."""

    #: Those that run (``host pid N, last heartbeat Xs ago``).
    running: list[str]
    #: Those whose heartbeat is recent but whose process this host knows is gone
    #: (killed): not counted, each saying so.
    gone: list[str]

    def refusal(self, where: str, otherwise: str | None = None) -> str:
        """Why a command is refused while :attr:`running` is not empty: they run
        on ``where`` (``"this database"``); ``otherwise``, what the command
        would do to them."""
        also = f", or {otherwise}" if otherwise else ""
        return (
            f"{len(self.running)} watchtower daemon(s) still run on {where} "
            f"({'; '.join([*self.running, *self.gone])}): stop every one first "
            f"(systemctl stop watchtower){also}; a daemon of another host killed without "
            "stopping shows as running for a few minutes after its last heartbeat: "
            "wait, or pass --force"
        )


def daemons_of(db: Database, revision: str) -> Daemons:
    """The daemons that run on ``db``, at schema ``revision``, by :func:`census`:
    a downgrade or a restore under a running daemon leaves it writing columns,
    or a file, that are gone. Those whose heartbeat is recent but whose process
    is known gone are listed apart, not counted."""
    from watchtower.app import utcnow
    from watchtower.storage.db import revisions

    if revisions().index(revision) < revisions().index("0006"):  # no heartbeats before
        return Daemons([], [])
    now = utcnow()
    put_off = revisions().index(revision) >= revisions().index("0010")  # its column since
    with db.session() as session:
        judged = census(session, now, put_off=put_off, this_host=True)
    found = Daemons([], [])
    for seen in judged:
        if seen.state != "running":  # a run --once is "ran", never "running"
            continue
        if seen.gone is not None:
            found.gone.append(f"{seen.gone}; not counted")
        else:
            row = seen.row
            quiet = _seconds(now - row.seen_at)
            found.running.append(f"{row.host} pid {row.pid}, last heartbeat {quiet}s ago")
    return found


def census_on(url: str) -> tuple[Daemons, str | None]:
    """:func:`daemons_of` the database at ``url`` (none there: none run), or why
    that cannot be told (a damaged file: the likeliest reason to restore)."""
    import sqlalchemy.exc

    from watchtower.errors import DatabaseUnavailable, NoDatabase, SchemaNewer
    from watchtower.storage.db import Database, head_revision

    reader = Database(url, readonly=True)
    try:
        try:
            revision = reader.existing_revision()
        except SchemaNewer:  # rolling back an upgrade: its heartbeats are still readable
            revision = head_revision()
        return daemons_of(reader, revision), None
    except NoDatabase:
        return Daemons([], []), None
    except (DatabaseUnavailable, sqlalchemy.exc.DatabaseError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return Daemons([], []), reason[0] if reason else type(exc).__name__
    finally:
        reader.dispose()


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))
