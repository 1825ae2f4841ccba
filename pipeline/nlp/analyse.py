"""NLP stage edge: run the spaCy pipeline over articles and hand back typed :class:`Document`s.

spaCy objects stop here: entities become :class:`Mention`s, amount/date spans become
:class:`Quantity`s, sentences become :class:`Evidence`. Character offsets index
``Article.text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.corpus import Article
from pipeline.datamodel import ORGANIZATION, PERSON, PLACE, Document, Evidence, Mention, Quantity

NER_TO_COARSE = {"PER": PERSON, "ORG": ORGANIZATION, "LOC": PLACE, "GPE": PLACE}
QUANTITIES_KEY = "quantities"


LOCATIVE_PREPOSITIONS = {"a", "di", "da", "in", "verso", "presso", "per", "ad"}

#: Words that make a name an organisation's, never a person's ("Ronahî TV", "News Channel",
#: "Right Media Inc."): a span the statistical NER labels PER that contains one is typed as an
#: organisation.
ORGANISATION_DESIGNATORS = frozenset({
    "tv", "channel", "radio", "network", "news", "airlines", "airways", "inc", "inc.",
    "corp", "corp.", "corporation", "ltd", "ltd.", "s.p.a.", "spa", "srl", "s.r.l.", "gmbh",
    "group", "holding", "agency", "agenzia", "university", "università", "institute",
    "istituto", "foundation", "fondazione", "observatory", "osservatorio", "aerospace",
})


def reconcile_with_gazetteer(ent) -> tuple[str, str, str] | None:
    """(coarse, class, canonical) from the domain gazetteer for an entity the statistical NER
    found first (the ruler never overwrites it).

    Curated aerospace organisations override the NER's type ("Leonardo" tagged PER is the
    company in this domain); a known municipality/region overrides a PER label only after a
    locative preposition ("Aerea spa di Turate"). Otherwise None: the NER's reading stands.
    """
    from pipeline.nlp.gazetteer import ORG_CLASSES, PLACE_CLASSES, lookup

    found = lookup(ent.text)
    if found is None:
        return None
    cls, canonical = found
    if cls in ORG_CLASSES:
        return ORGANIZATION, cls, canonical
    if cls in PLACE_CLASSES:
        before = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
        if ent.label_ != "PER" or before in LOCATIVE_PREPOSITIONS:
            return PLACE, cls, canonical
    return None


def mentions_of(doc: Doc) -> list[Mention]:
    """Named-entity mentions with the class/canonical name the domain layer gives them."""
    from pipeline.nlp.relations.doc_index import indexed

    with indexed(doc):  # the sentence table, built once (also when called on its own)
        return _mentions_of(doc)


def _mentions_of(doc: Doc) -> list[Mention]:
    from pipeline.nlp.relations.doc_index import sentence_span

    sentence_index = {s.start: i for i, s in enumerate(doc.sents)}
    mentions = []
    for ent in doc.ents:
        coarse = NER_TO_COARSE.get(ent.label_)
        if coarse is None:
            continue
        cls, _, canonical = ent.ent_id_.partition("/") if ent.ent_id_ else ("", "", "")
        if not ent.ent_id_:
            reconciled = reconcile_with_gazetteer(ent)
            if reconciled is not None:
                coarse, cls, canonical = reconciled
            elif coarse == PERSON and any(t.lower_ in ORGANISATION_DESIGNATORS for t in ent):
                coarse = ORGANIZATION
        mentions.append(
            Mention(
                start=ent.start_char,
                end=ent.end_char,
                text=ent.text,
                coarse=coarse,
                cls=cls,
                canonical=canonical,
                # ent.sent's start (spaCy walks to it on every access; the table is built once)
                sentence=sentence_index.get(sentence_span(doc, ent.start)[0], 0),
                source="ruler" if cls else "ner",
            )
        )
    return mentions


def quantities_of(doc: Doc) -> list[Quantity]:
    spans = doc.spans.get(QUANTITIES_KEY, [])
    return [
        Quantity(
            start=s.start_char,
            end=s.end_char,
            text=s.text,
            label=s.label_,
            value=s._.value,
            currency=s._.currency,
            qualifier=s._.qualifier,
            iso_date=s._.iso_date,
        )
        for s in spans
    ]


def to_document(article: Article, doc: Doc, with_relations: bool = True) -> Document:
    """The typed Document of a parsed article: sentences, mentions, quantities, relations.

    Rule mentions used by relations (event nouns, "il distretto") join ``mentions``.
    """
    from pipeline.nlp.relations.doc_index import doc_text, indexed, remember_text

    with indexed(doc):  # per-Doc tables for the rules, dropped with the block
        remember_text(doc, article.text)
        text = doc_text(doc)
        sentences = [Evidence(s.start_char, s.end_char, text[s.start_char:s.end_char])
                     for s in doc.sents]
        document = Document(
            article=article,
            sentences=sentences,
            mentions=mentions_of(doc),
            quantities=quantities_of(doc),
        )
        if not with_relations:
            return document
        from pipeline.nlp.relations import extract_relations
        from pipeline.nlp.relations.context import ExtractionContext

        context = ExtractionContext(doc, article, document.mentions)
        document.relations = extract_relations(doc, context, document.warnings)
    known = {(m.start, m.end) for m in document.mentions}
    for relation in document.relations:
        for value in relation.args.values():
            if isinstance(value, Mention) and (value.start, value.end) not in known:
                document.mentions.append(value)
                known.add((value.start, value.end))
    return document


def analyse(
    nlp: Language, articles: Iterable[Article], batch_size: int = 16, n_process: int = 1
) -> Iterator[tuple[Article, Doc]]:
    """Pair each article with its spaCy Doc (in input order)."""
    articles = list(articles)
    texts = ((a.text, a) for a in articles)
    for doc, article in nlp.pipe(texts, as_tuples=True, batch_size=batch_size,
                                 n_process=n_process):
        yield article, doc
