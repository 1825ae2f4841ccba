"""Cyclic garbage collection paused while a process builds what it keeps.

CPython's collector runs a full collection, over every object the process has, each time the
objects that survived earlier collections have grown by a quarter. Importing spaCy and
loading the model grows them many times over, so a worker ran three full collections while it
started (0.3 s of a re-run's 3 to 5 s) and found nothing to free: everything it walked was
still in use. The same happened to the main process while it merged the unchanged articles'
fragments and while it exported (0.25 s).

:func:`gc_paused` stops automatic collections for a block that builds long-lived objects,
and starts them again after it. Paused only, the objects made in the block are all still in
the youngest generation when it ends, and the next collections walk them: with
``freeze=True``, in a process that ends with its work (:func:`ends_with_its_work`: the
``aerokg`` command, a worker), they are moved out of the collector's reach instead
(``gc.freeze``). Frozen objects are still freed when nothing refers to them; only a cycle
among them would stay until the process ends, which is why a process that goes on (a test
run, a program calling aerokg's functions) only pauses.

>>> import gc
>>> with gc_paused():
...     gc.get_threshold()[0]
0
>>> gc.get_threshold()[0] > 0
True
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ends_with_its_work", "gc_paused"]

_ONE_SHOT = False


def ends_with_its_work() -> None:
    """Mark this process as one that ends when its work does, so :func:`gc_paused` freezes
    (a forked child inherits the mark)."""
    global _ONE_SHOT
    _ONE_SHOT = True


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """No automatic cyclic garbage collection in the block; then, with ``freeze`` and in a
    process that :func:`ends_with_its_work`, ``gc.freeze()``. The thresholds are set to 0
    rather than the collector disabled, since srsly's msgpack reader (spaCy's model files)
    calls ``gc.enable()`` whatever it found; they are restored after the block (a block
    inside another leaves them at 0)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(0)
    try:
        yield
    finally:
        if freeze and _ONE_SHOT:
            gc.freeze()
        gc.set_threshold(*thresholds)
