"""Mapping stage: turn an article's entities and relations into RDF, one named graph per article.

The modelling follows ``ontologies/README.md``: entities typed with their top type and finest
class, n-ary facts (``org:Membership``, ``aero:TradeFlow``, ``schema:Quotation``, events) as
nodes, binary facts asserted and reified as ``rdf:Statement``; every fact carries
``aero:confidence`` and ``prov:wasDerivedFrom`` an ``oa:SpecificResource`` evidence node
with position and quote selectors. No blank nodes: every IRI is derived from content, so
the same input gives the same graph.

Whatever the article holds, the output is valid (``vocab``, "Text that goes into IRIs and
literals"): IRIs come only from the ``vocab`` helpers; names, labels, titles and ids go through
``vocab.label_text`` (XML characters only, no bidi controls; never truncated), evidence and
quoted text through ``vocab.xml_text`` with U+FFFD for a non-XML character (verbatim
otherwise, same length); typed literals are emitted only when their lexical form is valid for
their datatype (a date "2017-13", a value "NaN", a year "٢٠١٦" or a currency "eu" is left
out, and the fact with it when it is required); an article URL only when it is a valid
http(s) IRI.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import Node

from pipeline.datamodel import (
    EVENT,
    ORGANIZATION,
    PERSON,
    PLACE,
    Document,
    Entity,
    Evidence,
    Mention,
    Relation,
    RelationKind,
)
from pipeline.mapping.entities import EntityIndex
from pipeline.mapping.vocab import (
    AERO,
    DCTERMS,
    OA,
    ORG,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    RUN_BASE,
    SDO,
    SKOS,
    SOFTWARE_BASE,
    XSD,
    article_iri,
    entity_iri,
    evidence_iri,
    fact_iri,
    graph_iri,
    iri_segment,
    is_valid_iri,
    label_text,
    role_iri,
    xml_text,
)

TOP_TYPES = {PERSON: SDO.Person, ORGANIZATION: ORG.Organization, PLACE: SDO.Place,
             EVENT: SDO.Event}
PARTICIPATION_PROPERTY = {
    "organizer": SDO.organizer,
    "sponsor": SDO.sponsor,
    "participant": AERO.participant,
    "visitor": AERO.visitor,
    "host": AERO.host,
    "speaker": AERO.speaker,
}


@cache
def class_iri(cls: str) -> URIRef | None:
    """The ontology class for a class name ("Cluster" -> aero:Cluster), None if unknown."""
    if cls == "OrganizationalUnit":
        return ORG.OrganizationalUnit
    try:
        return getattr(AERO, cls)
    except AttributeError:
        return None


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
#: Decimal values outside 10**-MAX_EXPONENT .. 10**MAX_EXPONENT are not amounts.
MAX_EXPONENT = 30


def name_literal(text: str) -> Literal:
    """A name, label, title or id as a plain literal (``vocab.label_text``)."""
    return Literal(label_text(text))


def text_literal(text: str) -> Literal:
    """Quoted or evidence text as a plain literal: verbatim, a non-XML character as U+FFFD."""
    return Literal(xml_text(text, "\ufffd"))


def typed_date(value: str) -> Literal | None:
    """ISO date literal with the datatype its precision needs ("2017-11" -> xsd:gYearMonth);
    None unless ``value`` is a real date in ASCII digits ("2017-13", "٢٠١٧" are not)."""
    value = value.strip()
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    datatype = XSD.date if day else XSD.gYearMonth if month else XSD.gYear
    return Literal(value, datatype=datatype)


def decimal_literal(value: float | str | Decimal) -> Literal:
    """xsd:decimal in plain notation, whole numbers without decimals (9000000, not 9E+6).
    Raises ``ValueError`` for what no xsd:decimal is (NaN, infinities, an exponent beyond
    MAX_EXPONENT, which would spell out a million digits)."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {str(value)[:40]!r}") from None
    if not number.is_finite() or not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        if number.is_zero():
            return Literal("0", datatype=XSD.decimal)
        raise ValueError(f"not a decimal amount: {str(value)[:40]!r}")
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return Literal(format(number, "f"), datatype=XSD.decimal)


@dataclass(frozen=True)
class RunInfo:
    """What the run's prov:Activity records (no timestamps: outputs stay deterministic)."""

    aerokg_version: str
    model_name: str
    model_version: str
    article_ids: tuple[str, ...]
    fingerprint: str  # hash of the inputs; the run IRI derives from it

    @property
    def iri(self) -> URIRef:
        return URIRef(RUN_BASE + iri_segment(self.fingerprint))


def run_fingerprint(aerokg_version: str, model: str, texts: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{aerokg_version}\x1f{model}".encode("utf-8", "surrogatepass"))
    for article_id, text in sorted(texts):
        digest.update(f"\x1e{article_id}\x1f{text}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


# The terms written for every entity, evidence and fact, resolved once: rdflib resolves an
# attribute of a closed namespace (``RDF.type``) through its metaclass on every access, about
# 2 us, and one article's graph asks for several hundred.
_TYPE, _STATEMENT = RDF.type, RDF.Statement
_SUBJECT, _PREDICATE, _OBJECT = RDF.subject, RDF.predicate, RDF.object
_DERIVED_FROM, _CONFIDENCE = PROV.wasDerivedFrom, AERO.confidence
_PREF_LABEL, _ALT_LABEL, _LABEL = SKOS.prefLabel, SKOS.altLabel, RDFS.label
_SPECIFIC_RESOURCE, _HAS_SOURCE, _HAS_SELECTOR = OA.SpecificResource, OA.hasSource, OA.hasSelector
_POSITION_SELECTOR, _QUOTE_SELECTOR = OA.TextPositionSelector, OA.TextQuoteSelector
_START, _END, _EXACT = OA.start, OA.end, OA.exact
_NON_NEGATIVE_INTEGER = XSD.nonNegativeInteger


class ArticleGraphBuilder:
    """Adds one article's triples to ``graph``, its named graph (:func:`article_graph`)."""

    def __init__(self, graph: Graph, document: Document, index: EntityIndex):
        self.document = document
        self.index = index
        self.article_id = document.article.id
        self.article = article_iri(self.article_id)
        self.graph = graph
        self._store_add = graph.store.add
        self.used_entities: set[str] = set()
        self._evidence: dict[tuple[int, int, str], URIRef] = {}

    # -- helpers ------------------------------------------------------------------------------
    def add(self, s: Node, p: Node, o: Node) -> None:
        self._store_add((s, p, o), self.graph)  # Graph.add, without its type assertions

    def evidence(self, evidence: Evidence) -> URIRef:
        key = (evidence.start, evidence.end, evidence.sentence)
        node = self._evidence.get(key)
        if node is not None:  # a sentence stating several facts is described once
            return node
        node = self._evidence[key] = evidence_iri(self.article_id, evidence.start, evidence.end)
        position, quote = URIRef(f"{node}#position"), URIRef(f"{node}#quote")
        add = self.add
        add(node, _TYPE, _SPECIFIC_RESOURCE)
        add(node, _HAS_SOURCE, self.article)
        add(node, _HAS_SELECTOR, position)
        add(node, _HAS_SELECTOR, quote)
        add(position, _TYPE, _POSITION_SELECTOR)
        add(position, _START, Literal(evidence.start, datatype=_NON_NEGATIVE_INTEGER))
        add(position, _END, Literal(evidence.end, datatype=_NON_NEGATIVE_INTEGER))
        add(quote, _TYPE, _QUOTE_SELECTOR)
        add(quote, _EXACT, text_literal(evidence.sentence))
        return node

    def provenance(self, fact: URIRef, relation: Relation) -> None:
        """Confidence and evidence of a fact. A fact stated more than once in the article (the
        same statement in two sentences, one event reported twice) keeps every evidence and
        one aero:confidence (sh:maxCount 1): the highest."""
        confidence = decimal_literal(round(relation.confidence, 3))
        stated = [Decimal(str(o)) for o in self.graph.objects(fact, _CONFIDENCE)]
        if not stated or Decimal(str(confidence)) > max(stated):
            self.graph.set((fact, _CONFIDENCE, confidence))
        self.add(fact, _DERIVED_FROM, self.evidence(relation.evidence))

    def entity(self, mention: Mention | object) -> Entity | None:
        if not isinstance(mention, Mention):
            return None
        entity = self.index.entity_of(mention)
        if entity is not None:
            self.used_entities.add(entity.key)
        return entity

    def statement(self, s: URIRef, p: URIRef, o: URIRef, relation: Relation) -> None:
        """Assert a binary fact and reify it with its confidence and evidence."""
        self.add(s, p, o)
        node = fact_iri(self.article_id, "statement", s, p, o)
        self.add(node, _TYPE, _STATEMENT)
        self.add(node, _SUBJECT, s)
        self.add(node, _PREDICATE, p)
        self.add(node, _OBJECT, o)
        self.provenance(node, relation)

    # -- the article, entities, relations --------------------------------------------------
    def add_article(self) -> None:
        a = self.document.article
        self.add(self.article, RDF.type, SDO.NewsArticle)
        # the id verbatim but for non-XML characters (U+FFFD: never empty)
        self.add(self.article, DCTERMS.identifier, text_literal(a.id))
        if a.title and label_text(a.title):
            self.add(self.article, SDO.headline, name_literal(a.title))
        published = typed_date(a.date) if a.date else None
        if published is not None:
            self.add(self.article, SDO.datePublished, published)
        if a.url and a.url.startswith(("http://", "https://")) and is_valid_iri(a.url):
            self.add(self.article, SDO.url, URIRef(a.url))

    def add_entity(self, entity: Entity) -> None:
        node = entity_iri(entity.key)
        self.add(node, _TYPE, TOP_TYPES[entity.coarse])
        cls = class_iri(entity.cls)
        if cls is not None and cls != TOP_TYPES[entity.coarse]:
            self.add(node, _TYPE, cls)
        # sh:minLength 1: a label of bidi controls only falls back to the key's slug
        label = label_text(entity.label)
        if not label.strip():
            label = entity.key.partition("/")[2]
        self.add(node, _PREF_LABEL, Literal(label))
        self.add(node, _LABEL, Literal(label))
        for alias in sorted({label_text(alias) for alias in entity.aliases} - {label, ""}):
            self.add(node, _ALT_LABEL, Literal(alias))
        sentences = self.document.sentences
        for mention in entity.mentions:
            if 0 <= mention.sentence < len(sentences):
                self.add(node, _DERIVED_FROM, self.evidence(sentences[mention.sentence]))

    def add_relation(self, relation: Relation) -> bool:
        """Add one relation; False when an argument cannot be resolved to an entity."""
        args = relation.args
        iri = lambda name: entity_iri(self.entity(args[name]).key)  # noqa: E731
        resolved = {name: self.entity(value) for name, value in args.items()
                    if isinstance(value, Mention)}
        if any(v is None for v in resolved.values()):
            return False
        kind = relation.kind
        if kind == RelationKind.ROLE:
            person = iri("person")
            if resolved["person"].coarse != PERSON:
                return False
            role_noun = label_text(str(args["role"])).strip().lower()
            if not role_noun:
                return False
            role = role_iri(role_noun)
            org = iri("organization") if "organization" in resolved else None
            if org == person:
                return False
            fact = fact_iri(self.article_id, "membership", person, role, org or "")
            self.add(fact, RDF.type, ORG.Membership)
            self.add(fact, ORG.member, person)
            self.add(fact, ORG.role, role)
            if org is not None:
                self.add(fact, ORG.organization, org)
            self.add(role, RDF.type, SKOS.Concept)
            self.add(role, SKOS.inScheme, AERO.Roles)
            self.add(role, SKOS.prefLabel, Literal(role_noun, lang="it"))
            self.provenance(fact, relation)
        elif kind == RelationKind.LOCATION:
            entity, place = iri("entity"), iri("place")
            if entity == place or resolved["place"].coarse != PLACE:
                return False
            prop = SDO.containedInPlace if resolved["entity"].coarse == PLACE else SDO.location
            self.statement(entity, prop, place, relation)
        elif kind == RelationKind.EVENT:
            event = iri("event")
            if "place" in resolved and resolved["place"].coarse == PLACE:
                self.add(event, SDO.location, iri("place"))
            date = typed_date(str(args.get("date", "")))
            if date is not None and not any(self.graph.objects(event, SDO.startDate)):
                self.add(event, SDO.startDate, date)
            self.provenance(event, relation)
        elif kind == RelationKind.PARTICIPATION:
            prop = PARTICIPATION_PROPERTY.get(str(args.get("role", "")))
            if prop is None or resolved["participant"].coarse == EVENT:
                return False
            self.statement(iri("event"), prop, iri("participant"), relation)
        elif kind == RelationKind.MEMBERSHIP:
            member, org = iri("member"), iri("organization")
            if member == org or resolved["organization"].coarse != ORGANIZATION:
                return False
            self.statement(member, ORG.memberOf, org, relation)
        elif kind == RelationKind.PARTNERSHIP:
            a, b = sorted([iri("party_a"), iri("party_b")])
            if a == b:
                return False
            self.statement(a, AERO.partnerOf, b, relation)
        elif kind == RelationKind.TRADE_FLOW:
            return self.add_trade_flow(relation, iri("exporter"), iri("importer"))
        elif kind == RelationKind.QUOTE:
            speaker = iri("speaker")
            text = str(args["quote"]).strip()
            if not text:
                return False
            fact = fact_iri(self.article_id, "quotation", speaker, text)
            self.add(fact, RDF.type, SDO.Quotation)
            self.add(fact, SDO.text, text_literal(text))
            self.add(fact, SDO.spokenByCharacter, speaker)
            self.provenance(fact, relation)
        else:
            return False
        return True

    def add_trade_flow(self, relation: Relation, exporter: URIRef, importer: URIRef) -> bool:
        args = relation.args
        try:
            value = Decimal(str(args.get("value", "")))
            amount_literal = decimal_literal(value)
        except (InvalidOperation, ValueError):
            return False
        currency = str(args.get("currency", "")).strip().upper()
        year = str(args.get("year", ""))[:4]
        if exporter == importer or not _CURRENCY.fullmatch(currency) or typed_date(year) is None:
            return False
        fact = fact_iri(self.article_id, "tradeflow", exporter, importer, value, currency, year)
        amount = URIRef(f"{fact}#amount")
        self.add(fact, RDF.type, AERO.TradeFlow)
        self.add(fact, AERO.exporter, exporter)
        self.add(fact, AERO.importer, importer)
        self.add(fact, AERO.tradeValue, amount)
        self.add(amount, RDF.type, SDO.MonetaryAmount)
        self.add(amount, SDO.value, amount_literal)
        self.add(amount, SDO.currency, Literal(currency))
        self.add(fact, AERO.year, Literal(year, datatype=XSD.gYear))
        sector = label_text(str(args.get("sector") or ""))
        if sector and not any(self.graph.objects(fact, AERO.sector)):  # sh:maxCount 1
            self.add(fact, AERO.sector, Literal(sector))
        self.provenance(fact, relation)
        return True


def article_graph(document: Document, index: EntityIndex) -> tuple[Graph, dict[str, int]]:
    """One article's named graph, on its own (identifier: ``vocab.graph_iri`` of the
    article), and the counts for the run report.

    The graph sits on rdflib's context-free ``SimpleMemory`` store, which adds a triple in
    half the time of a ``Dataset``'s context-aware one (about 2.5 ms less per article): one
    article's graph needs no contexts. ``article_graphs.nquads_bytes`` writes it as N-Quads.
    """
    graph = Graph(store=SimpleMemory(), identifier=graph_iri(document.article.id))
    return graph, _add_article(graph, document, index)


def add_article(dataset: Dataset, document: Document, index: EntityIndex) -> dict[str, int]:
    """Write one article's named graph into ``dataset``; returns counts for the run report."""
    return _add_article(dataset.graph(graph_iri(document.article.id)), document, index)


def _add_article(graph: Graph, document: Document, index: EntityIndex) -> dict[str, int]:
    builder = ArticleGraphBuilder(graph, document, index)
    builder.add_article()
    added = dropped = 0
    for relation in document.relations:
        if builder.add_relation(relation):
            added += 1
        else:
            dropped += 1
    for entity in index.entities:
        if entity.coarse == EVENT and entity.key not in builder.used_entities:
            continue  # an event noun with no reported event fact is not an event
        builder.add_entity(entity)
    return {"entities": len(builder.used_entities | {e.key for e in index.entities
                                                     if e.coarse != EVENT}),
            "relations": added, "relations_dropped": dropped,
            "triples": len(builder.graph)}


def run_triples(run: RunInfo) -> Iterator[tuple[URIRef, URIRef, Node]]:
    """The run as a prov:Activity and what each article graph came from: four triples per
    article (``article_graphs.triples_nquads`` writes them without an rdflib graph)."""
    software = URIRef(f"{SOFTWARE_BASE}aerokg/{iri_segment(run.aerokg_version)}")
    activity = run.iri
    yield activity, _TYPE, PROV.Activity
    yield activity, PROV.wasAssociatedWith, software
    yield activity, AERO.modelName, name_literal(run.model_name)
    yield activity, AERO.modelVersion, name_literal(run.model_version)
    yield software, _TYPE, PROV.SoftwareAgent
    yield software, RDFS.label, Literal("aerokg")
    yield software, SDO.softwareVersion, Literal(run.aerokg_version)
    used, entity = PROV.used, PROV.Entity
    generated, derived = PROV.wasGeneratedBy, PROV.wasDerivedFrom
    for article_id in run.article_ids:
        article, graph = article_iri(article_id), graph_iri(article_id)
        yield activity, used, article
        yield graph, _TYPE, entity
        yield graph, generated, activity
        yield graph, derived, article


def add_run(dataset: Dataset, run: RunInfo) -> None:
    """The default graph: :func:`run_triples`."""
    g = dataset.default_graph
    for triple in run_triples(run):
        g.add(triple)


def new_dataset() -> Dataset:
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    return dataset
