"""Measure a built pipeline: ISDT dev (tagging, parsing, lemmas), KIND dev (NER), speed.

    python training/evaluate_model.py [--model PATH] [--write training/metrics.json]

ISDT dev is run from raw text through the pipeline's own tokenizer and scored with spaCy's
aligned scorer (multi-word tokens merged as in training). The lemmatizer is compared with
spaCy's rule-based Italian ``pos_lookup`` lemmatizer (spacy-lookups-data) on the same
predicted POS. NER is scored on gold tokens with pipeline.nlp.evaluate (KIND WN/FIC/ADG dev).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import spacy
from spacy.training import Corpus

from pipeline.nlp.evaluate import evaluate_ner
from pipeline.nlp.loader import load_nlp
from pipeline.nlp.speed import kind_paragraphs, words_per_second

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
ISDT_DEV = REPO / "training" / "corpus" / "isdt-dev.spacy"


def ud_scores(nlp: spacy.Language, path: Path) -> dict[str, float]:
    examples = list(Corpus(path)(nlp))
    with nlp.select_pipes(enable=[p for p in nlp.pipe_names if p != "ner"]):
        scores = nlp.evaluate(examples)
    keys = ["token_acc", "tag_acc", "pos_acc", "morph_acc", "lemma_acc", "dep_uas", "dep_las",
            "sents_f"]
    return {k: round(float(scores[k]), 4) for k in keys if scores.get(k) is not None}


def lookup_lemmatizer_accuracy(model_path: str, path: Path) -> float:
    """Lemma accuracy of spaCy's Italian pos_lookup lemmatizer on the same predicted POS."""
    nlp = spacy.load(model_path, exclude=["ner"])
    nlp.remove_pipe("trainable_lemmatizer")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "pos_lookup"}, after="parser")
    lemmatizer.initialize()
    examples = list(Corpus(path)(nlp))
    return round(float(nlp.evaluate(examples)["lemma_acc"]), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: the shipped model")
    parser.add_argument("--write", type=Path, default=None, help="write the metrics as JSON here")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    nlp = load_nlp(args.model)
    model_path = nlp.meta["aerokg"]["model_path"]
    metrics: dict[str, object] = {
        "model": f"{nlp.meta['lang']}_{nlp.meta['name']}",
        "version": nlp.meta["version"],
    }
    if ISDT_DEV.exists():
        metrics["isdt_dev"] = ud_scores(nlp, ISDT_DEV)
        if "trainable_lemmatizer" in nlp.pipe_names:
            metrics["isdt_dev"]["lemma_acc_pos_lookup"] = lookup_lemmatizer_accuracy(
                model_path, ISDT_DEV
            )
    ner = {}
    for name in ("WN_dev", "FIC_dev", "ADG_dev"):
        result = evaluate_ner(nlp, SHARED / "kind" / f"{name}.tsv")
        ner[name] = {
            "entity": result["entity"],
            "per_label": result["per_label"],
            "token_micro_f1": result["token_micro_f1"],
        }
    metrics["kind"] = ner
    if not args.no_speed:
        texts = kind_paragraphs(SHARED / "kind" / "WN_dev.tsv")
        list(nlp.pipe(texts[:20]))
        metrics["speed_wn_dev"] = [words_per_second(nlp, texts, n_process=n) for n in (1, 2)]
    metrics["size_mb"] = round(
        sum(p.stat().st_size for p in Path(model_path).rglob("*") if p.is_file()) / 1e6, 1
    )
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
