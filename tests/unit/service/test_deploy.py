"""The systemd unit and the Dockerfile an operator copies: valid, restarting only
what a restart can fix, reloading with a check first, hardened, with a health check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "deploy" / "watchtower.service"


def service() -> dict[str, str]:
    """The unit's ``[Service]`` settings (the last one of a repeated key)."""
    text = UNIT.read_text("utf-8").partition("[Service]")[2].partition("\n[")[0]
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {key: value for key, _, value in pairs if not key.startswith("#")}


def values(key: str) -> list[str]:
    """Every value of ``key`` in [Service] (ExecReload= may repeat)."""
    return [
        line.partition("=")[2]
        for line in UNIT.read_text("utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


def test_the_unit_does_not_restart_on_an_invalid_config() -> None:
    settings = service()
    assert settings["Restart"] == "on-failure"
    assert "2" in settings["RestartPreventExitStatus"].split()  # exit 2: fix the file first
    assert int(settings["TimeoutStopSec"]) >= 10  # the daemon needs 8 s to stop


def test_the_unit_does_not_restart_on_a_newer_schema_but_does_on_a_failed_migration() -> None:
    # exit 3: a database migrated by a newer watchtower; restarting every 10 s only
    # fills the journal. exit 1 (a failed migration, a database not up yet) restarts.
    text = UNIT.read_text("utf-8")
    assert service()["RestartPreventExitStatus"].split() == ["2", "3"]
    assert "exit 3" in text and "db downgrade" in text  # the comment says what to do
    assert "1" not in service()["RestartPreventExitStatus"].split()


def test_reload_checks_the_config_then_sends_sighup() -> None:
    check, hup = values("ExecReload")
    assert check.endswith("watchtower check --config /etc/watchtower/watchtower.toml")
    assert hup == "/bin/kill -HUP $MAINPID"
    assert values("ExecStart") == [
        "/opt/watchtower/bin/watchtower run --config /etc/watchtower/watchtower.toml"
    ]


def test_the_unit_is_hardened_and_reads_secrets_from_a_file() -> None:
    settings = service()
    assert settings["EnvironmentFile"] == "-/etc/watchtower/env"
    assert settings["User"] == "watchtower" and settings["StateDirectory"] == "watchtower"
    for key, value in {
        "NoNewPrivileges": "true",
        "ProtectSystem": "strict",
        "ProtectHome": "true",
        "PrivateTmp": "true",
        "PrivateDevices": "true",
        "ProtectKernelTunables": "true",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "CapabilityBoundingSet": "",
        "SystemCallFilter": "@system-service",
        "UMask": "0077",
    }.items():
        assert settings.get(key) == value, key


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # The binary the unit names must exist: point it at this interpreter's watchtower.
    watchtower = Path(sys.executable).parent / "watchtower"
    text = UNIT.read_text("utf-8").replace("/opt/watchtower/bin/watchtower", str(watchtower))
    copy = tmp_path / "watchtower.service"
    copy.write_text(text, "utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "watchtower.service" not in result.stderr, result.stderr  # no warning about it


def test_the_image_runs_unprivileged_with_a_health_check() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines()]
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    assert "USER watchtower" in final
    assert 'VOLUME ["/data"]' in final
    healthcheck = " ".join(
        final[final.index(next(x for x in final if x.startswith("HEALTHCHECK"))) :][:2]
    )
    assert "watchtower status --live" in healthcheck
    assert "|| exit 1" in healthcheck  # Docker reserves status 2
    assert 'ENTRYPOINT ["watchtower"]' in final and 'CMD ["run"]' in final
