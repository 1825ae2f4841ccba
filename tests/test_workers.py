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


def test_one_worker_maps_its_articles_itself(corpus, tmp_path, model_dir, monkeypatch):
    """``--workers 1`` is one process's worth of NLP and mapping: the worker makes each
    article's RDF and the main process neither parses nor maps (it only reads and writes),
    even in a long run."""
    from pipeline import runner

    mapped_in = []
    real = workers.graph_document

    def graph_document(document):
        mapped_in.append(os.getpid())
        return real(document)

    monkeypatch.setattr(runner, "LONG_RUN_ARTICLES", 2)
    monkeypatch.setattr(workers, "graph_document", graph_document)  # the forked worker sees it
    out = tmp_path / "out"
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert mapped_in == []  # not once in this process
    assert report_of(out)["totals"]["processed"] == len(ARTICLES) + 9
    assert all(data for data in graph_files(out).values())


def test_a_one_worker_rerun_of_an_edited_article(corpus, tmp_path, model_dir, monkeypatch):
    """A re-run with one edited article: the worker is started before the corpus is read
    (a file is newer than the manifest), the unchanged articles' fragments are merged while it
    works, and the files are those of a clean run."""
    from pipeline import runner
    from pipeline.export import writer

    guesses, prefetched = [], []
    real_guess, real_add = runner._Run.workers_to_start, writer.FragmentPrefetch.add

    def workers_to_start(self):
        guesses.append(real_guess(self))
        return guesses[-1]

    def add(self, files, shas):
        prefetched.append(sorted(path.name for path in files))
        return real_add(self, files, shas)

    monkeypatch.setattr(runner._Run, "workers_to_start", workers_to_start)
    monkeypatch.setattr(writer.FragmentPrefetch, "add", add)
    out, clean = tmp_path / "out", tmp_path / "clean"
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert guesses == [1]
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert guesses == [1, 0]  # nothing newer than the manifest
    edited = corpus / "extra3.txt"
    edited.write_text("title: extra 3\n\nLa FIAT e Mario a Torino.\n", encoding="utf-8")
    guesses.clear(), prefetched.clear()
    assert aerokg_run(corpus, out, model_dir, "--workers", "1").exit_code == 0
    assert guesses == [1]
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


def _echo_batch(articles):
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
