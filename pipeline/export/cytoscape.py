"""Export stage, Cytoscape JSON (``graph.cyjs``): the property graph for Cytoscape and
Cytoscape.js.

:func:`networkx.cytoscape_data` with ``name="label"``: each node's ``data`` has every node
attribute plus ``id`` (the IRI), ``value`` (the IRI) and ``name`` (the label, which Cytoscape
shows); each edge's ``data`` has every edge attribute plus ``source``, ``target`` and ``key``.
UTF-8, keys sorted, one node or edge a line, so the file is deterministic and diffs well (and
is written by the json module's C encoder: an indented dump goes through its pure-Python one,
five times slower). Strings go through
``property_graph.xml_safe_graph`` first, as for GraphML and GEXF (same labels in every file;
a lone surrogate could not be written as UTF-8 at all).

>>> import json, networkx as nx, tempfile, pathlib
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://w3id.org/aerokg/id/place/milano", label="Milano")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.cyjs"
>>> write_cyjs(G, path)
>>> json.loads(path.read_text(encoding="utf-8"))["elements"]["nodes"][0]["data"]["name"]
'Milano'
"""

from __future__ import annotations

import json
import os
from functools import partial

import networkx as nx

from pipeline.export.atomic import atomic_write
from pipeline.export.property_graph import xml_safe_graph

__all__ = ["cyjs_text", "write_cyjs"]


def write_cyjs(G: nx.Graph, path: str | os.PathLike[str]) -> None:
    """Write ``G`` to ``path`` as Cytoscape JSON (UTF-8), atomically."""
    atomic_write(path, cyjs_text(G))


def cyjs_text(G: nx.Graph) -> str:
    """The JSON text that :func:`write_cyjs` writes (read it back with
    ``networkx.cytoscape_graph(json.loads(text), name="label")``).

    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("a", "b", key="k")
    'k'
    >>> print(cyjs_text(G))  # doctest: +NORMALIZE_WHITESPACE
    {
      "data": [],
      "directed": true,
      "elements": {
        "edges": [
          {"data": {"key": "k", "source": "a", "target": "b"}}
        ],
        "nodes": [
          {"data": {"id": "a", "name": "a", "value": "a"}},
          {"data": {"id": "b", "name": "b", "value": "b"}}
        ]
      },
      "multigraph": true
    }
    """
    data = nx.cytoscape_data(xml_safe_graph(G), name="label", ident="id")
    encode = partial(json.dumps, ensure_ascii=False, sort_keys=True)
    members = []
    for name in sorted(data):
        if name == "elements" and isinstance(data[name], dict):
            groups = []
            for group in sorted(data[name]):
                items = data[name][group]
                body = ",\n".join(f"      {encode(item)}" for item in items)
                groups.append(f"    {encode(group)}: [\n{body}\n    ]" if items
                              else f"    {encode(group)}: []")
            members.append('  "elements": {\n' + ",\n".join(groups) + "\n  }")
        else:
            members.append(f"  {encode(name)}: {encode(data[name])}")
    return "{\n" + ",\n".join(members) + "\n}\n"
