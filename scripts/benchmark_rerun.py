"""Wall time of `aerokg run`: first run, unchanged re-run, re-run after editing one article.

Copies the dev articles (``../shared/corpus/dev/*.txt``, never into this repository) to a
temporary corpus and runs the real command line three times into one OUT_DIR, each in a fresh
process (as a nightly batch would). Prints the wall times, their ratio to the first run, how
many articles each run processed and whether graph.ttl stayed byte-identical.

    python scripts/benchmark_rerun.py [--corpus DIR] [--model M] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "corpus" / "dev"


def timed_run(corpus: Path, out: Path, model: str | None) -> tuple[float, dict, int]:
    command = [sys.executable, "-c", "from pipeline.cli import main; main()", "run",
               str(corpus), "-o", str(out)]
    if model:
        command += ["--model", model]
    started = time.perf_counter()
    # without a daemon (`aerokg daemon`), even if one runs: this times a command's whole life
    done = subprocess.run(command, capture_output=True, text=True,
                          env={**os.environ, "AEROKG_NO_DAEMON": "1"})
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"aerokg run failed ({done.returncode}):\n{done.stderr}")
    report = json.loads((out / "run-report.json").read_text(encoding="utf-8"))
    return seconds, report, done.returncode


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV, help="folder of .txt articles")
    parser.add_argument("--model", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sources = sorted(args.corpus.glob("*.txt"))
    if not sources:
        sys.exit(f"no .txt articles in {args.corpus}")
    work = Path(tempfile.mkdtemp(prefix="aerokg-rerun-"))
    try:
        corpus, out = work / "corpus", work / "out"
        corpus.mkdir()
        for source in sources:
            shutil.copy2(source, corpus / source.name)
        rows = []
        first_s, first, _ = timed_run(corpus, out, args.model)
        ttl_first = sha(out / "graph.ttl")
        rows.append(("first run", first_s, first, True))
        again_s, again, _ = timed_run(corpus, out, args.model)
        rows.append(("unchanged re-run", again_s, again, sha(out / "graph.ttl") == ttl_first))
        edited = corpus / sources[0].name
        edited.write_text(edited.read_text(encoding="utf-8").rstrip()
                          + "\n\nAggiornamento: la notizia è stata modificata.\n",
                          encoding="utf-8")
        one_s, one, _ = timed_run(corpus, out, args.model)
        rows.append(("one article edited", one_s, one, sha(out / "graph.ttl") == ttl_first))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results = [
        {"run": name, "seconds": round(seconds, 2), "ratio_to_first": round(seconds / first_s, 3),
         "processed": report["totals"]["processed"], "unchanged": report["totals"]["unchanged"],
         "outputs_rewritten": report["outputs"]["rewritten"],
         "model_load_seconds": report["seconds"]["load_model"],
         "export_seconds": report["seconds"].get("export", 0.0),
         "graph_ttl_identical_to_first": identical}
        for name, seconds, report, identical in rows
    ]
    if args.json:
        print(json.dumps({"articles": len(sources), "runs": results}, indent=2))
        return
    print(f"{len(sources)} articles from {args.corpus}")
    print(f"{'run':<20} {'seconds':>8} {'ratio':>7} {'processed':>10} {'unchanged':>10} "
          f"{'rewritten':>10} {'graph.ttl = first':>18} {'model load s':>13} {'export s':>9}")
    for r in results:
        print(f"{r['run']:<20} {r['seconds']:>8.2f} {r['ratio_to_first']:>7.1%} "
              f"{r['processed']:>10} {r['unchanged']:>10} {str(r['outputs_rewritten']):>10} "
              f"{str(r['graph_ttl_identical_to_first']):>18} {r['model_load_seconds']:>13.2f} "
              f"{r['export_seconds']:>9.2f}")


if __name__ == "__main__":
    main()
