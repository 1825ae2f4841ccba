"""The batch run behind `aerokg run`: corpus -> NLP stage -> mapping stage -> export stage,
one article at a time, incremental and safe to interrupt.

``OUT_DIR`` holds the outputs (``graph.ttl``, ``graph.trig``, ``graph.graphml``, ``graph.gexf``,
``graph.cyjs``, ``run-report.json``) and the run state in ``OUT_DIR/.aerokg/``:

* ``graphs/*.nq`` - one N-Quads file per article, its named graph (:mod:`pipeline.article_graphs`);
* ``manifest.json`` - per article the content hash and stamp its graph file was made from
  (:mod:`pipeline.manifest`), and the hashes of the outputs last written;
* ``lock`` - held for the whole run (:mod:`pipeline.lock`): one run per OUT_DIR at a time.

A run:

1. takes the lock, loads the manifest, finds the model's stamp without loading the model;
2. streams the articles (:func:`pipeline.corpus.iter_corpus`). An article whose content hash
   and stamp match the manifest, and whose graph file exists, is *unchanged*: reused as it is.
   The others are queued; the spaCy pipeline is loaded only when the first one is, and parses
   them in small batches;
3. maps each parsed article on its own, writes its graph file (atomically), then its manifest
   entry. An article that fails anywhere (parse, mapping, write) is recorded with its file,
   reason and exception class, its stale graph file is removed, and the batch goes on
   (``strict=True``: the run stops there, nothing else is written);
4. articles in the manifest but not in the inputs are kept (reported *missing*) or, with
   ``prune=True``, deleted;
5. rebuilds the outputs from the graph files and the run's metadata graph, unless they already
   are exactly that (same inputs, same stamp, files unchanged since written: then they are not
   touched, byte for byte), and writes ``run-report.json`` last.

Every file is replaced atomically and the graph file of an article is written before its
manifest entry (which is marked *pending* before the graph file is replaced): a run killed at
any point leaves the previous outputs intact, and the next run redoes only the unfinished
articles. The graph files (three per article) are made durable together, just before each
save of the manifest that names them (:class:`~pipeline.export.atomic.DeferredSync`), not
each with two fsyncs of its own as it is written.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pipeline
from pipeline import article_graphs
from pipeline.export.atomic import DeferredSync
from pipeline.inputs.language import ITALIAN
from pipeline.inputs.language import UNKNOWN as UNKNOWN_LANGUAGE
from pipeline.lock import OutDirBusy, OutDirLock
from pipeline.manifest import (
    ModelFacts,
    content_hash,
    file_sha256,
    load_manifest,
    model_stamp,
    save_manifest,
)

__all__ = [
    "EXIT_BUSY",
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "OutDirBusy",
    "RunResult",
    "run",
    "terminal_progress",
]

#: Exit codes of `aerokg run`.
EXIT_OK = 0  # every article processed (or unchanged)
EXIT_INCOMPLETE = 1  # some article failed or was skipped, or --strict stopped the run
EXIT_USAGE = 2  # bad option or configuration (click's usage errors, model not found)
EXIT_BUSY = 3  # OUT_DIR is in use by another run
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGTERM: the next run goes on from there

STATE_DIR = ".aerokg"
GRAPHS_DIR = "graphs"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = "lock"
REPORT_FILE = "run-report.json"
BATCH_SIZE = 8  # articles parsed per nlp.pipe call
EXECUTORS = ("local", "dask")  # where the NLP and mapping stages run
SHARDS_DIR = "shards"  # in STATE_DIR: the shard files of a dask run (pipeline.shards)
LAYOUT_CACHE_FILE = "layout-cache.json"  # in STATE_DIR: component layouts (export.layout)
TURTLE_INDEX_FILE = "turtle-index.json"  # in STATE_DIR: graph.ttl's blocks (turtle_patch)
#: Bytes of modified article files per worker started ahead (``_Run.workers_to_start``):
#: about 5,000 words, the parsing that one model load (a second of a core) is worth.
BYTES_PER_WORKER = 32_000
#: N-Quads bytes of article graphs loaded into the store at once (one bulk load; about 400
#: articles): each load ingests its own files into RocksDB, and many small ones kept its
#: background threads compacting them (3.3 s of CPU over 1,000 articles in loads of 50,
#: against 1.6 s in loads of 400).
STORE_LOAD_BYTES = 8 << 20
#: The corpus store is flushed to disk after this many article graphs (bounded memory).
STORE_FLUSH_ARTICLES = 100
#: A run that submits this many articles is a long one: the main process then imports the
#: exports' modules ahead, between results (worth the second these take).
LONG_RUN_ARTICLES = 48
MANIFEST_FLUSH_SECONDS = 2.0  # the manifest is written at most this often while processing

#: progress() is entered once per run and yields advance(label, step=1), called once per
#: article (and with step=0 to show what the run is doing, e.g. loading the model).
ProgressFactory = Callable[[], AbstractContextManager[Callable[..., None]]]


@dataclass
class RunResult:
    out_dir: Path
    report: dict
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return self.report["exit_code"]

    @property
    def stopped(self) -> bool:
        """True when --strict stopped the run before the end (outputs not rewritten)."""
        return bool(self.report.get("stopped"))

    def problem_lines(self) -> list[str]:
        """One line per failed or skipped article or input file: what, which file, why."""
        lines = []
        for p in self.report["problems"]:
            lines.append(f"{p['status']} {p['file']}: {p['reason']} ({p['error_class']})")
        for a in self.report["articles"]:
            if a["status"] == "failed":
                lines.append(f"failed {a['file']} (article {a['article']}): {a['reason']} "
                             f"({a['error_class']})")
        for m in self.report["missing"]:
            if m["kept"]:
                lines.append(f"missing {m['file']} (article {m['article']}): not in the inputs "
                             "any more, its graph is kept; use --prune to remove it")
        return lines

    @property
    def summary(self) -> str:
        r = self.report
        t = r["totals"]
        if r.get("stopped"):
            s = r["stopped"]
            return (f"stopped (--strict) at {s['status']} {s['file']}: {s['reason']} "
                    f"({t['processed']} processed, {t['unchanged']} unchanged before it; "
                    f"outputs in {self.out_dir} not rewritten)")
        return (
            f"{t['articles_ok']} articles ({t['processed']} processed, {t['unchanged']} "
            f"unchanged) -> {t['entities']} entities, {t['relations']} relations, "
            f"{t['triples']} triples in {self.out_dir} ({t['articles_failed']} failed, "
            f"{t['input_failed']} input files failed, {t['input_skipped']} skipped, "
            f"{t['missing']} missing, {t['pruned']} pruned; outputs "
            f"{'rewritten' if r['outputs']['rewritten'] else 'unchanged'}; "
            f"{r['seconds']['total']:.1f} s)"
        )


class _StopRun(Exception):
    """--strict: the first failed or skipped article."""

    def __init__(self, entry: dict) -> None:
        super().__init__(entry["reason"])
        self.entry = entry


def run(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    model: str | None = None,
    progress: ProgressFactory | None = None,
    *,
    strict: bool = False,
    prune: bool = False,
    full: bool = False,
    force_language: bool = False,
    max_bytes: int | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    executor: str = "local",
    dask: Any = None,
) -> RunResult:
    """Build (or bring up to date) the knowledge graph of the articles under ``paths`` in
    ``out_dir``; see the module doc.

    ``full`` ignores the manifest (every article is processed again); ``prune`` removes the
    articles no longer in the inputs; ``strict`` stops at the first failed or skipped article
    (the state stays consistent, the outputs are not rewritten). ``progress`` is a context
    manager factory yielding a callable called once per article (:func:`terminal_progress`).
    ``workers`` processes run the NLP and mapping stages (default: the number of cores; 0
    runs them in this process), see :mod:`pipeline.workers`. ``executor="dask"`` runs them
    on a Dask cluster instead (:mod:`pipeline.dask_executor`; ``dask`` is its
    :class:`~pipeline.dask_executor.DaskSettings`); the rest of the run is the same.

    Raises ``ModelNotFoundError``/``ConfigError`` (bad model setting, before anything is
    written), ``DaskSetupError`` (dask missing, scheduler unreachable: before anything is read
    or written), :class:`OutDirBusy` (another run holds ``out_dir``), and lets
    ``KeyboardInterrupt`` through after saving the manifest of the articles done.
    """
    started = time.perf_counter()
    facts = model_stamp(model)
    out_dir = Path(out_dir)
    state = out_dir / STATE_DIR
    from pipeline.workers import default_workers

    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    cluster: Any = None
    if executor == "dask":  # connected first: an unreachable scheduler stops the run here
        from pipeline import dask_executor
        from pipeline.lock import ensure_free

        ensure_free(state / LOCK_FILE, out_dir)  # a busy OUT_DIR: no cluster started for it

        dask = dask or dask_executor.DaskSettings(workers=workers)
        cluster = dask_executor.connect(dask)
    try:
        with OutDirLock(state / LOCK_FILE, out_dir) as lock:
            job = _Run(
                paths=[Path(p) for p in paths], out_dir=out_dir, facts=facts, strict=strict,
                prune=prune, full=full, force_language=force_language, max_bytes=max_bytes,
                batch_size=max(1, batch_size), progress=progress, started=started,
                workers=max(0, default_workers() if workers is None else workers),
                lock_fd=getattr(lock, "_fd", None), executor=executor, dask=dask,
                client=cluster[0] if cluster else None,
            )
            return job.execute()
    finally:
        if cluster is not None:
            client, local_cluster = cluster
            client.close()
            if local_cluster is not None:
                local_cluster.close()


@dataclass
class _Run:
    paths: list[Path]
    out_dir: Path
    facts: ModelFacts
    strict: bool
    prune: bool
    full: bool
    force_language: bool
    max_bytes: int | None
    batch_size: int
    progress: ProgressFactory | None
    started: float
    workers: int = 1
    lock_fd: int | None = None
    executor: str = "local"
    dask: Any = None  # DaskSettings
    client: Any = None  # distributed.Client

    def __post_init__(self) -> None:
        self.state_dir = self.out_dir / STATE_DIR
        self.graphs_dir = self.state_dir / GRAPHS_DIR
        self.manifest_path = self.state_dir / MANIFEST_FILE
        self.stamp = self.facts.stamp
        self.warnings: list[str] = []
        self.articles: dict[str, dict] = {}  # report entries of the articles read, by id
        self.problems: list[dict] = []
        self.missing: list[dict] = []
        self.pruned: list[dict] = []
        self.queue: list[tuple[Any, str]] = []  # (article, why it is processed)
        self.why: dict[str, str] = {}  # article id -> why it is processed (while in flight)
        self.processor: Any = None  # pipeline.workers.Processor, made for the first article
        self.store: Any = None  # the corpus store (pipeline.store)
        self.store_writes = 0  # article graphs written to it this run
        self.nlp: Any = None
        self.seconds = {"load_model": 0.0, "nlp": 0.0, "mapping": 0.0}
        self.dirty = False
        self.last_flush = time.monotonic()
        self.advance: Callable[..., None] = lambda label, step=1: None
        self.shard_folder: Any = None  # pipeline.shards.ShardFolder of a dask run
        # (id, N-Quads, sha256, graph names or None) to load
        self.store_pending: list[tuple[str, bytes, str, list[str] | None]] = []
        # the graph files written, made durable together before the manifest names them
        self.graph_writes = DeferredSync()
        self.preloaded = False  # the exports' modules imported (pipeline.export.writer.preload)
        self.submitted = 0  # articles handed to the processor this run
        self.prefetch: Any = None  # pipeline.export.writer.FragmentPrefetch, see prefetch_export
        self.graph_names: set[str] | None = None  # the graph files there when reading began
        self.files_seen: dict[str, dict] = {}  # path -> manifest "files" record, this run
        self.discovery: tuple[list[Path], list[Any]] | None = None  # see discovered()

    # -- the run ---------------------------------------------------------------------------
    def execute(self) -> RunResult:
        self.graphs_dir.mkdir(parents=True, exist_ok=True)
        _remove_temporary_files(self.out_dir, self.state_dir, self.graphs_dir)
        self.manifest, warning = load_manifest(self.manifest_path)
        if warning:
            self.warnings.append(warning)
        manifest_state = ("ignored (--full)" if self.full else
                          "unreadable" if warning and not self.manifest.articles else
                          "loaded" if self.manifest_path.exists() else "new")
        stopped: dict | None = None
        progress = self.progress() if self.progress else _no_progress()
        try:
            with progress as advance:
                self.advance = advance
                ahead = self.workers_to_start()
                if ahead:
                    # the model loads while the store is opened and the corpus read (and the
                    # worker is forked before the store is open: it holds none of its files)
                    self.start_processor(ahead)
                self.open_store()
                for item in _read_corpus(self.paths, self.max_bytes, self.force_language,
                                         self.known_language, self.known_file,
                                         self.discovered()):
                    if _is_problem(item):
                        self.add_problem(item)
                    elif not hasattr(item, "text"):
                        self.add_known(item)
                    else:
                        self.add_article(item)
                self.process_queue()
                self.finish_processing()
                self.record_files()
        except _StopRun as stop:
            stopped = stop.entry
        finally:
            if self.processor is not None:
                self.processor.close()
            self.flush(force=True)
        read_done = time.perf_counter()
        if not self.articles and not self.problems:
            self.warnings.append("no articles found in " + ", ".join(map(str, self.paths)))
        outputs: dict[str, Path] = {}
        export_info: dict[str, Any] = {"rewritten": False}
        if stopped is None:
            self.handle_missing()
            self.flush(force=True)
            outputs, export_info = self.export()
            self.collect_garbage()
        if self.store is not None:
            self.store.flush()
            self.store = None
        report = self.report(stopped, manifest_state, export_info, read_done)
        if stopped is None:
            # Last: a report in OUT_DIR always describes the graph files next to it.
            from pipeline.export.report import write_run_report

            outputs["report"] = self.out_dir / REPORT_FILE
            write_run_report(outputs["report"], report)
        return RunResult(out_dir=self.out_dir, report=report, outputs=outputs)

    # -- input -------------------------------------------------------------------------------
    def add_problem(self, problem: Any) -> None:
        entry = {
            "file": str(problem.path),
            "status": getattr(problem, "status", "failed"),
            "reason": problem.message,
            "error_class": getattr(problem, "error_class", "CorpusError"),
        }
        self.problems.append(entry)
        self.advance(Path(entry["file"]).name)
        if self.strict:
            raise _StopRun(entry)

    def add_article(self, article: Any) -> None:
        if article.id in self.articles:  # iter_corpus reports these itself; a safety net
            return self.add_problem(_DuplicateProblem(article, self.articles[article.id]))
        digest = content_hash(article)
        self.articles[article.id] = {"article": article.id, "file": str(article.path),
                                     "sha256": digest}
        signature = getattr(article, "signature", None)
        if signature is not None:  # a file read whole, without problems: known next time
            record = self.files_seen.setdefault(
                str(article.path), {"signature": signature.to_json(), "articles": []})
            record["articles"].append(article.id)
        entry = self.manifest.articles.get(article.id)
        why = self.needs_processing(article, digest, entry)
        if why is None:
            assert entry is not None
            if entry["path"] != str(article.path):  # moved or renamed: same graph
                entry["path"] = str(article.path)
                self.dirty = True
            self.mark_unchanged(article.id, entry)
            return
        self.articles[article.id]["status"] = "pending"  # until processed (or the run stops)
        self.queue.append((article, why))
        self.start_processor()
        if len(self.queue) >= self.batch_size:
            self.process_queue()

    def known_file(self, path: Path, signature: Any) -> list[str] | None:
        """The articles of ``path`` if it is the file an earlier run read (same signature)
        and each of them is still done: entry ok, made with this run's stamp, from this
        file, its graph file there, in Italian (or ``--force-language``). None: read it
        (``--full`` reads every file)."""
        record = None if self.full else self.manifest.files.get(str(path))
        if not record or record["signature"] != signature.to_json() or not record["articles"]:
            return None
        for article_id in record["articles"]:
            entry = self.manifest.articles.get(article_id)
            if (not isinstance(article_id, str) or entry is None or entry["path"] != str(path)
                    or self.reuse_blocker(article_id, entry) is not None
                    # kept by --force-language: a run without it skips it again
                    or (not self.force_language
                        and entry.get("language") not in (ITALIAN, UNKNOWN_LANGUAGE))):
                return None
        return list(record["articles"])

    def add_known(self, known: Any) -> None:
        """An article of a file not read again (:meth:`known_file`): unchanged."""
        if known.id in self.articles:  # iter_corpus reports these itself; a safety net
            return self.add_problem(_DuplicateProblem(known, self.articles[known.id]))
        entry = self.manifest.articles[known.id]
        self.articles[known.id] = {"article": known.id, "file": known.path,
                                   "sha256": entry["sha256"]}
        self.files_seen.setdefault(known.path, self.manifest.files[known.path])
        self.mark_unchanged(known.id, entry)

    def mark_unchanged(self, article_id: str, entry: dict) -> None:
        """Report an article whose graph file is reused: its counts and warnings as the
        manifest recorded them."""
        self.articles[article_id] |= {"status": "unchanged", **entry["counts"]}
        if entry.get("warnings"):
            self.articles[article_id]["warnings"] = entry["warnings"]
        self.advance(article_id)

    def record_files(self) -> None:
        """The manifest's ``files``: for each file read whole this run (or known), its
        signature and articles, if every one of them is done (see :meth:`known_file`)."""
        files = {}
        for path, record in self.files_seen.items():
            if all(self.manifest.articles.get(article_id, {}).get("status") == "ok"
                   and self.manifest.articles[article_id]["path"] == path
                   for article_id in record["articles"]):
                files[path] = record
        if files != self.manifest.files:
            self.manifest.files = files
            self.dirty = True

    def graph_file_names(self) -> set[str]:
        """The names of the files in the graphs folder (one listing, no stat per file)."""
        try:
            with os.scandir(self.graphs_dir) as entries:
                return {entry.name for entry in entries if entry.is_file()}
        except OSError:
            return set()

    def workers_to_start(self) -> int:
        """How many workers are worth starting before the corpus is read (0: none): a local
        run with workers, and a new or forced one (all of them), or article files modified
        since the manifest was last written (a cheap guess: the content hashes decide what
        is processed; a wrong guess costs a worker that loads the model and is stopped).
        Modified files of fewer than :data:`BYTES_PER_WORKER` bytes each get one worker: a
        second one would load the model (a second of a core) for less work than that, while
        this process needs the core (a re-run after one edit: 0.5 s sooner)."""
        if self.executor != "local" or self.workers < 1:
            return 0
        files, _ = self.discovered()
        if not files:
            return 0
        if self.full or not self.manifest.articles:
            return self.workers
        try:
            written = self.manifest_path.stat().st_mtime
            modified = 0
            for path in files:
                status = path.stat()
                if status.st_mtime > written:
                    modified += status.st_size
        except OSError:
            return 0
        return 0 if not modified else min(self.workers, 1 + modified // BYTES_PER_WORKER)

    def discovered(self) -> tuple[list[Path], list[Any]]:
        """The article files under the run's paths and the problems of the paths
        (:func:`pipeline.corpus.discover`), listed once per run."""
        if self.discovery is None:
            from pipeline.corpus import discover

            self.discovery = discover(self.paths)
        return self.discovery

    def known_language(self, article: Any) -> str | None:
        """The language an earlier run found for this very article (same content hash), so
        an unchanged corpus is not run through language identification again."""
        entry = None if self.full else self.manifest.articles.get(article.id)
        if not entry or entry.get("status") != "ok" or not entry.get("language"):
            return None
        return entry["language"] if entry.get("sha256") == content_hash(article) else None

    def needs_processing(self, article: Any, digest: str, entry: dict | None) -> str | None:
        """Why ``article`` must be processed, or None when its graph file can be reused."""
        if self.full:
            return "--full"
        if entry is None:
            return "new"
        if entry["sha256"] != digest:
            return "changed"
        return self.reuse_blocker(article.id, entry)

    def reuse_blocker(self, article_id: str, entry: dict) -> str | None:
        """Why the graph file of an article's manifest ``entry`` cannot be reused as it is
        (made with another stamp, not finished, missing); None if it can. The graphs folder
        is listed once, when the corpus is read."""
        if entry["stamp"] != self.stamp:
            changed = sorted(k for k in self.stamp if entry["stamp"].get(k) != self.stamp[k])
            return "stamp changed: " + ", ".join(changed)
        if entry["status"] != "ok":
            return {"pending": "left unfinished by an earlier run",
                    "failed": "failed in an earlier run"}.get(entry["status"], entry["status"])
        if self.graph_names is None:
            self.graph_names = self.graph_file_names()
        if article_graphs.graph_file_name(article_id) not in self.graph_names:
            return "graph file missing"
        return None

    # -- NLP and mapping -----------------------------------------------------------------------
    def process_queue(self) -> None:
        if not self.queue:
            return
        batch, self.queue = self.queue, []
        # An entry about to get a new graph file stops vouching for the old one first, so a
        # crash while it is replaced never leaves a graph file that the manifest trusts wrongly.
        pending = False
        for article, _ in batch:
            entry = self.manifest.articles.get(article.id)
            if entry is not None and entry["status"] == "ok":
                entry["status"] = "pending"
                pending = True
        if pending:
            self.dirty = True
            self.flush(force=True)
        self.start_processor()
        for article, why in batch:
            self.why[article.id] = why
        self.processor.submit([article for article, _ in batch])
        self.submitted += len(batch)
        long_run = (self.submitted >= LONG_RUN_ARTICLES
                    and getattr(self.processor, "workers", 1) > 0)
        if long_run and not self.preloaded:
            # a long run: this process has time, between results, for the exports' imports
            # (in a short one, the child process that draws the page imports them itself,
            # while this one writes the RDF files)
            from pipeline.export.writer import preload

            self.preloaded = True
            self.add_seconds("preload", preload)
        for article, result in self.processor.results():
            self.handle(article, result)

    def start_processor(self, processes: int | None = None) -> None:
        """Start the workers (they load the model) as soon as one article needs them, so
        the loading overlaps with reading the rest of the corpus: ``processes`` of them when
        little work is expected (:meth:`workers_to_start`; more start if more comes)."""
        if self.processor is not None:
            return
        if self.executor == "dask":
            self.processor = self.dask_processor()
            return
        from pipeline.workers import Processor

        self.processor = Processor(
            self.facts.model_path, self.workers, close_fds=(
                () if self.lock_fd is None else (self.lock_fd,)),
            on_loading=lambda: self.advance(f"loading the model {self.facts.model_name}", 0))
        self.processor.start(processes)

    def dask_processor(self) -> Any:
        from pipeline.dask_executor import DaskProcessor, model_spec
        from pipeline.shards import ShardFolder

        location = self.dask.shard_dir or str((self.state_dir / SHARDS_DIR).resolve())
        self.shard_folder = ShardFolder(location)
        return DaskProcessor(
            self.client, self.shard_folder,
            model_spec(self.facts.name_or_path, self.facts.model_path), self.stamp,
            content_sha=lambda article: self.articles[article.id]["sha256"],
            shard_size=self.dask.shard_size,
            on_loading=lambda: self.advance("the Dask workers load the model", 0))

    def finish_processing(self) -> None:
        if self.processor is not None:
            if getattr(self.processor, "in_flight", None):
                self.add_seconds("prefetch", self.prefetch_export)
            for article, result in self.processor.drain():
                self.handle(article, result)
            self.seconds["load_model"] += self.processor.load_seconds
            if self.submitted:
                self.nlp = self.processor.nlp or (self.processor.model_path
                                                  if self.processor.workers > 0 else None)

    def add_seconds(self, key: str, job: Callable[[], object]) -> None:
        """Run ``job``, adding the seconds it took to ``self.seconds[key]``."""
        started = time.perf_counter()
        job()
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started

    def prefetch_export(self) -> None:
        """While the workers finish, make ready what comes next: the property-graph fragments
        of the articles read unchanged (a re-run's), merged, which the export then need not
        read again, and the exports' modules, until a result is ready. (The workers make
        their articles' RDF: this process needs none of the mapping stage.)"""
        from pipeline.export.writer import preload
        from pipeline.gc_pause import gc_paused

        with gc_paused(freeze=True):  # the merged graph and the modules are kept
                                      # (pipeline.gc_pause)
            self.merge_unchanged()
            if not self.preloaded:
                self.preloaded = preload(stop=getattr(self.processor, "has_results", None))

    def merge_unchanged(self) -> None:
        """The property-graph fragments of the articles read unchanged, merged ahead of the
        export (``self.prefetch``; left None if there are none, or on any error: the export
        then reads them itself, and reports what is wrong)."""
        from pipeline.export.writer import FragmentPrefetch

        files, shas = [], []
        for article_id, report_entry in self.articles.items():
            entry = self.manifest.articles.get(article_id)
            if (report_entry.get("status") == "unchanged" and entry is not None
                    and entry.get("status") == "ok" and entry.get("graph_sha256")):
                files.append(self.graphs_dir / article_graphs.graph_file_name(article_id))
                shas.append(entry["graph_sha256"])
        if not files:
            return
        prefetch = FragmentPrefetch()
        try:
            prefetch.add(files, shas)
        except Exception:  # noqa: BLE001  (the export reads them again, and reports errors)
            return
        self.prefetch = prefetch

    def handle(self, article: Any, result: Any) -> None:
        """Write one article's result: graph file, store, then manifest entry."""
        why = self.why.pop(article.id, "")
        self.seconds["nlp"] += result.seconds.get("nlp", 0.0)
        self.seconds["mapping"] += result.seconds.get("mapping", 0.0)
        if result.error is None:
            try:
                name = article_graphs.graph_file_name(article.id)
                self.graph_writes.write(self.graphs_dir / name, result.nquads)
                for side, data in ((article_graphs.fragment_file_name(name), result.fragments),
                                   (article_graphs.trig_chunk_file_name(name), result.trig)):
                    if data:
                        self.graph_writes.write(self.graphs_dir / side, data)
                self.store_replace(article.id, result.nquads, result.graph_sha256,
                                   result.graph_names)
            except Exception as err:  # noqa: BLE001
                self.fail(article, err, "write")
            else:
                self.done(article, why, name, result.graph_sha256, result.counts,
                          result.warnings)
        else:
            stage, error_class, reason = result.error
            self.fail(article, _Failure(error_class, reason), stage)
        self.flush()

    # -- the corpus store ------------------------------------------------------------------------
    def open_store(self) -> None:
        """Open ``.aerokg/store`` and bring it in line with the graph files (pipeline.store)."""
        from pipeline import store as corpus_store

        def ontology() -> Path:
            from pipeline.mapping import vocab

            return Path(vocab.ONTOLOGY_PATH)

        self.store, fresh = corpus_store.open_store(self.state_dir / corpus_store.STORE_DIR)
        wanted = {i: self.manifest.articles[i].get("graph_sha256", "") for i in self.included()}

        def read(article_id: str) -> bytes:
            return (self.graphs_dir / article_graphs.graph_file_name(article_id)).read_bytes()

        before = json.dumps(self.manifest.store, sort_keys=True)
        self.manifest.store, unreadable, reset = corpus_store.sync(
            self.store, fresh, self.manifest.store, wanted, read, ontology)
        for article_id in unreadable:
            self.unreadable_graph(article_id, OSError("graph file unreadable"))
        if reset or json.dumps(self.manifest.store, sort_keys=True) != before:
            self.dirty = True
            self.manifest.outputs = {}  # the outputs come from the store: write them again
            self.flush(force=True)

    def store_replace(self, article_id: str, nquads: bytes, sha256: str,
                      graph_names: list[str] | None = None) -> None:
        """Queue the article's new graph (``graph_names``: the graphs it fills, if known) for
        the store; loaded by :meth:`store_load`, :data:`STORE_LOAD_BYTES` at a time (its
        manifest entry may say "ok" before: the store record in the manifest, which the next
        run checks, changes only once it is loaded)."""
        self.store_pending.append((article_id, nquads, sha256, graph_names))
        if sum(len(pending[1]) for pending in self.store_pending) >= STORE_LOAD_BYTES:
            self.store_load()

    def store_load(self) -> None:
        """Load the queued article graphs into the store: their old graphs out, then one bulk
        load of the new quads."""
        if not self.store_pending:
            return
        from pipeline import store as corpus_store

        pending, self.store_pending = self.store_pending, []
        held = self.manifest.store.setdefault("articles", {})
        records = corpus_store.replace_articles(
            self.store, [(held.pop(i, None), nquads, sha, names)
                         for i, nquads, sha, names in pending])
        for (article_id, *_), record in zip(pending, records, strict=True):
            held[article_id] = record
        self.dirty = True
        before = self.store_writes
        self.store_writes += len(pending)
        if self.store_writes // STORE_FLUSH_ARTICLES != before // STORE_FLUSH_ARTICLES:
            # RocksDB keeps recent writes in memory tables until flushed: unflushed, they
            # grew the main process by 150 MB over 1,000 articles
            self.store.flush()

    def store_remove(self, article_id: str) -> None:
        from pipeline import store as corpus_store

        self.store_pending = [p for p in self.store_pending if p[0] != article_id]

        old = self.manifest.store.get("articles", {}).pop(article_id, None)
        if old is not None and self.store is not None:
            corpus_store.remove_article(self.store, old)
            self.dirty = True

    def done(self, article: Any, why: str, name: str, graph_sha: str, counts: dict,
             warnings: list[str]) -> None:
        entry = {
            "id": article.id,
            "path": str(article.path),
            "sha256": self.articles[article.id]["sha256"],
            "stamp": dict(self.stamp),
            "status": "ok",
            "graph": name,
            "graph_sha256": graph_sha,
            "counts": counts,
        }
        if getattr(article, "language", ""):
            entry["language"] = article.language
        if warnings:
            entry["warnings"] = list(warnings)
        self.manifest.articles[article.id] = entry
        self.dirty = True
        self.articles[article.id] |= {"status": "processed", "processed_because": why, **counts}
        if warnings:
            self.articles[article.id]["warnings"] = list(warnings)
        self.advance(article.id)

    def fail(self, article: Any, error: BaseException, stage: str) -> None:
        article_graphs.remove_graph_file(self.graphs_dir,
                                         article_graphs.graph_file_name(article.id))
        self.store_remove(article.id)
        self.manifest.articles[article.id] = {
            "id": article.id,
            "path": str(article.path),
            "sha256": self.articles[article.id]["sha256"],
            "stamp": dict(self.stamp),
            "status": "failed",
            "graph": article_graphs.graph_file_name(article.id),
            "counts": {},
            "error": {"stage": stage, "error_class": _error_class(error),
                      "reason": _reason(error)},
        }
        self.dirty = True
        entry = self.articles[article.id]
        entry |= {"status": "failed", "stage": stage, "reason": _reason(error),
                  "error_class": _error_class(error)}
        self.advance(article.id)
        if self.strict:
            self.flush(force=True)
            raise _StopRun(entry)

    def flush(self, force: bool = False) -> None:
        """Save the manifest when it changed, at most every few seconds unless ``force``
        (which also loads the article graphs still queued for the store first)."""
        if force and self.store_pending and self.store is not None:
            self.store_load()
        if not self.dirty:
            return
        if not force and time.monotonic() - self.last_flush < MANIFEST_FLUSH_SECONDS:
            return
        self.graph_writes.sync()  # the graph files it names first
        save_manifest(self.manifest_path, self.manifest)
        self.dirty = False
        self.last_flush = time.monotonic()

    # -- articles no longer in the inputs ----------------------------------------------------
    def handle_missing(self) -> None:
        for article_id in sorted(set(self.manifest.articles) - set(self.articles)):
            entry = self.manifest.articles[article_id]
            name = article_graphs.graph_file_name(article_id)
            usable = entry["status"] == "ok" and (self.graphs_dir / name).is_file()
            info = {"article": article_id, "file": entry["path"]}
            if self.prune or not usable:
                article_graphs.remove_graph_file(self.graphs_dir, name)
                self.store_remove(article_id)
                del self.manifest.articles[article_id]
                self.dirty = True
                if self.prune:
                    self.pruned.append(info)
                else:  # nothing left to keep (failed, interrupted, or the graph file lost)
                    self.missing.append(info | {"kept": False})
            else:
                self.missing.append(info | {"kept": True})

    # -- outputs -------------------------------------------------------------------------------
    def included(self) -> list[str]:
        """The articles whose graphs are in the outputs: status ok, graph file there (the
        folder listed once, not a stat per article)."""
        present = self.graph_file_names()
        return sorted(
            article_id for article_id, entry in self.manifest.articles.items()
            if entry["status"] == "ok" and article_graphs.graph_file_name(article_id) in present
        )

    def export(self) -> tuple[dict[str, Path], dict[str, Any]]:
        """Rebuild the outputs from the graph files, unless they are already exactly that."""
        from pipeline.export.writer import GRAPH_FILES

        exporting = time.perf_counter()
        included = self.included()
        fingerprint = self.fingerprint(included)
        key = _digest([fingerprint, json.dumps(self.stamp, sort_keys=True)] + [
            f"{i}\x1f{self.manifest.articles[i].get('graph_sha256', '')}" for i in included])
        paths = {name: self.out_dir / file_name for name, file_name in GRAPH_FILES.items()}
        last = self.manifest.outputs
        if (last.get("key") == key and isinstance(last.get("files"), dict)
                and all(last["files"].get(p.name) == file_sha256(p) for p in paths.values())):
            self.seconds["export"] = time.perf_counter() - exporting
            return paths, {"rewritten": False, "run": last.get("run"),
                           "export": last.get("export", {})}

        from pipeline import store as corpus_store
        from pipeline.export.writer import export_streamed
        from pipeline.gc_pause import gc_paused
        from pipeline.mapping.rdf import RunInfo, run_triples

        run_info = RunInfo(
            aerokg_version=self.stamp["aerokg_version"],
            model_name=self.stamp["model_name"],
            model_version=self.stamp["model_version"],
            article_ids=tuple(included),
            fingerprint=fingerprint,
        )
        run_graph = article_graphs.triples_nquads(run_triples(run_info))
        from pipeline.mapping import vocab

        corpus_store.set_run_graph(self.store, run_graph, Path(vocab.ONTOLOGY_PATH))
        steps: dict[str, float] = {}
        turtle_index = self.state_dir / TURTLE_INDEX_FILE
        if self.full:  # --full: every output rebuilt, graph.ttl too
            turtle_index.unlink(missing_ok=True)
        held = self.manifest.store.get("articles", {})
        by_graph = sorted(included, key=lambda i: (held.get(i, {}).get("graphs", []), i))
        with gc_paused(freeze=True):  # the export's objects live as long as it
                                      # (pipeline.gc_pause)
            paths, export = export_streamed(
                run_graph,
                [self.graphs_dir / article_graphs.graph_file_name(i) for i in by_graph],
                self.out_dir,
                graph_sha256=[self.manifest.articles[i].get("graph_sha256", "")
                              for i in by_graph],
                layout_cache=self.state_dir / LAYOUT_CACHE_FILE, turtle_index=turtle_index,
                prefetch=self.prefetch, seconds=steps)
        self.seconds.update({f"export_{name}": value for name, value in steps.items()})
        self.prefetch = None
        self.manifest.outputs = {
            "key": key,
            "run": str(run_info.iri),
            "articles": len(included),
            "files": {p.name: file_sha256(p) for p in paths.values()},
            "export": export,
        }
        self.dirty = True
        self.flush(force=True)
        self.seconds["export"] = time.perf_counter() - exporting
        return paths, {"rewritten": True, "run": str(run_info.iri), "export": export}

    def fingerprint(self, included: list[str]) -> str:
        """The run id: a hash of what the graph is made from (aerokg version, model name and
        version, article ids and content hashes); the same inputs give the same run IRI
        whichever runs processed them. Not the digest of the model's meta.json, so a model
        retrained under the same version keeps the run IRIs (its articles are still redone)."""

        def made_with(stamp: dict) -> str:
            return (f"{stamp.get('aerokg_version')}\x1f{stamp.get('model_name')} "
                    f"{stamp.get('model_version')}")

        items = [f"{i}\x1f{self.manifest.articles[i]['sha256']}\x1f"
                 f"{made_with(self.manifest.articles[i]['stamp'])}" for i in included]
        return _digest([made_with(self.stamp), *items])[:16]

    def unreadable_graph(self, article_id: str, error: BaseException) -> None:
        self.store_remove(article_id)
        entry = self.manifest.articles[article_id]
        entry["status"] = "failed"
        entry["error"] = {"stage": "export", "error_class": type(error).__name__,
                          "reason": _reason(error)}
        self.dirty = True
        article_graphs.remove_graph_file(self.graphs_dir,
                                         article_graphs.graph_file_name(article_id))
        report_entry = self.articles.setdefault(
            article_id, {"article": article_id, "file": entry["path"], "sha256": entry["sha256"]})
        for key in ("entities", "relations", "relations_dropped", "triples"):
            report_entry.pop(key, None)
        report_entry |= {"status": "failed", "stage": "export",
                         "reason": f"graph file unreadable, processed again next run: "
                                   f"{_reason(error)}",
                         "error_class": type(error).__name__}

    def collect_garbage(self) -> None:
        """Graph files no manifest entry names (left by a killed run) are deleted."""
        wanted = {article_graphs.graph_file_name(i) for i in self.manifest.articles}
        for name in article_graphs.graph_files(self.graphs_dir) - wanted:
            article_graphs.remove_graph_file(self.graphs_dir, name)
        for name in article_graphs.stray_sidecar_files(self.graphs_dir):
            (self.graphs_dir / name).unlink(missing_ok=True)
        # shards of a dask run: their articles are in graph files and the manifest now
        folder = self.shard_folder
        if folder is None and (self.state_dir / SHARDS_DIR).is_dir():
            from pipeline.shards import ShardFolder

            folder = ShardFolder(self.state_dir / SHARDS_DIR)
        if folder is not None:
            folder.remove_all()

    # -- the report ------------------------------------------------------------------------------
    def report(self, stopped: dict | None, manifest_state: str, export_info: dict,
               read_done: float) -> dict:
        articles = [self.articles[i] for i in sorted(self.articles)]
        statuses = [a.get("status") for a in articles]
        in_graph = [] if stopped else self.included()
        counted = [self.manifest.articles[i]["counts"] for i in in_graph]
        problems = sorted(self.problems, key=lambda p: (p["file"], p["reason"]))
        failed = statuses.count("failed")
        input_failed = sum(p["status"] != "skipped" for p in problems)
        input_skipped = len(problems) - input_failed
        export = export_info.get("export", {})
        exit_code = EXIT_INCOMPLETE if (stopped or failed or problems) else EXIT_OK
        report = {
            "aerokg_version": pipeline.__version__,
            "model": {"model_name": self.facts.model_name,
                      "model_version": self.facts.model_version,
                      "model_path": self.facts.model_path,
                      "loaded": self.nlp is not None},
            "stamp": self.stamp,
            "run": export_info.get("run"),
            "inputs": [str(p) for p in self.paths],
            "options": {"strict": self.strict, "prune": self.prune, "full": self.full,
                        "force_language": self.force_language, "max_bytes": self.max_bytes,
                        "executor": self.executor},
            "manifest": manifest_state,
            "warnings": self.warnings,
            "articles": articles,
            "problems": problems,
            "missing": self.missing,
            "pruned": self.pruned,
            "outputs": {"rewritten": export_info["rewritten"],
                        "articles_in_graph": len(in_graph)},
            "export": export,
            "totals": {
                "articles": len(articles),
                "articles_ok": statuses.count("processed") + statuses.count("unchanged"),
                "processed": statuses.count("processed"),
                "unchanged": statuses.count("unchanged"),
                "articles_failed": failed,
                "input_failed": input_failed,
                "input_skipped": input_skipped,
                "missing": sum(m["kept"] for m in self.missing),
                "pruned": len(self.pruned),
                "articles_in_graph": len(in_graph),
                "entities": sum(c.get("entities", 0) for c in counted),
                "relations": sum(c.get("relations", 0) for c in counted),
                "triples": export.get("triples", 0),
            },
            "exit_code": exit_code,
        }
        if stopped:
            report["stopped"] = stopped
        if self.executor == "dask":
            from pipeline.dask_executor import new_stats

            report["executor"] = self.dask.describe() | getattr(self.processor, "stats",
                                                                 new_stats())
        now = time.perf_counter()
        seconds = {k: round(v, 3) for k, v in self.seconds.items()}
        seconds["read_and_process"] = round(read_done - self.started, 3)
        seconds["total"] = round(now - self.started, 3)
        report["seconds"] = seconds
        return report


# -- helpers -------------------------------------------------------------------------------------
class _Failure(Exception):
    """An article's error as reported by a worker: its class name and reason."""

    def __init__(self, error_class: str, reason: str) -> None:
        super().__init__(reason)
        self.error_class = error_class


def _read_corpus(paths: list[Path], max_bytes: int | None, force_language: bool,
                 known_language: Callable[[Any], str | None] | None = None,
                 known_file: Callable[[Path, Any], list[str] | None] | None = None,
                 discovered: tuple[list[Path], list[Any]] | None = None
                 ) -> Iterator[Any]:
    """Articles and Problems, one file at a time when the corpus reader can stream."""
    from pipeline import corpus

    reader = getattr(corpus, "iter_corpus", None) or corpus.read_corpus
    accepted = inspect.signature(reader).parameters
    kwargs: dict[str, Any] = {}
    if max_bytes is not None and "max_bytes" in accepted:
        kwargs["max_bytes"] = max_bytes
    if force_language and "force_language" in accepted:
        kwargs["force_language"] = True
    if known_language is not None and "known_language" in accepted:
        kwargs["known_language"] = known_language
    if known_file is not None and "known_file" in accepted:
        kwargs["known_file"] = known_file
    if discovered is not None and "discovered" in accepted:
        kwargs["discovered"] = discovered
    result = reader(paths, **kwargs)
    if hasattr(result, "articles"):  # read_corpus: everything at once
        yield from result.problems
        yield from result.articles
    else:
        yield from result


def _is_problem(item: Any) -> bool:
    return not hasattr(item, "id")  # an Article or a KnownArticle has one


@dataclass(frozen=True)
class _DuplicateProblem:
    path: str
    message: str
    status: str = "failed"
    error_class: str = "DuplicateArticleId"

    def __init__(self, article: Any, first: dict) -> None:
        object.__setattr__(self, "path", str(article.path))
        object.__setattr__(self, "message", f"duplicate article id {article.id!r}: "
                                            f"{first['file']} has it too and is kept")


def _error_class(error: BaseException) -> str:
    return error.error_class if isinstance(error, _Failure) else type(error).__name__


def _reason(error: BaseException) -> str:
    text = str(error).strip() or repr(error)
    return text if len(text) <= 500 else text[:497] + "..."


def _digest(parts: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


_TEMPORARY = re.compile(r"^\..+\.tmp$")  # atomic_output's .NAME.XXXX.tmp


def _remove_temporary_files(*directories: Path) -> None:
    """Temporary files a killed run left (only ever ours: the lock is held)."""
    from pipeline.export.writer import OUTPUT_FILES

    ours = {*OUTPUT_FILES.values(), MANIFEST_FILE}
    for directory in directories:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            continue
        for name in names:
            if not _TEMPORARY.match(name):
                continue
            target = name[1:].rsplit(".", 2)[0]
            if target in ours or article_graphs.is_graph_file_name(target):
                try:
                    os.unlink(directory / name)
                except OSError:
                    pass


@contextmanager
def _no_progress() -> Iterator[Callable[..., None]]:
    yield lambda label, step=1: None


@contextmanager
def terminal_progress() -> Iterator[Callable[..., None]]:
    """A rich progress display on stderr when it is a terminal (silent otherwise): articles
    done, the last one, time elapsed. The total is unknown: articles are read as they come."""
    if not sys.stderr.isatty():
        yield lambda label, step=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("articles {task.completed}"), BarColumn(),
                  TextColumn("{task.fields[last]}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("articles", total=None, last="")
        yield lambda label, step=1: bar.update(task, advance=step, last=label)
