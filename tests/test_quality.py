"""The package stays typed and linted: mypy --strict and ruff, as the style guide asks."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_is_clean() -> None:
    result = run(sys.executable, "-m", "mypy", "watchtower")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "check", "watchtower", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
