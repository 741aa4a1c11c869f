"""Two `watchtower check` warnings an operator can act on:

* a remote SMTP server on port 587/465 without SMTP_USERNAME/SMTP_PASSWORD is
  warned about, unless ``[email] login = false`` says the relay needs no login
  (a company relay that authorises by IP address); the warning names that key;
* ``match_case = ["Orange"]`` still matches every sentence that starts with
  "Orange" and every title: `check` says so for an everyday word, without
  changing what the matcher does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import load_config
from watchtower.models import Item
from watchtower.pipeline.match.engine import Matcher

SOURCE = '[[sources]]\nname = "presse"\nkind = "rss"\nurl = "https://presse.acme.example/rss.xml"\n'
BRAND = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n' + SOURCE

EMAIL = (
    '[watchtower]\ndefault_notify = ["email:dircom@acme.example"]\n'
    '[email]\nsmtp_host = "relais.acme.example"\nsmtp_port = {port}\n'
    'from = "veille@acme.example"\n{extra}'
)


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SLACK_BOT_TOKEN", "SMTP_USERNAME", "SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def warnings(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["check", "--config", str(path)]) == 0
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


# ------------------------------------------------------------------ SMTP login


@pytest.mark.parametrize("port", [587, 465])
def test_the_missing_login_warning_names_the_key_that_silences_it(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
    port: int,
) -> None:
    path = write_config(EMAIL.format(port=port, extra="") + BRAND)
    assert warnings(path, capsys) == [
        f"warning: {path}:3: email: [email] smtp_host relais.acme.example:{port}: the "
        "environment variables "
        f"SMTP_USERNAME and SMTP_PASSWORD are not set here; a server on port {port} usually "
        "requires a login, and e-mail (email:dircom@acme.example) would wait until they are "
        "set; if this server relays without a login on purpose, write login = false in [email]"
    ]


@pytest.mark.parametrize("port", [587, 465])
def test_login_false_says_the_relay_needs_none(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
    port: int,
) -> None:
    path = write_config(EMAIL.format(port=port, extra="login = false\n") + BRAND)
    assert load_config(path).config.email is not None
    assert warnings(path, capsys) == []


def test_login_false_with_a_login_set_anyway_is_warned_about(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
) -> None:
    """The notifier logs in whenever the variables are set: a relay that offers no
    AUTH then refuses every e-mail."""
    no_secrets.setenv("SMTP_USERNAME", "veille")
    no_secrets.setenv("SMTP_PASSWORD", "hunter2-secret")
    path = write_config(EMAIL.format(port=587, extra="login = false\n") + BRAND)
    capsys.readouterr()
    assert main(["check", "--config", str(path)]) == 0
    err = capsys.readouterr().err
    [warning] = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warning == (
        f"warning: {path}:7: email.login: [email] smtp_host relais.acme.example:587: "
        "login = false, yet SMTP_USERNAME "
        "and SMTP_PASSWORD are set here and watchtower logs in with them; unset them, or "
        "remove login = false"
    )
    assert "hunter2-secret" not in err


def test_login_is_a_boolean(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A guard: `login = "none"` is refused with its line, not taken as true."""
    path = write_config(EMAIL.format(port=587, extra='login = "none"\n') + BRAND)
    capsys.readouterr()
    assert main(["check", "--config", str(path)]) != 0
    err = capsys.readouterr().err
    assert "email.login" in err and ":7:" in err, err


# ------------------------------------------------------------------ match_case


def case_config(match_case: str, extra: str = "") -> str:
    return (
        f'[[brands]]\nname = "Orange"\nterms = ["orange.fr"]\nmatch_case = {match_case}\n'
        f"{extra}{SOURCE}"
    )


def test_match_case_of_a_capitalised_everyday_word_is_explained(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(case_config('["BA", "Orange"]'))
    assert warnings(path, capsys) == [
        f"warning: {path}:4: brands[0].match_case[1]: match_case does not narrow the everyday "
        "word 'Orange' at the start of a sentence or in a title (\"Orange …\" still matches); "
        "narrow it with exclude = [...] or a rule's query with context "
        '(docs/queries.md, "Everyday words")'
    ]


def test_what_the_warning_says_is_what_the_matcher_does(
    write_config: Callable[[str], Path],
) -> None:
    """A guard that the warning is true: the matcher (unchanged) finds the brand in
    a sentence about the fruit, and not in the lower-case word."""
    loaded = load_config(write_config(case_config('["Orange"]')))
    matcher = Matcher(loaded.config.brands, [])

    def surfaces(text: str) -> list[str]:
        matches = matcher.match(Item(guid="1", title="Recette", text=text), "presse")
        return [hit.surface for match in matches for hit in match.hits]

    assert surfaces("Orange est un fruit. Une orange pressée.") == ["Orange"]
    assert surfaces("Une orange pressée le matin.") == []


@pytest.mark.parametrize(
    ("match_case", "extra"),
    [
        ('["ORANGE"]', ""),  # capitals only: not how a sentence starts
        ('["BA", "SG"]', ""),  # acronyms
        ('["Renault"]', ""),  # not an everyday word
        ('["Orange"]', 'exclude = ["jus d\'orange"]\n'),  # narrowed on purpose
        ('["Orange"]', "allow_everyday_words = true\n"),
    ],
)
def test_no_match_case_warning_where_case_does_narrow_or_the_brand_is_narrowed(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    match_case: str,
    extra: str,
) -> None:
    # Guard.
    path = write_config(case_config(match_case, extra))
    assert [w for w in warnings(path, capsys) if "match_case" in w] == []


def test_a_term_also_in_terms_gets_only_its_terms_warning(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Guard: one warning a term ("a term also in `terms` matches in any case").
    text = '[[brands]]\nname = "Orange"\nterms = ["Orange"]\nmatch_case = ["Orange"]\n' + SOURCE
    found = warnings(write_config(text), capsys)
    assert len(found) == 1 and "brands[0].terms[0]: 'Orange' is an everyday" in found[0]
