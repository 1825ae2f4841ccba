"""graph.html (pipeline/export/html_view.py): a self-contained page, checked as text and in a real
headless Chromium (Debian's ``chromium`` and ``chromedriver``, which .ci/run installs; the
browser tests skip, saying why, where they are missing): no JavaScript error, every node and
edge drawn, search, filters, the details panel with evidence and source links, and no script
injection whatever the names hold. The seed-article test uses the shipped model; its
screenshot is kept in the test's tmp dir and copied to $AEROKG_TEST_ARTIFACTS when set."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import time
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Dataset, Literal, URIRef

from pipeline.export.html_view import (
    article_sources,
    article_titles,
    graph_payload,
    html_text,
    vis_network_js,
    write_html,
)
from pipeline.nlp.loader import SHIPPED_MODEL_PATH

SEED = Path(__file__).resolve().parents[1] / "corpus" / "seed-article.txt"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HOSTILE = "</script><img src=x onerror=alert(1)>"
# resolved now: the tests run in their tmp dir (conftest)
ARTIFACTS = os.environ.get("AEROKG_TEST_ARTIFACTS")
ARTIFACTS = Path(ARTIFACTS).resolve() if ARTIFACTS else None


def node(G, key, label, node_type, cls="", articles="a1", **extra):
    attrs = dict(label=label, type=node_type, iri=key, articles=articles, alt_labels="",
                 roles="", date="", text="", confidence=0.0)
    attrs["class"] = cls or node_type
    attrs.update(extra)
    G.add_node(key, **attrs)


def edge(G, u, v, relation, label, article="a1", evidence="Una frase.", **extra):
    attrs = dict(type=relation, label=label, article=article, evidence=evidence,
                 confidence=0.8, fact="", role="", value=0.0, currency="", year="", sector="")
    attrs.update(extra)
    G.add_edge(u, v, **attrs)


def small_graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    node(G, "p1", "Angelo Vallerani", "Person", roles="presidente", articles="a1; a2")
    node(G, "o1", "Lombardia Aerospace Cluster", "Organization", "Cluster",
         alt_labels="distretto aerospaziale lombardo")
    node(G, "l1", "Québec", "Place", articles="a2")
    node(G, "l2", "Lombardia", "Place", "Region")
    node(G, "e1", "seminario", "Event", "Seminar", date="2017-11", confidence=0.6)
    edge(G, "p1", "o1", "role", "presidente", role="presidente",
         evidence="commenta Angelo Vallerani, presidente del Lombardia Aerospace Cluster. | "
                  "Seconda frase sul cluster.")
    edge(G, "e1", "o1", "sponsor", "sponsor")
    edge(G, "l2", "l1", "trade_flow", "flusso commerciale: 9000000 EUR, 2016, aerospaziale",
         article="a2", value=9000000.0, currency="EUR", year="2016", sector="aerospaziale")
    edge(G, "l2", "l1", "trade_flow", "flusso commerciale", article="a1")  # parallel edge
    return G


# ---------------------------------------------------------------------------------------------
# The page as text
# ---------------------------------------------------------------------------------------------


def test_payload_nodes_edges_filters_and_sources():
    G = small_graph()
    data = graph_payload(G, sources={"a1": "https://example.org/a1", "a2": "javascript:alert(1)"},
                         titles={"a2": "Il Québec e la Lombardia"})
    assert [n["label"] for n in data["nodes"]] == [d["label"] for _, d in G.nodes(data=True)]
    assert len(data["edges"]) == G.number_of_edges() == 4
    vallerani = data["nodes"][0]
    assert vallerani["articles"] == ["a1", "a2"] and vallerani["roles"] == ["presidente"]
    role = data["edges"][0]
    assert role["evidence"] == [
        "commenta Angelo Vallerani, presidente del Lombardia Aerospace Cluster.",
        "Seconda frase sul cluster.",
    ]
    flows = [e for e in data["edges"] if e["type"] == "trade_flow"]
    assert sorted(abs(e.get("bend", 0)) for e in flows) == [0, 0.2]  # parallel: one bends
    articles = {a["id"]: a for a in data["articles"]}
    assert articles["a1"]["url"] == "https://example.org/a1"
    assert "url" not in articles["a2"]  # only http(s) links
    assert articles["a2"]["title"] == "Il Québec e la Lombardia"
    assert [t["name"] for t in data["types"]] == ["Person", "Organization", "Place", "Event"]
    assert {r["type"]: r["count"] for r in data["relations"]} == {
        "trade_flow": 2, "role": 1, "sponsor": 1}
    assert data["meta"]["sizeBy"] == "mentions"  # two articles


def test_page_is_self_contained_deterministic_and_its_scripts_are_allowed_by_hash(tmp_path):
    G = small_graph()
    text = html_text(G, title="Prova & <test>")
    assert text == html_text(G, title="Prova & <test>")
    assert "<title>Prova &amp; &lt;test&gt;</title>" in text
    # nothing is fetched: no external script, stylesheet, image or frame
    assert not re.search(r"<(script|img|iframe|link)[^>]+(src|href)=", text, re.IGNORECASE)
    assert "sourceMappingURL" not in text
    scripts = re.findall(r"<script>(.*?)</script>", text, re.DOTALL)
    assert len(scripts) == 2 and scripts[0] == vis_network_js()
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1))
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    write_html(G, tmp_path / "graph.html")
    assert (tmp_path / "graph.html").read_text(encoding="utf-8") == html_text(G)


def test_hostile_strings_cannot_end_the_data_script():
    G = nx.MultiDiGraph()
    node(G, "x", HOSTILE, "Person", alt_labels="<!-- x --> & \u2028 \x00", articles=HOSTILE)
    node(G, "y", "\ud800Lone surrogate", "Organization")
    edge(G, "x", "y", "role", "</SCRIPT>", evidence="<b>grassetto</b> | «citazione»",
         article=HOSTILE)
    text = html_text(G, title=HOSTILE, sources={HOSTILE: "https://e.org/?a=<b>&c=\"d\""})
    data_script = re.search(
        r'<script id="aerokg-data" type="application/json">(.*?)</script>', text, re.DOTALL
    ).group(1)
    assert "<" not in data_script and ">" not in data_script and "&" not in data_script
    data = json.loads(data_script)
    assert data["nodes"][0]["label"] == HOSTILE
    assert data["nodes"][1]["label"] == "Lone surrogate"  # xml_safe_graph removed it
    assert data["articles"][0] == {"id": HOSTILE, "nodes": 1, "edges": 1}  # URL not http-safe
    assert text.count("</script>") == 3  # the data, vis-network, the page's own
    assert "<img" not in text


def test_article_sources_and_titles_from_the_dataset():
    from pipeline.mapping.vocab import DCTERMS, RDF, SCHEMA, article_iri, graph_iri

    ds = Dataset()
    g = ds.graph(graph_iri("wn-1"))
    article = article_iri("wn-1")
    g.add((article, RDF.type, SCHEMA.NewsArticle))
    g.add((article, DCTERMS.identifier, Literal("wn-1")))
    g.add((article, SCHEMA.url, URIRef("https://example.org/news/1")))
    g.add((article, SCHEMA.headline, Literal("Cluster lombardo in Québec")))
    other = ds.graph(graph_iri("wn-2"))
    other.add((article_iri("wn-2"), RDF.type, SCHEMA.NewsArticle))
    other.add((article_iri("wn-2"), DCTERMS.identifier, Literal("wn-2")))
    assert article_sources(ds) == {"wn-1": "https://example.org/news/1"}
    assert article_titles(ds) == {"wn-1": "Cluster lombardo in Québec"}


def test_docstring_examples_and_shared_positions():
    import doctest

    from pipeline.export import html_assets
    from pipeline.export import html_view as html_module
    from pipeline.export.layout import graph_layout

    for module in (html_module, html_assets):
        assert doctest.testmod(module).failed == 0, module.__name__
    G = small_graph()
    assert html_text(G, positions=graph_layout(G)) == html_text(G)


def test_vis_network_comes_from_the_pyvis_package():
    script = vis_network_js()
    assert script.lstrip().startswith("/**") and "vis-network" in script[:300]
    assert "@version 9." in script[:400]


# ---------------------------------------------------------------------------------------------
# In headless Chromium
# ---------------------------------------------------------------------------------------------

HOOKS = """
window.__errors = [];
window.__alerts = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.addEventListener('unhandledrejection', function (e) {
  window.__errors.push('unhandled rejection: ' + String(e.reason));
});
window.alert = window.confirm = window.prompt = function (m) { window.__alerts.push(String(m)); };
"""


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium "
                    "chromium-driver; .ci/run does it when it can)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1440,900", "--hide-scrollbars",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOKS})
    yield driver
    driver.quit()


def load(driver, path: Path, timeout: float = 30.0) -> None:
    driver.get_log("browser")  # forget the previous page's messages
    driver.get(path.as_uri())
    deadline = time.monotonic() + timeout
    while not driver.execute_script("return !!(window.aerokg && window.aerokg.ready)"):
        errors = driver.execute_script("return window.__errors || []")
        assert not errors, errors
        assert time.monotonic() < deadline, "the graph was not drawn"
        time.sleep(0.05)


def assert_no_errors(driver) -> None:
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe
    assert driver.execute_script("return window.__errors") == []
    assert driver.execute_script("return window.__alerts") == []


def evidence(driver) -> list[str]:
    """The evidence sentences the details panel shows."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#details blockquote'), b => b.textContent)")


def drawn(driver) -> dict:
    return driver.execute_script("return window.aerokg.drawn()")


def details_text(driver) -> str:
    """The details panel's text, one line per element (headings as written, not upper-cased)."""
    return driver.execute_script(
        "var out = [];"
        "var walk = document.createTreeWalker(document.getElementById('details'),"
        "                                     NodeFilter.SHOW_TEXT);"
        "while (walk.nextNode()) out.push(walk.currentNode.nodeValue);"
        "return out.join('\\n');")


@pytest.mark.skipif(not (SHIPPED_MODEL_PATH / "config.cfg").is_file() or not SEED.is_file(),
                    reason="needs the shipped model and corpus/seed-article.txt")
def test_seed_article_page_in_chromium(browser, seed_graph, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path = tmp_path / "graph.html"
    write_html(seed_graph, path, title="seed-article",
               sources={"seed-article": "https://example.org/seed-article"})
    load(browser, path)
    assert_no_errors(browser)
    assert drawn(browser) == {"nodes": seed_graph.number_of_nodes(),
                              "edges": seed_graph.number_of_edges()}
    # the canvas is really painted: pixels of the Person colour in the middle of the graph
    assert browser.execute_script(
        "var c = document.querySelector('#graph canvas'), x = c.getContext('2d');"
        "var d = x.getImageData(0, 0, c.width, c.height).data, n = 0;"
        "for (var i = 0; i < d.length; i += 4)"
        "  if (d[i] === 0xD5 && d[i+1] === 0x5E && d[i+2] === 0) n++;"
        "return n;") > 50

    screenshot = tmp_path / "seed-graph.png"
    browser.save_screenshot(str(screenshot))
    if ARTIFACTS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(screenshot, ARTIFACTS / "seed-graph.png")

    search = browser.find_element(By.ID, "search")
    search.send_keys("Vallerani")
    options = browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results li'), li => li.innerText)")
    assert options and "Angelo Vallerani" in options[0]
    search.send_keys(Keys.ENTER)
    selected = browser.execute_script("return aerokg.network.getSelectedNodes()")
    assert len(selected) == 1
    assert browser.execute_script("return aerokg.node(arguments[0]).label", selected[0]) == \
        "Angelo Vallerani"
    panel = details_text(browser)
    assert "Angelo Vallerani" in panel and "presidente" in panel and "seed-article" in panel
    link = browser.find_element(By.CSS_SELECTOR, "#details a")
    assert link.get_attribute("href") == "https://example.org/seed-article"
    assert link.get_attribute("rel") == "noopener noreferrer"

    # a relation of his: its evidence sentence, his name marked in it
    browser.execute_script(
        "Array.from(document.querySelectorAll('#details .links button'))"
        ".find(b => b.innerText.includes('Lombardia Aerospace Cluster')).click()")
    assert "Evidence" in details_text(browser)
    assert any("commenta Angelo Vallerani" in sentence for sentence in evidence(browser))
    marks = browser.execute_script(
        "return Array.from(document.querySelectorAll('#details mark')).map(m => m.textContent)")
    assert "Angelo Vallerani" in marks
    browser.save_screenshot(str(tmp_path / "seed-graph-selected.png"))
    if ARTIFACTS:
        shutil.copy2(tmp_path / "seed-graph-selected.png", ARTIFACTS / "seed-graph-selected.png")
    assert_no_errors(browser)


def test_filters_and_edge_panel_in_chromium(browser, tmp_path):
    G = small_graph()
    path = tmp_path / "graph.html"
    write_html(G, path, sources={"a2": "https://example.org/a2"},
               titles={"a2": "Il Québec e la Lombardia"})
    load(browser, path)
    assert drawn(browser) == {"nodes": 5, "edges": 4}
    click = "document.querySelector(arguments[0]).click()"
    # types: the first checkbox is Person; without it, Vallerani and his relation go
    browser.execute_script(click, "#type-filters li:nth-child(1) input")
    assert drawn(browser) == {"nodes": 4, "edges": 3}
    status = browser.find_element("id", "status").text
    assert "Showing 4 of 5 entities" in status and "3 of 4 relations" in status
    browser.execute_script(click, "#type-filters li:nth-child(1) input")
    # relations: the first one is trade flow (2 edges)
    browser.execute_script(click, "#relation-filters li:nth-child(1) input")
    assert drawn(browser) == {"nodes": 5, "edges": 2}
    browser.execute_script(click, "#only-connected")
    assert drawn(browser)["nodes"] == 3  # Québec and Lombardia have no relation left
    browser.execute_script(click, "#reset")
    assert drawn(browser) == {"nodes": 5, "edges": 4}
    # articles: only a2
    browser.execute_script(click, "#articles-none")
    assert drawn(browser) == {"nodes": 0, "edges": 0}
    browser.execute_script(
        "Array.from(document.querySelectorAll('#article-filters li'))"
        ".find(li => li.innerText.includes('Il Québec')).querySelector('input').click()")
    # Vallerani and Québec (mentioned in a2), a2's trade flow and so its other end, Lombardia
    assert drawn(browser) == {"nodes": 3, "edges": 1}
    browser.execute_script(click, "#articles-all")

    # an edge: its evidence, article link, value, confidence
    edge_id = browser.execute_script(
        "return aerokg.data.edges.find(e => e.type === 'trade_flow' && e.article === 'a2').id")
    browser.execute_script("aerokg.selectEdge(arguments[0])", edge_id)
    panel = details_text(browser)
    assert "flusso commerciale: 9000000 EUR" in panel
    assert "9.000.000" in panel and "2016" in panel and "80%" in panel
    link = browser.find_element("css selector", "#details a")
    assert link.get_attribute("href") == "https://example.org/a2"
    assert link.text == "Il Québec e la Lombardia"
    # a node's panel: class, other names, date; searching by another name
    results = browser.execute_script("return aerokg.search('distretto aerospaziale')")
    assert browser.execute_script("return aerokg.node(arguments[0]).label", results[0]) == \
        "Lombardia Aerospace Cluster"
    browser.execute_script("aerokg.select(aerokg.search('seminario')[0])")
    panel = details_text(browser)
    assert "Seminar" in panel and "2017-11" in panel and "60%" in panel
    browser.execute_script(click, "#close-details")
    assert not browser.find_element("id", "details").is_displayed()
    assert_no_errors(browser)


def test_hostile_label_is_shown_as_text_in_chromium(browser, tmp_path):
    G = nx.MultiDiGraph()
    node(G, "x", HOSTILE, "Person", alt_labels="\"quoted\" 'single' <i>it</i> 🚀")
    node(G, "y", "Org <b>bold</b> & co", "Organization")
    edge(G, "x", "y", "role", "<img src=y onerror=alert(2)>",
         evidence=f"{HOSTILE} disse qualcosa. | <script>alert(3)</script>",
         article="<svg onload=alert(4)>")
    path = tmp_path / "graph.html"
    write_html(G, path, title=HOSTILE,
               sources={"<svg onload=alert(4)>": "javascript:alert(5)"})
    load(browser, path)
    assert drawn(browser) == {"nodes": 2, "edges": 1}
    assert browser.title == HOSTILE
    results = browser.execute_script("return aerokg.search('onerror')")
    assert browser.execute_script("aerokg.select(arguments[0]); return true", results[0])
    title = browser.execute_script("return document.getElementById('details-title').textContent")
    assert title == HOSTILE
    edge_id = browser.execute_script("return aerokg.data.edges[0].id")
    browser.execute_script("aerokg.selectEdge(arguments[0])", edge_id)
    assert evidence(browser) == [f"{HOSTILE} disse qualcosa.", "<script>alert(3)</script>"]
    assert "<svg onload=alert(4)>" in details_text(browser)  # the article id, as text
    assert browser.execute_script("return document.getElementById('page-title').textContent") \
        == HOSTILE
    # nothing of the names became markup
    assert browser.execute_script("return document.scripts.length") == 3  # data, vis, page
    assert browser.execute_script(
        "return document.querySelectorAll('img, b, i, [onerror], [onload]').length") == 0
    assert browser.execute_script("return document.querySelectorAll('a[href^=\"javascript\"]')"
                                  ".length") == 0
    time.sleep(0.3)  # an injected handler would have run by now
    assert_no_errors(browser)


def test_empty_and_odd_graphs_in_chromium(browser, tmp_path):
    write_html(nx.MultiDiGraph(), tmp_path / "empty.html")
    load(browser, tmp_path / "empty.html")
    assert drawn(browser) == {"nodes": 0, "edges": 0}
    assert_no_errors(browser)
    # ids that are not strings (1 and "1" are two nodes), no attributes, an unknown type,
    # a self-loop
    G = nx.MultiDiGraph()
    G.add_node(1)
    G.add_node("1", label="uno", type="Strange")
    G.add_edge(1, "1")
    G.add_edge(1, 1)
    write_html(G, tmp_path / "odd.html")
    load(browser, tmp_path / "odd.html")
    assert drawn(browser) == {"nodes": 2, "edges": 2}
    assert browser.execute_script("return aerokg.search('uno').length") == 1
    assert_no_errors(browser)
