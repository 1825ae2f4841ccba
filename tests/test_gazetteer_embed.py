"""NLP stage: the NER's gazetteer features (pipeline/nlp/gazetteer_embed.py), on Docs built by
hand and on the shipped model."""

from __future__ import annotations

import numpy
import pytest
import spacy
from spacy.tokens import Doc

from pipeline.nlp.gazetteer_embed import (
    BEGIN,
    INSIDE,
    LAST,
    UNIT,
    build_tables,
    gazetteer_features,
    gazetteer_multi_hash_embed,
)
from pipeline.nlp.loader import SHIPPED_MODEL_PATH

NAMES = {"ORG": ["Agenzia Spaziale Italiana", "Leonardo", "Aero Montréal"],
         "LOC": ["Reggio Emilia", "Roma", "Emilia"]}


@pytest.fixture(scope="module")
def vocab():
    return spacy.blank("it").vocab


def flags(layer, doc):
    """Token text -> the names of its set flags, per label."""
    names = ("B", "I", "L", "U")
    rows = layer.predict([doc])[0]
    labels = layer.attrs["labels"]
    return [(token.text, [f"{kind}-{label}" for i, label in enumerate(labels)
                          for kind, value in zip(names, row[4 * i:4 * i + 4], strict=True)
                          if value])
            for token, row in zip(doc, rows, strict=True)]


def test_flags_are_leftmost_longest_and_case_sensitive(vocab):
    layer = gazetteer_features(("ORG", "LOC"), names=lambda: NAMES).initialize()
    doc = Doc(vocab, words=["L'", "Agenzia", "Spaziale", "Italiana", "e", "Leonardo", "a",
                            "Reggio", "Emilia", ",", "non", "roma", "."])
    assert flags(layer, doc) == [
        ("L'", []), ("Agenzia", ["B-ORG"]), ("Spaziale", ["I-ORG"]), ("Italiana", ["L-ORG"]),
        ("e", []), ("Leonardo", ["U-ORG"]), ("a", []),
        ("Reggio", ["B-LOC"]), ("Emilia", ["L-LOC"]),  # longest, not the one-word "Emilia"
        (",", []), ("non", []), ("roma", []), (".", []),  # case-sensitive
    ]
    assert (BEGIN, INSIDE, LAST, UNIT) == (0, 1, 2, 3)


def test_names_are_tokenised_like_the_text(vocab):
    layer = gazetteer_features(("ORG",), names=lambda: NAMES).initialize()
    doc = spacy.blank("it")("Con Aero Montréal e l'Agenzia Spaziale Italiana.")
    found = [text for text, set_flags in flags(layer, doc) if set_flags]
    assert found == ["Aero", "Montréal", "Agenzia", "Spaziale", "Italiana"]


def test_tables_hold_hashes_not_names():
    tables = build_tables(NAMES)
    assert set(tables) == {"ORG", "LOC"}
    for table in tables.values():
        assert table["keys"].dtype == numpy.uint64 and table["first"].dtype == numpy.uint64
    assert tables["ORG"]["max_len"] == 3 and tables["LOC"]["max_len"] == 2
    assert not any(isinstance(v, str) for t in tables.values() for v in t.values())


def test_missing_label_and_uninitialised_layer_fail_clearly(vocab):
    with pytest.raises(ValueError, match="no names for label"):
        gazetteer_features(("ORG", "PER"), names=lambda: NAMES).initialize()
    with pytest.raises(ValueError, match="no tables"):
        gazetteer_features(("ORG",)).predict([Doc(vocab, words=["a"])])


def test_embedding_round_trips_without_the_names(vocab):
    """A trained embedding is saved with its tables; one loaded from bytes needs no names."""
    doc = Doc(vocab, words=["Leonardo", "a", "Roma"])
    trained = gazetteer_multi_hash_embed(32, ["NORM", "SHAPE"], [100, 50], ["ORG", "LOC"],
                                         names=lambda: NAMES)
    trained.initialize(X=[doc])
    loaded = gazetteer_multi_hash_embed(32, ["NORM", "SHAPE"], [100, 50], ["ORG", "LOC"])
    loaded.initialize(X=[doc])
    loaded.from_bytes(trained.to_bytes())
    assert numpy.allclose(trained.predict([doc])[0], loaded.predict([doc])[0])


@pytest.mark.skipif(not (SHIPPED_MODEL_PATH / "config.cfg").is_file(),
                    reason="needs the shipped model")
def test_the_shipped_ner_sees_its_gazetteers():
    nlp = spacy.load(SHIPPED_MODEL_PATH)
    embed = nlp.get_pipe("ner").model.get_ref("tok2vec")
    layer = next(node for node in embed.walk() if node.name == "gazetteer_features")
    assert layer.attrs["labels"] == ["ORG", "LOC"]
    assert len(layer.attrs["tables"]["ORG"]["keys"]) > 80_000
    assert len(layer.attrs["tables"]["LOC"]["keys"]) > 8_000
    doc = nlp.make_doc("Thales Alenia Space ha una sede a Torino.")
    assert ("Torino", ["U-LOC"]) in flags(layer, doc)
