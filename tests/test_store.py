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
