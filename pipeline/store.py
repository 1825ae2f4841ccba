"""The corpus graph on disk: an Oxigraph store (pyoxigraph) in ``OUT_DIR/.aerokg/store/``.

It holds one named graph per article (loaded from the article's N-Quads, replaced when the
article changes, removed when it is pruned), and in the default graph the run's metadata and
the ontology, as the competency queries expect them (``aerokg query`` reads the store as it
is). The exports are not made from it (Oxigraph keeps literals in canonical form, e.g.
``xsd:nonNegativeInteger`` becomes ``xsd:integer``): see :mod:`pipeline.export.rdf`.

The per-article graph files stay the durable truth: the manifest records, per article, the
graph-file hash the store holds (``Manifest.store``). When the store is missing, unreadable or
out of step with the manifest, :func:`sync` brings it back in line from the graph files (a bulk
load when it starts from nothing). Replacing an article's graph is "remove its graphs, load the
new quads": a crash between the two leaves the manifest saying the store holds the old hash,
so the next run loads the article again.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Store, parse

__all__ = ["STORE_DIR", "article_graph_names", "named_article_graphs", "open_read_only",
           "open_store", "remove_article", "replace_article", "replace_articles", "sync"]

STORE_DIR = "store"
FORMAT = 2


def open_store(path: Path) -> tuple[Store, bool]:
    """The store at ``path`` (created when missing) and whether it was (re)created empty.
    An unreadable store is deleted and created again."""
    fresh = not path.exists()
    try:
        return Store(str(path)), fresh
    except (OSError, ValueError, RuntimeError):
        shutil.rmtree(path, ignore_errors=True)
        return Store(str(path)), True


def open_read_only(path: Path) -> Store:
    return Store.read_only(str(path))


def article_graph_names(nquads: bytes) -> list[str]:
    """The graph IRIs of an article's N-Quads (its named graph; the default graph as "")."""
    names = set()
    for quad in parse(nquads, RdfFormat.N_QUADS):
        g = quad.graph_name
        names.add("" if isinstance(g, DefaultGraph) else g.value)
    return sorted(names)


def _graph(name: str) -> Any:
    return DefaultGraph() if name == "" else NamedNode(name)


def remove_article(store: Store, record: dict | None) -> None:
    for name in (record or {}).get("graphs", []):
        if name:
            store.remove_graph(_graph(name))


def _clear_for(store: Store, old: dict | None, nquads: bytes, sha256: str,
               names: list[str] | None = None) -> dict:
    """Remove the graphs an article had and those its new quads fill; its new record.
    ``names``: the graph names of ``nquads`` when the caller has them
    (:func:`pipeline.article_graphs.graph_names`), else they are read from the quads.

    An article without a record (``old`` None) has nothing to remove: the store holds no graph
    that no record names (:func:`sync` checks it, and rebuilds the store when it does not),
    and an article's graphs are named after it."""
    if names is None:
        names = article_graph_names(nquads)
    if old is not None:
        remove_article(store, {"graphs": sorted(set(old.get("graphs", [])) | set(names))})
    return {"sha256": sha256, "graphs": list(names)}


def replace_article(store: Store, old: dict | None, nquads: bytes, sha256: str,
                    names: list[str] | None = None) -> dict:
    """Remove the article's old graphs, load its new quads; returns its new store record."""
    record = _clear_for(store, old, nquads, sha256, names)
    store.load(nquads, RdfFormat.N_QUADS)
    return record


def replace_articles(
    store: Store, items: list[tuple[dict | None, bytes, str, list[str] | None]]
) -> list[dict]:
    """:func:`replace_article` for several articles ((old record, N-Quads, sha256, graph names
    or None) each): all their old graphs out, then one bulk load of all the new quads; their
    new records."""
    records = [_clear_for(store, old, nquads, sha256, names)
               for old, nquads, sha256, names in items]
    data = b"".join(nquads for _, nquads, _, _ in items)
    if data:
        store.bulk_load(data, RdfFormat.N_QUADS)
    return records


def named_article_graphs(store: Store) -> list[NamedNode]:
    """The named graphs (one per article), sorted by IRI."""
    return sorted(store.named_graphs(), key=lambda g: g.value)


def _ontology_stat(path: str) -> list[int] | None:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def sync(store: Store, fresh: bool, record: dict, wanted: dict[str, str],
         read: Callable[[str], bytes],
         ontology: Callable[[], Path]) -> tuple[dict, list[str], bool]:
    """Bring ``store`` in line with ``wanted`` (article id -> graph-file sha256): ``record``
    is the manifest's ``store`` section (what the store is believed to hold). Returns the new
    record, the ids whose graph file could not be read (the caller redoes them) and whether
    the default graph was emptied (the caller then writes the run's metadata again).

    A fresh store, a record of another format or a store whose named graphs differ from the
    record is rebuilt from the graph files; otherwise only the articles whose hash differs are
    replaced and those no longer wanted removed."""
    held: dict[str, dict] = dict(record.get("articles", {})) if isinstance(record, dict) else {}
    expected_graphs = {n for r in held.values() for n in r.get("graphs", []) if n}
    rebuild = (fresh or not isinstance(record, dict) or record.get("format") != FORMAT
               or {g.value for g in named_article_graphs(store)} != expected_graphs)
    unreadable: list[str] = []
    if rebuild:
        store.clear()
        held = {}
        chunk: list[bytes] = []
        size = 0
        for article_id in sorted(wanted):
            try:
                data = read(article_id)
                names = article_graph_names(data)
            except (OSError, SyntaxError, ValueError):
                unreadable.append(article_id)
                continue
            chunk.append(data)
            size += len(data)
            held[article_id] = {"sha256": hashlib.sha256(data).hexdigest(), "graphs": names}
            if size > 64 << 20:
                store.bulk_load(b"".join(chunk), RdfFormat.N_QUADS)
                chunk, size = [], 0
        if chunk:
            store.bulk_load(b"".join(chunk), RdfFormat.N_QUADS)
    else:
        for article_id in sorted(set(held) - set(wanted)):
            remove_article(store, held.pop(article_id))
        for article_id, sha in sorted(wanted.items()):
            if held.get(article_id, {}).get("sha256") == sha:
                continue
            try:
                data = read(article_id)
                held[article_id] = replace_article(store, held.get(article_id), data,
                                                   hashlib.sha256(data).hexdigest())
            except (OSError, SyntaxError, ValueError):
                remove_article(store, held.pop(article_id, None))
                unreadable.append(article_id)
    # The ontology (its own graph) is reloaded when it changed; checked by file size and
    # mtime first, so an unchanged run does not even import the vocabulary (and rdflib).
    known = record.get("ontology") if isinstance(record, dict) else None
    if (not rebuild and isinstance(known, dict) and known.get("path")
            and _ontology_stat(known["path"]) == known.get("stat")):
        return {"format": FORMAT, "ontology": known, "articles": held}, unreadable, False
    path = ontology()
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    reset = rebuild or not isinstance(known, dict) or known.get("sha256") != sha
    if reset:
        # the run's metadata goes too: the outputs are written again, and with them the run
        store.clear_graph(DefaultGraph())
        _load_ontology(store, path, data)
    known = {"path": str(path), "stat": _ontology_stat(str(path)), "sha256": sha}
    return {"format": FORMAT, "ontology": known, "articles": held}, unreadable, reset


def _load_ontology(store: Store, path: Path, data: bytes) -> None:
    store.load(data, RdfFormat.TURTLE, base_iri=path.resolve().as_uri())


def set_run_graph(store: Store, nquads: bytes, ontology: Path) -> None:
    """The default graph becomes the ontology plus the run's metadata (``nquads``)."""
    store.clear_graph(DefaultGraph())
    _load_ontology(store, ontology, ontology.read_bytes())
    store.load(nquads, RdfFormat.N_QUADS)
