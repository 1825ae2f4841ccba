"""Benchmark (not a test): words/second of the full NLP stage on the KIND news dev text.

    python scripts/benchmark_nlp.py [--model NAME_OR_PATH] [--file ../shared/data/kind/WN_dev.tsv]

Prints single-process and two-process throughput side by side, from one run, with numpy's
OpenBLAS for matrix products (aerokg's default) and, single-process, with thinc's BLIS. A warm-up
pass over the first paragraphs runs first, so model loading is not timed.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from pipeline.nlp.loader import load_nlp
from pipeline.nlp.speed import kind_paragraphs, words_per_second

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "kind" / "WN_dev.tsv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--gemm", nargs="+", default=["openblas", "blis"],
                        help="matrix-product backends to compare (the first is the default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = kind_paragraphs(args.file)
    rows = []
    for gemm in args.gemm:
        nlp = load_nlp(args.model, gemm=gemm)
        list(nlp.pipe(texts[:20]))  # warm-up
        # the alternative backend is measured single-process only
        for n in args.processes if gemm == args.gemm[0] else args.processes[:1]:
            rows.append({"gemm": gemm, **words_per_second(nlp, texts, n_process=n)})
    base = rows[0]["words_per_second"]
    if args.json:
        print(json.dumps({"model": nlp.meta.get("name"), "rows": rows}, indent=2))
        return
    print(f"model {nlp.meta.get('lang')}_{nlp.meta.get('name')} {nlp.meta.get('version')}, "
          f"{platform.processor() or platform.machine()}, pipeline: {', '.join(nlp.pipe_names)}")
    print(f"{'gemm':>9} {'n_process':>9} {'words':>8} {'seconds':>8} {'words/s':>9} {'ratio':>6}")
    for row in rows:
        print(f"{row['gemm']:>9} {row['n_process']:>9} {row['words']:>8} {row['seconds']:>8.2f} "
              f"{row['words_per_second']:>9,.0f} {row['words_per_second'] / base:>6.2f}")


if __name__ == "__main__":
    main()
