"""Output edge: check an output directory's graphs against the SHACL shapes in ontologies/.

Each article's named graph and the default (run) graph are validated separately, without
inference, exactly as ``ontologies/README.md`` describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph

from pipeline.mapping.vocab import SHAPES_PATH


class ValidationInputError(Exception):
    """OUT_DIR has no graph to validate, or it does not parse."""


@dataclass
class GraphReport:
    graph: str
    conforms: bool
    violations: int
    text: str = ""


@dataclass
class ValidationReport:
    graphs: list[GraphReport] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return all(g.conforms for g in self.graphs)


def load_dataset(out_dir: str | Path) -> Dataset:
    path = Path(out_dir) / "graph.trig"
    if not Path(out_dir).is_dir():
        raise ValidationInputError(f"{out_dir}: no such directory (run `aerokg run` first)")
    if not path.is_file():
        raise ValidationInputError(f"{path}: not found (run `aerokg run -o {out_dir}` first)")
    dataset = Dataset()
    try:
        dataset.parse(path, format="trig")
    except Exception as err:  # noqa: BLE001  (rdflib raises many parser error types)
        raise ValidationInputError(f"{path}: cannot parse TriG: {err}") from None
    return dataset


def validate_dataset(dataset: Dataset) -> ValidationReport:
    from pyshacl import validate

    shapes = Graph().parse(SHAPES_PATH)
    report = ValidationReport()
    graphs = sorted(dataset.graphs(), key=lambda g: str(g.identifier))
    for graph in graphs:
        if len(graph) == 0:
            continue
        plain = Graph()
        for triple in graph:
            plain.add(triple)
        conforms, results, text = validate(plain, shacl_graph=shapes, inference="none")
        from rdflib.namespace import SH

        violations = len(list(results.subjects(predicate=SH.resultSeverity)))
        report.graphs.append(GraphReport(str(graph.identifier), bool(conforms), violations,
                                         "" if conforms else text))
    return report


def validate_output(out_dir: str | Path) -> ValidationReport:
    return validate_dataset(load_dataset(out_dir))
