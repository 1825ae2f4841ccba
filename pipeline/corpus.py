"""Input edge: read Italian news articles from files into :class:`Article` records.

Formats (by extension):

* ``.txt``  - optional ``key: value`` header lines up to a blank line, then the text; a leading
  ``date 2017-11`` marker on the first line is read as the article date. A ``.txt`` file
  whose content is an HTML page (a doctype or ``<html>`` at the start, or several tags) is
  read as HTML;
* ``.md``   - YAML front matter between ``---`` lines, then the text;
* ``.html``/``.htm`` - a web page: the text without scripts, styles, navigation, header,
  footer and asides, paragraphs kept; ``<title>``, canonical/``og:url`` and the published
  date as metadata (:mod:`pipeline.inputs.html`);
* ``.json`` - one record or a list of records; ``.jsonl`` - one record per line.
  Records have ``text`` and optionally ``id``, ``title``, ``date``, ``url``, ``source``.

Any text encoding a scraped folder is likely to hold is read (UTF-8 with or without BOM,
UTF-16/32 with BOM, Windows-1252/ISO-8859-15, else what charset-normalizer finds), then
newlines become ``\\n``, Unicode NFC, and control characters are dropped
(:mod:`pipeline.inputs.text`).

The article id is the file name without extension unless the metadata gives ``id``; it keeps
letters, digits, ``_ . -`` only, never starts with a dot (``../../etc/passwd`` becomes
``etc-passwd``) and is cut to :data:`MAX_ID_CHARS` with a hash of the full id when longer.

Nothing here raises on a bad file: each is a :class:`Problem` with its path, a readable
reason, a ``status`` and the name of the :class:`CorpusError` subclass (``error_class``),
and the other articles are still read.

*skipped* (the file is fine but holds no Italian article to read):

* ``EmptyArticle`` - empty file, whitespace only, header or front matter only;
* ``NotItalian`` - the body is identified as another language (py3langid on its first
  1000 characters, :mod:`pipeline.inputs.language`); texts under 20 words are never
  skipped and get ``language="unknown"``; ``force_language=True`` keeps them all.

*failed* (the file is not a readable article):

* ``BinaryFile`` - PDF, image, archive, Office document, executable... told by content
  (magic bytes, NUL or control bytes), whatever the extension;
* ``FileTooLarge`` - over ``max_bytes`` (default 5 MB): checked with ``stat`` before reading,
  and never more than ``max_bytes`` is read;
* ``UndecodableText`` - no encoding reads the bytes as text;
* ``MalformedFile`` - invalid JSON, bad front matter, a record without ``text``, an empty id;
* ``DuplicateArticleId`` - an id already read in this run (the first file is kept);
* ``FileVanished`` / ``UnreadableFile`` - deleted, renamed or unreadable after discovery;
* ``MissingPath`` / ``UnsupportedFileType`` - a bad path given explicitly;
* ``UnexpectedReadError`` - any other error while reading one file (a bug, reported, not fatal).

:func:`iter_corpus` reads lazily, one file at a time; :func:`read_corpus` collects it all.

A re-run need not read a file it read before: each article read carries its file's
:class:`FileSignature` (size, modification and change times, inode, from the ``stat`` taken
before reading), and ``iter_corpus(known_file=...)`` asks the caller, file by file, whether
it knows the articles of a file with that signature; if it does, they come out as
:class:`KnownArticle` (id and path, no text) and the file is not opened. As in ``git``'s
index, a file written less than :data:`SETTLED_SECONDS` before it was read gets no signature
(two writes within the file system's clock tick would look alike), nor does a file that gave
a problem (its problem is reported again at every run).

>>> from pipeline.corpus import read_corpus
>>> result = read_corpus(["corpus/"])          # doctest: +SKIP
>>> [a.id for a in result.articles]            # doctest: +SKIP
['seed-article']
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.inputs.errors import (
    FAILED,
    SKIPPED,
    BinaryFile,
    CorpusError,
    DuplicateArticleId,
    EmptyArticle,
    FileTooLarge,
    FileVanished,
    MalformedFile,
    MissingPath,
    NotItalian,
    UndecodableText,
    UnexpectedReadError,
    UnreadableFile,
    UnsupportedFileType,
)
from pipeline.inputs.html import html_to_text, looks_like_html
from pipeline.inputs.language import ITALIAN, UNKNOWN, identify
from pipeline.inputs.text import SNIFF_BYTES, clean_text, decode, sniff_binary

__all__ = [
    "FAILED", "SKIPPED", "MAX_BYTES", "MAX_ID_CHARS", "SUFFIXES",
    "SETTLED_SECONDS", "Article", "FileSignature", "KnownArticle", "KnownFile", "Problem",
    "CorpusReadResult", "iter_corpus", "read_corpus", "read_file",
    "discover", "read_text", "safe_id",
    "CorpusError", "BinaryFile", "DuplicateArticleId", "EmptyArticle", "FileTooLarge",
    "FileVanished", "MalformedFile", "MissingPath", "NotItalian", "UndecodableText",
    "UnexpectedReadError", "UnreadableFile", "UnsupportedFileType",
]

SUFFIXES = (".txt", ".md", ".json", ".jsonl", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
MAX_BYTES = 5_000_000
MAX_ID_CHARS = 120
_HEADER = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")
_DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}(?:-\d{2}(?:-\d{2})?)?)\s+")
_ID_SAFE = re.compile(r"[^\w.-]+", re.UNICODE)
_DOTS = re.compile(r"\.{2,}")
#: A file modified (or its inode changed) this recently when it is read gets no signature.
SETTLED_SECONDS = 2.0


@dataclass(frozen=True)
class FileSignature:
    """What ``stat`` says of a file's content: if two signatures taken at two times are equal,
    the file was not written in between (a write changes the modification and change times;
    a file replaced by another, its inode). ``ctime`` cannot be set back by ``touch``.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     FileSignature.of(os.stat(f.name)) == FileSignature.of(os.stat(f.name))
    True
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileSignature:
        return cls(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)

    def settled(self, now_ns: int) -> bool:
        """Whether the file was last written at least :data:`SETTLED_SECONDS` before
        ``now_ns`` (``time.time_ns()`` when it was read)."""
        return now_ns - max(self.mtime_ns, self.ctime_ns) >= SETTLED_SECONDS * 1e9

    def to_json(self) -> list[int]:
        return [self.size, self.mtime_ns, self.ctime_ns, self.inode]


@dataclass(frozen=True)
class KnownArticle:
    """An article of a file the caller read in an earlier run, unchanged since (same
    :class:`FileSignature`): its id and path; the file is not read."""

    id: str
    path: str


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
    language: str = ""  # ISO 639-1 code detected ("it"), or "unknown" for short texts
    #: its file's signature when read (None: a file written just before, or with problems)
    signature: FileSignature | None = field(default=None, compare=False)


#: ``known_language(article)``: the language code an earlier run found for exactly this
#: article, or None (then it is identified).
KnownLanguage = Callable[[Article], "str | None"]

#: ``known_file(path, signature)``: the ids of the articles an earlier run read from this very
#: file (``path`` with that signature), or None (then it is read).
KnownFile = Callable[[Path, FileSignature], "list[str] | None"]


@dataclass(frozen=True)
class Problem:
    """A file (or one record of it) that was skipped or could not be read, and why."""

    path: str
    message: str
    status: str = FAILED  # SKIPPED: no Italian article in it; FAILED: not readable
    error_class: str = "CorpusError"  # name of the CorpusError subclass

    @classmethod
    def of(cls, path: str | Path, error: CorpusError) -> Problem:
        return cls(str(path), str(error), error.status, type(error).__name__)


@dataclass
class CorpusReadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def iter_corpus(
    paths: Iterable[str | Path], max_bytes: int = MAX_BYTES, force_language: bool = False,
    known_language: KnownLanguage | None = None, known_file: KnownFile | None = None,
    discovered: tuple[list[Path], list[Problem]] | None = None,
) -> Iterator[Article | KnownArticle | Problem]:
    """Articles and Problems under ``paths``, reading one file at a time, in sorted order.

    Problems of the paths themselves come first. A second article with an id already read
    is a failed Problem naming both files; the first one is kept. ``known_language`` (see
    :func:`make_article`) spares identifying the language of articles already seen;
    ``known_file`` spares reading files already read (:class:`KnownArticle`; see the module
    doc). ``discovered``: what :func:`discover` gave for ``paths``, if the caller has it.
    """
    files, problems = discovered if discovered is not None else discover(paths)
    yield from problems
    seen: dict[str, str] = {}
    for path in files:
        try:
            info: os.stat_result | None = path.stat()
        except OSError:
            info = None  # read_file says what is wrong
        signature = FileSignature.of(info) if info is not None else None
        items: list[Article | KnownArticle | Problem] | None = None
        if (known_file is not None and signature is not None and stat.S_ISREG(info.st_mode)
                and info.st_size <= max_bytes):
            ids = known_file(path, signature)
            if ids:
                items = [KnownArticle(article_id, str(path)) for article_id in ids]
        if items is None:
            read_at = time.time_ns()
            items = list(read_file(path, max_bytes, force_language, known_language, info))
            ids = [item.id for item in items if not isinstance(item, Problem)]
            if (signature is not None and signature.settled(read_at) and len(ids) == len(items)
                    and len(set(ids)) == len(ids) and not seen.keys() & set(ids)):
                items = [replace(item, signature=signature) for item in items]
        for item in items:
            if not isinstance(item, Problem) and item.id in seen:
                yield Problem.of(item.path, DuplicateArticleId(
                    f"duplicate article id {item.id!r}: {item.path} has the id of "
                    f"{seen[item.id]}, which is kept"))
                continue
            if not isinstance(item, Problem):
                seen[item.id] = item.path
            yield item


def read_corpus(
    paths: Iterable[str | Path], max_bytes: int = MAX_BYTES, force_language: bool = False
) -> CorpusReadResult:
    """Every article under ``paths`` (see :func:`iter_corpus`), collected."""
    result = CorpusReadResult()
    for item in iter_corpus(paths, max_bytes, force_language):
        (result.problems if isinstance(item, Problem) else result.articles).append(item)
    return result


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
                if p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not p.name.lower().startswith("readme")
                and p.is_file()
            )
        elif path.is_file():
            if path.suffix.lower() in SUFFIXES:
                found.append(path)
            else:
                problems.append(Problem.of(path, UnsupportedFileType(
                    f"unsupported file type {path.suffix!r} "
                    f"(expected one of {', '.join(SUFFIXES)})")))
        else:
            problems.append(Problem.of(path, MissingPath("no such file or directory")))
    unique = list(dict.fromkeys(found))
    return unique, problems


def read_file(
    path: Path, max_bytes: int = MAX_BYTES, force_language: bool = False,
    known_language: KnownLanguage | None = None, info: os.stat_result | None = None,
) -> Iterator[Article | Problem]:
    """Articles of one file, or Problems; never raises for bad content. ``info``: the
    file's ``stat``, if the caller took it just before."""
    path = Path(path)
    try:
        text = read_text(path, max_bytes, info)
        if not text.strip():
            raise EmptyArticle("empty article (empty file)" if not text
                               else "empty article (whitespace only)")
        suffix = path.suffix.lower()
        if suffix in (".json", ".jsonl"):
            yield from _read_records(text, path, suffix, force_language, known_language)
            return
        meta, body = _parse(text, suffix)
        yield make_article(meta, body, path.stem, path, force_language, known_language)
    except CorpusError as err:
        yield Problem.of(path, err)
    except Exception as err:  # noqa: BLE001  (one file must never kill the batch)
        yield Problem.of(path, UnexpectedReadError(
            f"unexpected error while reading: {type(err).__name__}: {err}"))


def read_text(path: Path, max_bytes: int = MAX_BYTES, info: os.stat_result | None = None
              ) -> str:
    """The clean text of a file: size checked first (``info``: its ``stat``, if taken just
    before), binary refused, encoding detected."""
    data = _read_bytes(path, max_bytes, info)
    sniff_binary(data[:SNIFF_BYTES])
    return clean_text(decode(data))


def _read_bytes(path: Path, max_bytes: int, info: os.stat_result | None = None) -> bytes:
    """At most ``max_bytes`` of ``path``; the size is checked before anything is read."""
    try:
        info = info or path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("not a regular file")
        if info.st_size > max_bytes:
            raise FileTooLarge(f"file is {info.st_size:,} bytes, over the {max_bytes:,}-byte "
                               "limit (not read)")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FileVanished("file vanished before it could be read") from None
    except OSError as err:
        raise UnreadableFile(f"file became unreadable before it could be read: "
                             f"{err.strerror or err}") from None
    if len(data) > max_bytes:
        raise FileTooLarge(f"file grew past the {max_bytes:,}-byte limit while being read")
    return data


def _parse(text: str, suffix: str) -> tuple[dict[str, str], str]:
    if suffix in HTML_SUFFIXES or (suffix == ".txt" and looks_like_html(text)):
        return html_to_text(text)
    if suffix == ".md":
        return parse_markdown(text)
    return parse_txt(text)


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
        raise MalformedFile("front matter opened with '---' but never closed")
    import yaml  # imported here: only Markdown articles with front matter need it

    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as err:
        raise MalformedFile(f"front matter is not valid YAML: {err}") from None
    if not isinstance(meta, dict):
        raise MalformedFile("front matter must be a mapping of key: value")
    return {str(k).lower(): _scalar(v) for k, v in meta.items()}, parts[2].strip()


def _scalar(value: object) -> str:
    return "" if value is None else str(value)


def _read_records(
    text: str, path: Path, suffix: str, force_language: bool,
    known_language: KnownLanguage | None = None,
) -> Iterator[Article | Problem]:
    many = suffix == ".jsonl"
    count = 0
    for number, record in _records(text, suffix):
        count += 1
        try:
            if isinstance(record, Exception):
                raise record
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise MalformedFile(f"record {number}: expected an object with a 'text'")
            meta = {str(k).lower(): _scalar(v) for k, v in record.items() if k != "text"}
            default = f"{path.stem}-{number}" if many or number > 1 else path.stem
            yield make_article(meta, clean_text(record["text"]).strip(), default, path,
                               force_language, known_language)
        except CorpusError as err:
            yield Problem.of(f"{path}#{number}", err)
    if not count:
        raise EmptyArticle("empty article (no records)")


def _records(text: str, suffix: str) -> Iterator[tuple[int, object]]:
    if suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as err:
                    yield number, MalformedFile(f"line {number}: invalid JSON ({err.msg})")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise MalformedFile(f"invalid JSON at line {err.lineno}: {err.msg}") from None
    items = data if isinstance(data, list) else [data]
    yield from enumerate(items, start=1)


def make_article(
    meta: dict[str, str], text: str, default_id: str, path: Path, force_language: bool = False,
    known_language: KnownLanguage | None = None,
) -> Article:
    """An Article from metadata and body; refuses empty text, empty id, other languages.

    ``known_language(article)`` may give the language code already found for exactly this
    article (same id, text and metadata: a re-run's unchanged article), which is then
    trusted instead of identified again; it returns None for anything else.
    """
    if not text.strip():
        raise EmptyArticle("empty article (metadata but no text)")
    article_id = safe_id(meta.get("id") or default_id)
    if not article_id:
        raise MalformedFile("article id is empty")
    article = Article(
        id=article_id,
        text=text,
        title=_meta(meta, "title"),
        date=_meta(meta, "date"),
        url=_meta(meta, "url"),
        source=_meta(meta, "source"),
        path=str(path),
    )
    code = known_language(article) if known_language is not None else None
    if code is None:
        language = identify(text)
        code = language.code
        if not language.italian_or_unknown and not force_language:
            raise NotItalian(f"not Italian: the text reads as language {code!r} "
                             f"(confidence {language.confidence:.2f}); force_language keeps it")
    elif code not in (ITALIAN, UNKNOWN) and not force_language:
        raise NotItalian(f"not Italian: the text reads as language {code!r} (found by an "
                         "earlier run); force_language keeps it")
    return replace(article, language=code)


def _meta(meta: dict[str, str], key: str) -> str:
    return " ".join(clean_text(str(meta.get(key, ""))).split())


def safe_id(raw: str) -> str:
    """An id safe in IRIs and file names: ``[\\w.-]``, no leading dot, at most 120 chars.

    >>> safe_id("../../etc/passwd"), safe_id("La città / 2017")
    ('etc-passwd', 'La-città-2017')
    """
    article_id = _DOTS.sub(".", _ID_SAFE.sub("-", raw.strip())).strip(".-")
    if len(article_id) > MAX_ID_CHARS:
        digest = hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:10]
        article_id = f"{article_id[: MAX_ID_CHARS - len(digest) - 1].rstrip('.-')}-{digest}"
    return article_id
