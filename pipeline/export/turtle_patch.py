"""Export stage: ``graph.ttl`` patched, not rebuilt, when a few article graphs changed.

Where it sits: :func:`pipeline.export.rdf.stream_turtle` writes ``graph.ttl`` as the union of
the triples of the run graph and of every article graph file, sorted in N-Triples order and
serialised by pyoxigraph. pyoxigraph's Turtle writer puts each subject's triples in one
*block* (``subject p o ;`` then ``\\tp o .`` lines), the blocks in the order of their
subjects, and a block depends on its subject's triples alone. So ``graph.ttl`` is the
``@prefix`` lines, then one block per subject.

A :class:`TurtleIndex`, kept beside the store, records for the ``graph.ttl`` it was made with
(checked by its sha256) the subjects in block order, how many triples each block holds,
which subjects each graph file (by name and hash) and the run graph have. When few graph
files changed, :func:`patch_turtle` serialises again only the blocks of the subjects they had
or have, and the run graph's (which names every article), from the graph files that hold
those subjects, and splices them among the blocks kept as they were: the bytes a rebuild
would write (a test holds this, over random edits), in a fraction of its time, since
everything else is copied, not parsed. Anything unexpected (no index, another ``graph.ttl``,
many changes) gives ``None``, and the caller rebuilds.

>>> index = TurtleIndex()
>>> index.subjects, index.counts
([], [])
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from pipeline.export.atomic import atomic_output

__all__ = ["INDEX_VERSION", "TurtleIndex", "block_starts", "patch_turtle", "subject_lines",
           "subject_of", "subjects_of", "update_turtle"]

INDEX_VERSION = 1

#: A patch re-serialises the blocks of the changed files' subjects and reads every file that
#: shares one; past this share of changed files, rebuilding is as quick.
MAX_CHANGED_SHARE = 0.2

#: Files are read this much at a time (the sorted triples, graph.ttl): memory stays flat.
CHUNK_BYTES = 1 << 22

# a line that does not go on with a tab begins a block (searched as "\n" + one more byte:
# the regex engine looks for a literal first character quickly, for "^" it tries each byte)
_BLOCK_START = re.compile(rb"\n[^\t]")
_LINE_SUBJECT = re.compile(rb"\n([^ ]+)")


def subject_of(line: bytes) -> bytes:
    """The subject term of an N-Triples line (an IRI or blank node: no space inside)."""
    return line[: line.index(b" ")]


def subjects_of(lines: bytes) -> list[bytes]:
    """The subject term of each line of N-Triples ``lines``, in order.

    >>> subjects_of(b'<s> <p> "o" .\\n<t> <p> <s> .\\n')
    [b'<s>', b'<t>']
    """
    return _LINE_SUBJECT.findall(b"\n" + lines)


def subject_lines(nquads: bytes, subject: bytes) -> list[bytes]:
    """The lines of ``subject`` in a graph file (its lines are sorted, so they are together),
    found by searching the bytes, not by reading every line.

    >>> subject_lines(b'<a> <p> "1" <g> .\\n<b> <p> "2" <g> .\\n<b> <q> "3" <g> .\\n', b"<b>")
    [b'<b> <p> "2" <g> .\\n', b'<b> <q> "3" <g> .\\n']
    """
    key = subject + b" "
    start = 0 if nquads.startswith(key) else nquads.find(b"\n" + key) + 1
    if start == 0 and not nquads.startswith(key):
        return []
    found = []
    while nquads.startswith(key, start):
        end = nquads.find(b"\n", start) + 1
        if not end:  # the last line, without its newline
            found.append(nquads[start:] + b"\n")
            break
        found.append(nquads[start:end])
        start = end
    return found


def block_starts(body: bytes | memoryview) -> list[int]:
    """Where each subject block of a Turtle body (no prefix lines), or of whole lines of one,
    begins: each line that does not go on with a tab."""
    first = [0] if body and body[:1] != b"\t" else []
    return [*first, *(match.start() + 1 for match in _BLOCK_START.finditer(body))]


@dataclass
class TurtleIndex:
    """What :func:`patch_turtle` needs to know of the ``graph.ttl`` it patches.

    ``subjects``: the N-Triples term of each block's subject, in block order; ``counts``: the
    triples in each block; ``sizes``: the bytes of each block; ``run``: the run graph's
    subjects (positions in ``subjects``); ``files``: graph file name -> [its sha256, its
    subjects' positions, ascending]; ``turtle_sha256``: the hash of that ``graph.ttl``."""

    subjects: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    run: list[int] = field(default_factory=list)
    files: dict[str, list[Any]] = field(default_factory=dict)
    turtle_sha256: str = ""

    @classmethod
    def build(cls, turtle_path: str | os.PathLike[str], run_subjects: Iterable[bytes],
              file_subjects: dict[str, tuple[str, set]],
              counts: dict[bytes, int]) -> TurtleIndex:
        """The index of the ``graph.ttl`` at ``turtle_path`` (read a few MB at a time), from
        the subjects of the run graph and of each file (name -> (sha256, subject terms)), and
        each subject's number of triples in it."""
        order = sorted(counts, key=lambda subject: _block_key(subject.decode("utf-8")))
        position = {subject: i for i, subject in enumerate(order)}
        digest = hashlib.sha256()
        starts: list[int] = []
        offset, in_header = 0, True
        for chunk in line_chunks(turtle_path):
            digest.update(chunk)
            skip = 0
            if in_header:  # the prefix lines, which may fill more than one chunk
                skip = len(_prefix_lines(chunk))
                in_header = skip == len(chunk)
            starts.extend(offset + skip + start for start in block_starts(chunk[skip:]))
            offset += len(chunk)
        if len(starts) != len(order):
            raise ValueError(f"graph.ttl has {len(starts)} subject blocks for {len(order)} "
                             "subjects: not the layout this index describes")
        return cls(
            subjects=[subject.decode("utf-8") for subject in order],
            counts=[counts[subject] for subject in order],
            sizes=[end - start for start, end in zip(starts, [*starts[1:], offset], strict=True)],
            run=sorted(position[s] for s in set(run_subjects)),
            files={name: [sha, sorted(position[s] for s in subjects)]
                   for name, (sha, subjects) in file_subjects.items()},
            turtle_sha256=digest.hexdigest())

    @property
    def triples(self) -> int:
        return sum(self.counts)

    def write(self, path: str | os.PathLike[str]) -> None:
        record = {"version": INDEX_VERSION, "turtle_sha256": self.turtle_sha256,
                  "subjects": self.subjects, "counts": self.counts, "sizes": self.sizes,
                  "run": self.run, "files": self.files}
        with atomic_output(path, "wb") as out:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                      .encode("utf-8"))

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> TurtleIndex | None:
        """The index at ``path``, or None if it is missing, unreadable or of another
        version."""
        try:
            record = json.loads(Path(path).read_bytes())
            if record.get("version") != INDEX_VERSION:
                return None
            index = cls(subjects=record["subjects"], counts=record["counts"],
                        sizes=record["sizes"], run=record["run"], files=record["files"],
                        turtle_sha256=record["turtle_sha256"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not len(index.subjects) == len(index.counts) == len(index.sizes):
            return None
        return index


def patch_turtle(run_lines: Sequence[bytes], graph_files: Sequence[str | os.PathLike[str]],
                 graph_sha256: Sequence[str], path: str | os.PathLike[str],
                 index_path: str | os.PathLike[str]) -> int | None:
    """Patch ``graph.ttl`` at ``path`` to the union of ``run_lines`` (the run graph's
    N-Triples lines) and the triples of ``graph_files`` (each file's sha256 in
    ``graph_sha256``), using the index at ``index_path`` (rewritten); the number of triples,
    or None when it cannot be patched (nothing is written then: rebuild it)."""
    from pipeline.export.rdf import triple_lines

    index = TurtleIndex.read(index_path)
    if index is None:
        return None
    try:
        with open(path, "rb") as old_file:
            if hashlib.file_digest(old_file, "sha256").hexdigest() != index.turtle_sha256:
                return None
            size = old_file.tell()
            old_file.seek(0)
            header = _prefix_header() if size else b""
            if old_file.read(len(header)) != header:
                return None  # written with other prefixes: its blocks would not fit new ones
    except OSError:
        return None
    if sum(index.sizes) != size - len(header):
        return None

    path_of = {os.path.basename(p): p for p in graph_files}
    wanted = dict(zip(path_of, graph_sha256, strict=True))
    if len(wanted) != len(graph_files):
        return None  # two files of one name: not the layout this index knows
    changed = {name for name, sha in wanted.items()
               if name not in index.files or index.files[name][0] != sha}
    removed = [name for name in index.files if name not in wanted]
    if len(changed) + len(removed) > MAX_CHANGED_SHARE * max(len(wanted), 1):
        return None

    # the subjects whose blocks change: the run graph's, the changed and removed files' old
    # ones, the changed files' new ones
    subjects = index.subjects
    affected_positions: set[int] = set(index.run)
    for name in [*changed, *removed]:
        if name in index.files:
            affected_positions.update(index.files[name][1])
    affected = {subjects[i].encode("utf-8") for i in affected_positions}
    new_lines: dict[str, list[bytes]] = {}
    for name in changed:
        data = Path(path_of[name]).read_bytes()
        if hashlib.sha256(data).hexdigest() != wanted[name]:
            return None
        new_lines[name] = triple_lines(data)
        affected.update(subject_of(line) for line in new_lines[name])
    affected.update(subject_of(line) for line in run_lines)
    position = {subject: i for i, subject in enumerate(subjects)}
    affected_positions.update(position[term] for term in (s.decode("utf-8") for s in affected)
                              if term in position)

    # every triple of those subjects: the run's, the changed files', and those of the
    # unchanged files that share one of them (the index says which)
    lines: set[bytes] = {line for line in run_lines if subject_of(line) in affected}
    for name_lines in new_lines.values():
        lines.update(line for line in name_lines if subject_of(line) in affected)
    for name, (_, held) in index.files.items():
        if name in wanted and name not in changed:
            shared = affected_positions.intersection(held)
            if shared:
                data = Path(path_of[name]).read_bytes()
                lines.update(triple_lines(b"".join(
                    line for i in sorted(shared)
                    for line in subject_lines(data, subjects[i].encode("utf-8")))))

    # their blocks, serialised as a rebuild would, each put where its subject sorts
    ordered = sorted(lines)
    new_counts: dict[str, int] = {}
    for line in ordered:
        term = subject_of(line).decode("utf-8")
        new_counts[term] = new_counts.get(term, 0) + 1
    new_subjects = sorted(new_counts, key=_block_key)
    new_body = memoryview(_turtle_body(ordered))
    new_starts = block_starts(new_body)
    if len(new_starts) != len(new_subjects):
        return None
    new_ends = [*new_starts[1:], len(new_body)]
    old_keys = [_block_key(subject) for subject in subjects]
    old_starts = [len(header) + start for start in accumulate(index.sizes, initial=0)]

    merged = TurtleIndex()
    old_to_new: list[int] = [-1] * len(subjects)
    pieces: list[memoryview | tuple[int, int]] = []  # new bytes, or a range of the old file

    dropped = sorted(affected_positions)

    def keep(first: int, last: int) -> None:
        """The old blocks first..last-1 but the affected ones, copied a run at a time."""
        cut = bisect_left(dropped, first)
        while first < last:
            end = min(dropped[cut], last) if cut < len(dropped) else last
            if first < end:
                pieces.append((old_starts[first], old_starts[end]))
                old_to_new[first:end] = range(len(merged.subjects),
                                              len(merged.subjects) + end - first)
                merged.subjects.extend(subjects[first:end])
                merged.counts.extend(index.counts[first:end])
                merged.sizes.extend(index.sizes[first:end])
            first = end + 1 if end < last else last  # past the affected block
            cut += 1

    done = 0
    for k, term in enumerate(new_subjects):
        at = bisect_left(old_keys, _block_key(term), lo=done)
        keep(done, at)
        done = at
        if at < len(subjects) and subjects[at] == term:
            old_to_new[at] = len(merged.subjects)
        pieces.append(new_body[new_starts[k]:new_ends[k]])
        merged.subjects.append(term)
        merged.counts.append(new_counts[term])
        merged.sizes.append(new_ends[k] - new_starts[k])
    keep(done, len(subjects))

    digest = hashlib.sha256()
    with atomic_output(path, "wb") as out, open(path, "rb") as old_file:
        for piece in [memoryview(_prefix_header()) if pieces else memoryview(b""), *pieces]:
            for part in (_file_range(old_file, *piece) if isinstance(piece, tuple)
                         else (piece,)):
                out.write(part)
                digest.update(part)
    merged.turtle_sha256 = digest.hexdigest()
    new_position = {term: i for i, term in enumerate(merged.subjects)}
    for name, sha in wanted.items():
        if name in changed:
            held_terms = {subject_of(line).decode("utf-8") for line in new_lines[name]}
            merged.files[name] = [sha, sorted(new_position[term] for term in held_terms)]
        else:  # its subjects all still have blocks (its own triples), in the same order
            merged.files[name] = [sha, [old_to_new[i] for i in index.files[name][1]]]
    merged.run = sorted({new_position[subject_of(line).decode("utf-8")] for line in run_lines})
    merged.write(index_path)
    return merged.triples


def update_turtle(run_nquads: bytes, graph_files: Sequence[str | os.PathLike[str]],
                  graph_sha256: Sequence[str], path: str | os.PathLike[str],
                  index_path: str | os.PathLike[str]) -> tuple[int, str]:
    """``graph.ttl`` at ``path`` brought up to date with the run graph and ``graph_files``:
    patched (:func:`patch_turtle`) when it can be, else rebuilt
    (:func:`pipeline.export.rdf.stream_turtle`); either way the index is rewritten. The
    number of triples, and ``"patched"`` or ``"rebuilt"``."""
    from pipeline.export.rdf import stream_turtle, triple_lines

    try:
        count = patch_turtle(triple_lines(run_nquads), graph_files, graph_sha256, path,
                             index_path)
    except Exception:  # noqa: BLE001  (a rebuild is always right; it reports real errors)
        count = None
    if count is not None:
        return count, "patched"
    # the rebuild writes its index after graph.ttl: an old index left by a failure in
    # between names the old file's hash, and the next patch refuses it
    return stream_turtle(run_nquads, graph_files, path, index_path=index_path), "rebuilt"


def line_chunks(path: str | os.PathLike[str], size: int | None = None) -> Iterator[bytes]:
    """The bytes of the file at ``path``, about ``size`` (default :data:`CHUNK_BYTES`) at a
    time, each piece ending with a whole line (the last one as the file ends)."""
    size = size or CHUNK_BYTES
    with open(path, "rb") as source:
        rest = b""
        while True:
            data = source.read(size)
            if not data:
                if rest:
                    yield rest
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            yield data[:cut]


def _file_range(source: Any, start: int, end: int, size: int = 1 << 20) -> Iterator[bytes]:
    """Bytes ``start`` to ``end`` of the open file ``source``, a megabyte at a time."""
    source.seek(start)
    while start < end:
        data = source.read(min(size, end - start))
        if not data:
            raise OSError("graph.ttl shrank while it was patched")
        start += len(data)
        yield data


def _block_key(term: str) -> str:
    """The order of blocks: that of their lines in a C-locale sort. A subject term never
    holds a space, so no term's key is a prefix of another's; and UTF-8 keeps code-point
    order, so the decoded terms sort as the bytes do."""
    return term + " "


def _prefix_lines(turtle: bytes) -> bytes:
    """The leading ``@prefix`` lines of ``turtle``."""
    end = 0
    while turtle.startswith(b"@prefix ", end):
        end = turtle.index(b"\n", end) + 1
    return turtle[:end]


@lru_cache(maxsize=1)
def _prefix_header() -> bytes:
    """The ``@prefix`` lines pyoxigraph writes before the first triple (none for an empty
    graph: it writes them with the first triple)."""
    from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

    from pipeline.export.rdf import _store_prefixes

    node = NamedNode("urn:x")
    return _prefix_lines(serialize([Triple(node, node, node)], None, RdfFormat.TURTLE,
                                   prefixes=_store_prefixes()))


def _turtle_body(ordered_lines: list[bytes]) -> bytes:
    """The Turtle blocks of sorted N-Triples lines, without the prefix lines."""
    from pyoxigraph import RdfFormat, parse, serialize

    from pipeline.export.rdf import _store_prefixes

    if not ordered_lines:
        return b""
    text = serialize(parse(b"".join(ordered_lines), RdfFormat.N_TRIPLES), None,
                     RdfFormat.TURTLE, prefixes=_store_prefixes())
    return text[len(_prefix_lines(text)):]
