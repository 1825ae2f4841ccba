"""The query edge: every named competency query on a small hand-built graph (exact rows), the
CSV headers of the spec, and the errors for unknown names, broken .rq files and missing output.

The graph is built with rdflib as ontologies/README.md lays it out: one named graph per article
(the schema:NewsArticle, the entities with both rdf:types and labels, the facts, reified binary
facts, evidence), the run's provenance in the default graph; serialised to OUT_DIR/graph.trig.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from conftest import SPEC_COLUMNS
from rdflib import BNode, Dataset, Literal

from pipeline.mapping import vocab as V  # SDO, XSD: module attributes, not test-module names
from pipeline.mapping.vocab import (
    AERO,
    DCTERMS,
    OA,
    ORG,
    PROV,
    RDF,
    RDFS,
    RUN_BASE,
    SKOS,
    SOFTWARE_BASE,
    URIRef,
    article_iri,
    entity_iri,
    evidence_iri,
    fact_iri,
    graph_iri,
    role_iri,
)
from pipeline.query import QueryError, format_rows, load_output, named_queries, run_query
from pipeline.query.run import QUESTIONS

A1 = "seed-article"
A2 = "Articolo 2"  # percent-encoded in IRIs; the `article` column is the dcterms:identifier

Q1 = "Il Québec rappresenta un’eccellenza a livello mondiale"
Q2 = "La regione Lombardia è il partner naturale del Québec"
SEMINAR = "seminario International Cooperation between Aerospace Clusters"
VISIT = "visita alle aziende del Lombardia Aerospace Cluster"


# ---------------------------------------------------------------------------------------------
# A hand-built graph
# ---------------------------------------------------------------------------------------------


class Article:
    """Writes one article's named graph the way ontologies/README.md describes it."""

    def __init__(self, ds: Dataset, article_id: str, run: URIRef):
        self.id = article_id
        self.iri = article_iri(article_id)
        self.g = ds.graph(graph_iri(article_id))
        self.g.add((self.iri, RDF.type, V.SDO.NewsArticle))
        self.g.add((self.iri, DCTERMS.identifier, Literal(article_id)))
        self.g.add((self.iri, V.SDO.datePublished, Literal("2017-11", datatype=V.XSD.gYearMonth)))
        ds.add((graph_iri(article_id), RDF.type, PROV.Entity))
        ds.add((graph_iri(article_id), PROV.wasGeneratedBy, run))
        ds.add((graph_iri(article_id), PROV.wasDerivedFrom, self.iri))
        ds.add((run, PROV.used, self.iri))
        self.ev = evidence_iri(article_id, 0, 5)
        position, quote = URIRef(self.ev + "#position"), URIRef(self.ev + "#quote")
        self.g.add((self.ev, RDF.type, OA.SpecificResource))
        self.g.add((self.ev, OA.hasSource, self.iri))
        self.g.add((self.ev, OA.hasSelector, position))
        self.g.add((self.ev, OA.hasSelector, quote))
        self.g.add((position, RDF.type, OA.TextPositionSelector))
        self.g.add((position, OA.start, Literal(0, datatype=V.XSD.nonNegativeInteger)))
        self.g.add((position, OA.end, Literal(5, datatype=V.XSD.nonNegativeInteger)))
        self.g.add((quote, RDF.type, OA.TextQuoteSelector))
        self.g.add((quote, OA.exact, Literal("Testo")))

    def provenance(self, node, confidence: str = "0.9") -> None:
        self.g.add((node, AERO.confidence, Literal(Decimal(confidence))))
        self.g.add((node, PROV.wasDerivedFrom, self.ev))

    def entity(self, key: str, label: str, *types, alt: tuple[str, ...] = ()) -> URIRef:
        node = entity_iri(key)
        for cls in types:
            self.g.add((node, RDF.type, cls))
        self.g.add((node, SKOS.prefLabel, Literal(label)))
        self.g.add((node, RDFS.label, Literal(label)))
        for name in alt:
            self.g.add((node, SKOS.altLabel, Literal(name)))
        self.g.add((node, PROV.wasDerivedFrom, self.ev))
        return node

    def binary(self, s, p, o) -> None:
        """A binary fact: asserted and reified, the statement carrying the provenance."""
        self.g.add((s, p, o))
        statement = fact_iri(self.id, "statement", s, p, o)
        self.g.add((statement, RDF.type, RDF.Statement))
        self.g.add((statement, RDF.subject, s))
        self.g.add((statement, RDF.predicate, p))
        self.g.add((statement, RDF.object, o))
        self.provenance(statement, "0.8")

    def role(self, person, noun: str, organization=None, *, concept_in_graph=True) -> None:
        role = role_iri(noun)
        membership = fact_iri(self.id, "membership", person, role, organization or "")
        self.g.add((membership, RDF.type, ORG.Membership))
        self.g.add((membership, ORG.member, person))
        self.g.add((membership, ORG.role, role))
        if organization is not None:
            self.g.add((membership, ORG.organization, organization))
        self.provenance(membership, "0.85")
        if concept_in_graph:
            self.g.add((role, RDF.type, SKOS.Concept))
            self.g.add((role, SKOS.inScheme, AERO.Roles))
            self.g.add((role, SKOS.prefLabel, Literal(noun, lang="it")))

    def event(self, key, label, cls, place=None, date=None, datatype=V.XSD.gYearMonth) -> URIRef:
        node = self.entity(key, label, V.SDO.Event, cls)
        self.provenance(node)
        if place is not None:
            self.binary(node, V.SDO.location, place)
        if date is not None:
            self.g.add((node, V.SDO.startDate, Literal(date, datatype=datatype)))
        return node

    def trade(self, exporter, importer, value, year, sector=None) -> None:
        flow = fact_iri(self.id, "tradeflow", exporter, importer, value, year)
        amount = BNode()
        self.g.add((flow, RDF.type, AERO.TradeFlow))
        self.g.add((flow, AERO.exporter, exporter))
        self.g.add((flow, AERO.importer, importer))
        self.g.add((flow, AERO.tradeValue, amount))
        self.g.add((amount, RDF.type, V.SDO.MonetaryAmount))
        self.g.add((amount, V.SDO.value, Literal(Decimal(value))))
        self.g.add((amount, V.SDO.currency, Literal("EUR")))
        self.g.add((flow, AERO.year, Literal(year, datatype=V.XSD.gYear)))
        if sector is not None:
            self.g.add((flow, AERO.sector, Literal(sector)))
        self.provenance(flow)

    def quote(self, speaker, text: str) -> None:
        node = fact_iri(self.id, "quotation", speaker, text)
        self.g.add((node, RDF.type, V.SDO.Quotation))
        self.g.add((node, V.SDO.text, Literal(text)))
        self.g.add((node, V.SDO.spokenByCharacter, speaker))
        self.provenance(node)


def build_dataset() -> Dataset:
    ds = Dataset()
    run = URIRef(RUN_BASE + "20251125T203000Z")
    software = URIRef(SOFTWARE_BASE + "aerokg/0.1.0")
    ds.add((run, RDF.type, PROV.Activity))
    ds.add((run, PROV.wasAssociatedWith, software))
    ds.add((run, AERO.modelName, Literal("it_aerokg_news")))
    ds.add((run, AERO.modelVersion, Literal("0.1.0")))
    ds.add((software, RDF.type, PROV.SoftwareAgent))
    ds.add((software, V.SDO.softwareVersion, Literal("0.1.0")))

    a = Article(ds, A1, run)
    O, P = ORG.Organization, V.SDO.Place  # noqa: N806, E741
    vallerani = a.entity("person/angelo-vallerani", "Angelo Vallerani", V.SDO.Person,
                         alt=("Vallerani",))
    simone = a.entity("person/marianna-simone", "Marianna Simone", V.SDO.Person)
    rossi = a.entity("person/mario-rossi", "Mario Rossi", V.SDO.Person)
    lac = a.entity("org/lombardia-aerospace-cluster", "Lombardia Aerospace Cluster", O,
                   AERO.Cluster, alt=("LAC",))
    cam = a.entity("org/cluster-aero-montreal", "Cluster Aéro Montréal", O, AERO.Cluster)
    regione = a.entity("org/regione-lombardia", "Regione Lombardia", O, AERO.GovernmentBody)
    aerea = a.entity("org/aerea-spa", "Aerea spa", O, AERO.Company)
    leonardo = a.entity("org/leonardo", "Leonardo", O, AERO.Company)
    velivoli = a.entity("org/leonardo-divisione-velivoli", "Leonardo divisione velivoli", O,
                        ORG.OrganizationalUnit)
    delegazione = a.entity("org/delegazione-canadese", "delegazione canadese", O,
                           AERO.Delegation)
    quebec = a.entity("place/quebec", "Québec", P, AERO.Region, O)  # a place acting as a party
    canada = a.entity("place/canada", "Canada", P, AERO.Country)
    lombardia = a.entity("place/lombardia", "Lombardia", P, AERO.Region)
    turate = a.entity("place/turate", "Turate", P, AERO.City)
    milano = a.entity("place/milano", "Milano", P, AERO.City)
    pirelli = a.entity("place/palazzo-pirelli", "Palazzo Pirelli", P, AERO.Facility)
    # only the finest class asserted: the top type follows from the ontology
    venegono = a.entity("place/venegono-superiore", "Venegono Superiore", AERO.City)

    seminar = a.event("event/seminario", SEMINAR, AERO.Seminar, place=pirelli, date="2017-11")
    visit = a.event("event/visita", VISIT, AERO.Visit, date="2017-11")
    table = a.event("event/tavola-rotonda", "tavola rotonda", AERO.Meeting)

    a.role(vallerani, "presidente", lac)
    a.role(simone, "delegato", quebec)
    a.role(rossi, "portavoce", concept_in_graph=False)  # no org; label from the ontology

    a.binary(aerea, V.SDO.location, turate)
    a.binary(velivoli, V.SDO.location, venegono)
    a.binary(pirelli, V.SDO.containedInPlace, milano)
    a.binary(quebec, V.SDO.containedInPlace, canada)

    a.binary(seminar, V.SDO.organizer, regione)
    a.binary(seminar, V.SDO.organizer, quebec)
    a.binary(seminar, V.SDO.sponsor, lac)
    a.binary(seminar, V.SDO.sponsor, cam)
    a.binary(seminar, AERO.speaker, vallerani)
    a.binary(visit, AERO.visitor, delegazione)
    a.binary(visit, AERO.host, aerea)
    a.binary(table, AERO.participant, leonardo)
    a.g.add((visit, V.SDO.attendee, cam))  # never written by the pipeline; not read

    a.trade(lombardia, canada, "9000000.00", "2016", "aerospaziale")
    a.trade(canada, lombardia, "33000000", "2016")  # no sector

    a.binary(aerea, ORG.memberOf, lac)
    a.binary(leonardo, ORG.memberOf, lac)

    a.binary(regione, AERO.partnerOf, quebec)  # one direction, as the pipeline writes it
    a.binary(lac, AERO.partnerOf, cam)  # both directions: still one row
    a.binary(cam, AERO.partnerOf, lac)

    a.quote(vallerani, Q1)
    a.quote(simone, Q2)

    # A second article: the same cluster under the fullest name seen there.
    b = Article(ds, A2, run)
    lac2 = b.entity("org/lombardia-aerospace-cluster", "Distretto Aerospaziale Lombardo", O,
                    AERO.Cluster)
    leonardo2 = b.entity("org/leonardo", "Leonardo", O, AERO.Company)
    italia = b.entity("place/italia", "Italia", P, AERO.Country)
    canada2 = b.entity("place/canada", "Canada", P, AERO.Country)
    b.binary(leonardo2, ORG.memberOf, lac2)
    b.trade(italia, canada2, "2500000.50", "2015", "aerospaziale")
    b.event("event/salone", "Salone di Farnborough", AERO.Fair, date="2016-07-11",
            datatype=V.XSD.date)
    return ds


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    build_dataset().serialize(destination=str(out / "graph.trig"), format="trig")
    return out


@pytest.fixture(scope="module")
def store(out_dir):
    return load_output(out_dir)


# ---------------------------------------------------------------------------------------------
# Every named query: exact rows
# ---------------------------------------------------------------------------------------------

EXPECTED = {
    "entities": [
        ("Aerea spa", "Organization", "Company", A1),
        ("Angelo Vallerani", "Person", "Person", A1),
        ("Canada", "Place", "Country", A2),
        ("Canada", "Place", "Country", A1),
        ("Cluster Aéro Montréal", "Organization", "Cluster", A1),
        ("Distretto Aerospaziale Lombardo", "Organization", "Cluster", A2),
        ("Italia", "Place", "Country", A2),
        ("Leonardo", "Organization", "Company", A2),
        ("Leonardo", "Organization", "Company", A1),
        ("Leonardo divisione velivoli", "Organization", "OrganizationalUnit", A1),
        ("Lombardia", "Place", "Region", A1),
        ("Lombardia Aerospace Cluster", "Organization", "Cluster", A1),
        ("Marianna Simone", "Person", "Person", A1),
        ("Mario Rossi", "Person", "Person", A1),
        ("Milano", "Place", "City", A1),
        ("Palazzo Pirelli", "Place", "Facility", A1),
        ("Québec", "Organization", "Organization", A1),
        ("Québec", "Place", "Region", A1),
        ("Regione Lombardia", "Organization", "GovernmentBody", A1),
        ("Salone di Farnborough", "Event", "Fair", A2),
        ("Turate", "Place", "City", A1),
        ("Venegono Superiore", "Place", "City", A1),
        ("delegazione canadese", "Organization", "Delegation", A1),
        (SEMINAR, "Event", "Seminar", A1),
        ("tavola rotonda", "Event", "Meeting", A1),
        (VISIT, "Event", "Visit", A1),
    ],
    "roles": [
        ("Angelo Vallerani", "presidente", "Lombardia Aerospace Cluster", A1),
        ("Marianna Simone", "delegato", "Québec", A1),
        ("Mario Rossi", "portavoce", "", A1),
    ],
    "locations": [
        ("Aerea spa", "Turate", A1),
        ("Leonardo divisione velivoli", "Venegono Superiore", A1),
        ("Palazzo Pirelli", "Milano", A1),
        ("Québec", "Canada", A1),
        (SEMINAR, "Palazzo Pirelli", A1),
    ],
    "events": [
        ("Salone di Farnborough", "Fair", "", "2016-07-11", A2),
        (SEMINAR, "Seminar", "Palazzo Pirelli", "2017-11", A1),
        ("tavola rotonda", "Meeting", "", "", A1),
        (VISIT, "Visit", "", "2017-11", A1),
    ],
    "event_participants": [
        (SEMINAR, "Angelo Vallerani", "speaker", A1),
        (SEMINAR, "Cluster Aéro Montréal", "sponsor", A1),
        (SEMINAR, "Lombardia Aerospace Cluster", "sponsor", A1),
        (SEMINAR, "Québec", "organizer", A1),
        (SEMINAR, "Regione Lombardia", "organizer", A1),
        ("tavola rotonda", "Leonardo", "participant", A1),
        (VISIT, "Aerea spa", "host", A1),
        (VISIT, "delegazione canadese", "visitor", A1),
    ],
    "trade_flows": [
        ("Canada", "Lombardia", "33000000", "EUR", "2016", "", A1),
        ("Italia", "Canada", "2500000.5", "EUR", "2015", "aerospaziale", A2),
        ("Lombardia", "Canada", "9000000", "EUR", "2016", "aerospaziale", A1),
    ],
    "memberships": [
        ("Aerea spa", "Lombardia Aerospace Cluster", A1),
        ("Leonardo", "Distretto Aerospaziale Lombardo", A2),
        ("Leonardo", "Lombardia Aerospace Cluster", A1),
    ],
    "partnerships": [
        ("Cluster Aéro Montréal", "Lombardia Aerospace Cluster", A1),
        ("Québec", "Regione Lombardia", A1),
    ],
    "quotes": [
        ("Angelo Vallerani", Q1, A1),
        ("Marianna Simone", Q2, A1),
    ],
}


def test_every_question_has_a_named_query():
    assert list(named_queries()) == list(QUESTIONS) == list(SPEC_COLUMNS) == list(EXPECTED)


@pytest.mark.parametrize("name", QUESTIONS)
def test_named_query_rows(store, name):
    columns, rows = run_query(store, name)
    assert columns == SPEC_COLUMNS[name]
    assert rows == EXPECTED[name]
    assert rows == sorted(rows)  # ORDER BY all columns, code point order
    assert len(set(rows)) == len(rows)  # DISTINCT


@pytest.mark.parametrize("name", QUESTIONS)
def test_named_query_starts_with_a_comment_block(name):
    text = named_queries()[name]
    head = text.splitlines()[:3]
    assert all(line.startswith("#") for line in head)
    assert f"`{name}`" in head[0]
    assert "Columns: " + ", ".join(SPEC_COLUMNS[name]) in text
    assert "Example row:" in text


def test_run_query_loads_an_output_directory(out_dir):
    assert run_query(out_dir, "quotes") == (SPEC_COLUMNS["quotes"], EXPECTED["quotes"])
    assert run_query(str(out_dir), "memberships")[1] == EXPECTED["memberships"]


def test_readme_example_answers_roles_and_quotes(tmp_path):
    """The worked example of ontologies/README.md, as it is, answers its two questions."""
    import re

    from pipeline.mapping.vocab import ONTOLOGIES_DIR

    readme = (ONTOLOGIES_DIR / "README.md").read_text(encoding="utf-8")
    trig = re.search(r"```trig\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "graph.trig").write_text(trig, encoding="utf-8")
    store = load_output(tmp_path)
    assert run_query(store, "roles")[1] == [
        ("Angelo Vallerani", "presidente", "Lombardia Aerospace Cluster", "seed-article")
    ]
    assert [row[0] for row in run_query(store, "quotes")[1]] == ["Angelo Vallerani"]
    assert run_query(store, "entities")[1] == [
        ("Angelo Vallerani", "Person", "Person", "seed-article"),
        ("Lombardia Aerospace Cluster", "Organization", "Cluster", "seed-article"),
    ]


# ---------------------------------------------------------------------------------------------
# Output formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", QUESTIONS)
def test_csv_has_exactly_the_spec_header(store, name):
    text = format_rows(*run_query(store, name), "csv")
    assert text.splitlines()[0] == ",".join(SPEC_COLUMNS[name])
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == SPEC_COLUMNS[name]
    assert [tuple(row) for row in parsed[1:]] == EXPECTED[name]


def test_csv_quotes_commas_and_keeps_empty_cells():
    text = format_rows(["a", "b"], [("x, y", ""), ('say "hi"', "z")], "csv")
    assert text == 'a,b\n"x, y",\n"say ""hi""",z\n'


def test_other_formats(store):
    columns, rows = run_query(store, "roles")
    objects = json.loads(format_rows(columns, rows, "json"))
    assert objects[2] == {"person": "Mario Rossi", "role": "portavoce", "organization": "",
                          "article": A1}
    tsv = format_rows(columns, rows, "tsv").splitlines()
    assert tsv[0] == "person\trole\torganization\tarticle"
    assert tsv[3] == f"Mario Rossi\tportavoce\t\t{A1}"
    assert format_rows(["a"], [("x\ty\nz",)], "tsv") == "a\nx\\ty\\nz\n"
    table = format_rows(columns, rows, "table").splitlines()
    assert table[0].split() == columns
    assert table[2].startswith("Angelo Vallerani  presidente  Lombardia Aerospace Cluster  ")
    assert len({line.index("presidente") for line in table[2:3]} | {table[0].index("role")}) == 1
    assert format_rows(["a", "b"], [], "json") == "[]\n"
    with pytest.raises(QueryError, match="table, csv, tsv, json"):
        format_rows(columns, rows, "xml")


# ---------------------------------------------------------------------------------------------
# Custom queries and errors
# ---------------------------------------------------------------------------------------------


def test_unknown_name_lists_the_named_queries(store):
    with pytest.raises(QueryError) as err:
        run_query(store, "role")
    message = str(err.value)
    assert "unknown query 'role'" in message
    assert all(name in message for name in QUESTIONS)


def test_custom_rq_file(store, tmp_path):
    path = tmp_path / "articles.rq"
    path.write_text(
        "PREFIX schema: <https://schema.org/>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?id (COUNT(?s) AS ?n) WHERE { GRAPH ?g { ?a a schema:NewsArticle ;"
        " dcterms:identifier ?id . ?s a ?t } } GROUP BY ?id ORDER BY ?id\n",
        encoding="utf-8",
    )
    columns, rows = run_query(store, path)
    assert columns == ["id", "n"]
    assert [row[0] for row in rows] == [A2, A1]
    assert all(int(row[1]) > 0 for row in rows)
    assert run_query(store, str(path)) == (columns, rows)


def test_custom_query_sees_run_and_ontology_in_default_graph(store, tmp_path):
    path = tmp_path / "run.rq"
    path.write_text(
        "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?run ?super WHERE { ?run a prov:Activity . "
        "<https://w3id.org/aerokg/ontology#Cluster> rdfs:subClassOf ?super }",
        encoding="utf-8",
    )
    assert run_query(store, path)[1] == [
        (RUN_BASE + "20251125T203000Z", "http://www.w3.org/ns/org#OrganizationalCollaboration")
    ]


def test_broken_rq_file_names_the_file(store, tmp_path):
    path = tmp_path / "broken.rq"
    path.write_text("SELECT ?x WHERE { ?x ?p }", encoding="utf-8")
    with pytest.raises(QueryError, match=r"broken\.rq: SPARQL syntax error"):
        run_query(store, path)


def test_non_select_query_is_refused(store, tmp_path):
    path = tmp_path / "ask.rq"
    path.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    with pytest.raises(QueryError, match="ASK query gives no table"):
        run_query(store, path)


def test_missing_rq_file(store, tmp_path):
    with pytest.raises(QueryError, match="query file not found"):
        run_query(store, tmp_path / "nope.rq")


def test_missing_out_dir(tmp_path):
    with pytest.raises(QueryError, match="output directory not found"):
        load_output(tmp_path / "missing")
    with pytest.raises(QueryError, match="output directory not found"):
        run_query(tmp_path / "missing", "roles")


def test_out_dir_without_graph(tmp_path):
    with pytest.raises(QueryError, match="expected graph.trig or graph.ttl"):
        run_query(tmp_path, "roles")


def test_graph_that_does_not_parse(tmp_path):
    (tmp_path / "graph.trig").write_text("<urn:a> { <urn:s> <urn:p> . }", encoding="utf-8")
    with pytest.raises(QueryError, match=r"graph\.trig: not valid TriG"):
        load_output(tmp_path)


def test_turtle_fallback_with_one_article(tmp_path):
    ds = build_dataset()
    (tmp_path / "graph.ttl").write_text(
        ds.graph(graph_iri(A2)).serialize(format="turtle"), encoding="utf-8"
    )
    assert run_query(tmp_path, "memberships")[1] == [
        ("Leonardo", "Distretto Aerospaziale Lombardo", A2)
    ]


def test_turtle_fallback_with_several_articles_is_refused(tmp_path):
    ds = build_dataset()
    union = ds.graph(graph_iri(A1)) + ds.graph(graph_iri(A2))
    (tmp_path / "graph.ttl").write_text(union.serialize(format="turtle"), encoding="utf-8")
    with pytest.raises(QueryError, match="one named graph per article"):
        load_output(tmp_path)
