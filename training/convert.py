"""Convert the shared training data (read from ../shared/data) into spaCy DocBin corpora.

Training-time only: nothing here is imported by the `pipeline` package. The data stay in
../shared (their licences forbid copying them into the repository); the `.spacy` files are
written under `training/corpus/`, which is git-ignored.

Corpora written:

* ``ud-train/ud.spacy`` / ``ud-dev.spacy``: Universal Dependencies Italian treebanks, with
  multi-word tokens merged ("della" = "di" + "la" becomes one token tagged ``E_RD``) so the
  tokens are the ones spaCy's Italian tokenizer produces.
* ``ud-train/isdt-xpos.spacy``: ISDT training sentences that only carry fine-grained tags; the
  contractions the file splits are merged back the same way.
* ``isdt-dev.spacy``: ISDT dev, only ever used for evaluation.
* ``ner-train/kind.spacy`` / ``ner-dev.spacy``: KIND (news, fiction, De Gasperi) PER/ORG/LOC;
  ``ner-news/kind-wn.spacy``: KIND news train alone, for the final NER fine-tuning;
  ``ner-train/wikineural.spacy``: WikiNEuRal silver data with MISC dropped.
* ``raw-text.jsonl``: raw sentences for ``spacy pretrain``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin
from spacy.training.converters import conllu_to_docs
from spacy.training.iob_utils import biluo_tags_to_spans, iob_to_biluo

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parent / "corpus"

# Treebanks used for training the tagger, morphologizer, parser and lemmatizer.
# ISDT train is not available here; ISDT dev is kept for evaluation only. ParTUT dev and
# VIT test are held out for checkpoint selection. KIParla (spoken) and Valico (learner
# Italian) are left out: their language is far from news.
UD_TRAIN = [
    "it_partut-ud-train",
    "it_partut-ud-test",
    "it_postwita-ud-train.OLD-2018-02-11",
    "it_postwita-ud-dev",
    "it_postwita-ud-test",
    "it_twittiro-ud-train",
    "it_twittiro-ud-dev",
    "it_twittiro-ud-test",
    "it_markit-ud-train",
    "it_markit-ud-dev",
    "it_markit-ud-test",
    "it_parlamint-ud-train",
    "it_parlamint-ud-test",
    "it_vit-ud-dev",
    "it_pud-ud-test",
]
UD_DEV = ["it_partut-ud-dev", "it_vit-ud-test"]
# Treebanks whose XPOS column is not the ISDT/TUT tagset: their fine tags are dropped.
FOREIGN_XPOS = {"it_pud-ud-test"}

# Prepositions that always fuse with a following definite article, and their stems.
_PREP_STEM = {"di": "de", "a": "a", "da": "da", "in": "ne", "su": "su"}


def merge_preposition_article(prep: str, article: str) -> str | None:
    """Spell the articulated preposition of ``prep`` + ``article`` ("di"+"la" -> "della").

    Returns None when the pair does not fuse in modern Italian ("con il", "per la").

    >>> merge_preposition_article("In", "il")
    'Nel'
    >>> merge_preposition_article("a", "l'")
    "all'"
    """
    stem = _PREP_STEM.get(prep.lower())
    art = article.lower()
    if stem is None or art not in {"il", "lo", "la", "i", "gli", "le", "l'"}:
        return None
    if art == "il":
        word = stem + "l"
    elif art in {"i", "gli"}:
        word = stem + art
    else:
        word = stem + "l" + art
    if prep[0].isupper():
        word = word[0].upper() + word[1:]
    return word


def read_isdt_xpos(path: Path) -> Iterator[list[tuple[str, str]]]:
    """Sentences of ``word/XPOS`` tokens, contractions merged back into single tokens."""
    for line in path.read_text(encoding="utf-8").splitlines():
        pairs = []
        for item in line.split():
            word, _, tag = item.rpartition("/")
            if word:
                pairs.append((word, tag))
        merged: list[tuple[str, str]] = []
        i = 0
        while i < len(pairs):
            word, tag = pairs[i]
            nxt = pairs[i + 1] if i + 1 < len(pairs) else None
            if tag == "E" and nxt and nxt[1] == "RD":
                fused = merge_preposition_article(word, nxt[0])
                if fused:
                    merged.append((fused, "E_RD"))
                    i += 2
                    continue
            if tag == "V" and nxt and nxt[1] == "PC":
                # enclitic pronouns: "dir" + "gli" -> "dirgli", "dar" + "glie" + "lo"
                j, tags, form = i + 1, [tag], word
                while j < len(pairs) and pairs[j][1] == "PC":
                    form += pairs[j][0]
                    tags.append("PC")
                    j += 1
                merged.append((form, "_".join(tags)))
                i = j
                continue
            merged.append((word, tag))
            i += 1
        if merged:
            yield merged


def ud_docs(nlp: spacy.Language, name: str) -> list[Doc]:
    text = (SHARED / "ud-italian" / f"{name}.conllu").read_text(encoding="utf-8")
    docs = list(conllu_to_docs(text, n_sents=10, merge_subtokens=True, no_print=True))
    out = []
    for doc in docs:
        words = [t.text for t in doc]
        # merged tokens carry "di il" as lemma: keep the lemma of the first part ("di")
        lemmas = [t.lemma_.split(" ")[0] if " " in t.lemma_ else t.lemma_ for t in doc]
        tags = ["" if name in FOREIGN_XPOS else t.tag_ for t in doc]
        new = Doc(
            nlp.vocab,
            words=words,
            spaces=[bool(t.whitespace_) for t in doc],
            tags=tags,
            pos=[t.pos_ for t in doc],
            morphs=[str(t.morph) for t in doc],
            lemmas=lemmas,
            heads=[t.head.i for t in doc],
            deps=[t.dep_ for t in doc],
            sent_starts=[bool(t.is_sent_start) for t in doc],
        )
        out.append(new)
    return out


_ELIDED = re.compile(r"^[^\W\d_]+['’]$")
_VOWEL_START = re.compile(r"^[aeiouhàèéìíòóùAEIOUHÀÈÉÌÍÒÓÙ]")
_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "»", "…", "..."}
_NO_SPACE_AFTER = {"(", "[", "{", "«"}


def natural_spaces(words: list[str]) -> list[bool]:
    """Trailing-space flags that make pre-tokenised words read like real running text.

    Corpora without spacing information (KIND, WikiNEuRal, the ISDT tag file) would
    otherwise be joined with a space after every token, giving texts such as
    ``"all' aeroporto"`` that spaCy's tokenizer splits into ``all`` + ``'``, so the
    model never sees the elided forms (``all'``, ``dell'``, ``l'``) it meets in news.

    >>> words = ["Arrivo", "all'", "aeroporto", "(", "Roma", ")", ",", "un", "po'", "di", "caos"]
    >>> "".join(w + (" " if s else "") for w, s in zip(words, natural_spaces(words), strict=True))
    "Arrivo all'aeroporto (Roma), un po' di caos "
    """
    spaces = []
    for word, following in zip(words, [*words[1:], None], strict=True):
        if following is None:
            spaces.append(True)
        elif word in _NO_SPACE_AFTER or following in _NO_SPACE_BEFORE:
            spaces.append(False)
        elif _ELIDED.match(word) and len(word) > 1 and _VOWEL_START.match(following):
            spaces.append(False)
        else:
            spaces.append(True)
    return spaces


def running_text(words: list[str]) -> str:
    """Words joined as running text (see :func:`natural_spaces`)."""
    spaces = natural_spaces(words)
    return "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)).rstrip()


def read_iob(path: Path, token_col: int, label_col: int) -> Iterator[tuple[list[str], list[str]]]:
    """Sentences of (tokens, IOB labels) from a column file, blank line between sentences."""
    words: list[str] = []
    labels: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if not line.strip() or len(cols) <= max(token_col, label_col):
            if words:
                yield words, labels
            words, labels = [], []
            continue
        words.append(cols[token_col])
        labels.append(cols[label_col])
    if words:
        yield words, labels


def ner_docs(
    nlp: spacy.Language,
    sentences: Iterable[tuple[list[str], list[str]]],
    keep: set[str] = frozenset({"PER", "ORG", "LOC"}),
    n_sents: int = 10,
) -> list[Doc]:
    docs = []
    for words, labels in sentences:
        labels = [
            lab if lab != "O" and lab.split("-")[-1] in keep else "O"
            for lab in (lab if "-" in lab or lab == "O" else "B-" + lab for lab in labels)
        ]
        # an I- after O (left over when MISC is dropped) starts a new entity
        fixed, prev = [], "O"
        for lab in labels:
            if lab.startswith("I-") and (prev == "O" or prev[2:] != lab[2:]):
                lab = "B-" + lab[2:]
            fixed.append(lab)
            prev = lab
        doc = Doc(nlp.vocab, words=words, spaces=natural_spaces(words))
        doc.ents = biluo_tags_to_spans(doc, iob_to_biluo(fixed))
        doc[0].is_sent_start = True
        docs.append(doc)
    # group sentences into multi-sentence docs, as news paragraphs are
    grouped = []
    for i in range(0, len(docs), n_sents):
        grouped.append(Doc.from_docs(docs[i : i + n_sents]))
    return grouped


def save(docs: list[Doc], name: str) -> None:
    (OUT / name).parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(OUT / name)
    print(f"{name}: {len(docs)} docs, {sum(len(d) for d in docs)} tokens")


def convert_ud(nlp: spacy.Language) -> None:
    train = [d for name in UD_TRAIN for d in ud_docs(nlp, name)]
    isdt = []
    for sentence in read_isdt_xpos(SHARED / "isdt-xpos" / "it_isdt_train_tagged.txt"):
        words, tags = zip(*sentence, strict=True)
        isdt.append(Doc(nlp.vocab, words=list(words), spaces=natural_spaces(list(words)),
                        tags=list(tags)))
    rng = random.Random(0)
    rng.shuffle(train)
    save(train, "ud-train/ud.spacy")
    save(isdt, "ud-train/isdt-xpos.spacy")
    save([d for name in UD_DEV for d in ud_docs(nlp, name)], "ud-dev.spacy")
    save(ud_docs(nlp, "it_isdt-ud-dev"), "isdt-dev.spacy")


def convert_ner(nlp: spacy.Language) -> None:
    kind = SHARED / "kind"
    wn = list(read_iob(kind / "WN_train.tsv", 0, 1))
    # the last 10% of KIND news train selects checkpoints; WN_dev stays a clean test
    cut = int(len(wn) * 0.9)
    train = wn[:cut]
    for name in ("FIC_train.tsv", "ADG_train.tsv"):
        train += list(read_iob(kind / name, 0, 1))
    save(ner_docs(nlp, train), "ner-train/kind.spacy")
    save(ner_docs(nlp, wn[cut:]), "ner-dev.spacy")
    convert_ner_news(nlp)
    silver = []
    for name in ("val.conllu", "test.conllu"):
        silver += list(read_iob(SHARED / "wikineural-it" / name, 1, 2))
    save(ner_docs(nlp, silver), "ner-train/wikineural.spacy")


def convert_ner_news(nlp: spacy.Language) -> None:
    """KIND news train alone (minus the checkpoint-selection tail), for the final fine-tuning.

    The KIND sub-corpora follow different conventions: news marks "governo" as ORG 150 times
    out of 170, De Gasperi's writings 3 out of 257. aerokg reads news, so the last NER stage
    sees news only."""
    wn = list(read_iob(SHARED / "kind" / "WN_train.tsv", 0, 1))
    save(ner_docs(nlp, wn[: int(len(wn) * 0.9)]), "ner-news/kind-wn.spacy")


def write_raw_text() -> None:
    """Raw sentences (KIND, WikiNEuRal, ISDT, UD) for `spacy pretrain`, one JSON per line."""
    OUT.mkdir(parents=True, exist_ok=True)
    n = 0
    with (OUT / "raw-text.jsonl").open("w", encoding="utf-8") as out:
        for path in sorted((SHARED / "kind").glob("*_train.tsv")):
            for words, _ in read_iob(path, 0, 1):
                out.write(json.dumps({"text": running_text(words)}, ensure_ascii=False) + "\n")
                n += 1
        for path in sorted((SHARED / "wikineural-it").glob("*.conllu")):
            for words, _ in read_iob(path, 1, 2):
                out.write(json.dumps({"text": running_text(words)}, ensure_ascii=False) + "\n")
                n += 1
        for sentence in read_isdt_xpos(SHARED / "isdt-xpos" / "it_isdt_train_tagged.txt"):
            text = running_text([w for w, _ in sentence])
            out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
            n += 1
    print(f"raw-text.jsonl: {n} sentences")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*", default=["ud", "ner", "raw"],
                        choices=["ud", "ner", "raw"])
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"training data not found at {SHARED}: "
                         "the shared/ folder must sit beside the repo")
    nlp = spacy.blank("it")
    if "ud" in args.what:
        convert_ud(nlp)
    if "ner" in args.what:
        convert_ner(nlp)
    if "raw" in args.what:
        write_raw_text()


if __name__ == "__main__":
    main()
