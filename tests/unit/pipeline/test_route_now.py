"""Where a queued notification's rule and brand route under a new config
(:func:`targets_now`), and which targets a config names (:func:`configured_targets`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.config import Config, parse_config
from watchtower.pipeline.route import configured_targets, targets_now

CONFIG = """
[watchtower]
database_url = "sqlite:///:memory:"
default_notify = ["slack:#veille"]
ops_notify = ["email:ops@example.fr"]

[slack]
default_channel = "#veille"

[email]
smtp_host = "127.0.0.1"
from = "veille@example.fr"

[[sources]]
name = "presse"
kind = "rss"
url = "https://news.example.fr/feed.xml"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
notify = ["slack:#client-acme"]

[[brands]]
name = "Globex"
terms = ["Globex"]

[[rules]]
name = "crise"
query = "boycott"
severity = "critical"
notify = ["apprise:json://127.0.0.1:9/hook", "email:crise@example.fr"]

[[rules]]
name = "sans-cible"
query = "avis"

[[digests]]
targets = ["email:direction@example.fr"]
digest = "daily 08:00"
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path: Path = tmp_path_factory.mktemp("route") / "watchtower.toml"
    return parse_config(CONFIG, path).config


@pytest.mark.parametrize(
    ("rules", "brands", "expected"),
    [
        (["crise"], ["Acmé"], ["apprise:json://127.0.0.1:9/hook", "email:crise@example.fr"]),
        (["sans-cible"], ["Acmé"], ["slack:#client-acme"]),  # the brand's own channel
        (["sans-cible"], ["Globex"], ["slack:#veille"]),  # the defaults
        ([], ["Acmé", "Globex"], ["slack:#client-acme", "slack:#veille"]),
        (
            ["crise", "sans-cible"],
            ["Globex"],
            ["apprise:json://127.0.0.1:9/hook", "email:crise@example.fr", "slack:#veille"],
        ),
        (["supprimée"], ["Acmé"], None),  # its rule is gone: routed nowhere new
        (["crise", "supprimée"], ["Acmé"], None),
        ([], ["Initech"], None),  # its brand is gone
        ([], [], None),
    ],
)
def test_targets_now(
    config: Config, rules: list[str], brands: list[str], expected: list[str] | None
) -> None:
    assert targets_now(config, rules, brands) == expected


def test_configured_targets_are_every_target_the_config_names(config: Config) -> None:
    assert configured_targets(config) == {
        "slack:#veille",
        "slack:#client-acme",
        "email:ops@example.fr",
        "apprise:json://127.0.0.1:9/hook",
        "email:crise@example.fr",
        "email:direction@example.fr",
    }
