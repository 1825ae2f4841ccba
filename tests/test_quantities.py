"""Tests for pipeline.nlp.quantities: amount and date normalisation, the spaCy component."""

from __future__ import annotations

import datetime as dt

import pytest
import spacy
from spacy.tokens import Span

from pipeline.nlp.quantities import (
    CARDINAL,
    DATE,
    MONEY,
    Amount,
    QuantityRecognizer,
    normalise_amount,
    normalise_date,
)

REF = dt.date(2017, 11, 5)


# --------------------------------------------------------------------------------------------
# normalise_amount
# --------------------------------------------------------------------------------------------

AMOUNTS: list[tuple[str, tuple[float, str | None, str | None] | None]] = [
    # examples from the brief
    ("oltre 9 milioni di euro", (9_000_000.0, "EUR", "more_than")),
    ("quasi 33 milioni", (33_000_000.0, None, "almost")),
    ("1,5 miliardi di dollari", (1_500_000_000.0, "USD", None)),
    ("2.500 euro", (2_500.0, "EUR", None)),
    ("€ 3,2 mln", (3_200_000.0, "EUR", None)),
    ("€3,2 mln", (3_200_000.0, "EUR", None)),
    ("3,2 mln di €", (3_200_000.0, "EUR", None)),
    ("12 mila euro", (12_000.0, "EUR", None)),
    ("12mila euro", (12_000.0, "EUR", None)),
    ("un milione di euro", (1_000_000.0, "EUR", None)),
    ("due milioni", (2_000_000.0, None, None)),
    ("tre miliardi di sterline", (3_000_000_000.0, "GBP", None)),
    ("50 milioni di franchi svizzeri", (50_000_000.0, "CHF", None)),
    ("100 milioni di yen", (100_000_000.0, "JPY", None)),
    ("circa 40 milioni di euro", (40_000_000.0, "EUR", "about")),
    ("più di 3 milioni", (3_000_000.0, None, "more_than")),
    ("piu' di 3 milioni", (3_000_000.0, None, "more_than")),
    ("meno di 2 milioni di euro", (2_000_000.0, "EUR", "less_than")),
    ("fino a 10 mld di euro", (10_000_000_000.0, "EUR", "up_to")),
    ("pari a 5 milioni", (5_000_000.0, None, "equal")),
    ("pari quasi a 33 milioni", (33_000_000.0, None, "almost")),  # "quasi" wins over "pari a"
    ("pari a circa 40 milioni", (40_000_000.0, None, "about")),
    ("almeno 3 milioni", (3_000_000.0, None, "at_least")),
    # number words, currencies, scales
    ("ventitré milioni di euro", (23_000_000.0, "EUR", None)),
    ("Venti euro", (20.0, "EUR", None)),
    ("duemila euro", (2_000.0, "EUR", None)),
    ("trecentomila euro", (300_000.0, "EUR", None)),
    ("mille miliardi", (1e12, None, None)),
    ("un milione e mezzo di euro", (1_500_000.0, "EUR", None)),
    ("US$ 5 milioni", (5_000_000.0, "USD", None)),
    ("5 dollari canadesi", (5.0, "CAD", None)),
    ("oltre 1.000.000 di euro", (1_000_000.0, "EUR", "more_than")),
    ("1.234,56 euro", (1_234.56, "EUR", None)),
    ("OLTRE 9 MILIONI DI EURO", (9_000_000.0, "EUR", "more_than")),
    # in running text: the number with a scale or currency wins over the year
    ("Nel 2016 oltre 9 milioni di euro", (9_000_000.0, "EUR", "more_than")),
    # ambiguity: Italian thousands dot vs decimal comma
    ("1.500", (1_500.0, None, None)),
    ("1,500", (1.5, None, None)),
    ("1,5", (1.5, None, None)),
    ("1.5", (1.5, None, None)),  # a dot not followed by three digits is a decimal point
    ("2017", (2017.0, None, None)),
    ("dieci", (10.0, None, None)),
    ("circa venti", (20.0, None, "about")),
    # not amounts
    ("molti soldi", None),
    ("", None),
    ("milioni", None),
    ("milioni di euro", None),
    ("un valore", None),
    ("9%", None),
    ("9 per cento", None),
    ("07.03.2017", None),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_normalise_amount(text: str, expected: tuple[float, str | None, str | None] | None):
    result = normalise_amount(text)
    if expected is None:
        assert result is None
    else:
        assert result == Amount(*expected)


def test_amount_is_frozen_and_value_is_float():
    amount = normalise_amount("9 milioni")
    assert isinstance(amount, Amount)
    assert isinstance(amount.value, float)
    with pytest.raises(AttributeError):
        amount.value = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "value"),
    [("3,2 milioni", 3_200_000.0), ("9,5 milioni", 9_500_000.0), ("0,1 miliardi", 100_000_000.0)],
)
def test_decimal_scales_are_exact(text: str, value: float):
    amount = normalise_amount(text)
    assert amount is not None and amount.value == value


# --------------------------------------------------------------------------------------------
# normalise_date
# --------------------------------------------------------------------------------------------

DATES: list[tuple[str, str | None, str | None]] = [
    # text, without reference, with reference REF (2017-11-05)
    ("novembre 2017", "2017-11", "2017-11"),
    ("nel 2016", "2016", "2016"),
    ("Nel 2016", "2016", "2016"),
    ("entro il 2020", "2020", "2020"),
    ("nell'anno 2016", "2016", "2016"),
    ("nell’anno 2016", "2016", "2016"),
    ("7 marzo 2017", "2017-03-07", "2017-03-07"),
    ("il 7 marzo 2017", "2017-03-07", "2017-03-07"),
    ("lunedì 7 marzo 2017", "2017-03-07", "2017-03-07"),
    ("7 marzo del 2017", "2017-03-07", "2017-03-07"),
    ("marzo del 2017", "2017-03", "2017-03"),
    ("7/3/2017", "2017-03-07", "2017-03-07"),
    ("07/03/2017", "2017-03-07", "2017-03-07"),
    ("07.03.2017", "2017-03-07", "2017-03-07"),
    ("07-03-2017", "2017-03-07", "2017-03-07"),
    ("2017-03-07", "2017-03-07", "2017-03-07"),
    ("1º gennaio 2020", "2020-01-01", "2020-01-01"),
    ("1° gennaio 2020", "2020-01-01", "2020-01-01"),
    ("primo gennaio 2020", "2020-01-01", "2020-01-01"),
    ("MARZO 2017", "2017-03", "2017-03"),
    ("7 mar. 2017", "2017-03-07", "2017-03-07"),
    ("1 gen 2020", "2020-01-01", "2020-01-01"),
    ("12 dic 2019", "2019-12-12", "2019-12-12"),
    ("3 set 2018", "2018-09-03", "2018-09-03"),
    ("2016.", "2016", "2016"),
    # need a reference
    ("marzo", None, "2017-03"),
    ("7 marzo", None, "2017-03-07"),
    ("ieri", None, "2017-11-04"),
    ("oggi", None, "2017-11-05"),
    ("domani", None, "2017-11-06"),
    ("l'altro ieri", None, "2017-11-03"),
    # invalid or ambiguous
    ("31 febbraio 2017", None, None),
    ("29 febbraio 2017", None, None),
    ("32 marzo 2017", None, None),
    ("31/02/2017", None, None),
    ("anni '90", None, None),
    ("anni novanta", None, None),
    ("'90", None, None),
    ("tra il 2015 e il 2017", None, None),  # a range: ambiguous
    ("dal 2015 al 2017", None, None),  # a range: ambiguous
    ("2015-2017", None, None),
    ("1799", None, None),  # outside 1800-2100
    ("2101", None, None),
    ("7/3/17", None, None),  # two-digit years are not guessed
    ("fine 2017", None, None),
    ("", None, None),
    ("molti soldi", None, None),
]


@pytest.mark.parametrize(("text", "without_ref", "with_ref"), DATES)
def test_normalise_date(text: str, without_ref: str | None, with_ref: str | None):
    assert normalise_date(text) == without_ref
    assert normalise_date(text, REF) == with_ref


def test_normalise_date_accepts_datetime_reference():
    assert normalise_date("ieri", dt.datetime(2020, 3, 1, 10, 30)) == "2020-02-29"


# --------------------------------------------------------------------------------------------
# The spaCy component
# --------------------------------------------------------------------------------------------

SENTENCE = (
    "Nel 2016 la Lombardia ha esportato oltre 9 milioni di euro verso il Canada e importato "
    "beni per un valore pari quasi a 33 milioni."
)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    nlp = spacy.blank("it")
    nlp.add_pipe("aerokg_quantities")
    return nlp


def _spans(doc, key: str = "quantities"):
    return [
        (s.text, s.label_, s._.value, s._.currency, s._.qualifier, s._.iso_date)
        for s in doc.spans[key]
    ]


def test_component_on_example_sentence(nlp):
    doc = nlp(SENTENCE)
    assert _spans(doc) == [
        ("Nel 2016", DATE, None, None, None, "2016"),
        ("oltre 9 milioni di euro", MONEY, 9_000_000.0, "EUR", "more_than", None),
        ("pari quasi a 33 milioni", CARDINAL, 33_000_000.0, None, "almost", None),
    ]


def test_component_is_registered_with_the_expected_factory(nlp):
    assert isinstance(nlp.get_pipe("aerokg_quantities"), QuantityRecognizer)
    assert nlp.get_pipe_meta("aerokg_quantities").default_config == {"spans_key": "quantities"}
    for ext in ("value", "currency", "qualifier", "iso_date"):
        assert Span.has_extension(ext)


def test_doc_ents_untouched(nlp):
    doc = nlp(SENTENCE)
    assert doc.ents == ()
    # pre-existing entities survive as they were
    doc = nlp.make_doc("Leonardo ha speso oltre 9 milioni di euro nel 2016.")
    doc.ents = [Span(doc, 0, 1, label="ORG")]
    doc = nlp.get_pipe("aerokg_quantities")(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Leonardo", "ORG")]
    assert [s.text for s in doc.spans["quantities"]] == ["oltre 9 milioni di euro", "nel 2016"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Il 7 marzo 2017 Leonardo ha firmato un contratto da 1,5 miliardi di dollari.",
            [
                ("Il 7 marzo 2017", DATE, None, None, None, "2017-03-07"),
                ("1,5 miliardi di dollari", MONEY, 1.5e9, "USD", None, None),
            ],
        ),
        (
            "Entro il 2020 sono previsti 12mila posti e € 3,2 mln di investimenti.",
            [
                ("Entro il 2020", DATE, None, None, None, "2020"),
                ("12mila", CARDINAL, 12_000.0, None, None, None),
                ("€ 3,2 mln", MONEY, 3_200_000.0, "EUR", None, None),
            ],
        ),
        (
            "L'accordo del 07/03/2017, firmato nell'anno 2016 a marzo 2017 e il 1° gennaio 2020.",
            [
                ("del 07/03/2017", DATE, None, None, None, "2017-03-07"),
                ("nell'anno 2016", DATE, None, None, None, "2016"),
                ("a marzo 2017", DATE, None, None, None, "2017-03"),
                ("il 1° gennaio 2020", DATE, None, None, None, "2020-01-01"),
            ],
        ),
        (
            "Sono stati spesi circa 40 milioni di euro e 2.500 euro, fino a 10 mld di euro, "
            "un milione di euro e 50 milioni di franchi svizzeri.",
            [
                ("circa 40 milioni di euro", MONEY, 4e7, "EUR", "about", None),
                ("2.500 euro", MONEY, 2_500.0, "EUR", None, None),
                ("fino a 10 mld di euro", MONEY, 1e10, "EUR", "up_to", None),
                ("un milione di euro", MONEY, 1e6, "EUR", None, None),
                ("50 milioni di franchi svizzeri", MONEY, 5e7, "CHF", None, None),
            ],
        ),
        (
            "Il contratto del 2017-03-07 vale oltre i 3 milioni, pari a circa 5 mld di $.",
            [
                ("del 2017-03-07", DATE, None, None, None, "2017-03-07"),
                ("oltre i 3 milioni", CARDINAL, 3e6, None, "more_than", None),
                ("pari a circa 5 mld di $", MONEY, 5e9, "USD", "about", None),
            ],
        ),
    ],
)
def test_component_sentences(nlp, text, expected):
    assert _spans(nlp(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Lavorano 2017 dipendenti in 12 stabilimenti.",  # plain numbers are not spans
        "La crescita è stata del 9% rispetto agli anni '90.",  # percentages, decades
        "Tre aerei e 5 franchi.",  # no scale, no known currency
        "Il 2016 è stato un anno difficile per Euro 2016.",  # a bare year is not a DATE
        "Il 31 febbraio 2017 non esiste.",  # invalid date, and no partial 'febbraio 2017'
        "Tra molti soldi e milioni di euro.",
    ],
)
def test_component_ignores(nlp, text):
    assert _spans(nlp(text)) == []


def test_year_range_gives_two_year_spans(nlp):
    doc = nlp("Dal 2015 al 2017 l'export è cresciuto.")
    assert _spans(doc) == [
        ("Dal 2015", DATE, None, None, None, "2015"),
        ("al 2017", DATE, None, None, None, "2017"),
    ]


def test_component_uses_reference_date(nlp):
    text = "Il 7 marzo si terrà l'incontro."
    assert _spans(nlp(text)) == [("Il 7 marzo", DATE, None, None, None, None)]
    doc = nlp.make_doc(text)
    doc.user_data["reference_date"] = REF
    doc = nlp(doc)
    assert _spans(doc) == [("Il 7 marzo", DATE, None, None, None, "2017-03-07")]


def test_component_custom_spans_key():
    nlp = spacy.blank("it")
    nlp.add_pipe("aerokg_quantities", config={"spans_key": "amounts"})
    doc = nlp(SENTENCE)
    assert "quantities" not in doc.spans
    assert [s.text for s in doc.spans["amounts"]] == [
        "Nel 2016",
        "oltre 9 milioni di euro",
        "pari quasi a 33 milioni",
    ]


def test_component_pipe_and_empty_doc(nlp):
    docs = list(nlp.pipe(["", "Nessun numero qui.", SENTENCE]))
    assert [len(d.spans["quantities"]) for d in docs] == [0, 0, 3]


def test_round_trip_to_disk(nlp, tmp_path):
    nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    assert loaded.pipe_names == ["aerokg_quantities"]
    assert _spans(loaded(SENTENCE)) == _spans(nlp(SENTENCE))
