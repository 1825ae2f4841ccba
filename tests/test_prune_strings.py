"""training/prune_strings.py: a pipeline's strings pruned to those its files refer to, by hash
(in either byte order, at any offset, or in decimal) or as text."""

from __future__ import annotations

import json
import struct

import srsly
from script_module import script_module
from spacy.strings import hash_string


def _script():
    return script_module("training/prune_strings.py")


def test_only_the_strings_the_files_refer_to_are_kept(tmp_path):
    model = tmp_path / "model"
    (model / "vocab").mkdir(parents=True)
    (model / "lemmatizer").mkdir()
    words = ["little-endian", "big-endian", "decimal", "msgpack-label", "cfg-label",
             "pattern", "drop-me", "and-me"]
    (model / "vocab" / "strings.json").write_text(json.dumps(words), encoding="utf-8")
    (model / "lemmatizer" / "trees").write_bytes(
        b"\x01\x02\x03" + struct.pack("<Q", hash_string("little-endian"))
        + struct.pack(">Q", hash_string("big-endian")) + b"\x00")
    (model / "lemmatizer" / "cfg").write_text(
        json.dumps({"labels": ["cfg-label"], "ids": str(hash_string("decimal"))}),
        encoding="utf-8")
    (model / "lemmatizer" / "model").write_bytes(srsly.msgpack_dumps({"x": ["msgpack-label"]}))
    (model / "patterns.jsonl").write_text('{"label": "ORG", "pattern": "pattern"}\n',
                                          encoding="utf-8")
    before, after = _script().prune(model)
    kept = json.loads((model / "vocab" / "strings.json").read_text(encoding="utf-8"))
    assert (before, after) == (8, 6)
    assert kept == words[:6]  # in their order
