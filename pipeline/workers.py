"""The NLP and mapping stages of `aerokg run`, on one process or a pool of worker processes.

The unit of work is a plain top-level function, :func:`process_batch`: articles in, for each
an :class:`ArticleResult` out (its N-Quads bytes, counts and warnings, or the stage, class and
reason of its error). No spaCy ``Doc`` and no ``nlp`` object is ever pickled; a worker loads
the spaCy pipeline once (:func:`init_worker`) and keeps it for every batch it is given. The
same function can run on other executors (e.g. Dask).

:class:`Processor` feeds batches to the workers with a bounded number in flight (memory does
not grow with the corpus) and gives the results back in input order. Even one worker is a
process of its own, so the main process (reading and decoding articles, writing graph files,
the store and the manifest) works alongside it. Each worker does the whole of the NLP and
mapping stages for its articles (entities, quantities, relation rules, RDF) and sends back the
article's files, so the main process only reads and writes: ``--workers N`` is N processes'
worth of that work, and more workers are not held back by the main process (on 300 articles
with 2 workers, its CPU went from 10.5-12.6 s to 7.6-8.6 s when the RDF moved to the workers,
the run's time the same or a little less). One worker used to ship its parsed Docs (spaCy's
``DocBin`` bytes) for the main process to map: a ``--workers 1`` run then kept 1.4 cores
busy, more than it asked for, and on a one-core machine, where one worker is the default, it
ran 15-20% slower than mapping in the worker (200 articles pinned to one core, two
alternating pairs: 22.2-25.1 s against 19.0-21.0 s), the Docs serialised for nothing.
``workers=0`` runs everything in the calling process, without a pool (for debugging and
profiling). A worker process that dies (segfault,
``os._exit``, OOM kill) fails only the article it was working on: the batches in flight are
run again one article at a time in a fresh pool, and the article that kills its worker again
is failed with that reason.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ArticleResult", "Processor", "add_rdf", "analyse_article", "default_workers",
           "graph_document", "init_worker", "map_article", "process_batch", "run_batch",
           "warm_mapping"]

_NLP: Any = None  # the worker's spaCy pipeline, loaded once by init_worker

#: A pool started with fewer processes than ``workers`` (:meth:`Processor.start`) is replaced
#: by a full one once more than this many articles per process were submitted.
GROW_AFTER = 16


@dataclass
class ArticleResult:
    article_id: str
    nquads: bytes | None = None
    graph_sha256: str = ""
    graph_names: list[str] | None = None  # the graphs its N-Quads fill (article_graphs.graph_names)
    counts: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    fragments: bytes = b""  # its property-graph fragment file (article_graphs.fragment_bytes)
    trig: bytes = b""  # its TriG chunk file (article_graphs.trig_chunk_bytes)
    error: tuple[str, str, str] | None = None  # (stage, exception class, reason)
    seconds: dict = field(default_factory=dict)  # nlp / mapping time spent on it


def warm_mapping() -> None:
    """Import the mapping stage and build its tables (rdflib, gazetteer, Italian lexicon: about
    a quarter of a second together) ahead of the first article, for a process that keeps them
    for many runs (the daemon's)."""
    from pipeline.mapping import entities, rdf  # noqa: F401
    from pipeline.nlp import analyse, relations  # noqa: F401
    from pipeline.nlp.gazetteer import italian_lexicon, lookup

    lookup("")
    italian_lexicon()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def analyse_article(article: Any, doc: Any) -> Any:
    """The half of the mapping stage that needs the spaCy Doc: the article's typed
    :class:`~pipeline.datamodel.Document` (mentions, quantities, relations)."""
    from pipeline.nlp.analyse import to_document

    return to_document(article, doc)


def graph_document(document: Any) -> tuple[Any, dict, list[str]]:
    """The other half, on plain data: the article's named graph (an rdflib ``Graph``,
    :func:`pipeline.mapping.rdf.article_graph`), the counts and warnings."""
    from pipeline.mapping.entities import resolve_entities
    from pipeline.mapping.rdf import article_graph

    graph, counts = article_graph(document, resolve_entities(document))
    return graph, counts, list(document.warnings)


def map_article(article: Any, doc: Any) -> tuple[Any, dict, list[str]]:
    """Mapping stage for one parsed article: its named graph, the counts and the warnings."""
    return graph_document(analyse_article(article, doc))


def add_rdf(result: ArticleResult, document: Any) -> None:
    """Put the RDF of the article's ``document`` into ``result``: its N-Quads, their sha256,
    graph names, property-graph fragments, TriG chunk, counts and warnings; a failure is
    recorded in ``result.error`` like any other."""
    from pipeline import article_graphs
    from pipeline.export.property_graph import graph_fragment

    stage = "mapping"
    try:
        graph, counts, warnings = graph_document(document)
        stage = "write"
        data = article_graphs.nquads_bytes(graph)
        result.nquads = data
        result.graph_sha256 = hashlib.sha256(data).hexdigest()
        result.graph_names = article_graphs.graph_names(graph)
        result.fragments = article_graphs.fragment_bytes(
            [graph_fragment(graph)] if counts["triples"] else [], result.graph_sha256)
        result.trig = article_graphs.trig_chunk_bytes(data, result.graph_sha256)
        result.counts, result.warnings = counts, list(warnings)
    except Exception as err:  # noqa: BLE001  (one bad article never kills the batch)
        result.error = (stage, type(err).__name__, _reason(err))


def _reason(error: BaseException) -> str:
    text = str(error).strip() or repr(error)
    return text if len(text) <= 500 else text[:497] + "..."


def run_batch(nlp: Any, articles: list[Any]) -> list[ArticleResult]:
    """The results of :func:`iter_batch`, as a list."""
    return list(iter_batch(nlp, articles))


def iter_batch(nlp: Any, articles: list[Any]) -> Iterator[ArticleResult]:
    """NLP (``nlp.pipe`` over the batch; one article at a time if the batch fails, to find
    the one that fails) then mapping, one article at a time. Each Doc is dropped as soon as
    its article is mapped."""
    parsing = time.perf_counter()
    try:
        docs: list[Any] | None = list(nlp.pipe([a.text for a in articles],
                                               batch_size=len(articles)))
    except Exception:  # noqa: BLE001
        docs = None
    share = (time.perf_counter() - parsing) / max(1, len(articles))
    for i, article in enumerate(articles):
        result = ArticleResult(article.id, seconds={"nlp": share if docs is not None else 0.0})
        if docs is not None:
            doc, docs[i] = docs[i], None
        else:
            parsing = time.perf_counter()
            try:
                [doc] = nlp.pipe([article.text])
            except Exception as err:  # noqa: BLE001
                result.error = ("nlp", type(err).__name__, _reason(err))
                yield result
                continue
            finally:
                result.seconds["nlp"] = time.perf_counter() - parsing
        mapping, document = time.perf_counter(), None
        try:
            document = analyse_article(article, doc)
        except Exception as err:  # noqa: BLE001  (one bad article never kills the batch)
            result.error = ("mapping", type(err).__name__, _reason(err))
        del doc
        if document is not None:
            add_rdf(result, document)
        del document
        result.seconds["mapping"] = time.perf_counter() - mapping
        yield result


def init_worker(model_path: str, close_fds: tuple[int, ...] = ()) -> None:
    """Pool initializer: load the spaCy pipeline once for this worker process."""
    global _NLP
    for fd in close_fds:  # e.g. the OUT_DIR lock: only the main process may hold it
        try:
            os.close(fd)
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    from pipeline.gc_pause import ends_with_its_work, gc_paused
    from pipeline.heap import keep_freed_memory

    ends_with_its_work()
    keep_freed_memory()  # batch after batch of the same sizes (pipeline.heap)
    # spaCy's modules live as long as the worker (load_nlp pauses and freezes for the model)
    with gc_paused(freeze=True):
        from pipeline.nlp import loader

    _NLP = loader.load_nlp(model_path)


def process_batch(articles: list[Any]) -> list[ArticleResult]:
    """Articles in -> their results out, with the worker's pipeline (see :func:`init_worker`)."""
    return run_batch(_NLP, articles)


def _processes_of(pool: ProcessPoolExecutor | None) -> list[Any]:
    """The worker processes of a pool (the executor forgets them once shut down)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _ready() -> bool:
    """A task that only makes a worker process start (and load its pipeline)."""
    return _NLP is not None


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Processor:
    """Runs batches of articles through :func:`process_batch` on ``workers`` processes (or
    in-process for ``workers=0``) and yields (article, result) in input order.

    ``submit(batch)`` may block until a result is ready (bounded work in flight); ``results()``
    yields what is done; ``drain()`` waits for everything."""

    def __init__(self, model_path: str, workers: int, close_fds: tuple[int, ...] = (),
                 on_loading: Any = None, task_size: int | None = None) -> None:
        self.model_path = model_path
        self.workers = max(0, workers)
        # articles per task: one worker parses 8 at a time (spaCy's batches of 2 run a few
        # per cent slower); several take 4, so that results come back soon and none idles
        # long at the end (1,000 articles, 2 workers, 3 alternating pairs: tasks of 4 took
        # 36.6-38.7 s and 64-68 CPU seconds in the workers, tasks of 2 38.2-41.7 s and 67-74)
        self.task_size = max(1, task_size or (8 if self.workers == 1 else 4))
        self.close_fds = close_fds
        self.on_loading = on_loading
        self.nlp: Any = None
        self.pool: ProcessPoolExecutor | None = None
        self.pool_size = 0  # its processes: workers, or fewer (start)
        self.retiring: list[Any] = []  # the processes of a smaller pool, finishing its tasks
        self.submitted = 0  # articles
        self.in_flight: deque[tuple[list[Any], Future]] = deque()
        self.ready: deque[tuple[Any, ArticleResult]] = deque()
        self.max_in_flight = 8 * max(1, self.workers)  # tasks submitted ahead: bounded memory
        self.local: Iterator[tuple[Any, ArticleResult]] | None = None
        self.load_seconds = 0.0

    # -- in-process ---------------------------------------------------------------------------
    def _local(self, batch: list[Any]) -> None:
        if self.nlp is None:
            from pipeline.nlp import loader

            if self.on_loading:
                self.on_loading()
            started = time.perf_counter()
            self.nlp = loader.load_nlp(self.model_path)
            self.load_seconds += time.perf_counter() - started
        # results come out one by one, each written by the caller before the next is mapped
        self.local = zip(batch, iter_batch(self.nlp, batch), strict=True)

    def start(self, processes: int | None = None) -> None:
        """Start worker processes now (each loads the pipeline in its initializer) instead
        of at the first batch: ``processes`` of them, at most (and by default) ``workers``,
        for a caller that expects little work (each process costs a model load, about a
        second of a core). If more work comes, the full ``workers`` are started then
        (:meth:`submit`). In-process (``workers=0``) this does nothing."""
        if self.workers == 0 or self.pool is not None:
            return
        self.pool = self._new_pool(max(1, min(self.workers, processes or self.workers)))
        for _ in range(self.pool_size):
            self.pool.submit(_ready)

    # -- the pool -------------------------------------------------------------------------------
    def _new_pool(self, size: int | None = None) -> ProcessPoolExecutor:
        if self.on_loading and self.pool is None:
            self.on_loading()
        self.pool_size = size or self.workers
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(max_workers=self.pool_size, mp_context=context,
                                   initializer=init_worker,
                                   initargs=(self.model_path, self.close_fds))

    def _grow(self) -> None:
        """Replace a pool started smaller than ``workers`` (:meth:`start`) by a full one once
        more work than it was started for comes: the small pool finishes the tasks it holds,
        then its processes exit (with ``fork``, a pool starts all its processes at once and
        never adds any)."""
        small, self.pool = self.pool, self._new_pool()
        if small is not None:
            self.retiring += _processes_of(small)
            small.shutdown(wait=False)

    def submit(self, batch: list[Any]) -> None:
        if not batch:
            return
        if self.workers == 0:
            assert self.local is None, "results() must be consumed between two submit()s"
            self._local(batch)
            return
        if self.pool is None:
            self.pool = self._new_pool()
        self.submitted += len(batch)
        if self.pool_size < self.workers and self.submitted > GROW_AFTER * self.pool_size:
            self._grow()
        # small tasks: results come back (and are written) soon, and the workers stay busy
        for start in range(0, len(batch), self.task_size):
            while len(self.in_flight) >= self.max_in_flight:
                self._collect_head()
            chunk = batch[start:start + self.task_size]
            self.in_flight.append((chunk, self.pool.submit(process_batch, chunk)))

    def _collect_head(self) -> None:
        batch, future = self.in_flight.popleft()
        try:
            results = future.result()
        except BrokenProcessPool:
            self._recover([batch] + [b for b, _ in self.in_flight])
            return
        for article, result in zip(batch, results, strict=True):
            self.ready.append((article, result))

    def _recover(self, batches: list[list[Any]]) -> None:
        """A worker died: run the batches in flight again, one article at a time, each in a
        pool that is replaced whenever a worker dies; the article whose worker dies fails."""
        self.in_flight.clear()
        self._shutdown()
        for batch in batches:
            for article in batch:
                self.pool = self.pool or self._new_pool()
                try:
                    [result] = self.pool.submit(process_batch, [article]).result()
                except BrokenProcessPool as err:
                    self._shutdown()
                    result = ArticleResult(article.id, error=(
                        "nlp", "WorkerDied",
                        f"the worker process died while processing this article ({err})"))
                self.ready.append((article, result))

    def has_results(self) -> bool:
        """Whether a result is ready, or the oldest batch in flight is done."""
        return bool(self.ready) or bool(self.in_flight and self.in_flight[0][1].done())

    def results(self) -> Iterator[tuple[Any, ArticleResult]]:
        """The results ready now (and those of finished batches at the head), in order."""
        if self.local is not None:
            local, self.local = self.local, None
            yield from local
        while True:
            while self.in_flight and self.in_flight[0][1].done():
                self._collect_head()
            if not self.ready:
                return
            yield self.ready.popleft()

    def drain(self) -> Iterator[tuple[Any, ArticleResult]]:
        if self.local is not None:
            local, self.local = self.local, None
            yield from local
        while self.in_flight or self.ready:
            if not self.ready:
                self._collect_head()
            while self.ready:
                yield self.ready.popleft()

    def _shutdown(self) -> None:
        pool, self.pool = self.pool, None
        processes, self.retiring = self.retiring + _processes_of(pool), []
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(5)

    def close(self) -> None:
        self.in_flight.clear()
        self._shutdown()
        self.nlp = None
