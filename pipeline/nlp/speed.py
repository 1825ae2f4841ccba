"""NLP stage: measure how fast a pipeline processes text (used by scripts/benchmark_nlp.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from spacy.language import Language


def kind_paragraphs(path: str | Path, sentences_per_paragraph: int = 10) -> list[str]:
    """Plain text from a KIND-format file: tokens joined by spaces, 10 sentences a paragraph."""
    from pipeline.nlp.evaluate import read_kind

    sentences = [" ".join(s.words) for s in read_kind(path)]
    n = sentences_per_paragraph
    return [" ".join(sentences[i : i + n]) for i in range(0, len(sentences), n)]


def words_per_second(
    nlp: Language, texts: Sequence[str], n_process: int = 1, batch_size: int = 64
) -> dict[str, float]:
    """Run the whole pipeline over ``texts`` once; words are spaCy tokens that are not spaces."""
    started = time.perf_counter()
    words = 0
    for doc in nlp.pipe(texts, n_process=n_process, batch_size=batch_size):
        words += sum(1 for t in doc if not t.is_space)
    seconds = time.perf_counter() - started
    return {
        "n_process": n_process,
        "words": words,
        "seconds": round(seconds, 3),
        "words_per_second": round(words / seconds, 1),
    }
