"""Export stage, entry point: writes every output file of a run into one directory.

>>> import tempfile
>>> from rdflib import Dataset
>>> paths = export_all(Dataset(), tempfile.mkdtemp(), {"articles": 0})
>>> sorted(path.name for path in paths.values())  # doctest: +NORMALIZE_WHITESPACE
['graph.cyjs', 'graph.gexf', 'graph.graphml', 'graph.html', 'graph.png', 'graph.svg',
 'graph.trig', 'graph.ttl', 'run-report.json']
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the writers (rdflib, networkx) are imported when something is written
    from rdflib import Dataset

__all__ = ["GRAPH_FILES", "OUTPUT_FILES", "FragmentPrefetch", "export_all", "export_graphs",
           "export_streamed", "preload"]

#: Output name -> file name in the output directory, in the order they are written.
OUTPUT_FILES: dict[str, str] = {
    "turtle": "graph.ttl",
    "trig": "graph.trig",
    "graphml": "graph.graphml",
    "gexf": "graph.gexf",
    "cyjs": "graph.cyjs",
    "html": "graph.html",
    "png": "graph.png",
    "svg": "graph.svg",
    "report": "run-report.json",
}

#: The graph files among them (all but the run report).
GRAPH_FILES: dict[str, str] = {k: v for k, v in OUTPUT_FILES.items() if k != "report"}


class FragmentPrefetch:
    """Property-graph fragments of article graph files, merged ahead of the export: a re-run
    merges its unchanged articles' while its worker loads the model and parses the changed
    ones, then :func:`export_streamed` adds the rest. ``files``: path -> sha256 of what was
    added; ``sources`` / ``titles``: article id -> URL / headline, for the page."""

    def __init__(self) -> None:
        from pipeline.export.property_graph import FragmentMerger

        self.merger = FragmentMerger()
        self.files: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.titles: dict[str, str] = {}

    def add(self, graph_files: list[Path], graph_sha256: list[str]) -> None:
        """Merge the fragments of ``graph_files`` (each file's hash in ``graph_sha256``; ""
        for one to compute)."""
        from pipeline import article_graphs

        for path, sha in zip(graph_files, graph_sha256, strict=True):
            sha = sha or _file_sha256(path)
            for fragment in article_graphs.read_fragments(path, sha):
                source = fragment.get("source") or {}
                if source.get("url"):
                    self.sources.setdefault(fragment["article"], source["url"])
                if source.get("title"):
                    self.titles.setdefault(fragment["article"], source["title"])
                self.merger.add(fragment)
            self.files[str(path)] = sha

    def matches(self, wanted: Mapping[str, str]) -> bool:
        """Whether every file merged is in ``wanted`` (path -> sha256) with its hash."""
        return all(wanted.get(path) == sha for path, sha in self.files.items())


def export_all(
    dataset: Dataset, out_dir: str | os.PathLike[str], report: Mapping[str, Any]
) -> dict[str, Path]:
    """Write ``dataset`` into ``out_dir`` (created if missing) as the files of
    :data:`OUTPUT_FILES`, and return their paths by output name.

    The run report is ``report`` plus an ``"export"`` section (replacing any given one) with the
    counts of what was written. It is written last: each file is replaced atomically, so if a
    writer fails, the files before it are new, the others (and the report) still those of the
    previous run.
    """
    from pipeline.export.report import write_run_report

    paths, export = export_graphs(dataset, out_dir)
    paths["report"] = Path(out_dir) / OUTPUT_FILES["report"]
    write_run_report(paths["report"], {**report, "export": export})
    return paths


def export_graphs(
    dataset: Dataset, out_dir: str | os.PathLike[str]
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Write the graph files of :data:`GRAPH_FILES` (not the run report) into ``out_dir``
    (created if missing), each atomically; return their paths by output name and the
    ``"export"`` section of the run report (counts of what was written)."""
    from pipeline.export.cytoscape import write_cyjs
    from pipeline.export.gexf import write_gexf
    from pipeline.export.graphml import write_graphml
    from pipeline.export.property_graph import to_property_graph
    from pipeline.export.rdf import write_trig, write_turtle

    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / file_name for name, file_name in GRAPH_FILES.items()}

    from pipeline.export.html_view import article_sources, article_titles

    write_turtle(dataset, paths["turtle"])
    write_trig(dataset, paths["trig"])
    G = to_property_graph(dataset)
    write_graphml(G, paths["graphml"])
    write_gexf(G, paths["gexf"])
    write_cyjs(G, paths["cyjs"])
    write_views(G, paths, article_sources(dataset), article_titles(dataset))

    quads = list(dataset.quads((None, None, None, None)))
    export = {
        "files": dict(OUTPUT_FILES),
        "quads": len(quads),
        "triples": len({quad[:3] for quad in quads}),
        "named_graphs": len(
            {quad[3] for quad in quads if quad[3] is not None} - {dataset.default_graph.identifier}
        ),
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "nodes_by_type": dict(sorted(Counter(t for _, t in G.nodes(data="type")).items())),
        "edges_by_type": dict(sorted(Counter(t for _, _, t in G.edges(data="type")).items())),
    }
    return paths, export


def export_streamed(
    run_nquads: bytes, graph_files: list[Path], out_dir: str | os.PathLike[str],
    graph_sha256: list[str] | None = None, layout_cache: Path | None = None,
    prefetch: FragmentPrefetch | None = None,
    seconds: dict[str, float] | None = None, turtle_index: Path | None = None,
) -> tuple[dict[str, Path], dict[str, Any]]:
    """As :func:`export_graphs`, from the run's metadata graph (N-Quads) and the per-article
    graph files, in the order given: ``graph.ttl`` and ``graph.trig`` are streamed
    (:func:`pipeline.export.rdf.stream_trig` concatenates each graph file's TriG chunk,
    :func:`~.stream_turtle` sorts their triples), never held whole; the property graph
    (GraphML, GEXF, Cytoscape) is merged from each graph file's fragment
    (``article_graphs.read_fragments``; ``graph_sha256`` gives each file's hash, to check its
    fragment file against), never from the corpus's RDF at once.
    ``layout_cache``: a file keeping the layouts of the graph's components between runs
    (:class:`pipeline.export.layout.LayoutCache`). ``turtle_index``: a file describing
    ``graph.ttl``'s blocks, with which the next export patches it instead of rebuilding it
    when few graph files changed (:mod:`pipeline.export.turtle_patch`; the report's
    ``"turtle"`` says which was done). The run's metadata graph goes in the RDF files only: it
    holds provenance (``prov:Activity``, ``prov:Entity``), no entity of the ontology's
    classes, so nothing of it is a node of the property graph.
    ``prefetch``: fragments of some of ``graph_files`` merged ahead (:class:`FragmentPrefetch`);
    used if each of its files is among ``graph_files`` with the same hash, else ignored.
    ``seconds``: filled with the time of each step (``merge``; ``turtle``, ``trig``,
    ``graphml``, ``gexf``, ``cyjs`` and ``html``, whichever process wrote the file; ``layout``
    and ``picture``, in the forked process, which lays the graph out, hands the layout over
    and draws the picture while this one writes the files; and ``views``, the wait for the
    forked process after this one's steps)."""
    from pipeline import article_graphs
    from pipeline.export.cytoscape import write_cyjs
    from pipeline.export.gexf import write_gexf
    from pipeline.export.graphml import write_graphml
    from pipeline.export.html_view import write_html
    from pipeline.export.picture import write_picture
    from pipeline.export.property_graph import xml_safe_checked
    from pipeline.export.rdf import stream_trig, stream_turtle
    from pipeline.export.turtle_patch import update_turtle

    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / file_name for name, file_name in GRAPH_FILES.items()}

    files = [Path(path) for path in graph_files]
    given = graph_sha256 if graph_sha256 is not None else [""] * len(files)
    shas = [sha or _file_sha256(path) for path, sha in zip(files, given, strict=True)]

    timings = seconds if seconds is not None else {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now

    wanted = {str(path): sha for path, sha in zip(files, shas, strict=True)}
    if prefetch is None or not prefetch.matches(wanted):
        prefetch = FragmentPrefetch()
    rest = [path for path in files if str(path) not in prefetch.files]
    prefetch.add(rest, [wanted[str(path)] for path in rest])
    G = prefetch.merger.graph()
    sources, titles = prefetch.sources, prefetch.titles
    lap("merge")
    # A forked copy of this process lays the graph out (a re-run finds most of it cached),
    # hands the layout over and draws the picture with it, while this one writes the RDF, XML
    # and JSON files, then the page with the same layout; once done, the forked one takes the
    # files this one has not begun, from the end of the list, so the two halves stay even.
    def turtle() -> tuple[int, str]:
        if turtle_index is None:
            return stream_turtle(run_nquads, files, paths["turtle"]), "rebuilt"
        return update_turtle(run_nquads, files, shas, paths["turtle"], turtle_index)

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("turtle", turtle),
        ("trig", lambda: stream_trig(run_nquads, (
            article_graphs.read_trig_chunk(path, sha)
            for path, sha in zip(files, shas, strict=True)), paths["trig"])),
        ("graphml", lambda: write_graphml(G, paths["graphml"])),
        ("gexf", lambda: write_gexf(G, paths["gexf"])),
        ("cyjs", lambda: write_cyjs(G, paths["cyjs"])),
    ]
    with xml_safe_checked(G, made_safe=True) as G:  # G is the merger's, as it made it
        layout = Handoff(lambda: view_layout(G, layout_cache))

        def views() -> dict[str, float]:
            """The layout (handed to the page's step at once), then the picture drawn with it;
            the seconds of each."""
            started = time.perf_counter()
            positions = layout.produce()
            laid_out = time.perf_counter()
            write_picture(G, paths["png"], paths["svg"], positions=positions)
            return {"layout": laid_out - started, "picture": time.perf_counter() - laid_out}

        steps.append(("html", lambda: write_html(G, paths["html"], sources=dict(sources),
                                                 titles=dict(titles), positions=layout.take())))
        done, views_took = _shared_steps(views, steps, lap, layout)
    lap("views")
    timings.update({name: round(seconds, 3) for name, (_, seconds) in done.items()
                    if name not in timings})
    timings.update({name: round(seconds, 3) for name, seconds in views_took.items()})
    (triples, turtle_how), counts = done["turtle"][0], done["trig"][0]
    export = {
        "files": dict(OUTPUT_FILES),
        "turtle": turtle_how,
        "quads": counts["quads"],
        "triples": triples,
        "named_graphs": counts["named_graphs"],
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "nodes_by_type": dict(sorted(Counter(t for _, t in G.nodes(data="type")).items())),
        "edges_by_type": dict(sorted(Counter(t for _, _, t in G.edges(data="type")).items())),
    }
    return paths, export


#: What the exports import: :func:`preload` imports it ahead.
EXPORT_MODULES = (
    "networkx.readwrite.graphml", "networkx.readwrite.gexf", "lxml.etree",
    "pipeline.export.property_graph", "pipeline.export.graphml", "pipeline.export.gexf",
    "pipeline.export.cytoscape", "pipeline.export.layout", "pipeline.export.html_view",
    "pipeline.export.picture", "matplotlib.figure", "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg", "matplotlib.patches", "matplotlib.path",
    "matplotlib.lines",
)


def preload(stop: Callable[[], bool] | None = None) -> bool:
    """Import what the exports need (matplotlib alone takes most of a second), then draw a
    first, tiny picture (``picture.warm``: its fonts and caches). A long run
    calls it between results, and a re-run while its worker loads the model, so the end of
    the run, and the child process the page and picture are drawn in, find them imported. A
    module that is not installed is left to fail where it is used. ``stop``: asked before each
    module; when it says True, the rest is left (to the export). Whether all were imported."""
    import importlib

    for name in EXPORT_MODULES:
        if stop is not None and stop():
            return False
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    if stop is not None and stop():
        return False
    try:  # and a first picture's fonts and caches, which the picture's process inherits
        from pipeline.export.picture import warm

        warm()
    except Exception:  # noqa: BLE001  (a picture that cannot be drawn fails in the export)
        pass
    return True


def write_views(G: Any, paths: Mapping[str, Path], sources: Mapping[str, str],
                titles: Mapping[str, str], layout_cache: Path | None = None) -> None:
    """``graph.html`` (interactive, offline) and ``graph.png`` / ``graph.svg`` (a picture),
    both drawn with one layout of ``G``; ``sources`` / ``titles``: article id -> URL /
    headline, shown and linked in the page. ``layout_cache``: a JSON file of component
    layouts, read if it is there and valid, and rewritten with those of ``G``."""
    from pipeline.export.html_view import write_html
    from pipeline.export.picture import write_picture

    positions = view_layout(G, layout_cache)
    write_html(G, paths["html"], sources=dict(sources), titles=dict(titles),
               positions=positions)
    write_picture(G, paths["png"], paths["svg"], positions=positions)


def view_layout(G: Any, layout_cache: Path | None = None) -> dict:
    """The positions the page and the picture share: :func:`pipeline.export.layout.graph_layout`
    of ``G``, with the component layouts of ``layout_cache`` (a JSON file, read if it is there
    and valid, and rewritten with those of ``G``)."""
    from pipeline.export.layout import LayoutCache, graph_layout

    cache = LayoutCache.read(layout_cache) if layout_cache is not None else None
    positions = graph_layout(G, cache=cache)
    if cache is not None:
        cache.write(layout_cache)
    return positions


class Handoff:
    """A value that :func:`_shared_steps`'s ``job`` hands to a step before the job ends: the
    job, in the forked process, makes it with :meth:`produce` (``make()``), which sends it
    over, and a step, in either process, :meth:`take` s it, waiting for it if need be. A
    process makes it itself where it was never handed over (the forked process died first,
    or could not be started); never twice in one process."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make
        self.receive: Callable[[], tuple[bool, Any]] | None = None  # this process's wait
        self.send: Callable[[Any], None] | None = None  # the forked process's channel
        self.given, self.value = False, None

    def produce(self) -> Any:
        if not self.given:
            self.given, self.value = True, self.make()
            if self.send is not None:
                self.send(self.value)
        return self.value

    def take(self) -> Any:
        if not self.given and self.receive is not None:
            self.given, self.value = self.receive()
        if not self.given:
            self.given, self.value = True, self.make()
        return self.value


def _shared_steps(job: Callable[[], Any], steps: list[tuple[str, Callable[[], Any]]],
                  lap: Callable[[str], None], handoff: Handoff | None = None,
                  ) -> tuple[dict[str, tuple[Any, float]], Any]:
    """Run ``job`` in a forked child process and ``steps`` (name, function) here, in order;
    the child, once ``job`` is done, takes the steps not yet begun from the end of the list.
    Each step runs once, in one of the two processes (a shared flag per step, set under a
    lock). Returns, by step name, what it returned (sent back pickled from the child) and
    how long it took; and what ``job`` returned. ``lap(name)`` is called after each step run
    here. ``handoff``: a :class:`Handoff` the job gives a value to, for a step to take.

    Where fork is unavailable, or the child cannot start, all runs here. If the child fails
    (its error went to stderr), ``job`` and the steps it took without sending their results
    are run here again, to get the results or the error. The steps and ``job`` write files
    only, each atomically, so an interrupted export leaves every output whole: old or new.
    """
    import multiprocessing
    import pickle
    import shutil
    import tempfile

    context = multiprocessing.get_context("fork")
    results: dict[str, tuple[Any, float]] = {}
    early: deque = deque()  # the child's messages read while waiting for its handoff
    # The handoff goes through a file: a message bigger than the pipe's buffer would hold the
    # child up until this process reads it, which it does only when a step takes it.
    folder = tempfile.mkdtemp(prefix="aerokg-export-") if handoff is not None else None
    try:
        claimed = context.RawArray("b", len(steps))
        lock = context.Lock()
        receiver, sender = context.Pipe(duplex=False)
        child: Any = context.Process(target=_steal_steps, daemon=True,
                                     args=(job, steps, claimed, lock, sender, handoff, folder))
        child.start()
        sender.close()
    except (ValueError, OSError):
        child = None

    def next_message() -> tuple:
        return early.popleft() if early else receiver.recv()

    def wait_for_handoff() -> tuple[bool, Any]:
        """The child's handoff, reading on (and keeping) its other messages; not given if it
        died or ended without one."""
        try:
            while True:
                message = receiver.recv()
                if message[0] == "handoff":
                    with open(message[1], "rb") as stream:
                        return True, pickle.load(stream)
                early.append(message)
                if message[0] == "end":
                    return False, None
        except (EOFError, OSError):
            early.append(("end",))
            return False, None

    if handoff is not None and child is not None:
        handoff.receive = wait_for_handoff

    try:
        for index, (name, step) in enumerate(steps):
            if child is None or _claim(claimed, lock, index):
                results[name] = _timed_step(step)
                lap(name)
        if child is None:
            return results, job()
        job_done, job_value = False, None
        try:
            while True:
                message = next_message()
                if message[0] == "handoff":
                    continue
                if message[0] == "job":
                    job_done, job_value = True, message[1]
                elif message[0] == "step":
                    results[message[1]] = (message[2], message[3])
                else:  # "end"
                    break
        except (EOFError, OSError):  # it died: what it did not report is done here
            pass
        finally:
            receiver.close()
        child.join()
        if child.exitcode != 0 or not job_done:
            job_value = job()
        for name, step in steps:
            if name not in results:
                results[name] = _timed_step(step)
        return results, job_value
    except BaseException:
        if child is not None:
            child.kill()
            child.join()
        raise
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _steal_steps(job: Callable[[], Any], steps: list[tuple[str, Callable[[], Any]]],
                 claimed: Any, lock: Any, sender: Any, handoff: Handoff | None = None,
                 folder: str | None = None) -> None:
    """The forked side of :func:`_shared_steps`."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    if handoff is not None and folder is not None:
        def send(value: Any) -> None:
            import pickle

            path = os.path.join(folder, "handoff.pickle")
            with open(path + ".part", "wb") as stream:
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(path + ".part", path)
            sender.send(("handoff", path))

        handoff.receive, handoff.send = None, send
    sender.send(("job", job()))
    for index in reversed(range(len(steps))):
        if not _claim(claimed, lock, index):
            break  # the parent has reached the steps from here back: none left
        name, step = steps[index]
        sender.send(("step", name, *_timed_step(step)))
    sender.send(("end",))
    sender.close()


def _claim(claimed: Any, lock: Any, index: int) -> bool:
    """Take step ``index`` for this process, unless the other one has (shared flags)."""
    with lock:
        if claimed[index]:
            return False
        claimed[index] = 1
        return True


def _timed_step(step: Callable[[], Any]) -> tuple[Any, float]:
    """What ``step`` returned, and the seconds it took."""
    started = time.perf_counter()
    return step(), time.perf_counter() - started


def _file_sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
