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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.term import Node

if TYPE_CHECKING:  # networkx is imported where a graph is made: a worker makes only fragments
    import networkx as nx

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
    "xml_safe_checked",
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

    ``ontology`` gives the class tree; by default ``vocab.ONTOLOGY_PATH``, read once. The same
    as ``merge_fragments([graph_fragment(g) for g in dataset.graphs()])``: a corpus-sized graph
    is built from per-article fragments without holding its RDF in memory.
    """
    tree = _class_tree() if ontology is None else _build_class_tree(ontology)
    return merge_fragments((graph_fragment(graph, tree) for graph in dataset.graphs()), tree)


#: Bumped whenever what a fragment holds changes (stored fragments of another version are
#: computed again from their N-Quads).
FRAGMENT_VERSION = 2

_LITERAL_KEYS: dict[URIRef, str] = {
    SKOS.prefLabel: "pref",
    RDFS.label: "label",
    SKOS.altLabel: "alt",
    SCHEMA.startDate: "date",
    AERO.confidence: "confidence",
    SCHEMA.text: "text",
}


def graph_fragment(graph: Graph, tree: _ClassTree | None = None) -> dict[str, Any]:
    """What one RDF graph (an article's named graph) contributes to the property graph, as
    plain JSON-ready data: its typed entities and quotations, the literals that label them,
    role labels, and its candidate edges with every attribute already computed from this
    graph (evidence, confidence...). Whether an edge's ends are nodes, and a node's final
    attributes, depend on every graph: :func:`merge_fragments` decides them.

    >>> from rdflib import Graph, Literal
    >>> from pipeline.mapping.vocab import SCHEMA, SKOS, entity_iri
    >>> g = Graph()
    >>> milano = entity_iri("place/milano")
    >>> _ = g.add((milano, RDF.type, SCHEMA.Place)).add((milano, SKOS.prefLabel, Literal("Milano")))
    >>> fragment = graph_fragment(g)
    >>> fragment["types"][str(milano)], fragment["literals"][str(milano)]["pref"]
    (['https://schema.org/Place'], ['Milano'])
    """
    tree = tree or _class_tree()
    article = _article_id(graph)
    types: dict[str, set[str]] = defaultdict(set)
    for subject, cls in graph.subject_objects(RDF.type):
        if isinstance(subject, URIRef) and isinstance(cls, URIRef) and cls in tree.depths:
            types[str(subject)].add(str(cls))
    quotations = sorted({str(q) for q in graph.subjects(RDF.type, SCHEMA.Quotation)
                         if isinstance(q, URIRef)})
    literals: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for predicate, key in _LITERAL_KEYS.items():
        for subject, value in graph.subject_objects(predicate):
            if isinstance(subject, URIRef) and isinstance(value, Literal):
                literals[str(subject)][key].add(xml_text(str(value)))
    role_labels: dict[str, str] = {}
    for concept, label in graph.subject_objects(SKOS.prefLabel):
        if isinstance(label, Literal) and label.language == "it" and isinstance(concept, URIRef):
            role_labels[str(concept)] = min(str(label), role_labels.get(str(concept), str(label)))
    source: dict[str, str] = {}
    for news in graph.subjects(RDF.type, SCHEMA.NewsArticle):
        for key, predicate in (("url", SCHEMA.url), ("title", SCHEMA.headline)):
            found = sorted(str(value) for value in graph.objects(news, predicate))
            if found:
                source.setdefault(key, found[0])
    return {
        "version": FRAGMENT_VERSION,
        "article": article,
        "source": source,  # the article's schema:url and schema:headline, for graph.html
        "types": {k: sorted(v) for k, v in sorted(types.items())},
        "quotations": quotations,
        "literals": {k: {key: sorted(values) for key, values in sorted(v.items())}
                     for k, v in sorted(literals.items())},
        "role_labels": dict(sorted(role_labels.items())),
        "edges": list(_candidate_edges(graph, article)),
    }


def merge_fragments(
    fragments: Iterable[dict[str, Any]], tree: _ClassTree | None = None
) -> nx.MultiDiGraph:
    """The property graph of the graphs these fragments (:func:`graph_fragment`) come from.

    Fragments are read once, in any order; memory holds the nodes and edges being built, not
    the RDF."""
    merger = FragmentMerger(tree)
    for fragment in fragments:
        merger.add(fragment)
    return merger.graph()


@lru_cache(maxsize=1024)
def _class_ref(iri: str) -> URIRef:
    """The URIRef of a class IRI, made once: fragments name a few dozen classes, tens of
    thousands of times over a corpus (a new URIRef checks its IRI each time)."""
    return URIRef(iri)


class FragmentMerger:
    """:func:`merge_fragments` in two steps: ``add`` fragments as they come (in any order),
    then ``graph()``. A re-run adds the unchanged articles' fragments while it waits for its
    worker, and the changed ones after."""

    def __init__(self, tree: _ClassTree | None = None) -> None:
        self.tree = tree or _class_tree()
        self.types: dict[str, set[URIRef]] = defaultdict(set)
        self.seen_in: dict[str, set[str]] = defaultdict(set)
        self.quoted_in: dict[str, set[str]] = defaultdict(set)
        self.literals: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.dataset_role_labels: dict[str, str] = {}
        self.candidates: list[dict[str, Any]] = []

    def add(self, fragment: dict[str, Any]) -> None:
        article = fragment["article"]
        for subject, classes in fragment["types"].items():
            self.types[subject].update(map(_class_ref, classes))
            self.seen_in[subject].add(article)
        for quotation in fragment["quotations"]:
            self.quoted_in[quotation].add(article)
        for subject, values in fragment["literals"].items():
            for key, texts in values.items():
                self.literals[subject][key].update(texts)
        for concept, label in fragment["role_labels"].items():
            known = self.dataset_role_labels.get(concept, label)
            self.dataset_role_labels[concept] = min(label, known)
        self.candidates.extend(fragment["edges"])

    def graph(self) -> nx.MultiDiGraph:
        """The property graph of the fragments added so far."""
        tree, types, seen_in, quoted_in = self.tree, self.types, self.seen_in, self.quoted_in
        literals, candidates = self.literals, self.candidates
        role_labels = {str(k): v for k, v in tree.role_labels.items()}
        role_labels.update(self.dataset_role_labels)

        nodes: dict[str, dict[str, object]] = {}
        for subject, classes in types.items():
            top, finest, others = _classify(classes, tree)
            known = literals.get(subject, {})
            labels = sorted(known.get("pref") or known.get("label") or (),
                            key=lambda label: (-len(label), label))
            label = labels[0] if labels else _iri_tail(URIRef(subject))
            shown = _shorten(label, LABEL_MAX_CHARS)
            alt = (set(labels) | set(known.get("alt", ()))) - {shown}
            attrs = _empty_node()
            attrs.update(
                label=shown,
                type=TOP_TYPES[top],
                iri=subject,
                also_type="; ".join(TOP_TYPES[other] for other in others),
                articles=_join(seen_in[subject]),
                alt_labels=_join(alt),
            )
            attrs["class"] = _local_name(finest)
            if top == SCHEMA.Event:
                attrs["date"] = _join(known.get("date", ()))
                attrs["confidence"] = _max_decimal(known.get("confidence", ()))
            nodes[subject] = attrs
        for quotation, in_articles in quoted_in.items():
            known = literals.get(quotation, {})
            text = " | ".join(sorted(known.get("text", ())))
            attrs = _empty_node()
            attrs.update(
                label=f"«{_shorten(text, QUOTE_LABEL_MAX_CHARS - 2)}»",
                type="Quotation",
                iri=quotation,
                articles=_join(in_articles),
                text=text,
                confidence=_max_decimal(known.get("confidence", ())),
            )
            attrs["class"] = "Quotation"
            nodes[quotation] = attrs

        edges: set[tuple[str, str, tuple[object, ...]]] = set()
        roles_held: dict[str, set[str]] = defaultdict(set)
        for candidate in candidates:
            for u, v, attrs in _resolve_edge(candidate, nodes, role_labels, roles_held):
                edges.add((u, v, tuple(attrs[name] for name in EDGE_ATTRIBUTES)))
        for person, roles in roles_held.items():
            nodes[person]["roles"] = "; ".join(sorted(roles))

        import networkx as nx

        G = nx.MultiDiGraph()
        safe_ids = {key: xml_text(key) for key in nodes}
        for key in sorted(nodes):
            G.add_node(safe_ids[key], **_xml_attrs(nodes[key]))
        # each value's repr once, for the edge's sort key and for its key (_edge_key)
        ordered = sorted((u, v, *map(repr, values), values) for u, v, values in edges)
        names = tuple(EDGE_ATTRIBUTES)
        for u, v, *reprs, values in ordered:
            attrs = dict(zip(names, values, strict=True))
            G.add_edge(safe_ids[u], safe_ids[v], key=xml_text(_edge_key(u, v, reprs, values)),
                       **_xml_attrs(attrs))
        return G  # every string went through xml_text: xml_safe_checked(G, made_safe=True)


def xml_safe_graph(G: nx.Graph) -> nx.Graph:
    """``G`` itself if every string in it (node ids, edge keys, attribute names and values) is
    made of XML 1.0 characters; else a copy with the others removed (``vocab.xml_text``), so
    that GraphML and GEXF writers write files XML parsers read (and JSON writers files that
    encode as UTF-8: lone surrogates go too). Inside :func:`xml_safe_checked`, its graph is
    returned as it is, without a second look."""
    if id(G) in _CHECKED or _is_xml_safe(G):
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


_CHECKED: set[int] = set()  # ids of the graphs of the xml_safe_checked blocks being run


@contextmanager
def xml_safe_checked(G: nx.Graph, made_safe: bool = False) -> Iterator[nx.Graph]:
    r""":func:`xml_safe_graph` of ``G``, checked once for the writers called in the block
    (each would check it again: a tenth of a second a writer on a 1,000-article graph). The
    block must not change the graph. ``made_safe``: ``G`` is, untouched, what
    :meth:`FragmentMerger.graph` made (every string in it went through ``xml_text``), so it
    is not checked at all.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", label="x\x00y")
    >>> with xml_safe_checked(G) as H:
    ...     xml_safe_graph(H) is H, H.nodes["a"]["label"]
    (True, 'xy')
    """
    H = G if made_safe else xml_safe_graph(G)
    added = id(H) not in _CHECKED
    _CHECKED.add(id(H))
    try:
        yield H
    finally:
        if added:
            _CHECKED.discard(id(H))


def _xml_value(value: object) -> object:
    return xml_text(value) if isinstance(value, str) else value


def _xml_attrs(attrs: dict) -> dict:
    """``attrs`` with XML 1.0 characters only: ``attrs`` itself when it has no others (the
    callers unpack it into a new dict), else a cleaned copy."""
    joined = "".join([name for name in attrs if isinstance(name, str)]
                     + [value for value in attrs.values() if isinstance(value, str)])
    if xml_text(joined) == joined:  # the common case: one regex scan instead of one a value
        return attrs
    return {_xml_value(name): _xml_value(value) for name, value in attrs.items()}


def _is_xml_safe(G: nx.Graph) -> bool:
    # one scan of all the strings joined (a regex call per string took a third of a second
    # on a 1,000-article graph, and each writer checks)
    parts: list[str] = []
    add = parts.append

    def collect(items: Iterable[object]) -> None:
        for item in items:
            if isinstance(item, str):
                add(item)

    collect(G.graph)
    collect(G.graph.values())
    for node, data in G.nodes(data=True):
        collect((node,))
        collect(data)
        collect(data.values())
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True)
    for edge in edges:
        collect(edge[:-1])
        collect(edge[-1])
        collect(edge[-1].values())
    joined = "".join(parts)
    return xml_text(joined) == joined


# ---------------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------------


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


def _empty_node() -> dict[str, object]:
    return {name: kind() for name, kind in NODE_ATTRIBUTES.items()}


# ---------------------------------------------------------------------------------------------
# Edges
# ---------------------------------------------------------------------------------------------


def _candidate_edges(graph: Graph, article: str) -> Iterable[dict[str, Any]]:
    """The edges one graph states, before knowing which IRIs are nodes: each a dict with
    ``kind`` (binary / role / trade_flow / quote), the candidate ends and the attributes."""
    statements: dict[tuple[Node, Node, Node], list[Node]] = defaultdict(list)
    for statement in graph.subjects(RDF.type, RDF.Statement):
        for s in graph.objects(statement, RDF.subject):
            for p in graph.objects(statement, RDF.predicate):
                for o in graph.objects(statement, RDF.object):
                    statements[(s, p, o)].append(statement)

    for predicate, (kind, label) in _BINARY.items():
        for s, o in graph.subject_objects(predicate):
            facts = statements.get((s, predicate, o), [])
            yield {"kind": "binary", "from": [str(s)], "to": [str(o)],
                   "attrs": _edge(graph, article, kind, label, facts)}

    for membership in graph.subjects(RDF.type, ORG.Membership):
        yield {"kind": "role",
               "from": sorted({str(o) for o in graph.objects(membership, ORG.member)}),
               "to": sorted({str(o) for o in graph.objects(membership, ORG.organization)}),
               "roles": sorted({str(r) for r in graph.objects(membership, ORG.role)}),
               "attrs": _edge(graph, article, "role", "", [membership])}

    for flow in graph.subjects(RDF.type, AERO.TradeFlow):
        value, currency = _amount(graph, flow)
        year = _join(str(y) for y in graph.objects(flow, AERO.year))
        sector = _join(str(s) for s in graph.objects(flow, AERO.sector))
        details = ", ".join(
            part for part in (f"{_plain(value)} {currency}".strip(), year, sector) if part
        )
        label = f"flusso commerciale: {details}" if details else "flusso commerciale"
        attrs = _edge(graph, article, "trade_flow", label, [flow])
        attrs.update(value=float(value) if value is not None else 0.0, currency=currency,
                     year=year, sector=sector)
        yield {"kind": "trade_flow",
               "from": sorted({str(o) for o in graph.objects(flow, AERO.exporter)}),
               "to": sorted({str(o) for o in graph.objects(flow, AERO.importer)}),
               "attrs": attrs}

    for quotation in graph.subjects(RDF.type, SCHEMA.Quotation):
        yield {"kind": "quote",
               "from": sorted({str(o) for o in graph.objects(quotation,
                                                              SCHEMA.spokenByCharacter)}),
               "to": [str(quotation)],
               "attrs": _edge(graph, article, "quote", "dichiara", [quotation])}


def _resolve_edge(
    candidate: dict[str, Any],
    nodes: dict[str, dict[str, object]],
    role_labels: dict[str, str],
    roles_held: dict[str, set[str]],
) -> Iterable[tuple[str, str, dict[str, object]]]:
    """The edges of one candidate whose ends are both nodes (a role edge per role noun;
    fills ``roles_held``, person -> role nouns, on the way)."""
    sources = [s for s in candidate["from"] if s in nodes]
    targets = [t for t in candidate["to"] if t in nodes]
    if candidate["kind"] == "role":
        nouns = sorted({_role_noun(role, role_labels) for role in candidate["roles"]})
        for member in sources:
            roles_held[member].update(nouns)
            for organization in targets:
                for noun in nouns or [""]:
                    attrs = dict(candidate["attrs"])
                    attrs.update(label=_shorten(noun or "membro", LABEL_MAX_CHARS), role=noun)
                    yield member, organization, attrs
        return
    for source in sources:
        for target in targets:
            yield source, target, dict(candidate["attrs"])


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


def _role_noun(role: str, role_labels: dict[str, str]) -> str:
    if role in role_labels:
        return role_labels[role]
    return _iri_tail(URIRef(role)).replace("-", " ")


def _edge_key(u: str, v: str, reprs: list[str], values: tuple[object, ...]) -> str:
    """An edge's key: its type and a hash of its ends and values (``reprs``: their reprs), so a
    re-run's file keeps the keys of the edges that did not change."""
    joined = "\x1f".join([u, v, *reprs])
    digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{values[0]}-{digest[:12]}"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _class_tree() -> _ClassTree:
    """The class tree of aerokg's ontology, read with pyoxigraph: every worker reads it at its
    first article, and rdflib's Turtle parser took 70 ms of that (pyoxigraph: 3 ms)."""
    import pyoxigraph as ox

    subclass_of, pref_label = str(RDFS.subClassOf), str(SKOS.prefLabel)
    parents: list[tuple[URIRef, URIRef]] = []
    labels: list[tuple[URIRef, Literal]] = []
    for triple in ox.parse(path=str(ONTOLOGY_PATH), format=ox.RdfFormat.TURTLE):
        subject, predicate, value = triple.subject, triple.predicate.value, triple.object
        if not isinstance(subject, ox.NamedNode):
            continue
        if predicate == subclass_of and isinstance(value, ox.NamedNode):
            parents.append((URIRef(subject.value), URIRef(value.value)))
        elif predicate == pref_label and isinstance(value, ox.Literal):
            labels.append((URIRef(subject.value), Literal(value.value, lang=value.language)))
    return _tree_of(parents, labels)


def _build_class_tree(ontology: Graph) -> _ClassTree:
    return _tree_of(ontology.subject_objects(RDFS.subClassOf),
                    ontology.subject_objects(SKOS.prefLabel))


def _tree_of(subclass_pairs: Iterable[tuple[Node, Node]],
             label_pairs: Iterable[tuple[Node, Node]]) -> _ClassTree:
    """The class tree of an ontology's (class, rdfs:subClassOf) and (concept, skos:prefLabel)
    pairs."""
    parents: dict[URIRef, set[URIRef]] = defaultdict(set)
    for cls, parent in subclass_pairs:
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
    for concept, label in label_pairs:
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


def _max_decimal(values: Iterable[str]) -> float:
    """The highest of decimal strings, as a float; 0.0 if none parses."""
    numbers = [number for value in values if (number := _decimal(value)) is not None]
    return float(max(numbers)) if numbers else 0.0


def _decimal(literal: Node | str) -> Decimal | None:
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
