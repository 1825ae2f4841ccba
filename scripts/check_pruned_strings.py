"""Check a pipeline whose strings were pruned (``training/prune_strings.py``) against the one
it was pruned from: every annotation the same, on news, fiction, speeches, tweets and treebank
text.

Parses the dev articles, KIND's dev files (news, fiction, De Gasperi) and the raw text of UD
Italian dev and test treebanks (``../shared/data``, read, never copied) with both pipelines,
and compares, token by token, text, tag, POS, lemma, dependency and head, morphology,
sentence starts, norm and entity annotations, and the amount/date spans with their values.
Any string missing from the pruned store fails as spaCy's E018 when it is looked up here.

    python scripts/check_pruned_strings.py PRUNED_MODEL_DIR [--original DIR] [--sentences N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
QUANTITY_ATTRS = ("value", "currency", "qualifier", "iso_date")


def texts(max_sentences: int) -> list[str]:
    """The dev articles, then pseudo-articles of 15 sentences from KIND and UD files."""
    from pipeline.corpus import iter_corpus
    from pipeline.nlp.evaluate import read_kind

    found = [a.text for a in iter_corpus([SHARED / "corpus" / "dev", REPO / "corpus"])
             if hasattr(a, "text")]
    sentences = [" ".join(sentence.words)
                 for path in sorted((SHARED / "data" / "kind").glob("*_dev.tsv"))
                 for sentence in read_kind(path)]
    for path in sorted((SHARED / "data" / "ud-italian").glob("*-ud-*.conllu")):
        if "-train" in path.name:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# text = "):
                sentences.append(line[len("# text = "):])
    sentences = sentences[:max_sentences]
    return found + [" ".join(sentences[i:i + 15]) for i in range(0, len(sentences), 15)]


def view(doc) -> tuple:
    tokens = [(t.text, t.tag_, t.pos_, t.lemma_, t.dep_, t.head.i, str(t.morph), t.norm_,
               t.is_sent_start, t.ent_type_, t.ent_iob_, t.ent_id_) for t in doc]
    spans = {key: [(s.start, s.end, s.label_, s.id_,
                    tuple(str(getattr(s._, a, None)) for a in QUANTITY_ATTRS
                          if s.has_extension(a))) for s in group]
             for key, group in doc.spans.items()}
    return tokens, spans, [(e.start, e.end, e.label_, e.ent_id_) for e in doc.ents]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pruned", type=Path)
    parser.add_argument("--original", default=None, help="default: the shipped model")
    parser.add_argument("--sentences", type=int, default=20000)
    args = parser.parse_args()
    from pipeline.nlp import loader

    started = time.perf_counter()
    original = loader.load_nlp(args.original)
    loaded = time.perf_counter()
    pruned = loader.load_nlp(str(args.pruned))
    print(f"load: {loaded - started:.2f} s original, {time.perf_counter() - loaded:.2f} s "
          "pruned (the first load also imports)")
    docs = texts(args.sentences)
    differing, tokens = [], 0
    for i, (a, b) in enumerate(zip(original.pipe(docs, batch_size=16),
                                   pruned.pipe(docs, batch_size=16), strict=True)):
        tokens += len(a)
        if view(a) != view(b):
            differing.append(i)
    print(f"{len(docs)} texts, {tokens:,} tokens: {len(differing)} with any difference")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
