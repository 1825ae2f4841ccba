"""Atomic file output for the export stage: a file is either the old one or the complete new one.

Every writer in ``pipeline.export`` goes through :func:`atomic_output` (or :func:`atomic_write`):
the data goes to a hidden temporary file in the target's directory, which is flushed, fsynced
and then renamed over the target with :func:`os.replace` (atomic on POSIX and Windows when both
are on the same file system, which the same directory guarantees). If the writer raises, or the
process is interrupted before the rename, the target keeps its previous content and the
temporary file is removed (a hard kill can leave a ``.NAME.*.tmp`` file behind, never a
half-written ``NAME``).

Many small files that only count once something else vouches for them (the per-article graph
files, which the manifest then names) are written with ``durable=False`` through a
:class:`DeferredSync`: still renamed into place whole, but their fsyncs (two per file: 0.7 ms
of CPU, and a journal commit each) are left to :meth:`DeferredSync.sync`, which makes them
durable together, and which the caller runs before it writes what vouches for them. A process
that dies in between loses nothing (the kernel still has the data); a power cut can lose files
that nothing vouches for yet.

>>> from pathlib import Path; import tempfile
>>> out = Path(tempfile.mkdtemp()) / "graph.ttl"
>>> atomic_write(out, "<a> <b> <c> .\\n")
>>> with atomic_output(out, "w") as handle:
...     _ = handle.write("<a> <b> <d> .\\n")
>>> out.read_text()
'<a> <b> <d> .\\n'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

__all__ = ["DeferredSync", "atomic_output", "atomic_write"]


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, to stay out of threads' way.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "w", *,
                  durable: bool = True) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path`` for writing; on a clean exit, fsync it and move it
    onto ``path``; on an exception, delete it and leave ``path`` as it was.

    ``mode`` is ``"w"`` (text, UTF-8, newlines written as given) or ``"wb"`` (bytes). The new
    file gets the permissions of the file it replaces, or ``0o666`` less the umask for a new
    file (not the ``0o600`` of :func:`tempfile.mkstemp`). The directory must exist.
    ``durable=False`` leaves out the fsyncs of the file and of its directory (see
    :class:`DeferredSync`).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    target = Path(path)
    directory = target.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    handle: IO[Any] | None = None
    try:
        try:
            permissions = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            permissions = 0o666 & ~_UMASK
        os.chmod(temp_name, permissions)
        if mode == "w":
            handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
        else:
            handle = os.fdopen(fd, "wb")
        with handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        if handle is None:  # the descriptor was never handed to a file object
            os.close(fd)
        with suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    if durable:
        _fsync_directory(directory)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *,
                 durable: bool = True) -> None:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically; see :func:`atomic_output`."""
    if isinstance(data, str):
        with atomic_output(path, "w", durable=durable) as handle:
            handle.write(data)
    else:
        with atomic_output(path, "wb", durable=durable) as handle:
            handle.write(data)


class DeferredSync:
    """Atomic writes whose fsyncs wait for :meth:`sync`, which makes all of them durable at
    once: an fsync of each file, then of each of their directories. Done together, the first
    fsync's journal commit takes the others' new names and data with it, so the rest find
    little left to do (two fsyncs per file, each with a commit of its own, took most of the
    main process's system time in a run); and unlike ``syncfs``, it never waits for other
    programs' writes to the same file system.

    >>> from pathlib import Path; import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> writes = DeferredSync()
    >>> writes.write(folder / "a.nq", b"<a> <b> <c> .\\n")
    >>> writes.pending
    1
    >>> writes.sync()
    >>> writes.pending, (folder / "a.nq").read_bytes()
    (0, b'<a> <b> <c> .\\n')
    """

    def __init__(self) -> None:
        self._paths: list[Path] = []

    @property
    def pending(self) -> int:
        """Files written since the last :meth:`sync`."""
        return len(self._paths)

    def write(self, path: str | os.PathLike[str], data: bytes | str) -> None:
        """:func:`atomic_write` without its fsyncs, until :meth:`sync`."""
        atomic_write(path, data, durable=False)
        self._paths.append(Path(path))

    def sync(self) -> None:
        """Make every file written since the last call durable (an ``OSError`` if that
        fails; they then stay pending)."""
        for path in dict.fromkeys(self._paths):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # replaced or removed since: nothing to keep
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for directory in dict.fromkeys(path.parent for path in self._paths):
            _fsync_directory(directory)
        self._paths.clear()


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable. Not possible on every platform (Windows): best effort.
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
