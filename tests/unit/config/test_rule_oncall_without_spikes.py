"""``watchtower check`` warns that a rule's ``escalate_to`` and ``escalate_notify``
do nothing without ``spikes = true``.

They serve the rule's spike alerts only: a crisis rule with ``escalate_to`` and
no ``spikes`` validates, ``check`` said OK, and a critical recall pages nobody.
Each warning is on the key's line; a rule an included pack added has no line of
its own, so its warning is on ``include`` and names the rule and the pack (as
the never-firing rules' warning does).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from watchtower import packs
from watchtower.cli import main

HEAD = (
    '[watchtower]\ndefault_notify = ["console:"]\n'
    '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    '[[sources]]\nname = "presse"\nkind = "rss"\nurl = "http://127.0.0.1:9/p.xml"\n'
)
NO_EFFECT = (
    "no effect: a rule's {key} serves its spike alerts, and this rule has no "
    "`spikes = true`: its mentions page nobody and never escalate"
)


def warnings(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """``check``'s warnings about on-call keys, as ``LINE: KEY: MESSAGE``."""
    config = tmp_path / "w.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["check", "--config", str(config)]) == 0  # a warning, never an error
    prefix = f"warning: {config}:"
    return [
        line.removeprefix(prefix)
        for line in capsys.readouterr().err.splitlines()
        if line.startswith(prefix) and "no effect" in line
    ]


def at(text: str, line: str, key: str, rule: int = 0) -> str:
    """The warning about ``rules[rule].key``, written on ``line`` of ``text``."""
    number = text.splitlines().index(line) + 1
    return f"{number}: rules[{rule}].{key}: " + NO_EFFECT.format(key=key)


def test_a_rule_on_call_without_spikes_is_named_on_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD + (
        '[[rules]]\nname = "rappel"\nquery = "rappel"\nseverity = "critical"\n'
        'escalate_to = ["@U0123"]\nack_timeout = "5m"\n'
        'escalate_notify = ["email:astreinte@example.fr"]\n'
    )
    assert warnings(text, tmp_path, capsys) == [
        at(text, 'escalate_to = ["@U0123"]', "escalate_to"),
        at(text, 'escalate_notify = ["email:astreinte@example.fr"]', "escalate_notify"),
    ]


def test_after_included_rules_and_with_extends_the_line_is_the_rules_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        'include = ["crisis-fr"]\n'
        + HEAD
        + '[[rules]]\nname = "pic"\nspikes = true\nescalate_to = ["@U0001"]\n'
        + '[[rules]]\nname = "crise-acme"\nextends = "crisis-fr"\nescalate_to = ["@U0456"]\n'
    )
    assert warnings(text, tmp_path, capsys) == [
        at(text, 'escalate_to = ["@U0456"]', "escalate_to", rule=1)
    ]


@pytest.mark.parametrize(
    "rule",
    [
        # spikes = true: the keys serve its alerts, with or without [spikes].
        'spikes = true\nescalate_to = ["@U0123"]\nack_timeout = "5m"\n'
        'escalate_notify = ["console:"]\n',
        # Only an ack_timeout (as config.example.toml writes it): it escalates nothing.
        'severity = "critical"\nack_timeout = "5m"\n',
    ],
)
def test_no_warning_when_the_keys_serve_or_are_not_written(
    rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD + '[[rules]]\nname = "rappel"\nquery = "rappel"\n' + rule
    assert warnings(text, tmp_path, capsys) == []


@pytest.fixture
def recall_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A pack "recall" whose rule carries escalate_to without spikes."""
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "recall.toml").write_text(
        '[[rules]]\nname = "recall"\nquery = "rappel"\nseverity = "critical"\n'
        'escalate_to = ["@U0999"]\n',
        encoding="utf-8",
    )
    cached = (packs.pack_names, packs.load_pack, packs.vocabularies)
    for function in cached:
        function.cache_clear()
    monkeypatch.setattr(packs, "_folder", lambda: folder)
    yield
    for function in cached:  # the shipped packs again for the next tests
        function.cache_clear()


@pytest.mark.usefixtures("recall_pack")
def test_a_pack_rule_is_named_on_the_include_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD.replace("[watchtower]", 'include = ["recall"]\n[watchtower]')
    assert warnings(text, tmp_path, capsys) == [
        "1: include: rule 'recall' (a rule of the included pack 'recall'): "
        + NO_EFFECT.format(key="escalate_to")
    ]
