"""Export stage, property graph: the RDF knowledge graph as a :class:`networkx.MultiDiGraph` of
entities and the relations between them, for Gephi, Cytoscape and yEd (``graphml.py``,
``gexf.py``, ``cytoscape.py`` write it).

Nodes are the entities: every IRI typed, in any graph, with a class that is
``rdfs:subClassOf*`` one of ``schema:Person``, ``org:Organization``, ``schema:Place`` or
``schema:Event`` in ``ontologies/aerokg.ttl``. Quotations (``schema:Quotation``) are nodes too,
of type ``Quotation``, so that a quote can hang off its speaker. Nodes are keyed by IRI.

Edges are the relations, one per fact and article (the same relation stated in two articles
is two edges, each with its own evidence):

============================  ==========================  ======================================
edge ``type``                 from -> to                  from the RDF
============================  ==========================  ======================================
``role``                      person -> organisation      ``org:Membership`` (member, role, org)
                              or place
``memberOf``                  member -> organisation      ``org:memberOf``
``location``                  org/event/facility -> place ``schema:location``
``containedInPlace``          place -> place              ``schema:containedInPlace``
``partnerOf``                 party -> party              ``aero:partnerOf`` (direction as stated)
``organizer`` ``sponsor``     event -> party              ``schema:organizer``, ``schema:sponsor``
``participant`` ``visitor``   event -> party              ``aero:participant``, ``aero:visitor``,
``host`` ``speaker``                                      ``aero:host``, ``aero:speaker``
``trade_flow``                exporter -> importer        ``aero:TradeFlow``
``quote``                     speaker -> quotation node   ``schema:Quotation``
============================  ==========================  ======================================

A membership with no ``org:organization`` gives no edge; its role noun is kept in the person's
``roles`` node attribute, which lists every role the person holds. A trade flow without both an
exporter and an importer entity gives no edge. A binary relation whose ends are not both nodes
(e.g. ``schema:location`` to something untyped) gives no edge.

Attributes are typed for the file formats: every node has exactly the attributes of
:data:`NODE_ATTRIBUTES` and every edge those of :data:`EDGE_ATTRIBUTES`, each with the type
given there, never ``None``: a missing string is ``""``, a missing number ``0.0`` (so a
confidence of ``0.0`` means "not stated"). Several values are joined with ``"; "`` (evidence
sentences, which contain semicolons themselves, with ``" | "``). Nodes are added in IRI order,
edges in the order of their attributes, and an edge's key is its type and a hash of its
attributes (``role-1f3a...``), so the same dataset gives the same graph, and the same files.

Safe for the XML formats whatever the RDF holds: every string attribute and node id is made of
XML 1.0 characters only (``vocab.xml_text``; :func:`xml_safe_graph` does the same for any
graph, and the writers call it), and display labels (a node's and an edge's ``label``) are cut
to LABEL_MAX_CHARS characters with "…": a 10,000-character name stays whole in the RDF, and in
``alt_labels`` / ``role`` / ``text``, but not on a node in Gephi.

>>> from rdflib import Dataset, Literal
>>> from pipeline.mapping.vocab import RDF, SCHEMA, SKOS, entity_iri, graph_iri
>>> ds = Dataset()
>>> g = ds.graph(graph_iri("a1"))
>>> milano = entity_iri("place/milano")
>>> _ = g.add((milano, RDF.type, SCHEMA.Place)).add((milano, SKOS.prefLabel, Literal("Milano")))
>>> G = to_property_graph(ds)
>>> G.nodes[str(milano)]["label"], G.nodes[str(milano)]["type"], G.nodes[str(milano)]["articles"]
('Milano', 'Place', 'a1')
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import unquote

import networkx as nx
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from pipeline.mapping.vocab import (
    AERO,
    DCTERMS,
    GRAPH_BASE,
    OA,
    ONTOLOGY_PATH,
    ORG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    xml_text,
)

__all__ = [
    "NODE_ATTRIBUTES",
    "EDGE_ATTRIBUTES",
    "TOP_TYPES",
    "EVIDENCE_MAX_CHARS",
    "LABEL_MAX_CHARS",
    "to_property_graph",
    "xml_safe_graph",
]

#: Node attributes, in the order they are written, with their type.
NODE_ATTRIBUTES: dict[str, type] = {
    "label": str,  # skos:prefLabel (the fullest name), shortened to LABEL_MAX_CHARS; a
    #                quotation: its text, shortened to QUOTE_LABEL_MAX_CHARS
    "type": str,  # Person | Organization | Place | Event | Quotation
    "class": str,  # the finest ontology class, local name: Cluster, City, Seminar, Person, ...
    "iri": str,  # the node's IRI (also its key)
    "also_type": str,  # other top types of the node, "; "-joined (a place acting as an org)
    "articles": str,  # ids of the articles that mention it, "; "-joined
    "alt_labels": str,  # other names (skos:altLabel, other prefLabels), "; "-joined; the
    #                     full prefLabel too when ``label`` had to be shortened
    "roles": str,  # a person: the role nouns held ("presidente"), "; "-joined
    "date": str,  # an event: schema:startDate, ISO 8601 as stated ("2017-11")
    "text": str,  # a quotation: the quoted text
    "confidence": float,  # an event or a quotation: aero:confidence; 0.0 otherwise
}

#: Edge attributes, in the order they are written, with their type.
EDGE_ATTRIBUTES: dict[str, type] = {
    "type": str,  # role | memberOf | location | ... (see the module docstring)
    "label": str,  # human readable, Italian: the role noun, "membro di", "organizzatore", ...
    #                shortened to LABEL_MAX_CHARS
    "article": str,  # id of the article stating it
    "evidence": str,  # the sentence(s) stating it, at most EVIDENCE_MAX_CHARS characters
    "confidence": float,  # aero:confidence of the fact node or rdf:Statement; 0.0 if none
    "fact": str,  # IRI of the fact node / rdf:Statement ("; "-joined if several; "" if none)
    "role": str,  # role: the role noun
    "value": float,  # trade_flow: schema:value in units (0.0 if unknown)
    "currency": str,  # trade_flow: ISO 4217 code
    "year": str,  # trade_flow: aero:year ("2016")
    "sector": str,  # trade_flow: aero:sector ("aerospaziale")
}

#: The four top types of the ``entities`` question, in order of precedence.
TOP_TYPES: dict[URIRef, str] = {
    SCHEMA.Person: "Person",
    ORG.Organization: "Organization",
    SCHEMA.Place: "Place",
    SCHEMA.Event: "Event",
}

EVIDENCE_MAX_CHARS = 300
QUOTE_LABEL_MAX_CHARS = 80
LABEL_MAX_CHARS = 200

# Binary relations: property -> (edge type, edge label).
_BINARY: dict[URIRef, tuple[str, str]] = {
    ORG.memberOf: ("memberOf", "membro di"),
    SCHEMA.location: ("location", "si trova a"),
    SCHEMA.containedInPlace: ("containedInPlace", "si trova in"),
    AERO.partnerOf: ("partnerOf", "partner di"),
    SCHEMA.organizer: ("organizer", "organizzatore"),
    SCHEMA.sponsor: ("sponsor", "sponsor"),
    AERO.participant: ("participant", "partecipante"),
    AERO.visitor: ("visitor", "visitatore"),
    AERO.host: ("host", "ospitante"),
    AERO.speaker: ("speaker", "relatore"),
}


@dataclass(frozen=True)
class _ClassTree:
    """For each ontology class, the top types it reaches and how deep below each it sits
    (the longest ``rdfs:subClassOf`` chain: ``aero:Cluster`` is 2 below ``org:Organization``)."""

    depths: dict[URIRef, dict[URIRef, int]]
    role_labels: dict[URIRef, str]  # role concepts of the ontology -> skos:prefLabel@it


def to_property_graph(dataset: Dataset, ontology: Graph | None = None) -> nx.MultiDiGraph:
    """The property graph of ``dataset`` (all its graphs, default and named).

    ``ontology`` gives the class tree; by default ``vocab.ONTOLOGY_PATH``, read once.
    """
    tree = _class_tree() if ontology is None else _build_class_tree(ontology)
    graphs = sorted(dataset.graphs(), key=lambda graph: graph.identifier.n3())
    articles = {graph.identifier: _article_id(graph) for graph in graphs}

    nodes = _entity_nodes(dataset, graphs, articles, tree)
    nodes.update(_quotation_nodes(dataset, graphs, articles))
    role_labels = _role_labels(graphs, tree)

    edges: set[tuple[str, str, tuple[object, ...]]] = set()
    roles_held: dict[str, set[str]] = defaultdict(set)
    for graph in graphs:
        article = articles[graph.identifier]
        for u, v, attrs in _graph_edges(graph, article, nodes, role_labels, roles_held):
            edges.add((u, v, tuple(attrs[name] for name in EDGE_ATTRIBUTES)))
    for person, roles in roles_held.items():
        nodes[person]["roles"] = "; ".join(sorted(roles))

    G = nx.MultiDiGraph()
    for key in sorted(nodes):
        G.add_node(xml_text(key), **_xml_attrs(nodes[key]))
    for u, v, values in sorted(edges, key=_edge_sort_key):
        attrs = dict(zip(EDGE_ATTRIBUTES, values, strict=True))
        G.add_edge(xml_text(u), xml_text(v), key=_edge_key(u, v, values), **_xml_attrs(attrs))
    return G


def xml_safe_graph(G: nx.Graph) -> nx.Graph:
    """``G`` itself if every string in it (node ids, edge keys, attribute names and values) is
    made of XML 1.0 characters; else a copy with the others removed (``vocab.xml_text``), so
    that GraphML and GEXF writers write files XML parsers read (and JSON writers files that
    encode as UTF-8: lone surrogates go too)."""
    if _is_xml_safe(G):
        return G
    H = G.__class__()
    H.graph.update(_xml_attrs(G.graph))
    for node, data in G.nodes(data=True):
        H.add_node(_xml_value(node), **_xml_attrs(data))
    if G.is_multigraph():
        for u, v, key, data in G.edges(keys=True, data=True):
            H.add_edge(_xml_value(u), _xml_value(v), key=_xml_value(key), **_xml_attrs(data))
    else:
        for u, v, data in G.edges(data=True):
            H.add_edge(_xml_value(u), _xml_value(v), **_xml_attrs(data))
    return H


def _xml_value(value: object) -> object:
    return xml_text(value) if isinstance(value, str) else value


def _xml_attrs(attrs: dict) -> dict:
    return {_xml_value(name): _xml_value(value) for name, value in attrs.items()}


def _is_xml_safe(G: nx.Graph) -> bool:
    def strings() -> Iterable[object]:
        yield from G.graph.items()
        for node, data in G.nodes(data=True):
            yield node
            yield from data.items()
        edges = G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True)
        for edge in edges:
            yield from edge[:-1]
            yield from edge[-1].items()

    for item in strings():
        for value in item if isinstance(item, tuple) else (item,):
            if isinstance(value, str) and xml_text(value) != value:
                return False
    return True


# ---------------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------------


def _entity_nodes(
    dataset: Dataset, graphs: list[Graph], articles: dict[Node, str], tree: _ClassTree
) -> dict[str, dict[str, object]]:
    types: dict[URIRef, set[URIRef]] = defaultdict(set)
    seen_in: dict[URIRef, set[str]] = defaultdict(set)
    for graph in graphs:
        for subject, cls in graph.subject_objects(RDF.type):
            if isinstance(subject, URIRef) and isinstance(cls, URIRef) and cls in tree.depths:
                types[subject].add(cls)
                seen_in[subject].add(articles[graph.identifier])

    nodes: dict[str, dict[str, object]] = {}
    for subject, classes in types.items():
        top, finest, others = _classify(classes, tree)
        labels = _labels(dataset, subject)
        label = labels[0] if labels else _iri_tail(subject)
        shown = _shorten(label, LABEL_MAX_CHARS)
        alt = (set(labels) | _literals(dataset, subject, SKOS.altLabel)) - {shown}
        attrs = _empty_node()
        attrs.update(
            label=shown,
            type=TOP_TYPES[top],
            iri=str(subject),
            also_type="; ".join(TOP_TYPES[other] for other in others),
            articles=_join(seen_in[subject]),
            alt_labels=_join(alt),
        )
        attrs["class"] = _local_name(finest)
        if top == SCHEMA.Event:
            attrs["date"] = _join(_literals(dataset, subject, SCHEMA.startDate))
            attrs["confidence"] = _confidence(dataset, [subject])
        nodes[str(subject)] = attrs
    return nodes


def _quotation_nodes(
    dataset: Dataset, graphs: list[Graph], articles: dict[Node, str]
) -> dict[str, dict[str, object]]:
    seen_in: dict[URIRef, set[str]] = defaultdict(set)
    for graph in graphs:
        for quotation in graph.subjects(RDF.type, SCHEMA.Quotation):
            if isinstance(quotation, URIRef):
                seen_in[quotation].add(articles[graph.identifier])
    nodes: dict[str, dict[str, object]] = {}
    for quotation, in_articles in seen_in.items():
        text = " | ".join(sorted(_literals(dataset, quotation, SCHEMA.text)))
        attrs = _empty_node()
        attrs.update(
            label=f"«{_shorten(text, QUOTE_LABEL_MAX_CHARS - 2)}»",
            type="Quotation",
            iri=str(quotation),
            articles=_join(in_articles),
            text=text,
            confidence=_confidence(dataset, [quotation]),
        )
        attrs["class"] = "Quotation"
        nodes[str(quotation)] = attrs
    return nodes


def _classify(classes: set[URIRef], tree: _ClassTree) -> tuple[URIRef, URIRef, list[URIRef]]:
    """(top type, finest class, other top types) of an entity with these ``rdf:type``s.

    The finest class under a top type is the deepest one (ties: by IRI). The top type is the
    one with the deepest finest class (ties: Person, Organization, Place, Event), so that
    ``schema:Place, aero:Region, org:Organization`` is a Region that also acts as an
    Organization.
    """
    candidates: dict[URIRef, list[tuple[int, str, URIRef]]] = defaultdict(list)
    for cls in classes:
        for top, depth in tree.depths[cls].items():
            candidates[top].append((-depth, str(cls), cls))
    finest = {top: min(found) for top, found in candidates.items()}
    order = list(TOP_TYPES)
    top = min(finest, key=lambda t: (finest[t][0], order.index(t)))
    others = [t for t in order if t in finest and t != top]
    return top, finest[top][2], others


def _labels(dataset: Dataset, subject: URIRef) -> list[str]:
    """skos:prefLabel values, fullest first (longest, then alphabetical); rdfs:label if none."""
    labels = _literals(dataset, subject, SKOS.prefLabel) or _literals(dataset, subject, RDFS.label)
    return sorted(labels, key=lambda label: (-len(label), label))


def _empty_node() -> dict[str, object]:
    return {name: kind() for name, kind in NODE_ATTRIBUTES.items()}


# ---------------------------------------------------------------------------------------------
# Edges
# ---------------------------------------------------------------------------------------------


def _graph_edges(
    graph: Graph,
    article: str,
    nodes: dict[str, dict[str, object]],
    role_labels: dict[URIRef, str],
    roles_held: dict[str, set[str]],
) -> Iterable[tuple[str, str, dict[str, object]]]:
    """The edges stated in one graph; fills ``roles_held`` (person -> role nouns) on the way."""
    statements: dict[tuple[Node, Node, Node], list[Node]] = defaultdict(list)
    for statement in graph.subjects(RDF.type, RDF.Statement):
        for s in graph.objects(statement, RDF.subject):
            for p in graph.objects(statement, RDF.predicate):
                for o in graph.objects(statement, RDF.object):
                    statements[(s, p, o)].append(statement)

    for predicate, (kind, label) in _BINARY.items():
        for s, o in graph.subject_objects(predicate):
            if str(s) in nodes and str(o) in nodes:
                facts = statements.get((s, predicate, o), [])
                yield str(s), str(o), _edge(graph, article, kind, label, facts)

    for membership in graph.subjects(RDF.type, ORG.Membership):
        members = _node_objects(graph, membership, ORG.member, nodes)
        organizations = _node_objects(graph, membership, ORG.organization, nodes)
        nouns = sorted(
            {_role_noun(role, role_labels) for role in graph.objects(membership, ORG.role)}
        )
        for member in members:
            roles_held[member].update(nouns)
            for organization in organizations:
                for noun in nouns or [""]:
                    attrs = _edge(graph, article, "role", noun or "membro", [membership])
                    attrs["role"] = noun
                    yield member, organization, attrs

    for flow in graph.subjects(RDF.type, AERO.TradeFlow):
        exporters = _node_objects(graph, flow, AERO.exporter, nodes)
        importers = _node_objects(graph, flow, AERO.importer, nodes)
        if not (exporters and importers):
            continue
        value, currency = _amount(graph, flow)
        year = _join(str(y) for y in graph.objects(flow, AERO.year))
        sector = _join(str(s) for s in graph.objects(flow, AERO.sector))
        details = ", ".join(
            part for part in (f"{_plain(value)} {currency}".strip(), year, sector) if part
        )
        label = f"flusso commerciale: {details}" if details else "flusso commerciale"
        for exporter in exporters:
            for importer in importers:
                attrs = _edge(graph, article, "trade_flow", label, [flow])
                attrs.update(
                    value=float(value) if value is not None else 0.0,
                    currency=currency,
                    year=year,
                    sector=sector,
                )
                yield exporter, importer, attrs

    for quotation in graph.subjects(RDF.type, SCHEMA.Quotation):
        if str(quotation) in nodes:
            for speaker in _node_objects(graph, quotation, SCHEMA.spokenByCharacter, nodes):
                yield (
                    speaker,
                    str(quotation),
                    _edge(graph, article, "quote", "dichiara", [quotation]),
                )


def _edge(
    graph: Graph, article: str, kind: str, label: str, facts: list[Node]
) -> dict[str, object]:
    attrs: dict[str, object] = {name: value() for name, value in EDGE_ATTRIBUTES.items()}
    attrs.update(
        type=kind,
        label=_shorten(label, LABEL_MAX_CHARS),
        article=article,
        evidence=_evidence(graph, facts),
        confidence=_confidence(graph, facts),
        fact=_join(str(fact) for fact in facts),
    )
    return attrs


def _node_objects(
    graph: Graph, subject: Node, predicate: URIRef, nodes: dict[str, dict[str, object]]
) -> list[str]:
    return sorted({str(o) for o in graph.objects(subject, predicate) if str(o) in nodes})


def _amount(graph: Graph, flow: Node) -> tuple[Decimal | None, str]:
    values: list[Decimal] = []
    currencies: set[str] = set()
    for amount in graph.objects(flow, AERO.tradeValue):
        for literal in graph.objects(amount, SCHEMA.value):
            number = _decimal(literal)
            if number is not None:
                values.append(number)
        currencies.update(str(c) for c in graph.objects(amount, SCHEMA.currency))
    return (min(values) if values else None), _join(currencies)


def _evidence(graph: Graph, facts: list[Node]) -> str:
    """The evidence sentences (``oa:exact``) of ``facts``: in text order, " | "-joined,
    shortened to EVIDENCE_MAX_CHARS."""
    spans: set[tuple[int, str, str]] = set()
    for fact in facts:
        for evidence in graph.objects(fact, PROV.wasDerivedFrom):
            start, texts = -1, []
            for selector in graph.objects(evidence, OA.hasSelector):
                for offset in graph.objects(selector, OA.start):
                    number = _decimal(offset)
                    start = int(number) if number is not None else start
                texts.extend(str(text) for text in graph.objects(selector, OA.exact))
            spans.update((start, str(evidence), text) for text in texts)
    sentences: list[str] = []
    for _, _, text in sorted(spans):
        if text not in sentences:
            sentences.append(text)
    return _shorten(" | ".join(sentences), EVIDENCE_MAX_CHARS)


def _confidence(source: Graph, facts: list[Node]) -> float:
    """The highest aero:confidence of ``facts`` in ``source``; 0.0 if none is stated."""
    values = [
        number
        for fact in facts
        for literal in _objects(source, fact, AERO.confidence)
        if (number := _decimal(literal)) is not None
    ]
    return float(max(values)) if values else 0.0


def _role_labels(graphs: list[Graph], tree: _ClassTree) -> dict[URIRef, str]:
    """Role concept -> Italian noun: the dataset's skos:prefLabel@it, else the ontology's."""
    labels = dict(tree.role_labels)
    for graph in graphs:
        for concept, label in graph.subject_objects(SKOS.prefLabel):
            if (
                isinstance(label, Literal)
                and label.language == "it"
                and isinstance(concept, URIRef)
            ):
                labels[concept] = min(str(label), labels.get(concept, str(label)))
    return labels


def _role_noun(role: Node, role_labels: dict[URIRef, str]) -> str:
    if isinstance(role, URIRef) and role in role_labels:
        return role_labels[role]
    return _iri_tail(role).replace("-", " ")


def _edge_sort_key(edge: tuple[str, str, tuple[object, ...]]) -> tuple[str, ...]:
    u, v, values = edge
    return (u, v, *(repr(value) for value in values))


def _edge_key(u: str, v: str, values: tuple[object, ...]) -> str:
    joined = "\x1f".join([u, v, *map(repr, values)])
    digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{values[0]}-{digest[:12]}"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _class_tree() -> _ClassTree:
    return _build_class_tree(Graph().parse(ONTOLOGY_PATH, format="turtle"))


def _build_class_tree(ontology: Graph) -> _ClassTree:
    parents: dict[URIRef, set[URIRef]] = defaultdict(set)
    for cls, parent in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(cls, URIRef) and isinstance(parent, URIRef):
            parents[cls].add(parent)

    memo: dict[tuple[URIRef, URIRef], int | None] = {}

    def depth(cls: URIRef, top: URIRef) -> int | None:
        if cls == top:
            return 0
        if (cls, top) not in memo:
            memo[(cls, top)] = None  # guards against subClassOf cycles
            below = [d for parent in parents.get(cls, ()) if (d := depth(parent, top)) is not None]
            memo[(cls, top)] = 1 + max(below) if below else None
        return memo[(cls, top)]

    depths: dict[URIRef, dict[URIRef, int]] = {}
    for cls in set(parents) | set(TOP_TYPES):
        reached = {top: d for top in TOP_TYPES if (d := depth(cls, top)) is not None}
        if reached:
            depths[cls] = reached

    role_labels: dict[URIRef, str] = {}
    for concept, label in ontology.subject_objects(SKOS.prefLabel):
        if isinstance(label, Literal) and label.language == "it" and isinstance(concept, URIRef):
            role_labels[concept] = str(label)
    return _ClassTree(depths=depths, role_labels=role_labels)


def _article_id(graph: Graph) -> str:
    """The article a graph is about: its NewsArticle's dcterms:identifier, else the tail of an
    aerokg graph IRI, else "" (the default graph)."""
    ids = sorted(
        str(identifier)
        for article in graph.subjects(RDF.type, SCHEMA.NewsArticle)
        for identifier in graph.objects(article, DCTERMS.identifier)
    )
    if ids:
        return ids[0]
    name = str(graph.identifier)
    return unquote(name[len(GRAPH_BASE) :]) if name.startswith(GRAPH_BASE) else ""


def _objects(source: Graph, subject: Node, predicate: URIRef) -> Iterable[Node]:
    """Objects of (subject, predicate) in a graph, or in every graph of a Dataset."""
    if isinstance(source, Dataset):
        return (quad[2] for quad in source.quads((subject, predicate, None, None)))
    return source.objects(subject, predicate)


def _literals(source: Graph, subject: Node, predicate: URIRef) -> set[str]:
    """The literal values, as XML-safe strings (``vocab.xml_text``)."""
    return {
        xml_text(str(o)) for o in _objects(source, subject, predicate) if isinstance(o, Literal)
    }


def _decimal(literal: Node) -> Decimal | None:
    try:
        return Decimal(str(literal))
    except InvalidOperation:
        return None


def _plain(number: Decimal | None) -> str:
    """9000000 for Decimal("9000000") or Decimal("9E+6"); "" for None."""
    return "" if number is None else format(number.normalize(), "f")


def _join(values: Iterable[str]) -> str:
    """Distinct non-empty values, sorted, "; "-joined."""
    return "; ".join(sorted({value for value in values if value}))


def _shorten(text: str, limit: int) -> str:
    """``text`` (XML-safe) in at most ``limit`` characters, "…" at the end when cut."""
    text = xml_text(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _local_name(iri: Node) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1] if "#" in text else text.rstrip("/").rsplit("/", 1)[-1]


def _iri_tail(iri: Node) -> str:
    return unquote(_local_name(iri))
