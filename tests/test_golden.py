"""Golden test: the graph of one small article, pinned and compared by graph isomorphism.

Regenerate after an intended change with ``AEROKG_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff of ``tests/data/golden/breve.trig``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Dataset
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from pipeline.nlp.loader import SHIPPED_MODEL_PATH
from pipeline.runner import run

GOLDEN = Path(__file__).parent / "data" / "golden"

pytestmark = pytest.mark.skipif(not (SHIPPED_MODEL_PATH / "config.cfg").exists(),
                                reason="needs the shipped model")


def _graphs(dataset: Dataset) -> dict[str, object]:
    return {str(g.identifier): g for g in dataset.graphs() if len(g)}


def test_small_article_graph_is_isomorphic_to_the_golden(tmp_path, shipped_nlp):
    result = run([GOLDEN / "breve.txt"], tmp_path, model=str(SHIPPED_MODEL_PATH))
    produced = Dataset()
    produced.parse(result.outputs["trig"], format="trig")
    golden_path = GOLDEN / "breve.trig"
    if os.environ.get("AEROKG_UPDATE_GOLDEN"):
        golden_path.write_bytes(result.outputs["trig"].read_bytes())
    golden = Dataset()
    golden.parse(golden_path, format="trig")
    got, want = _graphs(produced), _graphs(golden)
    assert sorted(got) == sorted(want)
    for name in want:
        if not isomorphic(got[name], want[name]):
            _, only_got, only_want = graph_diff(to_isomorphic(got[name]),
                                                to_isomorphic(want[name]))
            pytest.fail(f"graph {name} differs:\n+ {sorted(only_got)[:10]}\n"
                        f"- {sorted(only_want)[:10]}")
