"""Interrupted runs: `aerokg run` killed (SIGKILL) or stopped (Ctrl-C, SIGTERM) mid-way leaves the
previous outputs intact, and the next run completes the work with outputs equal to a clean run's.

The fast tests run the real command line in a subprocess on the tiny hand-made pipeline, its
mapping slowed down (a launcher script wraps ``pipeline.workers.analyse_article``, which the
forked worker processes inherit) so the run can be
caught in the middle; the runs before and after it, and the clean run to compare with, run in
this process (same code, same model: the same outputs, and seconds saved). The slow test does
the same with the shipped model and no slowing down.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_tiny_nlp
from rdflib import Dataset
from rdflib.compare import isomorphic

SURNAMES = ["Rossi", "Bianchi", "Verdi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo"]
PLACES = ["Roma", "Torino", "Milano", "Napoli", "Bari", "Genova", "Firenze", "Bologna"]
GRAPH_FILES = ("graph.ttl", "graph.trig", "graph.graphml", "graph.gexf", "graph.cyjs",
               "graph.html", "graph.png", "graph.svg")
ARTICLES = 12
SUBSET = 3

LAUNCHER = """\
import os, sys, time

import pipeline.nlp.loader as loader
import pipeline.workers as workers

loader.ensure_domain_layer = lambda nlp: nlp  # the tiny model as it is (no gazetteer: fast)
_analyse_article = workers.analyse_article


def slow_analyse_article(article, doc):
    time.sleep(float(os.environ.get("AEROKG_TEST_DELAY", "0")))
    return _analyse_article(article, doc)


workers.analyse_article = slow_analyse_article
from pipeline.cli import cli

cli(["run", *sys.argv[1:]], prog_name="aerokg")
"""



def article_text(i: int) -> str:
    """A made-up Italian news article (the tests need no data from ../shared)."""
    return (
        f"title: Accordo {i}\n\n"
        f"Mario {SURNAMES[i % len(SURNAMES)]} ha incontrato a {PLACES[i % len(PLACES)]} "
        f"i dirigenti della FIAT per discutere "
        f"di satelliti, lanciatori e cooperazione spaziale con le imprese della regione. "
        f"L'accordo firmato ieri a Roma prevede investimenti per {i + 3} milioni di euro nei "
        f"prossimi anni, ha spiegato Mario {SURNAMES[(i + 1) % len(SURNAMES)]} della FIAT.\n"
    )


@pytest.fixture
def work(tmp_path):
    """The launcher, the tiny model, a corpus of made-up articles and its subset."""
    (tmp_path / "launch.py").write_text(LAUNCHER, encoding="utf-8")
    make_tiny_nlp().to_disk(tmp_path / "tiny")
    corpus, subset = tmp_path / "corpus", tmp_path / "subset"
    corpus.mkdir()
    subset.mkdir()
    for i in range(ARTICLES):
        (corpus / f"articolo-{i}.txt").write_text(article_text(i), encoding="utf-8")
        if i < SUBSET:
            shutil.copy(corpus / f"articolo-{i}.txt", subset / f"articolo-{i}.txt")
    return tmp_path


def command(work: Path, corpus: Path, out: Path, model: str | None = None) -> list[str]:
    return [sys.executable, str(work / "launch.py"), str(corpus), "-o", str(out),
            "--model", model or str(work / "tiny")]


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    # across exec: give the run the default disposition, as in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def launch(args: list[str], delay: float = 0.0, **kwargs) -> subprocess.Popen:
    env = os.environ | {"AEROKG_TEST_DELAY": str(delay)}
    kwargs.setdefault("preexec_fn", _default_sigint)
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


@pytest.fixture
def run_here(monkeypatch):
    """A complete run in this process, with the tiny model as the launcher loads it."""
    from pipeline.runner import run

    monkeypatch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)

    def run_here(work: Path, corpus: Path, out: Path):
        result = run([corpus], out, model=str(work / "tiny"))
        assert result.exit_code == 0, result.report
        return result

    return run_here


def graph_count(out: Path) -> int:
    folder = out / ".aerokg" / "graphs"
    return len([n for n in os.listdir(folder) if n.endswith(".nq")]) if folder.is_dir() else 0


def wait_for_graphs(process: subprocess.Popen, out: Path, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while graph_count(out) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in (*GRAPH_FILES, "run-report.json")}


def report_of(out: Path) -> dict:
    return json.loads((out / "run-report.json").read_text(encoding="utf-8"))


def assert_same_graph_as(out: Path, clean: Path) -> None:
    """Same named graphs, each isomorphic to the clean run's; the files byte for byte."""
    got, want = Dataset(), Dataset()
    got.parse(out / "graph.trig", format="trig")
    want.parse(clean / "graph.trig", format="trig")
    graphs = {g.identifier: g for g in got.graphs() if len(g)}
    expected = {g.identifier: g for g in want.graphs() if len(g)}
    assert sorted(graphs) == sorted(expected)
    for name, graph in expected.items():
        assert isomorphic(graphs[name], graph), name
    assert len(list(got.quads())) == len(list(want.quads()))  # no duplicates
    for name in GRAPH_FILES:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def assert_same_answers(out: Path, clean: Path) -> None:
    from pipeline.query.run import run_query

    for query in ("entities", "roles", "locations"):
        assert run_query(out, query) == run_query(clean, query), query


def assert_outputs_parse(out: Path) -> None:
    Dataset().parse(out / "graph.trig", format="trig")
    json.loads((out / "run-report.json").read_text(encoding="utf-8"))


def test_kill_9_mid_run_then_rerun_equals_a_clean_run(work, run_here):
    out, clean = work / "out", work / "clean"
    run_here(work, work / "subset", out)  # the previous, completed run
    previous = snapshot(out)

    # slow enough that several articles are still to do when the signal arrives
    process = launch(command(work, work / "corpus", out), delay=0.6)
    wait_for_graphs(process, out, SUBSET + 2, timeout=120)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == previous  # the previous outputs, whole and untouched
    assert_outputs_parse(out)

    totals = run_here(work, work / "corpus", out).report["totals"]
    assert totals["processed"] + totals["unchanged"] == ARTICLES
    assert totals["unchanged"] >= SUBSET and totals["processed"] >= 1
    run_here(work, work / "corpus", clean)
    assert_same_graph_as(out, clean)
    assert_same_answers(out, clean)
    assert not [n for n in os.listdir(out) if n.endswith(".tmp")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_mid_run_saves_the_work_done(work, run_here, sig):
    out, clean = work / "out", work / "clean"
    run_here(work, work / "subset", out)
    previous = snapshot(out)

    # slow enough that several articles are still to do when the signal arrives
    process = launch(command(work, work / "corpus", out), delay=0.6)
    wait_for_graphs(process, out, SUBSET + 2, timeout=120)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert snapshot(out) == previous
    manifest = json.loads((out / ".aerokg" / "manifest.json").read_text(encoding="utf-8"))
    done = sorted(i for i, e in manifest["articles"].items() if e["status"] == "ok")
    # What was done before the signal is saved (the graph file of the article being finished
    # may be written without its manifest entry: that one is redone).
    assert len(done) >= SUBSET + 1

    totals = run_here(work, work / "corpus", out).report["totals"]
    assert totals["unchanged"] == len(done)
    assert totals["processed"] + totals["unchanged"] == ARTICLES
    run_here(work, work / "corpus", clean)
    assert_same_graph_as(out, clean)


def test_a_second_concurrent_run_is_refused(work):
    out = work / "out"
    # two worker processes, two articles per task: the run lasts about 4 x delay
    process = launch(command(work, work / "corpus", out), delay=1.0)
    try:
        wait_for_graphs(process, out, 1, timeout=120)
        second = subprocess.run(command(work, work / "corpus", out), capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == 3
        assert f"is in use by another aerokg run (pid {process.pid}," in second.stderr
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)


@pytest.mark.slow
def test_kill_9_with_the_shipped_model(work, shipped_nlp):
    """The real model, not slowed down: killed as soon as two article graphs exist."""
    from pipeline.nlp.loader import SHIPPED_MODEL_PATH
    from pipeline.runner import run

    out, clean = work / "out", work / "clean"
    args = [sys.executable, "-c", "from pipeline.cli import main; main()", "run",
            str(work / "corpus"), "-o", str(out), "--model", str(SHIPPED_MODEL_PATH)]
    process = launch(args)
    wait_for_graphs(process, out, 2, timeout=300)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not (out / "graph.ttl").exists()  # no outputs before the run completes

    rerun = run([work / "corpus"], out, model=str(SHIPPED_MODEL_PATH))  # model already loaded
    assert rerun.exit_code == 0
    assert rerun.report["totals"]["processed"] + rerun.report["totals"]["unchanged"] == ARTICLES
    run([work / "corpus"], clean, model=str(SHIPPED_MODEL_PATH))
    assert_same_graph_as(out, clean)
    assert_same_answers(out, clean)
