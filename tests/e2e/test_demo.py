"""``watchtower demo`` runs offline, shows mentions and routing, and stops cleanly on a signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run_demo_until(
    marker: str,
    sig: signal.Signals,
    timeout: float = 60.0,
    edit: Callable[[Path], str] | None = None,
) -> tuple[int, str]:
    """Run the demo until ``marker`` is printed, then send ``sig``; with ``edit``,
    first call it with the demo's config path once the intro is printed, and wait
    for the marker it returns too."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.pop("SLACK_BOT_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "watchtower", "demo", "--later", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    def wait_for(text: str) -> str:
        deadline = time.monotonic() + timeout
        while text not in (out := "".join(lines)):
            assert time.monotonic() < deadline and process.poll() is None, out
            time.sleep(0.1)
        return out

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if edit is not None:
            [config] = re.findall(r"^  config +(/\S+)$", wait_for("Stop with Ctrl-C."), re.M)
            time.sleep(0.5)  # the file watcher's thread is started, maybe not watching yet
            wait_for(edit(Path(config)))
        wait_for(marker)
        time.sleep(1.5)  # let the drain print what it has
        process.send_signal(sig)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=5)
    return code, "".join(lines)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_demo_shows_mentions_routing_and_a_new_post(sig: signal.Signals) -> None:
    # The forum's new post is published 3 s in: waiting for it proves live polling.
    code, out = run_demo_until("Escroquerie au faux conseiller", sig)

    assert code == 0, out
    assert "Traceback" not in out
    # Brand mentions on #veille, the crisis rule's matches on #crise.
    assert "Banque Acmé ouvre douze agences en Bretagne" in out
    assert "Lumière Énergie baisse ses tarifs" in out
    assert "→ #crise" in out and "→ #veille" in out
    crisis = out.split("Arnaque aux frais cachés chez Banque Acmé ?")[1].splitlines()[1]
    assert "#crise" in crisis
    # Excluded phrase and a different word are not mentions.
    assert "fabricant de fusées" not in out
    assert "Acmébis" not in out.split("Stop with Ctrl-C.")[1]
    assert "demo stopped" in out


def test_an_edit_of_the_demo_config_shows_that_it_was_reloaded() -> None:
    # The intro invites to add a brand while the demo runs; without any line
    # saying so, an applied edit looked exactly like an ignored one.
    def add_a_brand(config: Path) -> str:
        with config.open("a", encoding="utf-8") as f:
            f.write('\n[[brands]]\nname = "Soleil Levant"\nterms = ["Soleil Levant"]\n')
        return "config reloaded config="  # the log line, not the intro's mention of it

    code, out = run_demo_until("Arnaque aux frais", signal.SIGTERM, edit=add_a_brand)

    assert code == 0, out
    [reloaded] = [line for line in out.splitlines() if "config reloaded config=" in line]
    assert "brands=3" in reloaded, reloaded
    assert "Traceback" not in out
