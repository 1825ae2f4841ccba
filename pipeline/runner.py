"""The batch run behind `aerokg run`: corpus -> NLP stage -> mapping stage -> export stage.

I/O happens only at the two ends (reading articles, writing OUT_DIR). One bad article is
reported in the run report and never stops the batch; the output files are written
atomically at the end, so an interrupted run leaves the previous outputs as they were.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pipeline
from pipeline.corpus import read_corpus
from pipeline.mapping.entities import resolve_entities
from pipeline.mapping.rdf import RunInfo, add_article, add_run, new_dataset, run_fingerprint
from pipeline.mapping.vocab import graph_iri


@dataclass
class RunResult:
    out_dir: Path
    report: dict
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        r = self.report
        totals = r["totals"]
        return (
            f"{totals['articles_ok']} articles -> {totals['entities']} entities, "
            f"{totals['relations']} relations, {totals['triples']} triples in {self.out_dir} "
            f"({totals['articles_failed']} failed, {len(r['problems'])} input problems, "
            f"{r['seconds']['total']:.1f} s)"
        )


def run(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    model: str | None = None,
    progress: Callable[[int], Callable[[], None]] | None = None,
) -> RunResult:
    """Build the knowledge graph of the articles under ``paths`` into ``out_dir``.

    ``progress`` wraps the article loop (e.g. a rich progress bar); it receives the number of
    articles and returns a callable advancing it by one.
    """
    from pipeline.export.writer import export_all
    from pipeline.nlp.analyse import analyse, to_document
    from pipeline.nlp.loader import describe, load_nlp

    started = time.perf_counter()
    out_dir = Path(out_dir)
    corpus = read_corpus(paths)
    read_seconds = time.perf_counter() - started

    nlp = load_nlp(model)
    facts = describe(nlp)
    loaded = time.perf_counter()

    dataset = new_dataset()
    articles_report = []
    advance = progress(len(corpus.articles)) if progress else (lambda: None)
    for article, doc in analyse(nlp, corpus.articles):
        entry = {"article": article.id, "path": article.path}
        try:
            document = to_document(article, doc)
            index = resolve_entities(document)
            counts = add_article(dataset, document, index)
            entry |= {"status": "ok", **counts}
            if document.warnings:
                entry["warnings"] = document.warnings
        except Exception as err:  # noqa: BLE001  (one bad article never kills the batch)
            dataset.remove_graph(graph_iri(article.id))
            entry |= {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        articles_report.append(entry)
        advance()
    mapped = time.perf_counter()

    ok_ids = tuple(sorted(e["article"] for e in articles_report if e["status"] == "ok"))
    texts = [(a.id, a.text) for a in corpus.articles if a.id in set(ok_ids)]
    run_info = RunInfo(
        aerokg_version=pipeline.__version__,
        model_name=facts["model_name"],
        model_version=facts["model_version"],
        article_ids=ok_ids,
        fingerprint=run_fingerprint(pipeline.__version__,
                                    f"{facts['model_name']} {facts['model_version']}", texts),
    )
    add_run(dataset, run_info)
    ok = [e for e in articles_report if e["status"] == "ok"]
    report = {
        "aerokg_version": pipeline.__version__,
        "model": {k: facts[k] for k in ("model_name", "model_version", "model_path")},
        "run": str(run_info.iri),
        "inputs": [str(p) for p in paths],
        "articles": sorted(articles_report, key=lambda e: e["article"]),
        "problems": [{"path": p.path, "error": p.message} for p in corpus.problems],
        "totals": {
            "articles_ok": len(ok),
            "articles_failed": len(articles_report) - len(ok),
            "entities": sum(e["entities"] for e in ok),
            "relations": sum(e["relations"] for e in ok),
            "triples": len(dataset),
        },
    }
    result = RunResult(out_dir=out_dir, report=report)
    report["seconds"] = {
        "read": round(read_seconds, 3),
        "load_model": round(loaded - started - read_seconds, 3),
        "nlp_and_mapping": round(mapped - loaded, 3),
    }
    report["seconds"]["total"] = round(time.perf_counter() - started, 3)  # before export
    result.outputs = export_all(dataset, out_dir, report)
    return result


def terminal_progress(total: int) -> Callable[[], None]:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty() or total == 0:
        return lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("articles", total=total)
    bar.start()

    def advance() -> None:
        bar.advance(task)
        if bar.tasks[0].finished:
            bar.stop()

    return advance
