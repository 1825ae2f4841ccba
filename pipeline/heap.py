"""The C allocator of a worker process: freed memory kept for the next batch, not handed back.

Between two batches, a worker frees the arrays of the batch it parsed and allocates the same
sizes again for the next. glibc's allocator gives large blocks back to the kernel as soon as
they are freed (blocks over its ``mmap`` threshold, and the free top of the heap past its trim
threshold), so every batch faults the same pages in again: a one-worker run's worker took
about 1,500 page faults per article, 1.3 s of system time per 300 articles. With both
thresholds raised, freed blocks stay in the heap and are reused (about 260 faults per article,
0.35 s); the worker's memory is what it was at its largest batch, as before.

:func:`keep_freed_memory` does it for the calling process; it does nothing where the C library
is not glibc (``mallopt`` missing or refusing) or where the user set the allocator's own
environment variables (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
``GLIBC_TUNABLES``), which then win. It changes the whole process, so it is called in the
workers only (``tests/test_heap.py`` measures it in a fresh interpreter).

>>> MMAP_THRESHOLD // 2**20, TRIM_THRESHOLD // 2**20  # MB
(32, 256)
"""

from __future__ import annotations

import os
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

#: Blocks at least this large get their own mapping (glibc's largest allowed value on 64-bit;
#: its default starts at 128 KB).
MMAP_THRESHOLD = 32 << 20
#: Free memory at the top of the heap given back to the kernel past this (default 128 KB).
TRIM_THRESHOLD = 256 << 20

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def keep_freed_memory() -> bool:
    """Raise this process's allocator thresholds (see the module doc); whether it did."""
    if not sys.platform.startswith("linux") or any(os.environ.get(v) for v in _USER_SETTINGS):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
