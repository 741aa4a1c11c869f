"""The wheel `pip install` and the Docker image use holds the whole daemon.

Tests import watchtower from the source tree (an editable install), so a
module left out of the wheel would only show on a user's machine. This test
builds the wheel, unpacks it, and runs watchtower from it alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.conftest import ROOT

#: What the build reads from the tree (the Dockerfile's build stage copies the same).
BUILD_INPUTS = (
    "pyproject.toml",
    "README.md",
    "config.example.toml",
    "watchtower",
    "sources",
    "rules",
    "migrations",
)


def source_copy(tmp_path: Path) -> Path:
    """The files a build reads, copied: a build/ folder left in the tree would
    hide a missing package."""
    source = tmp_path / "src"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    return source


def test_the_wheel_runs_on_its_own(tmp_path: Path) -> None:
    source = source_copy(tmp_path)
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
        # `watchtower init`: the documented example, from its one source at the root
        "watchtower/example/config.example.toml",
    }
    assert shipped - names == set()
    # The example's package is the repository root: nothing else of it is shipped
    # (a script or conftest.py put at the root would otherwise land here).
    assert {n for n in names if n.startswith("watchtower/example/")} == {
        "watchtower/example/config.example.toml"
    }

    # From the unpacked wheel alone (first on the path, before the editable
    # install): every module imports (alembic runs the migrations' own), the
    # example config checks, `watchtower init` writes it (from the package: no
    # config.example.toml next to the unpacked wheel), and the migrations apply.
    written = tmp_path / "init.toml"
    script = (
        "import importlib, pkgutil, sys, watchtower\n"
        f"assert watchtower.__file__.startswith({str(unpacked)!r}), watchtower.__file__\n"
        "for m in pkgutil.walk_packages(watchtower.__path__, 'watchtower.'):\n"
        "    if not m.name.endswith('__main__') and '.migrations' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "from watchtower.cli import main\n"
        f"assert main(['check', '--config', {str(ROOT / 'config.example.toml')!r}]) == 0\n"
        f"assert main(['init', {str(written)!r}]) == 0\n"
        f"assert main(['check', '--config', {str(written)!r}]) == 0\n"
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
    assert not (unpacked / "config.example.toml").exists()
    assert written.read_bytes() == (ROOT / "config.example.toml").read_bytes()


def test_an_editable_install_inits_the_example_of_its_source_tree(tmp_path: Path) -> None:
    # `pip install -e .` maps the packages to the tree (pyproject's package-dir);
    # the example is read where it is edited, so a change shows at once.
    source = source_copy(tmp_path)
    example = source / "config.example.toml"
    example.write_text(example.read_text("utf-8") + "# edited in this tree\n", "utf-8")
    build = subprocess.run(
        [sys.executable, "-c",
         "from setuptools import build_meta; print(build_meta.build_editable('dist'))"],
        capture_output=True, text=True, timeout=300, cwd=source,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    site = tmp_path / "site"
    with zipfile.ZipFile(source / "dist" / build.stdout.strip().splitlines()[-1]) as archive:
        archive.extractall(site)
    # This editable install's finder first, then the dependencies (without the
    # .pth files there, which would install the main tree's own finder).
    script = (
        "import site, sys\n"
        f"site.addsitedir({str(site)!r})\n"
        f"sys.path.append({sysconfig.get_paths()['purelib']!r})\n"
        "import watchtower\n"
        f"assert watchtower.__file__.startswith({str(source)!r}), watchtower.__file__\n"
        "from watchtower.cli import main\n"
        "sys.exit(main(['init', '-']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-P", "-c", script],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == example.read_text("utf-8")
