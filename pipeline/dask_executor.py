"""`aerokg run --executor dask`: the NLP and mapping stages on a Dask cluster
(``dask.distributed``); the driver (the ``aerokg run`` process) keeps everything else.

Only :mod:`pipeline.runner` imports this module, and only for ``--executor dask``: a local
run never imports dask. It has two halves.

**On the workers**, :func:`process_shard` is the task: a shard of articles in (their text
travels with the task; they are small), one shard written out (:mod:`pipeline.shards`: an
N-Quads file and its manifest, atomically) and a small summary returned. A worker loads the
spaCy pipeline once per process, the first time a task needs it (nothing is shipped from the
driver, no ``Doc`` is ever pickled), checks that it runs the same aerokg and model as the
driver (same stamp) and runs :func:`pipeline.workers.run_batch` over the shard, 8 articles per
``nlp.pipe`` call. A shard that already exists for the same inputs is not made again: a retried
or resumed task returns at once.

**On the driver**, :class:`DaskProcessor` has the interface of
:class:`pipeline.workers.Processor`, so the runner treats a cluster as it treats its local
pool: it gathers the articles to process into shards of ``shard_size``, submits them with
``client.submit`` (a bounded number in flight: memory does not grow with the corpus), takes
them back as they complete (``as_completed``), reads each finished shard from the shard folder
and hands every article's result to the runner, which writes its graph file, loads the store
(only the driver writes it: Oxigraph takes one writer) and updates the manifest exactly as in a
local run. Articles already in a shard of the folder (a run interrupted after the workers
finished them) are taken from there without being submitted again.

Failures: Dask reschedules the task of a worker that dies (killed, out of memory) on another
worker; when a shard has killed workers too often (``distributed.scheduler.allowed-failures``)
its articles are submitted again one by one, and the one that still kills its worker fails with
``WorkerDied``. A task that raises (a worker with another aerokg or model, a shard the driver
cannot read) fails its articles with that reason; they are reported in ``run-report.json`` like
any other failure. A scheduler that cannot be reached is a :class:`DaskSetupError` before
anything is read or written.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.shards import ShardFolder, build_shard, shard_key

__all__ = ["DEFAULT_SHARD_SIZE", "DaskProcessor", "DaskSettings", "DaskSetupError",
           "WorkerMismatch", "connect", "process_shard"]

#: Largest default shard: 32 news articles of ~350 words are 5-10 s of work for one worker. A
#: Dask task costs milliseconds, so small shards cost nothing measurable, while the last shards
#: of a run decide how long the other workers wait: on 1,000 articles and 2 workers, shards of
#: up to 100 articles made the run 9% slower than shards of 25 (94 s against 86 s).
DEFAULT_SHARD_SIZE = 32
NLP_BATCH = 8  # articles per nlp.pipe call inside a shard
CONNECT_TIMEOUT = 15.0  # seconds to reach the scheduler
WORKERS_TIMEOUT = 120.0  # seconds to wait for the scheduler's first worker

#: Dask settings of the LocalCluster a run starts (a cluster of the user's keeps its own). The
#: statistical profiler samples every task thread's stack 100 times a second, and the
#: ``MALLOC_TRIM_THRESHOLD_`` Dask gives its workers makes glibc hand freed memory back to the
#: kernel at once; spaCy allocates and frees constantly: together they cost a 1,000-article run
#: a sixth of its time (``benchmarks/bench.py``).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ": {
        "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}

_WORKER_NLP: dict[str, Any] = {}  # on a worker: model spec -> loaded pipeline


class DaskSetupError(Exception):
    """Dask is not installed, or the scheduler cannot be reached or has no workers."""


class WorkerMismatch(Exception):
    """A worker runs another aerokg version or model than the driver."""


@dataclass(frozen=True)
class DaskSettings:
    """What ``aerokg run --executor dask`` was given."""

    scheduler: str | None = None  # address of a running scheduler (tcp://host:8786)
    workers: int | None = None  # or: start a LocalCluster of this many processes
    shard_size: int | None = None  # None: ramp up to DEFAULT_SHARD_SIZE (see DaskProcessor)
    shard_dir: str | None = None  # default: OUT_DIR/.aerokg/shards
    connect_timeout: float | None = None  # seconds to reach the scheduler (CONNECT_TIMEOUT)

    def describe(self) -> dict:
        return {"name": "dask", "scheduler": self.scheduler, "workers": self.workers,
                "shard_size": self.shard_size, "shard_dir": self.shard_dir}


# -- the worker side ------------------------------------------------------------------------------
def process_shard(location: str, key: str, articles: list[Any], content_sha: list[str],
                  model: str, stamp: dict) -> dict:
    """The task: process ``articles`` and write shard ``key`` into the shard folder at
    ``location``; returns a summary (no graph data: that goes through the folder)."""
    folder = ShardFolder(location)
    if folder.exists(key, stamp):
        return {"key": key, "skipped": True, "worker": _worker_name()}
    started = time.perf_counter()
    nlp, load_seconds = _worker_pipeline(model, stamp)
    from pipeline.workers import run_batch

    results = []
    for start in range(0, len(articles), NLP_BATCH):
        results.extend(run_batch(nlp, articles[start:start + NLP_BATCH]))
    seconds = {"load_model": round(load_seconds, 3),
               "task": round(time.perf_counter() - started, 3)}
    shard = build_shard(key, stamp, articles, content_sha, results, seconds)
    folder.write(shard)
    return {"key": key, "skipped": False, "worker": _worker_name(), "seconds": seconds,
            "failed": sum(a.status != "ok" for a in shard.articles)}


def _worker_pipeline(model: str, stamp: dict) -> tuple[Any, float]:
    """This worker's pipeline for ``model``, loaded on first use; raises
    :class:`WorkerMismatch` when the worker would not make what the driver expects."""
    from pipeline.manifest import model_stamp

    if model in _WORKER_NLP:
        return _WORKER_NLP[model], 0.0
    mine = model_stamp(model).stamp
    if mine != stamp:
        differs = ", ".join(f"{k}: worker {mine.get(k)!r}, driver {stamp.get(k)!r}"
                            for k in sorted(set(mine) | set(stamp)) if mine.get(k) != stamp.get(k))
        raise WorkerMismatch(f"worker {_worker_name()} does not run the driver's aerokg and "
                             f"model ({differs}); install the same aerokg (and model) on the "
                             "workers")
    from pipeline.nlp import loader

    started = time.perf_counter()
    _WORKER_NLP[model] = loader.load_nlp(model)
    return _WORKER_NLP[model], time.perf_counter() - started


def _worker_name() -> str:
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


# -- the driver side ------------------------------------------------------------------------------
def connect(settings: DaskSettings) -> tuple[Any, Any]:
    """A ``distributed.Client`` for ``settings`` and the LocalCluster it started (None when it
    connected to ``settings.scheduler``). Raises :class:`DaskSetupError` with what to do."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise DaskSetupError("--executor dask needs dask.distributed: "
                             "pip install 'aerokg[dask]'") from err
    if settings.scheduler:
        try:
            client = Client(settings.scheduler, set_as_default=False,
                            timeout=settings.connect_timeout or CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            raise DaskSetupError(
                f"cannot reach the Dask scheduler at {settings.scheduler} ({err}). Is it "
                "running (`dask scheduler`)? Check the address, the port (8786 by default) "
                "and the firewall; nothing was processed.") from None
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (OSError, TimeoutError) as err:
            client.close()
            raise DaskSetupError(f"the Dask scheduler at {settings.scheduler} has no workers "
                                 f"after {WORKERS_TIMEOUT:.0f} s ({err}); start some with "
                                 f"`dask worker {settings.scheduler}`") from None
        return client, None
    import dask

    workers = settings.workers or max(1, os.cpu_count() or 1)
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster, set_as_default=False), cluster


def model_spec(name_or_path: str, model_path: str) -> str:
    """What the workers are asked to load: the shipped model and installed packages by name
    (each worker finds its own copy), any other pipeline by its absolute path (which must
    exist on the workers too)."""
    from pipeline.nlp.shipped import SHIPPED

    if name_or_path == SHIPPED or not Path(name_or_path).expanduser().exists():
        return name_or_path  # the shipped model or a package name (found installed)
    return model_path


@dataclass
class _Task:
    articles: list[Any]
    key: str
    future: Any
    retried_alone: bool = False  # each article on its own, after KilledWorker


class DaskProcessor:
    """Runs the articles given to :meth:`submit` on a Dask cluster, a shard at a time, and
    yields (article, :class:`pipeline.workers.ArticleResult`) as shards complete (in
    completion order). The interface of :class:`pipeline.workers.Processor`.

    With a ``shard_size``, every shard but the last has that many articles. Without one, the
    shards grow from :data:`NLP_BATCH` articles, doubling up to :data:`DEFAULT_SHARD_SIZE`
    (every worker gets work at once and the first results come back in seconds, while the
    later shards are large enough that the cost of a task is noise), and what is left at the
    end is split among the workers (no worker finishes a long last shard while the others
    wait)."""

    def __init__(self, client: Any, folder: ShardFolder, model: str, stamp: dict,
                 content_sha: Callable[[Any], str], shard_size: int | None = None,
                 on_loading: Callable[[], None] | None = None) -> None:
        from distributed import as_completed

        self.client = client
        self.folder = folder
        self.model_path = model
        self.stamp = dict(stamp)
        self.content_sha = content_sha
        self.fixed = shard_size is not None
        self.shard_size = max(1, shard_size) if shard_size else min(NLP_BATCH,
                                                                    DEFAULT_SHARD_SIZE)
        self.on_loading = on_loading
        self.nlp: Any = None  # never loaded here
        self.load_seconds = 0.0
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.max_in_flight = 2 * self.workers + 1
        self.buffer: list[Any] = []
        self.tasks: dict[str, _Task] = {}  # by future key
        self.completed = as_completed(loop=client.loop)
        self.ready: deque[tuple[Any, Any]] = deque()
        self.stats = new_stats(self.workers)
        self.folder.make()
        self.folder.remove_temporary()
        # articles some earlier, interrupted run already has in a shard of the folder
        self.found: dict[tuple[str, str], str] = {
            (article_id, sha): key for article_id, sha, key in folder.index(self.stamp)}
        self._cached: tuple[str, Any] | None = None

    def start(self) -> None:
        """Nothing to start: the workers load the pipeline with their first shard."""

    # -- submitting -------------------------------------------------------------------------
    def submit(self, batch: list[Any]) -> None:
        for article in batch:
            key = self.found.get((article.id, self.content_sha(article)))
            if key is not None and self._reuse(article, key):
                continue
            self.buffer.append(article)
            if len(self.buffer) >= self.shard_size:
                self._submit_shard(self.buffer)
                self.buffer = []
                if not self.fixed:
                    self.shard_size = min(2 * self.shard_size, DEFAULT_SHARD_SIZE)

    def _reuse(self, article: Any, key: str) -> bool:
        shard = self._shard(key)
        if shard is None or shard.stamp != self.stamp:
            return False
        entry = next((a for a in shard.articles if a.id == article.id), None)
        if entry is None or entry.status != "ok":
            return False
        self.ready.append((article, self._result(shard, entry)))
        self.stats["articles_reused"] += 1
        return True

    def _shard(self, key: str) -> Any:
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self.folder.read(key))
        return self._cached[1]

    def _submit_shard(self, articles: list[Any], alone: bool = False) -> None:
        while len(self.tasks) >= self.max_in_flight:
            self._collect(block=True)
        shas = [self.content_sha(a) for a in articles]
        key = shard_key(self.stamp, zip([a.id for a in articles], shas, strict=True))
        shard = self.folder.read(key)
        if shard is not None and shard.stamp == self.stamp:  # made by an interrupted run
            self.stats["shards_reused"] += 1
            self._take(articles, key, None, shard)
            return
        if self.on_loading and not self.tasks and not self.stats["shards_submitted"]:
            self.on_loading()
        self.stats["shards_submitted"] += 1
        future = self.client.submit(
            process_shard, self.folder.location, key, articles, shas, self.model_path,
            self.stamp, key=f"aerokg-shard-{key}-{self.stats['shards_submitted']}", pure=False)
        self.tasks[future.key] = _Task(articles, key, future, alone)
        self.completed.add(future)

    # -- collecting -------------------------------------------------------------------------
    def _collect(self, block: bool) -> None:
        """Take in the shards that completed (waiting for one when ``block``)."""
        if not self.tasks:
            return
        if not block and not self.completed.has_ready():
            return
        for future in self.completed.next_batch(block=block):
            task = self.tasks.pop(future.key)
            self._finished(task, future)

    def _finished(self, task: _Task, future: Any) -> None:
        from distributed import KilledWorker

        try:
            summary = future.result()
        except KilledWorker as err:
            if len(task.articles) > 1 or not task.retried_alone:
                # find the article that kills its worker: each one alone, once more
                self.stats["shards_split"] += 1
                for article in task.articles:
                    self._submit_shard([article], alone=True)
                return
            self._fail_all(task.articles, "nlp", "WorkerDied",
                           f"the worker process died each time it processed this article "
                           f"({err})")
            return
        except Exception as err:  # noqa: BLE001  (the shard's articles fail, the run goes on)
            self._fail_all(task.articles, "nlp", type(err).__name__, _reason(err))
            return
        finally:
            future.release()
        self.stats["worker_seconds"] += summary.get("seconds", {}).get("task", 0.0)
        self._take(task.articles, task.key, summary)

    def _take(self, articles: list[Any], key: str, summary: dict | None,
              shard: Any = None) -> None:
        shard = shard or self.folder.read(key)
        if shard is None:
            where = (summary or {}).get("worker", "a worker")
            self._fail_all(articles, "write", "ShardMissing",
                           f"{where} wrote shard {key} but the driver cannot read it in "
                           f"{self.folder.location}: the shard folder must be shared by the "
                           "driver and the workers (a shared file system or an object store "
                           "URL, --shard-dir)")
            return
        by_id = {entry.id: entry for entry in shard.articles}
        for article in articles:
            entry = by_id.get(article.id)
            if entry is None:
                self._fail_all([article], "write", "ShardMismatch",
                               f"shard {key} has no entry for this article")
                continue
            self.ready.append((article, self._result(shard, entry)))

    def _result(self, shard: Any, entry: Any) -> Any:
        from pipeline.workers import ArticleResult

        result = ArticleResult(entry.id, seconds=dict(entry.seconds))
        if entry.status != "ok":
            error = entry.error or {}
            result.error = (error.get("stage", "nlp"), error.get("error_class", "Error"),
                            error.get("reason", ""))
            return result
        try:
            result.nquads = shard.graph_bytes(entry)
        except ValueError as err:
            result.error = ("write", "ShardCorrupt", str(err))
            return result
        result.graph_sha256 = entry.graph_sha256
        result.counts, result.warnings = dict(entry.counts), list(entry.warnings)
        result.fragments = entry.fragments.encode("utf-8")
        return result

    def _fail_all(self, articles: list[Any], stage: str, error_class: str, reason: str) -> None:
        from pipeline.workers import ArticleResult

        for article in articles:
            self.ready.append((article, ArticleResult(article.id,
                                                      error=(stage, error_class, reason))))

    # -- the Processor interface ------------------------------------------------------------
    def results(self) -> Iterator[tuple[Any, Any]]:
        """The results ready now, without waiting."""
        self._collect(block=False)
        while self.ready:
            yield self.ready.popleft()

    def drain(self) -> Iterator[tuple[Any, Any]]:
        """Submit what is left and yield every result, waiting for the cluster."""
        if self.buffer:
            parts = 1 if self.fixed else min(self.workers, len(self.buffer))
            size = -(-len(self.buffer) // parts)
            for start in range(0, len(self.buffer), size):
                self._submit_shard(self.buffer[start:start + size])
            self.buffer = []
        while self.tasks or self.ready:
            while self.ready:
                yield self.ready.popleft()
            self._collect(block=True)

    def close(self) -> None:
        for task in self.tasks.values():
            task.future.cancel()
        self.tasks.clear()
        self.completed.clear()
        self._cached = None


def new_stats(workers: int = 0) -> dict:
    """The executor section of ``run-report.json`` before any shard."""
    return {"workers": workers, "shards_submitted": 0, "shards_reused": 0,
            "articles_reused": 0, "shards_split": 0, "worker_seconds": 0.0}


def _reason(error: BaseException) -> str:
    text = str(error).strip() or repr(error)
    return text if len(text) <= 500 else text[:497] + "..."
