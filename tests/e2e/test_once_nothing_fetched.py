"""``run --once`` that fetches no source says so: every enabled source still a
placeholder (the untouched ``watchtower init`` example) exits 2, as an invalid
config, with one line naming them and the file to edit; no enabled source at
all is the operator's choice (a run that only delivers), said in the log, the
run's own status kept.

Placeholders are never fetched (tests/e2e/test_placeholder_sources.py), so
nothing here leaves this machine; the only feed is the local feed server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers.http import FeedServer, Resource
from watchtower.cli import main
from watchtower.config import load_config

pytestmark = pytest.mark.timeout(120)

EXAMPLE_SOURCES = (
    "alertes-acme, presse-eco, forum-conso, communaute, avis-agence-lyon, "
    "groupes-linkedin, actus-concurrent"
)


def head(database_url: str) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]
"""


def rss_source(name: str, url: str, extra: str = "") -> str:
    return f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\n{extra}\n'


def run_once(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["run", "--once", *args])
    return code, capsys.readouterr().err.splitlines()


def test_the_untouched_example_exits_2_naming_its_placeholders(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    monkeypatch.setenv("WATCHTOWER_DATABASE_URL", database_url)
    path = load_config("watchtower.toml").path

    code, err = run_once(capsys)

    assert code == 2
    assert err[-1] == (
        "watchtower run --once: no source fetched: 7 sources still have the example's "
        f"placeholder addresses ({EXAMPLE_SOURCES}); edit them in {path}"
    )
    # The poller's own line, as the daemon logs it: once, with the count.
    [told] = [line for line in err if "no source polled" in line]
    assert " WARNING " in told and "placeholders=7 " in told


def test_documentation_hosts_with_a_paused_real_source_exit_2(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/presse.rss"] = Resource(b"<rss/>")
    path = write_config(
        head(database_url)
        + rss_source("blog", "https://user@Blog.Example.org./feed")
        + rss_source("presse", feeds.url("/presse.rss"), "allow_private = true\nenabled = false")
    )

    code, err = run_once(capsys, "--config", str(path))

    assert code == 2
    assert err[-1] == (
        "watchtower run --once: no source fetched: 1 source still has a host reserved for "
        f"documentation (blog); edit it in {path}"
    )
    assert feeds.statuses("/presse.rss") == []  # paused: not fetched either


def test_one_real_source_beside_placeholders_runs_as_usual(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/presse.rss"] = Resource(
        b'<rss version="2.0"><channel><title>t</title></channel></rss>'
    )
    path = write_config(
        head(database_url)
        + rss_source("docs", "https://news.example.com/rss.xml")
        + rss_source("presse", feeds.url("/presse.rss"), "allow_private = true")
    )

    code, err = run_once(capsys, "--config", str(path))

    assert code == 0
    assert feeds.statuses("/presse.rss") == [200]
    assert not [line for line in err if "no source fetched" in line or "no source polled" in line]


@pytest.mark.parametrize(
    ("sources", "said"),
    [
        ("", "{path} has no [[sources]]"),
        (
            rss_source("a", "http://127.0.0.1:9/a.xml", "allow_private = true\nenabled = false"),
            "the source of {path} is paused (enabled = false: a)",
        ),
        (
            rss_source("a", "http://127.0.0.1:9/a.xml", "enabled = false")
            + rss_source("b", "https://www.example.fr/rss.xml", "enabled = false"),
            "all 2 sources of {path} are paused (enabled = false: a, b)",
        ),
    ],
    ids=["no-sources", "one-paused", "all-paused"],
)
def test_no_enabled_source_is_said_and_keeps_the_run_status(
    database_url: str,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    sources: str,
    said: str,
) -> None:
    path = write_config(head(database_url) + sources)

    code, err = run_once(capsys, "--config", str(path))

    assert code == 0  # a run that only delivers what waits is allowed (after a crash)
    message = (
        f"no source fetched: {said.format(path=path)}; the run only delivered waiting notifications"
    )
    [line] = [line for line in err if "no source fetched" in line]
    assert " WARNING watchtower.scheduler " in line and line.endswith(message), line
    # Said before the run's last line, which gives its exit status.
    assert err.index(line) == len(err) - 2 and err[-1].endswith(" exit_code=0"), err[-2:]
