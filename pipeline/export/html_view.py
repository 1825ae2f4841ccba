"""Export stage, interactive view (``graph.html``): the property graph as one web page to open
straight from disk, offline: no server, no CDN, nothing fetched.

The page holds everything it needs: the vis-network library (its standalone build, read at
run time from the files of the ``pyvis`` package, which ships it: no third-party code is kept
in this repository), the graph as JSON, and the page's own CSS and JavaScript
(``html_assets.py``). It shows:

* entities as nodes, coloured and shaped by ``type`` (``layout.TYPE_STYLES``, with a legend
  that is also a filter), sized by the number of articles mentioning them or by their degree
  (a switch; by default mentions when the graph spans several articles), relations as arrows
  labelled with the edge ``label``; parallel edges (the same pair in several articles) bend
  apart;
* a search box (names and other names, accents and case ignored) that selects and centres an
  entity; filters by type, relation and article, and "only connected entities";
* a side panel: for an entity its class, type, other names, roles, date, quoted text, the
  articles mentioning it (linked to the source when ``sources`` has a URL for the article id)
  and every relation it takes part in; for a relation its type and label, its two ends, its
  article, the evidence sentence(s) (``evidence`` split on ``" | "``, the two ends' names
  marked) and its confidence.

It stays usable at thousands of nodes: positions are computed here
(:func:`pipeline.export.layout.graph_layout`, the layout of ``graph.png`` too) and the page
draws them without any physics simulation; labels are drawn only when large enough to read,
and edges are hidden while dragging or zooming a big graph.

Safe whatever the names contain (``</script>``, quotes, markup, emoji): strings go through
``property_graph.xml_safe_graph`` first, the JSON is written with ``<``, ``>`` and ``&``
escaped (it cannot end its ``<script>`` element), the page puts every string in the DOM as
text (never as markup), links only ``http(s)`` URLs, and a Content-Security-Policy lets run
only the page's two scripts (by hash) and fetch nothing.

The same graph gives the same file (no date in it).

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.MultiDiGraph()
>>> G.add_node("p", label="Angelo Vallerani", type="Person", articles="a1")
>>> G.add_node("o", label="Lombardia Aerospace Cluster", type="Organization", articles="a1")
>>> G.add_edge("p", "o", type="role", label="presidente", article="a1")
0
>>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.html"
>>> write_html(G, path, title="Prova", sources={"a1": "https://example.org/a1"})
>>> text = path.read_text(encoding="utf-8")
>>> "<title>Prova</title>" in text and "https://example.org/a1" in text
True
>>> [n["label"] for n in graph_payload(G)["nodes"]]
['Angelo Vallerani', 'Lombardia Aerospace Cluster']
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

import pipeline
from pipeline.export.atomic import atomic_write
from pipeline.export.html_assets import APP_JS, PAGE_CSS, PAGE_TEMPLATE
from pipeline.export.layout import LAYOUT_SEED, OTHER_STYLE, TYPE_STYLES, graph_layout, style_of
from pipeline.export.property_graph import xml_safe_graph

if TYPE_CHECKING:  # rdflib is needed only by article_sources / article_titles
    from rdflib import Dataset

__all__ = [
    "FILE_NAME",
    "RELATION_NAMES",
    "UNIT_PX",
    "article_sources",
    "article_titles",
    "graph_payload",
    "html_text",
    "vis_network_js",
    "write_html",
]

#: The file name in a run's output directory.
FILE_NAME = "graph.html"

#: Pixels per layout unit (about one relation's length) in the page.
UNIT_PX = 130

#: Edge ``type`` -> the name the filters show.
RELATION_NAMES: dict[str, str] = {
    "role": "role",
    "memberOf": "member of",
    "location": "located in",
    "containedInPlace": "inside",
    "partnerOf": "partner of",
    "organizer": "organiser",
    "sponsor": "sponsor",
    "participant": "participant",
    "visitor": "visitor",
    "host": "host",
    "speaker": "speaker",
    "trade_flow": "trade flow",
    "quote": "quote",
}

DEFAULT_TITLE = "aerokg knowledge graph"

_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def write_html(
    G: nx.MultiDiGraph,
    path: str | os.PathLike[str],
    *,
    title: str = DEFAULT_TITLE,
    sources: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    seed: int = LAYOUT_SEED,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
) -> None:
    """Write the interactive view of ``G`` to ``path`` (UTF-8), atomically.

    ``sources`` maps an article id to the URL of the article (see :func:`article_sources`),
    ``titles`` to its headline (:func:`article_titles`); articles without one are shown by id
    and without a link. ``seed`` is the layout's; ``positions`` (node -> (x, y) from
    :func:`~pipeline.export.layout.graph_layout`) skips computing it again, e.g. when
    ``graph.png`` is drawn too."""
    atomic_write(path, html_text(G, title=title, sources=sources, titles=titles, seed=seed,
                                 positions=positions))


def html_text(
    G: nx.MultiDiGraph,
    *,
    title: str = DEFAULT_TITLE,
    sources: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    seed: int = LAYOUT_SEED,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
) -> str:
    """The page :func:`write_html` writes."""
    payload = graph_payload(G, title=title, sources=sources, titles=titles, seed=seed,
                            positions=positions)
    data = _script_json(payload)
    vis = vis_network_js()
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_sha256_source(vis)} {_sha256_source(APP_JS)}",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    replacements = {
        "{{CSP}}": html.escape(csp),
        "{{VERSION}}": html.escape(pipeline.__version__),
        "{{TITLE}}": html.escape(title),
        "{{CSS}}": PAGE_CSS,
        "{{DATA}}": data,
        "{{VIS_JS}}": vis,
        "{{APP_JS}}": APP_JS,
    }
    return re.sub(r"\{\{[A-Z_]+\}\}", lambda m: replacements[m.group(0)], PAGE_TEMPLATE)


def graph_payload(
    G: nx.MultiDiGraph,
    *,
    title: str = DEFAULT_TITLE,
    sources: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    seed: int = LAYOUT_SEED,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """The JSON the page reads: ``nodes`` and ``edges`` (ids ``n0``, ``e0``..., in the order
    of ``G``; empty attributes left out), ``types``, ``relations`` and ``articles`` (for the
    filters and the legend) and ``meta``."""
    G = xml_safe_graph(G)
    sources = sources or {}
    titles = titles or {}
    if positions is None or any(node not in positions for node in G):
        positions = graph_layout(G, seed=seed)
    ids = {node: f"n{index}" for index, node in enumerate(G)}
    degree = dict(G.degree())

    nodes = []
    for node, data in G.nodes(data=True):
        x, y = positions[node]
        label = _text(data.get("label")).strip() or _text(data.get("iri")) or str(node)
        entry: dict[str, Any] = {
            "id": ids[node],
            "label": label,
            "type": _text(data.get("type")),
            "class": _text(data.get("class")),
            "iri": _text(data.get("iri")) or str(node),
            "articles": _split(data.get("articles")),
            "alt": [a for a in _split(data.get("alt_labels")) if a != label],
            "roles": _split(data.get("roles")),
            "also": _split(data.get("also_type")),
            "date": _text(data.get("date")),
            "text": _text(data.get("text")),
            "confidence": _number(data.get("confidence")),
            "degree": degree[node],
            "x": round(x * UNIT_PX, 1),
            "y": round(-y * UNIT_PX, 1),  # the page's y grows downwards
        }
        nodes.append(_compact(entry, keep=("id", "label", "type", "articles", "x", "y")))

    edges = []
    bends = _bends(G)
    for index, (u, v, data) in enumerate(G.edges(data=True)):
        entry = {
            "id": f"e{index}",
            "from": ids[u],
            "to": ids[v],
            "type": _text(data.get("type")),
            "label": _text(data.get("label")).strip(),
            "article": _text(data.get("article")),
            "evidence": [s.strip() for s in _text(data.get("evidence")).split(" | ") if s.strip()],
            "confidence": _number(data.get("confidence")),
            "fact": _text(data.get("fact")),
            "role": _text(data.get("role")),
            "value": _number(data.get("value")),
            "currency": _text(data.get("currency")),
            "year": _text(data.get("year")),
            "sector": _text(data.get("sector")),
            "bend": bends[index],
        }
        edges.append(_compact(entry, keep=("id", "from", "to", "type")))

    article_ids = sorted(
        {a for n in nodes for a in n["articles"]} | {e["article"] for e in edges if "article" in e}
    )
    node_counts = Counter(a for n in nodes for a in n["articles"])
    edge_counts = Counter(e.get("article", "") for e in edges)
    articles = []
    for article in article_ids:
        entry = {"id": article, "nodes": node_counts[article], "edges": edge_counts[article]}
        url = _text(sources.get(article)).strip()
        if _URL.match(url):
            entry["url"] = url
        if _text(titles.get(article)).strip():
            entry["title"] = _text(titles.get(article)).strip()
        articles.append(entry)

    type_counts = Counter(n["type"] for n in nodes)
    types = []
    for name in [*TYPE_STYLES, *sorted(t for t in type_counts if t not in TYPE_STYLES)]:
        if type_counts.get(name):
            style = style_of(name)
            types.append({"name": name or "other", "key": name, "color": style.color,
                          "shape": style.vis_shape, "count": type_counts[name]})

    relation_counts = Counter(e["type"] for e in edges)
    relations = [
        {"type": name, "name": RELATION_NAMES.get(name, name or "other"), "count": count}
        for name, count in sorted(relation_counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return {
        "meta": {
            "title": title,
            "version": pipeline.__version__,
            "sizeBy": "mentions" if len(article_ids) > 1 else "degree",
            "other": {"color": OTHER_STYLE.color, "shape": OTHER_STYLE.vis_shape},
        },
        "types": types,
        "relations": relations,
        "articles": articles,
        "nodes": nodes,
        "edges": edges,
    }


def article_sources(dataset: Dataset) -> dict[str, str]:
    """Article id -> its URL (``schema:url`` of the ``schema:NewsArticle`` whose
    ``dcterms:identifier`` is the id), for the articles of ``dataset`` that have one."""
    return _article_values(dataset, "url")


def article_titles(dataset: Dataset) -> dict[str, str]:
    """Article id -> its headline (``schema:headline``), for the articles that have one."""
    return _article_values(dataset, "headline")


def _article_values(dataset: Dataset, name: str) -> dict[str, str]:
    from pipeline.mapping.vocab import DCTERMS, RDF, SCHEMA

    values: dict[str, str] = {}
    for graph in dataset.graphs():
        for article in graph.subjects(RDF.type, SCHEMA.NewsArticle):
            found = sorted(str(value) for value in graph.objects(article, SCHEMA[name]))
            if not found:
                continue
            for identifier in graph.objects(article, DCTERMS.identifier):
                values.setdefault(str(identifier), found[0])
    return dict(sorted(values.items()))


@lru_cache(maxsize=1)
def vis_network_js() -> str:
    """vis-network's standalone build, as the installed ``pyvis`` package ships it (the newest
    ``lib/vis-*/vis-network.min.js``), without its source-map comment."""
    spec = importlib.util.find_spec("pyvis")  # finds the package without importing it
    folders = list(spec.submodule_search_locations or []) if spec else []
    candidates = [
        path for folder in folders for path in Path(folder).glob("lib/vis-*/vis-network.min.js")
    ]
    if not candidates:
        raise RuntimeError(
            "graph.html needs vis-network, which the pyvis package ships: "
            "pip install 'pyvis>=0.3.2'"
        )

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    script = max(candidates, key=version).read_text(encoding="utf-8")
    script = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", script)
    if re.search(r"</script|<!--", script, re.IGNORECASE):  # cannot be inlined as it is
        raise RuntimeError("the vis-network build contains '</script' or '<!--'")
    return script


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if number == number and abs(number) != float("inf") else 0.0


def _split(value: object) -> list[str]:
    seen: dict[str, None] = {}
    for part in _text(value).split(";"):
        if part.strip():
            seen.setdefault(part.strip())
    return list(seen)


def _compact(entry: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    """``entry`` without its empty values (``""``, ``[]``, ``0.0``, ``None``), but ``keep``."""
    return {k: v for k, v in entry.items() if k in keep or v not in ("", [], 0.0, None)}


def _bends(G: nx.MultiDiGraph) -> list[float]:
    """Per edge, in order: 0 for the first edge between two nodes, then +-0.2, +-0.4... for
    the parallel ones (either direction), signed so that they bend to alternate sides."""
    seen: dict[frozenset[Hashable], int] = defaultdict(int)
    order = {node: index for index, node in enumerate(G)}
    bends = []
    for u, v in G.edges():
        pair = frozenset((u, v))
        index = seen[pair]
        seen[pair] += 1
        bend = 0.0 if index == 0 else 0.2 * ((index + 1) // 2) * (1 if index % 2 else -1)
        # vis bends clockwise from source to target: flip for the reverse direction
        if order[u] > order[v]:
            bend = -bend
        bends.append(round(bend, 2))
    return bends


def _script_json(payload: object) -> str:
    """JSON that cannot end or comment out its ``<script>`` element."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _sha256_source(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
