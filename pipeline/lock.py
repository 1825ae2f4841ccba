"""One run per output directory: an exclusive lock on ``OUT_DIR/.aerokg/lock``.

The lock is ``fcntl.flock(LOCK_EX | LOCK_NB)`` on an open file, held for the whole run. The
kernel drops it when the process ends, however it ends (``kill -9`` included), so a stale lock
file never blocks the next run: only a live holder does. The holder writes its pid and start
time into the file, for the message the second run prints.

On platforms without ``fcntl`` (Windows) there is no lock: runs are not guarded there.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "lock"
>>> with OutDirLock(path):
...     try:
...         OutDirLock(path).acquire()
...     except OutDirBusy as err:
...         print("busy")
busy
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover  (Windows)
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutDirBusy", "OutDirLock", "ensure_free", "reading"]


class OutDirBusy(Exception):
    """Another live process holds the lock of this output directory."""

    def __init__(self, out_dir: Path, holder: dict) -> None:
        self.out_dir = out_dir
        self.holder = holder
        pid = holder.get("pid", "unknown")
        started = holder.get("started", "unknown time")
        super().__init__(
            f"{out_dir} is in use by another aerokg run (pid {pid}, started {started}); "
            "wait for it to finish or use another --out directory"
        )


class OutDirLock:
    """``with OutDirLock(path): ...`` - the lock held for the block; see the module doc."""

    def __init__(self, path: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None):
        self.path = Path(path)
        self.out_dir = Path(out_dir) if out_dir is not None else self.path.parent
        self._fd: int | None = None

    def acquire(self) -> OutDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _flock_or_busy(fd, self.out_dir)
        except OutDirBusy:
            os.close(fd)
            raise
        holder = {"pid": os.getpid(),
                  "started": time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # no stale holder in the file once it is free
        except OSError:
            pass
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> OutDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def ensure_free(path: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None
                ) -> None:
    """Raise :class:`OutDirBusy` if a live process holds the lock at ``path``; create nothing.

    A cheap look before costly set-up (starting a Dask cluster) that would be thrown away: the
    run still takes the lock itself afterwards, which settles any race."""
    if fcntl is None:
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # no lock file (no run ever here), or not ours to open: acquire() decides
        return
    try:
        _flock_or_busy(fd, Path(out_dir) if out_dir is not None else Path(path).parent)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _flock_or_busy(fd: int, out_dir: Path) -> None:
    """Take the exclusive lock on ``fd`` or raise :class:`OutDirBusy` naming its holder."""
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError: held by a live process
        raise OutDirBusy(out_dir, _read_holder(fd)) from None


def _read_holder(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        holder = json.loads(data.decode("utf-8") or "{}")
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


@contextmanager
def reading(out_dir: str | os.PathLike[str], state_dir: str = ".aerokg") -> Iterator[None]:
    """Hold ``out_dir``'s lock while a command reads its run state (``aerokg push``), so it
    never sees a run half-way; raises :class:`OutDirBusy` while a run holds it. An OUT_DIR
    without run state, or one this process cannot write (mounted read-only: no run can
    change it either), is read without the lock."""
    state = Path(out_dir) / state_dir
    if not state.is_dir():
        yield
        return
    lock = OutDirLock(state / "lock", out_dir)
    try:
        lock.acquire()  # OutDirBusy (not an OSError) goes to the caller
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()
