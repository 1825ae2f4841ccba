"""`aerokg run --workers N`: worker processes give the same bytes as one process, a worker that
dies fails only its article, and Docs are not kept beyond their batch."""

from __future__ import annotations

import os

import pytest
from test_runner import (  # noqa: F401  (fixtures shared with the run tests)
    ARTICLES,
    _no_domain_layer,
    aerokg_run,
    manifest_of,
    model_dir,
    outputs,
    report_of,
    statuses,
    write_corpus,
)

from pipeline import workers
from pipeline.runner import run


@pytest.fixture
def corpus(tmp_path):
    folder = write_corpus(tmp_path / "corpus")
    for i in range(9):  # enough articles for several tasks per worker
        (folder / f"extra{i}.txt").write_text(
            f"title: extra {i}\n\nMario e la FIAT a Roma, giorno {i}.\n", encoding="utf-8")
    return folder


def graph_files(out):
    folder = out / ".aerokg" / "graphs"
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_two_workers_give_the_same_bytes_as_one(corpus, tmp_path, model_dir):
    one, two = tmp_path / "one", tmp_path / "two"
    assert aerokg_run(corpus, one, model_dir, "--workers", "1").exit_code == 0
    assert aerokg_run(corpus, two, model_dir, "--workers", "2").exit_code == 0
    assert outputs(one) == outputs(two)
    assert graph_files(one) == graph_files(two)
    assert manifest_of(one)["articles"] == manifest_of(two)["articles"]
    assert report_of(two)["totals"] == report_of(one)["totals"]


def test_a_long_one_worker_run_runs_the_tail_here_and_gives_the_same_bytes(
        corpus, tmp_path, model_dir, monkeypatch):
    """Past LONG_RUN_ARTICLES, one worker ships Docs without the pipeline's rule-based tail and
    the main process runs it: the same files as a run in one process."""
    from pipeline import runner

    taken = []
    real = workers.Processor.take_tail

    def take_tail(self):
        seconds = real(self)
        taken.append(workers.tail_components(self.tail_nlp) if self.tail_nlp else ())
        return seconds

    monkeypatch.setattr(runner, "LONG_RUN_ARTICLES", 2)
    monkeypatch.setattr(workers.Processor, "take_tail", take_tail)
    here, one = tmp_path / "here", tmp_path / "one"
    assert aerokg_run(corpus, here, model_dir, "--workers", "0").exit_code == 0
    assert aerokg_run(corpus, one, model_dir, "--workers", "1").exit_code == 0
    assert taken == [("sentencizer", "entity_ruler")]  # nothing trained: all of it is tail
    assert outputs(one) == outputs(here)
    assert graph_files(one) == graph_files(here)


def test_a_one_worker_rerun_of_an_edited_article(corpus, tmp_path, model_dir, monkeypatch):
    """A re-run with one edited article: the worker is started before the corpus is read
    (a file is newer than the manifest), maps its one batch itself (no Docs shipped, so this
    process needs no spaCy), the unchanged articles' fragments are merged while it works, and
    the files are those of a clean run."""
    from pipeline import runner
    from pipeline.export import writer

    guesses, shipped, prefetched = [], [], []
    real_guess, real_add = runner._Run.workers_to_start, writer.FragmentPrefetch.add
    real_submit = workers.Processor.submit

    def workers_to_start(self):
        guesses.append(real_guess(self))
        return guesses[-1]

    def submit(self, batch):
        shipped.append(self.ship_docs)
        return real_submit(self, batch)

    def add(self, files, shas):
        prefetched.append(sorted(path.name for path in files))
        return real_add(self, files, shas)

    monkeypatch.setattr(runner._Run, "workers_to_start", workers_to_start)
    monkeypatch.setattr(workers.Processor, "submit", submit)
    monkeypatch.setattr(writer.FragmentPrefetch, "add", add)
    out, clean = tmp_path / "out", tmp_path / "clean"
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert guesses == [1] and shipped[0] is False and any(shipped)  # long: ships from #2
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert guesses == [1, 0]  # nothing newer than the manifest
    edited = corpus / "extra3.txt"
    edited.write_text("title: extra 3\n\nLa FIAT e Mario a Torino.\n", encoding="utf-8")
    guesses.clear(), shipped.clear(), prefetched.clear()
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert guesses == [1] and shipped == [False]
    assert len(prefetched) == 2 and len(prefetched[0]) == len(ARTICLES) + 8
    assert not any(name.startswith("extra3-") for name in prefetched[0])
    assert len(prefetched[1]) == 1 and prefetched[1][0].startswith("extra3-")
    assert report_of(out)["seconds"]["prefetch"] >= 0
    assert aerokg_run(corpus, clean, model_dir, "--workers", "1").exit_code == 0
    assert outputs(out) == outputs(clean)
    assert graph_files(out) == graph_files(clean)


def test_a_rerun_of_a_small_edit_starts_one_worker_of_two(corpus, tmp_path, model_dir,
                                                          monkeypatch):
    """Before the corpus is read, a re-run starts one worker per BYTES_PER_WORKER bytes of
    modified files (at most --workers): a second worker's model load is not worth one edit."""
    from pipeline import runner

    sizes = []
    real_start = workers.Processor.start

    def start(self, processes=None):
        real_start(self, processes)
        sizes.append(self.pool_size)

    monkeypatch.setattr(workers.Processor, "start", start)
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir, "--workers", "2").exit_code == 0
    assert sizes == [2]  # a new run
    (corpus / "extra3.txt").write_text("title: extra 3\n\nLa FIAT a Torino.\n", encoding="utf-8")
    assert aerokg_run(corpus, out, model_dir, "--workers", "2").exit_code == 0
    assert sizes == [2, 1] and statuses(out)["extra3"] == "processed"
    monkeypatch.setattr(runner, "BYTES_PER_WORKER", 40)
    for name in ("extra4.txt", "extra5.txt"):
        (corpus / name).write_text(f"title: {name}\n\nLa FIAT a Milano.\n", encoding="utf-8")
    assert aerokg_run(corpus, out, model_dir, "--workers", "2").exit_code == 0
    assert sizes == [2, 1, 2]  # more bytes than one worker's share


def _echo_batch(articles, ship_docs=False, tail_here=True):
    return [workers.ArticleResult(article.id, counts={"pid": os.getpid()})
            for article in articles]


def test_a_pool_started_small_grows_when_more_work_comes(monkeypatch):
    """A pool started with fewer processes than --workers is replaced by a full one once
    more than GROW_AFTER articles per process come; every result comes back, in order."""
    from types import SimpleNamespace

    monkeypatch.setattr(workers, "init_worker", lambda *args: None)
    monkeypatch.setattr(workers, "process_batch", _echo_batch)  # the forked workers see it
    processor = workers.Processor("unused", 2)
    processor.start(1)
    articles = [SimpleNamespace(id=f"a{i}", text="") for i in range(60)]
    try:
        processor.submit(articles[:workers.GROW_AFTER])
        assert processor.pool_size == 1 and not processor.retiring
        processor.submit(articles[workers.GROW_AFTER:])
        assert processor.pool_size == 2 and len(processor.retiring) == 1
        results = list(processor.drain())
    finally:
        processor.close()
    assert [article.id for article, _ in results] == [a.id for a in articles]
    assert [result.article_id for _, result in results] == [a.id for a in articles]
    small = {result.counts["pid"] for _, result in results[:workers.GROW_AFTER]}
    assert len(small) == 1  # the small pool's one process
    assert {result.counts["pid"] for _, result in results} - small  # and the full pool's
    assert processor.pool is None and processor.retiring == []


def test_a_worker_that_dies_fails_only_its_article(corpus, tmp_path, model_dir, monkeypatch):
    parent = os.getpid()
    real = workers.analyse_article

    def analyse_article(article, doc):
        if article.id == "beta" and os.getpid() != parent:
            os._exit(13)  # the worker process dies on the spot
        return real(article, doc)

    monkeypatch.setattr(workers, "analyse_article", analyse_article)
    out = tmp_path / "out"
    result = aerokg_run(corpus, out, model_dir, "--workers", "2")
    assert result.exit_code == 1
    got = statuses(out)
    assert got.pop("beta") == "failed"
    assert set(got.values()) == {"processed"}
    beta = next(a for a in report_of(out)["articles"] if a["article"] == "beta")
    assert beta["error_class"] == "WorkerDied"
    assert "worker process died" in beta["reason"]
    monkeypatch.setattr(workers, "analyse_article", real)
    assert aerokg_run(corpus, out, model_dir, "--workers", "2").exit_code == 0
    assert statuses(out)["beta"] == "processed"


def test_docs_do_not_outlive_their_batch(corpus, tmp_path, model_dir, monkeypatch):
    """In-process (one worker): while an article is mapped, only the Docs of its batch exist."""
    from pipeline.nlp import loader

    live = {"now": 0, "max": 0}

    class Probe:
        def __init__(self):
            live["now"] += 1

        def __del__(self):
            live["now"] -= 1

    class Probing:
        def __init__(self, nlp):
            self.nlp = nlp

        def __call__(self, text):
            doc = self.nlp(text)
            doc.user_data["probe"] = Probe()
            return doc

        def pipe(self, texts, **kwargs):
            for doc in self.nlp.pipe(texts, **kwargs):
                doc.user_data["probe"] = Probe()
                yield doc

        def __getattr__(self, name):
            return getattr(self.nlp, name)

    real_load, real_analyse = loader.load_nlp, workers.analyse_article

    def analyse_article(article, doc):
        live["max"] = max(live["max"], live["now"])
        return real_analyse(article, doc)

    monkeypatch.setattr(loader, "load_nlp", lambda m: Probing(real_load(m)))
    monkeypatch.setattr(workers, "analyse_article", analyse_article)
    result = run([corpus], tmp_path / "out", model=str(model_dir), batch_size=3, workers=0)
    assert result.exit_code == 0
    assert result.report["totals"]["processed"] == len(ARTICLES) + 9
    assert 1 <= live["max"] <= 3
    assert live["now"] == 0


def test_process_batch_is_plain_data_in_and_out(model_dir):
    """The unit of work other executors (e.g. Dask) can run: picklable articles in, picklable
    results (N-Quads bytes, counts) out."""
    import pickle

    from pipeline.corpus import Article
    from pipeline.nlp import loader

    workers._NLP = loader.load_nlp(str(model_dir))  # what init_worker does in a worker
    try:
        [result] = workers.process_batch([Article(id="a1", text="Mario va a Roma.")])
    finally:
        workers._NLP = None
    assert result.error is None and result.nquads and result.counts["entities"] >= 1
    assert pickle.loads(pickle.dumps(result)) == result


@pytest.mark.parametrize("tail_here", [True, False], ids=["whole-doc", "tail-in-main"])
def test_a_parsed_doc_shipped_to_the_main_process_maps_to_the_same_graph(shipped_nlp,
                                                                          tail_here):
    """With one worker the Doc crosses as spaCy's DocBin bytes and the main process maps it:
    entities with their gazetteer ids, sentences, amount/date span groups and their extension
    values must survive, so the graph is the same bytes as mapping it where it was parsed.
    In a long run the worker also leaves the rule-based tail of the pipeline (entity edges,
    domain ruler, amounts and dates) to the main process: the same bytes again."""
    import pickle
    from pathlib import Path

    from pipeline.corpus import iter_corpus

    dev = Path(__file__).parent / "data" / "wikinews-dev"
    seed = Path(__file__).resolve().parents[1] / "corpus"
    articles = sorted((a for a in iter_corpus([dev, seed]) if hasattr(a, "text")),
                      key=lambda a: a.id)
    direct = workers.run_batch(shipped_nlp, articles)
    shipped = workers.run_batch(shipped_nlp, articles, ship_docs=True,
                                tail_here=tail_here)
    assert all(r.doc_bytes and r.document is None for r in shipped)
    tail = () if tail_here else workers.tail_components(shipped_nlp)
    assert all(r.tail == tail for r in shipped)
    if not tail_here:
        assert tail == ("aerokg_entity_edges", "aerokg_domain_ruler", "aerokg_quantities")
        lost = workers.finish(pickle.loads(pickle.dumps(shipped[0])), articles[0])
        assert lost.error is not None and "tail_nlp" in lost.error[2]  # never silently less
    shipped = [workers.finish(pickle.loads(pickle.dumps(r)), a,
                              None if tail_here else shipped_nlp)
               for r, a in zip(shipped, articles, strict=True)]
    for one, other in zip(direct, shipped, strict=True):
        assert other.error is None, other.error
        assert (other.nquads, other.counts, other.fragments) == (
            one.nquads, one.counts, one.fragments), one.article_id
    assert sum(r.counts.get("relations", 0) for r in direct) > 50  # a real test of the rules


def test_where_the_mapping_stage_runs_follows_the_workers():
    """Several workers map their articles themselves (the main process only reads and
    writes); one worker does too until the caller has it ship parsed Docs, whose mapping the
    main process then does (and the tail components, once it has loaded them)."""
    two = workers.Processor("unused", 2)
    assert not two.start_shipping_docs()
    assert two._task() == (False, True)  # ship_docs, tail_here
    one = workers.Processor("unused", 1)
    assert one._task() == (False, True)
    assert one.start_shipping_docs()
    assert one._task() == (True, True)
    one.tail_nlp = object()
    assert one._task() == (True, False)
