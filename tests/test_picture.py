"""graph.png / graph.svg (pipeline/export/picture.py) and the layout they share with graph.html
(pipeline/export/layout.py): every person and organisation of a small graph labelled, legibly
and without overlaps; deterministic files; headless; fast on a big graph; names are text (no
TeX, no markup). The seed-article test uses the shipped model."""

from __future__ import annotations

import os
import random
import shutil
import struct
from pathlib import Path

import networkx as nx
import pytest

from pipeline.export.layout import LARGE_COMPONENT, TYPE_STYLES, graph_layout
from pipeline.export.picture import picture_figure, write_picture
from pipeline.nlp.loader import SHIPPED_MODEL_PATH

SEED = Path(__file__).resolve().parents[1] / "corpus" / "seed-article.txt"
# resolved now: the tests run in their tmp dir (conftest)
ARTIFACTS = os.environ.get("AEROKG_TEST_ARTIFACTS")
ARTIFACTS = Path(ARTIFACTS).resolve() if ARTIFACTS else None


def node(G, key, label, node_type, cls="", articles="a1"):
    G.add_node(key, label=label, type=node_type, **{"class": cls or node_type}, iri=key,
               articles=articles, alt_labels="", roles="", date="", text="", confidence=0.0)


def edge(G, u, v, relation, label, article="a1"):
    G.add_edge(u, v, type=relation, label=label, article=article, evidence="Una frase.",
               confidence=0.8, fact="", role="", value=0.0, currency="", year="", sector="")


def small_graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    node(G, "p1", "Angelo Vallerani", "Person")
    node(G, "p2", "Marianna Simone", "Person")
    node(G, "o1", "Lombardia Aerospace Cluster", "Organization", "Cluster")
    node(G, "o2", "Aerea spa", "Organization", "Company")
    node(G, "o3", "Leonardo", "Organization", "Company")
    node(G, "o4", "regione Lombardia", "Organization", "GovernmentBody")
    node(G, "l1", "Milano", "Place", "City")
    node(G, "l2", "Québec", "Place")
    node(G, "e1", "seminario International Cooperation between Aerospace Clusters", "Event",
         "Seminar")
    node(G, "q1", "«Il Québec rappresenta un’eccellenza…»", "Quotation")
    edge(G, "p1", "o1", "role", "presidente")
    edge(G, "p2", "l2", "role", "delegato")
    edge(G, "o2", "o1", "memberOf", "membro di")
    edge(G, "o3", "o1", "memberOf", "membro di")
    edge(G, "o2", "l1", "location", "si trova a")
    edge(G, "e1", "o1", "sponsor", "sponsor")
    edge(G, "e1", "o4", "organizer", "organizzatore")
    edge(G, "o4", "l2", "partnerOf", "partner di")
    edge(G, "l2", "o4", "partnerOf", "partner di")  # the other direction: a bent arrow
    edge(G, "p1", "q1", "quote", "dichiara")
    return G


def label_boxes(figure):
    """Text of each node/edge label drawn in the axes -> its box in pixels."""
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    return {text.get_text(): (text, text.get_window_extent(renderer)) for text in ax.texts}


def assert_people_and_orgs_legible(G, figure, min_size=8.5):
    boxes = label_boxes(figure)
    shown = {text.replace("\n", " "): (artist, box) for text, (artist, box) in boxes.items()}
    wanted = [data["label"] for _, data in G.nodes(data=True)
              if data["type"] in ("Person", "Organization")]
    for label in wanted:
        assert label in shown, f"{label!r} is not labelled"
        artist, box = shown[label]
        assert artist.get_fontsize() >= min_size
        assert figure.bbox.contains(box.x0, box.y0) and figure.bbox.contains(box.x1, box.y1)
    # no two entity labels overlap (edge labels are placed only where they fit)
    entity = [shown[label][1] for label in wanted]
    for i, a in enumerate(entity):
        for b in entity[i + 1:]:
            assert not a.overlaps(b) or (
                min(a.x1, b.x1) - max(a.x0, b.x0) < 2 or min(a.y1, b.y1) - max(a.y0, b.y0) < 2
            ), "two labels overlap"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_small_graph_labels_every_person_and_organisation():
    G = small_graph()
    figure = picture_figure(G, title="prova")
    assert_people_and_orgs_legible(G, figure)
    texts = [t.get_text() for t in figure.texts]
    assert "prova" in texts
    assert any("10 entities" in t and "10 relations" in t for t in texts)
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["Person (2)", "Organization (4)", "Place (2)", "Event (1)",
                      "Quotation (1)"]


def test_files_are_deterministic_png_at_150_dpi_and_svg(tmp_path):
    G = small_graph()
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        write_picture(G, folder / "graph.png", folder / "graph.svg", title="prova")
    assert (first / "graph.png").read_bytes() == (second / "graph.png").read_bytes()
    assert (first / "graph.svg").read_bytes() == (second / "graph.svg").read_bytes()
    width, height = png_size(first / "graph.png")
    assert 1500 <= width <= 2600 and 1000 <= height <= 2000  # about 12 x 8 in at 150 dpi
    svg = (first / "graph.svg").read_text(encoding="utf-8")
    assert "Lombardia Aerospace Cluster" in svg  # text stays text in the SVG
    assert not list(tmp_path.glob("*/.graph.*.tmp"))  # atomic writes leave nothing behind


def test_png_is_what_savefig_draws_without_the_alpha_channel(tmp_path):
    from io import BytesIO

    import numpy as np
    from PIL import Image

    from pipeline.export.picture import png_bytes

    figure = picture_figure(small_graph(), title="prova")
    ours = Image.open(BytesIO(png_bytes(figure)))
    saved = BytesIO()
    figure.savefig(saved, format="png", dpi=figure.dpi)
    theirs = np.asarray(Image.open(saved))
    assert ours.mode == "RGB" and theirs.shape[2] == 4
    assert (theirs[..., 3] == 255).all()  # opaque: the alpha channel said nothing
    assert np.array_equal(np.asarray(ours), theirs[..., :3])
    assert ours.info["dpi"] == pytest.approx((150, 150), abs=0.1)  # (PNG keeps dots per metre)


def test_warming_up_changes_no_picture(tmp_path):
    """picture.warm (run by writer.preload before the picture's process is forked) leaves
    nothing behind that a picture would show."""
    from pipeline.export.picture import warm

    G = small_graph()
    write_picture(G, tmp_path / "a.png", tmp_path / "a.svg", title="prova")
    warm()
    write_picture(G, tmp_path / "b.png", tmp_path / "b.svg", title="prova")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_docstring_examples():
    import doctest

    from pipeline.export import layout, picture

    for module in (layout, picture):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_positions_can_be_shared_with_the_html_view(tmp_path):
    G = small_graph()
    pos = graph_layout(G)
    write_picture(G, tmp_path / "a.png", positions=pos)
    write_picture(G, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_a_different_seed_gives_a_different_layout():
    G = small_graph()
    assert graph_layout(G, seed=1) != graph_layout(G, seed=2)
    assert graph_layout(G, seed=1) == graph_layout(G, seed=1)


def test_layout_cache_gives_the_positions_of_a_full_layout_and_redoes_only_what_changed():
    """Component layouts kept in a LayoutCache (saved as JSON between runs) come back as the
    positions a layout without cache computes; after an edit only the touched component is
    laid out again."""
    import json

    from pipeline.export.layout import LayoutCache

    G = small_graph()
    node(G, "x1", "Airbus", "Organization")
    node(G, "x2", "Tolosa", "Place")
    node(G, "x3", "Francia", "Place")
    edge(G, "x1", "x2", "location", "si trova a")
    edge(G, "x2", "x3", "containedInPlace", "in")
    node(G, "lonely", "Boeing", "Organization")
    fresh = graph_layout(G)
    first = LayoutCache()
    assert graph_layout(G, cache=first) == fresh and first.hits == 0
    saved = json.loads(json.dumps(first.used))  # as write_views keeps it on disk
    again = LayoutCache(saved)
    assert graph_layout(G, cache=again) == fresh
    assert again.hits == 2  # both components of more than one node
    edge(G, "x3", "x1", "partnerOf", "partner di")  # the small component changes
    after = LayoutCache(again.used)
    assert graph_layout(G, cache=after) == graph_layout(G)
    assert after.hits == 1
    assert len(after.used) == 2  # the old layout of the changed component is dropped
    wrong = LayoutCache({key: [[0.0, 0.0]] for key in after.used})  # damaged: laid out again
    assert graph_layout(G, cache=wrong) == graph_layout(G) and wrong.hits == 0


def test_names_are_plain_text_not_tex_or_markup(tmp_path):
    G = nx.MultiDiGraph()
    hostile = {
        "p1": "$x^$ \\frac{1}{0} Mario",
        "p2": "</script><img src=x onerror=alert(1)>",
        "o1": "Società 🚀 «Aero» & Figli \"srl\"",
        "o2": "a\x00b\ud800c",  # not XML text: removed
    }
    for key, label in hostile.items():
        node(G, key, label, "Person" if key[0] == "p" else "Organization")
    edge(G, "p1", "o1", "role", "$\\alpha$")
    write_picture(G, tmp_path / "graph.png", tmp_path / "graph.svg")
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "&lt;/script&gt;&lt;img src=x" in svg and "onerror=alert(1)&gt;" in svg  # 2 lines
    assert "<img" not in svg and "<script" not in svg
    assert "$x^$" in svg
    figure = picture_figure(G)
    assert {"abc", "$x^$ \\frac{1}{0} Mario"} <= {
        t.get_text().replace("\n", " ") for t in figure.axes[0].texts
    }


def test_empty_and_edgeless_graphs(tmp_path):
    write_picture(nx.MultiDiGraph(), tmp_path / "empty.png")
    G = nx.MultiDiGraph()
    node(G, "a", "Solo", "Place")
    write_picture(G, tmp_path / "one.png", tmp_path / "one.svg")
    assert png_size(tmp_path / "empty.png")[0] > 0 and png_size(tmp_path / "one.png")[0] > 0


def big_graph(n: int, m: int) -> nx.MultiDiGraph:
    rng = random.Random(3)
    G = nx.MultiDiGraph()
    types = list(TYPE_STYLES)
    for i in range(n):
        node(G, f"n{i}", f"Entità {i}", types[i % len(types)], articles=f"a{i % 40}")
    for _ in range(m):
        u, v = rng.randrange(n), rng.randrange(n)
        edge(G, f"n{u}", f"n{v}", "partnerOf", "partner di", article=f"a{u % 40}")
    return G


def test_big_graph_is_drawn_in_few_artists_and_labels_only_the_top_entities(tmp_path):
    """What keeps a big picture fast (timed by benchmarks/bench.py, not here): all the edges
    are one path, the nodes a few collections, and only the top entities get a label."""
    from matplotlib.patches import PathPatch

    G = big_graph(LARGE_COMPONENT + 200, 2 * (LARGE_COMPONENT + 200))
    write_picture(G, tmp_path / "graph.png", max_labels=25)
    assert png_size(tmp_path / "graph.png")[0] > 1000
    figure = picture_figure(G, max_labels=25)
    ax = figure.axes[0]
    edge_paths = [a for a in ax.get_children() if isinstance(a, PathPatch)]
    assert len(edge_paths) == 1
    drawn = sum(1 for u, v in G.edges() if u != v)  # a self-loop has no segment
    assert len(edge_paths[0].get_path().vertices) == 2 * drawn
    assert len(ax.collections) <= 5  # one scatter per node type
    labels = ax.texts
    assert 0 < len(labels) <= 25
    degree = {n: d for n, d in G.degree() if G.nodes[n]["type"] != "Quotation"}
    top = max(degree, key=degree.get)
    assert G.nodes[top]["label"] in {t.get_text() for t in labels}


@pytest.mark.skipif(not (SHIPPED_MODEL_PATH / "config.cfg").is_file() or not SEED.is_file(),
                    reason="needs the shipped model and corpus/seed-article.txt")
def test_seed_article_picture_shows_its_people_and_organisations(seed_graph, tmp_path):
    people_orgs = [d["label"] for _, d in seed_graph.nodes(data=True)
                   if d["type"] in ("Person", "Organization")]
    assert "Angelo Vallerani" in people_orgs and len(people_orgs) >= 5
    figure = picture_figure(seed_graph, title="seed-article")
    assert_people_and_orgs_legible(seed_graph, figure, min_size=9.5)
    write_picture(seed_graph, tmp_path / "seed-graph.png", tmp_path / "seed-graph.svg",
                  title="seed-article")
    if ARTIFACTS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tmp_path / "seed-graph.png", ARTIFACTS / "seed-graph-picture.png")


def test_small_graph_arrows_are_one_path_and_one_collection_of_heads():
    """Arrows (graphs of at most ARROW_EDGES edges): every shaft in one path of curves, every
    head in one collection; parallel edges bend (their control points leave the straight
    line)."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as Segments

    G = small_graph()
    ax = picture_figure(G, title="prova").axes[0]
    drawn = sum(1 for u, v in G.edges() if u != v)
    [shafts] = [a for a in ax.get_children() if isinstance(a, PathPatch)]
    path = shafts.get_path()
    assert list(path.codes).count(Segments.MOVETO) == drawn
    [heads] = [c for c in ax.collections if type(c) is PolyCollection]
    assert len(heads.get_paths()) == drawn
    starts = [i for i, code in enumerate(path.codes) if code == Segments.MOVETO]
    bent = 0
    for i in starts:
        (x0, y0), (cx, cy), (x1, y1) = path.vertices[i:i + 3]
        bent += abs((x1 - x0) * (cy - y0) - (y1 - y0) * (cx - x0)) > 1e-9
    assert bent >= 1  # l2 -> o4 runs against o4 -> l2


@pytest.mark.parametrize("n, side", [(0, 1.0), (1, 1.0), (2, 1.0), (2, 100.0), (7, 0.0),
                                     (60, 4.0), (700, 30.0), (300, 3000.0)])
def test_close_pairs_are_every_pair_within_the_distance_once(n, side):
    """The grid finds what comparing every pair finds (negative coordinates, points on one
    spot, far apart, or at exactly the distance included)."""
    import numpy as np

    from pipeline.export.layout import close_pairs

    points = np.random.default_rng(n).random((n, 2)) * side - side / 3
    if n >= 2:
        points[1] = points[0] + [2.5, 0.0]  # exactly the distance apart
    i, j = close_pairs(points, 2.5)
    delta = points[:, None, :] - points[None, :, :]
    near = (delta * delta).sum(axis=2) <= 2.5 * 2.5
    expected = sorted((a, b) for a, b in zip(*np.nonzero(near), strict=True) if a < b)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == expected
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == len(expected)
    if n >= 2:
        assert (0, 1) in expected


def test_a_big_component_is_laid_out_deterministically_and_spread():
    """A component of LARGE_COMPONENT nodes or more (the grid-cut force layout): the same
    positions every time, finite, and no two nodes on one spot."""
    import numpy as np

    G = big_graph(LARGE_COMPONENT + 100, 2 * (LARGE_COMPONENT + 100))
    pos = graph_layout(G)
    assert pos == graph_layout(G) and set(pos) == set(G)
    xy = np.array(list(pos.values()))
    assert np.isfinite(xy).all()
    assert len({(round(x, 6), round(y, 6)) for x, y in xy}) == len(xy)
