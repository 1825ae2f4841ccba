"""NLP stage, relation rules: what the rules derive from a whole Doc, computed once per Doc.

spaCy recomputes some Doc properties on every access: ``doc.text`` joins every token,
``token.sent`` walks to the sentence's ends. Rules that ask for them once per token turn an
article into quadratic work, so they read these per-Doc tables instead. Entries are held
weakly (they go with their Doc) and rebuilt if the Doc's length changes.

>>> import spacy
>>> nlp = spacy.blank("it")
>>> doc = nlp("Una frase. Un'altra.")
>>> doc[0].is_sent_start = True; doc[3].is_sent_start = True
>>> doc_text(doc) == doc.text, sentence_span(doc, 4)
(True, (3, 7))
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from spacy.tokens import Doc, Token

__all__ = ["per_doc", "doc_text", "remember_text", "sentence_span", "tokens"]

T = TypeVar("T")

_CACHE: weakref.WeakKeyDictionary[Doc, dict[str, Any]] = weakref.WeakKeyDictionary()


def per_doc(doc: Doc, key: str, build: Callable[[Doc], T]) -> T:
    """``build(doc)``, computed on the first call for this Doc and ``key``."""
    entry = _CACHE.get(doc)
    if entry is None or entry["__len__"] != len(doc):
        entry = _CACHE[doc] = {"__len__": len(doc)}
    if key not in entry:
        entry[key] = build(doc)
    return entry[key]


def tokens(doc: Doc) -> list[Token]:
    """The Doc's tokens as a list (``for token in doc`` makes a new Token object per token
    on every pass; rules that each walk the whole Doc share these)."""
    return per_doc(doc, "tokens", list)


def doc_text(doc: Doc) -> str:
    """``doc.text``, joined once."""
    return per_doc(doc, "text", lambda d: d.text)


def remember_text(doc: Doc, text: str) -> None:
    """Record that ``doc`` was made from ``text`` (``nlp(text)``: spaCy's tokenizer loses no
    character, so ``doc.text == text``), sparing :func:`doc_text` the join. A ``text`` whose
    length is not the Doc's is ignored."""
    end = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
    if end == len(text):
        per_doc(doc, "text", lambda d: text)


def sentence_span(doc: Doc, i: int) -> tuple[int, int]:
    """(start, end) token indices of the sentence of token ``i``: ``doc[i].sent``'s."""
    return per_doc(doc, "sentences", _sentence_spans)[i]


def _sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for sent in doc.sents:
        spans.extend((sent.start, sent.end) for _ in range(sent.start, sent.end))
    return spans
