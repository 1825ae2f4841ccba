"""NLP stage edge: entity types the domain layer gives the statistical NER's mentions
(pipeline/nlp/analyse.py), on Docs built by hand."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc, Span

from pipeline.datamodel import ORGANIZATION, PERSON, PLACE
from pipeline.nlp.analyse import mentions_of


@pytest.fixture(scope="module")
def vocab():
    return spacy.blank("it").vocab


def mention_types(vocab, words, spans):
    """The (text, coarse type, class) of each mention of a one-sentence Doc of ``words`` whose
    entities are ``spans``: (start, end, NER label)."""
    doc = Doc(vocab, words=words, sent_starts=[True] + [False] * (len(words) - 1))
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in spans]
    return [(m.text, m.coarse, m.cls) for m in mentions_of(doc)]


@pytest.mark.parametrize("words, spans, expected", [
    # an organisation designator in a span the NER took for a person
    (["Il", "direttore", "di", "Ronahî", "TV", "."], [(3, 5, "PER")],
     [("Ronahî TV", ORGANIZATION, "")]),
    (["Parla", "a", "News", "Channel", "."], [(2, 4, "PER")],
     [("News Channel", ORGANIZATION, "")]),
    (["Right", "Media", "Inc.", "cresce"], [(0, 3, "PER")],
     [("Right Media Inc.", ORGANIZATION, "")]),
    # a person stays a person
    (["Mario", "Rossi", "parla"], [(0, 2, "PER")], [("Mario Rossi", PERSON, "")]),
    # curated aerospace organisations override the NER
    (["Leonardo", "assume"], [(0, 1, "PER")], [("Leonardo", ORGANIZATION, "Company")]),
    # a municipality tagged PER is a place only after a locative preposition
    (["Aerea", "di", "Turate"], [(2, 3, "PER")], [("Turate", PLACE, "City")]),
    (["Turate", "parla"], [(0, 1, "PER")], [("Turate", PERSON, "")]),
    # the designators only turn persons into organisations, never places
    (["La", "Radio", "Valley"], [(1, 3, "LOC")], [("Radio Valley", PLACE, "")]),
])
def test_mention_types(vocab, words, spans, expected):
    assert mention_types(vocab, words, spans) == expected
