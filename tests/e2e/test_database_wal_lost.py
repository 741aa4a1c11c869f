"""The ``-wal`` of the SQLite file deleted alone under the running daemon.

The main file stays where it was (its inode unchanged), but what the daemon
committed since the last checkpoint lives only in the WAL it still holds open:
killed (``kill -9``, a crash, a reboot), it leaves a main file without it. So
the daemon treats it as a deleted database file: one ERROR naming the ``-wal``,
no more writes, a copy saved through its connection on the old WAL
(:mod:`watchtower.storage.sqlite_file`). The real process, the local feed server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.side_file_deleted import TITLE, deleted_under_the_daemon, titles
from tests.servers.http import FeedServer

pytestmark = pytest.mark.timeout(90)


def test_a_deleted_wal_is_refused_and_saved_before_a_kill_loses_it(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path]
) -> None:
    copy = deleted_under_the_daemon(tmp_path, feeds, write_config, "-wal")
    # What the daemon stored is in the copy, whatever the main file kept.
    assert TITLE in titles(copy)
