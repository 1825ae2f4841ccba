"""pipeline.gc_pause: automatic collections paused in a block, objects frozen only in a
process that ends with its work."""

from __future__ import annotations

import gc

import pytest

from pipeline import gc_pause
from pipeline.gc_pause import gc_paused


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _collections_while(make) -> int:
    seen = []

    def count(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(count)
    try:
        make()
    finally:
        gc.callbacks.remove(count)
    return len(seen)


def test_no_automatic_collection_in_the_block_even_if_a_library_enables_gc():
    def allocate():
        gc.enable()  # what srsly's msgpack reader does, whatever it found
        return [_Cycle() for _ in range(20_000)]

    assert gc.isenabled()
    assert _collections_while(allocate) > 0  # without the pause, collections run
    with gc_paused():
        assert _collections_while(allocate) == 0
    assert gc.get_threshold()[0] > 0


def test_thresholds_are_restored_after_an_error_and_nested_blocks():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with gc_paused():
            with gc_paused():
                assert gc.get_threshold()[0] == 0
            assert gc.get_threshold()[0] == 0  # the outer block is still paused
            raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_objects_are_frozen_only_in_a_process_that_ends_with_its_work(monkeypatch):
    assert gc.get_freeze_count() == 0
    with gc_paused(freeze=True):
        kept = [_Cycle() for _ in range(100)]
    assert gc.get_freeze_count() == 0  # a test run goes on: paused only
    monkeypatch.setattr(gc_pause, "_ONE_SHOT", True)
    try:
        with gc_paused(freeze=True):
            kept.append(_Cycle())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
