"""Export stage, layout: where each entity sits in ``graph.html`` and ``graph.png``, and the
colour and shape of each node type, so that the page and the picture look alike.

:func:`graph_layout` places the nodes of a property graph (``property_graph.py``) in the plane,
deterministically for a given seed, in layout units where a relation is about one unit long:

* each connected component (directions and parallel edges ignored) is laid out on its own: a
  component of fewer than LARGE_COMPONENT nodes by :func:`networkx.spring_layout`
  (Fruchterman-Reingold, seeded); a larger one by :func:`_force_layout`, the same forces with
  the repulsion cut off beyond a few units (neighbours found in a grid, :func:`close_pairs`),
  which takes a second or two for 2,000 nodes where networkx's sparse variant takes tens of
  seconds;
* in a graph of at most LABEL_ROOM nodes, each node is taken as the box of its label (at
  LABEL_CHAR_WIDTH units a character): within a component, nodes whose labels would overlap
  are pushed apart, the least distance that separates them, so that names can be read (in a
  bigger graph labels are shown only for a few nodes, or when zoomed in, and nodes are taken
  as small discs);
* the components are then packed in rows, largest first, each centred in its box (labels
  included), the rows centred under one another (isolated entities end up as a grid at the
  bottom), so that a corpus graph with many small components fills a rectangle instead of a
  ring of debris.

``y`` grows upwards (matplotlib's convention; the HTML view flips it).

A :class:`LayoutCache` keeps each component's layout under a hash of everything it depends on
(its nodes and edges in order, the seed, the label boxes when they count), so a re-run that
changed one article lays out again only the components that article touched: the positions
are the ones a full layout gives.

:data:`TYPE_STYLES` gives each node ``type`` a colour (the Okabe-Ito palette, readable by
colour-blind readers) and a shape (told apart in black and white too); :data:`OTHER_STYLE` is
for any other type.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_edge("a", "b", type="role")
0
>>> G.add_node("c")
>>> pos = graph_layout(G)
>>> sorted(pos) == ["a", "b", "c"] and pos == graph_layout(G)
True
>>> TYPE_STYLES["Person"].color
'#D55E00'
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

__all__ = [
    "LARGE_COMPONENT",
    "close_pairs",
    "LayoutCache",
    "LAYOUT_SEED",
    "OTHER_STYLE",
    "TYPE_STYLES",
    "TypeStyle",
    "graph_layout",
    "mentions",
    "style_of",
]

#: The default seed of :func:`graph_layout`: the same graph gives the same picture.
LAYOUT_SEED = 7

#: Components of at least this many nodes are laid out by :func:`_force_layout`.
LARGE_COMPONENT = 500
#: Room is kept for every label in graphs of at most this many nodes.
LABEL_ROOM = 400
#: The width of a label character, and the height of a label line with its node, in units.
LABEL_CHAR_WIDTH = 0.072
LABEL_HEIGHT = 0.62
_LABEL_CHARS = 30  # labels are cut or wrapped about there

_GAP = 0.8  # layout units between packed components (labels included)


@dataclass(frozen=True)
class TypeStyle:
    color: str  # fill, "#RRGGBB"
    vis_shape: str  # vis-network node shape
    marker: str  # matplotlib marker


#: Node ``type`` -> its style, in legend order.
TYPE_STYLES: dict[str, TypeStyle] = {
    "Person": TypeStyle("#D55E00", "dot", "o"),
    "Organization": TypeStyle("#0072B2", "square", "s"),
    "Place": TypeStyle("#009E73", "triangle", "^"),
    "Event": TypeStyle("#E69F00", "diamond", "D"),
    "Quotation": TypeStyle("#CC79A7", "hexagon", "h"),
}

#: The style of a node whose ``type`` is none of :data:`TYPE_STYLES`.
OTHER_STYLE = TypeStyle("#7F7F7F", "dot", "o")


def style_of(node_type: object) -> TypeStyle:
    """The style of a node ``type`` (:data:`OTHER_STYLE` if unknown)."""
    return TYPE_STYLES.get(node_type, OTHER_STYLE) if isinstance(node_type, str) else OTHER_STYLE


def mentions(data: dict) -> int:
    """How many articles mention a node: the ``"; "``-joined ids of its ``articles``."""
    articles = data.get("articles", "")
    if not isinstance(articles, str):
        return 0
    return len({part.strip() for part in articles.split(";") if part.strip()})


class LayoutCache:
    """Component layouts by key (see :func:`graph_layout`): read from ``entries``, and
    :attr:`used` holds those the last layouts needed, to be saved for the next run (entries
    no layout asked for are dropped, so it never outgrows the graph).

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("x", "y")])
    >>> cache = LayoutCache()
    >>> first = graph_layout(G, cache=cache)
    >>> again = LayoutCache(cache.used)
    >>> graph_layout(G, cache=again) == first and again.hits == 2
    True
    """

    def __init__(self, entries: dict[str, list[list[float]]] | None = None) -> None:
        self.entries = dict(entries or {})
        self.used: dict[str, list[list[float]]] = {}
        self.hits = 0

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> LayoutCache:
        """The cache saved in ``path`` by :meth:`write` (empty if missing or unreadable)."""
        try:
            entries = json.loads(Path(path).read_bytes())
        except (OSError, ValueError):
            return cls()
        return cls(entries if isinstance(entries, dict) else None)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Save :attr:`used` to ``path`` (atomically; not at all where it cannot be written:
        a cache, the next run lays the graph out again)."""
        from pipeline.export.atomic import atomic_write

        try:
            atomic_write(path, json.dumps(self.used, separators=(",", ":")))
        except OSError:
            pass

    def layout(self, key: str, nodes: list[Hashable],
               make: Callable[[], dict[Hashable, tuple[float, float]]]
               ) -> dict[Hashable, tuple[float, float]]:
        found = self.entries.get(key)
        if isinstance(found, list) and len(found) == len(nodes):
            self.hits += 1
            self.used[key] = found
            return {node: (xy[0], xy[1]) for node, xy in zip(nodes, found, strict=True)}
        pos = make()
        self.used[key] = [[pos[node][0], pos[node][1]] for node in nodes]
        return pos


def _component_key(H: nx.Graph, nodes: list[Hashable], seed: int,
                   extents: dict[Hashable, tuple[float, float]] | None) -> str:
    import hashlib

    index = {node: i for i, node in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in H.edges(nodes)] if len(nodes) > 2 else []
    boxes = [extents[node] for node in nodes] if extents is not None else None
    # the layout's version: 3 for a big one since close_pairs replaced scipy's k-d tree (the
    # same pairs, forces summed in another order: positions that differ in the last digits)
    version = 2 if len(nodes) < LARGE_COMPONENT else 3
    data = json.dumps([version, seed, LARGE_COMPONENT, [str(node) for node in nodes], edges, boxes],
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def graph_layout(
    G: nx.Graph, *, seed: int = LAYOUT_SEED, cache: LayoutCache | None = None
) -> dict[Hashable, tuple[float, float]]:
    """Positions of the nodes of ``G`` (see the module docstring); the same graph (same nodes
    and edges in the same order) and seed give the same positions. ``cache`` gives and keeps
    the layouts of components met before."""
    order = {node: index for index, node in enumerate(G)}
    H = nx.Graph()
    H.add_nodes_from(G)
    H.add_edges_from((u, v) for u, v in G.edges() if u != v)
    components = sorted(
        (sorted(nodes, key=order.__getitem__) for nodes in nx.connected_components(H)),
        key=lambda nodes: (-len(nodes), order[nodes[0]]),
    )
    room = len(G) <= LABEL_ROOM
    extents = {node: _extent(G.nodes[node]) if room else (0.2, 0.2) for node in G}
    laid_out = []
    for nodes in components:

        def make(nodes: list[Hashable] = nodes) -> dict[Hashable, tuple[float, float]]:
            pos = _component_layout(H, nodes, seed)
            if room and len(nodes) > 2:
                pos = _spread_labels(pos, extents)
            return pos

        if cache is None or len(nodes) == 1:
            laid_out.append(make())
        else:
            key = _component_key(H, nodes, seed, extents if room else None)
            laid_out.append(cache.layout(key, nodes, make))
    return _pack(laid_out, extents, gap=_GAP if room else _GAP / 2)


def _extent(data: dict) -> tuple[float, float]:
    """Half the width and half the height of a node with its label, in units."""
    label = data.get("label", "")
    chars = min(len(label), _LABEL_CHARS) if isinstance(label, str) else 0
    return max(0.3, chars * LABEL_CHAR_WIDTH / 2), LABEL_HEIGHT / 2


def _spread_labels(
    pos: dict[Hashable, tuple[float, float]],
    extents: dict[Hashable, tuple[float, float]],
    iterations: int = 80,
) -> dict[Hashable, tuple[float, float]]:
    """Move overlapping label boxes apart, each pair along the axis where they overlap least
    (relative to their size), half the overlap each per round, until none overlap."""
    import numpy as np

    nodes = list(pos)
    xy = np.array([pos[node] for node in nodes], dtype=float)
    half = np.array([extents[node] for node in nodes], dtype=float)
    n = len(nodes)
    # who moves which way when two nodes are at the same place: by order
    tie = np.sign(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    for _ in range(iterations):
        d = xy[:, None, :] - xy[None, :, :]
        overlap = half[:, None, :] + half[None, :, :] + 0.04 - np.abs(d)
        both = (overlap[..., 0] > 0) & (overlap[..., 1] > 0)
        np.fill_diagonal(both, False)
        if not both.any():
            break
        size = half[:, None, :] + half[None, :, :]
        along_x = overlap[..., 0] / size[..., 0] < overlap[..., 1] / size[..., 1]
        sign = np.sign(d)
        sign[sign == 0] = np.broadcast_to(tie[..., None], sign.shape)[sign == 0]
        push = np.zeros_like(d)
        push[..., 0] = np.where(both & along_x, overlap[..., 0] * sign[..., 0], 0.0)
        push[..., 1] = np.where(both & ~along_x, overlap[..., 1] * sign[..., 1], 0.0)
        xy += 0.5 * push.sum(axis=1) / np.maximum(both.sum(axis=1), 1)[:, None] ** 0.5
    xy -= xy.mean(axis=0)
    return {node: (float(xy[i, 0]), float(xy[i, 1])) for i, node in enumerate(nodes)}


def _component_layout(
    H: nx.Graph, nodes: list[Hashable], seed: int
) -> dict[Hashable, tuple[float, float]]:
    """One component of ``H``, centred on (0, 0), about one unit per edge."""
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    if n == 2:
        return {nodes[0]: (-0.6, 0.0), nodes[1]: (0.6, 0.0)}
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from(H.edges(nodes))
    if n < LARGE_COMPONENT:
        raw = nx.spring_layout(sub, seed=seed, iterations=200 if n < 100 else 60)
        # spring_layout scales to [-1, 1]; a component of n nodes gets a disc of area ~ n
        radius = 0.62 * math.sqrt(n) + 0.3
        return {node: (float(x) * radius, float(y) * radius) for node, (x, y) in raw.items()}
    return _force_layout(sub, nodes, seed)


def _force_layout(
    H: nx.Graph, nodes: list[Hashable], seed: int, iterations: int = 60
) -> dict[Hashable, tuple[float, float]]:
    """Fruchterman-Reingold with ideal edge length 1, the repulsion cut off beyond
    ``_CUTOFF`` units (:func:`close_pairs` finds the pairs) and a weak pull to the centre:
    about O(n) per iteration instead of O(n^2)."""
    import numpy as np

    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = np.array([(index[u], index[v]) for u, v in H.edges()], dtype=np.int64)
    edges = edges.reshape(-1, 2)
    side = math.sqrt(n)
    pos = np.random.default_rng(seed).random((n, 2)) * side
    temperature = side / 10
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        i, j = close_pairs(pos, _CUTOFF)
        delta = pos[i] - pos[j]
        force = delta / np.maximum((delta * delta).sum(axis=1), 1e-4)[:, None]  # k^2 / d
        disp = np.stack(
            [np.bincount(i, force[:, c], n) - np.bincount(j, force[:, c], n) for c in (0, 1)],
            axis=1,
        )
        if len(edges):
            a, b = edges[:, 0], edges[:, 1]
            delta = pos[a] - pos[b]
            force = delta * np.sqrt((delta * delta).sum(axis=1))[:, None]  # d^2 / k
            disp += np.stack(
                [np.bincount(b, force[:, c], n) - np.bincount(a, force[:, c], n)
                 for c in (0, 1)],
                axis=1,
            )
        disp -= 0.05 * (pos - pos.mean(axis=0))
        length = np.maximum(np.sqrt((disp * disp).sum(axis=1)), 1e-9)[:, None]
        pos += disp / length * np.minimum(length, temperature)
        temperature -= cooling
    pos -= pos.mean(axis=0)
    return {node: (float(pos[i, 0]), float(pos[i, 1])) for node, i in index.items()}


_CUTOFF = 2.5
# a cell's neighbours that come after it: each pair of cells is looked at once
_LATER_CELLS = ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1))


def close_pairs(points, distance: float):
    """The pairs of rows of ``points`` (an n x 2 array) at most ``distance`` apart, each once:
    two index arrays, ``i < j`` (in an order fixed by the points). The plane is cut in
    squares of side ``distance``: a pair lies in one square or in two neighbouring ones, so
    the points of a square are compared with those of 5 squares only (itself and 4 of its
    neighbours). O(n + pairs), in numpy: 2.5 ms for 2,000 points a unit apart, about a k-d
    tree's time, without scipy (0.4 s to import, in a re-run's critical path).

    >>> import numpy as np
    >>> i, j = close_pairs(np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [0.5, 0.9]]), 1.2)
    >>> sorted(zip(i.tolist(), j.tolist()))
    [(0, 1), (0, 3), (1, 3)]
    """
    import numpy as np

    points = np.asarray(points, dtype=float).reshape(-1, 2)
    empty = np.zeros(0, dtype=np.int64)
    if len(points) < 2:
        return empty, empty
    cells = np.floor(points / distance).astype(np.int64)
    cells -= cells.min(axis=0) - 1  # from 1: every neighbour's coordinates are >= 0
    width = int(cells[:, 1].max()) + 2
    keys = cells[:, 0] * width + cells[:, 1]
    order = np.argsort(keys, kind="stable")  # below, points are counted in this order
    xs, ys = points[order, 0], points[order, 1]
    cell_keys, cell_starts, cell_sizes = np.unique(keys[order], return_index=True,
                                                   return_counts=True)
    found_p, found_q = [], []
    for dx, dy in _LATER_CELLS:
        wanted = cell_keys + (dx * width + dy)
        at = np.minimum(np.searchsorted(cell_keys, wanted), len(cell_keys) - 1)
        a_cells = np.flatnonzero(cell_keys[at] == wanted)
        b_cells = at[a_cells]
        a_sizes = cell_sizes[a_cells]
        # each point of an ``a`` cell, repeated for each point of its ``b`` cell
        a_points = _ranges(cell_starts[a_cells], a_sizes)
        b_sizes = np.repeat(cell_sizes[b_cells], a_sizes)
        p = np.repeat(a_points, b_sizes)
        q = _ranges(np.repeat(cell_starts[b_cells], a_sizes), b_sizes)
        if (dx, dy) == (0, 0):
            p, q = p[q > p], q[q > p]
        ddx, ddy = xs[p] - xs[q], ys[p] - ys[q]
        close = ddx * ddx + ddy * ddy <= distance * distance
        found_p.append(p[close])
        found_q.append(q[close])
    i, j = order[np.concatenate(found_p)], order[np.concatenate(found_q)]
    return np.minimum(i, j), np.maximum(i, j)


def _ranges(starts, sizes):
    """``range(start, start + size)`` for each pair, one after the other, as one array."""
    import numpy as np

    ends = np.cumsum(sizes)
    return np.repeat(starts - ends + sizes, sizes) + np.arange(int(ends[-1]) if len(ends) else 0)


def _pack(
    components: list[dict[Hashable, tuple[float, float]]],
    extents: dict[Hashable, tuple[float, float]],
    gap: float = _GAP,
) -> dict[Hashable, tuple[float, float]]:
    """Shelf-pack the components (given largest first) into rows about 1.5 times as wide as
    they are tall, ``gap`` apart, each row centred."""
    if not components:
        return {}
    boxes = []
    for pos in components:
        boxes.append((
            min(x - extents[node][0] for node, (x, _) in pos.items()),
            max(x + extents[node][0] for node, (x, _) in pos.items()),
            min(y - extents[node][1] for node, (_, y) in pos.items()),
            max(y + extents[node][1] for node, (_, y) in pos.items()),
        ))
    area = sum((x1 - x0 + gap) * (y1 - y0 + gap) for x0, x1, y0, y1 in boxes)
    widest = max((x1 - x0 + gap for x0, x1, _, _ in boxes), default=0.0)
    row_width = max(widest, math.sqrt(area * 1.5))

    rows: list[list[int]] = [[]]
    width = 0.0
    for index, (x0, x1, _, _) in enumerate(boxes):
        w = x1 - x0 + gap
        if rows[-1] and width + w > row_width:
            rows.append([])
            width = 0.0
        rows[-1].append(index)
        width += w

    placed: dict[Hashable, tuple[float, float]] = {}
    top = 0.0
    for row in rows:
        height = max(boxes[i][3] - boxes[i][2] + gap for i in row)
        total = sum(boxes[i][1] - boxes[i][0] + gap for i in row)
        left = -total / 2
        for i in row:
            x0, x1, y0, y1 = boxes[i]
            w = x1 - x0 + gap
            # centre of the box minus centre of the component's bounding box
            dx = left + w / 2 - (x0 + x1) / 2
            dy = top - height / 2 - (y0 + y1) / 2
            for node, (x, y) in components[i].items():
                placed[node] = (round(x + dx, 4), round(y + dy, 4))
            left += w
        top -= height
    return placed
