"""`aerokg run` as a nightly batch: per-article isolation, exit codes, incremental and idempotent
re-runs (manifest), pruning, model/version stamps, the OUT_DIR lock and safe graph file names.

Runs go through the real command line (click's CliRunner) on a hand-made pipeline (conftest's
tiny model) without aerokg's domain layer, so each run takes a fraction of a second.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_tiny_nlp
from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic

import pipeline
from pipeline.article_graphs import graph_file_name, write_graph_file
from pipeline.cli import cli
from pipeline.mapping.vocab import graph_iri

GRAPH_FILES = ("graph.ttl", "graph.trig", "graph.graphml", "graph.gexf", "graph.cyjs",
               "graph.html", "graph.png", "graph.svg")

ARTICLES = {
    "alfa": "Mario Rossi ha incontrato a Roma i dirigenti della FIAT per parlare di satelliti.",
    "beta": "La FIAT di Torino ha firmato un accordo con Mario Bianchi a Roma.",
    "gamma": "A Roma la FIAT ha presentato un nuovo programma spaziale con Mario Verdi.",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny"
    make_tiny_nlp().to_disk(path)
    return path


@pytest.fixture(autouse=True)
def _no_domain_layer(monkeypatch):
    """The tiny model as it is: adding the domain ruler (gazetteer) would take seconds."""
    monkeypatch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)


def write_corpus(folder: Path) -> Path:
    """The ARTICLES as .txt files (with a title line) in a new ``folder``."""
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(f"title: {name}\n\n{text}\n", encoding="utf-8")
    return folder


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus")


def aerokg_run(corpus, out, model_dir, *options):
    result = CliRunner().invoke(cli, ["run", str(corpus), "-o", str(out), "--model",
                                      str(model_dir), *options])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def report_of(out: Path) -> dict:
    return json.loads((out / "run-report.json").read_text(encoding="utf-8"))


def statuses(out: Path) -> dict[str, str]:
    return {a["article"]: a["status"] for a in report_of(out)["articles"]}


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in GRAPH_FILES}


def trig(out: Path) -> Dataset:
    dataset = Dataset()
    dataset.parse(out / "graph.trig", format="trig")
    return dataset


def quads_in(dataset: Dataset, article_id: str) -> list:
    return list(dataset.quads((None, None, None, graph_iri(article_id))))


def manifest_of(out: Path) -> dict:
    return json.loads((out / ".aerokg" / "manifest.json").read_text(encoding="utf-8"))


def fail_for(monkeypatch, article_id: str):
    """The mapping stage raises ValueError for one article."""
    from pipeline.mapping import rdf

    real = rdf.article_graph

    def article_graph(document, index):
        if document.article.id == article_id:
            raise ValueError("no graph for this one")
        return real(document, index)

    monkeypatch.setattr(rdf, "article_graph", article_graph)


# -- per-article isolation and exit codes -----------------------------------------------------
def test_clean_run_exits_0_and_writes_outputs_and_state(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    result = aerokg_run(corpus, out, model_dir)
    assert result.exit_code == 0, result.output
    assert all((out / name).is_file() for name in (*GRAPH_FILES, "run-report.json"))
    assert statuses(out) == dict.fromkeys(ARTICLES, "processed")
    manifest = manifest_of(out)
    assert sorted(manifest["articles"]) == sorted(ARTICLES)
    entry = manifest["articles"]["alfa"]
    assert entry["status"] == "ok" and entry["graph"] == graph_file_name("alfa")
    assert entry["stamp"]["model_name"] == "it_tiny_test"
    assert entry["stamp"]["aerokg_version"] == pipeline.__version__
    assert (out / ".aerokg" / "graphs" / entry["graph"]).is_file()
    assert report_of(out)["exit_code"] == 0
    assert "3 articles (3 processed, 0 unchanged)" in result.output


def test_graph_files_are_made_durable_before_the_manifest_names_them(corpus, tmp_path,
                                                                    model_dir, monkeypatch):
    from pipeline import runner
    from pipeline.export.atomic import DeferredSync

    events: list[tuple[str, object]] = []
    real_write, real_sync, real_save = DeferredSync.write, DeferredSync.sync, runner.save_manifest

    def write(self, path, data):
        events.append(("write", Path(path).name))
        real_write(self, path, data)

    def sync(self):
        events.append(("sync", self.pending))
        real_sync(self)

    def save(path, manifest):
        events.append(("manifest", sorted(i for i, e in manifest.articles.items()
                                          if e["status"] == "ok")))
        real_save(path, manifest)

    monkeypatch.setattr(DeferredSync, "write", write)
    monkeypatch.setattr(DeferredSync, "sync", sync)
    monkeypatch.setattr(runner, "save_manifest", save)
    assert aerokg_run(corpus, tmp_path / "out", model_dir, "--workers", "0").exit_code == 0
    assert sum(kind == "write" for kind, _ in events) == 3 * len(ARTICLES)  # .nq, .pg.json, .trig
    unsynced = 0
    for kind, detail in events:
        if kind == "write":
            unsynced += 1
        elif kind == "sync":
            assert detail == unsynced
            unsynced = 0
        else:
            assert unsynced == 0, "the manifest was saved before the graph files were synced"
    assert events[-1] == ("manifest", sorted(ARTICLES))


def test_a_failing_article_is_isolated_and_reported(corpus, tmp_path, model_dir, monkeypatch):
    out = tmp_path / "out"
    fail_for(monkeypatch, "beta")
    result = aerokg_run(corpus, out, model_dir)
    assert result.exit_code == 1
    report = report_of(out)
    beta = next(a for a in report["articles"] if a["article"] == "beta")
    assert beta["status"] == "failed" and beta["error_class"] == "ValueError"
    assert beta["reason"] == "no graph for this one" and beta["stage"] == "mapping"
    assert beta["file"].endswith("beta.txt")
    assert statuses(out) == {"alfa": "processed", "beta": "failed", "gamma": "processed"}
    assert "beta.txt" in result.output and "ValueError" in result.output
    assert report["totals"]["articles_failed"] == 1 and report["exit_code"] == 1
    dataset = trig(out)
    assert quads_in(dataset, "alfa") and quads_in(dataset, "gamma")
    assert not quads_in(dataset, "beta")
    assert not (out / ".aerokg" / "graphs" / graph_file_name("beta")).exists()

    monkeypatch.undo()
    monkeypatch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)
    again = aerokg_run(corpus, out, model_dir)
    assert again.exit_code == 0, again.output
    assert statuses(out) == {"alfa": "unchanged", "beta": "processed", "gamma": "unchanged"}
    assert quads_in(trig(out), "beta")


def test_a_failing_parse_is_isolated(corpus, tmp_path, model_dir, monkeypatch):
    """spaCy itself raising on one text: the batch is parsed again one article at a time."""
    from pipeline.nlp import loader

    real = loader.load_nlp

    class Boom:
        def __init__(self, nlp):
            self.nlp = nlp

        def __call__(self, text):
            if "Torino" in text:
                raise RuntimeError("spaCy broke")
            return self.nlp(text)

        def pipe(self, texts, **kwargs):
            return (self(text) for text in texts)

    monkeypatch.setattr(loader, "load_nlp", lambda m: Boom(real(m)))
    out = tmp_path / "out"
    result = aerokg_run(corpus, out, model_dir)
    assert result.exit_code == 1
    beta = next(a for a in report_of(out)["articles"] if a["article"] == "beta")
    assert (beta["status"], beta["stage"], beta["error_class"]) == ("failed", "nlp",
                                                                     "RuntimeError")
    assert statuses(out)["alfa"] == statuses(out)["gamma"] == "processed"


def test_exit_codes(corpus, tmp_path, model_dir):
    assert aerokg_run(corpus, tmp_path / "a", model_dir).exit_code == 0
    (corpus / "vuoto.txt").write_text("", encoding="utf-8")
    skipped = aerokg_run(corpus, tmp_path / "b", model_dir)
    assert skipped.exit_code == 1
    assert "vuoto.txt" in skipped.output and "EmptyArticle" in skipped.output
    problem = report_of(tmp_path / "b")["problems"][0]
    assert problem["status"] == "skipped" and problem["error_class"] == "EmptyArticle"
    usage = CliRunner().invoke(cli, ["run", str(corpus), "--max-bytes", "0"])
    assert usage.exit_code == 2
    assert CliRunner().invoke(cli, ["run", "--no-such-option"]).exit_code == 2
    no_model = aerokg_run(corpus, tmp_path / "c", tmp_path / "no-model")
    assert no_model.exit_code == 2 and "Traceback" not in no_model.output
    assert not (tmp_path / "c").exists()  # nothing written before the model is known


def test_exit_codes_are_documented_in_help():
    text = CliRunner().invoke(cli, ["run", "--help"]).output
    for code in ("0", "1", "2", "3", "130"):
        assert f"\n    {code} " in text, code
    assert "Example" in text


def test_strict_stops_at_the_first_failure(corpus, tmp_path, model_dir, monkeypatch):
    out = tmp_path / "out"
    (corpus / "gamma.txt").rename(tmp_path / "gamma.txt")
    assert aerokg_run(corpus, out, model_dir).exit_code == 0  # alfa, beta
    before = outputs(out) | {"run-report.json": (out / "run-report.json").read_bytes()}
    (tmp_path / "gamma.txt").rename(corpus / "gamma.txt")
    (corpus / "alfa.txt").write_text("title: alfa\n\nMario a Roma, di nuovo.\n", encoding="utf-8")
    (corpus / "beta.txt").write_text("title: beta\n\nLa FIAT a Torino, di nuovo.\n",
                                     encoding="utf-8")
    fail_for(monkeypatch, "beta")
    result = aerokg_run(corpus, out, model_dir, "--strict")
    assert result.exit_code == 1
    assert "stopped (--strict)" in result.output and "beta.txt" in result.output
    # The outputs are those of the previous run; the state records what was done.
    assert outputs(out) | {"run-report.json": (out / "run-report.json").read_bytes()} == before
    articles = manifest_of(out)["articles"]
    assert articles["alfa"]["status"] == "ok"  # done before the failure: kept
    assert articles["beta"]["status"] == "failed"
    assert "gamma" not in articles  # after it: not processed

    monkeypatch.undo()
    monkeypatch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert statuses(out) == {"alfa": "unchanged", "beta": "processed", "gamma": "processed"}
    clean = tmp_path / "clean"
    aerokg_run(corpus, clean, model_dir)
    assert outputs(out) == outputs(clean)


def test_strict_stops_at_a_skipped_file(corpus, tmp_path, model_dir):
    (corpus / "aaa-vuoto.txt").write_text("   \n", encoding="utf-8")
    result = aerokg_run(corpus, tmp_path / "out", model_dir, "--strict")
    assert result.exit_code == 1 and "aaa-vuoto.txt" in result.output
    assert not (tmp_path / "out" / "graph.ttl").exists()


# -- incremental, idempotent re-runs ------------------------------------------------------------
def test_unchanged_rerun_processes_nothing_and_rewrites_nothing(corpus, tmp_path, model_dir,
                                                                monkeypatch):
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    before = outputs(out)
    mtimes = {name: (out / name).stat().st_mtime_ns for name in GRAPH_FILES}

    def no_model(*args, **kwargs):
        raise AssertionError("the model must not be loaded when nothing changed")

    monkeypatch.setattr("pipeline.nlp.loader.load_nlp", no_model)
    result = aerokg_run(corpus, out, model_dir)
    assert result.exit_code == 0, result.output
    assert statuses(out) == dict.fromkeys(ARTICLES, "unchanged")
    report = report_of(out)
    assert report["outputs"]["rewritten"] is False and report["model"]["loaded"] is False
    assert outputs(out) == before
    assert {name: (out / name).stat().st_mtime_ns for name in GRAPH_FILES} == mtimes
    assert report["totals"]["triples"] > 0 and report["export"]["named_graphs"] == 3
    assert "outputs unchanged" in result.output


def test_outputs_changed_by_hand_are_written_again(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    before = outputs(out)
    (out / "graph.ttl").write_text("garbage", encoding="utf-8")
    (out / "graph.cyjs").unlink()
    aerokg_run(corpus, out, model_dir)
    assert statuses(out) == dict.fromkeys(ARTICLES, "unchanged")
    assert outputs(out) == before


def test_editing_one_article_reprocesses_only_it_and_replaces_its_graph(corpus, tmp_path,
                                                                        model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    first = quads_in(trig(out), "alfa")
    assert first
    (corpus / "alfa.txt").write_text(
        "title: alfa\n\nMario Rossi ha incontrato a Roma i dirigenti della FIAT di Torino.\n",
        encoding="utf-8")
    result = aerokg_run(corpus, out, model_dir)
    assert result.exit_code == 0
    assert statuses(out) == {"alfa": "processed", "beta": "unchanged", "gamma": "unchanged"}
    assert next(a for a in report_of(out)["articles"]
                if a["article"] == "alfa")["processed_because"] == "changed"
    after = trig(out)
    # The named graph was replaced, not added to: exactly a clean run's graph, no duplicates.
    clean_out = tmp_path / "clean"
    aerokg_run(corpus, clean_out, model_dir)
    clean = trig(clean_out)
    assert len(quads_in(after, "alfa")) == len(quads_in(clean, "alfa"))
    assert isomorphic(after.graph(graph_iri("alfa")), clean.graph(graph_iri("alfa")))
    assert {str(q[:3]) for q in first} != {str(q[:3]) for q in quads_in(after, "alfa")}
    assert outputs(out) == outputs(clean_out)  # byte for byte, run IRI included


def test_a_re_run_patches_graph_ttl_to_the_bytes_of_a_clean_run(corpus, tmp_path, model_dir):
    for k, text in enumerate(ARTICLES.values()):  # six articles: one is a sixth of them
        (corpus / f"copia{k}.txt").write_text(f"title: copia {k}\n\n{text} Bis.\n",
                                              encoding="utf-8")
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    assert report_of(out)["export"]["turtle"] == "rebuilt"
    (corpus / "beta.txt").write_text(
        "title: beta\n\nLa FIAT di Milano ha firmato un accordo con Luca Neri a Napoli.\n",
        encoding="utf-8")
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert report_of(out)["export"]["turtle"] == "patched"
    clean_out = tmp_path / "clean"
    aerokg_run(corpus, clean_out, model_dir)
    assert outputs(out) == outputs(clean_out)  # byte for byte


def test_a_new_article_is_added(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    (corpus / "delta.txt").write_text("title: delta\n\nMario è arrivato a Torino.\n",
                                      encoding="utf-8")
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert statuses(out) == {**dict.fromkeys(ARTICLES, "unchanged"), "delta": "processed"}
    assert quads_in(trig(out), "delta")


def test_a_deleted_article_is_kept_until_pruned(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    (corpus / "gamma.txt").unlink()
    kept = aerokg_run(corpus, out, model_dir)
    assert kept.exit_code == 0
    report = report_of(out)
    assert [m["article"] for m in report["missing"]] == ["gamma"] and report["missing"][0]["kept"]
    assert "--prune" in kept.output
    assert quads_in(trig(out), "gamma")
    assert report["totals"]["articles_in_graph"] == 3

    pruned = aerokg_run(corpus, out, model_dir, "--prune")
    assert pruned.exit_code == 0
    report = report_of(out)
    assert [p["article"] for p in report["pruned"]] == ["gamma"] and not report["missing"]
    assert not quads_in(trig(out), "gamma")
    assert "gamma" not in manifest_of(out)["articles"]
    assert not (out / ".aerokg" / "graphs" / graph_file_name("gamma")).exists()
    clean = tmp_path / "clean"
    aerokg_run(corpus, clean, model_dir)
    assert outputs(out) == outputs(clean)


def test_a_new_aerokg_version_or_model_invalidates_every_article(corpus, tmp_path, model_dir,
                                                                 monkeypatch):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    monkeypatch.setattr(pipeline, "__version__", "99.0.0")
    aerokg_run(corpus, out, model_dir)
    report = report_of(out)
    assert statuses(out) == dict.fromkeys(ARTICLES, "processed")
    assert {a["processed_because"] for a in report["articles"]} == {
        "stamp changed: aerokg_version"}
    assert report["outputs"]["rewritten"]
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert statuses(out) == dict.fromkeys(ARTICLES, "unchanged")

    meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    try:
        (model_dir / "meta.json").write_text(json.dumps(meta | {"version": "0.0.2"}),
                                             encoding="utf-8")
        aerokg_run(corpus, out, model_dir)
        assert statuses(out) == dict.fromkeys(ARTICLES, "processed")
        assert "model_version" in report_of(out)["articles"][0]["processed_because"]
    finally:
        (model_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def test_full_reprocesses_everything_with_the_same_outputs(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    before = outputs(out)
    assert aerokg_run(corpus, out, model_dir, "--full").exit_code == 0
    assert statuses(out) == dict.fromkeys(ARTICLES, "processed")
    assert outputs(out) == before


@pytest.mark.parametrize("damage", ["{ not json", '{"format": "other"}', "[]", ""])
def test_a_corrupt_manifest_means_process_everything(corpus, tmp_path, model_dir, damage):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    before = outputs(out)
    (out / ".aerokg" / "manifest.json").write_text(damage, encoding="utf-8")
    result = aerokg_run(corpus, out, model_dir)
    assert result.exit_code == 0, result.output
    assert statuses(out) == dict.fromkeys(ARTICLES, "processed")
    assert report_of(out)["warnings"] and "warning: manifest" in result.output
    assert outputs(out) == before
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert statuses(out) == dict.fromkeys(ARTICLES, "unchanged")


def test_a_malformed_manifest_entry_is_processed_again(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    manifest = manifest_of(out)
    manifest["articles"]["beta"]["stamp"] = "not a stamp"
    (out / ".aerokg" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    aerokg_run(corpus, out, model_dir)
    assert statuses(out) == {"alfa": "unchanged", "beta": "processed", "gamma": "unchanged"}


def test_leftovers_of_a_killed_run_are_cleaned(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    graphs = out / ".aerokg" / "graphs"
    leftovers = [out / ".graph.ttl.abc123.tmp", out / ".aerokg" / ".manifest.json.x1y2.tmp",
                 graphs / f".{graph_file_name('alfa')}.q9w8.tmp", graphs / graph_file_name("x")]
    for path in leftovers:
        path.write_text("half", encoding="utf-8")
    (out / "notes.tmp").write_text("mine", encoding="utf-8")
    aerokg_run(corpus, out, model_dir)
    assert not any(path.exists() for path in leftovers)
    assert (out / "notes.tmp").exists()  # not ours: left alone


def test_the_report_is_deterministic(corpus, tmp_path, model_dir):
    reports = []
    for name in ("a", "b"):
        aerokg_run(corpus, tmp_path / name, model_dir)
        report = report_of(tmp_path / name)
        report.pop("seconds")
        reports.append(json.dumps(report).replace(str(tmp_path / name), "OUT"))
    assert reports[0] == reports[1]


def test_a_moved_file_is_unchanged(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    aerokg_run(corpus, out, model_dir)
    (corpus / "sub").mkdir()
    (corpus / "beta.txt").rename(corpus / "sub" / "beta.txt")
    aerokg_run(corpus, out, model_dir)
    assert statuses(out) == dict.fromkeys(ARTICLES, "unchanged")
    assert manifest_of(out)["articles"]["beta"]["path"].endswith(os.path.join("sub", "beta.txt"))


# -- one run per OUT_DIR -------------------------------------------------------------------------
def test_a_second_run_on_a_busy_out_dir_stops_with_a_clear_message(corpus, tmp_path, model_dir):
    out = tmp_path / "out"
    lock = out / ".aerokg" / "lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write(json.dumps({"pid": 4242, "started": "2026-01-01 02:00:00 +0000"}))
        held.flush()
        result = aerokg_run(corpus, out, model_dir)
        assert result.exit_code == 3
        assert "is in use by another aerokg run (pid 4242, started 2026-01-01" in result.output
        assert not (out / "graph.ttl").exists()
    # Free again (the holder is gone): the next run goes ahead.
    assert aerokg_run(corpus, out, model_dir).exit_code == 0


# -- graph file names ------------------------------------------------------------------------------
@pytest.mark.parametrize("article_id", ["../../etc/passwd", "/etc/passwd", "..", ".", "",
                                        "a/../../b", "C:\\Windows\\x", "\x00nul", "ö" * 400,
                                        ".aerokg", "-rf"])
def test_graph_file_names_never_leave_the_graphs_folder(tmp_path, article_id):
    folder = tmp_path / "out" / ".aerokg" / "graphs"
    folder.mkdir(parents=True)
    name = graph_file_name(article_id)
    assert "/" not in name and "\\" not in name and not name.startswith((".", "-"))
    assert len(name) < 100 and name.endswith(".nq")
    dataset = Dataset()
    dataset.graph(graph_iri("x")).add((URIRef("urn:a"), URIRef("urn:b"), URIRef("urn:c")))
    written, _ = write_graph_file(folder, article_id, dataset)
    assert (folder / written).resolve().parent == folder.resolve()
    assert sorted(os.listdir(tmp_path / "out")) == [".aerokg"]


def test_graph_file_names_of_different_ids_differ():
    ids = ["a", "A", "a.", "a-", "a_", "à", "../a", "a" * 100, "a" * 101]
    assert len({graph_file_name(i) for i in ids}) == len(ids)


# -- the no-change path stays light -------------------------------------------------------------
def test_an_unchanged_rerun_does_not_even_import_spacy(corpus, tmp_path, model_dir):
    import subprocess
    import sys

    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    script = (
        "import json, sys\n"
        "from pipeline.cli import cli\n"
        "try:\n"
        f"    cli(['run', {str(corpus)!r}, '-o', {str(out)!r}, '--model', {str(model_dir)!r}])\n"
        "except SystemExit as end:\n"
        "    print(json.dumps({'code': end.code, 'spacy': 'spacy' in sys.modules,\n"
        "                      'rdflib': 'rdflib' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert json.loads(done.stdout.splitlines()[-1]) == {"code": 0, "spacy": False,
                                                       "rdflib": False}, done.stderr
    assert statuses(out) == dict.fromkeys(ARTICLES, "unchanged")


@pytest.mark.parametrize("setting", ["argument", "environment", "config", "config-env",
                                     "default", "shipped"])
def test_the_model_stamp_finds_the_model_the_loader_loads(tmp_path, model_dir, monkeypatch,
                                                          setting):
    from pipeline.manifest import _quick_location, model_stamp
    from pipeline.nlp.loader import SHIPPED_MODEL_PATH, model_location, resolve_model

    if setting in ("default", "shipped") and not (SHIPPED_MODEL_PATH / "config.cfg").exists():
        pytest.skip("needs the shipped model")
    argument = {"argument": str(model_dir), "shipped": "shipped"}.get(setting)
    if setting == "environment":
        monkeypatch.setenv("AEROKG_MODEL", str(model_dir))
    if setting == "config":
        (tmp_path / "aerokg.toml").write_text(f'[nlp]\nmodel = "{model_dir}"\n')
    if setting == "config-env":
        (tmp_path / "elsewhere.toml").write_text(f'[nlp]\nmodel = "{model_dir}"\n')
        monkeypatch.setenv("AEROKG_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert _quick_location(argument) is not None  # found without importing spaCy
    facts = model_stamp(argument)
    choice = resolve_model(argument)
    assert facts.name_or_path == choice.name_or_path
    assert facts.model_path == str(model_location(choice.name_or_path))


def test_the_model_stamp_of_a_bad_setting_is_the_loaders_error(tmp_path, monkeypatch):
    from pipeline.manifest import model_stamp
    from pipeline.nlp.loader import ConfigError, ModelNotFoundError

    with pytest.raises(ModelNotFoundError):
        model_stamp(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError):
        model_stamp(str(tmp_path / "empty"))
    (tmp_path / "aerokg.toml").write_text("[nlp\nmodel = 1")
    with pytest.raises(ConfigError):
        model_stamp()
    (tmp_path / "aerokg.toml").write_text("[nlp]\nmodel = 1\n")
    with pytest.raises(ConfigError):
        model_stamp()


def test_max_bytes_and_force_language_reach_the_corpus_reader(corpus, tmp_path, model_dir):
    english = ("The European Space Agency and the Italian Space Agency signed an agreement in "
               "Rome yesterday to build a new generation of small satellites for Earth "
               "observation, with Mario as the lead engineer of the project.")
    (corpus / "english.txt").write_text(english, encoding="utf-8")
    skipped = aerokg_run(corpus, tmp_path / "a", model_dir)
    assert skipped.exit_code == 1 and "NotItalian" in skipped.output
    kept = aerokg_run(corpus, tmp_path / "b", model_dir, "--force-language")
    assert kept.exit_code == 0, kept.output
    assert statuses(tmp_path / "b")["english"] == "processed"
    small = aerokg_run(corpus, tmp_path / "c", model_dir, "--max-bytes", "100")
    assert small.exit_code == 1 and "FileTooLarge" in small.output


def test_unchanged_articles_are_not_language_identified_again(corpus, tmp_path, model_dir,
                                                             monkeypatch):
    """A re-run trusts the language the manifest recorded for an unchanged article (loading
    the identifier alone costs a second); an edited article is identified again, and an
    article kept by --force-language is still skipped by a run without it."""
    from pipeline import corpus as corpus_module

    english = ("The European Space Agency and the Italian Space Agency signed an agreement in "
               "Rome yesterday to build a new generation of small satellites for Earth "
               "observation, with Mario as the lead engineer of the project.")
    (corpus / "english.txt").write_text(english, encoding="utf-8")
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir, "--force-language").exit_code == 0
    assert manifest_of(out)["articles"]["english"]["language"] == "en"
    assert manifest_of(out)["articles"]["alfa"]["language"] == "unknown"  # under 20 words
    seen = []
    real = corpus_module.identify
    monkeypatch.setattr(corpus_module, "identify", lambda text: seen.append(text) or real(text))
    assert aerokg_run(corpus, out, model_dir, "--force-language").exit_code == 0
    assert seen == []
    (corpus / "beta.txt").write_text("title: beta\n\nLa FIAT di Torino ha firmato un nuovo "
                                     "accordo con Mario Bianchi a Milano.\n", encoding="utf-8")
    assert aerokg_run(corpus, out, model_dir, "--force-language").exit_code == 0
    assert len(seen) == 1 and "Milano" in seen[0]
    without = aerokg_run(corpus, out, model_dir)
    assert without.exit_code == 1 and "NotItalian" in without.output
    assert len(seen) == 1  # known to be English: not identified again, still skipped


def test_an_empty_corpus_is_a_warning(tmp_path, model_dir):
    (tmp_path / "empty").mkdir()
    result = aerokg_run(tmp_path / "empty", tmp_path / "out", model_dir)
    assert result.exit_code == 0
    assert "warning: no articles found" in result.output


# -- files a re-run need not read (pipeline.corpus.FileSignature) ------------------------------


@pytest.fixture
def settled_at_once(monkeypatch):
    """Files count as settled as soon as written (the tests' files are seconds old)."""
    monkeypatch.setattr("pipeline.corpus.SETTLED_SECONDS", 0)


def count_reads(monkeypatch) -> list[str]:
    from pipeline import corpus as corpus_module

    read, real = [], corpus_module.read_file
    monkeypatch.setattr(corpus_module, "read_file",
                        lambda path, *args: read.append(Path(path).name) or real(path, *args))
    return read


def test_an_unchanged_rerun_reads_no_article_file(corpus, tmp_path, model_dir, monkeypatch,
                                                  settled_at_once):
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert sorted(manifest_of(out)["files"]) == sorted(str(p) for p in corpus.glob("*.txt"))
    first = report_of(out)
    read = count_reads(monkeypatch)
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert read == []
    assert set(statuses(out).values()) == {"unchanged"}
    def same(entry: dict) -> dict:  # what a known article reports as a read one did
        return {k: v for k, v in entry.items() if k not in ("status", "processed_because")}

    assert [same(a) for a in report_of(out)["articles"]] == [same(a) for a in first["articles"]]

    # --full reads them all
    assert aerokg_run(corpus, out, model_dir, "--full").exit_code == 0
    assert sorted(read) == ["alfa.txt", "beta.txt", "gamma.txt"]


def test_a_file_rewritten_in_place_is_read_again(corpus, tmp_path, model_dir, monkeypatch,
                                                 settled_at_once):
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    beta = corpus / "beta.txt"
    before = beta.stat()
    text = beta.read_text(encoding="utf-8").replace("Bianchi", "Bianco!")  # same size
    beta.write_text(text, encoding="utf-8")
    os.utime(beta, ns=(before.st_atime_ns, before.st_mtime_ns))  # the old mtime, by hand
    assert beta.stat().st_size == before.st_size
    read = count_reads(monkeypatch)
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert read == ["beta.txt"]  # its change time gave it away
    assert statuses(out)["beta"] == "processed"


def test_a_file_just_written_is_not_trusted(corpus, tmp_path, model_dir, monkeypatch):
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir).exit_code == 0  # written a moment ago
    assert manifest_of(out)["files"] == {}
    read = count_reads(monkeypatch)
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert sorted(read) == ["alfa.txt", "beta.txt", "gamma.txt"]


def test_a_file_with_a_problem_is_read_every_time(tmp_path, model_dir, monkeypatch,
                                                  settled_at_once):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": "uno", "text": ARTICLES["alfa"]}, {"id": "due"}]  # "due" has no text
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n",
                                       encoding="utf-8")
    (corpus / "english.txt").write_text(
        "The European Space Agency and the Italian Space Agency signed an agreement in Rome "
        "yesterday to build a new generation of small satellites for Earth observation, with "
        "Mario as the lead engineer of the project.", encoding="utf-8")
    out = tmp_path / "out"
    for _ in range(2):
        result = aerokg_run(corpus, out, model_dir)
        assert result.exit_code == 1
        assert "MalformedFile" in result.output and "NotItalian" in result.output
    assert manifest_of(out)["files"] == {}
    # kept with --force-language, known from then on; a run without it skips it again
    assert aerokg_run(corpus / "english.txt", out, model_dir, "--force-language").exit_code == 0
    assert list(manifest_of(out)["files"]) == [str(corpus / "english.txt")]
    assert "NotItalian" in aerokg_run(corpus / "english.txt", out, model_dir).output


def test_the_corpus_is_listed_once_per_run(corpus, tmp_path, model_dir, monkeypatch):
    from pipeline import corpus as corpus_module

    calls, real = [], corpus_module.discover
    monkeypatch.setattr(corpus_module, "discover",
                        lambda paths: calls.append(list(paths)) or real(paths))
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir).exit_code == 0  # a new OUT_DIR: workers early
    assert len(calls) == 1
    (corpus / "beta.txt").write_text("title: beta\n\nLa FIAT di Torino ha firmato.\n",
                                     encoding="utf-8")
    assert aerokg_run(corpus, out, model_dir).exit_code == 0
    assert len(calls) == 2 and statuses(out)["beta"] == "processed"
