"""Input edge: read Italian news articles from files into :class:`Article` records.

Formats (by extension):

* ``.txt``  - optional ``key: value`` header lines up to a blank line, then the text; a leading
  ``date 2017-11`` marker on the first line is read as the article date;
* ``.md``   - YAML front matter between ``---`` lines, then the text;
* ``.json`` - one record or a list of records; ``.jsonl`` - one record per line.
  Records have ``text`` and optionally ``id``, ``title``, ``date``, ``url``, ``source``.

The article id is the file name without extension unless the metadata gives ``id``.
Nothing here raises on a bad file: each problem is reported with its path and reason and
the other articles are still read.

>>> from pipeline.corpus import read_corpus
>>> result = read_corpus(["corpus/"])          # doctest: +SKIP
>>> [a.id for a in result.articles]            # doctest: +SKIP
['seed-article']
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SUFFIXES = (".txt", ".md", ".json", ".jsonl")
MAX_BYTES = 5_000_000
_HEADER = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")
_DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}(?:-\d{2}(?:-\d{2})?)?)\s+")
_ID_SAFE = re.compile(r"[^\w.-]+", re.UNICODE)


@dataclass(frozen=True)
class Article:
    """One news article as read from disk, before any NLP."""

    id: str
    text: str
    title: str = ""
    date: str = ""
    url: str = ""
    source: str = ""
    path: str = ""


@dataclass(frozen=True)
class Problem:
    """A file (or one record of it) that could not be read, and why."""

    path: str
    message: str


@dataclass
class CorpusReadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class CorpusError(ValueError):
    """A file that is not a readable article."""


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Article files under ``paths`` (files or directories, recursively), sorted."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not p.name.lower().startswith("readme")
            )
        elif path.is_file():
            if path.suffix.lower() in SUFFIXES:
                found.append(path)
            else:
                problems.append(Problem(str(path), f"unsupported file type {path.suffix!r} "
                                                   f"(expected one of {', '.join(SUFFIXES)})"))
        else:
            problems.append(Problem(str(path), "no such file or directory"))
    unique = list(dict.fromkeys(found))
    return unique, problems


def decode(data: bytes, path: Path) -> str:
    """Bytes of a text file as str: UTF-8 (BOM tolerated); binary content is an error."""
    if not data.strip():
        raise CorpusError("empty file")
    if b"\x00" in data[:8192]:
        raise CorpusError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CorpusError(
            f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "re-save the file as UTF-8"
        ) from None


def parse_txt(text: str) -> tuple[dict[str, str], str]:
    """Split optional ``key: value`` header lines (up to a blank line) from the body."""
    lines = text.splitlines()
    meta: dict[str, str] = {}
    if lines and _HEADER.match(lines[0]):
        for i, line in enumerate(lines):
            if not line.strip():
                return meta, "\n".join(lines[i + 1 :]).strip()
            match = _HEADER.match(line)
            if not match:
                break
            meta[match.group(1).lower()] = match.group(2).strip()
        else:
            return meta, ""
        meta = {}  # not a header block after all: the first lines are text
    body = text.strip()
    marker = _DATE_MARKER.match(body)
    if marker:
        meta["date"] = marker.group(1)
        body = body[marker.end() :].strip()
    return meta, body


def parse_markdown(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---"):
        return {}, text.strip()
    parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3:
        raise CorpusError("front matter opened with '---' but never closed")
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as err:
        raise CorpusError(f"front matter is not valid YAML: {err}") from None
    if not isinstance(meta, dict):
        raise CorpusError("front matter must be a mapping of key: value")
    return {str(k).lower(): _scalar(v) for k, v in meta.items()}, parts[2].strip()


def _scalar(value: object) -> str:
    return "" if value is None else str(value)


def _records(text: str, suffix: str) -> Iterator[tuple[int, object]]:
    if suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as err:
                    yield number, CorpusError(f"line {number}: invalid JSON ({err.msg})")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise CorpusError(f"invalid JSON at line {err.lineno}: {err.msg}") from None
    items = data if isinstance(data, list) else [data]
    yield from enumerate(items, start=1)


def make_article(meta: dict[str, str], text: str, default_id: str, path: Path) -> Article:
    if not text.strip():
        raise CorpusError("article has no text")
    article_id = _ID_SAFE.sub("-", (meta.get("id") or default_id).strip()).strip("-")
    if not article_id:
        raise CorpusError("article id is empty")
    return Article(
        id=article_id,
        text=text,
        title=meta.get("title", ""),
        date=str(meta.get("date", "")),
        url=meta.get("url", ""),
        source=meta.get("source", ""),
        path=str(path),
    )


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> Iterator[Article | Problem]:
    """Articles of one file, or Problems; never raises for bad content."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CorpusError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        text = decode(path.read_bytes(), path)
        suffix = path.suffix.lower()
        if suffix in (".json", ".jsonl"):
            many = suffix == ".jsonl"
            for number, record in _records(text, suffix):
                try:
                    if isinstance(record, Exception):
                        raise record
                    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                        raise CorpusError(f"record {number}: expected an object with a 'text'")
                    meta = {str(k).lower(): _scalar(v) for k, v in record.items() if k != "text"}
                    default = f"{path.stem}-{number}" if many or number > 1 else path.stem
                    yield make_article(meta, record["text"], default, path)
                except CorpusError as err:
                    yield Problem(f"{path}#{number}", str(err))
            return
        meta, body = parse_markdown(text) if suffix == ".md" else parse_txt(text)
        yield make_article(meta, body, path.stem, path)
    except CorpusError as err:
        yield Problem(str(path), str(err))
    except OSError as err:
        yield Problem(str(path), f"cannot read: {err.strerror or err}")


def read_corpus(paths: Iterable[str | Path], max_bytes: int = MAX_BYTES) -> CorpusReadResult:
    """Read every article under ``paths``; duplicate ids are reported, the first one kept."""
    files, problems = discover(paths)
    result = CorpusReadResult(problems=problems)
    seen: dict[str, str] = {}
    for path in files:
        for item in read_file(path, max_bytes):
            if isinstance(item, Problem):
                result.problems.append(item)
            elif item.id in seen:
                result.problems.append(
                    Problem(item.path, f"duplicate article id {item.id!r} (also in {seen[item.id]})")
                )
            else:
                seen[item.id] = item.path
                result.articles.append(item)
    return result
