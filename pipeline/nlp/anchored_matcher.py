"""NLP stage, a helper of the rule-based components: a spaCy ``Matcher`` that looks only where
a match can be.

spaCy's ``Matcher`` tries every pattern at every token, and a pattern whose token tests are
Python predicates (``IN``, ``REGEX``) costs a few microseconds per token and pattern even where
nothing matches: on news text, the amounts and dates of ``quantities.py`` took 4 ms per article
this way, most of the mapping stage's rule-based work. Yet every one of those patterns needs a
token that is rare in text: one with a digit, or one of a few words (a month, a currency, a
scale word).

:class:`AnchoredMatcher` reads, from each pattern, one token that every match of it must contain
(its *anchor*: a required token whose test accepts only words of a fixed set, or only text with
a digit), and runs the ``Matcher`` only on the stretches of the Doc around anchor tokens: as
many tokens before and after each as a pattern has before and after its anchor. The matches are
the ones the ``Matcher`` finds on the whole Doc, in the same order: every match contains its
pattern's anchor, so it lies in the stretch around it. A pattern without an anchor (or with
``*``, ``+`` or ``{n,m}``, whose length varies) makes it search the whole Doc, like the
``Matcher``. The amounts and dates now take about 1 ms per article
(``scripts/benchmark_mapping.py``), searching 18% of the dev articles' tokens.

>>> import spacy
>>> nlp = spacy.blank("it")
>>> matcher = AnchoredMatcher(nlp.vocab)
>>> matcher.add("EURO", [[{"LIKE_NUM": True}, {"LOWER": {"IN": ["euro", "dollari"]}}]])
>>> doc = nlp("La missione è costata 3 euro, dice il ministro; poi 40 dollari.")
>>> [doc[start:end].text for _, start, end in matcher(doc)]
['3 euro', '40 dollari']
>>> matcher.anchored
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy
from spacy.attrs import LOWER
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

__all__ = ["AnchoredMatcher", "pattern_anchor"]

Pattern = list[dict[str, Any]]

#: An anchor: ``"digit"`` (text with a digit) or the lower-case words the token may be.
Anchor = str | frozenset[str]
DIGIT: Anchor = "digit"
WORD = "word"

_HAS_DIGIT = re.compile(r"\d").search
# A REGEX test that only text beginning with a digit can pass: "^\d", "^[0-9]", "^(?:\d"...
_DIGIT_FIRST = re.compile(r"^\^(?:\(\?:)?(?:\\d|\[0-9\])")
_WORD_ATTRS = ("LOWER", "ORTH", "TEXT")
_FIXED_LENGTH_OPS = {None, "1", "?", "!"}  # each token of the pattern is at most one token


def pattern_anchor(pattern: Pattern) -> tuple[Anchor, int] | None:
    """The anchor of a token pattern and its index in the pattern: what one of its required
    tokens must be in any match (a digit if a required token needs one, else the words of the
    first required token that may only be one of a fixed set of words); None if there is no
    such token. (The size of a set says little of how often its words occur: "e" is one.)

    >>> pattern_anchor([{"LIKE_NUM": True}, {"LOWER": {"IN": ["euro", "$"]}, "OP": "?"}])
    >>> anchor, index = pattern_anchor([{"LIKE_NUM": True}, {"LOWER": {"IN": ["euro", "$"]}}])
    >>> sorted(anchor), index
    (['$', 'euro'], 1)
    >>> pattern_anchor([{"LOWER": "il"}, {"ORTH": {"REGEX": r"^\\d{4}$"}}])
    ('digit', 1)
    """
    best: tuple[Anchor, int] | None = None
    for index, token in enumerate(pattern):
        if token.get("OP") not in (None, "1"):
            continue  # optional, negated or repeated: not in every match as it is
        anchor = _token_anchor(token)
        if anchor == DIGIT:
            return DIGIT, index
        if anchor is not None and best is None:
            best = anchor, index
    return best


def _token_anchor(token: dict[str, Any]) -> Anchor | None:
    for key, value in token.items():
        if key not in _WORD_ATTRS:
            continue
        if isinstance(value, str):
            return _words_anchor([value])
        if isinstance(value, dict) and set(value) == {"IN"}:
            return _words_anchor(value["IN"])
        if isinstance(value, dict) and set(value) == {"REGEX"} and _DIGIT_FIRST.match(
                value["REGEX"]):
            return DIGIT
    return None


def _words_anchor(words: Iterable[object]) -> Anchor:
    """Words with a digit each ("1999", "2000") are anchored as digits: that is checked anyway,
    and a smaller set of words makes fewer anchors."""
    lowered = frozenset(str(word).lower() for word in words)
    return DIGIT if all(_HAS_DIGIT(word) for word in lowered) else lowered


class AnchoredMatcher:
    """A spaCy ``Matcher`` (``add`` and call) that runs only around the patterns' anchors;
    ``anchored`` is False once a pattern without one was added (the whole Doc is searched)."""

    def __init__(self, vocab: Vocab) -> None:
        self.matcher = Matcher(vocab)
        self.anchored = True
        self._words: set[str] = set()
        # For a digit anchor and a word anchor: how many tokens a match may have before it
        # and after it (-1: no pattern has such an anchor).
        self._reach = {DIGIT: (-1, -1), WORD: (-1, -1)}

    def add(self, key: str, patterns: Iterable[Pattern]) -> None:
        patterns = list(patterns)
        self.matcher.add(key, patterns)
        for pattern in patterns:
            found = pattern_anchor(pattern)
            if found is None or any(token.get("OP") not in _FIXED_LENGTH_OPS
                                    for token in pattern):
                self.anchored = False
                continue
            anchor, index = found
            kind = DIGIT if anchor == DIGIT else WORD
            if kind == WORD:
                self._words |= anchor
            before, after = self._reach[kind]
            self._reach[kind] = max(before, index), max(after, len(pattern) - index - 1)

    def __len__(self) -> int:
        return len(self.matcher)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not self.anchored:
            return self.matcher(doc)
        matches: list[tuple[int, int, int]] = []
        for start, end in self.stretches(doc):
            matches.extend((key, start + s, start + e)
                           for key, s, e in self.matcher(doc[start:end]))
        return matches

    def stretches(self, doc: Doc) -> list[tuple[int, int]]:
        """The token ranges, disjoint and in order, that hold every match: around each anchor
        token, as many tokens as a pattern may have before and after its anchor."""
        stretches: list[tuple[int, int]] = []
        for position, before, after in self._anchors(doc):
            start, end = max(0, position - before), min(len(doc), position + after + 1)
            if stretches and start <= stretches[-1][1]:
                stretches[-1] = (stretches[-1][0], max(end, stretches[-1][1]))
            else:
                stretches.append((start, end))
        return stretches

    def _anchors(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Each anchor token's position, with the tokens a match may have before and after."""
        if not len(doc):
            return []
        forms, inverse = numpy.unique(doc.to_array(LOWER), return_inverse=True)
        strings, words = doc.vocab.strings, self._words  # the Doc's: it may have its own
        digit_reach, word_reach = self._reach[DIGIT], self._reach[WORD]
        digits = digit_reach[0] >= 0
        # per distinct form: 0 no anchor, 1 a digit, 2 a word, 3 both
        kinds = numpy.fromiter(
            ((digits and _HAS_DIGIT(text) is not None) + 2 * (text in words)
             for text in (strings[int(form)] for form in forms)),
            dtype=numpy.int8, count=len(forms))[inverse.reshape(-1)]
        reach_of = (None, digit_reach, word_reach,
                    (max(digit_reach[0], word_reach[0]), max(digit_reach[1], word_reach[1])))
        return [(position, *reach_of[kinds[position]])
                for position in numpy.flatnonzero(kinds).tolist()]
