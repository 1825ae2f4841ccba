"""Property-based test (hypothesis): random Unicode articles through reading, NLP, mapping and
export; whatever they hold, every output re-parses and validates (issue 4, item 5).

An article is Italian sentences naming things the tiny pipeline finds (conftest's entity ruler
plus aerokg's domain layer: "Mario", "FIAT", "Roma", "Agenzia Spaziale Italiana", amounts,
dates) with random Unicode between them: control characters, lone surrogates (through JSON
``\\ud800`` escapes), bidi controls and RTL letters, emoji, quotes, angle brackets, line breaks,
and anything else ``st.characters`` draws. Its id and title are random too (``../../etc/passwd``
among them).

Each example goes two ways:

* written to a file (``.json`` or ``.txt``) and read with ``pipeline.corpus.read_corpus``: an
  article that the reader rejects must come back as a problem instead;
* as an :class:`Article` built from the raw strings, so that mapping and export also see what
  the reader would have cleaned away.

Then ``to_document`` (with a few extra relations between the mentions found, carrying random
role nouns and quotes), ``resolve_entities``, ``add_article``, ``add_run``, ``export_all`` into
a fresh directory, and ``test_safety.check_outputs``: Turtle and TriG re-parse in rdflib and
pyoxigraph, every IRI is valid and every literal XML-safe, GraphML/GEXF load in networkx,
Cytoscape JSON loads, SHACL conforms; and nothing is written outside that directory.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_tiny_nlp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_safety import check_outputs

from pipeline.corpus import Article, read_corpus
from pipeline.datamodel import Document, Evidence, Mention, Relation, RelationKind
from pipeline.export.writer import export_all
from pipeline.mapping.entities import resolve_entities
from pipeline.mapping.rdf import RunInfo, add_article, add_run, new_dataset, run_fingerprint
from pipeline.nlp.analyse import to_document

# Pieces of text that matter for safety, drawn often; st.characters() adds the rest.
SPECIALS = [
    '"', "'", '"""', "\\", "<", ">", "<script>", "]]>", "&amp;", "&", "{", "}", "|", "^", "`",
    "\n", "\r\n", "\r", "\t", "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f",
    "\x85", "\u2028", "\u2029", "\ufffe", "\uffff", "\ufeff", "\u200b", "\u200d",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
    "\u2068", "\u2069", "\u061c", "שלום", "مرحبا", "🚀", "👩‍🚀", "🇮🇹", "🛰️", "«", "»", "“", "”",
    "../", "..", "/", "%", "%00", "%2F", "#", "?", "@", "_:b0", "^^", "@it", " .", " ;",
]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
ITALIAN = [
    "Mario ha visitato Roma con FIAT.",
    "Mario, presidente di FIAT, ha parlato a Torino.",
    "L'Agenzia Spaziale Italiana e FIAT hanno firmato un accordo a Roma il 3 marzo 2017.",
    "«Andiamo su Marte», ha detto Mario.",
    "Mario ha detto: «Il tempo è giusto».",
    "Le esportazioni verso il Canada valgono 9 milioni di euro nel 2016.",
    "Il seminario si è svolto a Torino nel novembre 2017.",
    "FIAT è membro del Lombardia Aerospace Cluster.",
]

noise = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
)
# names/words the ruler finds, with noise glued on: "Mario🚀", "\u202eRoma"
glued = st.builds(lambda a, b, c: a + b + c, st.sampled_from(SPECIALS + [""]),
                  st.sampled_from(["Mario", "Roma", "FIAT", "Torino"]),
                  st.sampled_from(SPECIALS + [""]))
piece = st.one_of(st.sampled_from(ITALIAN), st.sampled_from(ITALIAN), noise, glued)
texts = st.lists(piece, min_size=1, max_size=14).map(" ".join)
ids = st.one_of(
    st.sampled_from(["../../etc/passwd", "..", ".", "/etc/passwd", "a/../../b", "CON",
                     "seed-article", "x" * 300, "🚀", "\u202eevil", "a b", "a\x00b"]),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
)
titles = st.one_of(st.just(""), st.text(st.characters(exclude_categories=("Cs",)),
                                        max_size=40), st.sampled_from(SPECIALS))
short_text = st.one_of(st.sampled_from(SPECIALS), st.text(max_size=30)).filter(str.strip)


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    """conftest's tiny pipeline, loaded as aerokg loads any pipeline (domain layer added)."""
    from pipeline.nlp.loader import load_nlp

    path = tmp_path_factory.mktemp("tiny") / "model"
    make_tiny_nlp().to_disk(path)
    return load_nlp(str(path))


def with_surrogates(text: str, data) -> str:
    """``text`` with lone surrogates put in at random places (only JSON can carry them)."""
    if not data.draw(st.booleans(), label="surrogates"):
        return text
    at = data.draw(st.integers(0, len(text)), label="at")
    return text[:at] + data.draw(st.sampled_from(SURROGATES), label="surrogate") + text[at:]


def write_article(directory: Path, fmt: str, article_id: str, title: str, text: str) -> Path:
    if fmt == "json":
        path = directory / "article.json"
        record = {"id": article_id, "title": title, "text": text, "date": "2017-11"}
        path.write_text(json.dumps(record, ensure_ascii=True), encoding="ascii")
    else:
        path = directory / "article.txt"

        def one_line(value: str) -> str:
            return " ".join(value.splitlines())

        header = f"id: {one_line(article_id)}\ntitle: {one_line(title)}\n\n"
        data = (header + text).encode("utf-8", "surrogatepass")  # lone surrogates: bad bytes
        path.write_bytes(data)
    return path


def extra_relations(document: Document, role: str, quote: str, sector: str) -> list[Relation]:
    """Relations between the mentions found, carrying random strings as values."""
    named = [m for m in document.mentions if m.coarse != "Event"]
    if not named or not document.sentences:
        return []
    evidence = document.sentences[min(named[0].sentence, len(document.sentences) - 1)]
    relations = []
    people = [m for m in named if m.coarse == "Person"]
    orgs = [m for m in named if m.coarse == "Organization"]
    places = [m for m in named if m.coarse == "Place"]
    for person in people[:2]:
        args: dict[str, Mention | str] = {"person": person, "role": role}
        if orgs:
            args["organization"] = orgs[0]
        relations.append(Relation(RelationKind.ROLE, args, 0.5, evidence))
        relations.append(Relation(RelationKind.QUOTE, {"speaker": person, "quote": quote}, 0.9,
                                  evidence))
    if len(orgs) >= 2:
        relations.append(Relation(RelationKind.PARTNERSHIP,
                                  {"party_a": orgs[0], "party_b": orgs[1]}, 0.6, evidence))
    if orgs and places:
        relations.append(Relation(RelationKind.LOCATION, {"entity": orgs[0], "place": places[0]},
                                  0.7, evidence))
        relations.append(Relation(RelationKind.TRADE_FLOW, {
            "exporter": orgs[0], "importer": places[0], "value": "1250000.50",
            "currency": "EUR", "year": "2016", "sector": sector}, 0.5, evidence))
    return relations


def analyse(nlp, article: Article) -> Document:
    """``to_document`` of the article. spaCy cannot take lone surrogates (its tokenizer encodes
    to UTF-8), so it reads them as U+FFFD; the Document then gets the article and the sentence
    texts back as they were (same offsets), so mapping and export still see the surrogates."""
    readable = LONE_SURROGATE.sub("\ufffd", article.text)
    if readable == article.text:
        return to_document(article, nlp(article.text))
    document = to_document(replace(article, text=readable), nlp(readable))
    document.article = article
    document.sentences = [Evidence(s.start, s.end, article.text[s.start:s.end])
                          for s in document.sentences]
    return document


def map_export_check(nlp, articles: list[Article], out: Path, extras: tuple[str, str, str]):
    dataset = new_dataset()
    documents = []
    for article in articles:
        document = analyse(nlp, article)
        document.relations += extra_relations(document, *extras)
        add_article(dataset, document, resolve_entities(document))
        documents.append(document)
    ids = tuple(sorted(a.id for a in articles))
    fingerprint = run_fingerprint("0.1.0", "tiny", [(a.id, a.text) for a in articles])
    add_run(dataset, RunInfo("0.1.0", "tiny_test", "0.0.1", ids, fingerprint))
    export_all(dataset, out, {"articles": len(articles)})
    check_outputs(out, dataset)
    return documents


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), text=texts, article_id=ids, title=titles,
       fmt=st.sampled_from(["json", "txt"]), role=short_text, quote=short_text,
       sector=short_text)
def test_random_articles_give_valid_outputs(nlp, data, text, article_id, title, fmt, role,
                                            quote, sector):
    text = with_surrogates(text, data) if fmt == "json" else text
    extras = (role, quote, sector)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inputs, sandbox = root / "in", root / "a" / "b"
        inputs.mkdir()
        sandbox.mkdir(parents=True)
        path = write_article(inputs, fmt, article_id, title, text)

        # 1. through the reader (see test_reader_gives_no_lone_surrogates for what it keeps)
        result = read_corpus([path])
        if not result.articles:
            assert result.problems, "a rejected article must be reported as a problem"
            assert all(problem.path and problem.message for problem in result.problems)
            event(f"reader: rejected ({getattr(result.problems[0], 'error_class', '?')})")
        else:
            documents = map_export_check(nlp, result.articles, sandbox / "read", extras)
            event("reader: read")
            event(f"relations: {min(sum(len(d.relations) for d in documents), 5)}+")

        # 2. the raw strings as they are (what the reader would have cleaned away included)
        raw = Article(id=article_id, text=text, title=title, date="2017-11", path=str(path))
        map_export_check(nlp, [raw], sandbox / "raw", extras)

        outside = {p for p in root.rglob("*")} - {p for p in inputs.rglob("*")} - {inputs}
        assert all(sandbox in p.parents or p == sandbox or p in sandbox.parents
                   for p in outside), outside


def test_reader_gives_no_lone_surrogates(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"id": "x", "text": "\ud800Mario ha visitato Roma con FIAT."}),
                    encoding="ascii")
    result = read_corpus([path])
    for article in result.articles:
        assert not LONE_SURROGATE.search(article.text + article.title + article.id)
