"""The CLI end to end on a hand-made pipeline (no trained model): run, query, validate."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from conftest import SPEC_COLUMNS, make_tiny_nlp

from pipeline.cli import cli

ARTICLE = (
    "title: Prova\ndate: 2017-11\n\n"
    "Mario Rossi ha incontrato a Roma i dirigenti della FIAT di Torino. "
    "«Siamo molto contenti di questa collaborazione con tutti voi», ha detto Mario Rossi.\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "prova.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "vuoto.txt").write_text("", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def shared_model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny"
    make_tiny_nlp().to_disk(path)
    return path


@pytest.fixture(scope="module")
def ran(tmp_path_factory, corpus, shared_model_dir):
    """One run shared by the read-only tests of this module (loading is the slow part)."""
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["run", str(corpus), "-o", str(out),
                                      "--model", str(shared_model_dir)])
    assert result.exit_code == 1, result.output  # 1: vuoto.txt was skipped
    return out, result


def test_run_writes_every_output_and_reports_bad_input(ran):
    out, result = ran
    for name in ("graph.ttl", "graph.trig", "graph.graphml", "graph.gexf", "graph.cyjs",
                 "graph.html", "graph.png", "graph.svg", "run-report.json"):
        assert (out / name).is_file(), name
    assert "1 articles" in result.output
    assert "vuoto.txt" in result.output and "empty file" in result.output
    report = json.loads((out / "run-report.json").read_text())
    assert report["totals"]["articles_ok"] == 1
    assert report["articles"][0]["status"] == "processed"
    assert report["problems"][0]["status"] == "skipped"


@pytest.mark.parametrize("name", sorted(SPEC_COLUMNS))
def test_every_named_query_prints_the_spec_columns(ran, name):
    out, _ = ran
    result = CliRunner().invoke(cli, ["query", name, "--out", str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    header = next(csv.reader(io.StringIO(result.output)))
    assert header == SPEC_COLUMNS[name]


def test_entities_of_the_run(ran):
    out, _ = ran
    result = CliRunner().invoke(cli, ["query", "entities", "--out", str(out), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    found = {(r["entity"], r["type"]) for r in rows}
    assert ("Roma", "Place") in found and ("FIAT", "Organization") in found
    assert all(r["article"] == "prova" for r in rows)


def test_validate_passes_on_a_run(ran):
    out, _ = ran
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "conform" in result.output


def test_validate_and_query_on_missing_output(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such directory" in result.output
    result = CliRunner().invoke(cli, ["query", "roles", "--out", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_run_with_nothing_readable_fails(tmp_path, tiny_model_dir):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "bin.txt").write_bytes(b"\x00\x01")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "c"), "-o", str(tmp_path / "o"),
                                      "--model", str(tiny_model_dir)])
    assert result.exit_code == 1
    assert "binary" in result.output


def test_outputs_are_deterministic(tmp_path, corpus, shared_model_dir):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        CliRunner().invoke(cli, ["run", str(corpus), "-o", str(out), "--model",
                                 str(shared_model_dir)])
        outputs.append({f: (out / f).read_bytes() for f in
                        ("graph.ttl", "graph.trig", "graph.graphml", "graph.gexf",
                         "graph.cyjs", "graph.html", "graph.png", "graph.svg")})
    assert outputs[0] == outputs[1]


def test_every_command_is_documented_with_an_example():
    import click

    todo = list(cli.commands.items())
    while todo:
        name, command = todo.pop()
        assert command.help and "Example" in command.help, name
        if isinstance(command, click.Group):  # aerokg daemon start|status|stop
            todo += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
    assert set(cli.commands["daemon"].commands) == {"start", "status", "stop"}


def test_run_outputs_reparse_in_rdflib_pyoxigraph_and_networkx(ran):
    import networkx as nx
    import pyoxigraph
    from rdflib import Dataset, Graph

    out, _ = ran
    turtle = Graph().parse(out / "graph.ttl", format="turtle")
    trig = Dataset()
    trig.parse(out / "graph.trig", format="trig")
    assert len(turtle) > 0 and len(list(trig.quads())) >= len(turtle)
    store = pyoxigraph.Store()
    store.load(path=str(out / "graph.trig"), format=pyoxigraph.RdfFormat.TRIG)
    assert len(store) == len(list(trig.quads()))
    assert len(list(pyoxigraph.parse(path=str(out / "graph.ttl"),
                                     format=pyoxigraph.RdfFormat.TURTLE))) == len(turtle)
    for graph in (nx.read_graphml(out / "graph.graphml"), nx.read_gexf(out / "graph.gexf")):
        assert graph.number_of_nodes() > 0
        for _, data in graph.nodes(data=True):
            assert all(value is not None for value in data.values())
    cyjs = json.loads((out / "graph.cyjs").read_text(encoding="utf-8"))
    assert nx.cytoscape_graph(cyjs).number_of_nodes() > 0


def test_the_command_freezes_its_objects_before_python_tears_down(monkeypatch, capsys):
    """`aerokg` (``main``) leaves its objects to the exit without a garbage collection over
    them (the exit status is click's)."""
    import gc
    import sys

    from pipeline import gc_pause
    from pipeline.cli import main

    monkeypatch.setattr(sys, "argv", ["aerokg", "--help"])
    monkeypatch.setattr(gc_pause, "_ONE_SHOT", False)  # main marks the process: undone after
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code == 0
        assert gc.get_freeze_count() > 0
        assert gc_pause._ONE_SHOT  # the command ends with its work
    finally:
        gc.unfreeze()
    assert "Usage" in capsys.readouterr().out
