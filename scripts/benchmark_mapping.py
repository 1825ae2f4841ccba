"""CPU time of the mapping stage per article, by part, optionally against another git ref.

Parses the articles once (``../shared/corpus/dev/*.txt`` and the seed, never copied into this
repository) up to the pipeline's rule-based tail (:func:`tail_components`: entity-edge
trimming, the domain entity ruler, amounts and dates), then times, on the parsed Docs: each
tail component (NLP stage, rules over the parsed Doc), and the mapping stage: the analysis
(each relation rule module, and the rest) and the RDF (entity resolution, the article's graph,
its N-Quads, its property-graph fragment, its TriG chunk). Each part is the best of
``--passes`` passes, in process CPU time, per article. ``--against REF`` measures REF too, from
a temporary git worktree, in rounds that alternate between the two (this VM's speed drifts by
10-20% within an hour: only runs minutes apart compare), and prints both side by side with the
ratio of the medians.


    python scripts/benchmark_mapping.py [--corpus DIR] [--passes 5] [--rounds 3] [--against REF]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from importlib import import_module
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO.parent / "shared" / "corpus" / "dev", REPO / "corpus"]


def tail_components(nlp: Any) -> tuple[str, ...]:
    """The rule-based components at the end of ``nlp``, after its last trained one."""
    from spacy.pipeline import TrainablePipe

    tail: list[str] = []
    for name, component in reversed(nlp.pipeline):
        if isinstance(component, TrainablePipe):
            break
        tail.insert(0, name)
    return tuple(tail)


def measure(sources: list[Path], passes: int) -> dict[str, float]:
    """ms per article of each part of the mapping stage, best of ``passes``, this process."""
    import hashlib

    from spacy.tokens import DocBin

    from pipeline import article_graphs, workers
    from pipeline.corpus import iter_corpus
    from pipeline.export.property_graph import graph_fragment
    from pipeline.mapping.entities import resolve_entities
    from pipeline.mapping.rdf import article_graph
    from pipeline.nlp import relations
    from pipeline.nlp.loader import load_nlp

    articles = [a for a in iter_corpus([s for s in sources if s.is_dir()]) if hasattr(a, "text")]
    if not articles:
        sys.exit("no articles in " + ", ".join(map(str, sources)))
    nlp = load_nlp(None)
    tail = tail_components(nlp)
    with nlp.select_pipes(disable=list(tail)):  # each pass reads a fresh copy of each Doc
        parsed = [DocBin(docs=[doc], store_user_data=True).to_bytes()
                  for doc in nlp.pipe([a.text for a in articles], batch_size=8)]

    spent: defaultdict[str, float] = defaultdict(float)
    for name in getattr(relations, "RULE_MODULES", ()):  # each rule module's own time
        module = import_module(f"pipeline.nlp.relations.{name}")
        original = module.extract

        def timed(doc, context, _original=original, _key=f"rule {name}"):
            started = time.process_time()
            found = list(_original(doc, context))
            spent[_key] += time.process_time() - started
            return found

        module.extract = timed

    best: dict[str, float] = {}
    for _ in range(passes):
        spent.clear()
        for article, data in zip(articles, parsed, strict=True):
            [doc] = DocBin(store_user_data=True).from_bytes(data).get_docs(nlp.vocab)
            clock = time.process_time()

            def lap(part: str) -> None:
                nonlocal clock
                now = time.process_time()
                spent[part] += now - clock
                clock = now

            for name in tail:
                doc = nlp.get_pipe(name)(doc)
                lap(f"tail: {name}")
            document = workers.analyse_article(article, doc)
            lap("analysis")
            index = resolve_entities(document)
            lap("rdf: entities")
            graph, _ = article_graph(document, index)
            lap("rdf: graph")
            data = article_graphs.nquads_bytes(graph)
            sha = hashlib.sha256(data).hexdigest()
            lap("rdf: N-Quads")
            article_graphs.fragment_bytes([graph_fragment(graph)], sha)
            lap("rdf: fragment")
            article_graphs.trig_chunk_bytes(data, sha)
            lap("rdf: TriG chunk")
        rules = sum(v for k, v in spent.items() if k.startswith("rule "))
        spent["analysis: other than the rules"] = spent["analysis"] - rules
        spent["mapping stage"] = sum(v for k, v in spent.items()
                                     if k == "analysis" or k.startswith("rdf: "))
        spent["tail and mapping stage"] = spent["mapping stage"] + sum(
            v for k, v in spent.items() if k.startswith("tail: "))
        for part, seconds in spent.items():
            best[part] = min(best.get(part, float("inf")), seconds)
    return {part: 1000 * seconds / len(articles) for part, seconds in best.items()}


def _child(code: Path, sources: list[Path], passes: int) -> dict[str, float]:
    """:func:`measure` in a fresh process that imports ``pipeline`` from ``code``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--passes", str(passes),
               *[arg for source in sources for arg in ("--corpus", str(source))]]
    done = subprocess.run(command, capture_output=True, text=True, cwd=code,
                          env={**os.environ, "PYTHONPATH": str(code)})
    if done.returncode != 0:
        sys.exit(f"measuring {code} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(columns: dict[str, list[dict[str, float]]]) -> str:
    names = list(columns)
    parts = sorted({p for rounds in columns.values() for r in rounds for p in r},
                   key=lambda p: (p != "tail and mapping stage", p != "mapping stage",
                                  not p.startswith("tail: "), not p.startswith("analysis"), p))
    medians = {n: {p: statistics.median(r[p] for r in rounds if p in r) for p in parts
                   if any(p in r for r in rounds)} for n, rounds in columns.items()}
    header = "| part (ms per article) | " + " | ".join(names) + (
        f" | {names[1]} / {names[0]} |" if len(names) == 2 else " |")
    lines = [header, "|---|" + "---:|" * (len(names) + (len(names) == 2))]
    for part in parts:
        cells = [f"{medians[n][part]:.2f}" if part in medians[n] else "" for n in names]
        if len(names) == 2 and all(part in medians[n] for n in names) and medians[names[0]][part]:
            cells.append(f"{medians[names[1]][part] / medians[names[0]][part]:.2f}")
        elif len(names) == 2:
            cells.append("")
        lines.append(f"| {part} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=None,
                        help="a folder of articles (repeatable; default: the dev articles "
                             "and the seed)")
    parser.add_argument("--passes", type=int, default=5, help="passes per round (best taken)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per ref (medians shown)")
    parser.add_argument("--against", default=None, help="a git ref to compare with")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sources = [source.resolve() for source in (args.corpus or SOURCES)]
    if args.child:
        print(json.dumps(measure(sources, args.passes)))
        return
    if args.against is None:
        print(_table({"this checkout": [_child(REPO, sources, args.passes)
                                        for _ in range(args.rounds)]}))
        return
    with tempfile.TemporaryDirectory(prefix="aerokg-mapping-") as folder:
        other = Path(folder) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(other),
                        args.against], check=True)
        try:
            columns: dict[str, list[dict[str, float]]] = {args.against: [], "this checkout": []}
            for turn in range(args.rounds):
                print(f"round {turn + 1} of {args.rounds}", file=sys.stderr, flush=True)
                columns[args.against].append(_child(other, sources, args.passes))
                columns["this checkout"].append(_child(REPO, sources, args.passes))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)],
                           check=False)
    print(_table(columns))


if __name__ == "__main__":
    main()
