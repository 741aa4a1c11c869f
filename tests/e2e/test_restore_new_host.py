"""``watchtower db restore`` as root on a new host (disaster recovery).

docs/database.md: "the restored copy takes the replaced file's owner and mode
(run it as the service's user, or as root)". On a host rebuilt after a disk
loss there is no replaced file: run as root, the restore left a ``root:root``
0644 file in the service's folder, which the unprivileged service cannot write
(``attempt to write a readonly database`` at its first write, restarted by
systemd every 10 s). It now takes the owner of the folder it goes in.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SERVICE_UID = 65534  # nobody: stands for the `watchtower` system user
SERVICE_GID = 65534

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root, as the documented restore does"
)


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchtower", *args, "--config", str(config)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    """A backup taken with ``db backup`` of a migrated database."""
    made = tmp_path / "made.toml"
    made.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{tmp_path / "old.db"}"\n', encoding="utf-8"
    )
    assert _cli(made, "db", "upgrade").returncode == 0
    path = tmp_path / "backup.db"
    written = _cli(made, "db", "backup", str(path))
    assert written.returncode == 0, written.stderr
    return path


def _restore_into(tmp_path: Path, backup: Path, folder_mode: int) -> Path:
    """Restore ``backup`` as root into a new, empty service folder; the database path."""
    service_dir = tmp_path / "lib"
    service_dir.mkdir()
    os.chown(service_dir, SERVICE_UID, SERVICE_GID)
    os.chmod(service_dir, folder_mode)
    config = tmp_path / "watchtower.toml"
    database = service_dir / "watchtower.db"
    config.write_text(f'[watchtower]\ndatabase_url = "sqlite:///{database}"\n', encoding="utf-8")
    restored = _cli(config, "db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    return database


def test_a_restore_as_root_with_no_database_yet_belongs_to_the_services_folder_owner(
    tmp_path: Path, backup: Path
) -> None:
    database = _restore_into(tmp_path, backup, 0o750)
    found = database.stat()
    assert (found.st_uid, found.st_gid) == (SERVICE_UID, SERVICE_GID), (
        f"the restored database belongs to {found.st_uid}:{found.st_gid}, not to the "
        f"service's folder owner {SERVICE_UID}:{SERVICE_GID}: the service cannot write it"
    )
    assert stat.S_IMODE(found.st_mode) == 0o600  # the database holds mentions and targets
    # One file: no -wal or -shm of root's for the service to trip on.
    assert sorted(p.name for p in database.parent.iterdir()) == ["watchtower.db"]


def test_in_a_group_writable_folder_the_group_may_write_it(tmp_path: Path, backup: Path) -> None:
    """A folder its group writes (``root:watchtower 2770`` on some hosts) is the
    group's: the restored file is 0660 there."""
    database = _restore_into(tmp_path, backup, 0o2770)
    assert stat.S_IMODE(database.stat().st_mode) == 0o660
