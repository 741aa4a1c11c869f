"""What a daemon imports before it needs it: heavy libraries used by few configs
or rarely (Apprise and its plugins, slack_sdk, matplotlib for the digest chart,
dateparser for HTML dates, the language model) stay out of memory until a
config or an event asks for them (README, "Resources").

Each check runs in a fresh interpreter: this test process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Never imported by starting the daemon's modules or by ``check`` on a config
#: that does not use them.
LAZY = ("apprise", "slack_sdk", "matplotlib", "dateparser", "py3langid")


def imported_after(code: str, cwd: Path) -> set[str]:
    """The top-level packages of ``LAZY`` imported once ``code`` ran."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(LAZY)!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"PYTHONPATH": ":".join(p for p in sys.path if p), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def console_config(tmp_path: Path, notify: str = "console:#veille") -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{tmp_path / "wt.db"}"\n'
        f'default_notify = ["{notify}"]\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[sources]]\nname = "f"\nkind = "rss"\nurl = "http://127.0.0.1:9/f.xml"\n'
        "allow_private = true\n",
        "utf-8",
    )
    return path


def test_the_daemon_modules_import_none_of_the_heavy_optional_libraries(tmp_path: Path) -> None:
    modules = (
        "watchtower.cli, watchtower.app, watchtower.scheduler, watchtower.reload, watchtower.web"
    )
    assert imported_after(f"import {modules}", tmp_path) == set()


def test_check_on_a_console_config_imports_none_of_them(tmp_path: Path) -> None:
    path = console_config(tmp_path)
    code = (
        f"from watchtower.cli import main\nassert main(['check', '--config', {str(path)!r}]) == 0"
    )
    assert imported_after(code, tmp_path) == set()


def test_a_config_naming_a_kind_imports_its_notifier(tmp_path: Path) -> None:
    # The counterpart: validating an Apprise URL needs Apprise, so it is loaded then.
    path = console_config(tmp_path, notify="apprise:json://127.0.0.1:9/hook")
    code = (
        f"from watchtower.cli import main\nassert main(['check', '--config', {str(path)!r}]) == 0"
    )
    assert imported_after(code, tmp_path) == {"apprise"}
