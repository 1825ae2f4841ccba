"""pipeline.heap: a worker's freed memory stays in its heap for the next batch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline import heap

# Writes and frees 50 blocks of 4 MB and more, each a little larger than the one before (so
# glibc's own threshold, which rises to the size of the last mapped block freed, does not
# catch up); prints the page faults that took.
_FAULTS = """
import resource, sys
from pipeline.heap import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
before = faults()
for i in range(50):
    block = b"x" * ((4 << 20) + i * 65536)
    del block
print(kept, faults() - before)
"""


def _faults(mode: str, **env: str) -> tuple[str, int]:
    environment = {k: v for k, v in os.environ.items() if k not in heap._USER_SETTINGS}
    done = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True,
                          check=True, env={**environment, **env})
    kept, faults = done.stdout.split()
    return kept, int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    kept, faults_kept = _faults("keep")
    assert kept == "True"
    _, faults_default = _faults("default")
    pages = (4 << 20) // 4096
    assert faults_default > 25 * pages  # each block mapped and faulted in anew
    assert faults_kept < 3 * pages  # the first block's pages, reused (and a few more)


def test_the_users_own_allocator_settings_win():
    # in a fresh interpreter: keep_freed_memory changes the whole process it runs in
    kept, _ = _faults("keep", MALLOC_TRIM_THRESHOLD_="131072")
    assert kept == "False"
