"""pipeline/nlp/anchored_matcher.py: the matches are spaCy's Matcher's, found only near the
patterns' anchors."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.matcher import Matcher

from pipeline.nlp import quantities
from pipeline.nlp.anchored_matcher import AnchoredMatcher, pattern_anchor

QUANTITY_PATTERNS = {"AEROKG_AMOUNT": quantities._amount_patterns(),
                     **quantities._date_patterns()}
# words that make amounts and dates, and words around them
WORDS = ("3 12 2016 1999 07/03/2017 5,5 2,4milioni 07 - 03 tre venti centomila mila milioni "
         "miliardi mln di d' euro dollari € $ usd e mezzo maggio marzo mag . del primo il nel "
         "oltre circa la missione costa ha firmato accordo Roma ASI , ; spazio").split()


def both(patterns):
    blank = spacy.blank("it")
    plain, anchored = Matcher(blank.vocab), AnchoredMatcher(blank.vocab)
    for key, group in patterns.items():
        plain.add(key, group)
        anchored.add(key, group)
    return blank, plain, anchored


def test_quantity_patterns_are_anchored_and_match_as_spacys_matcher_on_random_text():
    blank, plain, anchored = both(QUANTITY_PATTERNS)
    assert anchored.anchored
    generator = random.Random(11)
    found = 0
    for _ in range(300):
        text = " ".join(generator.choice(WORDS) for _ in range(generator.randint(0, 60)))
        doc = blank(text)
        expected = plain(doc)
        assert anchored(doc) == expected, text
        found += len(expected)
    assert found > 300  # the random texts do hold amounts and dates


def test_matches_in_a_doc_of_another_vocab():
    """A one-worker run reads Docs back on a Vocab of their own: the anchors' strings are
    looked up in the Doc's."""
    _, plain, anchored = both(QUANTITY_PATTERNS)
    doc = spacy.blank("it")("Nel 2016 ha esportato oltre 9 milioni di euro, il 3 marzo 2017.")
    assert anchored(doc) == plain(doc) != []


def test_only_the_stretches_near_anchors_are_searched():
    blank, _, anchored = both({"EURO": [[{"LIKE_NUM": True}, {"LOWER": "euro"}]]})
    doc = blank("uno due tre quattro cinque sei 7 euro otto nove dieci undici 12 euro")
    assert anchored.stretches(doc) == [(6, 8), (12, 14)]  # "euro" and the token before
    assert [doc[s:e].text for _, s, e in anchored(doc)] == ["7 euro", "12 euro"]
    assert anchored(blank("")) == [] and anchored.stretches(blank("")) == []


@pytest.mark.parametrize("pattern, anchor", [
    ([{"LOWER": "il"}, {"ORTH": {"REGEX": r"^\d{4}$"}}], ("digit", 1)),
    ([{"LOWER": {"IN": ["Euro", "DOLLARI"]}}], (frozenset({"euro", "dollari"}), 0)),
    ([{"ORTH": {"IN": ["1999", "2000"]}}], ("digit", 0)),  # all words with a digit
    ([{"LOWER": "e", "OP": "?"}, {"TEXT": "Marzo"}], (frozenset({"marzo"}), 1)),
    ([{"LIKE_NUM": True}, {"LOWER": "euro", "OP": "?"}], None),  # optional: not in every match
    ([{"LOWER": "euro", "OP": "!"}], None),
    ([{"LOWER": {"REGEX": "^euro"}}], None),
])
def test_pattern_anchor(pattern, anchor):
    assert pattern_anchor(pattern) == anchor


@pytest.mark.parametrize("pattern", [
    [{"LIKE_NUM": True}, {"IS_ALPHA": True}],  # no anchor
    [{"LOWER": "euro"}, {"IS_ALPHA": True, "OP": "*"}],  # no longest length
    [{"LOWER": "euro"}, {"IS_ALPHA": True, "OP": "{1,3}"}],
])
def test_a_pattern_without_anchor_or_fixed_length_searches_the_whole_doc(pattern):
    blank, plain, anchored = both({"ANCHORED": [[{"LOWER": "euro"}]], "OTHER": [pattern]})
    assert not anchored.anchored
    doc = blank("costa 3 euro e dieci euro circa ogni mese")
    assert anchored(doc) == plain(doc) != []
    assert len(anchored) == len(plain) == 2
