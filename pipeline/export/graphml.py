"""Export stage, GraphML (``graph.graphml``): the property graph for yEd, Gephi and Cytoscape.

Written by :func:`networkx.write_graphml` with ``named_key_ids=True``, so a ``<key>``'s id is
the attribute's name (``<key id="label" for="node" ...>``), which is what Cytoscape shows as the
column name instead of ``d0``, ``d1``. networkx gives a node key and an edge key of the same
name (``label``, ``type``, ``confidence``) the same id, which the GraphML schema forbids
(``key_id_key``: key ids are unique in a document) and which readers that look keys up by id
alone can confuse; such edge keys are renamed ``edge_label``, ``edge_type``, ... The
``attr.name`` stays ``label``, so ``networkx.read_graphml`` gives back the same attribute names.

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
import xml.etree.ElementTree as ET
from io import BytesIO

import networkx as nx

from pipeline.export.atomic import atomic_write
from pipeline.export.property_graph import xml_safe_graph

__all__ = ["graphml_bytes", "write_graphml"]

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def write_graphml(G: nx.Graph, path: str | os.PathLike[str]) -> None:
    """Write ``G`` to ``path`` as GraphML (UTF-8), atomically."""
    atomic_write(path, graphml_bytes(G))


def graphml_bytes(G: nx.Graph) -> bytes:
    """The GraphML document that :func:`write_graphml` writes."""
    buffer = BytesIO()
    nx.write_graphml(
        xml_safe_graph(G), buffer, encoding="utf-8", prettyprint=True, named_key_ids=True
    )
    return _unique_key_ids(buffer.getvalue())


def _unique_key_ids(document: bytes) -> bytes:
    """Rename edge ``<key>``s whose id is also a node/graph key's id, and their ``<data>``."""
    root = ET.fromstring(document)
    keys = root.findall(f"{{{GRAPHML_NS}}}key")
    used = {key.get("id") for key in keys}
    taken = {key.get("id") for key in keys if key.get("for") != "edge"}
    renamed: dict[str, str] = {}
    for key in keys:
        old = key.get("id") or ""
        if key.get("for") == "edge" and old in taken:
            new = f"edge_{old}"
            while new in used:
                new = f"edge_{new}"
            used.add(new)
            renamed[old] = new
            key.set("id", new)
    if not renamed:
        return document
    for edge in root.iter(f"{{{GRAPHML_NS}}}edge"):
        for data in edge.findall(f"{{{GRAPHML_NS}}}data"):
            if data.get("key") in renamed:
                data.set("key", renamed[data.get("key") or ""])
    # ElementTree's default_namespace= rejects unqualified attributes (id, for, ...), so GraphML
    # is registered as the default namespace instead (process-wide, as networkx does for GEXF).
    ET.register_namespace("", GRAPHML_NS)
    text = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text if text.endswith(b"\n") else text + b"\n"
