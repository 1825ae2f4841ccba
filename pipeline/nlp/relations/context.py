"""NLP stage: what relation rules share about one Doc - its mentions and sentences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc, Span, Token

from pipeline.corpus import Article
from pipeline.datamodel import Evidence, Mention


@dataclass
class ExtractionContext:
    """Mentions of a Doc indexed by token, plus helpers to build evidence and rule mentions."""

    doc: Doc
    article: Article
    mentions: list[Mention]
    _by_token: dict[int, Mention] = field(default_factory=dict, init=False)
    _sentence_starts: list[int] = field(default_factory=list, init=False)
    #: what several rules derive from the same Doc (its mention index, its role facts), built
    #: once per context by whichever rule asks first; read-only once built
    shared: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._sentence_starts = [s.start for s in self.doc.sents]
        by_char = {(m.start, m.end): m for m in self.mentions}
        for ent in self.doc.ents:
            mention = by_char.get((ent.start_char, ent.end_char))
            if mention:
                for i in range(ent.start, ent.end):
                    self._by_token[i] = mention

    def mention_at(self, token: Token) -> Mention | None:
        """The named-entity mention covering ``token``, if any."""
        return self._by_token.get(token.i)

    def sentence_index(self, token: Token) -> int:
        import bisect

        return bisect.bisect_right(self._sentence_starts, token.i) - 1

    def evidence(self, span: Span | Token) -> Evidence:
        sent = span.sent
        return Evidence(sent.start_char, sent.end_char, sent.text)

    def rule_mention(self, span: Span, coarse: str, cls: str = "", canonical: str = "") -> Mention:
        """A mention found by a rule (an event noun, "il distretto"), not by the NER."""
        return Mention(
            start=span.start_char,
            end=span.end_char,
            text=span.text,
            coarse=coarse,
            cls=cls,
            canonical=canonical,
            sentence=self.sentence_index(span[0]),
            source="rule",
        )
