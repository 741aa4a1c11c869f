"""reviews: entities escaped twice in JSON-LD are decoded in what is shown, not in guids.

Feeds decode a leftover ``&eacute;`` once more (``decode_leftover_entities``,
for phpBB and CMSs that escape twice); review pages built by the same CMSs
write ``"name": "Acm&amp;eacute;"`` in JSON-LD. The title stayed
"Acm&eacute; …", which the brand "Acmé" does not match (normalised
"acm eacute"): the mention was lost; the author and subject read badly.
Guids are made from the fields as written, as before: a changed guid would
announce every stored review of such a page again after the upgrade.
"""

from __future__ import annotations

import json
from typing import Any

from watchtower.adapters.reviews import parse_jsonld_reviews
from watchtower.pipeline.normalise import normalise

URL = "https://avis.example.fr/banque-acme-lyon"

REVIEW = {
    "@context": "https://schema.org",
    "@type": "Review",
    "name": "Acm&amp;eacute; : frais cach&amp;eacute;s",
    "itemReviewed": {"@type": "BankOrCreditUnion", "name": "Banque Acm&amp;eacute;"},
    "author": {"@type": "Person", "name": "Jos&amp;eacute;"},
    "datePublished": "2026-11-20",
    "reviewRating": {"@type": "Rating", "ratingValue": 1},
    "reviewBody": "Je d&amp;eacute;conseille Acm&amp;eacute;.",
}


def _page(*blocks: Any) -> str:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(b)}</script>' for b in blocks
    )
    return f"<html><head>{scripts}</head></html>"


def test_twice_escaped_review_fields_are_decoded() -> None:
    [item] = parse_jsonld_reviews(_page(REVIEW), URL)
    assert " acme " in normalise(item.title)  # what the brand matcher reads
    assert item.title == "Acmé : frais cachés"
    assert item.author == "José"
    assert item.extra["subject"] == "Banque Acmé"
    assert item.text == "Je déconseille Acmé."


def test_a_made_up_title_is_decoded_too() -> None:
    headless = {k: v for k, v in REVIEW.items() if k != "name"}
    [item] = parse_jsonld_reviews(_page(headless), URL)
    assert item.title == "Banque Acmé · ★☆☆☆☆ 1/5 · José"


def test_the_guid_of_a_stored_review_does_not_change() -> None:
    # The guids the version before this decoding gave (author and date, as written).
    [dated] = parse_jsonld_reviews(_page(REVIEW), URL)
    assert dated.guid == "review:https://avis.example.fr/banque-acme-lyon#8aacf610c83e6124f944"
    undated = {k: v for k, v in REVIEW.items() if k != "datePublished"}
    [item] = parse_jsonld_reviews(_page(undated), URL)
    assert item.guid == "review:https://avis.example.fr/banque-acme-lyon#9073eb2568df91ddf34a"


def test_an_aggregate_subject_is_decoded_and_its_guid_kept() -> None:
    business = {
        "@context": "https://schema.org",
        "@type": "BankOrCreditUnion",
        "name": "Banque Acm&amp;eacute;",
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": 1.8, "ratingCount": 12},
    }
    [item] = parse_jsonld_reviews(_page(business), URL)
    assert (item.title, item.extra["subject"]) == ("Banque Acmé · ★ 1.8/5", "Banque Acmé")
    assert item.guid == "aggregate:https://avis.example.fr/banque-acme-lyon#Banque Acm&amp;eacute;"


def test_a_copy_escaped_twice_is_the_same_review() -> None:
    # The plugin's copy escapes twice, the business's list once: one review.
    once = {**REVIEW, "author": "Jos&eacute;", "reviewBody": "Je d&eacute;conseille Acm&eacute;."}
    items = parse_jsonld_reviews(_page(once, REVIEW), URL)
    assert [(i.author, i.text) for i in items] == [("José", "Je déconseille Acmé.")]


def test_an_ampersand_that_is_no_entity_stays() -> None:
    review = {**REVIEW, "name": "R&D et AT&T : Acm&amp;eacute; &amp;co", "author": "Q&amp;A"}
    [item] = parse_jsonld_reviews(_page(review), URL)
    assert (item.title, item.author) == ("R&D et AT&T : Acmé &co", "Q&A")
