"""``#number``: any number written in digits, maybe bounded (``#number>=1000``).

A crisis pack must page on "Acmé rappelle 347 trottinettes" without listing
every figure; the number is read from the normalised words ("12 000", "12,000"
and "1.200" are one number each), grouped by thousands only where the original
text has a thousands separator between three-digit groups.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher, QuerySyntaxError, parse_query
from watchtower.pipeline.match.query import Near, Not, Number, Or, Term, render


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("#number", Number()),
        ("#NUMBER", Number()),
        ("#number<1000", Number("<", 1000)),
        ("#number<=999", Number("<=", 999)),
        ("#number>10", Number(">", 10)),
        ("#number>=1000", Number(">=", 1000)),
        ("#number>=1,000", Number(">=", 1000)),
        ("#number>=1.000", Number(">=", 1000)),
        ("#number=347", Number("=", 347)),
        ("#number\u22641000", Number("<=", 1000)),  # ≤
        ("#number\u226510", Number(">=", 10)),  # ≥
        ("title:#number", Number(field="title")),
        (
            "text:(#number<10 OR dix)",
            Or((Number("<", 10, "text"), Term(("dix",), False, "text", "dix"))),
        ),
        ("-#number", Not(Number())),
        ("NOT #number", Not(Number())),
        # Hashtags that only start like it stay hashtags (words).
        ("#numbers", Term(("numbers",), False, None, "#numbers")),
        ("#number_one", Term(("number", "one"), False, None, "#number_one")),
    ],
)
def test_parses(query: str, expected: object) -> None:
    assert parse_query(query).root == expected


def test_parses_inside_near_on_either_side_and_in_a_group() -> None:
    root = parse_query("rappelle NEAR/3 #number<1000").root
    assert root == Near(
        Term(("rappelle",), False, None, "rappelle"),
        Number("<", 1000),
        3,
        "rappelle NEAR/3 #number<1000",
    )
    root = parse_query("(#number OR mille) NEAR/2 trottinettes").root
    assert isinstance(root, Near)
    assert root.left == Or((Number(), Term(("mille",), False, None, "mille")))


@pytest.mark.parametrize(
    "query", ["#number", "#number>=1000", "title:#number<10", "rappelle NEAR/3 #number=347"]
)
def test_renders_back_as_written(query: str) -> None:
    assert render(parse_query(query).root) == query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "#number<",
            "column 9: expected a whole number right after '#number<' (no space), "
            "such as #number<1000 or #number>=1000",
        ),
        (
            "a #number>= 1000",
            "column 12: expected a whole number right after '#number>=' (no space), "
            "such as #number<1000 or #number>=1000",
        ),
        (
            "#number<1.5",
            "column 10: expected #number or a bound on it such as #number<1000 or "
            "#number>=1000, found '#number<1.5'",
        ),
        (
            "#number1000",
            "column 1: expected #number or a bound on it such as #number<1000 or "
            "#number>=1000, found '#number1000'",
        ),
        (
            "#number<abc",
            "column 1: expected #number or a bound on it such as #number<1000 or "
            "#number>=1000, found '#number<abc'",
        ),
        (
            "#number*",
            "column 1: expected #number or a bound on it such as #number<1000 or "
            "#number>=1000, found '#number*'",
        ),
        (
            'acme "rappelle #number trottinettes"',
            "column 16: #number cannot be used inside a phrase; expected words only "
            "(write rappelle NEAR/1 #number)",
        ),
        ("source:#number", "column 8: expected a name after 'source:', found '#number'"),
    ],
)
def test_malformed_number_terms_name_the_column(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(query)
    assert str(err.value) == message


def surfaces(query: str, text: str, title: str = "") -> list[str] | None:
    """The surface forms of the numbers that made ``query`` fire, or None."""
    matcher = Matcher(
        [BrandConfig(name="Acmé", terms=["Acmé"])], [RuleConfig(name="r", query=query)]
    )
    fired = [m for m in matcher.match(Item(guid="1", title=title, text=text), "s") if m.rule]
    if not fired:
        return None
    return [h.surface for h in fired[0].hits if h.term.startswith("#number")]


@pytest.mark.parametrize(
    ("query", "text", "numbers"),
    [
        ("#number", "Acmé rappelle 347 trottinettes", ["347"]),
        ("#number", "Acmé rappelle des trottinettes", None),
        ("rappelle NEAR/1 #number", "Acmé rappelle 347 trottinettes", ["347"]),
        ("#number NEAR/1 rappelle", "Acmé rappelle 347 trottinettes", ["347"]),
        ("rappelle NEAR/1 #number", "Acmé rappelle ses 347 trottinettes", None),
        # Thousands separators: one number, one term of several words for NEAR.
        ("#number=12000 NEAR/1 trottinettes", "Acmé rappelle 12 000 trottinettes", ["12 000"]),
        ("#number=12000", "Acmé rappelle 12,000 trottinettes", ["12,000"]),
        ("#number=1200", "Acmé rappelle 1.200 trottinettes", ["1.200"]),
        ("#number=12000", "Acmé rappelle 12\u00a0000 trottinettes", ["12\u00a0000"]),
        ("#number=12000", "Acmé rappelle 12\u202f000 trottinettes", ["12\u202f000"]),
        ("#number=1200000", "Acmé rappelle 1 200 000 trottinettes", ["1 200 000"]),
        ("rappelle NEAR/1 #number>=1000", "Acmé rappelle 1 200 000 trottinettes", ["1 200 000"]),
        ("rappelle NEAR/1 #number<1000", "Acmé rappelle 1 200 000 trottinettes", None),
        # Not thousands: a year then a number, a list, a decimal.
        ("#number=347", "Acmé rappelle en 2024 347 trottinettes", ["347"]),
        ("#number=12347", "Acmé rappelle 12, 347 trottinettes", None),
        ("#number=347", "Acmé rappelle 12, 347 trottinettes", ["347"]),
        ("#number=5", "Acmé rappelle 3,5 millions de trottinettes", ["5"]),
        # Bounds.
        ("#number<1000", "Acmé rappelle 999 trottinettes", ["999"]),
        ("#number<1000", "Acmé rappelle 1 000 trottinettes", None),
        ("#number<=1000", "Acmé rappelle 1 000 trottinettes", ["1 000"]),
        ("#number>1000", "Acmé rappelle 1 000 trottinettes", None),
        ("#number>=10", "Acmé rappelle 9 trottinettes", None),
        ("#number>=10", "Acmé rappelle 9 trottinettes et 10 vélos", ["10"]),
        # A date's numbers count; a time written "19h" and an ordinal are words.
        ("#number=2026", "Acmé : rendez-vous le 27/11/2026", ["2026"]),
        ("#number=27", "Acmé : rendez-vous le 27/11/2026", ["27"]),
        ("#number", "Acmé : rendez-vous à 19h, au 2e étage", None),
        ("#number", "Acmé : rendez-vous à 19h30", None),
        ("NOT #number", "Acmé rappelle des trottinettes", []),
        ("NOT #number", "Acmé rappelle 3 trottinettes", None),
    ],
)
def test_matches(query: str, text: str, numbers: list[str] | None) -> None:
    assert surfaces(query, text) == numbers


def test_a_field_restricts_the_numbers() -> None:
    assert surfaces("title:#number", "Acmé rappelle 347 trottinettes") is None
    assert surfaces("title:#number", "Acmé rappelle des trottinettes", title="347 rappels") == [
        "347"
    ]
    assert surfaces("text:#number", "Acmé rappelle 12 trottinettes", title="347 rappels") == ["12"]


def test_check_reports_a_malformed_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "w.toml"
    config.write_text(
        '[watchtower]\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[rules]]\nname = "rappels"\nquery = "rappelle NEAR/3 #number< 1000"\n',
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) != 0
    err = capsys.readouterr().err
    assert "column 25: expected a whole number right after '#number<' (no space)" in err
