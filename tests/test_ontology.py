"""The ontology layer: aerokg.ttl and shapes.ttl parse, agree with vocab.AERO, and the shapes
accept a well-formed article graph and reject broken ones (ontologies/README.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph
import pytest
from pyshacl import validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH, Namespace

from pipeline.mapping import vocab
from pipeline.mapping.vocab import (
    AERO,
    OA,
    ONTOLOGY_PATH,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SHAPES_PATH,
    SKOS,
    article_iri,
    entity_iri,
    evidence_iri,
    fact_iri,
    role_iri,
    slugify,
)

# rdflib's own TriG parser and Dataset.graphs() use its deprecated ConjunctiveGraph API.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*(default_context|ConjunctiveGraph) is deprecated:DeprecationWarning"
)

# Plain (open) namespaces: pytest's collection probes module globals, and rdflib's open
# DefinedNamespaces (SDO, XSD) warn on every unknown attribute it asks for.
SDO = Namespace(str(vocab.SDO._NS))
XSD = Namespace(str(vocab.XSD._NS))

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO.parent / "shared" / "corpus" / "gold" / "seed-article.json"
README = REPO / "ontologies" / "README.md"
TOP_TYPES = {SDO.Person, ORG.Organization, SDO.Place, SDO.Event}
HELPER_CLASSES = {AERO.TradeFlow}

PREFIXES = """
@prefix aero:    <https://w3id.org/aerokg/ontology#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix schema:  <https://schema.org/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix id:      <https://w3id.org/aerokg/id/> .
@prefix ex:      <https://w3id.org/aerokg/fact/t/> .
"""

# One article, one person, one cluster, one membership, one trade flow, one quotation, one
# reified binary fact; all facts share one evidence node. Conforms to the shapes.
GOOD = PREFIXES + """
<https://w3id.org/aerokg/article/t> a schema:NewsArticle ;
    dcterms:identifier "t" ; schema:datePublished "2017-11"^^xsd:gYearMonth .

<https://w3id.org/aerokg/id/person/angelo-vallerani> a schema:Person ;
    skos:prefLabel "Angelo Vallerani" ; rdfs:label "Angelo Vallerani" ;
    skos:altLabel "Vallerani" ; prov:wasDerivedFrom ex:ev .
<https://w3id.org/aerokg/id/org/lombardia-aerospace-cluster> a org:Organization , aero:Cluster ;
    skos:prefLabel "Lombardia Aerospace Cluster" ; prov:wasDerivedFrom ex:ev .
<https://w3id.org/aerokg/id/org/aerea-spa> a org:Organization , aero:Company ;
    skos:prefLabel "Aerea spa" ; prov:wasDerivedFrom ex:ev .
<https://w3id.org/aerokg/id/place/lombardia> a schema:Place , aero:Region ;
    skos:prefLabel "Lombardia" .
<https://w3id.org/aerokg/id/place/canada> a schema:Place , aero:Country ;
    skos:prefLabel "Canada" .

ex:membership a org:Membership ;
    org:member <https://w3id.org/aerokg/id/person/angelo-vallerani> ;
    org:role <https://w3id.org/aerokg/role/presidente> ;
    org:organization <https://w3id.org/aerokg/id/org/lombardia-aerospace-cluster> ;
    aero:confidence 0.85 ; prov:wasDerivedFrom ex:ev .
<https://w3id.org/aerokg/role/presidente> a skos:Concept ;
    skos:inScheme aero:Roles ; skos:prefLabel "presidente"@it .

ex:flow a aero:TradeFlow ;
    aero:exporter <https://w3id.org/aerokg/id/place/lombardia> ;
    aero:importer <https://w3id.org/aerokg/id/place/canada> ;
    aero:tradeValue ex:amount ;
    aero:year "2016"^^xsd:gYear ;
    aero:sector "aerospaziale" ;
    aero:confidence 0.7 ; prov:wasDerivedFrom ex:ev .
ex:amount a schema:MonetaryAmount ;
    schema:value "9000000"^^xsd:decimal ; schema:currency "EUR" .

ex:quote a schema:Quotation ;
    schema:text "Il tempo è giusto" ;
    schema:spokenByCharacter <https://w3id.org/aerokg/id/person/angelo-vallerani> ;
    aero:confidence 0.9 ; prov:wasDerivedFrom ex:ev .

<https://w3id.org/aerokg/id/org/aerea-spa> org:memberOf
    <https://w3id.org/aerokg/id/org/lombardia-aerospace-cluster> .
ex:statement a rdf:Statement ;
    rdf:subject <https://w3id.org/aerokg/id/org/aerea-spa> ;
    rdf:predicate org:memberOf ;
    rdf:object <https://w3id.org/aerokg/id/org/lombardia-aerospace-cluster> ;
    aero:confidence 0.8 ; prov:wasDerivedFrom ex:ev .

ex:ev a oa:SpecificResource ;
    oa:hasSource <https://w3id.org/aerokg/article/t> ;
    oa:hasSelector ex:pos , ex:quo .
ex:pos a oa:TextPositionSelector ;
    oa:start "10"^^xsd:nonNegativeInteger ; oa:end "27"^^xsd:nonNegativeInteger .
ex:quo a oa:TextQuoteSelector ; oa:exact "Il tempo è giusto" .
"""

EX = "https://w3id.org/aerokg/fact/t/"


def ex(local: str) -> URIRef:
    return URIRef(EX + local)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_PATH, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_PATH, format="turtle")


def good_graph() -> Graph:
    return Graph().parse(data=GOOD, format="turtle")


def violations(data: Graph, shapes: Graph) -> set[tuple]:
    conforms, report, text = validate(data, shacl_graph=shapes, inference="none")
    found = {
        (
            report.value(r, SH.focusNode),
            report.value(r, SH.resultPath),
            report.value(r, SH.sourceConstraintComponent),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    assert conforms == (not found), text
    return found


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY_PATH, SHAPES_PATH], ids=lambda p: p.name)
def test_parses_with_rdflib_and_pyoxigraph_alike(path):
    graph = Graph().parse(path, format="turtle")
    assert len(graph) > 50
    with open(path, "rb") as fh:
        oxi = list(pyoxigraph.parse(fh, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(oxi) == len(graph)


@pytest.mark.parametrize("path", [ONTOLOGY_PATH, SHAPES_PATH], ids=lambda p: p.name)
def test_turtle_round_trip_is_isomorphic(path):
    graph = Graph().parse(path, format="turtle")
    again = Graph().parse(data=graph.serialize(format="turtle"), format="turtle")
    assert isomorphic(graph, again)


def test_ontology_header(ontology):
    onto = URIRef("https://w3id.org/aerokg/ontology")
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(onto, OWL.versionInfo) is not None
    assert (onto, URIRef("http://purl.org/dc/terms/license"),
            URIRef("https://creativecommons.org/licenses/by/4.0/")) in ontology
    langs = {o.language for o in ontology.objects(onto, RDFS.comment)}
    assert {"it", "en"} <= langs


# --- AERO matches the ontology ---------------------------------------------------------------


def aero_terms_defined(ontology: Graph) -> set[URIRef]:
    ns = str(AERO._NS)
    return {s for s in ontology.subjects() if isinstance(s, URIRef) and s.startswith(ns)}


def test_every_aero_term_in_the_namespace_is_defined_with_labels_in_it_and_en(ontology):
    declared = {AERO[name] for name in AERO.__annotations__}
    assert declared, "AERO declares no terms"
    for term in sorted(declared):
        for prop in (RDFS.label, RDFS.comment):
            langs = {o.language for o in ontology.objects(term, prop)}
            assert {"it", "en"} <= langs, f"{term} lacks {prop} @it/@en"


def test_every_aero_term_of_the_ontology_is_in_the_namespace(ontology):
    declared = {AERO[name] for name in AERO.__annotations__}
    assert aero_terms_defined(ontology) == declared


def test_closed_namespaces_reject_typos():
    assert AERO.Cluster == URIRef("https://w3id.org/aerokg/ontology#Cluster")
    with pytest.raises(AttributeError):
        AERO.Clusterr  # noqa: B018
    with pytest.raises(AttributeError):
        OA.hasSelecter  # noqa: B018


def test_every_class_reaches_a_top_type(ontology):
    classes = {c for c in aero_terms_defined(ontology) if (c, RDF.type, OWL.Class) in ontology}
    assert len(classes) == 25
    for cls in classes - HELPER_CLASSES:
        supers = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert len(supers & TOP_TYPES) == 1, f"{cls} reaches {supers & TOP_TYPES}"
    for cls in HELPER_CLASSES:
        assert not set(ontology.transitive_objects(cls, RDFS.subClassOf)) & TOP_TYPES


def test_properties_are_typed(ontology):
    kinds = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    for term in aero_terms_defined(ontology):
        if term.split("#")[1][0].islower():
            assert set(ontology.objects(term, RDF.type)) & kinds, term
    assert (AERO.partnerOf, RDF.type, OWL.SymmetricProperty) in ontology
    for prop in (AERO.visitor, AERO.host, AERO.speaker):
        assert SDO.attendee in set(ontology.transitive_objects(prop, RDFS.subPropertyOf))


def test_event_types_scheme_covers_every_event_class(ontology):
    event_classes = {
        c for c in aero_terms_defined(ontology)
        if SDO.Event in set(ontology.transitive_objects(c, RDFS.subClassOf))
    }
    linked = set(ontology.objects(None, AERO.eventClass))
    assert linked == event_classes
    for concept in ontology.subjects(AERO.eventClass, None):
        assert (concept, SKOS.inScheme, AERO.EventTypes) in ontology
        langs = {o.language for o in ontology.objects(concept, SKOS.prefLabel)}
        assert langs == {"it", "en"}
    alts = {str(o) for o in ontology.objects(None, SKOS.altLabel)}
    assert {"tavola rotonda", "convegno", "salone", "riunione"} <= alts


def test_role_concepts_use_the_role_iri_pattern(ontology):
    roles = set(ontology.subjects(SKOS.inScheme, AERO.Roles))
    assert role_iri("amministratore delegato") in roles
    for role in roles:
        [it] = [o for o in ontology.objects(role, SKOS.prefLabel) if o.language == "it"]
        assert role == role_iri(str(it))
        assert str(it) == str(it).lower()


def test_iri_helpers():
    assert slugify("Suzanne M. Benoît") == "suzanne-m.-beno%C3%AEt"
    assert slugify("  Amministratore   Delegato ") == "amministratore-delegato"
    assert str(entity_iri("org/lombardia-aerospace-cluster")) == (
        "https://w3id.org/aerokg/id/org/lombardia-aerospace-cluster"
    )
    with pytest.raises(ValueError):
        entity_iri("company/aerea-spa")
    assert str(article_iri("seed-article")) == "https://w3id.org/aerokg/article/seed-article"
    assert str(evidence_iri("seed-article", 503, 786)).endswith("/evidence/seed-article/503-786")
    with pytest.raises(ValueError):
        evidence_iri("seed-article", 9, 3)
    assert fact_iri("a", "membership", "x", "y") == fact_iri("a", "membership", "x", "y")
    assert fact_iri("a", "membership", "x", "y") != fact_iri("a", "membership", "y", "x")


# --- shapes ----------------------------------------------------------------------------------


def test_shapes_are_valid_shacl_and_accept_a_good_graph(shapes):
    conforms, _, text = validate(good_graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_broken_graph_has_exactly_the_expected_violations(shapes):
    data = good_graph()
    data.remove((ex("membership"), ORG.role, None))  # membership without role
    data.set((ex("amount"), SDO.currency, Literal("euro")))  # not ISO 4217
    data.set((ex("quote"), AERO.confidence, Literal("1.5", datatype=XSD.decimal)))
    data.remove((ex("flow"), PROV.wasDerivedFrom, None))  # trade flow without evidence
    assert violations(data, shapes) == {
        (ex("membership"), ORG.role, SH.MinCountConstraintComponent),
        (ex("amount"), SDO.currency, SH.PatternConstraintComponent),
        (ex("quote"), AERO.confidence, SH.MaxInclusiveConstraintComponent),
        (ex("flow"), PROV.wasDerivedFrom, SH.MinCountConstraintComponent),
    }


def _apply(graph: Graph, set: list = (), add: list = ()) -> None:  # noqa: A002
    for triple in set:
        graph.set(triple)
    for triple in add:
        graph.add(triple)


SINGLE_DEFECTS = {
    "confidence as double": (
        lambda g: g.set((ex("statement"), AERO.confidence, Literal(0.8))),
        (ex("statement"), AERO.confidence, SH.DatatypeConstraintComponent),
    ),
    "start after end": (
        lambda g: g.set((ex("pos"), OA.start, Literal(30, datatype=XSD.nonNegativeInteger))),
        {
            (ex("pos"), OA.start, SH.LessThanOrEqualsConstraintComponent),
            (ex("ev"), None, SH.SPARQLConstraintComponent),  # quote no longer fits the span
        },
    ),
    "offsets as xsd:integer": (
        lambda g: g.set((ex("pos"), OA.end, Literal(27))),
        (ex("pos"), OA.end, SH.DatatypeConstraintComponent),
    ),
    "quote longer than the span": (
        lambda g: g.set((ex("quo"), OA.exact, Literal("Il tempo è giusto."))),
        (ex("ev"), None, SH.SPARQLConstraintComponent),
    ),
    "evidence without quote selector": (
        lambda g: g.remove((ex("ev"), OA.hasSelector, ex("quo"))),
        (ex("ev"), OA.hasSelector, SH.QualifiedMinCountConstraintComponent),
    ),
    "reified triple not asserted": (
        lambda g: g.remove((None, ORG.memberOf, None)),
        (ex("statement"), None, SH.SPARQLConstraintComponent),
    ),
    "reified predicate not a fact property": (
        lambda g: _apply(
            g,
            set=[(ex("statement"), RDF.predicate, RDFS.seeAlso)],
            add=[(entity_iri("org/aerea-spa"), RDFS.seeAlso,
                  entity_iri("org/lombardia-aerospace-cluster"))],
        ),
        (ex("statement"), RDF.predicate, SH.InConstraintComponent),
    ),
    "role outside aero:Roles": (
        lambda g: g.remove((role_iri("presidente"), SKOS.inScheme, None)),
        (role_iri("presidente"), SKOS.inScheme, SH.HasValueConstraintComponent),
    ),
    "member not a person": (
        lambda g: g.set((ex("membership"), ORG.member, entity_iri("org/aerea-spa"))),
        (ex("membership"), ORG.member, SH.ClassConstraintComponent),
    ),
    "two preferred labels": (
        lambda g: g.add((entity_iri("person/angelo-vallerani"), SKOS.prefLabel,
                         Literal("Vallerani"))),
        (entity_iri("person/angelo-vallerani"), SKOS.prefLabel, SH.MaxCountConstraintComponent),
    ),
    "language-tagged preferred label": (
        lambda g: g.set((entity_iri("place/canada"), SKOS.prefLabel, Literal("Canada", lang="it"))),
        (entity_iri("place/canada"), SKOS.prefLabel, SH.DatatypeConstraintComponent),
    ),
    "year as a string": (
        lambda g: g.set((ex("flow"), AERO.year, Literal("2016"))),
        (ex("flow"), AERO.year, SH.DatatypeConstraintComponent),
    ),
    "quotation without speaker": (
        lambda g: g.remove((ex("quote"), SDO.spokenByCharacter, None)),
        (ex("quote"), SDO.spokenByCharacter, SH.MinCountConstraintComponent),
    ),
    "article without identifier": (
        lambda g: g.remove((article_iri("t"), URIRef("http://purl.org/dc/terms/identifier"), None)),
        (article_iri("t"), URIRef("http://purl.org/dc/terms/identifier"),
         SH.MinCountConstraintComponent),
    ),
    "event with a free-text date": (
        lambda g: _apply(
            g,
            add=[
                (ex("seminar"), RDF.type, AERO.Seminar),
                (ex("seminar"), SKOS.prefLabel, Literal("seminario")),
                (ex("seminar"), AERO.confidence, Literal("0.9", datatype=XSD.decimal)),
                (ex("seminar"), PROV.wasDerivedFrom, ex("ev")),
                (ex("seminar"), SDO.startDate, Literal("novembre 2017")),
            ],
        ),
        (ex("seminar"), SDO.startDate, SH.OrConstraintComponent),
    ),
}


@pytest.mark.parametrize("name", sorted(SINGLE_DEFECTS))
def test_each_defect_is_reported_once_where_it_is(shapes, name):
    damage, expected = SINGLE_DEFECTS[name]
    data = good_graph()
    damage(data)
    assert violations(data, shapes) == (expected if isinstance(expected, set) else {expected})


def test_minted_role_concepts_are_accepted(shapes):
    data = good_graph()
    minted = role_iri("capo progetto")
    data.set((ex("membership"), ORG.role, minted))
    data.add((minted, RDF.type, SKOS.Concept))
    data.add((minted, SKOS.inScheme, AERO.Roles))
    data.add((minted, SKOS.prefLabel, Literal("capo progetto", lang="it")))
    assert violations(data, shapes) == set()


def test_validation_needs_no_inference_for_subclasses(shapes):
    """An event typed only with its aero: class is still checked."""
    data = good_graph()
    data.add((ex("visit"), RDF.type, AERO.Visit))
    data.add((ex("visit"), SKOS.prefLabel, Literal("visita")))
    assert violations(data, shapes) == {
        (ex("visit"), AERO.confidence, SH.MinCountConstraintComponent),
        (ex("visit"), PROV.wasDerivedFrom, SH.MinCountConstraintComponent),
    }


# --- the README example ----------------------------------------------------------------------


def readme_trig() -> str:
    blocks = re.findall(r"```trig\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "README should hold exactly one TriG example"
    return blocks[0]


def readme_example() -> Dataset:
    return Dataset(default_union=True).parse(data=readme_trig(), format="trig")


def test_readme_example_parses_with_pyoxigraph_alike():
    quads = list(pyoxigraph.parse(readme_trig().encode("utf-8"), format=pyoxigraph.RdfFormat.TRIG))
    assert len(quads) == len(readme_example())


def test_readme_example_conforms_graph_by_graph(shapes):
    dataset = readme_example()
    graphs = [g for g in dataset.graphs() if len(g)]
    assert len(graphs) == 2  # the default graph (run) and the article graph
    for graph in graphs:
        plain = Graph()
        for triple in graph:
            plain.add(triple)
        assert violations(plain, shapes) == set(), graph.identifier


def test_readme_example_offsets_select_the_sentence_in_article_text():
    corpus = pytest.importorskip("pipeline.corpus")
    [article] = [a for a in corpus.read_file(REPO / "corpus" / "seed-article.txt")]
    assert article.id == "seed-article"
    dataset = readme_example()
    selectors = list(dataset.subjects(RDF.type, OA.TextPositionSelector))
    assert selectors
    for position in selectors:
        evidence = next(dataset.subjects(OA.hasSelector, position))
        quote = next(
            q for q in dataset.objects(evidence, OA.hasSelector)
            if (q, RDF.type, OA.TextQuoteSelector) in dataset
        )
        start = dataset.value(position, OA.start).toPython()
        end = dataset.value(position, OA.end).toPython()
        assert article.text[start:end] == str(dataset.value(quote, OA.exact))
        assert evidence == evidence_iri(article.id, start, end)
    # the example's IRIs are what the helpers mint
    membership = next(dataset.subjects(RDF.type, ORG.Membership))
    person = dataset.value(membership, ORG.member)
    role = dataset.value(membership, ORG.role)
    org = dataset.value(membership, ORG.organization)
    assert membership == fact_iri(article.id, "membership", person, role, org)
    quotation = next(dataset.subjects(RDF.type, SDO.Quotation))
    text = dataset.value(quotation, SDO.text)
    assert quotation == fact_iri(article.id, "quotation", person, text)
    assert str(text) in article.text


def test_bnode_free_ontology_apart_from_class_expressions(ontology):
    """Blank nodes only for owl:unionOf class expressions and their RDF lists."""
    for s in ontology.subjects():
        if isinstance(s, BNode):
            assert (s, RDF.type, OWL.Class) in ontology or (s, RDF.first, None) in ontology


# --- the gold answers use only classes and roles the model has -------------------------------


def test_gold_classes_and_participant_roles_exist(ontology):
    if not GOLD.is_file():
        pytest.skip(f"no gold file at {GOLD}")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    local_names = {
        str(c).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        for c in ontology.subjects(RDF.type, OWL.Class)
        if isinstance(c, URIRef)
    }
    tops = {"Person": SDO.Person, "Organization": ORG.Organization, "Place": SDO.Place,
            "Event": SDO.Event}
    for row in gold["entities"]:
        assert row["class"] in local_names, row
        assert row["type"] in tops, row
        for cls in ontology.subjects(RDF.type, OWL.Class):
            if isinstance(cls, URIRef) and str(cls).endswith(("#" + row["class"],
                                                              "/" + row["class"])):
                supers = set(ontology.transitive_objects(cls, RDFS.subClassOf))
                assert tops[row["type"]] in supers, row
    roles = {row["role"] for row in gold["event_participants"]}
    assert roles <= {"organizer", "sponsor", "participant", "visitor", "host", "speaker"}
    gold_roles = {row["role"] for row in gold["roles"]}
    assert {role_iri(r) for r in gold_roles} <= set(ontology.subjects(SKOS.inScheme, AERO.Roles))
