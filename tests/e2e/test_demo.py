"""``watchtower demo`` runs offline, shows mentions and routing, and stops cleanly on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import ROOT


def run_demo_until(marker: str, sig: signal.Signals, timeout: float = 60.0) -> tuple[int, str]:
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
    seen = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(timeout), "".join(lines)
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
