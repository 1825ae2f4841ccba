"""Safety of what aerokg emits (issue 4, item 5): whatever an article's text, names and id
hold, the IRIs and literals are valid, every output file re-parses, SHACL passes, SPARQL run
by `aerokg query` binds user values instead of pasting them into the query, and no output
leaves OUT_DIR.

Each case builds a :class:`Document` by hand (no spaCy), pushes it through the mapping stage
(``resolve_entities`` -> ``add_article`` -> ``add_run``) and the export stage (``export_all``)
and checks every output with :func:`check_outputs` (also used by tests/test_properties.py).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph, Literal, URIRef

import pipeline.query.run as query_run
from pipeline.cli import cli
from pipeline.corpus import Article
from pipeline.datamodel import Document, Evidence, Mention, Relation, RelationKind
from pipeline.export.cytoscape import write_cyjs
from pipeline.export.gexf import write_gexf
from pipeline.export.graphml import write_graphml
from pipeline.export.property_graph import LABEL_MAX_CHARS, to_property_graph, xml_safe_graph
from pipeline.export.writer import export_all
from pipeline.mapping.entities import resolve_entities
from pipeline.mapping.identity import entity_key
from pipeline.mapping.rdf import RunInfo, add_article, add_run, new_dataset, run_fingerprint
from pipeline.mapping.vocab import (
    MAX_SLUG_CHARS,
    ORG,
    RDF,
    SCHEMA,
    SKOS,
    article_iri,
    entity_iri,
    graph_iri,
    iri_segment,
    path_inside,
    role_iri,
    safe_file_name,
    slugify,
)
from pipeline.query.run import QueryError, parse_params, run_query
from pipeline.validate import validate_output

# ---------------------------------------------------------------------------------------------
# What "valid" means
# ---------------------------------------------------------------------------------------------

#: Characters RFC 3987 forbids anywhere in an IRI: space and controls, the delimiters
#: <>"{}|\^`, and the bidi formatting characters (section 4.1).
_BAD_IRI_CHARS = re.compile(
    r'[\x00-\x20<>"{}|\\^`\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff'
    r"\ud800-\udfff]"
)
#: What no XML 1.0 document may contain, so no literal or graph attribute either.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
MAX_IRI_CHARS = 400


def assert_valid_iri(iri: str) -> None:
    assert re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri), f"not absolute: {iri!r}"
    assert not _BAD_IRI_CHARS.search(iri), f"forbidden character in IRI {iri!r}"
    assert "%" not in re.sub(r"%[0-9A-F]{2}", "", iri), f"bad percent-encoding: {iri!r}"
    pyoxigraph.NamedNode(iri)  # strict RFC 3987 parser: raises ValueError


def assert_valid_literal(literal: Literal) -> None:
    assert not _NOT_XML.search(str(literal)), f"not an XML character in {str(literal)[:80]!r}"


def check_dataset_terms(dataset: Dataset, minted_only: bool = True) -> None:
    """Every IRI valid (and, for the IRIs aerokg mints, of bounded length); every literal
    made of XML characters only."""
    for quad in dataset.quads((None, None, None, None)):
        for term in (*quad[:3], quad[3]):
            if isinstance(term, URIRef):
                assert_valid_iri(str(term))
                if minted_only and str(term).startswith("https://w3id.org/aerokg/"):
                    assert len(str(term)) <= MAX_IRI_CHARS, str(term)[:120]
            elif isinstance(term, Literal):
                assert_valid_literal(term)


def check_outputs(out_dir: Path, dataset: Dataset) -> dict[str, object]:
    """Every output file in ``out_dir`` re-parses (rdflib and pyoxigraph for the RDF, networkx
    for GraphML/GEXF, json for Cytoscape) and the graphs conform to the SHACL shapes. Returns
    what was parsed, for further checks."""
    check_dataset_terms(dataset)
    ttl, trig = out_dir / "graph.ttl", out_dir / "graph.trig"
    union = Graph().parse(ttl, format="turtle")
    assert len(union) == len({quad[:3] for quad in dataset.quads((None, None, None, None))})
    oxi = list(pyoxigraph.parse(path=str(ttl), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(oxi) == len(union)

    parsed = Dataset().parse(trig, format="trig")
    quads = len(list(dataset.quads((None, None, None, None))))
    assert len(list(parsed.quads((None, None, None, None)))) == quads
    store = pyoxigraph.Store()
    store.load(path=str(trig), format=pyoxigraph.RdfFormat.TRIG)
    assert len(store) == quads
    check_dataset_terms(parsed)

    graphml = nx.read_graphml(out_dir / "graph.graphml")
    gexf = nx.read_gexf(out_dir / "graph.gexf")
    cyjs = json.loads((out_dir / "graph.cyjs").read_text(encoding="utf-8"))
    assert graphml.number_of_nodes() == gexf.number_of_nodes() == len(cyjs["elements"]["nodes"])
    report = json.loads((out_dir / "run-report.json").read_text(encoding="utf-8"))

    validation = validate_output(out_dir)
    assert validation.conforms, "\n".join(g.text for g in validation.graphs if not g.conforms)
    return {"union": union, "trig": parsed, "graphml": graphml, "gexf": gexf, "cyjs": cyjs,
            "report": report}


# ---------------------------------------------------------------------------------------------
# A hand-built article around one name, one quote, one title and one id
# ---------------------------------------------------------------------------------------------


def build_document(name: str, quote: str = "Il tempo è giusto", article_id: str = "a1",
                   title: str = "Titolo", role: str = "presidente") -> Document:
    """``NAME, presidente di FIAT, ha visitato Roma. NAME ha detto: «QUOTE».`` with mentions
    and one relation of every kind."""
    first = f"{name}, {role} di FIAT, ha visitato Roma con Leonardo il 3 marzo."
    second = f"{name} ha detto: «{quote}». Il seminario di Roma è stato organizzato da FIAT."
    text = f"{first} {second}"
    s2 = len(first) + 1
    sentences = [Evidence(0, len(first), first), Evidence(s2, len(text), second)]

    def mention(surface: str, coarse: str, after: int = 0, **kw) -> Mention:
        start = text.index(surface, after)
        sentence = 0 if start < s2 else 1
        return Mention(start, start + len(surface), surface, coarse, sentence=sentence, **kw)

    person = mention(name, "Person")
    person2 = mention(name, "Person", s2)
    fiat = mention("FIAT", "Organization")
    roma = mention("Roma", "Place", cls="City")
    leonardo = mention("Leonardo", "Organization", cls="Company")
    seminar = mention("seminario", "Event", s2, cls="Seminar", source="rule")
    roma2 = mention("Roma", "Place", s2, cls="City")
    fiat2 = mention("FIAT", "Organization", s2)
    relations = [
        Relation(RelationKind.ROLE, {"person": person, "role": role, "organization": fiat},
                 0.85, sentences[0]),
        Relation(RelationKind.LOCATION, {"entity": fiat, "place": roma}, 0.8, sentences[0]),
        Relation(RelationKind.MEMBERSHIP, {"member": person, "organization": leonardo}, 0.7,
                 sentences[0]),
        Relation(RelationKind.PARTNERSHIP, {"party_a": fiat, "party_b": leonardo}, 0.6,
                 sentences[0]),
        Relation(RelationKind.TRADE_FLOW, {"exporter": fiat, "importer": leonardo,
                                           "value": "9000000", "currency": "EUR",
                                           "year": "2016", "sector": f"aerospazio {name}"},
                 0.5, sentences[0]),
        Relation(RelationKind.QUOTE, {"speaker": person2, "quote": quote}, 0.9, sentences[1]),
        Relation(RelationKind.EVENT, {"event": seminar, "place": roma2, "date": "2017-11"},
                 0.8, sentences[1]),
        Relation(RelationKind.PARTICIPATION, {"event": seminar, "participant": fiat2,
                                              "role": "organizer"}, 0.7, sentences[1]),
    ]
    article = Article(id=article_id, text=text, title=title, date="2017-11")
    mentions = [person, person2, fiat, roma, leonardo, seminar, roma2, fiat2]
    return Document(article, sentences, mentions, [], relations)


def map_and_export(documents: list[Document], out_dir: Path,
                   model_name: str = "tiny") -> tuple[Dataset, list[dict]]:
    dataset = new_dataset()
    counts = [add_article(dataset, doc, resolve_entities(doc)) for doc in documents]
    ids = tuple(sorted(doc.article.id for doc in documents))
    texts = [(doc.article.id, doc.article.text) for doc in documents]
    add_run(dataset, RunInfo("0.1.0", model_name, "0.0.1", ids,
                             run_fingerprint("0.1.0", "tiny", texts)))
    export_all(dataset, out_dir, {"articles": len(documents)})
    return dataset, counts


def labels_of(graph: Graph) -> set[str]:
    return {str(o) for o in graph.objects(None, SKOS.prefLabel)}


def run_case(tmp_path: Path, model_name: str = "tiny", **kw) -> tuple[Dataset, dict, list[dict]]:
    out = tmp_path / "out"
    dataset, counts = map_and_export([build_document(**kw)], out, model_name)
    assert counts[0]["relations_dropped"] == 0, counts
    return dataset, check_outputs(out, dataset), counts


# ---------------------------------------------------------------------------------------------
# One test per case of the issue
# ---------------------------------------------------------------------------------------------


def test_quotes(tmp_path):
    name = 'Mario "il Capo" D\'Amico'
    quote = 'Disse: "basta" e \'poi\' """ancora""" \\" fine"'
    _, parsed, _ = run_case(tmp_path, name=name, quote=quote, title='Il "titolo"""')
    assert name in labels_of(parsed["union"])
    assert any(str(o) == quote for o in parsed["union"].objects())
    assert any(d["label"] == name for _, d in parsed["graphml"].nodes(data=True))


def test_angle_brackets(tmp_path):
    name = "Mario <script>alert(1)</script> > <http://evil.example/> &amp; Rossi"
    quote = "]]> <![CDATA[ x ]]> </data></graphml> {\"a\": 1} <?xml ?>"
    dataset, parsed, _ = run_case(tmp_path, name=name, quote=quote, role="capo <b>")
    assert name in labels_of(parsed["union"])
    assert any(d["label"] == name for _, d in parsed["gexf"].nodes(data=True))
    assert any(n["data"]["name"] == name for n in parsed["cyjs"]["elements"]["nodes"])


def test_newlines(tmp_path):
    name = "Mario\nRossi"
    quote = "riga uno\nriga due\r\nriga tre\rfine\u2028\u2029\x85"
    _, parsed, _ = run_case(tmp_path, name=name, quote=quote, title="titolo\nsu due righe")
    quoted = quote.strip()  # the quote's own leading/trailing white space is not kept
    assert quoted.endswith("fine")
    assert any(str(o) == quoted for o in parsed["union"].objects())
    assert any(str(q[2]) == quoted for q in parsed["trig"].quads((None, None, None, None)))
    assert name in labels_of(parsed["union"])
    # the sentence holding the quote, line breaks and all, is evidence: verbatim
    assert any(quote in str(o) for o in parsed["union"].objects())


def test_control_characters(tmp_path):
    name = "Mario\x00\x01\x07\x1b[31m\x7f\x0b\x0c Rossi\ufffe\uffff"
    quote = "ciao\x00 mondo\x1f\x08 fine\t(tab)"
    dataset, parsed, _ = run_case(tmp_path, name=name, quote=quote, title="tit\x00olo",
                                  article_id="a\x00\x1b1", model_name="tiny\x00\x1b")
    labels = labels_of(parsed["union"])
    assert "Mario\x7f Rossi" not in labels  # the escape sequence lost only its ESC
    assert "Mario[31m\x7f Rossi" in labels
    # evidence and quotes keep their length (offsets still index the article) and tabs
    assert "ciao\ufffd mondo\ufffd\ufffd fine\t(tab)" in {str(o) for o in
                                                          parsed["union"].objects()}


def test_rtl_marks(tmp_path):
    name = "\u202eשלום\u202c محمد\u200f \u2067Rossi\u2069"
    quote = "\u202eمرحبا\u202c بالعالم\u200f"
    _, parsed, _ = run_case(tmp_path, name=name, quote=quote)
    labels = labels_of(parsed["union"])
    # names lose the embedding/override/isolate controls (display spoofing), keep RLM
    assert "שלום محمد\u200f Rossi" in labels
    # quoted text is evidence: verbatim
    assert any(str(o) == quote for o in parsed["union"].objects())


def test_emoji(tmp_path):
    name = "Mario 🚀 Rossi 👩‍🚀"
    quote = "Andiamo su Marte 🛰️🇮🇹 ✨"
    dataset, parsed, _ = run_case(tmp_path, name=name, quote=quote)
    assert name in labels_of(parsed["union"])
    assert any(str(o) == quote for o in parsed["union"].objects())


def test_names_of_emoji_or_symbols_only_get_stable_distinct_iris(tmp_path):
    rocket, satellite = entity_key("Person", "🚀"), entity_key("Person", "🛰️")
    assert rocket != satellite
    assert rocket == entity_key("Person", "🚀")
    assert entity_key("Organization", "!!!") != entity_key("Organization", "???")
    for key in (rocket, satellite, entity_key("Organization", "!!!")):
        assert_valid_iri(str(entity_iri(key)))
    _, parsed, _ = run_case(tmp_path, name="🚀🛰️")
    assert "🚀🛰️" in labels_of(parsed["union"])


def test_ten_thousand_character_name(tmp_path):
    name = "Mario " + "Rossissimo " * 909  # 10,005 characters
    other = "Mario " + "Rossissimo " * 908 + "Bianchi"
    assert len(name) >= 10_000
    keys = {entity_key("Person", name), entity_key("Person", other)}
    assert len(keys) == 2, "long names that differ only at the end must stay distinct"
    for key in keys:
        assert len(key.partition("/")[2]) <= MAX_SLUG_CHARS + 20
    dataset, parsed, _ = run_case(tmp_path, name=name.strip(), role="r" * 10_000,
                                  article_id="x" * 10_000)
    # never truncated in the RDF
    assert name.strip() in labels_of(parsed["union"])
    assert ("x" * 10_000) in {str(o) for o in parsed["union"].objects()}
    # display labels of the graph files may be shortened; they still load
    assert all(len(d["label"]) <= 1000 for _, d in parsed["graphml"].nodes(data=True))


def test_article_id_cannot_escape_out_dir(tmp_path):
    article_id = "../../etc/passwd"
    root = tmp_path / "a" / "b"
    out = root / "out"
    root.mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    dataset, counts = map_and_export([build_document("Mario Rossi", article_id=article_id),
                                      build_document("Anna Bianchi", article_id="..")], out)
    check_outputs(out, dataset)
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p == out or out in p.parents for p in created), created
    # the ids are percent-encoded into one path segment: no "/" and no dot-segment
    for aid in (article_id, "..", "."):
        segment = iri_segment(aid)
        assert "/" not in segment and segment not in (".", "..")
        assert str(graph_iri(aid)).startswith("https://w3id.org/aerokg/graph/")
    assert str(article_iri("..")) != "https://w3id.org/aerokg/article/.."


def test_path_inside_out_dir(tmp_path):
    for bad in ("../../etc/passwd", "/etc/passwd", "..", ".", "", "a/../../b", "\x00", "CON"):
        name = safe_file_name(bad)
        assert name and "/" not in name and "\\" not in name and name not in (".", "..")
        path = path_inside(tmp_path, name + ".ttl")
        assert path.parent == tmp_path.resolve()
    assert safe_file_name("seed-article") == "seed-article"
    for escaping in ("../x", "/etc/passwd", "a/../../b", ".."):
        with pytest.raises(ValueError):
            path_inside(tmp_path, escaping)
    assert path_inside(tmp_path, "sub/x.ttl") == tmp_path.resolve() / "sub" / "x.ttl"


def test_lone_surrogates_from_json_do_not_break_output(tmp_path):
    # json.loads('"\\ud800"') gives a lone surrogate: such text must not crash the writers
    name = json.loads('"Mario \\ud800Rossi"')
    quote = json.loads('"ciao \\udfff mondo"')
    _, parsed, _ = run_case(tmp_path, name=name, quote=quote, article_id=name)
    assert "Mario Rossi" in labels_of(parsed["union"])


def test_bad_dates_currencies_and_values_are_not_emitted_ill_typed(tmp_path):
    doc = build_document("Mario Rossi")
    flow = next(r for r in doc.relations if r.kind == RelationKind.TRADE_FLOW)
    event = next(r for r in doc.relations if r.kind == RelationKind.EVENT)
    doc.relations += [
        Relation(flow.kind, {**flow.args, "value": value, "currency": cur, "year": year},
                 0.5, flow.evidence)
        for value, cur, year in [("NaN", "EUR", "2016"), ("sNaN", "EUR", "2016"),
                                 ("Infinity", "EUR", "2016"), ("1E+999999999", "EUR", "2016"),
                                 ("10", "E\x00R", "2016"), ("10", "EUR", "٢٠١٦"),
                                 ("10", "eur", "2016"), ("10", "ÉUR", "2016")]
    ]
    doc.relations.append(Relation(event.kind, {**event.args, "date": "٢٠١٧-1x"}, 0.5,
                                  event.evidence))
    doc = Document(Article(id="a1", text=doc.article.text, date="2017-13-45"),
                   doc.sentences, doc.mentions, [], doc.relations)
    out = tmp_path / "out"
    dataset, _ = map_and_export([doc], out)
    check_outputs(out, dataset)


def test_urls_that_are_not_valid_iris_are_left_out(tmp_path):
    doc = build_document("Mario Rossi")
    urls = {"https://example.org/a<b>": False, "https://example.org/\u202e": False,
            'https://example.org/"x"': False, "https://example.org/a\nb": False,
            "https://example.org/ok?q=1#f": True, "javascript:alert(1)": False}
    for i, (url, kept) in enumerate(urls.items()):
        a = doc.article
        d = Document(Article(id=f"u{i}", text=a.text, url=url), doc.sentences, doc.mentions,
                     [], doc.relations)
        out = tmp_path / f"out{i}"
        dataset, _ = map_and_export([d], out)
        check_outputs(out, dataset)
        emitted = {str(q[2]) for q in dataset.quads((article_iri(f"u{i}"), None, None, None))}
        assert (url in emitted) is kept, url


def test_slugs_are_bounded_and_distinct():
    assert slugify("Amministratore  Delegato") == "amministratore-delegato"
    long_a, long_b = "a" * 500, "a" * 499 + "b"
    assert slugify(long_a) != slugify(long_b)
    assert len(slugify(long_a)) <= MAX_SLUG_CHARS + 20
    assert len(slugify("è" * 500)) <= MAX_SLUG_CHARS + 20  # percent-encoding counts
    for text in ("", "   ", "///", "\x00\x01", "\u202e", "🚀", "a\ud800b", "è" * 500):
        slug = slugify(text)
        assert slug and "/" not in slug
        assert_valid_iri(str(role_iri(text)))
        assert_valid_iri(str(entity_iri(f"person/{slug}")))
    assert slugify("") != slugify("///") or slugify("") == slugify("///")  # both valid


def test_graph_writers_take_any_graph(tmp_path):
    """The GraphML/GEXF/Cytoscape writers clean any networkx graph, not only aerokg's."""
    G = nx.MultiDiGraph()
    G.add_node("n\x00", label="a\x01b\ud800c\ufffe", type="Person")
    G.add_node("m", label="ok\u202e")
    G.add_edge("n\x00", "m", key="k\x02", type="role", label="x\x0by")
    write_graphml(G, tmp_path / "g.graphml")
    write_gexf(G, tmp_path / "g.gexf")
    write_cyjs(G, tmp_path / "g.cyjs")
    for H in (nx.read_graphml(tmp_path / "g.graphml"), nx.read_gexf(tmp_path / "g.gexf")):
        assert H.nodes["n"]["label"] == "abc"
        assert H.nodes["m"]["label"] == "ok\u202e"  # bidi controls: only names lose them
        assert [d["label"] for _, _, d in H.edges(data=True)] == ["xy"]
    cyjs = json.loads((tmp_path / "g.cyjs").read_text(encoding="utf-8"))
    assert {n["data"]["id"] for n in cyjs["elements"]["nodes"]} == {"n", "m"}
    assert xml_safe_graph(G) is not G and xml_safe_graph(nx.MultiDiGraph([(1, 2)])) is not None


def test_property_graph_of_raw_rdf_is_xml_safe(tmp_path):
    """RDF not made by aerokg's mapping (loaded from elsewhere) may hold any literal."""
    dataset = Dataset()
    graph = dataset.graph(graph_iri("a1"))
    node = entity_iri("person/x")
    graph.add((node, RDF.type, SCHEMA.Person))
    graph.add((node, SKOS.prefLabel, Literal("Ma\x00rio\x1b " + "R" * 5000)))
    G = to_property_graph(dataset)
    label = G.nodes[str(node)]["label"]
    assert label.startswith("Mario ") and label.endswith("…") and len(label) == LABEL_MAX_CHARS
    assert G.nodes[str(node)]["alt_labels"] == "Mario " + "R" * 5000
    write_graphml(G, tmp_path / "g.graphml")
    assert nx.read_graphml(tmp_path / "g.graphml").nodes[str(node)]["label"] == label


def test_the_mergers_graph_is_xml_safe_as_made():
    """export_streamed trusts the merger's graph (xml_safe_checked(made_safe=True)): every
    string in it, node ids, attributes, edge ends and keys, has gone through xml_text."""
    from pipeline.export.property_graph import _is_xml_safe

    dataset = Dataset()
    graph = dataset.graph(graph_iri("a\x01"))
    person, org = entity_iri("person/x\x02"), entity_iri("org/y")
    graph.add((person, RDF.type, SCHEMA.Person))
    graph.add((person, SKOS.prefLabel, Literal("Ma\x00rio")))
    graph.add((org, RDF.type, ORG.Organization))
    graph.add((org, SKOS.altLabel, Literal("Org\x1b")))
    graph.add((person, ORG.memberOf, org))
    G = to_property_graph(dataset)
    assert G.number_of_nodes() == 2 and G.number_of_edges() == 1
    assert _is_xml_safe(G)


# ---------------------------------------------------------------------------------------------
# SPARQL: user values are bound, never pasted into the query
# ---------------------------------------------------------------------------------------------

INJECTION = 'x" } ; DROP ALL ; SELECT * { ?s ?p "'

LABEL_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?entity ?name WHERE { GRAPH ?g { ?entity skos:prefLabel ?name } } ORDER BY ?entity
"""


@pytest.fixture
def out_dir(tmp_path) -> Path:
    out = tmp_path / "out"
    map_and_export([build_document("Mario Rossi")], out)
    return out


def test_param_binds_a_literal(out_dir, tmp_path):
    rq = tmp_path / "labels.rq"
    rq.write_text(LABEL_QUERY, encoding="utf-8")
    columns, rows = run_query(out_dir, rq, params={"name": "Mario Rossi"})
    assert columns == ["entity", "name"]
    assert rows == [(str(entity_iri("person/mario-rossi")), "Mario Rossi")]


def test_param_binds_an_iri(out_dir, tmp_path):
    rq = tmp_path / "labels.rq"
    rq.write_text(LABEL_QUERY, encoding="utf-8")
    iri = str(entity_iri("person/mario-rossi"))
    _, rows = run_query(out_dir, rq, params={"entity": f"<{iri}>"})
    assert rows == [(iri, "Mario Rossi")]


def test_injection_attempt_is_a_plain_literal_and_changes_nothing(out_dir, tmp_path):
    rq = tmp_path / "labels.rq"
    rq.write_text(LABEL_QUERY, encoding="utf-8")
    files = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    store = query_run.load_output(out_dir)
    size = len(store)
    _, everything = run_query(store, rq)
    assert everything
    columns, rows = run_query(store, rq, params={"name": INJECTION})
    assert rows == []
    assert len(store) == size
    assert run_query(store, rq) == (columns, everything)
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == files
    # the same through the command line
    result = CliRunner().invoke(cli, ["query", str(rq), "-o", str(out_dir), "--format", "json",
                                      "--param", f"name={INJECTION}"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    result = CliRunner().invoke(cli, ["query", str(rq), "-o", str(out_dir), "--format", "csv",
                                      "--param", "name=Mario Rossi"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].endswith(",Mario Rossi")
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == files


def test_param_on_a_named_query(out_dir):
    _, all_rows = run_query(out_dir, "entities")
    _, rows = run_query(out_dir, "entities", params={"entity": "Mario Rossi"})
    assert rows and all(row[0] == "Mario Rossi" for row in rows)
    assert len(rows) < len(all_rows)
    _, rows = run_query(out_dir, "entities", params={"entity": INJECTION})
    assert rows == []


def test_bad_params_are_reported(out_dir, tmp_path):
    rq = tmp_path / "labels.rq"
    rq.write_text(LABEL_QUERY, encoding="utf-8")
    for bad in (["novalue"], ["=x"], ["a-b=x"], ["a b=x"], ["name=<not an iri>"],
                ["name=<https://e.org/a b>"]):
        with pytest.raises(QueryError):
            parse_params(bad)
    with pytest.raises(QueryError, match="nothing"):
        run_query(out_dir, rq, params={"nothing": "x"})
    assert parse_params(["?name=a=b", "$other=<https://e.org/x>"]) == {
        "name": "a=b", "other": "<https://e.org/x>"}
    result = CliRunner().invoke(cli, ["query", str(rq), "-o", str(out_dir), "--param", "x"])
    assert result.exit_code != 0 and "NAME=VALUE" in result.output


def test_query_module_never_builds_query_text_from_values():
    """Every ``.query(...)`` call in pipeline/query/run.py gets a constant string or a name
    bound to the text of a .rq file: no f-string, ``%``, ``+`` or ``.format`` in sight."""
    tree = ast.parse(Path(query_run.__file__).read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "query"]
    assert calls
    for call in calls:
        assert isinstance(call.args[0], ast.Name | ast.Constant), ast.dump(call.args[0])
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant)
                and "SELECT" in str(node.func.value.value).upper()]
