"""Build step: keep in a pipeline's ``vocab/strings.json`` only the strings that its files refer
to by hash.

A trained spaCy pipeline saves every string its training corpora made: 159,172 for aerokg's
(2.5 MB), read into the StringStore at every load (0.2 of the 0.67 s a load takes here, in
every worker process). Parsing needs almost none of them: a token's strings are added as
the text is read, and a component that saves labels or patterns as text adds them when it
loads. What must be there is a string that a component saved as its hash only (the edit
trees of the trainable lemmatizer save their affixes so: without them, lemmatizing fails with
spaCy's E018).

:func:`referenced` finds those: the strings whose 64-bit hash occurs anywhere in the
pipeline's other files, as 8 bytes in either byte order at any offset, or written out in
decimal. That keeps some strings that are not needed (a float array that happens to hold the
bytes), never drops one that a file refers to. ``scripts/check_pruned_strings.py`` then
parses news, fiction and treebank text with both and compares every annotation.

    python training/prune_strings.py pipeline/nlp/model      # prunes in place, says how much
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

STRINGS = Path("vocab") / "strings.json"
_DECIMAL = re.compile(rb"\d{6,20}")


def referenced(model_dir: Path) -> list[str]:
    """The strings of ``model_dir``'s ``vocab/strings.json`` that its other files hold, by
    hash or as text (a tagger's labels, saved as text, are not always added back at load), in
    their order there."""
    from spacy.strings import hash_string

    strings = json.loads((model_dir / STRINGS).read_text(encoding="utf-8"))
    hashes = np.array([hash_string(s) for s in strings], dtype=np.uint64)
    found = np.zeros(len(strings), dtype=bool)
    texts: set[str] = set()
    for path in sorted(model_dir.rglob("*")):
        if not path.is_file() or path == model_dir / STRINGS:
            continue
        data = path.read_bytes()
        texts |= _text_values(data)
        for offset in range(8):
            usable = (len(data) - offset) // 8 * 8
            if usable <= 0:
                continue
            for order in ("<u8", ">u8"):
                values = np.frombuffer(data, dtype=order, count=usable // 8, offset=offset)
                found |= np.isin(hashes, values)
        decimals = {int(m) for m in _DECIMAL.findall(data) if int(m) < 2**64}
        if decimals:
            found |= np.isin(hashes, np.array(sorted(decimals), dtype=np.uint64))
    return [s for s, keep in zip(strings, found, strict=True) if keep or s in texts]


def _text_values(data: bytes) -> set[str]:
    """Every string (values and keys) in a JSON, JSON-lines or msgpack file; its lines and
    the words of those if it is plain text (a config)."""
    import srsly

    documents: list[object] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        try:
            documents.append(json.loads(text))
        except ValueError:
            for line in text.splitlines():
                try:
                    documents.append(json.loads(line))
                except ValueError:
                    documents.append(line)
                    documents.extend(re.findall(r"[^\s=\"',\[\]]+", line))
    else:
        try:
            documents.append(srsly.msgpack_loads(data))
        except Exception:  # noqa: BLE001  (not msgpack: raw arrays, scanned by hash only)
            pass
    found: set[str] = set()
    stack = documents
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def prune(model_dir: Path) -> tuple[int, int]:
    """Rewrite ``model_dir``'s strings to :func:`referenced`; (before, after) counts."""
    path = model_dir / STRINGS
    before = len(json.loads(path.read_text(encoding="utf-8")))
    kept = referenced(model_dir)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return before, len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path)
    args = parser.parse_args()
    before, after = prune(args.model_dir)
    print(f"{args.model_dir / STRINGS}: {before:,} strings -> {after:,}")


if __name__ == "__main__":
    main()
