"""NLP stage: gazetteer features inside the NER's token embedding.

A statistical NER trained on a few hundred thousand words has seen few of the organisations and
places that news mentions. This module gives its embedding layer one more input per token: whether
the token begins, continues, ends or is a name of a gazetteer (one set of names per label), found
by leftmost-longest, case-sensitive matching. The network learns how far to trust each list
in context, which a rule-based ruler cannot ("Rovigo" is a town, and a rugby team).

``aerokg.GazetteerMultiHashEmbed.v1`` is spaCy's ``MultiHashEmbed.v2`` (hash embeddings of NORM,
PREFIX, SUFFIX, SHAPE mixed by one Maxout layer) with the gazetteer features concatenated before
that Maxout, so it costs no extra layer. The gazetteers are stored in the model as 64-bit hashes
of the tokenised names (spaCy's string hashes), not as text: they are read once, when the
pipeline is initialised for training (``names``: a callable returning ``{label: names}``), and
travel with the model's weights after that.

>>> import spacy
>>> nlp = spacy.blank("it")
>>> names = {"ORG": ["Leonardo", "Aerospace Cluster"]}
>>> layer = gazetteer_features(labels=("ORG",), names=lambda: names)
>>> layer.initialize()  # doctest: +ELLIPSIS
<thinc.model.Model object at ...>
>>> doc = nlp("Il Lombardia Aerospace Cluster e Leonardo")
>>> for token, flags in zip(doc, layer.predict([doc])[0]):  # Begin, Inside, Last, Unit
...     print(token.text, flags.astype(int).tolist())
Il [0, 0, 0, 0]
Lombardia [0, 0, 0, 0]
Aerospace [1, 0, 0, 0]
Cluster [0, 0, 1, 0]
e [0, 0, 0, 0]
Leonardo [0, 0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy
from spacy.attrs import ORTH
from spacy.lang.it import Italian
from spacy.ml.featureextractor import FeatureExtractor
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    HashEmbed,
    Maxout,
    Model,
    chain,
    concatenate,
    list2ragged,
    ragged2list,
    with_array,
)
from thinc.types import Floats2d

#: Features per label: the token Begins, is Inside, is the Last token of, or is a Unit name.
FEATURES_PER_LABEL = 4
BEGIN, INSIDE, LAST, UNIT = range(FEATURES_PER_LABEL)
#: Names longer than this many tokens are left out of the tables.
MAX_NAME_TOKENS = 8


def name_key(words: Sequence[str]) -> int:
    """The hash a name's tokens are looked up by: spaCy's hash of the words joined by spaces.

    A one-token name's key is the token's ``orth`` hash, so single tokens need no string work.

    >>> name_key(["Leonardo"]) == get_string_id("Leonardo")
    True
    >>> name_key(["Agenzia", "Spaziale", "Italiana"]) == get_string_id("Agenzia Spaziale Italiana")
    True
    """
    return get_string_id(" ".join(words))


def build_tables(
    names: dict[str, Iterable[str]], tokenize: Callable[[str], Sequence[str]] | None = None
) -> dict[str, dict[str, object]]:
    """Hash tables of tokenised names, per label: the first tokens' hashes and the names' keys.

    >>> tables = build_tables({"LOC": ["Roma", "Reggio Emilia"]})
    >>> tables["LOC"]["max_len"], len(tables["LOC"]["keys"])
    (2, 2)
    """
    if tokenize is None:
        tokenizer = Italian().tokenizer
        tokenize = lambda text: [t.text for t in tokenizer(text)]  # noqa: E731
    tables: dict[str, dict[str, object]] = {}
    for label, label_names in names.items():
        firsts: set[int] = set()
        keys: set[int] = set()
        max_len = 1
        for name in label_names:
            words = tokenize(name.strip())
            if not words or len(words) > MAX_NAME_TOKENS:
                continue
            firsts.add(get_string_id(words[0]))
            keys.add(name_key(words))
            max_len = max(max_len, len(words))
        tables[label] = {
            "first": numpy.array(sorted(firsts), dtype=numpy.uint64),
            "keys": numpy.array(sorted(keys), dtype=numpy.uint64),
            "max_len": max_len,
        }
    return tables


def _members(sorted_keys: numpy.ndarray, values: numpy.ndarray) -> numpy.ndarray:
    """Boolean mask: which of ``values`` are in the sorted array ``sorted_keys``."""
    if not len(sorted_keys) or not len(values):
        return numpy.zeros(len(values), dtype=bool)
    at = numpy.searchsorted(sorted_keys, values).clip(max=len(sorted_keys) - 1)
    return sorted_keys[at] == values


def mark_names(doc: Doc, table: dict[str, object], out: numpy.ndarray, column: int) -> None:
    """Write B/I/L/U flags for ``table``'s names in ``doc`` into ``out[:, column:column+4]``.

    Matching is leftmost-longest and case-sensitive; matches of one table do not overlap.
    """
    orths = doc.to_array(ORTH)
    starts = numpy.flatnonzero(_members(table["first"], orths))  # type: ignore[arg-type]
    if not len(starts):
        return
    keys = table["keys"]
    key_set = _key_set(keys)  # type: ignore[arg-type]
    max_len = int(table["max_len"])  # type: ignore[call-overload]
    words = [token.text for token in doc]
    n_words = len(words)
    covered_to = 0
    for start in starts.tolist():
        if start < covered_to:
            continue
        for length in range(min(max_len, n_words - start), 0, -1):
            key = int(orths[start]) if length == 1 else name_key(words[start:start + length])
            if key in key_set:
                if length == 1:
                    out[start, column + UNIT] = 1.0
                else:
                    out[start, column + BEGIN] = 1.0
                    out[start + 1:start + length - 1, column + INSIDE] = 1.0
                    out[start + length - 1, column + LAST] = 1.0
                covered_to = start + length
                break


_KEY_SETS: dict[int, tuple[numpy.ndarray, frozenset[int]]] = {}


def _key_set(keys: numpy.ndarray) -> frozenset[int]:
    """A Python set of a table's keys, built once per array (set lookups beat numpy for scalars)."""
    cached = _KEY_SETS.get(id(keys))
    if cached is None or cached[0] is not keys:
        cached = (keys, frozenset(keys.tolist()))
        _KEY_SETS[id(keys)] = cached
    return cached[1]


def gazetteer_features(
    labels: Sequence[str], names: Callable[[], dict[str, Iterable[str]]] | None = None
) -> Model[list[Doc], list[Floats2d]]:
    """A parameter-free layer: Docs -> per-token B/I/L/U gazetteer flags, 4 columns per label.

    ``names`` is called once, by ``initialize``; a model loaded from disk has its tables already.
    """
    return Model(
        "gazetteer_features",
        _features_forward,
        init=_features_init,
        dims={"nO": FEATURES_PER_LABEL * len(labels)},
        attrs={"labels": list(labels), "names": names, "tables": None},
    )


def _features_init(model: Model, X=None, Y=None) -> Model:
    names = model.attrs["names"]
    if model.attrs["tables"] is None and names is not None:
        loaded = names()
        missing = [label for label in model.attrs["labels"] if label not in loaded]
        if missing:
            raise ValueError(f"gazetteer_features: no names for label(s) {missing}")
        model.attrs["tables"] = build_tables({lab: loaded[lab] for lab in model.attrs["labels"]})
    elif model.attrs["tables"] is None:  # no names: empty tables, until from_bytes fills them
        model.attrs["tables"] = build_tables({lab: [] for lab in model.attrs["labels"]})
    model.attrs["names"] = None  # not serialisable, and not needed once the tables exist
    return model


def _features_forward(model: Model, docs: list[Doc], is_train: bool):
    tables = model.attrs["tables"]
    if tables is None:
        raise ValueError(
            "gazetteer_features has no tables: initialise the pipeline for training "
            "(nlp.initialize) or load a trained model"
        )
    labels = model.attrs["labels"]
    width = model.get_dim("nO")
    outputs = []
    for doc in docs:
        out = numpy.zeros((len(doc), width), dtype="float32")
        for index, label in enumerate(labels):
            mark_names(doc, tables[label], out, index * FEATURES_PER_LABEL)
        outputs.append(model.ops.asarray2f(out))

    def backprop(d_outputs):
        return []

    return outputs, backprop


@registry.architectures("aerokg.GazetteerMultiHashEmbed.v1")
def gazetteer_multi_hash_embed(
    width: int,
    attrs: list[str | int],
    rows: list[int],
    labels: list[str],
    names: Callable[[], dict[str, Iterable[str]]] | None = None,
) -> Model[list[Doc], list[Floats2d]]:
    """spaCy's MultiHashEmbed (no static vectors) plus gazetteer flags before its Maxout."""
    if len(rows) != len(attrs):
        raise ValueError(f"Mismatched lengths: {len(rows)} rows vs {len(attrs)} attrs")
    embeddings = [
        HashEmbed(width, n_rows, column=index, seed=8 + index, dropout=0.0)
        for index, n_rows in enumerate(rows)
    ]
    gazetteer = gazetteer_features(labels, names)
    concat_size = width * len(embeddings) + gazetteer.get_dim("nO")
    return chain(
        concatenate(
            chain(FeatureExtractor(attrs), list2ragged(), with_array(concatenate(*embeddings))),
            chain(gazetteer, list2ragged()),
        ),
        with_array(Maxout(width, concat_size, nP=3, dropout=0.0, normalize=True)),
        ragged2list(),
    )


@registry.misc("aerokg.gazetteer_names.v1")
def gazetteer_names(
    org_files: list[str], include_domain: bool = True
) -> Callable[[], dict[str, list[str]]]:
    """The names behind the NER's gazetteer features, read when training starts (not on load).

    ``org_files``: lines ``ORG<space>name`` (the KIND Wikipedia gazetteer) or plain names.
    ``include_domain`` adds aerokg's curated organisations (ORG) and every municipality,
    province, region and country name it knows (LOC), see :mod:`pipeline.nlp.gazetteer`.
    """

    def read() -> dict[str, list[str]]:
        from pathlib import Path

        from pipeline.nlp import gazetteer

        org: list[str] = []
        for file in org_files:
            for line in Path(file).read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line.startswith("ORG "):
                    line = line[4:].strip()
                if line:
                    org.append(line)
        domain = gazetteer.known_names() if include_domain else {"ORG": [], "LOC": []}
        return {"ORG": org + domain["ORG"], "LOC": domain["LOC"]}

    return read
