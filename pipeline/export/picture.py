"""Export stage, picture (``graph.png``, ``graph.svg``): a static overview of the property graph
to paste into a report.

Drawn by matplotlib on its Agg canvas (no display, no pyplot state: it works on a server and
in threads), with the positions of :func:`pipeline.export.layout.graph_layout`, the ones
``graph.html`` starts from:

* nodes coloured and shaped by ``type`` (``layout.TYPE_STYLES``), sized by the number of
  articles mentioning them when the graph spans several articles, else by their degree;
  relations as grey arrows (straight lines without heads above ARROW_EDGES edges);
* labels for the most central entities, in readable type on a white halo: every person and
  organisation when there are at most MUST_LABEL of them (the graph of one article), then the
  others by degree, up to ``max_labels``; a label is moved around its node to avoid the ones
  already placed, and an optional one that cannot be placed is left out. Quotations are not
  labelled (their text is in ``graph.html``). On small graphs (at most EDGE_LABELS edges) the
  relations are labelled too, where there is room;
* a title, the counts, and a legend of the types present.

Deterministic: the same graph and ``seed`` give the same PNG and SVG (fixed layout seed, the
SVG's ids salted with a constant, no date in either file). Both are written atomically
(:func:`pipeline.export.atomic.atomic_write`). Labels are drawn as plain text: ``$`` in a name
is not TeX.

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.MultiDiGraph()
>>> G.add_node("p", label="Angelo Vallerani", type="Person", articles="a1")
>>> G.add_node("o", label="Lombardia Aerospace Cluster", type="Organization", articles="a1")
>>> G.add_edge("p", "o", type="role", label="presidente", article="a1")
0
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_picture(G, folder / "graph.png", folder / "graph.svg")
>>> (folder / "graph.png").read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> "Angelo Vallerani" in (folder / "graph.svg").read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import math
import os
import textwrap
import warnings
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from io import BytesIO
from typing import TYPE_CHECKING

import networkx as nx

from pipeline.export.atomic import atomic_write
from pipeline.export.layout import LAYOUT_SEED, TYPE_STYLES, graph_layout, mentions, style_of
from pipeline.export.property_graph import xml_safe_graph

if TYPE_CHECKING:  # matplotlib is imported when a picture is drawn
    from matplotlib.figure import Figure

__all__ = [
    "ARROW_EDGES",
    "EDGE_LABELS",
    "MUST_LABEL",
    "PNG_FILE",
    "SVG_FILE",
    "picture_figure",
    "png_bytes",
    "svg_bytes",
    "warm",
    "write_picture",
]

#: File names in a run's output directory.
PNG_FILE = "graph.png"
SVG_FILE = "graph.svg"

#: Every person and organisation is labelled when there are at most this many of them.
MUST_LABEL = 60
#: Relations are labelled when the graph has at most this many edges.
EDGE_LABELS = 40
#: Relations are drawn as arrows when the graph has at most this many edges.
ARROW_EDGES = 600

_EDGE_COLOR = "#8A96A3"
_TEXT_COLOR = "#1F2937"
_MUTED_COLOR = "#6B7280"
_LABEL_CHARS = 30  # a label line wraps at this width, at most two lines
_MISSING_GLYPH = r"Glyph \d+ .* missing from font"


def write_picture(
    G: nx.MultiDiGraph,
    png_path: str | os.PathLike[str],
    svg_path: str | os.PathLike[str] | None = None,
    *,
    title: str = "aerokg knowledge graph",
    max_labels: int = 40,
    dpi: int = 150,
    seed: int = LAYOUT_SEED,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
) -> None:
    """Draw ``G`` (see the module docstring) and write it to ``png_path`` at ``dpi`` and, if
    given, to ``svg_path``, each atomically. ``positions`` overrides the layout (node ->
    (x, y), y upwards), e.g. to reuse the one computed for ``graph.html``."""
    figure = picture_figure(
        G, title=title, max_labels=max_labels, dpi=dpi, seed=seed, positions=positions
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH)  # emoji: drawn as a box
        png = png_bytes(figure)
        svg = svg_bytes(figure) if svg_path is not None else b""
    atomic_write(png_path, png)
    if svg_path is not None:
        atomic_write(svg_path, svg)


def warm() -> None:
    """Draw a two-node picture to memory, PNG and SVG: the first picture of a process pays for
    loading its fonts, glyph and path caches (0.15-0.25 s), which a process that forks the
    export's picture process later can pay ahead, while it waits (``writer.preload``)."""
    G = nx.MultiDiGraph()
    G.add_node("p", label="Avvio", type="Person", articles="a")
    G.add_node("o", label="Caldo", type="Organization", articles="a")
    G.add_edge("p", "o", type="role", label="presidente", article="a")
    figure = picture_figure(G)
    png_bytes(figure)
    svg_bytes(figure)


def png_bytes(figure: Figure) -> bytes:
    """``figure`` (on its Agg canvas, at its own dpi) as PNG: what ``savefig`` writes, less
    the alpha channel, which an opaque figure (white background) does not need and which took
    about 30% of the encoding time; zlib level 1 (a quarter of the default level's time, a
    file 6% bigger); the dpi recorded, no software name."""
    import numpy as np
    from PIL import Image

    figure.canvas.draw()
    rgba = np.asarray(figure.canvas.buffer_rgba())
    out = BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(
        out, format="png", compress_level=1, dpi=(figure.dpi, figure.dpi))
    return out.getvalue()


def svg_bytes(figure: Figure) -> bytes:
    """``figure`` as SVG: text kept as text, ids salted with a constant, no date: the same
    figure gives the same bytes."""
    import matplotlib

    out = BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "aerokg", "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def picture_figure(
    G: nx.MultiDiGraph,
    *,
    title: str = "aerokg knowledge graph",
    max_labels: int = 40,
    dpi: int = 150,
    seed: int = LAYOUT_SEED,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
) -> Figure:
    """The matplotlib figure :func:`write_picture` saves (on an Agg canvas). The labels are
    the ``texts`` of its first axes, the title, counts and legend are the figure's."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    G = xml_safe_graph(G)
    if positions is None or any(node not in positions for node in G):
        positions = graph_layout(G, seed=seed)
    pos = dict(positions)
    n, m = G.number_of_nodes(), G.number_of_edges()
    width, height = _figure_size(pos, n)
    figure = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0.02, 0.09, 0.96, 0.83))
    ax.set_axis_off()

    articles = {a for _, data in G.nodes(data=True) for a in _split(data.get("articles"))}
    sizes = _node_sizes(G, n, by_mentions=len(articles) > 1)
    pos = _stretch(pos, _axes_aspect(ax))
    _set_limits(ax, pos, _axes_aspect(ax))
    _draw_edges(ax, G, pos, sizes, arrows=m <= ARROW_EDGES)
    _draw_nodes(ax, G, pos, sizes)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH)
        _draw_labels(ax, G, pos, sizes, max_labels, edge_labels=0 < m <= EDGE_LABELS)
        _draw_frame(figure, G, title, articles)
    return figure


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def _figure_size(pos: Mapping[Hashable, tuple[float, float]], n: int) -> tuple[float, float]:
    """Inches: wider for bigger graphs, the aspect of the layout within 4:3 .. 16:9."""
    if n <= 60:
        area = 12.0 * 8.0
    elif n <= 400:
        area = 15.0 * 10.0
    else:
        area = 18.0 * 12.0
    xs = [x for x, _ in pos.values()] or [0.0]
    ys = [y for _, y in pos.values()] or [0.0]
    aspect = (max(xs) - min(xs) + 2) / (max(ys) - min(ys) + 2)
    aspect = min(max(aspect, 4 / 3), 16 / 9)
    height = math.sqrt(area / aspect)
    return round(height * aspect, 2), round(height, 2)


def _axes_aspect(ax) -> float:
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    return (box.width * fig_w) / (box.height * fig_h)


def _stretch(pos: dict, axes_aspect: float) -> dict:
    """Widen a layout narrower than the axes, by at most 1.6: labels are wider than tall, so
    the room is best spent across."""
    if not pos:
        return pos
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    aspect = (max(xs) - min(xs) + 2) / (max(ys) - min(ys) + 2)
    factor = min(max(axes_aspect / aspect, 1.0), 1.6)
    return {node: (x * factor, y) for node, (x, y) in pos.items()}


def _set_limits(ax, pos, axes_aspect: float) -> None:
    xs = [x for x, _ in pos.values()] or [0.0]
    ys = [y for _, y in pos.values()] or [0.0]
    pad = 1.0
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    # keep the aspect: one layout unit is as long across as down
    if (x1 - x0) / (y1 - y0) < axes_aspect:
        grow = ((y1 - y0) * axes_aspect - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = ((x1 - x0) / axes_aspect - (y1 - y0)) / 2
        y0, y1 = y0 - grow, y1 + grow
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _node_sizes(G: nx.MultiDiGraph, n: int, *, by_mentions: bool) -> dict[Hashable, float]:
    """Marker areas in points^2."""
    if by_mentions:
        weight = {node: mentions(data) for node, data in G.nodes(data=True)}
    else:
        weight = dict(G.degree())
    top = max(weight.values(), default=1) or 1
    small, big = (60.0, 700.0) if n <= 60 else (25.0, 420.0) if n <= 400 else (5.0, 130.0)
    sizes = {}
    for node, data in G.nodes(data=True):
        size = small + (big - small) * (weight[node] / top) ** 0.75
        if data.get("type") == "Quotation":
            size = min(size, small * 1.4)
        sizes[node] = size
    return sizes


def _split(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(";") if part.strip()]


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


def _draw_edges(ax, G, pos, sizes, *, arrows: bool) -> None:
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as Segments

    edges = [(u, v) for u, v in G.edges() if u != v]
    if not arrows:
        # one path of all the segments: one SVG element and one Agg draw, where a
        # LineCollection writes (and draws) each of thousands of edges on its own
        vertices = [point for u, v in edges for point in (pos[u], pos[v])]
        codes = [Segments.MOVETO, Segments.LINETO] * len(edges)
        if edges:
            # add_artist, not add_patch: the limits are set, and add_patch's update of the data
            # limits walks the whole path (a third of a second for 5,000 edges)
            ax.add_artist(PathPatch(Segments(vertices, codes), facecolor="none",
                                    edgecolor=_EDGE_COLOR, linewidth=0.5, alpha=0.45, zorder=1))
        return
    parallel: dict[frozenset, int] = defaultdict(int)
    arrows_drawn: list[tuple[tuple[float, float], tuple[float, float], float]] = []
    for u, v in edges:
        pair = frozenset((u, v))
        index = parallel[pair]
        parallel[pair] += 1
        # parallel edges bend alternately to either side of the straight one
        rad = 0.0 if index == 0 else 0.18 * ((index + 1) // 2) * (1 if index % 2 else -1)
        if rad and str(u) > str(v):
            rad = -rad
        arrows_drawn.append((*_shortened(ax, pos[u], pos[v], math.sqrt(sizes[u]) / 2 + 1,
                                         math.sqrt(sizes[v]) / 2 + 2, rad), rad))
    if not arrows_drawn:
        return
    # all the shafts as one path and all the heads as one collection (one SVG element and one
    # Agg draw each, where a FancyArrowPatch per edge took a second for 500 edges): what
    # arrowstyle "-|>" with connectionstyle arc3 draws, the ends already moved in by the node
    # radii (_shortened), the axes' limits final
    shafts, heads = _arrow_geometry(ax, arrows_drawn, head_length=3.6, head_half_width=1.8)
    ax.add_artist(PathPatch(shafts, facecolor="none", edgecolor=_EDGE_COLOR, linewidth=0.9,
                            alpha=0.85, zorder=1, capstyle="round"))
    ax.add_collection(PolyCollection(heads, facecolors=_EDGE_COLOR, edgecolors="none",
                                     alpha=0.85, zorder=1), autolim=False)


def _arrow_geometry(ax, arrows, *, head_length: float, head_half_width: float):
    """The shafts (one Path of quadratic Beziers: arc3's curve between each pair of ends) and
    the heads (a triangle per arrow, its tip at the end, along the curve's tangent there) of
    ``arrows`` ((start, end, rad) in data coordinates; sizes in points)."""
    import numpy as np
    from matplotlib.path import Path as Segments

    to_px = ax.transData.transform
    back = ax.transData.inverted().transform
    px_per_point = ax.figure.dpi / 72
    length, half = head_length * px_per_point, head_half_width * px_per_point
    vertices, codes, heads = [], [], []
    for start, end, rad in arrows:
        (x0, y0), (x1, y1) = to_px(start), to_px(end)
        dx, dy = x1 - x0, y1 - y0
        cx, cy = (x0 + x1) / 2 + rad * dy, (y0 + y1) / 2 - rad * dx  # arc3's control point
        vertices += [(x0, y0), (cx, cy), (x1, y1)]
        codes += [Segments.MOVETO, Segments.CURVE3, Segments.CURVE3]
        tx, ty = x1 - cx, y1 - cy
        norm = math.hypot(tx, ty)
        if norm == 0:  # the nodes touch: no direction, no head
            continue
        tx, ty = tx / norm, ty / norm
        bx, by = x1 - tx * length, y1 - ty * length
        heads.append(back(np.array([(x1, y1), (bx - ty * half, by + tx * half),
                                    (bx + ty * half, by - tx * half)])))
    shafts = Segments(back(np.array(vertices)), codes)
    return shafts, heads


def _shortened(ax, start: tuple[float, float], end: tuple[float, float], cut_start: float,
               cut_end: float, rad: float = 0.0
               ) -> tuple[tuple[float, float], tuple[float, float]]:
    """The ends of an arrow from ``start`` to ``end`` (data units), moved in by ``cut_start`` /
    ``cut_end`` points along the arrow (for an arc3 arrow bent by ``rad``, along its tangents),
    as FancyArrowPatch's shrinkA / shrinkB do. The axes' limits and size are final, and a point
    is the same length in the PNG and the SVG."""
    to_px = ax.transData.transform
    (x0, y0), (x1, y1) = to_px(start), to_px(end)
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    px_per_point = ax.figure.dpi / 72
    cut_start, cut_end = cut_start * px_per_point, cut_end * px_per_point
    if length <= cut_start + cut_end:  # the nodes touch: nothing left to draw but a stub
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        return middle, middle
    # arc3's control point (matplotlib's ConnectionStyle.Arc3); on a straight arrow, the middle;
    # the arrow leaves its start towards it and reaches its end from it
    cx, cy = (x0 + x1) / 2 + rad * dy, (y0 + y1) / 2 - rad * dx
    out_x, out_y = cx - x0, cy - y0
    in_x, in_y = x1 - cx, y1 - cy
    out_len, in_len = math.hypot(out_x, out_y) or 1.0, math.hypot(in_x, in_y) or 1.0
    back = ax.transData.inverted().transform
    a = back((x0 + out_x / out_len * cut_start, y0 + out_y / out_len * cut_start))
    b = back((x1 - in_x / in_len * cut_end, y1 - in_y / in_len * cut_end))
    return (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))


def _draw_nodes(ax, G, pos, sizes) -> None:
    by_type: dict[str, list[Hashable]] = defaultdict(list)
    for node, data in G.nodes(data=True):
        by_type[data.get("type", "")].append(node)
    order = [*TYPE_STYLES, *sorted(t for t in by_type if t not in TYPE_STYLES)]
    for node_type in order:
        nodes = by_type.get(node_type)
        if not nodes:
            continue
        style = style_of(node_type)
        ax.scatter(
            [pos[node][0] for node in nodes],
            [pos[node][1] for node in nodes],
            s=[sizes[node] for node in nodes],
            c=style.color,
            marker=style.marker,
            edgecolors="white",
            linewidths=0.8,
            zorder=3 if node_type != "Quotation" else 2,
        )


def _label_text(label: str) -> str:
    lines = textwrap.wrap(label, _LABEL_CHARS, break_long_words=True) or [label]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), _LABEL_CHARS, placeholder="…")]
    return "\n".join(lines)


def _label_plan(G, max_labels: int) -> tuple[list[Hashable], list[Hashable]]:
    """(must, optional): the nodes to label whatever the overlap, then the others in order."""
    degree = dict(G.degree())
    rank = {node: i for i, node in enumerate(G)}

    def key(node):
        return (-degree[node], -mentions(G.nodes[node]), rank[node])

    labelled = [
        node for node, data in G.nodes(data=True)
        if data.get("type") != "Quotation" and str(data.get("label", "")).strip()
    ]
    people_orgs = [n for n in labelled if G.nodes[n].get("type") in ("Person", "Organization")]
    if len(people_orgs) <= MUST_LABEL:
        hubs = [n for n in labelled if degree[n] >= 3] if G.number_of_nodes() <= 80 else []
        must = sorted({*people_orgs, *hubs}, key=key)
    else:
        must = []
    budget = max(max_labels, len(must)) if G.number_of_nodes() > 80 else len(labelled)
    optional = sorted((n for n in labelled if n not in set(must)), key=key)
    return must, optional[: max(0, budget - len(must))]


def _draw_labels(ax, G, pos, sizes, max_labels: int, *, edge_labels: bool) -> None:
    figure = ax.figure
    renderer = figure.canvas.get_renderer()
    # boxes (x0, y0, x1, y1) in pixels: a label must not cover another (hard) and had better
    # not cover a node (soft)
    labels, discs = _Boxes(), _Boxes()
    to_px = ax.transData.transform
    for node in G:
        x, y = to_px(pos[node])
        r = math.sqrt(sizes[node]) / 2 * figure.dpi / 72
        discs.add((x - r, y - r, x + r, y + r))
    taken = (labels, discs)

    must, optional = _label_plan(G, max_labels)
    big = G.number_of_nodes() <= 60
    fontsize = 10 if big else 8.5 if G.number_of_nodes() <= 400 else 7.5
    for node in [*must, *optional]:
        data = G.nodes[node]
        radius = math.sqrt(sizes[node]) / 2 + 3  # points
        text = _label_text(str(data["label"]))
        _place(
            ax, renderer, taken, pos[node], text, radius, fontsize,
            weight="bold" if data.get("type") in ("Person", "Organization") else "normal",
            color=_TEXT_COLOR, force=node in must,
        )

    if edge_labels:
        for u, v, data in G.edges(data=True):
            label = str(data.get("label") or data.get("type") or "")
            if u == v or not label:
                continue
            (x0, y0), (x1, y1) = pos[u], pos[v]
            _place(
                ax, renderer, taken, ((x0 + x1) / 2, (y0 + y1) / 2),
                textwrap.shorten(label, 30, placeholder="…"), 0.0, fontsize - 2.5,
                weight="normal", color=_MUTED_COLOR, force=False, style="italic",
            )


# Where a label may go around its node: (dx, dy, ha, va), in units of the node's radius.
_SPOTS = (
    (0, -1, "center", "top"),
    (0, 1, "center", "bottom"),
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0.75, -0.75, "left", "top"),
    (-0.75, -0.75, "right", "top"),
    (0.75, 0.75, "left", "bottom"),
    (-0.75, 0.75, "right", "bottom"),
    (0, -2.2, "center", "top"),
    (0, 2.2, "center", "bottom"),
)


def _place(ax, renderer, taken, xy, text, radius, fontsize, *, weight, color, force,
           style="normal") -> bool:
    """Put ``text`` at the spot around ``xy`` that overlaps no other label and covers the
    fewest nodes (when ``force``, the least overlapping spot); False if left out.

    The text is measured once; its box at each spot is that box moved by the spot's offset
    and alignment (matplotlib aligns a text's box, so the boxes are exactly those it would
    draw), and only the chosen spot gets an artist."""
    from matplotlib.transforms import Bbox

    labels, discs = taken
    style_args = {
        "textcoords": "offset points", "fontsize": fontsize, "fontweight": weight,
        "fontstyle": style, "color": color, "zorder": 5, "annotation_clip": False,
        "parse_math": False, "multialignment": "center",
        "bbox": {"boxstyle": "round,pad=0.18", "facecolor": "white", "edgecolor": "none",
                 "alpha": 0.82},
    }
    probe = ax.annotate(text, xy, xytext=(0, 0), ha="left", va="bottom", **style_args)
    measured = probe.get_window_extent(renderer)
    probe.remove()
    width, height = measured.width, measured.height
    px_per_point = ax.figure.dpi / 72
    best = None
    for dx, dy, ha, va in _SPOTS:
        x0 = measured.x0 + dx * radius * px_per_point - width * _ALIGN_X[ha]
        y0 = measured.y0 + dy * radius * px_per_point - height * _ALIGN_Y[va]
        box = Bbox.from_bounds(x0, y0, width, height).expanded(1.04, 1.1)
        inside = ax.bbox.contains(box.x0, box.y0) and ax.bbox.contains(box.x1, box.y1)
        score = (labels.overlap(box.extents) + (0.0 if inside else 1e9),
                 discs.overlap(box.extents))
        if best is None or score < best[1]:
            best = ((dx, dy, ha, va), score, box)
        if score == (0.0, 0.0):
            break
    assert best is not None
    (dx, dy, ha, va), (hard, _), box = best
    if hard == 0.0 or force:
        ax.annotate(text, xy, xytext=(dx * radius, dy * radius), ha=ha, va=va, **style_args)
        labels.add(box.extents)
        return True
    return False


# How far (in widths / heights of the text's box) an alignment moves the box left / down.
_ALIGN_X = {"left": 0.0, "center": 0.5, "right": 1.0}
_ALIGN_Y = {"bottom": 0.0, "center": 0.5, "top": 1.0}


class _Boxes:
    """Boxes (x0, y0, x1, y1) and the total area a new box shares with them (numpy)."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, float, float, float]] = []
        self._array = None

    def add(self, box) -> None:
        self._rows.append(tuple(float(v) for v in box))
        self._array = None

    def overlap(self, box) -> float:
        import numpy as np

        if not self._rows:
            return 0.0
        if self._array is None:
            self._array = np.array(self._rows)
        a = self._array
        w = np.minimum(a[:, 2], box[2]) - np.maximum(a[:, 0], box[0])
        h = np.minimum(a[:, 3], box[3]) - np.maximum(a[:, 1], box[1])
        return float((np.clip(w, 0, None) * np.clip(h, 0, None)).sum())


def _draw_frame(figure, G, title: str, articles: set[str]) -> None:
    from matplotlib.lines import Line2D

    n, m = G.number_of_nodes(), G.number_of_edges()
    counts = Counter(data.get("type", "") for _, data in G.nodes(data=True))
    figure.text(0.02, 0.965, title, fontsize=15, fontweight="bold", color=_TEXT_COLOR,
                va="top", parse_math=False)
    summary = (f"{n:,} entities · {m:,} relations · {len(articles):,} "
               f"article{'s' if len(articles) != 1 else ''}")
    figure.text(0.02, 0.925, summary, fontsize=10, color=_MUTED_COLOR, va="top",
                parse_math=False)
    order = [*TYPE_STYLES, *sorted(t for t in counts if t not in TYPE_STYLES)]
    handles = [
        Line2D([], [], linestyle="none", marker=style_of(t).marker, markersize=10,
               markerfacecolor=style_of(t).color, markeredgecolor="white",
               label=f"{t or 'other'} ({counts[t]:,})")
        for t in order if counts.get(t)
    ]
    if handles:
        figure.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
                      fontsize=10, bbox_to_anchor=(0.5, 0.01), handletextpad=0.3,
                      columnspacing=1.6)
