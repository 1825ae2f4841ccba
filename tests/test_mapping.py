"""Mapping stage: mentions -> entities with identity, relations -> RDF that passes SHACL."""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Literal

from pipeline.corpus import Article
from pipeline.datamodel import Document, Evidence, Mention, Relation, RelationKind
from pipeline.mapping.entities import guess_class, resolve_entities
from pipeline.mapping.identity import entity_key, same_person
from pipeline.mapping.rdf import RunInfo, add_article, add_run, new_dataset, typed_date
from pipeline.mapping.vocab import AERO, ORG, SDO, SHAPES_PATH, SKOS, entity_iri, graph_iri

TEXT = ("Angelo Vallerani, presidente del distretto, ha parlato. "
        "Vallerani ha visitato Aerea spa di Turate con il Lombardia Aerospace Cluster.")


def m(text: str, coarse: str, occurrence: int = 0, **kw) -> Mention:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(text, start + 1)
    sentence = 0 if start < TEXT.index("Vallerani ha") else 1
    return Mention(start, start + len(text), text, coarse, sentence=sentence, **kw)


def document() -> Document:
    s1 = TEXT.index("Vallerani ha")
    sentences = [Evidence(0, s1 - 1, TEXT[: s1 - 1]), Evidence(s1, len(TEXT), TEXT[s1:])]
    person = m("Angelo Vallerani", "Person")
    surname = m("Vallerani", "Person", occurrence=1)
    cluster = m("Lombardia Aerospace Cluster", "Organization", cls="Cluster",
                canonical="Lombardia Aerospace Cluster", source="ruler")
    aerea = m("Aerea spa", "Organization")
    turate = m("Turate", "Place", cls="City", canonical="Turate", source="ruler")
    distretto = m("distretto", "Organization", cls="Cluster", source="rule")
    relations = [
        Relation(RelationKind.ROLE, {"person": person, "role": "presidente",
                                     "organization": distretto}, 0.85, sentences[0]),
        Relation(RelationKind.LOCATION, {"entity": aerea, "place": turate}, 0.8, sentences[1]),
        Relation(RelationKind.MEMBERSHIP, {"member": aerea, "organization": cluster}, 0.7,
                 sentences[1]),
        Relation(RelationKind.QUOTE, {"speaker": surname, "quote": "Il tempo è giusto"}, 0.9,
                 sentences[1]),
    ]
    article = Article(id="a1", text=TEXT, title="Titolo", date="2017-11")
    return Document(article, sentences, [person, surname, cluster, aerea, turate, distretto],
                    [], relations)


def test_mentions_merge_into_entities_with_classes():
    index = resolve_entities(document())
    by_label = {e.label: e for e in index.entities}
    assert set(by_label) == {"Angelo Vallerani", "Lombardia Aerospace Cluster", "Aerea spa",
                             "Turate"}
    assert by_label["Angelo Vallerani"].aliases == {"Vallerani"}
    assert by_label["Aerea spa"].cls == "Company"
    assert by_label["Turate"].cls == "City"
    doc = document()
    distretto = next(x for x in doc.mentions if x.text == "distretto")
    assert resolve_entities(doc).entity_of(distretto).label == "Lombardia Aerospace Cluster"


def test_keys_are_stable_and_accent_insensitive():
    assert entity_key("Organization", "Cluster Aéro Montréal") == entity_key(
        "Organization", "cluster aero montreal")
    assert entity_key("Person", "Suzanne M. Benoît").startswith("person/")
    assert same_person("Benoît", "Suzanne M. Benoît")
    assert not same_person("Suzanne", "Suzanne M. Benoît")


def test_guess_class_from_name_words():
    assert guess_class("Organization", "Regione Lombardia") == "GovernmentBody"
    assert guess_class("Organization", "Politecnico di Milano") == "University"
    assert guess_class("Place", "Palazzo Pirelli") == "Facility"
    assert guess_class("Organization", "Pinco") == "Organization"


def build():
    doc = document()
    dataset = new_dataset()
    counts = add_article(dataset, doc, resolve_entities(doc))
    add_run(dataset, RunInfo("0.1.0", "it_test", "0.0.1", ("a1",), "abc123"))
    return dataset, counts


def test_rdf_has_the_facts():
    dataset, counts = build()
    assert counts["relations"] == 4 and counts["relations_dropped"] == 0
    g = dataset.graph(graph_iri("a1"))
    vallerani = entity_iri("person/angelo-vallerani")
    cluster = entity_iri("org/lombardia-aerospace-cluster")
    assert (vallerani, SKOS.prefLabel, Literal("Angelo Vallerani")) in g
    assert (cluster, RDF.type, AERO.Cluster) in g
    membership = next(g.subjects(ORG.member, vallerani))
    assert (membership, ORG.organization, cluster) in g
    aerea = entity_iri("org/aerea")
    assert (aerea, ORG.memberOf, cluster) in g
    assert (aerea, SDO.location, entity_iri("place/turate")) in g
    quote = next(g.subjects(SDO.spokenByCharacter, vallerani))
    assert (quote, SDO.text, Literal("Il tempo è giusto")) in g


def test_graphs_pass_shacl():
    from pyshacl import validate

    dataset, _ = build()
    shapes = Graph().parse(SHAPES_PATH)
    for graph in dataset.graphs():
        if len(graph):
            plain = Graph()
            for t in graph:
                plain.add(t)
            conforms, _, text = validate(plain, shacl_graph=shapes, inference="none")
            assert conforms, text


def test_unresolvable_argument_drops_the_relation():
    doc = document()
    lonely = Mention(0, 5, "ditta", "Organization", cls="Company", source="rule")
    doc.relations.append(Relation(RelationKind.MEMBERSHIP,
                                  {"member": lonely, "organization": doc.mentions[2]}, 0.5,
                                  doc.sentences[0]))
    dataset = new_dataset()
    counts = add_article(dataset, doc, resolve_entities(doc))
    assert counts["relations_dropped"] == 1


def test_typed_dates():
    assert typed_date("2017-11").datatype.endswith("gYearMonth")
    assert typed_date("2016").datatype.endswith("gYear")
    assert typed_date("2017-03-07").datatype.endswith("#date")
    assert typed_date("marzo") is None


def test_article_graph_on_its_own_is_the_named_graph_add_article_writes():
    from rdflib.compare import isomorphic

    from pipeline.mapping.rdf import article_graph

    doc = document()
    graph, counts = article_graph(doc, resolve_entities(doc))
    dataset = new_dataset()
    assert add_article(dataset, doc, resolve_entities(doc)) == counts
    assert graph.identifier == graph_iri("a1")
    assert isomorphic(graph, dataset.graph(graph_iri("a1")))
    assert counts["triples"] == len(graph) > 0


def test_nquads_of_an_article_graph_read_back_as_the_same_graph():
    """pyoxigraph writes the graph file; rdflib reads it back to the same named graph, and a
    Dataset holding that one graph gives the same bytes."""
    from rdflib import Dataset
    from rdflib.compare import isomorphic

    from pipeline.article_graphs import nquads_bytes
    from pipeline.mapping.rdf import article_graph

    doc = document()
    graph, _ = article_graph(doc, resolve_entities(doc))
    data = nquads_bytes(graph)
    lines = data.decode("utf-8").splitlines()
    assert lines == sorted(set(lines)) and len(lines) == len(graph)
    assert all(line.endswith(f"<{graph_iri('a1')}> .") for line in lines)
    back = Dataset()
    back.parse(data=data, format="nquads")
    assert isomorphic(back.graph(graph_iri("a1")), graph)
    dataset = new_dataset()
    add_article(dataset, doc, resolve_entities(doc))
    assert nquads_bytes(dataset) == data


def test_nquads_of_a_dataset_write_its_default_graph_as_triples():
    from pipeline.article_graphs import nquads_bytes

    dataset, _ = build()
    run_lines = [line for line in nquads_bytes(dataset).decode().splitlines()
                 if "prov#Activity" in line]
    assert run_lines and all(line.count("<") == 3 for line in run_lines)


@pytest.mark.parametrize("run", [
    RunInfo("0.1.0", "it_test", "0.0.1", ("a1",), "abc123"),
    RunInfo("1.0 beta/2", "it core \u200f news", "0.0.1 rc",
            ("../x y", "città", "a\u202eb", "x" * 300, "a1"), "f00d"),
    RunInfo("0.1.0", "m", "1", (), "0"),
])
def test_the_run_triples_written_alone_are_the_bytes_of_add_runs_graph(run):
    """The run's graph written with pyoxigraph (fast) is add_run's, byte for byte."""
    from pipeline.article_graphs import nquads_bytes, triples_nquads
    from pipeline.mapping.rdf import run_triples

    dataset = new_dataset()
    add_run(dataset, run)
    assert triples_nquads(run_triples(run)) == nquads_bytes(dataset)
