"""Per-article graph files: one N-Quads file per article, the durable unit of a run.

``aerokg run`` keeps, in ``OUT_DIR/.aerokg/graphs/``, one ``.nq`` file per article holding what
the mapping stage added for it (its named graph). The corpus outputs (``graph.ttl``,
``graph.trig``...) are rebuilt from these files, so an article is parsed by spaCy once and
reused by every later run until it, the model or aerokg changes.

Every read and write of these files goes through this module:

* :func:`graph_file_name` - the file name of an article id: a slug of the id plus a hash of
  the whole id, so it never leaves the folder (no ``/``, no leading dot, no ``..``), stays
  short, and two ids never share a file, whatever the ids are;
* :func:`nquads_bytes` - a dataset as N-Quads, lines sorted: the same triples give the same
  bytes;
* :func:`write_graph_file` - written atomically (temporary file in the same folder, fsync,
  ``os.replace``): a file is the old one or the complete new one, never half written;
* :func:`read_graph_file` / :func:`remove_graph_file` / :func:`graph_files`;
* :func:`fragment_bytes` / :func:`read_fragments`: beside each graph file, its property-graph
  fragment (``{slug}-{hash}.pg.json``, :func:`pipeline.export.property_graph.graph_fragment`
  of each of its graphs, made by the worker that mapped the article), so the GraphML, GEXF and
  Cytoscape exports of a corpus are merged from small JSON files instead of re-reading its
  RDF. A fragment names the sha256 of the graph file it was made from; one that does not
  match (or is missing, unreadable, of another format version) is made again from the graph.
* :func:`trig_chunk_bytes` / :func:`read_trig_chunk`: beside each graph file, its part of
  ``graph.trig`` (``{slug}-{hash}.trig``, :func:`pipeline.export.rdf.trig_chunk`), made with
  the graph and checked against its sha256 the same way, so that writing ``graph.trig`` is a
  concatenation and a re-run that changed one article serialises one article.

>>> graph_file_name("wn-001")
'wn-001-74a11b3ba12a08cf.nq'
>>> graph_file_name("../../etc/passwd")
'etc-passwd-3754d6cb3a38e118.nq'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.export.atomic import atomic_write

if TYPE_CHECKING:  # rdflib is imported only when a graph is read or written
    from rdflib import Dataset, Graph

__all__ = [
    "SUFFIX",
    "graph_file_name",
    "graph_files",
    "graph_names",
    "nquads_bytes",
    "read_graph_file",
    "remove_graph_file",
    "write_graph_file",
    "fragment_file_name",
    "fragment_bytes",
    "read_fragments",
    "trig_chunk_file_name",
    "trig_chunk_bytes",
    "read_trig_chunk",
]

SUFFIX = ".nq"
FRAGMENT_SUFFIX = ".pg.json"
TRIG_SUFFIX = ".trig"
#: Sidecar files beside a graph file, made from it (removed with it).
SIDECAR_SUFFIXES = (FRAGMENT_SUFFIX, TRIG_SUFFIX)
_TRIG_MAGIC = b"# aerokg trig-chunk 1 "
T = TypeVar("T")
_SLUG_CHARS = 48
_UNSAFE = re.compile(r"[^a-z0-9_]+")
_NAME = re.compile(r"^[a-z0-9_][a-z0-9_-]*-[0-9a-f]{16}\.nq$")


def graph_file_name(article_id: str) -> str:
    """``{slug}-{16 hex digits of sha256(id)}.nq``; the slug keeps ``a-z 0-9 _`` (lower case),
    other runs become ``-``, at most 48 characters; ``article`` when nothing is left."""
    digest = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:16]
    slug = _UNSAFE.sub("-", article_id.lower()).strip("-")[:_SLUG_CHARS].strip("-")
    return f"{slug or 'article'}-{digest}{SUFFIX}"


def _sidecar_name(graph_name: str, suffix: str) -> str:
    return graph_name[: -len(SUFFIX)] + suffix


def fragment_file_name(graph_name: str) -> str:
    """The property-graph fragment file beside graph file ``graph_name``."""
    return _sidecar_name(graph_name, FRAGMENT_SUFFIX)


def trig_chunk_file_name(graph_name: str) -> str:
    """The TriG chunk file beside graph file ``graph_name``."""
    return _sidecar_name(graph_name, TRIG_SUFFIX)


def _from_sidecar(side: Path, read: Callable[[bytes], T | None], make: Callable[[], bytes]) -> T:
    """What ``read`` finds in the sidecar file ``side`` (None: missing, stale or damaged);
    failing that, what it finds in ``make()``'s fresh bytes, which are saved for the next
    export (not in a read-only OUT_DIR: made again next time)."""
    try:
        found = read(side.read_bytes())
        if found is not None:
            return found
    except (OSError, ValueError, AttributeError):
        pass
    data = make()
    try:
        atomic_write(side, data)
    except OSError:
        pass
    found = read(data)
    assert found is not None, f"{side.name}: freshly made and unreadable"
    return found


def trig_chunk_bytes(nquads: bytes, graph_sha256: str) -> bytes:
    """The TriG chunk file of a graph file holding ``nquads`` (whose sha256 is
    ``graph_sha256``): a first line naming the hash and the counts, then the chunk."""
    from pipeline.export.rdf import trig_chunk

    chunk, quads, graphs = trig_chunk(nquads)
    return _TRIG_MAGIC + f"{graph_sha256} {quads} {graphs}\n".encode() + chunk


def read_trig_chunk(graph_path: str | os.PathLike[str],
                    graph_sha256: str) -> tuple[bytes, int, int]:
    """The part of ``graph.trig`` of the graph file at ``graph_path`` (whose sha256 is
    ``graph_sha256``) and its numbers of quads and named graphs: from its chunk file when that
    one matches, else made from the graph file and saved for the next export."""
    graph_path = Path(graph_path)

    def read(data: bytes) -> tuple[bytes, int, int] | None:
        head, _, chunk = data.partition(b"\n")
        if not head.startswith(_TRIG_MAGIC):
            return None
        sha, quads, graphs = head[len(_TRIG_MAGIC):].decode("ascii").split(" ")
        return (chunk, int(quads), int(graphs)) if sha == graph_sha256 else None

    return _from_sidecar(graph_path.with_name(trig_chunk_file_name(graph_path.name)), read,
                         lambda: trig_chunk_bytes(graph_path.read_bytes(), graph_sha256))


def fragment_bytes(fragments: list[dict], graph_sha256: str) -> bytes:
    """The fragment file of a graph file whose bytes hash to ``graph_sha256``."""
    from pipeline.export.property_graph import FRAGMENT_VERSION

    record = {"version": FRAGMENT_VERSION, "graph_sha256": graph_sha256, "fragments": fragments}
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def read_fragments(graph_path: str | os.PathLike[str], graph_sha256: str) -> list[dict]:
    """The property-graph fragments of the graph file at ``graph_path`` (whose sha256 is
    ``graph_sha256``): from its fragment file when that one matches, else computed from the
    graph file and saved for the next export."""
    from pipeline.export.property_graph import FRAGMENT_VERSION, graph_fragment

    graph_path = Path(graph_path)

    def read(data: bytes) -> list[dict] | None:
        record = json.loads(data)
        if (record.get("version") == FRAGMENT_VERSION
                and record.get("graph_sha256") == graph_sha256
                and isinstance(record.get("fragments"), list)):
            return record["fragments"]
        return None

    def make() -> bytes:
        from rdflib import Dataset

        dataset = Dataset()
        read_graph_file(graph_path, dataset)
        return fragment_bytes([graph_fragment(graph) for graph in dataset.graphs() if len(graph)],
                              graph_sha256)

    return _from_sidecar(graph_path.with_name(fragment_file_name(graph_path.name)), read, make)


def is_graph_file_name(name: str) -> bool:
    """Whether ``name`` has the form :func:`graph_file_name` gives (used before deleting)."""
    return bool(_NAME.match(name))


def nquads_bytes(graphs: Dataset | Graph) -> bytes:
    """The quads of ``graphs`` as N-Quads (UTF-8), one per line, lines sorted: the same
    triples give the same bytes. ``graphs`` is a ``Dataset`` (each of its graphs; the default
    graph's triples as triples) or one ``Graph``, whose triples go in the graph its identifier
    names (an article's graph, ``pipeline.mapping.rdf.article_graph``). pyoxigraph writes
    them (rdflib's N-Quads writer took three times as long).

    >>> from rdflib import Graph, Literal, URIRef
    >>> g = Graph(identifier=URIRef("https://example.org/g"))
    >>> _ = g.add((URIRef("https://example.org/s"), URIRef("https://example.org/p"),
    ...            Literal("Sì", lang="it")))
    >>> nquads_bytes(g).decode().splitlines()
    ['<https://example.org/s> <https://example.org/p> "Sì"@it <https://example.org/g> .']
    """
    return _sorted_nquads(_oxigraph_quads(graphs))


def graph_names(graphs: Dataset | Graph) -> list[str]:
    """The names of the graphs :func:`nquads_bytes` writes quads in, sorted (the default
    graph as ""): what :func:`pipeline.store.article_graph_names` reads back from those
    bytes, without parsing them.

    >>> from rdflib import Graph, Literal, URIRef
    >>> g = Graph(identifier=URIRef("https://example.org/g"))
    >>> graph_names(g)
    []
    >>> _ = g.add((URIRef("https://example.org/s"), URIRef("https://example.org/p"),
    ...            Literal("Sì", lang="it")))
    >>> graph_names(g)
    ['https://example.org/g']
    """
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    # not len(graph): rdflib's memory stores count their triples one by one
    return sorted({"" if graph.identifier == DATASET_DEFAULT_GRAPH_ID else str(graph.identifier)
                   for graph in _graphs_of(graphs) if next(iter(graph), None) is not None})


def _graphs_of(graphs: Dataset | Graph) -> list[Graph]:
    """Each graph of a ``Dataset``, or the one ``Graph``."""
    from rdflib import Dataset

    return list(graphs.graphs()) if isinstance(graphs, Dataset) else [graphs]


def triples_nquads(triples: Iterable[tuple[Any, Any, Any]]) -> bytes:
    """rdflib triples, in the default graph, as :func:`nquads_bytes` writes them, without an
    rdflib graph in between (the run's metadata: 4,000 triples for 1,000 articles, 0.01-0.02 s
    where building the rdflib graph and writing it took 0.08-0.17 s).

    >>> from rdflib import Literal, URIRef
    >>> triples_nquads([(URIRef("https://example.org/s"), URIRef("https://example.org/p"),
    ...                  Literal("Sì", lang="it"))]).decode().splitlines()
    ['<https://example.org/s> <https://example.org/p> "Sì"@it .']
    """
    from pyoxigraph import Quad

    term = _oxigraph_term()
    return _sorted_nquads(Quad(term(s), term(p), term(o)) for s, p, o in triples)


def _sorted_nquads(quads: Iterable[Any]) -> bytes:
    """pyoxigraph quads as N-Quads, lines sorted and once each: the same quads, the same
    bytes."""
    from pyoxigraph import RdfFormat, serialize

    text = serialize(quads, format=RdfFormat.N_QUADS)
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return b"".join(line + b"\n" for line in lines)


def _oxigraph_quads(graphs: Dataset | Graph) -> Iterator[Any]:
    """rdflib's triples of ``graphs`` as pyoxigraph quads (each term converted once)."""
    from pyoxigraph import DefaultGraph, Quad
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    term = _oxigraph_term()
    for graph in _graphs_of(graphs):
        name = graph.identifier
        graph_name = DefaultGraph() if name == DATASET_DEFAULT_GRAPH_ID else term(name)
        for s, p, o in graph:
            yield Quad(term(s), term(p), term(o), graph_name)


def _oxigraph_term() -> Callable[[Any], Any]:
    """A converter of rdflib terms to pyoxigraph's, each term converted once."""
    from pyoxigraph import BlankNode, Literal, NamedNode
    from rdflib import BNode, URIRef

    converted: dict[Any, Any] = {}

    def term(node: Any) -> Any:
        found = converted.get(node)
        if found is None:
            if isinstance(node, URIRef):
                found = NamedNode(node)
            elif isinstance(node, BNode):
                found = BlankNode(node)
            elif node.language is not None:
                found = Literal(node, language=node.language)
            elif node.datatype is not None:
                found = Literal(node, datatype=NamedNode(node.datatype))
            else:
                found = Literal(node)
            converted[node] = found
        return found

    return term


def write_graph_file(directory: str | os.PathLike[str], article_id: str,
                     dataset: Dataset) -> tuple[str, str]:
    """Write ``dataset`` (the article's graphs) to its file in ``directory``, atomically.

    Returns the file name and the sha256 of its bytes."""
    data = nquads_bytes(dataset)
    name = graph_file_name(article_id)
    atomic_write(Path(directory) / name, data)
    return name, hashlib.sha256(data).hexdigest()


def read_graph_file(path: str | os.PathLike[str], into: Dataset) -> None:
    """Add the quads of an article graph file to ``into``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        into.parse(str(path), format="nquads")


def remove_graph_file(directory: str | os.PathLike[str], name: str) -> bool:
    """Delete ``name`` from ``directory`` if it is a graph file name (and its sidecar files);
    True if the graph file was removed."""
    if not is_graph_file_name(name):
        return False
    for suffix in SIDECAR_SUFFIXES:
        try:
            os.unlink(Path(directory) / _sidecar_name(name, suffix))
        except FileNotFoundError:
            pass
    try:
        os.unlink(Path(directory) / name)
    except FileNotFoundError:
        return False
    return True


def stray_sidecar_files(directory: str | os.PathLike[str]) -> set[str]:
    """Sidecar files (fragments, TriG chunks) whose graph file is gone (left by a killed
    run)."""
    try:
        names = set(os.listdir(directory))
    except FileNotFoundError:
        return set()
    stray = set()
    for name in names:
        for suffix in SIDECAR_SUFFIXES:
            if name.endswith(suffix):
                graph = name[: -len(suffix)] + SUFFIX
                if is_graph_file_name(graph) and graph not in names:
                    stray.add(name)
    return stray


def graph_files(directory: str | os.PathLike[str]) -> set[str]:
    """Names of the graph files in ``directory`` (temporary files left out)."""
    try:
        return {name for name in os.listdir(directory) if is_graph_file_name(name)}
    except FileNotFoundError:
        return set()
