"""Export stage, GEXF (``graph.gexf``): the property graph for Gephi.

Written by :func:`networkx.write_gexf` (GEXF 1.2draft, which Gephi reads). Three adjustments:

* GEXF reserves an edge's ``type`` for ``directed``/``undirected``/``mutual``, and networkx
  writes an edge attribute ``type`` there; so the edge attribute ``type`` (``role``,
  ``memberOf``, ...) is written as ``relation``. The node attribute ``type`` is unaffected.
  ``label`` is GEXF's own node and edge label; networkx reads it back as ``label``.
* strings that XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/FFFF) are
  removed (``property_graph.xml_safe_graph``): networkx would write them as they are, giving a
  file no XML parser reads.
* networkx stamps ``<meta lastmodifieddate="today">``; it is left out (it is optional) so that
  the same graph gives the same file on any day.

The MultiDiGraph edge key is written as the attribute ``networkx_key``, which
``networkx.read_gexf`` uses as the key again when the file has parallel edges (without them it
returns a ``DiGraph``).

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.MultiDiGraph()
>>> G.add_edge("a", "b", key="role-1", type="role", label="presidente")
'role-1'
>>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.gexf"
>>> write_gexf(G, path)
>>> H = nx.read_gexf(path)
>>> [(data["relation"], data["label"]) for _, _, data in H.edges(data=True)]
[('role', 'presidente')]
"""

from __future__ import annotations

import os
import re
from io import BytesIO

import networkx as nx

from pipeline.export.atomic import atomic_write
from pipeline.export.property_graph import xml_safe_graph

__all__ = ["EDGE_TYPE_ATTRIBUTE", "gexf_bytes", "write_gexf"]

#: The name under which the edge attribute ``type`` is written in GEXF.
EDGE_TYPE_ATTRIBUTE = "relation"

_LAST_MODIFIED = re.compile(rb' lastmodifieddate="[^"]*"')


def write_gexf(G: nx.MultiDiGraph, path: str | os.PathLike[str]) -> None:
    """Write ``G`` to ``path`` as GEXF 1.2 (UTF-8), atomically."""
    atomic_write(path, gexf_bytes(G))


def gexf_bytes(G: nx.MultiDiGraph) -> bytes:
    """The GEXF document that :func:`write_gexf` writes."""
    G = xml_safe_graph(G)
    H = nx.MultiDiGraph() if G.is_directed() else nx.MultiGraph()
    H.graph.update(G.graph)
    H.add_nodes_from(G.nodes(data=True))
    for u, v, key, data in G.edges(keys=True, data=True):
        renamed = {
            (EDGE_TYPE_ATTRIBUTE if name == "type" else name): value for name, value in data.items()
        }
        H.add_edge(u, v, key=key, **renamed)
    buffer = BytesIO()
    # no indentation: a third of the time for a 1,000-article graph, and no reader needs it
    nx.write_gexf(H, buffer, encoding="utf-8", prettyprint=False, version="1.2draft")
    return _LAST_MODIFIED.sub(b"", buffer.getvalue(), count=1)
