"""Mention replacement for the NER fine-tuning corpus: more organisation and place names.

Training-time only. KIND news train has about 4,000 organisation mentions; the NER's
weakest class is ORG (F1 0.68 on WN_dev), mostly names it never saw. This writes
``training/corpus/ner-news-aug/kind-wn-aug.spacy``: every KIND news training sentence as it
is, plus, for each sentence with an ORG or LOC mention, a copy where each such mention is
replaced (with probability ``--p``) by a name of the same type drawn from a gazetteer:

* ORG: the Italian Wikipedia organisation names of ``../shared/data/gazetteers`` (the KIND
  gazetteer), cleaned of disambiguations in brackets;
* LOC: the aerokg place gazetteer (Italian municipalities, provinces and regions from ISTAT,
  countries) of :mod:`pipeline.nlp.gazetteer`.

Replacement keeps the sentence, its other mentions and the label, and tokenizes the new name
with the Italian tokenizer (Dai & Adel 2020, "mention replacement"). Seeded.

    python training/augment.py
    python training/spacy_train.py training/configs/ner-continue.cfg -o training/runs/ner-aug \
        --paths.source training/runs/ner-more/model-best \
        --paths.train training/corpus/ner-news-aug/kind-wn-aug.spacy

An experiment, not a step of ``build_model.py``: on WN_dev it raised ORG F1 from 0.683 to 0.700
but not the overall F1 (see the model card).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin, Span

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPUS = REPO / "training" / "corpus"
SOURCE = CORPUS / "ner-news" / "kind-wn.spacy"
TARGET = CORPUS / "ner-news-aug" / "kind-wn-aug.spacy"
ORG_GAZETTEER = REPO.parent / "shared" / "data" / "gazetteers" / "kind-it-ORG-wikipedia.txt"
_BRACKETS = re.compile(r"\s*\(.*?\)\s*")


def organisation_names(path: Path = ORG_GAZETTEER) -> list[str]:
    """The gazetteer's ORG names, brackets removed, 2 to 60 characters, deduplicated."""
    names = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, name = line.partition(" ")
        name = _BRACKETS.sub(" ", name).strip()
        if label == "ORG" and 2 <= len(name) <= 60 and not name.isdigit():
            names[name] = None
    return list(names)


def place_names() -> list[str]:
    """Canonical names and aliases of the place gazetteer (cities, provinces, regions,
    countries)."""
    from pipeline.nlp import gazetteer

    names = {}
    for cls, _canonical, alias, _ in (*gazetteer._place_entries(flags=False),
                                      *gazetteer._country_entries()):
        if cls in gazetteer.PLACE_CLASSES:
            names[alias] = None
    return list(names)


def replaced(doc: Doc, pools: dict[str, list[tuple[list[str], list[bool]]]], p: float,
             rng: random.Random) -> Doc | None:
    """A copy of ``doc`` with its ORG/LOC mentions replaced (each with probability ``p``) by
    names from ``pools`` (label -> tokenized names: words and their trailing spaces); None if
    nothing was replaced."""
    words: list[str] = []
    spaces: list[bool] = []
    ents: list[tuple[int, int, str]] = []
    changed = False
    i = 0
    starts = {ent.start: ent for ent in doc.ents}
    while i < len(doc):
        ent = starts.get(i)
        if ent is None:
            words.append(doc[i].text)
            spaces.append(bool(doc[i].whitespace_))
            i += 1
            continue
        if ent.label_ in pools and rng.random() < p:
            new, new_spaces = rng.choice(pools[ent.label_])
        else:
            new, new_spaces = [t.text for t in ent], [bool(t.whitespace_) for t in ent]
        changed |= new != [t.text for t in ent]
        start = len(words)
        words.extend(new)
        spaces.extend(new_spaces[:-1] + [bool(ent[-1].whitespace_)])
        ents.append((start, len(words), ent.label_))
        i = ent.end
    if not changed:
        return None
    copy = Doc(doc.vocab, words=words, spaces=spaces)
    copy.ents = [Span(copy, s, e, label=label) for s, e, label in ents]
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=float, default=0.7, help="replacement probability")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    nlp = spacy.blank("it")
    rng = random.Random(args.seed)
    def tokenized(name: str) -> tuple[list[str], list[bool]]:
        doc = nlp.make_doc(name)
        return [t.text for t in doc], [bool(t.whitespace_) for t in doc]

    pools = {"ORG": [tokenized(name) for name in organisation_names()],
             "LOC": [tokenized(name) for name in place_names()]}
    docs = list(DocBin().from_disk(SOURCE).get_docs(nlp.vocab))
    out = DocBin()
    added = 0
    for doc in docs:
        out.add(doc)
        if any(ent.label_ in pools for ent in doc.ents):
            copy = replaced(doc, pools, args.p, rng)
            if copy is not None:
                out.add(copy)
                added += 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    out.to_disk(TARGET)
    print(f"{len(docs)} sentences + {added} with replaced names -> {TARGET} "
          f"({len(pools['ORG'])} ORG, {len(pools['LOC'])} LOC names)")


if __name__ == "__main__":
    main()
