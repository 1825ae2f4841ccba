"""Export stage, GraphML (``graph.graphml``): the property graph for yEd, Gephi and Cytoscape.

Written by :func:`networkx.write_graphml` (its lxml writer, which streams; no indentation), then
each ``<key>``'s id is set to the attribute's name (``<key id="label" for="node" ...>``), which
is what Cytoscape shows as the column name instead of ``d0``, ``d1``. A node key and an edge key
of the same name (``label``, ``type``, ``confidence``) cannot share an id (the GraphML schema's
``key_id_key``: key ids are unique in a document, and readers that look keys up by id alone
would confuse them), so such edge keys become ``edge_label``, ``edge_type``, ... The
``attr.name`` stays ``label``, so ``networkx.read_graphml`` gives back the same attribute names.
(networkx's own ``named_key_ids=True`` gives both the same id, and needs the document parsed
again to fix: 4 s of the 5 s a 1,000-article graph took.)

Strings that XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/FFFF) are
removed first (``property_graph.xml_safe_graph``): networkx would write them as they are, giving a
file no XML parser reads.

Node ids are IRIs. The GraphML schema types ids as ``xs:NMTOKEN``, which ``/`` and ``#`` are
not; networkx, Gephi, Cytoscape and yEd read them all the same (they do not validate).

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://w3id.org/aerokg/id/place/milano", label="Milano", type="Place")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.graphml"
>>> write_graphml(G, path)
>>> nx.read_graphml(path).nodes["https://w3id.org/aerokg/id/place/milano"]["label"]
'Milano'
"""

from __future__ import annotations

import os
import re
from io import BytesIO

import networkx as nx

from pipeline.export.atomic import atomic_write
from pipeline.export.property_graph import xml_safe_graph

__all__ = ["graphml_bytes", "write_graphml"]

def write_graphml(G: nx.Graph, path: str | os.PathLike[str]) -> None:
    """Write ``G`` to ``path`` as GraphML (UTF-8), atomically."""
    atomic_write(path, graphml_bytes(G))


def graphml_bytes(G: nx.Graph) -> bytes:
    """The GraphML document that :func:`write_graphml` writes."""
    buffer = BytesIO()
    nx.write_graphml(
        xml_safe_graph(G), buffer, encoding="utf-8", prettyprint=False, named_key_ids=False
    )
    document = _named_key_ids(buffer.getvalue())
    return document if document.endswith(b"\n") else document + b"\n"


_KEY = re.compile(rb'<key id="(d[0-9]+)" for="([a-z]+)" attr\.name="([^"]*)"')
_DATA_KEY = re.compile(rb'<data key="(d[0-9]+)"')


def _named_key_ids(document: bytes) -> bytes:
    """Give every ``<key>`` (and the ``<data>`` that refer to it) its attribute name as id;
    edge keys whose name a node or graph key already has get ``edge_`` in front."""
    keys = _KEY.findall(document)
    used = {name for _, scope, name in keys if scope != b"edge"}
    ids: dict[bytes, bytes] = {}
    for old, scope, name in keys:
        new = name
        if scope == b"edge":
            while new in used:
                new = b"edge_" + new
            used.add(new)
        ids[old] = new
    if not ids:
        return document
    document = _KEY.sub(lambda m: b'<key id="%s" for="%s" attr.name="%s"' % (
        ids[m.group(1)], m.group(2), m.group(3)), document)
    return _DATA_KEY.sub(lambda m: b'<data key="%s"' % ids[m.group(1)], document)
