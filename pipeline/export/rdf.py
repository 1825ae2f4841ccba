"""Export stage, RDF files: the dataset as one Turtle graph (``graph.ttl``) and as TriG with a
named graph per article (``graph.trig``).

Both files are deterministic: the same triples give byte-identical files, whatever order they
were added in and whatever ``PYTHONHASHSEED`` is. rdflib's Turtle serializer already sorts
subjects, predicates and objects, but it walks the store in insertion order (ties between
literals that compare equal, e.g. ``"1.0"`` and ``"1.00"`` as decimals, keep that order), and
its TriG serializer writes the graphs in the order of a ``set`` (hash order). So the triples are
first copied, sorted by their N-Triples form, into a fresh store that binds exactly the
prefixes of :data:`pipeline.mapping.vocab.PREFIXES` (rdflib writes those that are used), and
the TriG graphs are written default graph first, then named graphs by IRI.

Literals keep their exact lexical form. rdflib writes numbers and booleans in Turtle's short
form, which for some changes the term: ``"9000000"^^xsd:decimal`` would come back as
``9000000.0`` and ``"1.5"^^xsd:double`` as ``1.5e+00``. Such literals are written in full
(``"9000000"^^xsd:decimal``); the others keep the short form (``0.85``, ``503``).

Blank nodes are written as they are; their labels, and so the bytes, may differ between runs
(aerokg's graphs have none: every node has an IRI from ``vocab``).

>>> from rdflib import Dataset, Literal
>>> from pipeline.mapping.vocab import SKOS, entity_iri, graph_iri
>>> ds = Dataset()
>>> milano = entity_iri("place/milano")
>>> _ = ds.graph(graph_iri("a1")).add((milano, SKOS.prefLabel, Literal("Milano")))
>>> print(turtle_bytes(ds).decode())
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<BLANKLINE>
<https://w3id.org/aerokg/id/place/milano> skos:prefLabel "Milano" .
<BLANKLINE>
<BLANKLINE>
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from io import BytesIO
from typing import Any

from pyoxigraph import RdfFormat
from rdflib import Dataset, Graph, Literal
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import NamespaceManager
from rdflib.plugins.serializers.trig import TrigSerializer
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node

from pipeline.export.atomic import atomic_output, atomic_write
from pipeline.mapping.vocab import PREFIXES

__all__ = ["stream_trig", "stream_turtle", "trig_chunk", "triple_lines", "turtle_bytes",
           "trig_bytes", "write_turtle", "write_trig"]


def write_turtle(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Write the union of all graphs of ``dataset`` (default and named) to ``path`` as one
    Turtle graph, atomically. A triple in several graphs is written once."""
    atomic_write(path, turtle_bytes(dataset))


def write_trig(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Write ``dataset`` to ``path`` as TriG, atomically: the default graph (the run) as a
    ``{ ... }`` block first, then one ``<graph/{id}> { ... }`` block per named graph (article),
    by graph IRI. Empty graphs are left out, as in any TriG serialisation."""
    atomic_write(path, trig_bytes(dataset))


def turtle_bytes(dataset: Dataset) -> bytes:
    """The Turtle text (UTF-8) that :func:`write_turtle` writes."""
    union = Graph(bind_namespaces="none")
    _bind_prefixes(union)
    for triple in sorted(
        {quad[:3] for quad in dataset.quads((None, None, None, None))}, key=_nt_key
    ):
        union.add(triple)
    buffer = BytesIO()
    _ExactTurtleSerializer(union).serialize(buffer, encoding="utf-8")
    return buffer.getvalue()


def trig_bytes(dataset: Dataset) -> bytes:
    """The TriG text (UTF-8) that :func:`write_trig` writes."""
    by_graph: dict[Node, set[tuple[Node, Node, Node]]] = {}
    for s, p, o, g in dataset.quads((None, None, None, None)):
        by_graph.setdefault(DATASET_DEFAULT_GRAPH_ID if g is None else g, set()).add((s, p, o))
    out = Dataset()
    out.namespace_manager = NamespaceManager(out, bind_namespaces="none")
    _bind_prefixes(out)
    for name in sorted(by_graph, key=_graph_order):
        graph = out.default_graph if name == DATASET_DEFAULT_GRAPH_ID else out.graph(name)
        for triple in sorted(by_graph[name], key=_nt_key):
            graph.add(triple)
    buffer = BytesIO()
    _SortedTrigSerializer(out).serialize(buffer, encoding="utf-8")
    return buffer.getvalue()


class _ExactLiteralsMixin:
    """Writes a literal in full when Turtle's short form would change its lexical form."""

    def label(self, node: Any, position: int) -> str:
        text: str = super().label(node, position)  # type: ignore[misc]
        if isinstance(node, Literal) and node.datatype is not None and not text.startswith('"'):
            if text != str(node):
                get_pname = self.get_pname  # type: ignore[attr-defined]
                return node._literal_n3(
                    use_plain=False, qname_callback=lambda dt: get_pname(dt, False)
                )
        return text


class _ExactTurtleSerializer(_ExactLiteralsMixin, TurtleSerializer):
    """rdflib's Turtle serializer, keeping literals exact."""


class _SortedTrigSerializer(_ExactLiteralsMixin, TrigSerializer):
    """rdflib's TriG serializer keeping literals exact, with the graphs in a fixed order
    (rdflib takes them from a set)."""

    def __init__(self, store: Any) -> None:
        with warnings.catch_warnings():
            # rdflib 7.6's TrigSerializer calls Dataset.contexts/default_context, which rdflib
            # itself deprecates; nothing the caller can act on.
            warnings.simplefilter("ignore", DeprecationWarning)
            super().__init__(store)
        unique = {context.identifier: context for context in self.contexts}
        self.contexts = [unique[name] for name in sorted(unique, key=_graph_order)]


def _bind_prefixes(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def _nt_key(triple: tuple[Node, Node, Node]) -> tuple[str, str, str]:
    return (triple[0].n3(), triple[1].n3(), triple[2].n3())


def _graph_order(name: Node) -> tuple[bool, str]:
    return (name != DATASET_DEFAULT_GRAPH_ID, name.n3())


# -- streamed from the per-article graph files (pyoxigraph) -------------------------------------
# Not from the Oxigraph store: it keeps literals in canonical form (xsd:nonNegativeInteger
# becomes xsd:integer, "1.50" becomes "1.5"), and the files must keep the mapping's terms.


def _store_prefixes() -> dict[str, str]:
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def trig_chunk(nquads: bytes) -> tuple[bytes, int, int]:
    """One article graph file's part of ``graph.trig``: its quads as TriG (``<graph> { ... }``)
    without the ``@prefix`` lines, which :func:`stream_trig` writes once at the top; and the
    numbers of quads and named graphs in it. The chunks of a corpus, concatenated after the
    prefixes and the default graph, are byte for byte the file pyoxigraph writes for all the
    quads in one go (a test holds this), so each article's chunk is made once, when its graph
    is, and a re-run only concatenates."""
    from pyoxigraph import parse, serialize

    quads, graphs = 0, set()

    def counted() -> Iterator[Any]:
        nonlocal quads
        for quad in parse(nquads, RdfFormat.N_QUADS):
            quads += 1
            graphs.add(quad.graph_name)
            yield quad

    text = serialize(counted(), None, RdfFormat.TRIG, prefixes=_store_prefixes())
    return _without_prefixes(text), quads, len(graphs)


def _without_prefixes(trig: bytes) -> bytes:
    """``trig`` without its leading ``@prefix`` lines (pyoxigraph writes them first)."""
    start = 0
    while trig.startswith(b"@prefix ", start):
        start = trig.index(b"\n", start) + 1
    return trig[start:]


def stream_trig(run_nquads: bytes, chunks: Iterable[tuple[bytes, int, int]],
                path: str | os.PathLike[str]) -> dict[str, int]:
    """``graph.trig``: the prefixes and the default graph (the run, ``run_nquads``), then the
    :func:`trig_chunk` of each article graph file, in the order given (one graph per file,
    lines sorted: :func:`pipeline.article_graphs.nquads_bytes`). Returns the counts of quads
    and named graphs. Memory: one chunk at a time."""
    from pyoxigraph import parse, serialize

    counts = {"quads": 0, "named_graphs": 0}

    def run_quads() -> Iterator[Any]:
        for quad in parse(run_nquads, RdfFormat.N_QUADS):
            counts["quads"] += 1
            yield quad

    with atomic_output(path, "wb") as out:
        serialize(run_quads(), out, RdfFormat.TRIG, prefixes=_store_prefixes())
        for chunk, quads, graphs in chunks:
            out.write(chunk)
            counts["quads"] += quads
            counts["named_graphs"] += graphs
    return counts


def triple_lines(nquads: bytes) -> list[bytes]:
    """The N-Triples lines of an N-Quads document whose quads are all in one named graph
    (an article graph file): each line with its graph term cut off, no parsing. Anything
    else (several graphs, the default graph) is parsed and written out by pyoxigraph."""
    from pyoxigraph import NamedNode, parse

    lines = nquads.splitlines(keepends=True)
    if not lines:
        return []
    first = next(iter(parse(lines[0], RdfFormat.N_QUADS)), None)
    if first is not None and isinstance(first.graph_name, NamedNode):
        tail = f" {first.graph_name} .\n".encode()
        if all(line.endswith(tail) for line in lines):
            return [line[: -len(tail)] + b" .\n" for line in lines]
    return [f"{quad.triple} .\n".encode() for quad in parse(nquads, RdfFormat.N_QUADS)]


def stream_turtle(run_nquads: bytes, graph_files: Iterable[str | os.PathLike[str]],
                  path: str | os.PathLike[str],
                  index_path: str | os.PathLike[str] | None = None) -> int:
    """``graph.ttl`` streamed: the union of the triples of ``run_nquads`` and ``graph_files``,
    each triple once, in N-Triples order (an external ``sort -u``: memory does not grow with
    the corpus), serialised by pyoxigraph with the prefixes of ``PREFIXES``. Returns the
    number of triples. ``index_path``: where to write the
    :class:`~pipeline.export.turtle_patch.TurtleIndex` of the file, which lets the next export
    patch it (:func:`~pipeline.export.turtle_patch.patch_turtle`)."""
    import hashlib
    import subprocess
    import tempfile
    from collections import Counter

    from pyoxigraph import parse, serialize

    from pipeline.export.turtle_patch import TurtleIndex, line_chunks, subjects_of

    run_subjects: set[bytes] = set()
    file_subjects: dict[str, tuple[str, set]] = {}
    with tempfile.TemporaryDirectory(prefix="aerokg-ttl-", dir=os.path.dirname(path) or ".") \
            as tmp:
        lines = os.path.join(tmp, "triples.nt")
        with open(lines, "wb") as out:
            run_lines = triple_lines(run_nquads)
            out.writelines(run_lines)
            for source in graph_files:
                with open(source, "rb") as graph_file:
                    data = graph_file.read()
                file_lines = triple_lines(data)
                out.writelines(file_lines)
                if index_path is not None:
                    file_subjects[os.path.basename(source)] = (
                        hashlib.sha256(data).hexdigest(),
                        set(subjects_of(b"".join(file_lines))))
            if index_path is not None:
                run_subjects = set(subjects_of(b"".join(run_lines)))
        unique = os.path.join(tmp, "unique.nt")
        subprocess.run(["sort", "-u", "-S", "64M", "-T", tmp, "-o", unique, lines], check=True,
                       env={**os.environ, "LC_ALL": "C"})
        os.unlink(lines)
        with atomic_output(path, "wb") as out:
            # the parser's iterator straight into the serialiser: no Python frame per triple
            serialize(parse(path=unique, format=RdfFormat.N_TRIPLES), out, RdfFormat.TURTLE,
                      prefixes=_store_prefixes())
        count, counts = 0, Counter()
        for chunk in line_chunks(unique):  # a few MB at a time: memory stays flat
            count += chunk.count(b"\n")  # one triple per line
            if index_path is not None:
                counts.update(subjects_of(chunk))
        if index_path is not None:
            TurtleIndex.build(path, run_subjects, file_subjects, counts).write(index_path)
    return count
