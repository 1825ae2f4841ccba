"""NLP stage: trim function words and stray punctuation off the edges of NER entities.

Runs right after the statistical NER (before the domain ruler). The transition-based NER now and
then runs an entity on past its last name word ("Protezione Civile insieme ai", "Tornado dell'")
or starts it on a bracket or quote. An Italian name never ends on a preposition, article,
conjunction or elided article, and never starts or ends on punctuation, so those tokens are
trimmed; inner ones ("Corte di Giustizia") and lowercase content words ("governo tedesco") are
left alone. An entity with nothing left is dropped.

Measured on KIND WN_dev (gold tokens, NER + domain ruler): entity F1 0.7685 -> 0.7703; FIC_dev
and ADG_dev unchanged.

>>> import spacy
>>> from spacy.tokens import Doc, Span
>>> nlp = spacy.blank("it")
>>> doc = Doc(nlp.vocab, words="la Protezione Civile insieme ai vigili".split())
>>> doc.ents = [Span(doc, 1, 5, "ORG")]
>>> [e.text for e in trim_entity_edges(doc).ents]
['Protezione Civile']
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

#: Lowercase words that never end an Italian name: prepositions (simple and articulated),
#: articles, conjunctions and a few adverbs that the NER tends to run on into.
EDGE_FUNCTION_WORDS = frozenset(
    """di del dello della dei degli delle dell' d' a al allo alla ai agli alle all' da dal dallo
    dalla dai dagli dalle dall' in nel nello nella nei negli nelle nell' con col coi su sul sullo
    sulla sui sugli sulle sull' per tra fra e ed o od il lo la i gli le l' un uno una un'
    insieme che come anche non""".split()
)
EDGE_PUNCTUATION = frozenset({",", ";", ":", "(", ")", "[", "]", "«", "»", '"', "“", "”", "'",
                              "‘", "’", "-", "–", "—", "/"})


def _trimmable_end(token) -> bool:
    text = token.text.replace("’", "'")
    return text in EDGE_PUNCTUATION or (text.islower() and text in EDGE_FUNCTION_WORDS)


def _trimmable_start(token) -> bool:
    return token.text in EDGE_PUNCTUATION


@Language.component("aerokg_entity_edges")
def trim_entity_edges(doc: Doc) -> Doc:
    """Drop function words and punctuation at the ends of ``doc.ents`` (see the module doc)."""
    trimmed = []
    changed = False
    for ent in doc.ents:
        start, end = ent.start, ent.end
        while end > start and _trimmable_end(doc[end - 1]):
            end -= 1
        while start < end and _trimmable_start(doc[start]):
            start += 1
        if (start, end) == (ent.start, ent.end):
            trimmed.append(ent)
            continue
        changed = True
        if end > start:
            trimmed.append(Span(doc, start, end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id))
    if changed:
        doc.ents = trimmed
    return doc
