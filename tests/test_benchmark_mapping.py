"""scripts/benchmark_mapping.py: the side-by-side table (the measuring itself is not run here:
it parses the dev articles, a benchmark's job)."""

from __future__ import annotations

from script_module import script_module


def _script():
    return script_module("scripts/benchmark_mapping.py")


def test_the_table_gives_medians_and_their_ratio_with_the_stage_first():
    table = _script()._table({
        "old": [{"mapping stage": 20.0, "rule roles": 2.0}, {"mapping stage": 10.0,
                                                           "rule roles": 4.0},
                {"mapping stage": 30.0, "rule roles": 3.0}],
        "new": [{"mapping stage": 15.0, "rule roles": 1.5, "rule trade": 1.0}],
    }).splitlines()
    assert table[0] == "| part (ms per article) | old | new | new / old |"
    assert table[2] == "| mapping stage | 20.00 | 15.00 | 0.75 |"  # median of 10, 20, 30
    assert table[3] == "| rule roles | 3.00 | 1.50 | 0.50 |"
    assert table[4] == "| rule trade |  | 1.00 |  |"  # measured on one side only


def test_one_column_without_a_ratio():
    table = _script()._table({"this checkout": [{"mapping stage": 12.5}]}).splitlines()
    assert table == ["| part (ms per article) | this checkout |", "|---|---:|",
                     "| mapping stage | 12.50 |"]
