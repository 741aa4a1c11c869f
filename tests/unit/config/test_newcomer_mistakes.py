"""Mistakes a newcomer made in their first config, and what `watchtower check` says.

Found by following the README from scratch: a list without its commas, a
target written the way people say it ("#crise", an e-mail address), and a
brand name whose apostrophe or space is another character than the rule's.
Each message names the line and says what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.config.test_config import GOOD
from tests.unit.config.test_config_mistakes import problems
from watchtower.cli import main

#: Lines of GOOD: 4 [[brands]], 5 name, 6 terms, 14 [[rules]], 16 brands, 18 notify.
TARGETS = (
    " (a target is 'slack:#channel', 'email:name@example.fr', 'console:' or "
    "'apprise:' and the service's URL)"
)
COMMA = (
    "TOML syntax error: a comma is missing before this value: list items are "
    'separated by commas, as in ["Acmé", "Banque Acmé"]'
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'terms = ["Acmé"]', 'terms = ["Acmé" "Banque Acmé"]', [f"6: {COMMA}"], id="one-line"
        ),
        pytest.param(
            'terms = ["Acmé"]',
            'terms = [\n  "Acmé",\n  "Banque Acmé"\n  "acme.fr",\n]',
            [f"9: {COMMA}"],
            id="one-item-per-line",
        ),
        pytest.param(
            'notify = ["console:"]',
            'notify = ["#crise"]',
            [
                "18: rules[0].notify[0]: unknown target '#crise'; "
                f"did you mean 'slack:#crise'?{TARGETS}"
            ],
            id="channel-without-slack",
        ),
        pytest.param(
            'notify = ["console:"]',
            'notify = ["dircom@example.fr"]',
            [
                "18: rules[0].notify[0]: unknown target 'dircom@example.fr'; "
                f"did you mean 'email:dircom@example.fr'?{TARGETS}"
            ],
            id="address-without-email",
        ),
        pytest.param(
            'name = "Acmé"',
            'name = "L’Acmé"',
            [
                "16: rules[0].brands: unknown brand 'Acmé'; did you mean 'L’Acmé'?",
            ],
            id="brand-renamed",
        ),
        pytest.param(
            'name = "Acmé"',
            'name = "L\'Acmé"',
            ["16: rules[0].brands: unknown brand 'Acmé'; did you mean \"L'Acmé\"?"],
            id="suggestion-quoted-apart",
        ),
    ],
)
def test_check_says_what_to_write(
    write_config: Callable[[str], Path], old: str, new: str, expected: list[str]
) -> None:
    assert old in GOOD
    assert problems(write_config(GOOD.replace(old, new, 1))) == expected


@pytest.mark.parametrize(
    ("brand", "rule", "which"),
    [
        (
            "L’Acmé",
            "L'Acmé",
            "the typographic apostrophe ’ where this has the straight apostrophe '",
        ),
        (
            "L'Acmé",
            "L’Acmé",
            "the straight apostrophe ' where this has the typographic apostrophe ’",
        ),
        ("Banque\u00a0Acmé", "Banque Acmé", "a non-breaking space where this has a space"),
        ("Acmé–Pay", "Acmé-Pay", "the dash – where this has the hyphen -"),
    ],
)
def test_a_brand_name_with_a_look_alike_character_says_which(
    write_config: Callable[[str], Path], brand: str, rule: str, which: str
) -> None:
    text = GOOD.replace('name = "Acmé"', f'name = "{brand}"').replace(
        'brands = ["Acmé"]', f'brands = ["{rule}"]'
    )
    assert problems(write_config(text)) == [
        f"16: rules[0].brands: unknown brand {rule!r}; did you mean {brand!r}? "
        f"(it has {which}: copy the name exactly)"
    ]


def test_an_unknown_target_prints_no_apprise_error(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(GOOD.replace('notify = ["console:"]', 'notify = ["#crise"]'))
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"{path}:18: rules[0].notify[0]: unknown target '#crise'; "
        f"did you mean 'slack:#crise'?{TARGETS}\n"
    )


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("#Crise", "; did you mean 'slack:#crise'?"),
        ("@U0123", "; did you mean 'slack:@U0123'?"),
        ("Slack:#crise", "; did you mean 'slack:#crise'?"),
        ("mail:dircom@example.fr", "; did you mean 'email:dircom@example.fr'?"),
        ("console", "; did you mean 'console:'?"),
        (
            "https://hooks.example.fr/T0/B0/s3cret",
            "; a web address (a webhook) goes after 'apprise:', in the same text",
        ),
        ("sms:0600000000", ""),
        ("veille", ""),
    ],
)
def test_target_hint(target: str, hint: str) -> None:
    from watchtower.config_hints import target_hint

    assert target_hint(target) == hint


def test_lookalike_hint_is_silent_for_other_differences() -> None:
    from watchtower.config_hints import lookalike_hint

    assert lookalike_hint("Acme", "Acmé") == ""
    assert lookalike_hint("Acmé", "Acmé") == ""
