"""NLP stage: ``aerokg_entity_ruler``, spaCy's ``entity_ruler`` that loads its phrase patterns fast.

spaCy turns each phrase pattern into a ``Doc`` with ``nlp.pipe``, running every component that
comes before the ruler in the pipeline: to load the shipped model's 9,700 gazetteer patterns it
tagged, parsed and lemmatised each of them, 9 of the 10 seconds ``spacy.load`` took. Matching on
``ORTH``, ``LOWER`` or ``NORM`` (the default is ``ORTH``) needs the tokenizer alone, so for
those this ruler builds the pattern Docs with the tokenizer only, and adds them to its
PhraseMatcher a label at a time. Same config, same patterns file, same matches as
``entity_ruler`` (a test compares the two on the shipped patterns); with any other
``phrase_matcher_attr`` (``LEMMA``, ``POS``...) it does what ``entity_ruler`` does.

On ``ORTH`` (the default) it goes one step further: a pattern is kept as the hashes of its
words (:class:`OrthPhraseMatcher`), so no ``Doc`` is made for it at all, and a pattern made of
plain words separated by single spaces is split on them instead of being tokenized (what the
tokenizer would give, which a test checks on every shipped pattern). Making a Doc creates a
lexeme, with all its attributes, for each new word: 17,000 of them, two thirds of the time the
shipped model took to load.

>>> import spacy
>>> nlp = spacy.blank("it")
>>> ruler = nlp.add_pipe("aerokg_entity_ruler")
>>> ruler.add_patterns([{"label": "ORG", "pattern": "Agenzia Spaziale Italiana"}])
>>> [(e.text, e.label_) for e in nlp("l'Agenzia Spaziale Italiana a Roma").ents]
[('Agenzia Spaziale Italiana', 'ORG')]
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.attrs import IDS, ORTH
from spacy.language import Language
from spacy.pipeline import EntityRuler
from spacy.pipeline.entityruler import DEFAULT_ENT_ID_SEP, entity_ruler_score
from spacy.strings import get_string_id
from spacy.tokens import Doc

__all__ = ["TOKENIZED_FILE", "OrthPhraseMatcher", "Phrase", "TokenizerOnlyEntityRuler",
           "make_entity_ruler", "read_tokenized", "tokenizer_digest", "write_tokenized"]

#: Matcher attributes that depend on the tokenizer alone.
TOKENIZER_ATTRS = frozenset({"ORTH", "TEXT", "LOWER", "NORM"})
#: ... and those the hash matcher handles (exact token texts).
ORTH_ATTRS = frozenset({"ORTH", "TEXT"})


class Phrase:
    """What the ruler keeps of a phrase pattern matched on ORTH: its text (``EntityRuler``
    reads ``.text`` to list and save its patterns) and its words."""

    __slots__ = ("text", "words")

    def __init__(self, text: str, words: tuple[str, ...]) -> None:
        self.text = text
        self.words = words

    def __len__(self) -> int:
        return len(self.words)


class OrthPhraseMatcher:
    """spaCy's ``PhraseMatcher(attr="ORTH")`` for patterns given as words: the same matches
    (every ``(match_id, start, end)`` whose tokens have exactly the pattern's texts,
    overlapping ones included), found by looking up tuples of the tokens' ``orth`` hashes.

    >>> import spacy
    >>> nlp = spacy.blank("it")
    >>> matcher = OrthPhraseMatcher(nlp.vocab)
    >>> matcher.add("LOC", [("Reggio", "Emilia"), ("Emilia",)])
    >>> doc = nlp("a Reggio Emilia")
    >>> [(nlp.vocab.strings[key], start, end) for key, start, end in matcher(doc)]
    [('LOC', 1, 3), ('LOC', 2, 3)]
    """

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab
        self._lengths: dict[int, set[int]] = {}  # first word's hash -> pattern lengths
        self._keys: dict[tuple[int, ...], list[int]] = {}  # word hashes -> match ids
        self._patterns: dict[int, list[tuple[int, ...]]] = {}  # match id -> word hashes

    def add(self, key: str, phrases: list[tuple[str, ...]]) -> None:
        key_id = self.vocab.strings.add(key)
        kept = self._patterns.setdefault(key_id, [])
        for words in phrases:
            if words:
                kept.append(tuple(get_string_id(word) for word in words))
                self._index(key_id, kept[-1])

    def remove(self, key: str) -> None:
        key_id = self.vocab.strings.as_int(key) if isinstance(key, str) else key
        if key_id not in self._patterns:
            raise KeyError(key)
        del self._patterns[key_id]
        self._lengths, self._keys = {}, {}
        for kept_id, patterns in self._patterns.items():
            for hashes in patterns:
                self._index(kept_id, hashes)

    def _index(self, key_id: int, hashes: tuple[int, ...]) -> None:
        self._lengths.setdefault(hashes[0], set()).add(len(hashes))
        ids = self._keys.setdefault(hashes, [])
        if key_id not in ids:
            ids.append(key_id)

    def __contains__(self, key: str) -> bool:
        key_id = self.vocab.strings.as_int(key) if isinstance(key, str) else key
        return key_id in self._patterns

    def __len__(self) -> int:
        return len(self._patterns)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        orths = doc.to_array(ORTH).tolist()
        n = len(orths)
        matches = []
        for start, first in enumerate(orths):
            lengths = self._lengths.get(first)
            if lengths is None:
                continue
            for length in lengths:
                if start + length <= n:
                    ids = self._keys.get(tuple(orths[start:start + length]))
                    if ids:
                        matches.extend((key_id, start, start + length) for key_id in ids)
        return matches


class TokenizerOnlyEntityRuler(EntityRuler):
    """An ``EntityRuler`` whose phrase patterns are tokenized, not run through the pipeline,
    when its matcher attribute needs nothing more."""

    @property
    def labels(self) -> tuple[str, ...]:
        """``EntityRuler.labels``, worked out once per set of patterns: ``nlp.meta`` asks
        every component for its labels, and the walk over the shipped ruler's 9,700 pattern
        keys took 10 ms a time. The pattern tables only grow in place (``clear`` and
        ``remove`` replace them), so the tables and their sizes identify what was counted."""
        token, phrase = self.token_patterns, self.phrase_patterns
        sizes = (len(token), len(phrase))
        cached = getattr(self, "_labels_cache", None)
        if cached is None or cached[0] is not token or cached[1] is not phrase \
                or cached[2] != sizes:
            cached = (token, phrase, sizes, super().labels)
            self._labels_cache = cached
        return cached[3]

    def _require_patterns(self) -> None:
        """``EntityRuler``'s warning when there is no pattern, without counting the patterns
        at every Doc as its ``len`` does (9,700 for the shipped ruler: half its time per Doc)."""
        if not any(self.token_patterns.values()) and not any(self.phrase_patterns.values()):
            super()._require_patterns()

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """spaCy's files (``patterns.jsonl``, ``cfg``) and, for the hash matcher,
        :data:`TOKENIZED_FILE`."""
        super().to_disk(path, exclude=exclude)
        folder = Path(path)
        if folder.suffix != ".jsonl" and isinstance(self.phrase_matcher, OrthPhraseMatcher):
            write_tokenized(self, folder / TOKENIZED_FILE)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()
                  ) -> TokenizerOnlyEntityRuler:
        """spaCy's loading, the words of the patterns the tokenizer splits taken from
        :data:`TOKENIZED_FILE` when it was made with this tokenizer."""
        folder = Path(path)
        self._tokenized = (read_tokenized(folder / TOKENIZED_FILE, self.nlp.tokenizer)
                           if folder.is_dir() else {})
        try:
            super().from_disk(path, exclude=exclude)
        finally:
            self._tokenized = {}
        return self

    def add_patterns(self, patterns: list[dict[str, Any]]) -> None:
        if not _tokenizer_only(self.phrase_matcher_attr):
            super().add_patterns(patterns)
            return
        phrases = [entry for entry in patterns if isinstance(entry.get("pattern"), str)]
        others = [entry for entry in patterns if not isinstance(entry.get("pattern"), str)]
        if others:  # token patterns (and anything invalid, for spaCy's own error)
            super().add_patterns(others)
        if _orth_only(self.phrase_matcher_attr):
            self._add_orth_phrases(phrases)
            return
        # what EntityRuler.add_patterns does for phrase patterns, with the tokenizer alone and
        # one PhraseMatcher.add per label rather than per pattern (a quarter of the time)
        by_label: dict[str, list[Doc]] = defaultdict(list)
        docs = self.nlp.tokenizer.pipe(entry["pattern"] for entry in phrases)
        for entry, doc in zip(phrases, docs, strict=True):
            label = self._phrase_label(entry)
            self.phrase_patterns[label].append(doc)
            by_label[label].append(doc)
        for label, docs_of_label in by_label.items():
            self.phrase_matcher.add(label, docs_of_label)

    def _phrase_label(self, entry: dict[str, Any]) -> str:
        """The matcher label of a pattern, as EntityRuler makes it: with an ``id``, the label
        and the id joined, the pair recorded for the entity it matches."""
        label = entry["label"]
        if entry.get("id"):
            label = self._create_label(entry["label"], entry["id"])
            self._ent_ids[self.matcher._normalize_key(label)] = (entry["label"], entry["id"])
        return label

    def _add_orth_phrases(self, phrases: list[dict[str, Any]]) -> None:
        if not isinstance(self.phrase_matcher, OrthPhraseMatcher):
            # EntityRuler's __init__, clear() and from_disk() make a spaCy PhraseMatcher
            if len(self.phrase_matcher):
                raise RuntimeError("aerokg_entity_ruler: phrase patterns added elsewhere")
            self.phrase_matcher = OrthPhraseMatcher(self.nlp.vocab)
        split = _word_splitter(self.nlp.tokenizer, getattr(self, "_tokenized", None))
        by_label: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for entry in phrases:
            label = self._phrase_label(entry)
            phrase = Phrase(entry["pattern"], split(entry["pattern"]))
            self.phrase_patterns[label].append(phrase)
            by_label[label].append(phrase.words)
        for label, words in by_label.items():
            self.phrase_matcher.add(label, words)


def _word_splitter(tokenizer: Any, known: dict[str, tuple[str, ...]] | None = None) -> Any:
    """text -> its token texts: split on single spaces when every part is letters only and
    no special case of the tokenizer (the tokenizer splits such a string nowhere else), else
    ``known``'s words for it (:func:`read_tokenized`), else what the tokenizer gives."""
    plain = _plain_splitter(tokenizer)
    known = known or {}

    def split(text: str) -> tuple[str, ...]:
        words = plain(text) or known.get(text)
        if words is not None:
            return words
        return tuple(token.text for token in tokenizer(text))

    return split


def _plain_splitter(tokenizer: Any) -> Any:
    """text -> its words if it is plain words between single spaces, none of them a special
    case of the tokenizer; else None."""
    special = {key for key in tokenizer.rules if key.isalpha()} if tokenizer.rules else set()

    def plain(text: str) -> tuple[str, ...] | None:
        parts = text.split(" ")
        # every part letters only (none empty: no double or edge space), none special; in C
        if text.replace(" ", "").isalpha() and "" not in parts and special.isdisjoint(parts):
            return tuple(parts)
        return None

    return plain


#: In the folder of a ruler matching on ``ORTH``, beside spaCy's ``patterns.jsonl`` and ``cfg``:
#: the words of its phrase patterns that the tokenizer splits (those that are not plain words
#: between single spaces: "Reggio nell'Emilia", "S.p.A."), and a digest of the tokenizer's
#: settings they were made with. Loading takes them from here instead of tokenizing the 900
#: shipped ones again, which took 0.05-0.1 s of every process's start (new lexemes for every
#: word); under another tokenizer, or without the file, the patterns are tokenized.
TOKENIZED_FILE = "tokenized.json"


def tokenizer_digest(tokenizer: Any) -> str:
    """A digest of what decides how ``tokenizer`` splits a text (its rules and patterns, not
    its vocabulary)."""
    return hashlib.sha256(tokenizer.to_bytes(exclude=["vocab"])).hexdigest()


def write_tokenized(ruler: TokenizerOnlyEntityRuler, path: Path) -> None:
    """Write :data:`TOKENIZED_FILE` for ``ruler``'s phrase patterns."""
    plain = _plain_splitter(ruler.nlp.tokenizer)
    words = {phrase.text: list(phrase.words)
             for phrases in ruler.phrase_patterns.values() for phrase in phrases
             if isinstance(phrase, Phrase) and plain(phrase.text) is None}
    srsly.write_json(path, {"tokenizer": tokenizer_digest(ruler.nlp.tokenizer),
                            "words": dict(sorted(words.items()))})


def read_tokenized(path: Path, tokenizer: Any) -> dict[str, tuple[str, ...]]:
    """:data:`TOKENIZED_FILE`'s words, if it is there, readable and made with ``tokenizer``'s
    settings; else nothing (the patterns are tokenized)."""
    try:
        data = srsly.read_json(path)
        if data.get("tokenizer") != tokenizer_digest(tokenizer):
            return {}
        return {text: tuple(words) for text, words in data["words"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _orth_only(attr: str | int | None) -> bool:
    return _attr_in(attr, ORTH_ATTRS)


def _tokenizer_only(attr: str | int | None) -> bool:
    return _attr_in(attr, TOKENIZER_ATTRS)


def _attr_in(attr: str | int | None, names: frozenset[str]) -> bool:
    """Whether a matcher attribute (None: ORTH; a name or a spaCy attribute id) is one of
    ``names``."""
    if attr is None:
        return True
    if isinstance(attr, str):
        return attr.upper() in names
    return attr in {IDS[name] for name in names if name in IDS}


@Language.factory(
    "aerokg_entity_ruler",
    assigns=["doc.ents", "token.ent_type", "token.ent_iob"],
    default_config={
        "phrase_matcher_attr": None,
        "matcher_fuzzy_compare": {"@misc": "spacy.levenshtein_compare.v1"},
        "validate": False,
        "overwrite_ents": False,
        "ent_id_sep": DEFAULT_ENT_ID_SEP,
        "scorer": {"@scorers": "spacy.entity_ruler_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_entity_ruler(
    nlp: Language,
    name: str,
    phrase_matcher_attr: str | None,
    matcher_fuzzy_compare: Any,
    validate: bool,
    overwrite_ents: bool,
    ent_id_sep: str,
    scorer: Any = entity_ruler_score,
) -> TokenizerOnlyEntityRuler:
    return TokenizerOnlyEntityRuler(
        nlp,
        name,
        phrase_matcher_attr=phrase_matcher_attr,
        matcher_fuzzy_compare=matcher_fuzzy_compare,
        validate=validate,
        overwrite_ents=overwrite_ents,
        ent_id_sep=ent_id_sep,
        scorer=scorer,
    )
