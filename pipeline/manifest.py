"""The run manifest ``OUT_DIR/.aerokg/manifest.json``: what each article's graph file was made
from, so a re-run processes only what changed.

Per article: its id, source file, content hash (:func:`content_hash`), the *stamp* it was
processed with (:func:`model_stamp`: aerokg version, model name, version and a digest of the
model's ``meta.json``), status, counts and graph file name. Besides: the fingerprint and file
hashes of the outputs last exported, so an unchanged corpus does not rewrite them; and the
signature of each article file read whole (:class:`pipeline.corpus.FileSignature`), so a
re-run does not read the files that did not change.

The manifest is written atomically. A missing, unreadable or foreign manifest loads as an empty
one plus a warning (everything is processed again), never an error; an entry that does not
have the expected shape is dropped alone (that article is processed again).

>>> from pipeline.corpus import Article
>>> content_hash(Article(id="a1", text="Testo.")) == content_hash(Article(id="a1", text="Testo."))
True
>>> content_hash(Article(id="a1", text="Testo.")) == content_hash(Article(id="a2", text="Testo."))
False
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pipeline
from pipeline.export.atomic import atomic_write
from pipeline.nlp.shipped import SHIPPED, SHIPPED_MODEL_PATH

__all__ = [
    "FORMAT",
    "Manifest",
    "ModelFacts",
    "content_hash",
    "file_sha256",
    "load_manifest",
    "manifest_text",
    "model_stamp",
    "save_manifest",
]

FORMAT = "aerokg-manifest/1"
#: Article fields that make its graph, in hashing order (``path`` is not one: moving a file
#: does not change its graph).
HASHED_FIELDS = ("id", "text", "title", "date", "url", "source")


def content_hash(article: Any) -> str:
    """sha256 (hex) of an article's id, text and metadata fields."""
    values = [str(getattr(article, name, "") or "") for name in HASHED_FIELDS]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode("utf-8")).hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """sha256 (hex) of a file's bytes, None when it does not exist or cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


# -- the stamp: what an article was processed with -------------------------------------------
@dataclass(frozen=True)
class ModelFacts:
    """The model a run would use, found without loading it (no spaCy pipeline is built)."""

    name_or_path: str  # as requested (--model, $AEROKG_MODEL, config, "shipped")
    model_name: str  # "{lang}_{name}" from meta.json, as `aerokg info` shows it
    model_version: str
    model_path: str
    meta_sha256: str  # of meta.json: a retrained model with the same version is another model

    @property
    def stamp(self) -> dict[str, str]:
        return {
            "aerokg_version": pipeline.__version__,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "model_meta_sha256": self.meta_sha256,
        }


def model_stamp(name_or_path: str | None = None) -> ModelFacts:
    """The facts of the model :func:`pipeline.nlp.loader.load_nlp` would load, read from its
    ``meta.json`` (the pipeline is not loaded). Raises ``ModelNotFoundError`` / ``ConfigError``
    as ``load_nlp`` does."""
    found = _quick_location(name_or_path)
    if found is None:  # an installed package name, or a bad setting: the loader's own answer
        from pipeline.nlp.loader import (
            ModelNotFoundError,
            missing_model_message,
            model_location,
            resolve_model,
        )

        choice = resolve_model(name_or_path)
        location = model_location(choice.name_or_path)
        if location is None:
            raise ModelNotFoundError(missing_model_message(choice.name_or_path))
        found = choice.name_or_path, Path(location)
    name, location = found
    meta_bytes = b""
    meta: dict[str, Any] = {}
    try:
        meta_bytes = (location / "meta.json").read_bytes()
        loaded = json.loads(meta_bytes)
        meta = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    lang = meta.get("lang") or _lang_from_config(location / "config.cfg")
    # spaCy's defaults for a pipeline saved without a name/version
    model_name, version = meta.get("name") or "pipeline", meta.get("version") or "0.0.0"
    return ModelFacts(
        name_or_path=name,
        model_name=f"{lang}_{model_name}",
        model_version=str(version),
        model_path=str(location),
        meta_sha256=hashlib.sha256(meta_bytes).hexdigest(),
    )


def _quick_location(name_or_path: str | None) -> tuple[str, Path] | None:
    """What ``loader.resolve_model`` then ``loader.model_location`` give, without importing
    spaCy (the loader module does), for the shipped model and pipeline directories; None for
    the rest (installed package names, missing models, unreadable config), which the loader
    answers. The same rules as the loader's; ``tests/test_runner.py`` checks they agree."""
    choice = name_or_path or os.environ.get("AEROKG_MODEL") or None
    if choice is None:
        explicit = os.environ.get("AEROKG_CONFIG")
        config = Path(explicit) if explicit else Path.cwd() / "aerokg.toml"
        if config.is_file():
            try:
                value = tomllib.loads(config.read_text(encoding="utf-8")).get("nlp", {})
                value = value.get("model") if isinstance(value, dict) else None
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return None
            if value is not None and not isinstance(value, str):
                return None
            choice = value or None
        elif explicit:
            return None
    if choice is None or choice == SHIPPED:
        choice, location = SHIPPED, SHIPPED_MODEL_PATH
    else:
        location = Path(choice).expanduser()
        if not location.exists():
            return None
        location = location.resolve()
    return (choice, location) if (location / "config.cfg").is_file() else None


def _lang_from_config(path: Path) -> str:
    try:
        match = re.search(r'^lang\s*=\s*"([^"]*)"', path.read_text(encoding="utf-8"), re.M)
    except OSError:
        return ""
    return match.group(1) if match else ""


# -- the manifest file --------------------------------------------------------------------------
@dataclass
class Manifest:
    """``articles``: id -> entry (see the module doc); ``outputs``: the last export;
    ``store``: what the corpus store holds (:func:`pipeline.store.sync`)."""

    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
    #: article file path -> {"signature": FileSignature.to_json(), "articles": [ids]}: files
    #: a re-run need not read (pipeline.corpus.FileSignature)
    files: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "articles": self.articles, "outputs": self.outputs,
                "store": self.store, "files": self.files}


_ENTRY_TYPES = {"id": str, "path": str, "sha256": str, "stamp": dict, "status": str,
                "graph": str, "counts": dict}


def load_manifest(path: str | os.PathLike[str]) -> tuple[Manifest, str | None]:
    """The manifest at ``path`` and a warning (None when it loaded whole).

    Never raises for a missing or bad file: that is an empty manifest plus a warning."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return Manifest(), None  # first run: nothing to warn about
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return Manifest(), (f"manifest {path} is unreadable ({type(err).__name__}: {err}); "
                            "every article is processed again")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        return Manifest(), (f"manifest {path} has format {found!r}, not {FORMAT!r}; "
                            "every article is processed again")
    articles, dropped = {}, []
    raw = data.get("articles")
    for key, entry in (raw.items() if isinstance(raw, dict) else ()):
        if isinstance(entry, dict) and entry.get("id") == key and all(
            isinstance(entry.get(name), kind) for name, kind in _ENTRY_TYPES.items()
        ):
            articles[key] = entry
        else:
            dropped.append(str(key))
    outputs = data.get("outputs") if isinstance(data.get("outputs"), dict) else {}
    store = data.get("store") if isinstance(data.get("store"), dict) else {}
    raw_files = data.get("files") if isinstance(data.get("files"), dict) else {}
    files = {path: record for path, record in raw_files.items()
             if isinstance(record, dict) and isinstance(record.get("signature"), list)
             and isinstance(record.get("articles"), list)}
    warning = None
    if dropped or not isinstance(raw, dict):
        warning = (f"manifest {path}: {len(dropped)} malformed entries dropped"
                   + (f" ({', '.join(sorted(dropped)[:5])})" if dropped else "")
                   + "; those articles are processed again")
    return Manifest(articles=articles, outputs=outputs, store=store, files=files), warning


def save_manifest(path: str | os.PathLike[str], manifest: Manifest) -> None:
    """Write ``manifest`` to ``path`` atomically (:func:`manifest_text`)."""
    atomic_write(path, manifest_text(manifest))


def manifest_text(manifest: Manifest) -> str:
    """The manifest as JSON, keys sorted, one article (one entry of each section) per line:
    readable and diffable, and written by the json module's C encoder (an indented dump goes
    through its pure-Python one: 0.1 s per save at 1,000 articles, a few per run).

    >>> print(manifest_text(Manifest(articles={"a1": {"id": "a1", "path": "a1.txt"}})))
    {
    "articles": {
    "a1": {"id": "a1", "path": "a1.txt"}
    },
    "files": {},
    "format": "aerokg-manifest/1",
    "outputs": {},
    "store": {}
    }
    <BLANKLINE>
    """
    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    sections = []
    for key, value in sorted(manifest.to_json().items()):
        if isinstance(value, dict) and value:
            items = ",\n".join(f"{dumps(str(k))}: {dumps(v)}" for k, v in sorted(value.items()))
            sections.append(f"{dumps(key)}: {{\n{items}\n}}")
        else:
            sections.append(f"{dumps(key)}: {dumps(value)}")
    return "{\n" + ",\n".join(sections) + "\n}\n"
