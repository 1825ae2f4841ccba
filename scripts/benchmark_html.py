"""How graph.html and graph.png cope with a big graph: a random property graph of 2,000 nodes and
4,000 edges (types, articles, evidence like a corpus run's; degrees heavy-tailed, as entities
like "Lombardia" or "Leonardo" are in real runs).

Writes graph.html and graph.png into a temporary folder (never into this repository), loads the
page in headless Chromium (Debian's ``chromium`` and ``chromedriver``, through selenium) and
prints: the time to write each file, the HTML file size, the time to first render (navigation
start to the first drawing of the graph), the time to search and select an entity, and to
apply a filter; and the numbers of nodes and edges drawn.

    python scripts/benchmark_html.py [--nodes 2000] [--edges 4000] [--seed 1] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

from pipeline.export.html_view import write_html
from pipeline.export.picture import write_picture

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

TYPES = {  # type -> (share of the nodes, classes)
    "Person": (0.30, ["Person"]),
    "Organization": (0.30, ["Company", "Cluster", "GovernmentBody", "Agency", "University"]),
    "Place": (0.22, ["City", "Region", "Country", "Facility"]),
    "Event": (0.10, ["Seminar", "Visit", "Meeting", "Fair"]),
    "Quotation": (0.08, ["Quotation"]),
}
RELATIONS = ["role", "memberOf", "location", "containedInPlace", "partnerOf", "organizer",
             "sponsor", "participant", "visitor", "host", "speaker", "trade_flow", "quote"]
SYLLABLES = ["ro", "ma", "li", "ve", "ne", "to", "sa", "ri", "co", "la", "mi", "no", "gi", "an",
             "ter", "val", "ber", "gal", "pe", "ca"]


def random_graph(n: int, m: int, seed: int) -> nx.MultiDiGraph:
    rng = random.Random(seed)
    articles = [f"wn-{i:04d}" for i in range(max(1, n // 6))]
    G = nx.MultiDiGraph()
    names = set()
    for i in range(n):
        node_type = rng.choices(list(TYPES), weights=[w for w, _ in TYPES.values()])[0]
        while True:
            words = [
                "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
                for _ in range(rng.randint(1, 3))
            ]
            name = " ".join(words)
            if name not in names:
                names.add(name)
                break
        label = f"«{name} {' '.join(words).lower()} …»" if node_type == "Quotation" else name
        G.add_node(
            f"https://w3id.org/aerokg/id/{node_type.lower()}/{i}",
            label=label, type=node_type, **{"class": rng.choice(TYPES[node_type][1])},
            iri=f"https://w3id.org/aerokg/id/{node_type.lower()}/{i}",
            articles="; ".join(sorted(rng.sample(articles, rng.choice([1, 1, 1, 2, 3])))),
            alt_labels="", roles="presidente" if node_type == "Person" else "", date="",
            text=label if node_type == "Quotation" else "", confidence=0.0,
        )
    nodes = list(G)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(n)]  # heavy-tailed degrees
    rng.shuffle(weights)
    for _ in range(m):
        u, v = rng.choices(nodes, weights=weights, k=2)
        if u == v:
            v = rng.choice(nodes)
        relation = rng.choice(RELATIONS)
        sentence = (f"{G.nodes[u]['label']} e {G.nodes[v]['label']} hanno firmato un accordo di "
                    "collaborazione nel settore aerospaziale, con visite e scambi tra le imprese.")
        G.add_edge(u, v, type=relation, label=relation, article=rng.choice(articles),
                   evidence=sentence, confidence=round(rng.uniform(0.5, 0.95), 2), fact="",
                   role="", value=0.0, currency="", year="", sector="")
    return G


def chromium(width: int = 1440, height: int = 900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_ready(driver, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not driver.execute_script("return !!(window.aerokg && window.aerokg.ready)"):
        if time.monotonic() > deadline:
            sys.exit(f"the page did not draw the graph within {timeout:.0f} s")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--edges", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path,
                        help="copy graph.html, graph.png and a screenshot here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        sys.exit("needs Debian's chromium and chromium-driver: "
                 "apt-get install chromium chromium-driver")

    G = random_graph(args.nodes, args.edges, args.seed)
    folder = Path(tempfile.mkdtemp(prefix="aerokg-bench-"))
    try:
        html_path, png_path = folder / "graph.html", folder / "graph.png"
        started = time.perf_counter()
        write_html(G, html_path, title=f"benchmark: {args.nodes} nodes, {args.edges} edges")
        html_seconds = time.perf_counter() - started
        started = time.perf_counter()
        write_picture(G, png_path, title=f"benchmark: {args.nodes} nodes, {args.edges} edges")
        png_seconds = time.perf_counter() - started

        driver = chromium()
        try:
            started = time.perf_counter()
            driver.get(html_path.as_uri())
            wait_ready(driver)
            load_seconds = time.perf_counter() - started
            first_render_ms = driver.execute_script("return window.aerokg.firstDrawMs")
            drawn = driver.execute_script("return window.aerokg.drawn()")
            select_ms = driver.execute_script(
                "var t = performance.now(); var hits = aerokg.search(aerokg.data.nodes[0].label);"
                "aerokg.select(hits[0]); return performance.now() - t;")
            filter_ms = driver.execute_script(
                "var t = performance.now();"
                "document.querySelector('#type-filters input').click();"
                "return performance.now() - t;")
            driver.execute_script("document.querySelector('#type-filters input').click()")
            if args.keep:
                driver.execute_script("document.getElementById('reset').click()")
                time.sleep(0.6)
                driver.save_screenshot(str(folder / "screenshot.png"))
        finally:
            driver.quit()
        result = {
            "nodes": G.number_of_nodes(),
            "edges": G.number_of_edges(),
            "html_bytes": html_path.stat().st_size,
            "png_bytes": png_path.stat().st_size,
            "write_html_s": round(html_seconds, 2),
            "write_png_s": round(png_seconds, 2),
            "first_render_ms": round(first_render_ms),
            "page_load_s": round(load_seconds, 2),
            "search_and_select_ms": round(select_ms),
            "filter_ms": round(filter_ms),
            "drawn": drawn,
        }
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("graph.html", "graph.png", "screenshot.png"):
                shutil.copy2(folder / name, args.keep / name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"graph: {result['nodes']:,} nodes, {result['edges']:,} edges")
    print(f"graph.html: {result['html_bytes'] / 1e6:.2f} MB, written in {html_seconds:.2f} s "
          f"(layout included)")
    print(f"graph.png: {result['png_bytes'] / 1e3:.0f} kB, written in {png_seconds:.2f} s")
    print(f"headless Chromium: first render {first_render_ms:.0f} ms after navigation start "
          f"(page ready in {load_seconds:.2f} s), drawn {drawn['nodes']:,} nodes and "
          f"{drawn['edges']:,} edges")
    print(f"search + select an entity: {select_ms:.0f} ms; "
          f"toggle a type filter: {filter_ms:.0f} ms")


if __name__ == "__main__":
    main()
