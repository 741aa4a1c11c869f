"""The language model the daemon keeps in memory for its whole life: only the
languages it detects (py3langid's ``set_languages`` kept the 97-language table
beside the subset, 27 MiB), with the same answers as the library's own subset."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from watchtower.lang import LANGUAGES, _identifier

SAMPLES = (
    "Le service client d'Acmé est injoignable depuis trois semaines.",
    "The Acme support team never answered my refund request.",
    "Der Kundendienst von Acme ist eine Katastrophe.",
    "El servicio de atención al cliente es una estafa.",
    "Il servizio clienti non risponde mai, vergogna.",
    "De klantenservice is onbereikbaar, schandalig.",
    "O atendimento ao cliente é péssimo, quero o meu dinheiro.",
    "Acmé Acmé Acmé 2026 !!!",
)


@pytest.fixture(scope="module")
def library_subset() -> Any:
    langid = importlib.import_module("py3langid.langid")
    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def test_only_the_detected_languages_stay_in_memory() -> None:
    identifier = _identifier()
    # Every table the identifier holds, its "full model" (for set_languages) included.
    tables = [identifier.nb_ptc, identifier._full_model[0]]
    assert {table.shape[1] for table in tables} == {len(LANGUAGES)}
    assert sorted(identifier.nb_classes) == sorted(LANGUAGES)


@pytest.mark.parametrize("text", SAMPLES)
def test_answers_as_the_library_subset_does(text: str, library_subset: Any) -> None:
    assert _identifier().classify(text) == library_subset.classify(text)
