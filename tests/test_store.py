"""The corpus store (``OUT_DIR/.aerokg/store``, pyoxigraph): updated per article, replaced on
change, pruned, rebuilt when lost or out of step; ``aerokg query`` reads it; the RDF exports
are the per-article graphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Store
from rdflib import Dataset
from rdflib.compare import isomorphic
from test_runner import (  # noqa: F401  (fixtures shared with the run tests)
    ARTICLES,
    _no_domain_layer,
    aerokg_run,
    corpus,
    manifest_of,
    model_dir,
    outputs,
)

from pipeline.mapping.vocab import graph_iri
from pipeline.query.run import load_output, run_query
from pipeline.store import STORE_DIR, named_article_graphs


def store_quads(out: Path) -> dict[str, set[str]]:
    """Graph IRI -> its quads (as text), read from the store (read-only)."""
    store = Store.read_only(str(out / ".aerokg" / STORE_DIR))
    found: dict[str, set[str]] = {}
    for graph in named_article_graphs(store):
        found[graph.value] = {str(q) for q in store.quads_for_pattern(None, None, None, graph)}
    return found


def graph_file_dataset(out: Path) -> Dataset:
    dataset = Dataset()
    for path in sorted((out / ".aerokg" / "graphs").glob("*.nq")):
        dataset.parse(path, format="nquads")
    return dataset


def test_the_store_holds_one_graph_per_article_and_queries_read_it(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    graphs = store_quads(out)
    assert set(graphs) == {str(graph_iri(i)) for i in ARTICLES}
    assert all(graphs.values())
    store = load_output(out)
    assert {g.value for g in store.named_graphs()} == set(graphs)
    del store
    # the answers come from the store: removing the exported files changes nothing
    columns, rows = run_query(out, "entities")
    for name in ("graph.trig", "graph.ttl"):
        (out / name).unlink()
    assert run_query(out, "entities") == (columns, rows)
    assert {row[columns.index("article")] for row in rows} >= set(ARTICLES)


def test_a_changed_article_replaces_its_graph_and_a_pruned_one_is_removed(corpus, tmp_path,
                                                                         model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir, "--workers", "1")
    before = store_quads(out)
    (corpus / "beta.txt").write_text("title: beta\n\nMario parla a Roma.\n", encoding="utf-8")
    aerokg_run(corpus, out, model_dir, "--workers", "1")
    after = store_quads(out)
    beta = str(graph_iri("beta"))
    assert after[beta] != before[beta]
    assert not any("FIAT" in q for q in after[beta])  # the old quads are gone, none twice
    assert {k: v for k, v in after.items() if k != beta} == {
        k: v for k, v in before.items() if k != beta}
    (corpus / "gamma.txt").unlink()
    aerokg_run(corpus, out, model_dir, "--workers", "1", "--prune")
    assert set(store_quads(out)) == {str(graph_iri("alfa")), beta}


@pytest.mark.parametrize("damage", ["deleted", "out_of_sync"])
def test_a_lost_or_stale_store_is_rebuilt_from_the_graph_files(corpus, tmp_path, model_dir,
                                                               damage):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir, "--workers", "1")
    before, files = store_quads(out), outputs(out)
    path = out / ".aerokg" / STORE_DIR
    if damage == "deleted":
        shutil.rmtree(path)
    else:
        store = Store(str(path))
        store.remove_graph(NamedNode(str(graph_iri("alfa"))))
        store.flush()
        del store
    result = aerokg_run(corpus, out, model_dir, "--workers", "1")
    assert result.exit_code == 0
    assert store_quads(out) == before
    assert outputs(out) == files  # same bytes as before


def test_the_exports_are_the_per_article_graphs(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir, "--workers", "1")
    trig = Dataset()
    trig.parse(out / "graph.trig", format="trig")
    files = graph_file_dataset(out)
    for name in (graph_iri(i) for i in ARTICLES):
        assert isomorphic(trig.graph(name), files.graph(name))
    turtle = Dataset()
    turtle.parse(out / "graph.ttl", format="turtle")
    union = {q[:3] for q in trig.quads((None, None, None, None))}
    assert set(turtle.default_graph) == union
    assert len(manifest_of(out)["store"]["articles"]) == len(ARTICLES)


def test_graph_names_are_those_the_nquads_fill():
    from rdflib import Graph, Literal, URIRef

    from pipeline.article_graphs import graph_names, nquads_bytes
    from pipeline.store import article_graph_names

    s, p = URIRef("https://example.org/s"), URIRef("https://example.org/p")
    graph = Graph(identifier=URIRef("https://example.org/g1"))
    assert graph_names(graph) == article_graph_names(nquads_bytes(graph)) == []
    graph.add((s, p, Literal("uno", lang="it")))
    assert graph_names(graph) == article_graph_names(nquads_bytes(graph)) == [
        "https://example.org/g1"]
    dataset = Dataset()
    dataset.add((s, p, Literal("default")))
    dataset.graph(URIRef("https://example.org/g2")).add((s, p, Literal("due")))
    dataset.graph(URIRef("https://example.org/empty"))
    assert graph_names(dataset) == article_graph_names(nquads_bytes(dataset)) == [
        "", "https://example.org/g2"]


def _quads(article: str, text: str) -> bytes:
    return (f'<https://example.org/s> <https://example.org/p> "{text}" '
            f'<https://example.org/{article}> .\n').encode()


def test_replace_articles_removes_an_articles_old_graphs_only(tmp_path):
    from pipeline.store import open_store, replace_articles

    store, fresh = open_store(tmp_path / "store")
    assert fresh
    g = {name: NamedNode(f"https://example.org/{name}") for name in ("a", "b", "a2")}
    first = replace_articles(store, [(None, _quads("a", "one"), "sha-a", None),
                                     (None, _quads("b", "one"), "sha-b", ["https://example.org/b"])])
    assert first == [{"sha256": "sha-a", "graphs": ["https://example.org/a"]},
                     {"sha256": "sha-b", "graphs": ["https://example.org/b"]}]
    # a changed article: its old graph goes, whether or not the new quads fill it again
    second = replace_articles(store, [(first[0], _quads("a2", "two"), "sha-a2", None),
                                      (first[1], _quads("b", "two"), "sha-b2",
                                       ["https://example.org/b"])])
    assert second[0]["graphs"] == ["https://example.org/a2"]
    texts = {name: {q.object.value for q in store.quads_for_pattern(None, None, None, graph)}
             for name, graph in g.items()}
    assert texts == {"a": set(), "b": {"two"}, "a2": {"two"}}
