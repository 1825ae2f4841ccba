"""NLP stage: trim function words and stray punctuation off the edges of NER entities.

Runs right after the statistical NER (before the domain ruler). The transition-based NER now and
then runs an entity on past its last name word ("Protezione Civile insieme ai", "Tornado dell'")
or starts it on a bracket or quote. An Italian name never ends on a preposition, article,
conjunction or elided article, and never starts or ends on punctuation, so those tokens are
trimmed; inner ones ("Corte di Giustizia") and lowercase content words ("governo tedesco") are
left alone. An entity with nothing left is dropped. A company named with its legal form and its
town as one entity ("Aerea spa di Turate") becomes the company (ORG) and the town (LOC).

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
#: Italian legal forms: "Aerea spa di Turate" is the company "Aerea spa" of the place "Turate".
LEGAL_FORMS = frozenset({"spa", "s.p.a.", "srl", "s.r.l.", "sapa", "s.a.p.a.", "snc", "s.n.c.",
                         "sas", "s.a.s.", "scarl", "s.c.a.r.l.", "spa.", "srl."})
EDGE_PUNCTUATION = frozenset({",", ";", ":", "(", ")", "[", "]", "«", "»", '"', "“", "”", "'",
                              "‘", "’", "-", "–", "—", "/"})


def _trimmable_end(token) -> bool:
    text = token.text.replace("’", "'")
    return text in EDGE_PUNCTUATION or (text.islower() and text in EDGE_FUNCTION_WORDS)


def _trimmable_start(token) -> bool:
    return token.text in EDGE_PUNCTUATION


def _split_company_of_place(doc: Doc, ent: Span) -> list[Span] | None:
    """``[Name] spa di [Place]`` as one entity -> ORG ``Name spa`` + LOC ``Place``."""
    for i in range(ent.start + 1, ent.end - 2):
        if doc[i].lower_ in LEGAL_FORMS and doc[i + 1].lower_ in ("di", "da") and all(
            t.text[:1].isupper() for t in doc[i + 2 : ent.end]
        ):
            return [Span(doc, ent.start, i + 1, label="ORG"),
                    Span(doc, i + 2, ent.end, label="LOC")]
    return None


@Language.component("aerokg_entity_edges")
def trim_entity_edges(doc: Doc) -> Doc:
    """Drop function words and punctuation at the ends of ``doc.ents``, and split "company
    spa di Place" entities (see the module doc)."""
    trimmed = []
    changed = False
    for ent in doc.ents:
        parts = _split_company_of_place(doc, ent)
        if parts:
            trimmed.extend(parts)
            changed = True
            continue
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
