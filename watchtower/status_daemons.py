"""What ``watchtower status`` knows of the watchtower processes.

From the database, each process's heartbeat row (:mod:`watchtower.heartbeat`):
whether one polls, when each last finished a round and how it went, a config
file it refused, and which versions run (:func:`running_versions`). A daemon of
this host whose process is gone (killed) is ``gone`` at once, not ``running``
until its heartbeat goes stale (:mod:`watchtower.daemon_census`: one rule with
``db downgrade``, ``db restore`` and ``db copy``). From the
running daemon itself, its ``/livez`` answer (:func:`daemon_liveness`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["daemon_liveness", "instances_report", "running_versions"]


def instances_report(
    session: Session, now: datetime, *, put_off: bool = True
) -> list[dict[str, Any]]:
    """Each watchtower process recorded in ``daemons`` (:mod:`watchtower.heartbeat`):
    running ones first, then the most recently seen. Without ``put_off`` (a schema
    before 0010), ``round_put_off`` is 0. A daemon not stopped cleanly whose
    process is known gone is ``gone``, ``gone`` saying why
    (:func:`watchtower.daemon_census.census`)."""
    from watchtower.daemon_census import census
    from watchtower.sanitise import printable

    found = []
    for seen in census(session, now, put_off=put_off):
        row = seen.row
        found.append(
            {
                "id": row.id,
                "mode": row.mode,
                "state": seen.shown,
                "gone": seen.gone,
                "host": printable(row.host, keep=""),
                "pid": row.pid,
                "version": printable(row.version, keep=""),
                "config": printable(row.config, keep=""),
                "poll_interval_s": row.poll_interval_s,
                "started_at": row.started_at,
                "seen_at": row.seen_at,
                "stopped_at": row.stopped_at,
                "round_at": row.round_at,
                "round_sources": row.round_sources,
                "round_ok": row.round_ok,
                "round_failed": row.round_failed,
                "round_put_off": row.round_put_off if put_off else 0,
                "config_loaded_at": row.config_loaded_at,
                "config_refused_at": row.config_refused_at,
                "config_refused": printable(row.config_refused, keep="")
                if row.config_refused
                else None,
            }
        )
    found.sort(key=lambda i: i["state"] not in ("running", "ran"))  # stable: seen_at order
    return found


def running_versions(instances: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The versions the running daemons run, each with who runs it (``"host pid
    N"``), the most common first: more than one key means replicas of different
    code share the database (a rolling upgrade under way, or one left behind)."""
    found: dict[str, list[str]] = {}
    for i in instances:
        if i["mode"] == "daemon" and i["state"] == "running":
            found.setdefault(i["version"], []).append(f"{i['host']} pid {i['pid']}")
    return dict(sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def daemon_liveness(address: str | None, timeout: float = 3.0) -> dict[str, Any]:
    """Ask the running daemon's ``/livez`` (``[watchtower] http``) on this machine.

    ``live``: True (200), False (503, or nothing answers), None (no ``http``: the
    database alone cannot tell whether a daemon runs)."""
    if not address:
        return {"live": None, "livez": None, "detail": "no [watchtower] http: cannot ask it"}
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/livez"
    try:
        # No proxy: the daemon is on this machine, whatever http_proxy this shell has.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
            return {"live": True, "livez": url, "detail": "answering", **_tick(body)}
    except urllib.error.HTTPError as exc:  # 503: the poller is stuck
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        return {"live": False, "livez": url, "detail": f"stuck ({exc.code})", **_tick(body)}
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"live": False, "livez": url, "detail": f"not answering ({reason})"}


def _tick(body: dict[str, Any]) -> dict[str, Any]:
    tick = body.get("last_tick")
    return {"last_tick": datetime.fromisoformat(tick)} if isinstance(tick, str) else {}
