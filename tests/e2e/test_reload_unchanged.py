"""A SIGHUP (``systemctl reload``) with nothing saved says so in the log: the
operator sees the signal was heard, and that nothing changed."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_reload import config
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config
from watchtower.reload import Reloader


def test_a_reload_of_an_unchanged_file_is_logged(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack), "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        with caplog.at_level(logging.INFO, logger="watchtower.reload"):
            assert reloader.reload() is None  # what SIGHUP asks the worker for
        said = [r.getMessage() for r in caplog.records if r.name == "watchtower.reload"]
        assert said == ["config unchanged since it was loaded: nothing to apply"]
    finally:
        app.close()
