"""The JSON Schema for editors accepts the example config and catches the usual typos."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT
from tests.unit.config.test_config import GOOD
from watchtower.cli import main
from watchtower.config import config_schema


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, text: str) -> list[str]:
    data: dict[str, Any] = tomllib.loads(text)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]


def test_example_config_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert errors(validator, text) == []
    assert errors(validator, GOOD) == []


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('severity = "critical"', 'sevrity = "critical"', "rules.0"),
        ('kind = "google_alerts"', 'kind = "gogle_alerts"', "sources.0"),
        ('every = "10m"', 'every = "10 minutes"', "sources.0"),
        ('notify = ["console:"]', 'notify = ["sms:0600000000"]', "rules.0.notify.0"),
        ('severity = "critical"', 'severity = "urgent"', "rules.0.severity"),
        ('terms = ["Acmé"]', "terms = []", "brands.0.terms"),
        ('database_url = "sqlite:///state/wt.db"', 'database_ulr = "x"', "watchtower"),
        ('url = "https://www.google.com/alerts/feeds/1/2"', 'feed = "https://x.fr/"', "sources.0"),
    ],
)
def test_typos_are_rejected(
    validator: jsonschema.Draft202012Validator, old: str, new: str, where: str
) -> None:
    assert old in GOOD
    found = errors(validator, GOOD.replace(old, new))
    assert found, "the schema accepted a typo"
    assert any(e.startswith(where) for e in found), found


def test_sources_are_a_discriminated_union_on_kind() -> None:
    items = config_schema()["properties"]["sources"]["items"]["else"]
    assert items["discriminator"]["propertyName"] == "kind"
    assert set(items["discriminator"]["mapping"]) >= {"rss", "google_alerts"}


def test_durations_are_written_as_in_the_file() -> None:
    text = json.dumps(config_schema())
    assert '"format": "duration"' not in text and "PT30S" not in text


def test_schema_command_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "watchtower.schema.json"
    assert main(["schema", "--output", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "watchtower configuration"
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$schema"].startswith("https://json-schema.org/")
