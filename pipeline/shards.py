"""Shard files: the results of one distributed task, as the driver of `aerokg run --executor
dask` reads them back (:mod:`pipeline.dask_executor`).

A *shard* is a list of articles processed together by one task on one worker. The worker
writes two files into the shard folder (``OUT_DIR/.aerokg/shards/`` by default, on a file
system or object store both the driver and the workers reach):

* ``shard-{key}.nq`` - the N-Quads of every article of the shard that went through, one after
  the other (each article's lines exactly as :func:`pipeline.article_graphs.nquads_bytes` gives
  them, so the driver can cut out each article's graph file byte for byte);
* ``shard-{key}.json`` - its manifest: the key, the stamp (aerokg and model) the worker ran
  with, the sha256 and size of the ``.nq`` file, and per article its id, content hash, status,
  offset and length in the ``.nq`` file, graph sha256, counts, warnings, property-graph
  fragments, or its error (stage, exception class, reason).

The ``.nq`` file is written first, then the manifest, each atomically (a temporary file then a
rename on a file system; a single object upload on an object store): a shard *exists* when its
manifest does and the ``.nq`` file has the size and hash the manifest names. A worker killed
halfway leaves no shard (at most a temporary file the driver removes), and a task given a shard
that already exists for the same inputs returns at once: a resumed run does not redo it.

The *key* is a hash of the stamp and of the articles' ids and content hashes, in order: the same
articles processed with the same aerokg and model have the same key, wherever and whenever.

>>> key = shard_key({"aerokg_version": "1"}, [("a-1", "ab" * 32), ("a-2", "cd" * 32)])
>>> len(key), key == shard_key({"aerokg_version": "1"}, [("a-1", "ab" * 32), ("a-2", "cd" * 32)])
(24, True)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "Shard", "ShardArticle", "ShardFolder", "shard_key"]

FORMAT = 1
_PREFIX = "shard-"
_KEY = re.compile(r"^[0-9a-f]{24}$")
_TEMPORARY = re.compile(r"^\.shard-[0-9a-f]{24}\.(nq|json)\..+\.tmp$")


def shard_key(stamp: dict, articles: Iterable[tuple[str, str]]) -> str:
    """The key of the shard of ``articles`` ((id, content sha256) pairs, in order) processed
    with ``stamp``."""
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode("utf-8"))
    for article_id, sha in articles:
        digest.update(b"\x1e" + article_id.encode("utf-8") + b"\x1f" + sha.encode("ascii"))
    return digest.hexdigest()[:24]


@dataclass
class ShardArticle:
    """One article's entry in a shard manifest."""

    id: str
    sha256: str  # of the article's content (pipeline.manifest.content_hash)
    status: str  # "ok" or "failed"
    offset: int = 0
    length: int = 0
    graph_sha256: str = ""
    counts: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    fragments: str = ""  # its property-graph fragment file, as text
    error: dict | None = None  # {"stage", "error_class", "reason"}
    seconds: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Shard:
    """A complete shard: its manifest and the bytes of its ``.nq`` file."""

    key: str
    stamp: dict
    articles: list[ShardArticle]
    nquads: bytes
    worker: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def graph_bytes(self, entry: ShardArticle) -> bytes:
        """The article's graph file, cut out of the shard (checked against its sha256)."""
        data = self.nquads[entry.offset:entry.offset + entry.length]
        if hashlib.sha256(data).hexdigest() != entry.graph_sha256:
            raise ValueError(f"shard {self.key}: the graph of {entry.id!r} does not match its "
                             "sha256")
        return data

    def manifest(self) -> dict:
        return {
            "format": FORMAT,
            "key": self.key,
            "stamp": self.stamp,
            "nquads_sha256": hashlib.sha256(self.nquads).hexdigest(),
            "nquads_size": len(self.nquads),
            "worker": self.worker,
            "seconds": self.seconds,
            "articles": [a.as_json() for a in self.articles],
        }


def build_shard(key: str, stamp: dict, articles: list[Any], content_sha: list[str],
                results: list[Any], seconds: dict | None = None) -> Shard:
    """A shard from the articles of a task and their
    :class:`pipeline.workers.ArticleResult` (same order)."""
    parts: list[bytes] = []
    entries: list[ShardArticle] = []
    offset = 0
    for article, sha, result in zip(articles, content_sha, results, strict=True):
        entry = ShardArticle(id=article.id, sha256=sha, status="ok",
                             seconds=dict(result.seconds))
        if result.error is not None or result.nquads is None:
            stage, error_class, reason = result.error or ("mapping", "NoGraph", "no graph made")
            entry.status = "failed"
            entry.error = {"stage": stage, "error_class": error_class, "reason": reason}
        else:
            entry.offset, entry.length = offset, len(result.nquads)
            entry.graph_sha256 = result.graph_sha256
            entry.counts, entry.warnings = dict(result.counts), list(result.warnings)
            entry.fragments = result.fragments.decode("utf-8")
            parts.append(result.nquads)
            offset += len(result.nquads)
        entries.append(entry)
    return Shard(key=key, stamp=dict(stamp), articles=entries, nquads=b"".join(parts),
                 worker={"host": socket.gethostname(), "pid": os.getpid()},
                 seconds=dict(seconds or {}))


class ShardFolder:
    """The folder shards are written to and read from: a local path, or an fsspec URL
    (``s3://bucket/prefix``, ``gcs://...``, ``file:///...``) when the workers do not share a
    file system with the driver (fsspec comes with dask; the protocol's own package, e.g.
    ``s3fs``, must be installed on the driver and the workers).

    >>> import tempfile
    >>> folder = ShardFolder(tempfile.mkdtemp())
    >>> folder.keys()
    []
    """

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.location = str(location)
        self.remote = "://" in self.location
        self._fs: Any = None
        self._root = self.location
        if self.remote:
            import fsspec

            self._fs, self._root = fsspec.core.url_to_fs(self.location)

    def __repr__(self) -> str:
        return f"ShardFolder({self.location!r})"

    # -- paths ------------------------------------------------------------------------------
    def _path(self, name: str) -> str:
        return f"{self._root.rstrip('/')}/{name}" if self.remote else str(Path(self._root, name))

    @staticmethod
    def file_names(key: str) -> tuple[str, str]:
        if not _KEY.match(key):
            raise ValueError(f"not a shard key: {key!r}")
        return f"{_PREFIX}{key}.nq", f"{_PREFIX}{key}.json"

    def make(self) -> None:
        if self.remote:
            self._fs.makedirs(self._root, exist_ok=True)
        else:
            Path(self._root).mkdir(parents=True, exist_ok=True)

    # -- bytes ------------------------------------------------------------------------------
    def _write(self, name: str, data: bytes) -> None:
        if self.remote:  # an object store puts an object whole or not at all
            with self._fs.open(self._path(name), "wb") as handle:
                handle.write(data)
            return
        from pipeline.export.atomic import atomic_write

        atomic_write(self._path(name), data)

    def _read(self, name: str) -> bytes:
        if self.remote:
            with self._fs.open(self._path(name), "rb") as handle:
                return handle.read()
        return Path(self._path(name)).read_bytes()

    def _names(self) -> list[str]:
        try:
            if self.remote:
                return [p.rsplit("/", 1)[-1] for p in self._fs.ls(self._root, detail=False)]
            return os.listdir(self._root)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def _remove(self, name: str) -> None:
        try:
            if self.remote:
                self._fs.rm(self._path(name))
            else:
                os.unlink(self._path(name))
        except FileNotFoundError:
            pass

    # -- shards -----------------------------------------------------------------------------
    def write(self, shard: Shard) -> None:
        """The ``.nq`` file, then the manifest that makes the shard exist."""
        nq_name, json_name = self.file_names(shard.key)
        self.make()
        self._write(nq_name, shard.nquads)
        manifest = json.dumps(shard.manifest(), ensure_ascii=False, sort_keys=True)
        self._write(json_name, manifest.encode("utf-8"))

    def manifest(self, key: str) -> dict | None:
        """The manifest of shard ``key`` as written, or None when there is none (or it is
        unreadable, of another format or of another key)."""
        _, json_name = self.file_names(key)
        try:
            data = json.loads(self._read(json_name))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None
        return data

    def read(self, key: str) -> Shard | None:
        """Shard ``key`` when it exists and is whole (its ``.nq`` file has the size and sha256
        its manifest names), else None."""
        data = self.manifest(key)
        if data is None:
            return None
        nq_name, _ = self.file_names(key)
        try:
            nquads = self._read(nq_name)
            articles = [ShardArticle(**entry) for entry in data["articles"]]
        except (OSError, TypeError, KeyError):
            return None
        if (len(nquads) != data.get("nquads_size")
                or hashlib.sha256(nquads).hexdigest() != data.get("nquads_sha256")):
            return None
        return Shard(key=key, stamp=data.get("stamp", {}), articles=articles, nquads=nquads,
                     worker=data.get("worker", {}), seconds=data.get("seconds", {}))

    def exists(self, key: str, stamp: dict) -> bool:
        """Whether shard ``key`` is there, whole, made with ``stamp``."""
        shard = self.read(key)
        return shard is not None and shard.stamp == stamp

    def keys(self) -> list[str]:
        """The keys of the shards whose manifest is in the folder, sorted."""
        found = []
        for name in self._names():
            if name.startswith(_PREFIX) and name.endswith(".json"):
                key = name[len(_PREFIX):-len(".json")]
                if _KEY.match(key):
                    found.append(key)
        return sorted(found)

    def index(self, stamp: dict) -> Iterator[tuple[str, str, str]]:
        """(article id, content sha256, shard key) of every article that went through in a
        shard of the folder made with ``stamp`` (read from the manifests only)."""
        for key in self.keys():
            data = self.manifest(key)
            if data is None or data.get("stamp") != stamp:
                continue
            for entry in data.get("articles", []):
                if isinstance(entry, dict) and entry.get("status") == "ok":
                    yield entry.get("id", ""), entry.get("sha256", ""), key

    def remove(self, key: str) -> None:
        """Delete shard ``key``: its manifest first (then it no longer exists), then its data."""
        nq_name, json_name = self.file_names(key)
        self._remove(json_name)
        self._remove(nq_name)

    def remove_all(self) -> int:
        """Delete every shard and every temporary file a killed writer left; how many shards."""
        keys = self.keys()
        for key in keys:
            self.remove(key)
        self.remove_temporary()
        for name in self._names():  # .nq files whose manifest never came
            if name.startswith(_PREFIX) and name.endswith(".nq") and _KEY.match(
                    name[len(_PREFIX):-len(".nq")]):
                self._remove(name)
        return len(keys)

    def remove_temporary(self) -> None:
        """Temporary files of writes that never finished (a worker killed while writing)."""
        for name in self._names():
            if _TEMPORARY.match(name):
                self._remove(name)
