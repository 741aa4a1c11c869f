"""The rare source errors have a code too: the ops alert says them in French (the
English ``message`` of logs and ``status`` is unchanged). Raised by the real code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.french import nb
from watchtower.adapters._imap_session import connect, tls_context
from watchtower.adapters._net import GuardedBackend
from watchtower.adapters.imap import ImapSettings
from watchtower.errors import PermanentError, SourceError
from watchtower.poll import internal_error
from watchtower.source_errors_text import source_error_text


def test_a_missing_ca_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "ca.pem")
    with pytest.raises(PermanentError) as raised:
        tls_context(missing)
    assert raised.value.code == "ca_file_missing"
    assert raised.value.message == f"the CA file {missing} does not exist"
    assert raised.value.sentence("fr") == (
        f"le fichier de certificats (ca_file) {missing} est introuvable"
    )


def test_a_ca_file_that_is_not_pem(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n", "utf-8")
    with pytest.raises(PermanentError) as raised:
        tls_context(str(garbage))
    assert raised.value.code == "ca_file_unreadable"
    assert raised.value.message.startswith(f"the CA file {garbage} cannot be read as PEM ")
    assert raised.value.sentence("fr") == nb(
        f"le fichier de certificats (ca_file) {garbage} est illisible : "
        "il doit contenir des certificats au format PEM"
    )


def test_starttls_on_port_993() -> None:
    # The config check refuses it; a settings object built otherwise still gets a code.
    settings = ImapSettings.model_construct(
        name="m", kind="imap", host="127.0.0.1", port=993, tls="starttls"
    )
    with pytest.raises(PermanentError) as raised:
        connect(settings, None, 1.0)
    assert raised.value.code == "imap_starttls_port"
    assert raised.value.message.startswith("port 993 expects TLS from the first byte: ")
    assert raised.value.sentence("fr").startswith("le port 993 attend une connexion chiffrée")


def test_a_name_resolving_to_no_address() -> None:
    def nothing(*_args: object) -> list[object]:
        return []

    backend = GuardedBackend(allow_private=False, resolver=nothing)  # type: ignore[arg-type]
    with pytest.raises(PermanentError) as raised:
        backend.connect_tcp("vide.example.fr", 443, timeout=1.0)
    assert raised.value.code == "host_no_address"
    assert raised.value.message == "refused to connect to vide.example.fr: no address"
    assert raised.value.sentence("fr") == "le nom vide.example.fr ne mène à aucune adresse"


@pytest.mark.parametrize(
    ("code", "english"),
    [
        ("adapter_crashed", "internal error: KeyError: 'title'"),
        ("processing_failed", "internal error while processing items: KeyError: 'title'"),
    ],
)
def test_a_bug_keeps_its_english_and_tells_ops_in_french(code: str, english: str) -> None:
    error = internal_error(code, KeyError("title"))
    assert isinstance(error, SourceError) and error.retryable
    assert error.message == english
    assert "à signaler à l'équipe technique" in error.sentence("fr")


@pytest.mark.parametrize(
    ("code", "params", "english"),
    [
        ("reviews_too_deep", {}, "the reviews are nested too deeply to read"),
        ("appstore_too_deep", {}, "the App Store review feed is nested too deeply to read"),
        (
            "forum_too_deep",
            {"what": "/latest.json"},
            "the forum's answer for /latest.json is nested too deeply to read",
        ),
    ],
)
def test_deeply_nested_json_has_codes_with_the_sentences_raised_today(
    code: str, params: dict[str, str], english: str
) -> None:
    assert source_error_text(code, params) == english
    assert "imbriqué" in source_error_text(code, params, "fr")
