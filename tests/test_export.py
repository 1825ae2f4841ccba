"""Export stage: RDF files round-trip (rdflib and pyoxigraph) and are deterministic; the property
graph has the documented, typed schema; GraphML, GEXF and Cytoscape JSON read back; writes are
atomic. The dataset is built by hand as ontologies/README.md describes, no NLP involved."""

from __future__ import annotations

import ast
import json
import os
import random
import re
import stat
import subprocess
import sys
import textwrap
from collections import Counter
from decimal import Decimal
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest
from lxml import etree
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pipeline.export import atomic, graphml, rdf
from pipeline.export.atomic import atomic_output, atomic_write
from pipeline.export.cytoscape import write_cyjs
from pipeline.export.gexf import EDGE_TYPE_ATTRIBUTE, write_gexf
from pipeline.export.graphml import write_graphml
from pipeline.export.property_graph import (
    EDGE_ATTRIBUTES,
    EVIDENCE_MAX_CHARS,
    NODE_ATTRIBUTES,
    to_property_graph,
    xml_safe_graph,
)
from pipeline.export.rdf import write_trig, write_turtle
from pipeline.export.report import write_run_report
from pipeline.export.writer import OUTPUT_FILES, export_all
from pipeline.mapping import vocab  # SCHEMA, XSD via the module: pytest probes module globals
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
    SKOS,
    SOFTWARE_BASE,
    article_iri,
    entity_iri,
    evidence_iri,
    fact_iri,
    graph_iri,
    role_iri,
)

EXPORT_DIR = Path(__file__).resolve().parents[1] / "pipeline" / "export"

SEED_SENTENCES = (
    "Il Lombardia Aerospace Cluster ha organizzato un seminario a Milano nel novembre 2017.",
    "«Il Québec rappresenta un’eccellenza a livello mondiale», commenta Angelo Vallerani, "
    "presidente del distretto.",
    "Aerea spa di Milano aderisce al cluster.",
    "Milano è il capoluogo della Lombardia.",
    "Nel 2016 la Lombardia ha esportato in Québec prodotti aerospaziali per 9 milioni di euro.",
)
SEED_TEXT = " ".join(SEED_SENTENCES)
SECOND_TEXT = "Il portavoce Vallerani ha parlato a Milano."

PERSON = entity_iri("person/angelo-vallerani")
CLUSTER = entity_iri("org/lombardia-aerospace-cluster")
COMPANY = entity_iri("org/aerea-spa")
MILANO = entity_iri("place/milano")
LOMBARDIA = entity_iri("place/lombardia")
QUEBEC = entity_iri("place/quebec")
SEMINAR = entity_iri("event/seminario-lombardia-aerospace-cluster-2017-11")
RUN = URIRef(RUN_BASE + "20251125T203000Z")
SOFTWARE = URIRef(SOFTWARE_BASE + "aerokg/0.1.0")


# ---------------------------------------------------------------------------------------------
# The hand-built dataset
# ---------------------------------------------------------------------------------------------


class _Article:
    """Adds an article's triples to its named graph, in the README's patterns."""

    def __init__(self, dataset: Dataset, article_id: str, text: str) -> None:
        self.id, self.text = article_id, text
        self.graph = dataset.graph(graph_iri(article_id))
        self.iri = article_iri(article_id)
        self.add(self.iri, RDF.type, vocab.SCHEMA.NewsArticle)
        self.add(self.iri, DCTERMS.identifier, Literal(article_id))

    def add(self, s, p, o) -> None:
        self.graph.add((s, p, o))

    def evidence(self, sentence: str) -> URIRef:
        start = self.text.index(sentence)
        end = start + len(sentence)
        node = evidence_iri(self.id, start, end)
        position, quote = URIRef(f"{node}#position"), URIRef(f"{node}#quote")
        self.add(node, RDF.type, OA.SpecificResource)
        self.add(node, OA.hasSource, self.iri)
        self.add(node, OA.hasSelector, position)
        self.add(node, OA.hasSelector, quote)
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(start, datatype=vocab.XSD.nonNegativeInteger))
        self.add(position, OA.end, Literal(end, datatype=vocab.XSD.nonNegativeInteger))
        self.add(quote, RDF.type, OA.TextQuoteSelector)
        self.add(quote, OA.exact, Literal(sentence))
        return node

    def entity(self, iri, label, types, evidence, alt=()) -> None:
        for cls in types:
            self.add(iri, RDF.type, cls)
        self.add(iri, SKOS.prefLabel, Literal(label))
        self.add(iri, RDFS.label, Literal(label))
        for name in alt:
            self.add(iri, SKOS.altLabel, Literal(name))
        self.add(iri, PROV.wasDerivedFrom, evidence)

    def fact(self, node, cls, confidence: str, evidence) -> None:
        self.add(node, RDF.type, cls)
        self.add(node, AERO.confidence, Literal(Decimal(confidence)))
        self.add(node, PROV.wasDerivedFrom, evidence)

    def binary(self, s, p, o, confidence: str, evidence) -> None:
        self.add(s, p, o)
        statement = fact_iri(self.id, "statement", s, p, o)
        self.fact(statement, RDF.Statement, confidence, evidence)
        self.add(statement, RDF.subject, s)
        self.add(statement, RDF.predicate, p)
        self.add(statement, RDF.object, o)

    def role(self, person, noun: str, organization, confidence: str, evidence) -> URIRef:
        membership = fact_iri(self.id, "membership", person, role_iri(noun), organization or "")
        self.fact(membership, ORG.Membership, confidence, evidence)
        self.add(membership, ORG.member, person)
        self.add(membership, ORG.role, role_iri(noun))
        if organization is not None:
            self.add(membership, ORG.organization, organization)
        self.add(role_iri(noun), RDF.type, SKOS.Concept)
        self.add(role_iri(noun), SKOS.inScheme, AERO.Roles)
        self.add(role_iri(noun), SKOS.prefLabel, Literal(noun, lang="it"))
        return membership


def build_dataset() -> Dataset:
    ds = Dataset()
    seed = _Article(ds, "seed-article", SEED_TEXT)
    seed.add(
        seed.iri, vocab.SCHEMA.datePublished, Literal("2017-11", datatype=vocab.XSD.gYearMonth)
    )
    s1, s2, s3, s4, s5 = (seed.evidence(sentence) for sentence in SEED_SENTENCES)
    seed.entity(PERSON, "Angelo Vallerani", [vocab.SCHEMA.Person], s2)
    seed.entity(CLUSTER, "Lombardia Aerospace Cluster", [ORG.Organization, AERO.Cluster], s1)
    seed.entity(COMPANY, "Aerea spa", [ORG.Organization, AERO.Company], s3)
    seed.entity(MILANO, "Milano", [vocab.SCHEMA.Place, AERO.City], s1)
    seed.entity(LOMBARDIA, "Lombardia", [vocab.SCHEMA.Place, AERO.Region], s4)
    seed.entity(QUEBEC, "Québec", [vocab.SCHEMA.Place, AERO.Region], s5)

    seed.role(PERSON, "presidente", CLUSTER, "0.85", s2)
    seed.binary(COMPANY, ORG.memberOf, CLUSTER, "0.8", s3)
    seed.binary(COMPANY, vocab.SCHEMA.location, MILANO, "0.8", s3)
    seed.binary(MILANO, vocab.SCHEMA.containedInPlace, LOMBARDIA, "0.9", s4)

    flow = fact_iri("seed-article", "tradeflow", LOMBARDIA, QUEBEC, "9000000", "EUR", "2016")
    amount = URIRef(f"{flow}-amount")
    seed.fact(flow, AERO.TradeFlow, "0.7", s5)
    seed.add(flow, AERO.exporter, LOMBARDIA)
    seed.add(flow, AERO.importer, QUEBEC)
    seed.add(flow, AERO.tradeValue, amount)
    seed.add(amount, RDF.type, vocab.SCHEMA.MonetaryAmount)
    seed.add(amount, vocab.SCHEMA.value, Literal(Decimal("9000000")))
    seed.add(amount, vocab.SCHEMA.currency, Literal("EUR"))
    seed.add(flow, AERO.year, Literal("2016", datatype=vocab.XSD.gYear))
    seed.add(flow, AERO.sector, Literal("aerospaziale"))

    quote_text = "Il Québec rappresenta un’eccellenza a livello mondiale"
    quotation = fact_iri("seed-article", "quotation", PERSON, quote_text)
    seed.fact(quotation, vocab.SCHEMA.Quotation, "0.9", s2)
    seed.add(quotation, vocab.SCHEMA.text, Literal(quote_text))
    seed.add(quotation, vocab.SCHEMA.spokenByCharacter, PERSON)

    seed.fact(SEMINAR, vocab.SCHEMA.Event, "0.75", s1)
    seed.entity(SEMINAR, "seminario", [AERO.Seminar], s1)
    seed.add(SEMINAR, vocab.SCHEMA.startDate, Literal("2017-11", datatype=vocab.XSD.gYearMonth))
    seed.binary(SEMINAR, vocab.SCHEMA.location, MILANO, "0.8", s1)
    seed.binary(SEMINAR, vocab.SCHEMA.organizer, CLUSTER, "0.8", s1)

    # A second article: the same person (by a shorter name) and city, a role with no organisation.
    second = _Article(ds, "second-article", SECOND_TEXT)
    e = second.evidence(SECOND_TEXT)
    second.entity(PERSON, "Vallerani", [vocab.SCHEMA.Person], e)
    second.entity(MILANO, "Milano", [vocab.SCHEMA.Place, AERO.City], e)
    second.role(PERSON, "portavoce", None, "0.6", e)

    # Default graph: the run.
    run = ds.default_graph
    run.add((RUN, RDF.type, PROV.Activity))
    run.add((RUN, PROV.wasAssociatedWith, SOFTWARE))
    run.add((RUN, AERO.modelName, Literal("it_aerokg_news")))
    run.add((SOFTWARE, RDF.type, PROV.SoftwareAgent))
    run.add((SOFTWARE, vocab.SCHEMA.softwareVersion, Literal("0.1.0")))
    for article_id in ("seed-article", "second-article"):
        run.add((RUN, PROV.used, article_iri(article_id)))
        run.add((graph_iri(article_id), RDF.type, PROV.Entity))
        run.add((graph_iri(article_id), PROV.wasGeneratedBy, RUN))
        run.add((graph_iri(article_id), PROV.wasDerivedFrom, article_iri(article_id)))
    return ds


def shuffled_copy(ds: Dataset, seed: int) -> Dataset:
    """The same quads, added in another order."""
    quads = list(ds.quads((None, None, None, None)))
    random.Random(seed).shuffle(quads)
    copy = Dataset()
    for s, p, o, g in quads:
        copy.graph(g).add((s, p, o))
    return copy


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset()


@pytest.fixture(scope="module")
def G(dataset) -> nx.MultiDiGraph:
    return to_property_graph(dataset)


def union_graph(ds: Dataset) -> Graph:
    union = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def named_graphs(ds: Dataset) -> dict[URIRef, Graph]:
    return {
        g.identifier: g
        for g in ds.graphs()
        if len(g) and g.identifier != ds.default_graph.identifier
    }


# ---------------------------------------------------------------------------------------------
# RDF
# ---------------------------------------------------------------------------------------------


def test_turtle_reparses_in_rdflib_and_pyoxigraph(dataset, tmp_path):
    path = tmp_path / "graph.ttl"
    write_turtle(dataset, path)
    expected = union_graph(dataset)

    parsed = Graph().parse(path, format="turtle")
    assert len(parsed) == len(expected) > 0
    assert isomorphic(parsed, expected)

    oxi = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(oxi) == len(expected)
    assert all(isinstance(q.graph_name, pyoxigraph.DefaultGraph) for q in oxi)


@pytest.mark.filterwarnings(
    "ignore:.*deprecated:DeprecationWarning"
)  # rdflib's own TriG parser / N-Quads writer
def test_trig_reparses_per_named_graph(dataset, tmp_path):
    path = tmp_path / "graph.trig"
    write_trig(dataset, path)
    quads = list(dataset.quads((None, None, None, None)))

    parsed = Dataset().parse(path, format="trig")
    assert len(list(parsed.quads((None, None, None, None)))) == len(quads)
    expected_graphs = named_graphs(dataset)
    assert (
        set(named_graphs(parsed))
        == set(expected_graphs)
        == {
            graph_iri("seed-article"),
            graph_iri("second-article"),
        }
    )
    for name, graph in expected_graphs.items():
        assert isomorphic(parsed.graph(name), graph), name
    assert isomorphic(parsed.default_graph, dataset.default_graph)

    store = pyoxigraph.Store()
    store.load(path=str(path), format=pyoxigraph.RdfFormat.TRIG)
    assert len(store) == len(quads)
    assert {g.value for g in store.named_graphs()} == {str(name) for name in expected_graphs}
    default = pyoxigraph.DefaultGraph()
    assert len(list(store.quads_for_pattern(None, None, None, default))) == len(
        dataset.default_graph
    )


def test_trig_writes_run_first_then_articles_by_iri(dataset, tmp_path):
    text = rdf.trig_bytes(dataset).decode("utf-8")
    default_block = text.index("\n{")
    second = text.index(f"<{graph_iri('second-article')}> {{")
    seed = text.index(f"<{graph_iri('seed-article')}> {{")
    assert default_block < second < seed


def _graph_files(ds: Dataset, folder: Path) -> tuple[bytes, list[Path]]:
    """The run graph as N-Quads and one article graph file per named graph (as a run has)."""
    from pipeline import article_graphs

    run = Dataset()
    for triple in ds.default_graph:
        run.add(triple)
    files = []
    for name, graph in sorted(named_graphs(ds).items()):
        one = Dataset()
        for triple in graph:
            one.graph(name).add(triple)
        path = folder / article_graphs.graph_file_name(str(name))
        path.write_bytes(article_graphs.nquads_bytes(one))
        files.append(path)
    return article_graphs.nquads_bytes(run), files


@pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")
def test_trig_of_chunks_is_the_one_pyoxigraph_writes_in_one_go(dataset, tmp_path):
    """graph.trig is concatenated from per-article chunks: byte for byte what pyoxigraph
    writes for the run graph and every article graph serialised together."""
    from pipeline import article_graphs

    run, files = _graph_files(dataset, tmp_path)
    chunks = [article_graphs.read_trig_chunk(path, "sha-" + path.name) for path in files]
    counts = rdf.stream_trig(run, chunks, tmp_path / "graph.trig")

    def every_quad():
        yield from pyoxigraph.parse(run, pyoxigraph.RdfFormat.N_QUADS)
        for path in files:
            yield from pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)

    in_one_go = pyoxigraph.serialize(every_quad(), None, pyoxigraph.RdfFormat.TRIG,
                                     prefixes=rdf._store_prefixes())
    assert (tmp_path / "graph.trig").read_bytes() == in_one_go
    assert counts == {"quads": len(list(dataset.quads((None, None, None, None)))),
                      "named_graphs": 2}
    back = Dataset()
    back.parse(tmp_path / "graph.trig", format="trig")
    assert isomorphic(union_graph(back), union_graph(dataset))


def test_trig_chunk_files_are_checked_against_their_graph(dataset, tmp_path):
    """A chunk file is trusted only for the graph file hash it names: stale, damaged or
    missing, it is made again from the graph file (and saved)."""
    from pipeline import article_graphs

    _, files = _graph_files(dataset, tmp_path)
    path = files[0]
    side = path.with_name(article_graphs.trig_chunk_file_name(path.name))
    good = article_graphs.read_trig_chunk(path, "sha-1")
    assert side.read_bytes().startswith(b"# aerokg trig-chunk 1 sha-1 ")
    assert good[0].startswith(b"<") and b"@prefix" not in good[0]
    # the chunk file is trusted for the graph hash it names (as fragment files are)...
    side.write_bytes(side.read_bytes().replace(b"<", b"!", 1))
    assert article_graphs.read_trig_chunk(path, "sha-1") != good
    # ...and made again for any other
    assert article_graphs.read_trig_chunk(path, "sha-2") == good
    side.write_bytes(b"garbage")
    assert article_graphs.read_trig_chunk(path, "sha-2") == good
    side.unlink()
    assert article_graphs.read_trig_chunk(path, "sha-2") == good
    assert side.is_file()
    assert article_graphs.remove_graph_file(tmp_path, path.name)
    assert not side.exists()


def test_triple_lines_cut_the_graph_term_or_parse(tmp_path):
    s, p = "<https://example.org/s>", "<https://example.org/p>"
    one_graph = (f'{s} {p} "a <b> c" <https://example.org/g> .\n'
                 f"{s} {p} <https://example.org/o> <https://example.org/g> .\n").encode()
    assert rdf.triple_lines(one_graph) == [f'{s} {p} "a <b> c" .\n'.encode(),
                                           f"{s} {p} <https://example.org/o> .\n".encode()]
    default_graph = f"{s} {p} <https://example.org/o> .\n".encode()
    assert rdf.triple_lines(default_graph) == [default_graph]
    two_graphs = (f"{s} {p} <https://example.org/o> <https://example.org/g1> .\n"
                  f"{s} {p} <https://example.org/o> <https://example.org/g2> .\n").encode()
    assert rdf.triple_lines(two_graphs) == [f"{s} {p} <https://example.org/o> .\n".encode()] * 2
    assert rdf.triple_lines(b"") == []


@pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")
def test_streamed_turtle_is_the_union_once_each(dataset, tmp_path):
    run, files = _graph_files(dataset, tmp_path)
    count = rdf.stream_turtle(run, files, tmp_path / "graph.ttl")
    back = Graph().parse(tmp_path / "graph.ttl", format="turtle")
    assert isomorphic(back, union_graph(dataset))
    assert count == len(back) == len(union_graph(dataset))
    text = (tmp_path / "graph.ttl").read_text(encoding="utf-8")
    # described in both articles, one subject block
    assert sum(line.startswith(f"<{MILANO}> ") for line in text.splitlines()) == 1


@pytest.mark.parametrize("serialise", [rdf.turtle_bytes, rdf.trig_bytes])
def test_rdf_prefixes_are_the_vocabulary_ones(dataset, serialise):
    text = serialise(dataset).decode("utf-8")
    declared = dict(
        line.removeprefix("@prefix ").removesuffix(" .").split(": ", 1)
        for line in text.splitlines()
        if line.startswith("@prefix ")
    )
    assert {prefix: f"<{PREFIXES[prefix]}>" for prefix in declared} == declared
    assert {"aero", "org", "schema", "skos", "prov", "oa", "dcterms", "xsd"} <= set(declared)


def test_rdf_output_is_deterministic(dataset, tmp_path):
    for write, name in ((write_turtle, "graph.ttl"), (write_trig, "graph.trig")):
        first, second, shuffled = (
            tmp_path / f"1-{name}",
            tmp_path / f"2-{name}",
            tmp_path / f"3-{name}",
        )
        write(dataset, first)
        write(dataset, second)
        write(shuffled_copy(dataset, seed=7), shuffled)
        assert first.read_bytes() == second.read_bytes() == shuffled.read_bytes()


@pytest.mark.filterwarnings(
    "ignore:.*deprecated:DeprecationWarning"
)  # rdflib's own TriG parser / N-Quads writer
def test_rdf_output_does_not_depend_on_hash_seed(dataset, tmp_path):
    """TriG graphs come from a set in rdflib: a process with another PYTHONHASHSEED must write
    the same bytes (the subprocess also reads the quads in another order)."""
    lines = dataset.serialize(format="nquads").splitlines()
    random.Random(3).shuffle(lines)
    source = tmp_path / "input.nq"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        from rdflib import Dataset
        from pipeline.export.rdf import write_trig, write_turtle
        ds = Dataset().parse({str(source)!r}, format="nquads")
        write_turtle(ds, {str(tmp_path / "sub.ttl")!r})
        write_trig(ds, {str(tmp_path / "sub.trig")!r})
        """
    )
    seed = "4242" if os.environ.get("PYTHONHASHSEED") != "4242" else "4343"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(EXPORT_DIR.parents[1])}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path, timeout=300)
    write_turtle(dataset, tmp_path / "here.ttl")
    write_trig(dataset, tmp_path / "here.trig")
    assert (tmp_path / "sub.ttl").read_bytes() == (tmp_path / "here.ttl").read_bytes()
    assert (tmp_path / "sub.trig").read_bytes() == (tmp_path / "here.trig").read_bytes()


# ---------------------------------------------------------------------------------------------
# Property graph
# ---------------------------------------------------------------------------------------------


def edges_of(G, kind):
    return [(u, v, data) for u, v, data in G.edges(data=True) if data["type"] == kind]


def test_property_graph_nodes(G):
    quotations = [n for n, kind in G.nodes(data="type") if kind == "Quotation"]
    assert set(G.nodes) == {
        str(x) for x in (PERSON, CLUSTER, COMPANY, MILANO, LOMBARDIA, QUEBEC, SEMINAR)
    } | set(quotations)
    assert len(quotations) == 1
    assert list(G.nodes) == sorted(G.nodes)

    def node(iri):
        return G.nodes[str(iri)]

    assert (node(PERSON)["label"], node(PERSON)["type"], node(PERSON)["class"]) == (
        "Angelo Vallerani",
        "Person",
        "Person",
    )
    assert node(PERSON)["alt_labels"] == "Vallerani"
    assert node(PERSON)["roles"] == "portavoce; presidente"
    assert node(PERSON)["articles"] == "second-article; seed-article"
    assert (node(CLUSTER)["type"], node(CLUSTER)["class"]) == ("Organization", "Cluster")
    assert (node(MILANO)["type"], node(MILANO)["class"], node(MILANO)["iri"]) == (
        "Place",
        "City",
        str(MILANO),
    )
    assert (node(QUEBEC)["label"], node(QUEBEC)["class"]) == ("Québec", "Region")
    assert (node(SEMINAR)["type"], node(SEMINAR)["class"], node(SEMINAR)["date"]) == (
        "Event",
        "Seminar",
        "2017-11",
    )
    assert node(SEMINAR)["confidence"] == 0.75
    quote = G.nodes[quotations[0]]
    assert quote["class"] == "Quotation" and quote["text"].startswith("Il Québec rappresenta")
    assert quote["label"].startswith("«") and quote["confidence"] == 0.9


def test_property_graph_edges(G):
    kinds = Counter(kind for _, _, kind in G.edges(data="type"))
    assert kinds == {
        "role": 1,
        "memberOf": 1,
        "location": 2,
        "containedInPlace": 1,
        "organizer": 1,
        "trade_flow": 1,
        "quote": 1,
    }
    [(u, v, role)] = edges_of(G, "role")  # the role with no organisation gives no edge
    assert (u, v) == (str(PERSON), str(CLUSTER))
    assert (role["label"], role["role"], role["article"], role["confidence"]) == (
        "presidente",
        "presidente",
        "seed-article",
        0.85,
    )
    assert role["evidence"].startswith("«Il Québec rappresenta")
    assert role["fact"] == str(
        fact_iri("seed-article", "membership", PERSON, role_iri("presidente"), CLUSTER)
    )

    [(u, v, flow)] = edges_of(G, "trade_flow")
    assert (u, v) == (str(LOMBARDIA), str(QUEBEC))
    assert (flow["value"], flow["currency"], flow["year"], flow["sector"]) == (
        9000000.0,
        "EUR",
        "2016",
        "aerospaziale",
    )
    assert flow["label"] == "flusso commerciale: 9000000 EUR, 2016, aerospaziale"

    [(u, v, member)] = edges_of(G, "memberOf")
    assert (u, v, member["confidence"]) == (str(COMPANY), str(CLUSTER), 0.8)
    assert member["fact"] == str(
        fact_iri("seed-article", "statement", COMPANY, ORG.memberOf, CLUSTER)
    )
    assert member["evidence"] == "Aerea spa di Milano aderisce al cluster."
    [(u, v, _)] = edges_of(G, "organizer")
    assert (u, v) == (str(SEMINAR), str(CLUSTER))
    [(u, v, _)] = edges_of(G, "quote")
    assert u == str(PERSON) and G.nodes[v]["type"] == "Quotation"
    assert {(u, v) for u, v, _ in edges_of(G, "location")} == {
        (str(COMPANY), str(MILANO)),
        (str(SEMINAR), str(MILANO)),
    }


def test_property_graph_attributes_are_complete_and_typed(G):
    for _, data in G.nodes(data=True):
        assert list(data) == list(NODE_ATTRIBUTES)
        assert all(type(data[name]) is kind for name, kind in NODE_ATTRIBUTES.items()), data
    for _, _, data in G.edges(data=True):
        assert list(data) == list(EDGE_ATTRIBUTES)
        assert all(type(data[name]) is kind for name, kind in EDGE_ATTRIBUTES.items()), data
        assert len(data["evidence"]) <= EVIDENCE_MAX_CHARS


def test_property_graph_is_deterministic(dataset, G):
    other = to_property_graph(shuffled_copy(dataset, seed=11))
    assert list(other.nodes(data=True)) == list(G.nodes(data=True))
    assert list(other.edges(keys=True, data=True)) == list(G.edges(keys=True, data=True))
    assert len(set(k for _, _, k in G.edges(keys=True))) == G.number_of_edges()


def test_long_evidence_is_shortened():
    ds = Dataset()
    sentence = "La Lombardia collabora con il Québec. " * 20
    article = _Article(ds, "long", sentence)
    e = article.evidence(sentence)
    article.entity(LOMBARDIA, "Lombardia", [vocab.SCHEMA.Place, AERO.Region], e)
    article.entity(QUEBEC, "Québec", [vocab.SCHEMA.Place, AERO.Region], e)
    article.binary(LOMBARDIA, AERO.partnerOf, QUEBEC, "0.7", e)
    [(_, _, data)] = to_property_graph(ds).edges(data=True)
    assert data["type"] == "partnerOf"
    assert len(data["evidence"]) == EVIDENCE_MAX_CHARS and data["evidence"].endswith("…")


# ---------------------------------------------------------------------------------------------
# Graph files
# ---------------------------------------------------------------------------------------------


def edge_multiset(graph, rename=None, drop=()):
    rename = rename or {}
    return Counter(
        (u, v, tuple(sorted((rename.get(k, k), val) for k, val in data.items() if k not in drop)))
        for u, v, data in graph.edges(data=True)
    )


def test_graphml_reads_back_with_named_unique_keys(G, tmp_path):
    path = tmp_path / "graph.graphml"
    write_graphml(G, path)
    H = nx.read_graphml(path)
    assert H.is_directed()
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert edge_multiset(H, drop={"id"}) == edge_multiset(G)
    assert {(u, v, edge_id) for u, v, edge_id in H.edges(data="id")} == set(G.edges(keys=True))
    assert all(value is not None for _, data in H.nodes(data=True) for value in data.values())
    assert all(value is not None for _, _, data in H.edges(data=True) for value in data.values())

    text = path.read_text(encoding="utf-8")
    assert '<key id="label" for="node" attr.name="label" attr.type="string"' in text
    assert '<key id="confidence" for="node" attr.name="confidence" attr.type="double"' in text
    assert '<key id="evidence" for="edge" attr.name="evidence" attr.type="string"' in text
    assert '<key id="edge_label" for="edge" attr.name="label" attr.type="string"' in text
    ids = [key.split('"', 1)[0] for key in text.split('<key id="')[1:]]
    assert len(ids) == len(set(ids)) == len(NODE_ATTRIBUTES) + len(EDGE_ATTRIBUTES)
    assert not re.search(r'<key id="d[0-9]+"', text)


def _declared_keys(path):
    """(for, attr.name, attr.type) of a GraphML file's keys."""
    root = etree.parse(str(path)).getroot()
    return sorted((k.get("for"), k.get("attr.name"), k.get("attr.type"))
                  for k in root.iter("{http://graphml.graphdrawing.org/xmlns}key"))


def test_graphml_reads_back_as_networkx_written_file(G, tmp_path):
    """Our streaming writer and networkx's give the same graph, with the same key types."""
    G = G.copy()  # the fixture is shared
    G.graph["name"] = "aerokg <test> & co"
    G.add_node("odd", flag=True, count=3, label='a "quoted"\nline\tand\r\x00 control')
    write_graphml(G, tmp_path / "ours.graphml")
    nx.write_graphml(xml_safe_graph(G), tmp_path / "nx.graphml", named_key_ids=True,
                     prettyprint=False)
    ours, theirs = (nx.read_graphml(tmp_path / name) for name in ("ours.graphml", "nx.graphml"))
    assert ours.graph == theirs.graph
    assert ours.graph["name"] == "aerokg <test> & co"
    assert ours.nodes["odd"]["label"] == 'a "quoted"\nline\tand\r control'
    assert dict(ours.nodes(data=True)) == dict(theirs.nodes(data=True))
    assert type(ours) is type(theirs)
    assert sorted(ours.edges(data=True), key=repr) == sorted(theirs.edges(data=True), key=repr)
    assert _declared_keys(tmp_path / "ours.graphml") == _declared_keys(tmp_path / "nx.graphml")


def test_gexf_reads_back(G, tmp_path):
    path = tmp_path / "graph.gexf"
    write_gexf(G, path)
    H = nx.read_gexf(path)
    assert H.is_directed()
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert edge_multiset(H, rename={EDGE_TYPE_ATTRIBUTE: "type"}, drop={"id"}) == edge_multiset(G)
    assert all(value is not None for _, _, data in H.edges(data=True) for value in data.values())
    text = path.read_text(encoding="utf-8")
    assert "lastmodifieddate" not in text
    assert 'type="role"' not in text  # GEXF's own edge type stays "directed"


def test_cyjs_reads_back(G, tmp_path):
    path = tmp_path / "graph.cyjs"
    write_cyjs(G, path)
    text = path.read_text(encoding="utf-8")
    assert "Québec" in text  # UTF-8, not \u escapes
    data = json.loads(text)
    assert data["directed"] is True and data["multigraph"] is True
    H = nx.cytoscape_graph(data, name="label")
    assert set(H.nodes) == set(G.nodes)
    for node, attrs in G.nodes(data=True):
        assert H.nodes[node]["name"] == attrs["label"]
        assert {k: H.nodes[node][k] for k in attrs} == attrs
    assert set(H.edges(keys=True)) == set(G.edges(keys=True))
    for u, v, key, attrs in G.edges(keys=True, data=True):
        assert {k: H.edges[u, v, key][k] for k in attrs} == attrs


@pytest.mark.parametrize("write", [write_graphml, write_gexf, write_cyjs])
def test_graph_files_are_deterministic(G, dataset, tmp_path, write):
    write(G, tmp_path / "a")
    write(to_property_graph(shuffled_copy(dataset, seed=5)), tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


# ---------------------------------------------------------------------------------------------
# Atomic writes, report, export_all
# ---------------------------------------------------------------------------------------------


def test_atomic_output_keeps_old_file_when_writer_raises(tmp_path):
    path = tmp_path / "graph.ttl"
    path.write_text("old\n", encoding="utf-8")

    class SerializerError(RuntimeError):
        pass

    def failing_serializer(handle):
        handle.write("<a> <b> <c> .\n" * 1000)
        handle.flush()
        raise SerializerError("disk on fire")

    for mode in ("w", "wb"):
        with pytest.raises(SerializerError):
            with atomic_output(path, mode) as handle:
                failing_serializer(handle if mode == "w" else _TextToBytes(handle))
        assert path.read_text(encoding="utf-8") == "old\n"
        assert os.listdir(tmp_path) == ["graph.ttl"]


class _TextToBytes:
    def __init__(self, handle):
        self.handle = handle

    def write(self, text):
        return self.handle.write(text.encode("utf-8"))

    def flush(self):
        self.handle.flush()


def test_atomic_output_cleans_up_on_interrupt(tmp_path):
    path = tmp_path / "out.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(path) as handle:
            handle.write("{")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_writer_that_raises_leaves_previous_export(dataset, tmp_path, monkeypatch):
    path = tmp_path / "graph.graphml"
    path.write_bytes(b"previous")

    def broken(G):
        yield "<?xml version='1.0' encoding='utf-8'?>\n<graphml>"
        raise ValueError("serializer failed")

    monkeypatch.setattr(graphml, "graphml_lines", broken)
    with pytest.raises(ValueError):
        write_graphml(to_property_graph(dataset), path)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["graph.graphml"]


def test_atomic_write_permissions_and_content(tmp_path):
    fresh = tmp_path / "fresh.txt"
    atomic_write(fresh, "é\r\n")
    assert fresh.read_bytes() == "é\r\n".encode()  # no newline translation
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~atomic._UMASK
    fresh.chmod(0o640)
    atomic_write(fresh, b"\x00bytes")
    assert fresh.read_bytes() == b"\x00bytes"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    with pytest.raises(ValueError):
        with atomic_output(fresh, "a"):
            pass


def test_deferred_sync_fsyncs_nothing_until_sync(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    (tmp_path / "sub").mkdir()
    writes = atomic.DeferredSync()
    writes.write(tmp_path / "a.nq", b"a")
    writes.write(tmp_path / "sub" / "b.nq", "b")
    writes.write(tmp_path / "a.nq", b"a2")  # written twice: synced once
    writes.write(tmp_path / "gone.nq", b"c")
    (tmp_path / "gone.nq").unlink()  # removed before the sync: nothing to keep
    assert synced == [] and writes.pending == 4
    assert (tmp_path / "a.nq").read_bytes() == b"a2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nq", "sub"]  # no temporary files
    writes.sync()
    assert writes.pending == 0
    assert len(synced) == 2 + 2  # two files, two directories
    writes.sync()  # nothing pending: nothing done
    assert len(synced) == 4


def test_run_report(tmp_path):
    path = tmp_path / "run-report.json"
    write_run_report(path, {"z": 1, "a": {"c": Decimal("0.5"), "b": {"y", "x"}}, "out": tmp_path})
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "a": {\n    "b": [\n      "x",')
    assert json.loads(text)["a"]["c"] == "0.5"
    with pytest.raises(TypeError):
        write_run_report(path, {"bad": object()})
    assert json.loads(path.read_text(encoding="utf-8"))["z"] == 1


def test_export_all(dataset, tmp_path):
    out = tmp_path / "nested" / "out"
    paths = export_all(dataset, out, {"run": "20251125T203000Z", "articles": 2})
    assert {name: path.name for name, path in paths.items()} == OUTPUT_FILES
    assert sorted(os.listdir(out)) == sorted(OUTPUT_FILES.values())
    report = json.loads(paths["report"].read_text(encoding="utf-8"))
    assert report["run"] == "20251125T203000Z"
    assert report["export"]["nodes"] == 8 and report["export"]["edges"] == 8
    assert report["export"]["named_graphs"] == 2
    assert report["export"]["quads"] == len(list(dataset.quads((None, None, None, None))))
    assert Graph().parse(paths["turtle"], format="turtle")
    first = {name: path.read_bytes() for name, path in paths.items()}
    export_all(dataset, out, {"run": "20251125T203000Z", "articles": 2})
    assert {name: path.read_bytes() for name, path in paths.items()} == first


def test_export_stage_imports_no_nlp():
    """The export stage reads RDF only: no spaCy, no NLP stage, from mapping only the vocabulary."""
    for module in EXPORT_DIR.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        for name in imported:
            assert not name.startswith(("spacy", "pipeline.nlp")), (module.name, name)
            if name.startswith("pipeline.mapping"):
                assert name == "pipeline.mapping.vocab", (module.name, name)


def test_a_prefetch_is_used_only_for_the_same_files():
    from pipeline.export.writer import FragmentPrefetch

    prefetch = FragmentPrefetch()
    prefetch.files = {"graphs/a.nq": "1", "graphs/b.nq": "2"}
    assert prefetch.matches({"graphs/a.nq": "1", "graphs/b.nq": "2", "graphs/c.nq": "3"})
    assert not prefetch.matches({"graphs/a.nq": "1", "graphs/b.nq": "changed"})
    assert not prefetch.matches({"graphs/a.nq": "1"})  # b.nq is gone from the corpus
    assert not prefetch.matches({"graphs/a.nq": "1", "graphs/b.nq": ""})  # hash unknown


def test_fragments_merged_in_two_steps_give_the_same_graph(dataset):
    from pipeline.export.property_graph import FragmentMerger, graph_fragment

    # the smallest article first (dataset.graphs() comes in hash order)
    fragments = sorted((graph_fragment(graph) for graph in dataset.graphs() if len(graph)),
                       key=lambda fragment: (len(fragment["types"]) == 0, len(fragment["types"])))
    assert len(fragments) >= 2
    merger = FragmentMerger()
    merger.add(fragments[0])
    early = merger.graph()
    for fragment in fragments[1:]:
        merger.add(fragment)
    whole = to_property_graph(dataset)
    assert nx.utils.graphs_equal(merger.graph(), whole)
    assert early.number_of_nodes() < whole.number_of_nodes()


def test_preload_stops_when_asked():
    from pipeline.export.writer import EXPORT_MODULES, preload

    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 2

    assert preload(stop=stop) is False and len(asked) == 3  # two modules, then stopped
    assert preload() is True
    assert len(EXPORT_MODULES) > 3


# -- the export's two processes (pipeline.export.writer._shared_steps) ------------------------


def _step(folder, name, value, delay=0.0):
    """A step that writes a file named after the process it ran in, and returns ``value``."""
    import time as _time

    def run():
        _time.sleep(delay)
        (folder / f"{name}.{os.getpid()}").write_text("done")
        return value
    return name, run


def _ran(folder):
    """step name -> the pids of the processes it ran in."""
    runs = {}
    for path in folder.iterdir():
        name, pid = path.name.rsplit(".", 1)
        runs.setdefault(name, []).append(int(pid))
    return runs


def test_shared_steps_each_run_once_and_the_forked_process_takes_the_last_ones(tmp_path):
    import time

    from pipeline.export.writer import _shared_steps

    def first():  # this process's first step lasts until the child has taken the last one
        deadline = time.monotonic() + 60
        while not any(p.name.startswith("d.") for p in tmp_path.iterdir()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        (tmp_path / f"a.{os.getpid()}").write_text("done")
        return 1

    laps = []
    steps = [("a", first), _step(tmp_path, "b", {"n": 2}), _step(tmp_path, "c", None),
             _step(tmp_path, "d", "four")]
    done, job_value = _shared_steps(
        lambda: (tmp_path / f"job.{os.getpid()}").write_text("x") and {"took": 1.5}, steps,
        laps.append)
    assert job_value == {"took": 1.5}  # what the job returned, sent back from the child
    assert {name: value for name, (value, _) in done.items()} == \
        {"a": 1, "b": {"n": 2}, "c": None, "d": "four"}
    runs = _ran(tmp_path)
    assert all(len(pids) == 1 for pids in runs.values()), runs  # each step once
    assert runs["job"] != [os.getpid()] and runs["a"] == [os.getpid()]
    assert runs["d"] == runs["job"]  # taken by the forked process
    assert laps == [name for name in "abcd" if runs[name] == [os.getpid()]]


def test_shared_steps_survive_a_failing_child(tmp_path):
    from pipeline.export.writer import _shared_steps

    def job():
        if os.getpid() != parent:
            os._exit(3)  # the forked process dies before doing anything
        (tmp_path / f"job.{os.getpid()}").write_text("x")
        return "drawn here"

    parent = os.getpid()
    steps = [_step(tmp_path, "a", 1), _step(tmp_path, "b", 2)]
    done, job_value = _shared_steps(job, steps, lambda name: None)
    assert job_value == "drawn here"
    assert {name: value for name, (value, _) in done.items()} == {"a": 1, "b": 2}
    assert _ran(tmp_path) == {"job": [parent], "a": [parent], "b": [parent]}


def test_a_handoff_reaches_a_step_of_this_process_from_the_forked_job(tmp_path):
    """The layout's path: made once, in the forked process, and taken by a step here."""
    from pipeline.export.writer import Handoff, _shared_steps

    def make():
        (tmp_path / f"made.{os.getpid()}").write_text("x")
        return {"n": (1.5, -2.0)}

    handoff = Handoff(make)

    def job():
        return handoff.produce()

    def page():
        (tmp_path / f"page.{os.getpid()}").write_text("x")
        return handoff.take()

    done, job_value = _shared_steps(job, [("page", page)], lambda name: None, handoff)
    assert done["page"][0] == job_value == {"n": (1.5, -2.0)}
    runs = _ran(tmp_path)
    assert len(runs["made"]) == 1 and runs["made"] != [os.getpid()]  # made in the child only


def test_a_handoff_is_made_here_once_when_the_forked_process_dies_first(tmp_path):
    from pipeline.export.writer import Handoff, _shared_steps

    parent = os.getpid()

    def make():
        (tmp_path / f"made.{os.getpid()}").write_text("x")
        return "layout"

    handoff = Handoff(make)

    def job():
        if os.getpid() != parent:
            os._exit(3)  # dies before handing anything over
        return handoff.produce()

    done, job_value = _shared_steps(job, [("page", handoff.take)], lambda name: None, handoff)
    assert done["page"][0] == job_value == "layout"
    assert _ran(tmp_path) == {"made": [parent]}  # once, here: the job reused it


def test_a_failing_step_fails_the_export(tmp_path):
    from pipeline.export.writer import _shared_steps

    def broken():
        raise ValueError("no space left")

    with pytest.raises(ValueError, match="no space left"):
        _shared_steps(lambda: None, [("a", broken)], lambda name: None)


def test_ontology_class_tree_read_by_pyoxigraph_is_rdflibs():
    """The class tree every process reads at its first article (pyoxigraph's parser) is the
    one rdflib's graph of the ontology gives (to_property_graph's ``ontology``)."""
    from rdflib import Graph

    from pipeline.export import property_graph
    from pipeline.mapping.vocab import ONTOLOGY_PATH

    fast = property_graph._class_tree()
    reference = property_graph._build_class_tree(Graph().parse(ONTOLOGY_PATH, format="turtle"))
    assert fast.depths == reference.depths and fast.role_labels == reference.role_labels
    assert fast.depths and fast.role_labels
