"""Score aerokg end to end on gold competency answers: run, query, score_cq.py.

    python evaluation/evaluate_cq.py                 # seed article + dev gold
    python evaluation/evaluate_cq.py --set dev --verbose
    python evaluation/evaluate_cq.py --model it_core_news_sm --json

For each set, the articles that have a gold file are run through `aerokg run` into a temp
directory, every named competency query is written as CSV (`aerokg query NAME --format csv`)
and ../shared/tools/score_cq.py scores them. The articles stay in ../shared (not in the repo).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.query.run import format_rows, named_queries, run_query
from pipeline.runner import run

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SCORER = SHARED / "tools" / "score_cq.py"
SETS = {
    "seed": (SHARED / "corpus" / "gold", SHARED / "corpus"),
    "dev": (REPO / "evaluation" / "gold", SHARED / "corpus" / "dev"),
}


def evaluate_set(name: str, model: str | None, verbose: bool, keep: Path | None) -> dict:
    gold_dir, article_dir = SETS[name]
    golds = sorted(gold_dir.glob("*.json"))
    articles = [article_dir / f"{json.loads(g.read_text(encoding='utf-8'))['article']}.txt"
                for g in golds]
    missing = [a for a in articles if not a.exists()]
    if missing:
        raise SystemExit(f"articles not found: {', '.join(map(str, missing))}")
    work = Path(tempfile.mkdtemp(prefix=f"aerokg-eval-{name}-"))
    try:
        out, pred = work / "out", work / "pred"
        pred.mkdir(parents=True)
        result = run(articles, out, model=model)
        for query in named_queries():
            columns, rows = run_query(out, query)
            (pred / f"{query}.csv").write_text(format_rows(columns, rows, "csv"),
                                               encoding="utf-8")
        args = [sys.executable, str(SCORER), str(gold_dir), str(pred), "--json"]
        scores = json.loads(subprocess.run(args, check=True, capture_output=True,
                                           text=True).stdout)
        if verbose:
            subprocess.run([sys.executable, str(SCORER), str(gold_dir), str(pred), "--verbose"],
                           check=True)
        if keep:
            shutil.copytree(work, keep / name, dirs_exist_ok=True)
        return {"articles": len(articles), "failed": result.report["totals"]["articles_failed"],
                "scores": scores}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), action="append")
    parser.add_argument("--model", default=None)
    parser.add_argument("--verbose", action="store_true", help="list missed and extra rows")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="copy outputs and CSVs here")
    args = parser.parse_args()
    results = {name: evaluate_set(name, args.model, args.verbose, args.keep)
               for name in (args.set or ["seed", "dev"])}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, result in results.items():
        print(f"== {name}: {result['articles']} articles ({result['failed']} failed)")
        print(f"{'question':<20} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn")
        for q, r in result["scores"].items():
            print(f"{q:<20} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} "
                  f"{r['tp']:>4} {r['fp']:>3} {r['fn']:>3}")


if __name__ == "__main__":
    main()
