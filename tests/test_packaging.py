"""The wheel `pip install` and the Docker image use holds the whole daemon.

Tests import watchtower from the source tree (an editable install), so a
module left out of the wheel would only show on a user's machine. This test
builds the wheel, unpacks it, and runs watchtower from it alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_runs_on_its_own(tmp_path: Path) -> None:
    # Built from a copy: a build/ folder left in the tree would hide a missing package.
    source = tmp_path / "src"
    for name in ("pyproject.toml", "README.md", "watchtower", "sources", "rules", "migrations"):
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    [wheel] = (tmp_path / "dist").glob("watchtower-*.whl")
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
        names = set(archive.namelist())

    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "watchtower").rglob("*.py")}
    assert modules - names == set(), "modules missing from the wheel"
    # Every preset, rule pack, migration and demo feed (`watchtower demo`, the
    # README's first command, reads them from the package).
    shipped = {
        *(f"watchtower/presets/{p.name}" for p in (ROOT / "sources").glob("*.toml")),
        *(f"watchtower/rulepacks/{p.name}" for p in (ROOT / "rules").glob("*.toml")),
        *(f"watchtower/data/demo/{p.name}" for p in (ROOT / "watchtower/data/demo").iterdir()),
        # `check`'s everyday words and first names
        *(f"watchtower/data/{p.name}" for p in (ROOT / "watchtower/data").glob("*.gz")),
        *(
            f"watchtower/migrations/versions/{p.name}"
            for p in (ROOT / "migrations/versions").glob("*.py")
        ),
        "watchtower/migrations/env.py",
        "watchtower/py.typed",
    }
    assert shipped - names == set()

    # From the unpacked wheel alone (first on the path, before the editable
    # install): every module imports (alembic runs the migrations' own), the
    # example config checks, and the migrations apply.
    script = (
        "import importlib, pkgutil, sys, watchtower\n"
        f"assert watchtower.__file__.startswith({str(unpacked)!r}), watchtower.__file__\n"
        "for m in pkgutil.walk_packages(watchtower.__path__, 'watchtower.'):\n"
        "    if not m.name.endswith('__main__') and '.migrations' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "from watchtower.cli import main\n"
        f"assert main(['check', '--config', {str(ROOT / 'config.example.toml')!r}]) == 0\n"
        f"db = 'sqlite:///' + {str(tmp_path / 'wt.db')!r}\n"
        "import os; os.environ['WATCHTOWER_DATABASE_URL'] = db\n"
        f"sys.exit(main(['db', 'upgrade', '--config', {str(ROOT / 'config.example.toml')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-P", "-c", script],
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
