"""NLP stage: score a pipeline's named entities against KIND-format gold files.

A KIND file has one ``token<TAB>label`` per line and a blank line between sentences; labels
are PER/ORG/LOC (or any other type) with or without ``B-``/``I-`` prefixes, ``O`` outside.
Bare labels (no prefix) make consecutive tokens of one type a single entity.

Two scores are computed:

* entity level, exact span and type (CoNLL style), overall and per label;
* token level micro F1 over the entity types, the way the NERMuD (EVALITA 2023) scorer
  computes it: prefixes stripped, every token one label, ``O`` not a class.

Only the types present in the gold file count; predicted entities of other types (MISC,
amounts) are ignored, since the gold file cannot say whether they are right.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc


class NerFileError(ValueError):
    """A gold NER file that cannot be read."""


@dataclass(frozen=True)
class GoldSentence:
    words: list[str]
    labels: list[str]  # as written: "B-PER", "I-PER", "PER", "O"


def read_kind(path: str | Path) -> list[GoldSentence]:
    """Read a KIND-format file into sentences, with clear errors for malformed lines."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NerFileError(f"{path}: no such file") from None
    except UnicodeDecodeError as err:
        raise NerFileError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    sentences: list[GoldSentence] = []
    words: list[str] = []
    labels: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if words:
                sentences.append(GoldSentence(words, labels))
            words, labels = [], []
            continue
        parts = line.rstrip("\r").split("\t")
        if len(parts) < 2 or not parts[0] or not parts[-1].strip():
            raise NerFileError(f"{path}:{number}: expected 'token<TAB>label', got {line!r}")
        label = parts[-1].strip()
        if label != "O" and label[:2] in ("B-", "I-") and not label[2:]:
            raise NerFileError(f"{path}:{number}: label {label!r} has no type")
        words.append(parts[0])
        labels.append(label)
    if words:
        sentences.append(GoldSentence(words, labels))
    if not sentences:
        raise NerFileError(f"{path}: no sentences (empty file?)")
    return sentences


def entity_type(label: str) -> str:
    """'B-PER' -> 'PER', 'PER' -> 'PER', 'O' -> 'O'."""
    return label[2:] if label[:2] in ("B-", "I-") else label


def label_spans(labels: list[str]) -> set[tuple[int, int, str]]:
    """Entity spans (start, end, type) from IOB2, IOB1 or bare labels.

    >>> sorted(label_spans(["B-PER", "I-PER", "O", "LOC", "LOC", "B-LOC"]))
    [(0, 2, 'PER'), (3, 5, 'LOC'), (5, 6, 'LOC')]
    """
    spans = set()
    start, current = None, "O"
    for i, label in enumerate(labels + ["O"]):
        kind = entity_type(label)
        begins = label.startswith("B-") or kind != current
        if current != "O" and (begins or kind == "O"):
            spans.add((start, i, current))
            current = "O"
        if kind != "O" and (current == "O" or begins):
            start, current = i, kind
    return spans


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score_ner(
    gold: list[GoldSentence], predicted: list[set[tuple[int, int, str]]]
) -> dict[str, object]:
    """Entity-level and token-level scores of predicted spans against gold sentences."""
    types = sorted({entity_type(lab) for s in gold for lab in s.labels} - {"O"})
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    tok_tp = tok_pred = tok_gold = 0
    for sentence, pred in zip(gold, predicted, strict=True):
        pred = {s for s in pred if s[2] in types}
        gold_spans = label_spans(sentence.labels)
        for span in gold_spans:
            n_gold[span[2]] += 1
        for span in pred:
            n_pred[span[2]] += 1
            if span in gold_spans:
                tp[span[2]] += 1
        pred_tokens = ["O"] * len(sentence.words)
        for start, end, kind in pred:
            for i in range(start, end):
                pred_tokens[i] = kind
        for g, p in zip((entity_type(lab) for lab in sentence.labels), pred_tokens,
                        strict=True):
            tok_gold += g != "O"
            tok_pred += p != "O"
            tok_tp += g != "O" and g == p
    per_label = {}
    for kind in types:
        per_label[kind] = _prf(tp[kind], n_pred[kind], n_gold[kind]) | {"support": n_gold[kind]}
    return {
        "entity": _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
        "per_label": per_label,
        "token_micro_f1": _prf(tok_tp, tok_pred, tok_gold)["f1"],
    }


def predict_spans(
    nlp: Language, sentences: Iterable[GoldSentence], batch_size: int = 256
) -> list[set[tuple[int, int, str]]]:
    """Run the pipeline on the gold tokens (no re-tokenisation) and read its entities."""
    docs = (Doc(nlp.vocab, words=s.words) for s in sentences)
    return [
        {(e.start, e.end, e.label_) for e in doc.ents}
        for doc in nlp.pipe(docs, batch_size=batch_size)
    ]


def evaluate_ner(nlp: Language, path: str | Path) -> dict[str, object]:
    """Score ``nlp`` on a KIND-format file: the dict `aerokg evaluate-ner --json` prints."""
    gold = read_kind(path)
    started = time.perf_counter()
    predicted = predict_spans(nlp, gold)
    seconds = time.perf_counter() - started
    result = score_ner(gold, predicted)
    result.update(
        {
            "sentences": len(gold),
            "words": sum(len(s.words) for s in gold),
            "seconds": round(seconds, 3),
        }
    )
    return result
