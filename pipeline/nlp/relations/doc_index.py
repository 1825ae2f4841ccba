"""NLP stage, relation rules: what the rules derive from a whole Doc, computed once per Doc.

spaCy recomputes some Doc properties on every access: ``doc.text`` joins every token,
``token.sent`` walks to the sentence's ends. Rules that ask for them once per token turn an
article into quadratic work, so they read these per-Doc tables instead.

The tables are kept only inside ``with indexed(doc):`` (the mapping of one article,
:func:`pipeline.nlp.analyse.to_document`) and dropped when it ends: they hold Token objects,
which hold their Doc, so a cache that outlived the block would keep every Doc of a batch
alive. Outside such a block every call computes afresh (same answers, slower).

>>> import spacy
>>> nlp = spacy.blank("it")
>>> doc = nlp("Una frase. Un'altra.")
>>> doc[0].is_sent_start = True; doc[3].is_sent_start = True
>>> with indexed(doc):
...     doc_text(doc) == doc.text, sentence_span(doc, 4)
(True, (3, 6))
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, TypeVar

from spacy.tokens import Doc, Token

__all__ = ["FORM_CACHE_SIZE", "indexed", "per_doc", "doc_text", "remember_text",
           "sentence_span", "token_cache", "tokens", "tokens_with", "word_forms"]

T = TypeVar("T")

#: Most entries of a :func:`word_forms` cache: one that reaches it is cleared, so memory does
#: not grow with the corpus.
FORM_CACHE_SIZE = 100_000


def word_forms(key: str, attribute: str, make: Callable[[str], str]) -> Callable[[Token], str]:
    """``token -> make(token.<attribute>)``, kept by that string's StringStore hash
    (``token.<key>``: ``orth`` for ``text``, ``lower`` for ``lower_``, ``lemma`` for
    ``lemma_``). The rules ask for such forms thousands of times per article, and spaCy decodes
    a new str on every access to the string attribute. At most :data:`FORM_CACHE_SIZE` forms
    are kept (the function's ``forms`` dict). A closure, not an object with ``__call__``: for
    these, the rules' most frequent calls, an object ran 1.5-1.8x as long, longer than no
    cache at all.

    >>> import spacy
    >>> low = word_forms("orth", "text", str.lower)
    >>> [low(token) for token in spacy.blank("it")("Roma e ROMA")]
    ['roma', 'e', 'roma']
    >>> len(low.forms)
    3
    """
    text_of = attrgetter(attribute)
    form = token_cache(attrgetter(key), lambda token: make(text_of(token)))
    form.key = key  # type: ignore[attr-defined]  (what the form depends on: see _index_of)
    return form


def token_cache(key_of: Callable[[Token], Hashable],
                compute: Callable[[Token], T]) -> Callable[[Token], T]:
    """``compute(token)``, kept by ``key_of(token)``: whatever the answer depends on (StringStore
    hashes, part of speech), so it is computed once per distinct key. At most
    :data:`FORM_CACHE_SIZE` answers are kept (the function's ``forms`` dict, cleared when
    full), so memory does not grow with the corpus."""
    forms: dict[Hashable, T] = {}

    def cached(token: Token) -> T:
        key = key_of(token)
        found = forms.get(key)
        if found is None:
            if len(forms) >= FORM_CACHE_SIZE:
                forms.clear()
            found = forms[key] = compute(token)
        return found

    cached.forms = forms  # type: ignore[attr-defined]
    return cached

#: id(doc) -> (doc, its tables, how many ``indexed`` blocks hold it open)
_OPEN: dict[int, tuple[Doc, dict[str, Any], int]] = {}


@contextmanager
def indexed(doc: Doc) -> Iterator[Doc]:
    """Keep ``doc``'s tables for the duration of the block (blocks may nest)."""
    key = id(doc)
    held = _OPEN.get(key)
    if held is not None and held[0] is doc:
        _OPEN[key] = (doc, held[1], held[2] + 1)
    else:
        _OPEN[key] = (doc, {}, 1)
    try:
        yield doc
    finally:
        current = _OPEN.get(key)
        if current is not None and current[0] is doc:
            if current[2] <= 1:
                del _OPEN[key]
            else:
                _OPEN[key] = (doc, current[1], current[2] - 1)


def per_doc(doc: Doc, key: Hashable, build: Callable[[Doc], T]) -> T:
    """``build(doc)``: computed once per ``indexed(doc)`` block, else on every call."""
    held = _OPEN.get(id(doc))
    if held is None or held[0] is not doc:
        return build(doc)
    tables = held[1]
    if tables.get("__len__") != len(doc):  # retokenized inside the block: start again
        tables.clear()
        tables["__len__"] = len(doc)
    if key not in tables:
        tables[key] = build(doc)
    return tables[key]


def tokens(doc: Doc) -> list[Token]:
    """The Doc's tokens as a list (``for token in doc`` makes a new Token object per token
    on every pass; rules that each walk the whole Doc share these)."""
    return per_doc(doc, "tokens", list)


def tokens_with(doc: Doc, form: Callable[[Token], str], words: Collection[str]) -> list[Token]:
    """The tokens whose ``form(token)`` is in ``words`` (a set: each word once), in the
    Doc's order: what ``[t for t in tokens(doc) if form(t) in words]`` gives, by looking the
    words up in a per-Doc index of ``form`` (built on the first call, one pass), so the many
    rules that each look for their own trigger words do not each walk the whole Doc.

    >>> import spacy
    >>> doc = spacy.blank("it")("La sede di Roma e la Sede di Milano.")
    >>> with indexed(doc):
    ...     [t.i for t in tokens_with(doc, lambda t: t.lower_, {"sede", "milano"})]
    [1, 6, 8]
    """
    index = per_doc(doc, ("tokens_with", form), lambda d: _index_of(d, form))
    if len(words) <= len(index):
        found = [i for word in words for i in index.get(word, ())]
    else:
        found = [i for word, positions in index.items() if word in words for i in positions]
    found.sort()
    every = tokens(doc)
    return [every[i] for i in found]


def _index_of(doc: Doc, form: Callable[[Token], str]) -> dict[str, list[int]]:
    """form -> the positions of its tokens. A :func:`word_forms` form is asked once per
    distinct string it depends on (its ``key``: an int attribute), not once per token."""
    every = tokens(doc)
    index: dict[str, list[int]] = {}
    key = getattr(form, "key", None)
    if key is None:
        for i, token in enumerate(every):
            index.setdefault(form(token), []).append(i)
        return index
    key_of = attrgetter(key)
    by_key: dict[int, list[int]] = {}
    for i, token in enumerate(every):
        hashed = key_of(token)
        found = by_key.get(hashed)
        if found is None:
            by_key[hashed] = [i]
        else:
            found.append(i)
    for positions in by_key.values():  # two keys may share a form: lists merged, unsorted
        index.setdefault(form(every[positions[0]]), []).extend(positions)
    return index


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
