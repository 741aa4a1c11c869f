"""Security review S19: secrets in URLs that redaction lets through.

:func:`watchtower.redact.redact_text` guards every log line, stored error,
``status`` output and ops notice; these forms of a secret survive it.
"""

from __future__ import annotations

import pytest

from watchtower.redact import redact_text

SECRET = "hunter2SECRETvalue"


@pytest.mark.parametrize(
    "text",
    [
        # A token written as the URL's user name (GitHub-style private feeds,
        # "https://<token>@host/"): a path segment that looks like this is hidden.
        f"GET https://ghp_{SECRET}16C7e42F292c6912E7710c8@feeds.example.com/a.atom failed",
        # An API key as user name with an empty password ("https://KEY:@host/").
        f"GET https://{SECRET}:@feeds.example.com/a.xml failed",
        # Firebase and others name the parameter "auth"; "pass" is common too.
        f"GET https://feeds.example.com/a.xml?auth={SECRET} failed",
        f"GET https://feeds.example.com/a.xml?pass={SECRET} failed",
        f"GET https://feeds.example.com/a.xml?passphrase={SECRET} failed",
    ],
)
def test_a_secret_in_a_url_is_hidden(text: str) -> None:
    assert SECRET not in redact_text(text)


def test_an_ordinary_user_name_is_kept() -> None:
    # What the redaction must not hide (as tests/e2e/test_url_passwords.py keeps it).
    kept = "https://user@host/ https://a.fr/x?author=jean&compass=n"
    assert redact_text(kept) == kept
