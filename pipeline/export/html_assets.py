"""Export stage, the page of ``graph.html``: its HTML skeleton, CSS and JavaScript (our own code;
the vis-network library is added by ``html.py`` from the ``pyvis`` package).

Kept as Python strings so that they install with the package like any module. ``html.py``
fills the ``{{...}}`` markers of :data:`PAGE_TEMPLATE`. The script reads the graph from the
``<script id="aerokg-data" type="application/json">`` element and puts every string from it
into the page with ``textContent`` / ``createTextNode`` (never ``innerHTML``), and links only
``http(s)`` URLs.

For tests and scripts the page exposes ``window.aerokg``: ``ready`` (true after the first
drawing), ``firstDrawMs`` (milliseconds from navigation start to the first drawing),
``network`` (the vis-network ``Network``), ``drawn()`` (the numbers of nodes and edges being
drawn), ``search(text)`` and ``select(nodeId)``, ``node(id)`` / ``edge(id)`` (the JSON entries).

>>> "{{DATA}}" in PAGE_TEMPLATE and "</script" not in APP_JS.lower()
True
"""

# ruff: noqa: E501  (CSS and JavaScript, not Python)

from __future__ import annotations

__all__ = ["APP_JS", "PAGE_CSS", "PAGE_TEMPLATE"]

PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{CSP}}">
<meta name="generator" content="aerokg {{VERSION}}">
<title>{{TITLE}}</title>
<style>
{{CSS}}
</style>
</head>
<body>
<header class="topbar">
  <button id="toggle-filters" class="icon-button narrow-only" type="button"
          aria-controls="filters" aria-expanded="false" title="Filters">&#9776;</button>
  <div class="brand">
    <h1 id="page-title">{{TITLE}}</h1>
    <p id="summary" class="summary"></p>
  </div>
  <div class="search" role="search">
    <input id="search" type="search" autocomplete="off" spellcheck="false"
           placeholder="Search a name&#8230;" aria-label="Search an entity by name"
           aria-controls="search-results" aria-autocomplete="list">
    <ul id="search-results" class="search-results" role="listbox" hidden></ul>
  </div>
  <div class="actions">
    <button id="fit" type="button" title="Show the whole graph">Fit</button>
    <button id="reset" type="button" title="Clear the selection and the filters">Reset</button>
  </div>
</header>
<aside id="filters" class="panel filters" aria-label="Legend and filters">
  <section>
    <h2>Entities</h2>
    <ul id="type-filters" class="checks"></ul>
    <label class="check single"><input id="only-connected" type="checkbox">
      <span>Only connected entities</span></label>
  </section>
  <section>
    <h2>Relations</h2>
    <ul id="relation-filters" class="checks"></ul>
  </section>
  <section id="article-section">
    <h2>Articles <span id="article-count" class="count"></span></h2>
    <div class="article-tools">
      <input id="article-search" type="search" placeholder="Filter articles&#8230;"
             aria-label="Filter the list of articles" autocomplete="off">
      <button id="articles-all" type="button" class="small">All</button>
      <button id="articles-none" type="button" class="small">None</button>
    </div>
    <ul id="article-filters" class="checks articles"></ul>
  </section>
  <section>
    <h2>Node size</h2>
    <div class="segmented" role="radiogroup" aria-label="Node size">
      <label><input type="radio" name="size-by" value="mentions">
        <span>articles</span></label>
      <label><input type="radio" name="size-by" value="degree">
        <span>relations</span></label>
    </div>
  </section>
  <p class="hint">Click an entity or a relation to see its class, its articles and the
    sentences it comes from. Scroll to zoom, drag to move around, double-click to zoom in.
    Press <kbd>/</kbd> to search, <kbd>Esc</kbd> to close.</p>
  <p class="generator">aerokg {{VERSION}} &#183; vis-network</p>
</aside>
<main id="graph" aria-label="Graph"></main>
<p id="status" class="status" aria-live="polite"></p>
<aside id="details" class="panel details" aria-label="Details" aria-live="polite" hidden>
  <button id="close-details" class="close" type="button" title="Close (Esc)" aria-label="Close">&#215;</button>
  <div id="details-body"></div>
</aside>
<noscript><p class="noscript">This page needs JavaScript to draw the graph.</p></noscript>
<script id="aerokg-data" type="application/json">{{DATA}}</script>
<script>{{VIS_JS}}</script>
<script>{{APP_JS}}</script>
</body>
</html>
"""

PAGE_CSS = r"""
:root {
  --ink: #1f2937; --muted: #6b7280; --faint: #9ca3af; --line: #e5e7eb; --bg: #f4f6f8;
  --panel: #ffffff; --accent: #2563eb; --accent-soft: #dbeafe; --mark: #fde68a;
  --top: #111827; --filters: 256px; --details: 380px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--bg); font-size: 14px; line-height: 1.45;
}
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; overflow: hidden; }
body {
  display: grid; height: 100vh;
  grid-template-columns: var(--filters) minmax(0, 1fr);
  grid-template-rows: auto minmax(0, 1fr);
  grid-template-areas: "top top" "filters graph";
}
button, input { font: inherit; color: inherit; }
.topbar {
  grid-area: top; display: flex; align-items: center; gap: 18px; padding: 10px 16px;
  background: var(--top); color: #f9fafb; min-width: 0;
}
.brand { min-width: 0; flex: 0 1 auto; }
.brand h1 {
  margin: 0; font-size: 17px; font-weight: 650; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;
}
.summary { margin: 1px 0 0; font-size: 12.5px; color: #cbd5e1; white-space: nowrap; }
.search { position: relative; flex: 1 1 320px; max-width: 460px; margin-left: auto; }
.search input {
  width: 100%; padding: 8px 12px 8px 34px; border-radius: 8px; border: 1px solid #374151;
  background: #1f2937 no-repeat 11px 50% / 15px 15px; color: #f9fafb; outline: none;
  background-image: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'%3E%3Ccircle cx='8.5' cy='8.5' r='5.5' fill='none' stroke='%239ca3af' stroke-width='2'/%3E%3Cpath d='M13 13l4.5 4.5' stroke='%239ca3af' stroke-width='2' stroke-linecap='round'/%3E%3C/svg%3E");
}
.search input:focus { border-color: #60a5fa; background-color: #111827; }
.search input::placeholder { color: #9ca3af; }
.search-results {
  position: absolute; z-index: 20; top: calc(100% + 6px); left: 0; right: 0; margin: 0;
  padding: 4px; list-style: none; background: var(--panel); color: var(--ink);
  border-radius: 8px; box-shadow: 0 12px 32px rgba(15, 23, 42, .28); max-height: 60vh;
  overflow-y: auto;
}
.search-results li {
  display: flex; align-items: center; gap: 8px; padding: 7px 9px; border-radius: 6px;
  cursor: pointer;
}
.search-results li[aria-selected="true"], .search-results li:hover { background: var(--accent-soft); }
.search-results .name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.search-results .other { color: var(--muted); font-size: 12px; }
.search-results .empty { color: var(--muted); cursor: default; }
.actions { display: flex; gap: 8px; }
.actions button, .icon-button {
  padding: 7px 12px; border-radius: 8px; border: 1px solid #374151; background: #1f2937;
  color: #e5e7eb; cursor: pointer;
}
.actions button:hover, .icon-button:hover { background: #374151; }
.panel { background: var(--panel); overflow-y: auto; min-height: 0; }
.filters { grid-area: filters; border-right: 1px solid var(--line); padding: 6px 14px 14px; }
.details {
  grid-area: graph; align-self: start; justify-self: end; z-index: 10; position: relative;
  width: min(var(--details), calc(100% - 24px)); max-height: calc(100% - 24px); margin: 12px;
  padding: 14px 18px 18px; border: 1px solid var(--line); border-radius: 12px;
  box-shadow: 0 10px 30px rgba(15, 23, 42, .16);
}
.details[hidden] { display: none; }
.close {
  position: absolute; top: 8px; right: 8px; width: 28px; height: 28px; border: 0;
  border-radius: 6px; background: none; font-size: 20px; line-height: 1; color: var(--muted);
  cursor: pointer;
}
.close:hover { background: #f3f4f6; color: var(--ink); }
#graph { grid-area: graph; position: relative; min-width: 0; min-height: 0; background:
  radial-gradient(circle at 1px 1px, #dfe3e8 1px, transparent 0) 0 0 / 22px 22px, var(--bg); }
.status {
  grid-area: graph; align-self: end; justify-self: start; z-index: 5; margin: 10px;
  padding: 4px 10px; font-size: 12px; color: var(--muted); background: rgba(255,255,255,.88);
  border: 1px solid var(--line); border-radius: 999px; pointer-events: none;
}
.filters h2, .details h3 {
  margin: 14px 0 6px; font-size: 11.5px; letter-spacing: .06em; text-transform: uppercase;
  color: var(--muted); font-weight: 650;
}
.count { color: var(--faint); font-weight: 500; letter-spacing: 0; }
.checks { list-style: none; margin: 0; padding: 0; }
.check {
  display: flex; align-items: center; gap: 8px; padding: 3px 4px; border-radius: 6px;
  cursor: pointer; user-select: none;
}
.check:hover { background: #f3f4f6; }
.check input { margin: 0; accent-color: var(--accent); }
.check .name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.check .n { color: var(--faint); font-size: 12px; font-variant-numeric: tabular-nums; }
.check.single { margin-top: 6px; color: var(--muted); }
.swatch { flex: none; width: 14px; height: 14px; }
.article-tools { display: flex; gap: 6px; margin-bottom: 6px; }
.article-tools input {
  flex: 1; min-width: 0; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px;
}
button.small {
  padding: 3px 8px; border: 1px solid var(--line); border-radius: 6px; background: #f9fafb;
  cursor: pointer; font-size: 12px;
}
button.small:hover { background: #f3f4f6; }
.articles { max-height: 240px; overflow-y: auto; }
.articles .check a { color: var(--faint); text-decoration: none; }
.segmented { display: inline-flex; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.segmented label { cursor: pointer; }
.segmented input { position: absolute; opacity: 0; pointer-events: none; }
.segmented span { display: block; padding: 4px 12px; font-size: 13px; color: var(--muted); }
.segmented input:checked + span { background: var(--accent-soft); color: #1e3a8a; font-weight: 600; }
.segmented input:focus-visible + span { outline: 2px solid var(--accent); }
.hint { margin: 18px 0 4px; font-size: 12.5px; color: var(--muted); }
.generator { margin: 8px 0 0; font-size: 11px; color: var(--faint); }
kbd {
  padding: 0 5px; border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px;
  font-size: 11px; background: #f9fafb;
}
.badges { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.badge {
  display: inline-flex; align-items: center; gap: 6px; padding: 2px 9px 2px 7px;
  border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff;
}
.badge.plain { color: var(--ink); background: #f3f4f6; font-weight: 500; }
.details .badges { padding-right: 28px; }
.details h2 { margin: 10px 0 4px; font-size: 19px; line-height: 1.3; overflow-wrap: anywhere; }
.details .sub { color: var(--muted); margin: 0 0 6px; overflow-wrap: anywhere; }
.details dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 10px 0 0; }
.details dt { color: var(--muted); }
.details dd { margin: 0; overflow-wrap: anywhere; }
.details ul.plain { margin: 0; padding-left: 18px; }
.details ul.plain li { margin: 2px 0; overflow-wrap: anywhere; }
.details a { color: var(--accent); }
.details blockquote {
  margin: 8px 0; padding: 8px 12px; border-left: 3px solid #cbd5e1; background: #f8fafc;
  border-radius: 0 6px 6px 0; font-size: 13.5px; overflow-wrap: anywhere; white-space: pre-line;
}
.details mark { background: var(--mark); border-radius: 3px; padding: 0 1px; color: inherit; }
.details .iri { font: 11.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--faint); overflow-wrap: anywhere; margin-top: 16px; }
.ends { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 8px 0; }
.ends .arrow { color: var(--muted); }
button.node-link {
  display: inline-flex; align-items: center; gap: 6px; max-width: 100%; padding: 2px 8px;
  border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer;
  text-align: left;
}
button.node-link:hover { border-color: var(--accent); background: var(--accent-soft); }
.links { list-style: none; margin: 0; padding: 0; }
.links li { margin: 0; }
.links button {
  display: flex; width: 100%; gap: 8px; align-items: baseline; padding: 6px 8px; border: 0;
  border-radius: 6px; background: none; cursor: pointer; text-align: left;
}
.links button:hover { background: #f3f4f6; }
.links .rel { color: var(--muted); white-space: nowrap; font-size: 12.5px; }
.links .other { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.narrow-only { display: none; }
.noscript { grid-area: graph; padding: 24px; }
.vis-tooltip {
  position: absolute; visibility: hidden; padding: 5px 8px; white-space: pre-line;
  font-size: 12.5px; color: #f9fafb; background: rgba(17, 24, 39, .92); border-radius: 6px;
  pointer-events: none; max-width: 320px; z-index: 10;
}
@media (max-width: 1100px) { :root { --details: 330px; --filters: 236px; } }
@media (max-width: 860px) {
  body { grid-template-columns: minmax(0, 1fr); grid-template-areas: "top" "graph"; }
  .details { max-height: 55%; justify-self: stretch; align-self: end; width: auto; }
  .filters { position: fixed; z-index: 30; top: 56px; bottom: 0; left: 0; width: 280px;
    transform: translateX(-100%); transition: transform .2s; box-shadow: 0 0 24px rgba(0,0,0,.2); }
  body.show-filters .filters { transform: none; }
  .narrow-only { display: inline-block; }
  .summary { display: none; }
}
"""

APP_JS = r"""
(function () {
  "use strict";
  var t0 = performance.now();
  var DATA = JSON.parse(document.getElementById("aerokg-data").textContent);
  var timings = { parsed: performance.now() - t0 };
  var STYLE = {};
  DATA.types.forEach(function (t) { STYLE[t.key] = t; });
  var OTHER = DATA.meta.other;
  var BIG = DATA.nodes.length > 800 || DATA.edges.length > 2000;
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, "DejaVu Sans", sans-serif';
  var EDGE_COLOR = "#a3adb9";
  var DIM = "#e5e7eb";
  var DIM_TEXT = "#d1d5db";
  var LABEL_CHARS = 30;  // layout.py leaves room for about this many characters

  var nodeById = new Map(), edgeById = new Map(), articleById = new Map(), incident = new Map();
  DATA.nodes.forEach(function (n) {
    n.articles = n.articles || []; n.alt = n.alt || []; n.roles = n.roles || [];
    n.degree = n.degree || 0;
    nodeById.set(n.id, n); incident.set(n.id, []);
  });
  DATA.edges.forEach(function (e) {
    e.evidence = e.evidence || [];
    edgeById.set(e.id, e);
    incident.get(e.from).push(e.id);
    if (e.to !== e.from) incident.get(e.to).push(e.id);
  });
  DATA.articles.forEach(function (a) { articleById.set(a.id, a); });

  // ---------------------------------------------------------------- small DOM helpers
  function $(id) { return document.getElementById(id); }
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key === "onclick") node.addEventListener("click", value);
      else node.setAttribute(key, value);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.append(child);  // strings become text nodes
    }
    return node;
  }
  function safeUrl(url) { return typeof url === "string" && /^https?:\/\/[^\s<>"']+$/i.test(url) ? url : null; }
  function short(text, max) { return text.length > max ? text.slice(0, max - 1).trimEnd() + "\u2026" : text; }
  function fold(text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  function plural(n, one, many) { return n.toLocaleString("en") + " " + (n === 1 ? one : many); }
  function styleOf(type) { return STYLE[type] || OTHER; }

  var SVG = "http://www.w3.org/2000/svg";
  function swatch(type, size) {
    var s = styleOf(type), svg = document.createElementNS(SVG, "svg"), shape;
    svg.setAttribute("viewBox", "0 0 16 16"); svg.setAttribute("class", "swatch");
    svg.setAttribute("aria-hidden", "true");
    if (size) { svg.setAttribute("width", size); svg.setAttribute("height", size); }
    var polys = {
      triangle: "8,1.5 15,14.5 1,14.5", diamond: "8,1 15,8 8,15 1,8",
      hexagon: "4.2,1.5 11.8,1.5 15.5,8 11.8,14.5 4.2,14.5 0.5,8"
    };
    if (s.shape === "square") {
      shape = document.createElementNS(SVG, "rect");
      shape.setAttribute("x", "2"); shape.setAttribute("y", "2");
      shape.setAttribute("width", "12"); shape.setAttribute("height", "12");
    } else if (polys[s.shape]) {
      shape = document.createElementNS(SVG, "polygon"); shape.setAttribute("points", polys[s.shape]);
    } else {
      shape = document.createElementNS(SVG, "circle");
      shape.setAttribute("cx", "8"); shape.setAttribute("cy", "8"); shape.setAttribute("r", "6.5");
    }
    shape.setAttribute("fill", s.color);
    svg.appendChild(shape);
    return svg;
  }

  // ---------------------------------------------------------------- vis data
  var sizeBy = DATA.meta.sizeBy;
  function sizeValue(n) { return sizeBy === "mentions" ? Math.max(n.articles.length, 1) : n.degree + 1; }
  function groupKey(type) { return STYLE[type] ? "t:" + type : "t:"; }
  function groupStyle(style, type, dim) {
    var fill = dim ? DIM : style.color;
    return {
      shape: style.shape,
      color: { background: fill, border: "#ffffff", highlight: { background: style.color, border: "#111827" },
               hover: { background: fill, border: dim ? "#9ca3af" : "#374151" } },
      font: type === "Quotation" ? { color: dim ? DIM_TEXT : "#6b7280", size: 13, strokeWidth: dim ? 0 : 4 }
                                 : { color: dim ? DIM_TEXT : "#1f2937", size: 16, strokeWidth: dim ? 0 : 4 }
    };
  }
  function groups(dim) {
    var all = { "t:": groupStyle(OTHER, "", dim) };
    DATA.types.forEach(function (t) { all[groupKey(t.key)] = groupStyle(t, t.key, dim); });
    return all;
  }
  function visNode(n) {
    return {
      id: n.id, x: n.x, y: n.y, group: groupKey(n.type),
      label: short(n.label, LABEL_CHARS),
      title: n.label + "\n" + (n.class || n.type || ""),
      value: sizeValue(n)
    };
  }
  function visEdge(e) {
    var edge = { id: e.id, from: e.from, to: e.to, label: short(e.label || e.type, 40),
                 title: (e.label || e.type) + (e.article ? "\n" + e.article : "") };
    if (e.bend) edge.smooth = { enabled: true, type: e.bend > 0 ? "curvedCW" : "curvedCCW",
                                roundness: Math.abs(e.bend) };
    return edge;
  }
  var nodes = new vis.DataSet(DATA.nodes.map(visNode));
  var edges = new vis.DataSet(DATA.edges.map(visEdge));

  var EDGE_FONT = { face: FONT, size: 11, color: "#6b7280", strokeWidth: 4, strokeColor: "#ffffff", align: "horizontal" };
  var options = {
    autoResize: true,
    groups: groups(false),
    physics: false,
    layout: { improvedLayout: false, randomSeed: 1 },
    interaction: {
      hover: !BIG, tooltipDelay: 300, hideEdgesOnDrag: BIG, hideEdgesOnZoom: BIG,
      navigationButtons: false, keyboard: false, multiselect: false, zoomSpeed: 0.7
    },
    nodes: {
      borderWidth: 1.5, borderWidthSelected: 3,
      // big graphs are denser (layout.py keeps room for labels only in small ones)
      scaling: BIG ? { min: 4, max: 20, label: { enabled: true, min: 12, max: 16, drawThreshold: 6, maxVisible: 20 } }
                   : { min: 10, max: 40, label: { enabled: true, min: 15, max: 20, drawThreshold: 5, maxVisible: 24 } },
      font: { face: FONT, strokeWidth: 4, strokeColor: "rgba(255,255,255,0.92)" }
    },
    edges: {
      arrows: { to: { enabled: true, scaleFactor: 0.5 } },
      color: { color: EDGE_COLOR, highlight: "#1f2937", hover: "#4b5563", inherit: false },
      width: 1.2, hoverWidth: 0.8, selectionWidth: 1.4,
      font: EDGE_FONT,
      smooth: false,
      selfReference: { size: 16 },
      // relation labels once zoomed in enough to read them (11 px x zoom >= 9 px)
      scaling: { label: { drawThreshold: 10 } }
    }
  };
  timings.datasets = performance.now() - t0;
  var network = new vis.Network($("graph"), { nodes: nodes, edges: edges }, options);
  timings.network = performance.now() - t0;

  var api = window.aerokg = {
    ready: false, firstDrawMs: null, network: network, data: DATA, timings: timings,
    node: function (id) { return nodeById.get(id); },
    edge: function (id) { return edgeById.get(id); },
    drawn: function () {
      return { nodes: network.body.nodeIndices.length, edges: network.body.edgeIndices.length };
    }
  };
  network.once("afterDrawing", function () {
    api.firstDrawMs = performance.now();
    api.buildMs = timings.drawn = performance.now() - t0;
    api.ready = true;
    document.documentElement.setAttribute("data-ready", "true");
  });

  // ---------------------------------------------------------------- filters
  var typeOn = new Set(DATA.types.map(function (t) { return t.key; }));
  var relationOn = new Set(DATA.relations.map(function (r) { return r.type; }));
  var articleOn = new Set(DATA.articles.map(function (a) { return a.id; }));
  var onlyConnected = false;
  var hiddenNode = new Map(), hiddenEdge = new Map();
  var shownNodes = null, shownEdges = null;  // null: everything
  var visibleNodes = DATA.nodes.length, visibleEdges = DATA.edges.length;

  function allArticles() { return articleOn.size === DATA.articles.length; }
  function applyFilters() {
    var all = allArticles(), showNode = new Set(), showEdge = [];
    DATA.nodes.forEach(function (n) {
      if (!typeOn.has(n.type)) return;
      if (!all && !n.articles.some(function (a) { return articleOn.has(a); })) return;
      showNode.add(n.id);
    });
    if (!all) DATA.edges.forEach(function (e) {
      // the ends of a relation stated in a chosen article are shown with it
      if (!relationOn.has(e.type) || !articleOn.has(e.article || "")) return;
      [e.from, e.to].forEach(function (id) { if (typeOn.has(nodeById.get(id).type)) showNode.add(id); });
    });
    DATA.edges.forEach(function (e) {
      if (!relationOn.has(e.type)) return;
      if (!all && !articleOn.has(e.article || "")) return;
      if (!showNode.has(e.from) || !showNode.has(e.to)) return;
      showEdge.push(e);
    });
    if (onlyConnected) {
      var touched = new Set();
      showEdge.forEach(function (e) { touched.add(e.from); touched.add(e.to); });
      showNode = touched;
    }
    var showEdgeIds = new Set(showEdge.map(function (e) { return e.id; }));
    // vis-network does not draw the edges of hidden nodes: an edge is hidden itself only for
    // its relation or article (one DataSet update less when a type is switched off)
    var nodeUpdates = [], edgeUpdates = [];
    DATA.nodes.forEach(function (n) {
      var hidden = !showNode.has(n.id);
      if ((hiddenNode.get(n.id) || false) !== hidden) { hiddenNode.set(n.id, hidden); nodeUpdates.push({ id: n.id, hidden: hidden }); }
    });
    DATA.edges.forEach(function (e) {
      var hidden = !relationOn.has(e.type) || (!all && !articleOn.has(e.article || ""));
      if ((hiddenEdge.get(e.id) || false) !== hidden) { hiddenEdge.set(e.id, hidden); edgeUpdates.push({ id: e.id, hidden: hidden }); }
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    if (edgeUpdates.length) edges.update(edgeUpdates);
    visibleNodes = showNode.size; visibleEdges = showEdgeIds.size;
    updateStatus();
    if (selected && selected.kind === "node" && !showNode.has(selected.id)) clearSelection();
    if (selected && selected.kind === "edge" && !showEdgeIds.has(selected.id)) clearSelection();
    shownNodes = showNode; shownEdges = showEdgeIds;
  }
  function updateStatus() {
    var total = DATA.nodes.length, links = DATA.edges.length;
    $("status").textContent = (visibleNodes === total && visibleEdges === links)
      ? plural(total, "entity", "entities") + " \u00b7 " + plural(links, "relation", "relations")
      : "Showing " + visibleNodes.toLocaleString("en") + " of " + plural(total, "entity", "entities") +
        " \u00b7 " + visibleEdges.toLocaleString("en") + " of " + plural(links, "relation", "relations");
  }

  function checkRow(checked, onchange, parts) {
    var input = el("input", { type: "checkbox" });
    input.checked = checked;
    input.addEventListener("change", function () { onchange(input.checked); });
    var label = el("label", { className: "check" }, input);
    parts.forEach(function (p) { label.append(p); });
    return { row: el("li", null, label), input: input };
  }
  var typeInputs = new Map(), relationInputs = new Map(), articleInputs = new Map();
  DATA.types.forEach(function (t) {
    var r = checkRow(true, function (on) { if (on) typeOn.add(t.key); else typeOn.delete(t.key); applyFilters(); },
      [swatch(t.key), el("span", { className: "name", text: t.name }), el("span", { className: "n", text: t.count.toLocaleString("en") })]);
    typeInputs.set(t.key, r.input);
    $("type-filters").append(r.row);
  });
  DATA.relations.forEach(function (rel) {
    var r = checkRow(true, function (on) { if (on) relationOn.add(rel.type); else relationOn.delete(rel.type); applyFilters(); },
      [el("span", { className: "name", text: rel.name, title: rel.type }), el("span", { className: "n", text: rel.count.toLocaleString("en") })]);
    relationInputs.set(rel.type, r.input);
    $("relation-filters").append(r.row);
  });
  if (!DATA.relations.length) $("relation-filters").append(el("li", { className: "muted", text: "none" }));
  $("article-count").textContent = DATA.articles.length ? DATA.articles.length.toLocaleString("en") : "";
  DATA.articles.forEach(function (a) {
    var parts = [el("span", { className: "name", text: a.title || a.id || "(no id)", title: a.title ? a.title + " (" + a.id + ")" : a.id }),
                 el("span", { className: "n", text: a.nodes.toLocaleString("en"), title: plural(a.nodes, "entity", "entities") })];
    var url = safeUrl(a.url);
    if (url) parts.push(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", title: "Open the article", text: "\u2197" }));
    var r = checkRow(true, function (on) { if (on) articleOn.add(a.id); else articleOn.delete(a.id); applyFilters(); }, parts);
    r.row.dataset.key = fold((a.title || "") + " " + a.id);
    articleInputs.set(a.id, r.input);
    $("article-filters").append(r.row);
  });
  if (DATA.articles.length < 2) $("article-section").hidden = DATA.articles.length === 0;
  if (DATA.articles.length < 8) $("article-search").hidden = true;
  $("article-search").addEventListener("input", function () {
    var q = fold(this.value.trim());
    Array.prototype.forEach.call($("article-filters").children, function (li) {
      li.hidden = q !== "" && li.dataset.key.indexOf(q) < 0;
    });
  });
  function setArticles(on) {
    Array.prototype.forEach.call($("article-filters").children, function (li) {
      if (li.hidden) return;
      var input = li.querySelector("input");
      if (!input) return;
      input.checked = on;
    });
    articleOn = new Set(DATA.articles.filter(function (a) { return articleInputs.get(a.id).checked; }).map(function (a) { return a.id; }));
    applyFilters();
  }
  $("articles-all").addEventListener("click", function () { setArticles(true); });
  $("articles-none").addEventListener("click", function () { setArticles(false); });
  $("only-connected").addEventListener("change", function () { onlyConnected = this.checked; applyFilters(); });

  Array.prototype.forEach.call(document.querySelectorAll('input[name="size-by"]'), function (input) {
    input.checked = input.value === sizeBy;
    input.addEventListener("change", function () {
      sizeBy = this.value;
      nodes.update(DATA.nodes.map(function (n) { return { id: n.id, value: sizeValue(n) }; }));
    });
  });

  function resetFilters() {
    typeOn = new Set(DATA.types.map(function (t) { return t.key; }));
    relationOn = new Set(DATA.relations.map(function (r) { return r.type; }));
    articleOn = new Set(DATA.articles.map(function (a) { return a.id; }));
    onlyConnected = false;
    $("only-connected").checked = false;
    $("article-search").value = "";
    Array.prototype.forEach.call($("article-filters").children, function (li) { li.hidden = false; });
    [typeInputs, relationInputs, articleInputs].forEach(function (m) { m.forEach(function (input) { input.checked = true; }); });
    applyFilters();
  }

  // ---------------------------------------------------------------- highlight and selection
  var selected = null;
  // Selecting fades the rest of the graph; not on big graphs, where each update of the
  // DataSets costs a pass over the whole graph (vis-network's own highlight remains).
  var DIM_LIMIT = 800;
  var dimmedNodes = new Set(), dimmedEdges = new Set();
  var NORMAL = groups(false), FADED = groups(true);
  function highlight(keepNodes, keepEdges) {
    if (DATA.nodes.length > DIM_LIMIT) return;
    var nodeUpdates = [], edgeUpdates = [];
    DATA.nodes.forEach(function (n) {
      var dim = keepNodes !== null && !keepNodes.has(n.id);
      if (dim === dimmedNodes.has(n.id)) return;
      var g = (dim ? FADED : NORMAL)[groupKey(n.type)];
      if (dim) dimmedNodes.add(n.id); else dimmedNodes.delete(n.id);
      nodeUpdates.push({ id: n.id, color: g.color, font: g.font });
    });
    DATA.edges.forEach(function (e) {
      var dim = keepEdges !== null && !keepEdges.has(e.id);
      if (dim === dimmedEdges.has(e.id)) return;
      if (dim) { dimmedEdges.add(e.id); edgeUpdates.push({ id: e.id, color: { color: "#eceef1" }, font: { color: "rgba(0,0,0,0)", strokeWidth: 0 } }); }
      else { dimmedEdges.delete(e.id); edgeUpdates.push({ id: e.id, color: { color: EDGE_COLOR }, font: { color: "#6b7280", strokeWidth: 4 } }); }
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    if (edgeUpdates.length) edges.update(edgeUpdates);
  }
  function neighbourhood(id) {
    var keepNodes = new Set([id]), keepEdges = new Set();
    incident.get(id).forEach(function (eid) {
      var e = edgeById.get(eid);
      keepEdges.add(eid); keepNodes.add(e.from); keepNodes.add(e.to);
    });
    return [keepNodes, keepEdges];
  }
  function reveal(id) {
    // a node the filters hide is shown again by clearing the filters
    if (shownNodes && !shownNodes.has(id)) resetFilters();
  }
  function selectNode(id, focus) {
    if (!nodeById.has(id)) return false;
    reveal(id);
    selected = { kind: "node", id: id };
    network.selectNodes([id], true);
    var hood = neighbourhood(id);
    highlight(hood[0], hood[1]);
    showNode(nodeById.get(id));
    if (focus) network.focus(id, { scale: Math.max(network.getScale(), 1.1), offset: panelOffset(),
                                   animation: { duration: 450, easingFunction: "easeInOutQuad" } });
    return true;
  }
  function selectEdge(id, focus) {
    var e = edgeById.get(id);
    if (!e) return false;
    if (shownEdges && !shownEdges.has(id)) resetFilters();
    selected = { kind: "edge", id: id };
    network.setSelection({ nodes: [], edges: [id] }, { unselectAll: true, highlightEdges: false });
    highlight(new Set([e.from, e.to]), new Set([id]));
    showEdge(e);
    if (focus) {
      var a = network.getPosition(e.from), b = network.getPosition(e.to);
      network.moveTo({ position: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, scale: Math.max(network.getScale(), 1.1),
                       offset: panelOffset(), animation: { duration: 450, easingFunction: "easeInOutQuad" } });
    }
    return true;
  }
  function panelOffset() {
    // centre in the part of the graph the details card leaves free
    var card = $("details"), graph = $("graph");
    if (card.hidden || graph.clientWidth < 700) return { x: 0, y: 0 };
    return { x: -(card.offsetWidth + 12) / 2, y: 0 };
  }
  function clearSelection() {
    selected = null;
    network.unselectAll();
    highlight(null, null);
    showPlaceholder();
  }
  network.on("click", function (params) {
    if (params.nodes.length) selectNode(params.nodes[0], false);
    else if (params.edges.length) selectEdge(params.edges[0], false);
    else clearSelection();
  });
  network.on("doubleClick", function (params) {
    if (params.nodes.length) network.focus(params.nodes[0], { scale: Math.max(network.getScale() * 1.6, 1.2), animation: { duration: 400 } });
  });

  // ---------------------------------------------------------------- details panel
  var panel = $("details-body");
  function showPlaceholder() { panel.replaceChildren(); $("details").hidden = true; }
  function openPanel() { panel.replaceChildren(); $("details").hidden = false; $("details").scrollTop = 0; }
  $("close-details").addEventListener("click", function () { clearSelection(); });
  function typeBadge(type) {
    var s = styleOf(type), badge = el("span", { className: "badge" }, swatchWhite(s), type || "other");
    badge.style.background = s.color;
    return badge;
  }
  function swatchWhite(s) { var sw = swatch(null, 11); sw.firstChild.setAttribute("fill", "#ffffff"); sw.firstChild.setAttribute("fill-opacity", ".85"); return sw; }
  function relationName(type) {
    for (var i = 0; i < DATA.relations.length; i++) if (DATA.relations[i].type === type) return DATA.relations[i].name;
    return type;
  }
  function articleItem(id) {
    var a = articleById.get(id) || { id: id }, url = safeUrl(a.url);
    var text = a.title ? a.title : id;
    var item = el("li", null, url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: text }) : text);
    if (a.title) item.append(el("span", { className: "muted", text: " (" + id + ")" }));
    return item;
  }
  function nodeButton(id) {
    var n = nodeById.get(id);
    return el("button", { type: "button", className: "node-link", title: n.label, onclick: function () { selectNode(id, true); } },
      swatch(n.type), short(n.label, 60));
  }
  function section(title, content) { return [el("h3", { text: title }), content]; }
  function list(items) { var ul = el("ul", { className: "plain" }); items.forEach(function (i) { ul.append(el("li", { text: i })); }); return ul; }
  function percent(x) { return Math.round(x * 100) + "%"; }
  function fields(rows) {
    var dl = el("dl");
    rows.forEach(function (r) { if (r[1] !== undefined && r[1] !== null && r[1] !== "") dl.append(el("dt", { text: r[0] }), el("dd", null, r[1])); });
    return dl.children.length ? dl : null;
  }
  function append(parts) { parts.forEach(function (p) { if (Array.isArray(p)) append(p); else if (p) panel.append(p); }); }

  function showNode(n) {
    openPanel();
    var badges = el("div", { className: "badges" }, typeBadge(n.type));
    if (n.class && n.class !== n.type) badges.append(el("span", { className: "badge plain", text: n.class }));
    (n.also || []).forEach(function (t) { badges.append(el("span", { className: "badge plain", text: "also " + t })); });
    append([badges, el("h2", { id: "details-title", text: n.label })]);
    if (n.text) append([el("blockquote", { text: n.text })]);
    append([fields([["Date", n.date], ["Confidence", n.confidence ? percent(n.confidence) : ""]])]);
    if (n.alt.length) append(section("Also called", list(n.alt)));
    if (n.roles.length) append(section("Roles", list(n.roles)));
    if (n.articles.length) {
      var ul = el("ul", { className: "plain" });
      n.articles.forEach(function (a) { ul.append(articleItem(a)); });
      append(section(n.articles.length === 1 ? "Article" : "Articles (" + n.articles.length + ")", ul));
    }
    var links = incident.get(n.id);
    if (links.length) {
      var box = el("ul", { className: "links" });
      links.slice().sort(function (x, y) {
        var a = edgeById.get(x), b = edgeById.get(y);
        return (a.from === n.id ? 0 : 1) - (b.from === n.id ? 0 : 1) || (a.label || "").localeCompare(b.label || "");
      }).forEach(function (eid) {
        var e = edgeById.get(eid), out = e.from === n.id, other = nodeById.get(out ? e.to : e.from);
        box.append(el("li", null, el("button", { type: "button", title: "Show the evidence", onclick: function () { selectEdge(eid, true); } },
          el("span", { className: "rel", text: (out ? "\u2192 " : "\u2190 ") + short(e.label || e.type, 36) }),
          el("span", { className: "other", text: other.label }))));
      });
      append(section("Relations (" + links.length + ")", box));
    }
    append([el("p", { className: "iri", text: n.iri })]);
  }

  function marked(sentence, names) {
    var needles = names.filter(function (s) { return s && s.length > 1; })
      .sort(function (a, b) { return b.length - a.length; })
      .map(function (s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    var quote = el("blockquote");
    if (!needles.length) { quote.textContent = sentence; return quote; }
    var re = new RegExp(needles.join("|"), "giu"), last = 0, m;
    while ((m = re.exec(sentence)) !== null) {
      if (m[0] === "") { re.lastIndex++; continue; }
      quote.append(sentence.slice(last, m.index), el("mark", { text: m[0] }));
      last = m.index + m[0].length;
    }
    quote.append(sentence.slice(last));
    return quote;
  }
  function money(value, currency) {
    try { return new Intl.NumberFormat("it-IT", currency ? { style: "currency", currency: currency, maximumFractionDigits: 0 } : {}).format(value); }
    catch (err) { return value.toLocaleString("it-IT") + (currency ? " " + currency : ""); }
  }
  function showEdge(e) {
    openPanel();
    var from = nodeById.get(e.from), to = nodeById.get(e.to);
    append([
      el("div", { className: "badges" }, el("span", { className: "badge plain", text: relationName(e.type) })),
      el("h2", { id: "details-title", text: e.label || e.type }),
      el("div", { className: "ends" }, nodeButton(e.from), el("span", { className: "arrow", text: "\u2192" }), nodeButton(e.to))
    ]);
    if (e.evidence.length) {
      var names = [from.label, to.label].concat(from.alt, to.alt);
      append(section(e.evidence.length === 1 ? "Evidence" : "Evidence (" + e.evidence.length + " sentences)",
        e.evidence.map(function (s) { return marked(s, names); })));
    } else {
      append(section("Evidence", el("p", { className: "muted", text: "No sentence recorded for this relation." })));
    }
    var article = null;
    if (e.article) { article = el("ul", { className: "plain" }, articleItem(e.article)); }
    if (article) append(section("Article", article));
    append([fields([
      ["Relation", e.type], ["Role", e.role],
      ["Value", e.value ? money(e.value, e.currency) : ""],
      ["Year", e.year], ["Sector", e.sector],
      ["Confidence", e.confidence ? percent(e.confidence) : "not stated"]
    ])]);
    if (e.fact) append([el("p", { className: "iri", text: e.fact })]);
  }

  // ---------------------------------------------------------------- search
  var index = DATA.nodes.map(function (n) {
    return { id: n.id, keys: [n.label].concat(n.alt).map(fold) };
  });
  function search(text) {
    var q = fold(text.trim());
    if (!q) return [];
    var hits = [];
    index.forEach(function (entry) {
      var best = 9;
      entry.keys.forEach(function (k, i) {
        var at = k.indexOf(q);
        if (at < 0) return;
        var score = (at === 0 ? 0 : /[\s'’\-«"(.]/.test(k.charAt(at - 1)) ? 1 : 2) + (i ? 0.5 : 0);
        if (score < best) best = score;
      });
      if (best < 9) hits.push({ id: entry.id, score: best });
    });
    hits.sort(function (a, b) {
      var na = nodeById.get(a.id), nb = nodeById.get(b.id);
      return a.score - b.score || (na.type === "Quotation") - (nb.type === "Quotation") ||
        nb.degree - na.degree || na.label.localeCompare(nb.label);
    });
    return hits.map(function (h) { return h.id; });
  }
  var box = $("search"), results = $("search-results"), active = -1, shown = [];
  function renderResults() {
    shown = search(box.value).slice(0, 12);
    results.replaceChildren();
    active = shown.length ? 0 : -1;
    if (!box.value.trim()) { results.hidden = true; return; }
    if (!shown.length) results.append(el("li", { className: "empty", text: "No entity matches \u201c" + box.value.trim() + "\u201d" }));
    shown.forEach(function (id, i) {
      var n = nodeById.get(id);
      var li = el("li", { role: "option", id: "result-" + i, "aria-selected": i === active ? "true" : "false" },
        swatch(n.type), el("span", { className: "name", text: n.label }), el("span", { className: "other", text: n.class || n.type }));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(id); });
      results.append(li);
    });
    results.hidden = false;
  }
  function moveActive(step) {
    if (!shown.length) return;
    active = (active + step + shown.length) % shown.length;
    Array.prototype.forEach.call(results.children, function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
    var li = results.children[active]; if (li) li.scrollIntoView({ block: "nearest" });
  }
  function choose(id) {
    results.hidden = true;
    box.value = nodeById.get(id).label;
    selectNode(id, true);
  }
  box.addEventListener("input", renderResults);
  box.addEventListener("focus", function () { if (box.value.trim()) renderResults(); });
  box.addEventListener("blur", function () { results.hidden = true; });
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown") { ev.preventDefault(); if (results.hidden) renderResults(); else moveActive(1); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); moveActive(-1); }
    else if (ev.key === "Enter") {
      ev.preventDefault();
      if (results.hidden) renderResults();
      if (shown.length) choose(shown[Math.max(active, 0)]);
    } else if (ev.key === "Escape") { box.value = ""; results.hidden = true; }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && document.activeElement !== box && selected) { clearSelection(); return; }
    if (ev.key === "/" && document.activeElement !== box && !/^(INPUT|TEXTAREA)$/.test(document.activeElement.tagName)) {
      ev.preventDefault(); box.focus(); box.select();
    }
  });

  // ---------------------------------------------------------------- top bar
  $("summary").textContent = plural(DATA.nodes.length, "entity", "entities") + " \u00b7 " +
    plural(DATA.edges.length, "relation", "relations") + " \u00b7 " + plural(DATA.articles.length, "article", "articles");
  $("fit").addEventListener("click", function () { network.fit({ animation: { duration: 400 } }); });
  $("reset").addEventListener("click", function () {
    box.value = ""; resetFilters(); clearSelection(); network.fit({ animation: { duration: 400 } });
  });
  $("toggle-filters").addEventListener("click", function () {
    var open = document.body.classList.toggle("show-filters");
    this.setAttribute("aria-expanded", open ? "true" : "false");
  });

  api.search = function (text) { box.value = text; renderResults(); return shown.slice(); };
  api.select = function (id) { results.hidden = true; return selectNode(id, true); };
  api.selectEdge = function (id) { return selectEdge(id, true); };
  api.visible = function () { return { nodes: visibleNodes, edges: visibleEdges }; };

  showPlaceholder();
  updateStatus();
  network.fit();
})();
"""
