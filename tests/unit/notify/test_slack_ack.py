"""Which thread replies take charge of a spike alert: only those that affirm it."""

from __future__ import annotations

import pytest

from watchtower.notify.slack_ack import DETAIL_MAX, is_ack_reply, reply_detail


@pytest.mark.parametrize(
    "text",
    [
        "ack",
        "Ack, je regarde",
        "ACK !",
        "*ack*",
        "✅",
        ":white_check_mark:",
        ":heavy_check_mark: c'est bon",
        "je prends",
        "Je prends en charge",
        "pris en charge",
        "Pris en charge par l'équipe support",
        "c'est pris en charge",
        "je m'en occupe",
        "Je m\u2019en occupe",  # the curly apostrophe Slack clients type
        "on s'en occupe",
        "acquitté",
        "Acquittée.",
        "ok, je prends",
        "<@U0ONCALL> je m'en occupe",
        "on it",
        "On it 👍",
        "taking it",
        "I'll take it",
        "acknowledged",
    ],
)
def test_affirmative_replies_acknowledge(text: str) -> None:
    assert is_ack_reply(text)


@pytest.mark.parametrize(
    "text",
    [
        "Toujours pas pris en charge ?? Quelqu'un peut regarder",
        "pas d'ack ?",
        "pas d'ack",
        "can someone ack?",
        "ack?",
        "Pris en charge ?",
        "personne ne prend en charge",
        "pris en charge par personne",
        "je ne prends pas",
        "je prends pas",
        "ack pas encore",
        "jamais pris en charge",
        "on it? not me",
        "not ack",
        "no one is on it",
        "nobody ack'd this",
        "I can't take it",
        "I won't take it, sorry",
        "taking it... not",
        "qui prend en charge",  # a question without its question mark
        "il faut que quelqu'un ack",
        "ackermann a posté un lien",
        "",
        "   ",
    ],
)
def test_questions_negations_and_mentions_do_not_acknowledge(text: str) -> None:
    assert not is_ack_reply(text)


def test_reply_detail_is_one_short_line() -> None:
    assert reply_detail("je prends\n  tout de suite") == "je prends tout de suite"
    long = reply_detail("ack " + "x" * 500)
    assert len(long) == DETAIL_MAX and long.endswith("…")
