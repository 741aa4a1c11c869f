"""A config file behind symlinks is reloaded when a link is swapped, as a plain file
is when edited: a Kubernetes ConfigMap (the kubelet renames a new ``..data`` link
over the old one and deletes the old version's folder), ``ln -sfn`` on the file
or on a folder above it, an editor renaming a new file over the link's target.

The App and the reloader are real (SQLite, a local feed server, the file watcher
on the real folders, a real SIGHUP); each test waits for the outcome with a
timeout, never for a fixed time.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.test_config_reload import config
from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.config_links import entry, link_chain
from watchtower.logs import _FIELDS as FIELDS
from watchtower.reload import Reloader

GLOBEX = '\n[[brands]]\nname = "Globex"\nterms = ["Globex"]\n'
INITECH = '\n[[brands]]\nname = "Initech"\nterms = ["Initech"]\n'


def brands(app: App) -> list[str]:
    return [brand.name for brand in app.loaded.config.brands]


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes (the answer, not the time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def text(tmp_path: Path, feeds: FeedServer) -> str:
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    return config(tmp_path, feeds)


@pytest.fixture
def configmap(tmp_path: Path, text: str) -> Path:
    """A folder laid out as the kubelet mounts a ConfigMap: ``watchtower.toml ->
    ..data/watchtower.toml``, ``..data -> ..2026_11_27_08_00_00.1``."""
    mount = tmp_path / "mount"
    first = mount / "..2026_11_27_08_00_00.1"
    first.mkdir(parents=True)
    (first / "watchtower.toml").write_text(text, "utf-8")
    (mount / "..data").symlink_to(first.name)
    (mount / "watchtower.toml").symlink_to("..data/watchtower.toml")
    return mount


def kubelet_update(mount: Path, version: str, text: str) -> None:
    """What the kubelet does on a ConfigMap update (atomic_writer.go): write the new
    version's folder, point a temporary link at it, rename that link over
    ``..data``, then delete the old version's folder."""
    old = mount / os.readlink(mount / "..data")
    (mount / version).mkdir()
    (mount / version / "watchtower.toml").write_text(text, "utf-8")
    (mount / "..data_tmp").symlink_to(version)
    os.rename(mount / "..data_tmp", mount / "..data")
    for child in old.iterdir():
        child.unlink()
    old.rmdir()


def editor_save(path: Path, text: str) -> None:
    """Save as vim or VS Code do: a new file next to it, renamed over it."""
    temporary = path.with_name(path.name + ".swp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


@pytest.fixture
def watching() -> Iterator[Callable[[Path], App]]:
    """Start an App on a config path and its reloader with the file watcher; the
    watcher is armed (its watch in place) before the test changes anything."""
    started: list[tuple[App, Reloader]] = []

    def start(path: Path) -> App:
        app = App(load_config(path), console=io.StringIO())
        app.start()
        reloader = Reloader(app).start()
        started.append((app, reloader))
        assert reloader.armed.wait(20), "the file watcher never armed"
        return app

    yield start
    for app, reloader in started:
        reloader.stop()
        app.close()


def test_a_configmap_update_is_reloaded_and_the_next_one_too(
    configmap: Path,
    text: str,
    watching: Callable[[Path], App],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = watching(configmap / "watchtower.toml")

    def reloaded() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.getMessage() == "config reloaded"]

    with caplog.at_level(logging.INFO, logger="watchtower.reload"):
        kubelet_update(configmap, "..2026_11_27_08_05_00.2", text + GLOBEX)
        assert wait_for(lambda: "Globex" in brands(app)), "the new ConfigMap was never loaded"
        # Logged once the swap is done, a moment after the new brands show.
        assert wait_for(lambda: bool(reloaded())), "the reload was never logged"
    # The log names the path the operator gave, and the version it led to.
    record = reloaded()[0]
    assert getattr(record, FIELDS)["config"] == str(configmap / "watchtower.toml")
    assert getattr(record, FIELDS)["target"] == str(
        configmap.resolve() / "..2026_11_27_08_05_00.2" / "watchtower.toml"
    )

    # The watch follows the new ..data: a second update is seen as well.
    kubelet_update(configmap, "..2026_11_27_08_10_00.3", text + GLOBEX + INITECH)
    assert wait_for(lambda: "Initech" in brands(app)), "the second update was never loaded"
    assert app.loaded.path == configmap / "watchtower.toml"


def test_an_edit_of_the_configmaps_target_is_reloaded(
    configmap: Path, text: str, watching: Callable[[Path], App]
) -> None:
    app = watching(configmap / "watchtower.toml")

    (configmap / "..data" / "watchtower.toml").write_text(text + GLOBEX, "utf-8")

    assert wait_for(lambda: "Globex" in brands(app)), "the edited target was never loaded"


def test_ln_sfn_on_the_config_file_is_reloaded(
    tmp_path: Path, text: str, watching: Callable[[Path], App]
) -> None:
    releases = tmp_path / "releases"
    releases.mkdir()
    (releases / "v1.toml").write_text(text, "utf-8")
    (releases / "v2.toml").write_text(text + GLOBEX, "utf-8")
    link = tmp_path / "etc" / "watchtower.toml"
    link.parent.mkdir()
    link.symlink_to(releases / "v1.toml")
    app = watching(link)

    subprocess.run(["ln", "-sfn", str(releases / "v2.toml"), str(link)], check=True)

    assert wait_for(lambda: "Globex" in brands(app)), "the re-pointed link was never loaded"


def test_ln_sfn_on_a_folder_above_the_config_is_reloaded(
    tmp_path: Path, text: str, watching: Callable[[Path], App]
) -> None:
    for release, extra in (("v1", ""), ("v2", GLOBEX)):
        (tmp_path / "releases" / release).mkdir(parents=True)
        (tmp_path / "releases" / release / "watchtower.toml").write_text(text + extra, "utf-8")
    current = tmp_path / "current"
    current.symlink_to(tmp_path / "releases" / "v1")
    app = watching(current / "watchtower.toml")

    subprocess.run(["ln", "-sfn", str(tmp_path / "releases" / "v2"), str(current)], check=True)

    assert wait_for(lambda: "Globex" in brands(app)), "the new release was never loaded"


class SwapWhileDescheduled(Reloader):
    """A reloader whose watch thread loses the CPU just after arming, as on a
    loaded machine, while the operator swaps a link: ``swap`` runs once the
    worker has read the file for the arming check, before the watch thread
    looks at the links again. Only the moment is forced; the code is the real one."""

    def __init__(self, app: App, swap: Callable[[], None]) -> None:
        super().__init__(app)
        self._swap = swap
        self._swapped = False
        self._checked = threading.Event()

    def reload(self, *, force: bool = False) -> bool | None:
        outcome = super().reload(force=force)
        self._checked.set()
        return outcome

    def watched_files(self) -> set[Path]:
        here = threading.current_thread().name
        if here == "watch" and self.armed.is_set() and not self._swapped:
            self._swapped = True
            assert self._checked.wait(20), "the arming check never ran"
            self._swap()
        return super().watched_files()


def test_a_folder_link_swapped_while_the_watcher_is_descheduled_is_reloaded(
    tmp_path: Path, text: str
) -> None:
    """The flake of ``test_ln_sfn_on_a_folder_above_the_config_is_reloaded`` under
    CPU load: the swap's event reached the watch being left (the links lead to
    other folders), and the new watch took the swapped file for the one already
    read, so the new release was never loaded."""
    for release, extra in (("v1", ""), ("v2", GLOBEX)):
        (tmp_path / "releases" / release).mkdir(parents=True)
        (tmp_path / "releases" / release / "watchtower.toml").write_text(text + extra, "utf-8")
    current = tmp_path / "current"
    current.symlink_to(tmp_path / "releases" / "v1")

    def swap() -> None:
        subprocess.run(["ln", "-sfn", str(tmp_path / "releases" / "v2"), str(current)], check=True)

    app = App(load_config(current / "watchtower.toml"), console=io.StringIO())
    app.start()
    reloader = SwapWhileDescheduled(app, swap).start()
    try:
        assert wait_for(lambda: "Globex" in brands(app)), "the new release was never loaded"
    finally:
        reloader.stop()
        app.close()


def test_an_editor_save_through_a_symlink_is_reloaded(
    tmp_path: Path, text: str, watching: Callable[[Path], App]
) -> None:
    target = tmp_path / "dotfiles" / "watchtower.toml"
    target.parent.mkdir()
    target.write_text(text, "utf-8")
    link = tmp_path / "etc" / "watchtower.toml"
    link.parent.mkdir()
    link.symlink_to(target)
    app = watching(link)

    editor_save(target, text + GLOBEX)
    assert wait_for(lambda: "Globex" in brands(app)), "the saved target was never loaded"

    # Saved through the link's name: the editor's file replaces the link itself.
    editor_save(link, text + GLOBEX + INITECH)
    assert wait_for(lambda: "Initech" in brands(app)), "the save over the link was never loaded"


def test_sighup_after_a_configmap_update_reads_the_new_file(configmap: Path, text: str) -> None:
    """``systemctl reload`` (SIGHUP) after the kubelet swapped ``..data`` and deleted
    the old version's folder: the reload reads the path the operator gave, not
    the folder it led to when the daemon started."""
    app = App(load_config(configmap / "watchtower.toml"), console=io.StringIO())
    app.start()
    reloader = Reloader(app).start(watch=False)
    previous = signal.getsignal(signal.SIGHUP)
    reloader.install_sighup()
    try:
        kubelet_update(configmap, "..2026_11_27_08_05_00.2", text + GLOBEX)
        os.kill(os.getpid(), signal.SIGHUP)
        assert wait_for(lambda: "Globex" in brands(app)), "SIGHUP did not load the new version"
    finally:
        signal.signal(signal.SIGHUP, previous)
        reloader.stop()
        app.close()


def test_a_deleted_target_keeps_the_last_good_config_and_names_the_given_path(
    tmp_path: Path, text: str, watching: Callable[[Path], App], caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "dotfiles" / "watchtower.toml"
    target.parent.mkdir()
    target.write_text(text, "utf-8")
    link = tmp_path / "etc" / "watchtower.toml"
    link.parent.mkdir()
    link.symlink_to(target)
    app = watching(link)

    with caplog.at_level(logging.INFO, logger="watchtower.reload"):
        target.unlink()

        def refused() -> bool:
            return any(r.getMessage().startswith("config rejected") for r in caplog.records)

        assert wait_for(refused), "the deleted file was never reported"
    rejected = next(r for r in caplog.records if r.getMessage().startswith("config rejected"))
    assert getattr(rejected, FIELDS)["config"] == str(link)
    # The problems are logged just after that line.
    assert wait_for(lambda: any(str(link) in r.getMessage() for r in caplog.records)), (
        "problem names the link"
    )
    assert brands(app) == ["Acmé"]  # still running on the last good config

    target.write_text(text + GLOBEX, "utf-8")  # the file is back
    assert wait_for(lambda: "Globex" in brands(app)), "the restored file was never loaded"


def test_the_link_chain_of_a_configmap_names_each_link_then_the_file(configmap: Path) -> None:
    chain = link_chain(configmap / "watchtower.toml")

    real = configmap.resolve()
    assert chain == [
        real / "watchtower.toml",
        real / "..data",
        real / "..2026_11_27_08_00_00.1" / "watchtower.toml",
    ]
    assert entry(configmap / "..data") == real / "..data"  # the link, not followed


def test_a_loop_of_links_ends_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.toml").symlink_to("b.toml")
    (tmp_path / "b.toml").symlink_to("a.toml")

    chain = link_chain(tmp_path / "a.toml")

    assert chain[0] == tmp_path.resolve() / "a.toml"
    assert len(chain) <= 42
