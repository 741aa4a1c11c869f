"""Whether a process recorded in the ``daemons`` table still runs, asked of this machine.

A heartbeat row says a daemon runs until it is a few poll intervals old
(:func:`~watchtower.heartbeat_others.stale_after`): a daemon killed with
``kill -9`` (an OOM kill, a crash) looks alive for minutes. A row written on
this host (``socket.gethostname()``, as :class:`~watchtower.heartbeat.Heartbeat`
records it) can be checked at once: ``os.kill(pid, 0)`` tells a pid that no
longer exists. A pid that exists may be another process that took the number
since: on Linux its start time (``/proc``) tells; a process started after the
row's last heartbeat is not the one that wrote it. Without ``/proc`` a pid that
exists counts as alive, as before.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

__all__ = ["REUSE_SLACK", "gone_reason", "started_at"]

#: A pid's process started this long after the row's last heartbeat is another
#: process: the kernel's boot time, which its start is counted from, is whole
#: seconds, and the wall clock may have been nudged since.
REUSE_SLACK = timedelta(seconds=5)


def gone_reason(host: str, pid: int, seen_at: datetime, *, this_host: bool = False) -> str | None:
    """Why the process ``pid`` of ``host``, last heard of at ``seen_at``, is known
    not to run any more (``"process 1234 is not running (killed?)"``; with
    ``this_host``, ``"process 1234 of this host is …"``, for a line that also
    lists other hosts' daemons); None when it may run: another host's (this
    machine cannot tell), this process, alive."""
    if host != socket.gethostname() or pid <= 0 or pid == os.getpid():
        return None
    process = f"process {pid} of this host" if this_host else f"process {pid}"
    try:
        os.kill(pid, 0)  # signal 0: nothing sent, only whether it exists
    except ProcessLookupError:
        return f"{process} is not running (killed?)"
    except OSError:  # another user's process: it exists
        pass
    started = started_at(pid)
    if started is not None and started > seen_at + REUSE_SLACK:
        return (
            f"{process} is not running (killed?); pid {pid} is another process now, "
            f"started {started:%Y-%m-%d %H:%M:%S} UTC"
        )
    return None


def started_at(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux ``/proc``; None: cannot tell here)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rpartition(")")[2].split()  # its name may hold spaces
        with open("/proc/stat", encoding="ascii", errors="replace") as machine:
            boot = next(int(line.split()[1]) for line in machine if line.startswith("btime "))
        ticks = int(fields[19])  # field 22 of proc(5), counted after the name
        per_second = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return datetime.fromtimestamp(boot + ticks / per_second, UTC)
