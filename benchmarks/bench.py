"""aerokg at corpus scale: NLP-only vs end-to-end throughput, workers, memory, queries, re-runs.

    python benchmarks/bench.py --articles 1000            # one size
    python benchmarks/bench.py --articles 100,1000        # the README table
    python benchmarks/bench.py --articles 50 --workers 1  # a quick look
    python benchmarks/bench.py --articles 1000 --repeat 3 # medians, and the ratios' spread

For each size N it builds a corpus of N articles (the ``.txt`` articles of ``--source``, by
default ``../shared/corpus/dev`` and ``corpus/``, copied round-robin under distinct ids into a
temporary folder, never into the repository) and measures, in this one run:

* **NLP only**: ``nlp.pipe`` over the N texts in a fresh process with the model loaded (load
  time not counted), single process and ``n_process=2``: the limit end-to-end runs are held to;
  and on two independent processes, each parsing half the texts at the same time (no IPC):
  how far the machine's two cores scale the parse itself;
* **CPU seconds** of each run's process tree (user + system, its workers and export child
  included; model loading too): against the wall time, how much of the second core a run
  already uses, hence the most a second worker can add (printed under the table);
* **end to end**: ``aerokg run CORPUS -o OUT --workers W`` as a subprocess, wall time from
  start to exit (model load, mapping, store, every export), for each W of ``--workers``;
  words/s and the ratio to NLP-only single process;
* **peak memory** of each run: the largest sum over the run's process tree of each process's
  proportional set size (PSS: a page shared by a forked child and its parent counts once; a
  plain RSS sum would count the export child's copy-on-write pages twice), sampled every
  0.5 s from /proc (more often, the sampling itself costs a quarter of a core), and the peak
  RSS of its largest single process;
* **queries**: each named competency query on the largest store, median latency of 5 runs
  after one warm-up, in process (``pipeline.query.run.run_query`` on the read-only store);
* **Dask**: ``aerokg run --executor dask --workers W`` (a ``LocalCluster`` of W worker
  processes, started by the run and counted in its time), for each W of ``--dask-workers``,
  beside the local executor (``--dask-workers ''`` skips it);
* **re-runs** after the single-worker run: unchanged corpus, then one article edited, as
  ratios to that full run;
* **the daemon** (``aerokg daemon start``, in a private temporary directory; its start-up
  time is reported, not counted): the single-worker full run and the two re-runs again, each
  command served by the warm daemon, the re-runs as ratios to the full run through it
  (``--no-daemon`` skips these). Every other row runs without a daemon
  (``AEROKG_NO_DAEMON=1``), even if the user has one running.

With ``--repeat N`` it does all of that N times in turn (each run into a fresh output folder)
and the table gives each number's median; each ratio is taken within a round, between runs
minutes apart, and given as its median and range over the rounds: on a VM whose speed drifts
within the hour, a ratio of two runs far apart measures the drift.

Words are whitespace-separated words of the article text, the same count for every row. It
prints Markdown tables (and ``--json FILE`` writes every number). Run it on an idle machine:
a training or a test suite on the other core halves what it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = [REPO.parent / "shared" / "corpus" / "dev", REPO / "corpus"]

# argv: model ("" for the shipped one), n_process, a file to wait for once the model is loaded
# ("" for none: two independent processes use one so that they parse at the same time),
# then the article files.
_NLP_ONLY = r"""
import json, os, sys, time
from pipeline.nlp.loader import load_nlp
texts = [open(p, encoding="utf-8").read() for p in sys.argv[4:]]
nlp = load_nlp(sys.argv[1] or None)
n_process, go = int(sys.argv[2]), sys.argv[3]
list(nlp.pipe(texts[:2]))  # warm up (lazy tables)
if go:
    with open(go + ".ready-" + str(os.getpid()), "w"):
        pass
    while not os.path.exists(go):
        time.sleep(0.01)
started = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=32, n_process=n_process):
    pass
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


# ---------------------------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------------------------


def source_articles(sources: list[Path]) -> list[Path]:
    found = sorted(p for source in sources if source.is_dir() for p in source.glob("*.txt"))
    if not found:
        sys.exit("no .txt articles in " + ", ".join(map(str, sources)))
    return found


def build_corpus(sources: list[Path], n: int, folder: Path) -> tuple[list[Path], int]:
    """N article files with distinct ids, the sources taken round-robin; and their words."""
    folder.mkdir(parents=True)
    files, words = [], 0
    for k in range(n):
        source = sources[k % len(sources)]
        text = source.read_text(encoding="utf-8")
        target = folder / f"a{k:06d}-{source.stem}.txt"
        target.write_text(text, encoding="utf-8")
        files.append(target)
        words += len(text.split())
    return files, words


# ---------------------------------------------------------------------------------------------
# measuring a process tree
# ---------------------------------------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared by several processes (a forked child's
    copy-on-write pages, the same library) counted once over the tree, not once per process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return _rss_kb(pid)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                kids.extend(int(x) for x in f.read().split())
    except (OSError, ValueError):
        pass
    return kids


@dataclass
class TreeMemory:
    """Peak resident memory of a process and its descendants, sampled in a thread."""

    pid: int
    interval: float = 0.5  # reading smaps_rollup walks page tables: often would perturb the run
    peak_total_kb: int = 0
    peak_process_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> TreeMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(_children(pid))
            self.peak_total_kb = max(self.peak_total_kb, sum(_pss_kb(pid) for pid in pids))
            self.peak_process_kb = max(self.peak_process_kb,
                                       max((_rss_kb(pid) for pid in pids), default=0))
            self._stop.wait(self.interval)


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``command``, with the peak memory of its process tree (a command served by a
    daemon runs in the daemon's tree: its memory is not seen here). ``env``: default, this
    process's environment without any daemon (``AEROKG_NO_DAEMON=1``)."""
    if env is None:
        env = {**os.environ, "AEROKG_NO_DAEMON": "1"}
    started = time.perf_counter()
    cpu_before = _children_cpu()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=REPO, env=env)
    with TreeMemory(process.pid) as memory:
        stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{stderr[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": memory.peak_total_kb / 1024,
            "peak_process_rss_mb": memory.peak_process_kb / 1024, "stdout": stdout,
            "returncode": process.returncode, "cpu_seconds": _children_cpu() - cpu_before}


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and the descendants
    they waited for: a run's worker processes and export child included, a daemon's not."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# the measurements
# ---------------------------------------------------------------------------------------------


def nlp_only(files: list[Path], words: int, model: str | None, n_process: int) -> dict:
    done = run_measured([sys.executable, "-c", _NLP_ONLY, model or "", str(n_process), "",
                         *map(str, files)])
    seconds = json.loads(done["stdout"].strip().splitlines()[-1])["seconds"]
    return {"seconds": seconds, "words_per_second": words / seconds}


def nlp_only_split(files: list[Path], words: int, model: str | None, work: Path) -> dict:
    """NLP only on two independent processes, each parsing half the articles (no IPC, no
    main process gathering Docs): how far this machine's two cores scale the parse itself,
    the ceiling for any 2-worker run. Seconds: from the start signal until the slower of the
    two is done."""
    go = work / "nlp-split-go"
    halves = [files[: len(files) // 2], files[len(files) // 2:]]
    cpu_before = _children_cpu()
    processes = [subprocess.Popen(
        [sys.executable, "-c", _NLP_ONLY, model or "", "1", str(go), *map(str, half)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "AEROKG_NO_DAEMON": "1"}) for half in halves]
    while len(list(work.glob(go.name + ".ready-*"))) < len(processes):
        if any(process.poll() is not None for process in processes):
            break
        time.sleep(0.05)
    go.touch()
    seconds = []
    for process in processes:
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            sys.exit(f"NLP-only half failed ({process.returncode}):\n{stderr[-3000:]}")
        seconds.append(json.loads(stdout.strip().splitlines()[-1])["seconds"])
    for marker in [go, *work.glob(go.name + ".ready-*")]:
        marker.unlink()
    return {"seconds": max(seconds), "words_per_second": words / max(seconds),
            "halves_seconds": seconds, "cpu_seconds": _children_cpu() - cpu_before}


def compile_package() -> str:
    """Compile aerokg's modules to bytecode (``__pycache__``, git-ignored), as ``pip install``
    does for an installed package, so every measured process imports them as a user's does.
    Without it, where ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it) or the tree is
    read-only, each process compiles all of aerokg again: about a second per run. Returns
    what was done, for the table's notes."""
    import compileall

    ok = compileall.compile_dir(str(REPO / "pipeline"), quiet=1)
    return "compiled ahead" if ok else "compiling failed: modules compiled at each import"


AEROKG = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def aerokg_run(corpus: Path, out: Path, workers: int, model: str | None,
               extra: tuple[str, ...] = (), daemon_dir: Path | None = None) -> dict:
    """``aerokg run``, without a daemon, or served by the one in ``daemon_dir``."""
    command = [*AEROKG, "run", str(corpus), "-o", str(out), "--workers", str(workers), *extra]
    if model:
        command += ["--model", model]
    done = run_measured(command, None if daemon_dir is None else daemon_env(daemon_dir))
    if daemon_dir is not None:
        done["cpu_seconds"] = None  # spent in the daemon's forks, not seen from here
    report = json.loads((out / "run-report.json").read_text(encoding="utf-8"))
    done.pop("stdout")
    return done | {"processed": report.get("summary", {}).get("processed"),
                   "report_summary": report.get("summary", {}),
                   "report_seconds": report.get("seconds", {})}


def query_latencies(out: Path, repeats: int = 5) -> dict[str, dict]:
    sys.path.insert(0, str(REPO))
    from pipeline.query.run import named_queries, open_store, run_query

    store = open_store(out)
    if store is None:
        sys.exit(f"no store in {out}")
    timings = {}
    for name in sorted(named_queries()):
        run_query(store, name)  # warm-up
        seconds, rows = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            _, result = run_query(store, name)
            seconds.append(time.perf_counter() - started)
            rows = len(result)
        timings[name] = {"median_seconds": statistics.median(seconds), "max_seconds":
                         max(seconds), "rows": rows}
    return timings


def daemon_env(daemon_dir: Path) -> dict[str, str]:
    """This process's environment, for commands served by the daemon in ``daemon_dir``."""
    return {**{k: v for k, v in os.environ.items() if k != "AEROKG_NO_DAEMON"},
            "AEROKG_DAEMON_DIR": str(daemon_dir)}


def daemon_command(daemon_dir: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*AEROKG, "daemon", *args], env=daemon_env(daemon_dir),
                          capture_output=True, text=True, cwd=REPO)
    if done.returncode not in (0, 1):
        sys.exit(f"aerokg daemon {' '.join(args)} failed: {done.stderr[-3000:]}")
    return done


def reruns(corpus: Path, out: Path, files: list[Path], workers: int, model: str | None,
           full: float, daemon_dir: Path | None = None, which: int = 0) -> dict:
    """An unchanged re-run, then one with article ``which`` (0: the middle one) edited."""
    unchanged = aerokg_run(corpus, out, workers, model, daemon_dir=daemon_dir)
    edit_one(files, which)
    changed = aerokg_run(corpus, out, workers, model, daemon_dir=daemon_dir)
    return {"unchanged": unchanged | {"ratio_to_full": unchanged["seconds"] / full},
            "one changed": changed | {"ratio_to_full": changed["seconds"] / full}}


def edit_one(files: list[Path], which: int = 0) -> Path:
    """Append a sentence to one article (``which``; 0: the middle one): a changed article."""
    target = files[which or len(files) // 2]
    with target.open("a", encoding="utf-8") as f:
        f.write("\n\nAggiornamento: il Distretto Aerospaziale Lombardo ha confermato la notizia.\n")
    return target


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------


def machine() -> dict:
    import importlib.metadata as md

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("aerokg", "spacy", "pyoxigraph", "rdflib", "networkx", "numpy"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            versions[dist] = "-"
    return {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "system": platform.platform(),
            "versions": versions}


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
             + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + f"; {m['date']}; "
             + f"aerokg's bytecode: {m.get('bytecode', 'as found')}.", ""]
    lines += ["| articles | words | run | seconds | CPU seconds | words/s | vs NLP-only (1 proc) | "
              "peak memory, tree PSS (MB) | peak RSS, largest process (MB) |",
              "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for size in results["sizes"]:
        n, words = size["articles"], size["words"]
        limit = size["nlp_only"]["1"]["words_per_second"]
        for procs, row in size["nlp_only"].items():
            plural = "es" if procs != "1" else ""
            lines.append(f"| {n} | {words} | NLP only, {procs} process{plural}"
                         f" | {row['seconds']:.1f} | {_cpu(row)} | "
                         f"{row['words_per_second']:,.0f} | "
                         f"{row['words_per_second'] / limit:.2f} | | |")
        split = size.get("nlp_split")
        if split:
            lines.append(f"| {n} | {words} | NLP only, 2 independent processes (a half each) | "
                         f"{split['seconds']:.1f} | {_cpu(split)} | "
                         f"{split['words_per_second']:,.0f} | "
                         f"{split['words_per_second'] / limit:.2f} | | |")
        for workers, row in size["end_to_end"].items():
            wps = words / row["seconds"]
            lines.append(f"| {n} | {words} | `aerokg run --workers {workers}` | "
                         f"{row['seconds']:.1f} | {_cpu(row)} | {wps:,.0f} | {wps / limit:.2f} | "
                         f"{row['peak_rss_mb']:.0f} | {row['peak_process_rss_mb']:.0f} |")
        for workers, row in size.get("dask", {}).items():
            wps = words / row["seconds"]
            lines.append(f"| {n} | {words} | `aerokg run --executor dask --workers {workers}` | "
                         f"{row['seconds']:.1f} | {_cpu(row)} | {wps:,.0f} | {wps / limit:.2f} | "
                         f"{row['peak_rss_mb']:.0f} | {row['peak_process_rss_mb']:.0f} |")
        for label, row in size.get("reruns", {}).items():
            lines.append(f"| {n} | {words} | re-run, {label} | {row['seconds']:.1f} | "
                         f"{_cpu(row)} | | "
                         f"{row['ratio_to_full']:.1%} of the full run | "
                         f"{row['peak_rss_mb']:.0f} | {row['peak_process_rss_mb']:.0f} |")
        warm = size.get("daemon")
        if warm:
            row = warm["full"]
            wps = words / row["seconds"]
            lines.append(f"| {n} | {words} | `aerokg run --workers 1`, daemon | "
                         f"{row['seconds']:.1f} | | {wps:,.0f} | {wps / limit:.2f} | | |")
            for label, row in warm["reruns"].items():
                lines.append(f"| {n} | {words} | re-run, {label}, daemon | "
                             f"{row['seconds']:.1f} | | | {row['ratio_to_full']:.1%} of the "
                             "full run through the daemon | | |")
    lines.append("")
    sizes = results["sizes"]
    if sizes:
        last = sizes[-1]
        ends = last["end_to_end"]
        limit = last["nlp_only"]["1"]["words_per_second"]
        if "1" in ends:
            value, note = per_round(last, lambda r: (r["nlp_only"]["1"]["seconds"]
                                                     / r["end_to_end"]["1"]["seconds"]))
            lines.append(f"- end to end, 1 worker, {last['articles']} articles: {value:.2f}x "
                         f"NLP-only{note} (bar: >= 0.8x)")
        if "1" in ends and "2" in ends:
            value, note = per_round(last, lambda r: (r["end_to_end"]["1"]["seconds"]
                                                     / r["end_to_end"]["2"]["seconds"]))
            nlp2, nlp2_note = per_round(last, lambda r: (r["nlp_only"]["1"]["seconds"]
                                                         / r["nlp_only"]["2"]["seconds"]))
            lines.append(f"- 2 workers vs 1: {value:.2f}x{note} (bar: >= 1.6x); NLP only, "
                         f"2 processes (`n_process=2`) vs 1: {nlp2:.2f}x{nlp2_note}")
            lines.extend(_two_worker_ceiling(last))
        if len(sizes) > 1 and "1" in sizes[0]["end_to_end"] and "1" in ends:
            small, large = sizes[0]["end_to_end"]["1"], ends["1"]
            lines.append(f"- peak memory (1 worker), {last['articles']} vs {sizes[0]['articles']} "
                         f"articles: {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}x "
                         "(bar: <= 1.2x)")
        for workers, row in last.get("dask", {}).items():
            local = ends.get(workers)
            versus = (f"; {local['seconds'] / row['seconds']:.2f}x the speed of the local "
                      f"executor with {workers} workers" if local else "")
            lines.append(f"- dask (LocalCluster, {workers} workers), {last['articles']} "
                         f"articles: {last['words'] / row['seconds'] / limit:.2f}x NLP-only"
                         f"{versus}")
        if "reruns" in last and "one changed" in last["reruns"]:
            changed = last["reruns"]["one changed"]
            phases = changed.get("report_seconds", {})
            where = (f"; in the run: reading and processing {phases['read_and_process']:.1f} s, "
                     f"exports {phases['export']:.1f} s, the rest is Python's start-up"
                     if {"read_and_process", "export"} <= set(phases) else "")
            value, note = per_round(last, lambda r: r["reruns"]["one changed"]["ratio_to_full"],
                                    percent=True)
            lines.append(f"- re-run with one changed article: {value:.1%} of the full run"
                         f"{note} (bar: <= 5%){where}")
        if last.get("daemon"):
            warm = last["daemon"]
            changed = warm["reruns"]["one changed"]
            value, note = per_round(
                last, lambda r: r["daemon"]["reruns"]["one changed"]["ratio_to_full"],
                percent=True)
            plain, plain_note = per_round(
                last, lambda r: (r["daemon"]["reruns"]["one changed"]["seconds"]
                                 / r["end_to_end"]["1"]["seconds"]), percent=True)
            lines.append("- through the daemon (`aerokg daemon start`, ready in "
                         f"{warm['start_seconds']:.1f} s, once): re-run with one changed "
                         f"article {changed['seconds']:.1f} s, {value:.1%}{note} of the full "
                         f"run through it, {plain:.1%}{plain_note} of the full run without it "
                         "(bar: <= 5%)")
    if results.get("queries"):
        lines += ["", f"Competency queries on the {results['queries_articles']}-article store "
                  "(median of 5, in process):", "", "| query | rows | median ms | max ms |",
                  "|---|---:|---:|---:|"]
        for name, row in results["queries"].items():
            lines.append(f"| {name} | {row['rows']} | {row['median_seconds'] * 1000:.1f} | "
                         f"{row['max_seconds'] * 1000:.1f} |")
    return "\n".join(lines)


def _cpu(row: dict) -> str:
    return f"{row['cpu_seconds']:.1f}" if row.get("cpu_seconds") is not None else ""


def _two_worker_ceiling(size: dict) -> list[str]:
    """What the machine and the work allow a 2-worker run, from this run's own numbers: the
    parse's own scaling on two independent processes, the 1-worker run's CPU seconds spread
    over both cores, and the 2-worker run's own (its work is not quite the same: a second
    model load, smaller tasks)."""
    one, two = size["end_to_end"]["1"], size["end_to_end"].get("2", {})
    lines = []
    if size.get("nlp_split"):
        value, note = per_round(size, lambda r: (r["nlp_only"]["1"]["seconds"]
                                                 / r["nlp_split"]["seconds"]))
        lines.append("- the machine's ceiling: the parse alone, on two independent processes "
                     f"(a half each, nothing gathered), ran {value:.2f}x{note} as fast as on one")
    if one.get("cpu_seconds"):
        cores, cores_note = per_round(size, lambda r: (r["end_to_end"]["1"]["cpu_seconds"]
                                                       / r["end_to_end"]["1"]["seconds"]))
        bound, bound_note = per_round(size, lambda r: (2 * r["end_to_end"]["1"]["seconds"]
                                                       / r["end_to_end"]["1"]["cpu_seconds"]))
        lines.append(f"- the work's ceiling: the 1-worker run used {one['cpu_seconds']:.1f} CPU "
                     f"seconds in {one['seconds']:.1f} s (its worker parses and maps while "
                     f"the main process writes: {cores:.2f}{cores_note} cores busy on average); "
                     "spread over both cores at full speed, the same work would take "
                     f"{one['cpu_seconds'] / 2:.1f} s: 2 workers doing it can be at most "
                     f"{bound:.2f}x{bound_note} as fast as one")
    if one.get("cpu_seconds") and two.get("cpu_seconds"):
        bound, bound_note = per_round(size, lambda r: (2 * r["end_to_end"]["1"]["seconds"]
                                                       / r["end_to_end"]["2"]["cpu_seconds"]))
        used, used_note = per_round(size, lambda r: (r["end_to_end"]["2"]["cpu_seconds"]
                                                     / (2 * r["end_to_end"]["2"]["seconds"])),
                                    percent=True)
        lines.append(f"- the 2-worker run's own ceiling: it used {two['cpu_seconds']:.1f} CPU "
                     f"seconds in {two['seconds']:.1f} s ({used:.0%}{used_note} of the two "
                     "cores); at full speed on both, that work takes "
                     f"{two['cpu_seconds'] / 2:.1f} s, {bound:.2f}x{bound_note} as fast as the "
                     "1-worker run")
    return lines


def warm_runs(base: Path, files: list[Path], model: str | None) -> dict:
    """The single-worker full run and the re-runs, each served by a daemon started for them
    (in ``base/daemon``, stopped after)."""
    daemon_dir = base / "daemon"
    daemon_dir.mkdir(mode=0o700)
    started = time.perf_counter()
    daemon_command(daemon_dir, "start", "--idle-timeout", "0",
                   *(("--model", model) if model else ()))
    start_seconds = time.perf_counter() - started
    try:
        out = base / "out-daemon"
        full = aerokg_run(base / "corpus", out, 1, model, daemon_dir=daemon_dir)
        again = reruns(base / "corpus", out, files, 1, model, full["seconds"], daemon_dir,
                       which=len(files) // 3)
    finally:
        daemon_command(daemon_dir, "stop")
    return {"start_seconds": start_seconds, "full": full, "reruns": again}


def measure_round(base: Path, files: list[Path], words: int, args: argparse.Namespace,
                  worker_counts: list[int], dask_counts: list[int]) -> dict:
    """One round of every measurement on the corpus in ``base``, each run into a fresh
    output folder (an earlier round's is removed first)."""
    for old in [*base.glob("out-*"), base / "daemon"]:
        shutil.rmtree(old, ignore_errors=True)
    size: dict = {"nlp_only": {}, "end_to_end": {}}
    for procs in (1, 2):
        size["nlp_only"][str(procs)] = nlp_only(files, words, args.model, procs)
        print(f"   NLP only x{procs}: {size['nlp_only'][str(procs)]}", file=sys.stderr,
              flush=True)
    size["nlp_split"] = nlp_only_split(files, words, args.model, base)
    print(f"   NLP only, 2 independent halves: {size['nlp_split']}", file=sys.stderr,
          flush=True)
    for workers in worker_counts:
        out = base / f"out-w{workers}"
        size["end_to_end"][str(workers)] = row = aerokg_run(
            base / "corpus", out, workers, args.model)
        print(f"   run --workers {workers}: {row['seconds']:.1f} s, "
              f"{row['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    for workers in dask_counts:
        size.setdefault("dask", {})[str(workers)] = row = aerokg_run(
            base / "corpus", base / f"out-dask-w{workers}", workers, args.model,
            extra=("--executor", "dask"))
        print(f"   run --executor dask --workers {workers}: {row['seconds']:.1f} s, "
              f"{row['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    first = str(worker_counts[0])
    if not args.no_reruns:
        out = base / f"out-w{first}"
        full = size["end_to_end"][first]["seconds"]
        size["reruns"] = reruns(base / "corpus", out, files, int(first), args.model, full)
        print(f"   re-runs: {size['reruns']['unchanged']['seconds']:.1f} s, "
              f"{size['reruns']['one changed']['seconds']:.1f} s", file=sys.stderr,
              flush=True)
    if not args.no_daemon and "1" in size["end_to_end"]:
        size["daemon"] = warm_runs(base, files, args.model)
        print(f"   daemon: full {size['daemon']['full']['seconds']:.1f} s, re-runs "
              f"{size['daemon']['reruns']['unchanged']['seconds']:.1f} s, "
              f"{size['daemon']['reruns']['one changed']['seconds']:.1f} s",
              file=sys.stderr, flush=True)
    return size


def median_round(rounds: list[dict]) -> dict:
    """The rounds merged: each number the median of its values over the rounds, anything
    else (texts, lists, the run reports' sections) as the first round has it."""
    first = rounds[0]
    if len(rounds) == 1:
        return first
    merged: dict = {}
    for key, value in first.items():
        values = [r[key] for r in rounds if key in r]
        if isinstance(value, dict):
            merged[key] = median_round([v for v in values if isinstance(v, dict)])
        elif (isinstance(value, int | float) and not isinstance(value, bool)
              and all(isinstance(v, int | float) for v in values)):
            merged[key] = statistics.median(values)
        else:
            merged[key] = value
    return merged


def per_round(size: dict, measure: Any, percent: bool = False) -> tuple[float, str]:
    """``measure(round)``: its median over the rounds of ``size`` (each ratio taken within
    one round, between runs minutes apart, not between medians), and a note of its range
    (`` (a-b over N rounds)``, as percentages if ``percent``); without rounds,
    ``measure(size)`` and no note."""
    rounds = size.get("rounds")
    if not rounds:
        return measure(size), ""
    values = [measure(r) for r in rounds]
    low, high = (f"{v:.1%}" if percent else f"{v:.2f}x" for v in (min(values), max(values)))
    return statistics.median(values), f" (median; {low} to {high} over {len(values)} rounds)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="100,1000",
                        help="corpus sizes, comma-separated (default: 100,1000)")
    parser.add_argument("--workers", default="1,2", help="worker counts (default: 1,2)")
    parser.add_argument("--source", type=Path, action="append", default=None,
                        help="folder of .txt articles to copy (repeatable; default: "
                             "../shared/corpus/dev and corpus/)")
    parser.add_argument("--model", default=None, help="spaCy pipeline (default: shipped)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write every number here")
    parser.add_argument("--dask-workers", default="2",
                        help="LocalCluster sizes for --executor dask runs (default: 2; '' skips)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every measurement (default 1); with more, the table "
                             "gives medians and the ratios their range over the rounds")
    parser.add_argument("--no-reruns", action="store_true")
    parser.add_argument("--no-daemon", action="store_true",
                        help="skip the runs served by `aerokg daemon`")
    args = parser.parse_args()

    compiled = compile_package()
    sizes = [int(x) for x in args.articles.split(",") if x.strip()]
    worker_counts = [int(x) for x in args.workers.split(",") if x.strip()]
    dask_counts = [int(x) for x in args.dask_workers.split(",") if x.strip()]
    sources = source_articles(args.source or DEFAULT_SOURCES)
    work = args.keep or Path(tempfile.mkdtemp(prefix="aerokg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine() | {"bytecode": compiled}, "sizes": []}
    try:
        for n in sizes:
            base = work / f"n{n}"
            if base.exists():
                shutil.rmtree(base)
            files, words = build_corpus(sources, n, base / "corpus")
            print(f"== {n} articles, {words} words", file=sys.stderr, flush=True)
            rounds = []
            for number in range(1, args.repeat + 1):
                if args.repeat > 1:
                    print(f"-- round {number} of {args.repeat}", file=sys.stderr, flush=True)
                rounds.append(measure_round(base, files, words, args, worker_counts,
                                            dask_counts))
            size = {"articles": n, "words": words} | median_round(rounds)
            if len(rounds) > 1:
                size["rounds"] = rounds
            results["sizes"].append(size)
        if results["sizes"]:
            last = results["sizes"][-1]
            results["queries_articles"] = last["articles"]
            results["queries"] = query_latencies(
                work / f"n{last['articles']}" / f"out-w{worker_counts[0]}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
