"""Run the named competency queries, or any SPARQL file, over an output directory's graph.

    store = load_output("outputs/run1")              # graph.trig (or graph.ttl) + the ontology
    columns, rows = run_query(store, "roles")         # a named query ...
    columns, rows = run_query("outputs/run1", "my.rq")  # ... or the path of any .rq file
    columns, rows = run_query(store, "roles", params={"person": "Angelo Vallerani"})
    print(format_rows(columns, rows, "csv"), end="")

Engine: pyoxigraph, used for everything here (loading, querying), not rdflib. Reasons:

* it is a complete SPARQL 1.1 engine in Rust: the named queries walk the ontology's class tree
  with property paths (``rdfs:subClassOf*``) inside ``FILTER NOT EXISTS``, which is fast there
  and slow in rdflib's pure-Python engine;
* it reads TriG natively into a quad store whose default graph is a graph of its own (not the
  union of the named graphs) unless asked otherwise. The named queries rely on exactly that:
  article facts in ``GRAPH ?g { ... }`` (one named graph per article, ontologies/README.md) and
  the ontology in the default graph, next to the run's provenance;
* it keeps numeric literals in canonical form, so ``STR()`` of the ``xsd:decimal``
  ``9000000.0`` is ``9000000`` (the trade-value column wants plain units).

The graph is the corpus store an ``aerokg run`` keeps in ``OUT_DIR/.aerokg/store``
(:mod:`pipeline.store`), opened read-only (a run may be writing it at the same time): a named
graph per article, and the run's metadata and the ontology in the default graph, as below.
An output folder without a store (older runs, or graph files
copied elsewhere) has ``graph.trig``/``graph.ttl`` loaded into an in-memory store instead;
nothing is written to disk.

Rows are returned as tuples of plain strings: a literal's lexical form, an IRI as its string,
a blank node as ``_:id``, an unbound variable as ``""``.

Values from the user never become query text. A query is the text of a shipped ``.rq`` file
or of the user's own file, passed to ``Store.query`` as it is; ``params`` (``aerokg query
--param NAME=VALUE``) are handed to pyoxigraph as ``substitutions`` (SEP-0007): the variable
?NAME is bound to the RDF term VALUE (a plain string literal, or an IRI when written
``<...>``) before evaluation, so a value such as ``x" } ; DROP ALL ; SELECT * { ?s ?p "`` is
only ever a string that nothing equals. (The store is in memory and queries cannot update it
anyway.)
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    RdfFormat,
    Store,
    Variable,
)

from pipeline.mapping import vocab

__all__ = [
    "QUESTIONS",
    "FORMATS",
    "GRAPH_FILES",
    "QueryError",
    "load_output",
    "open_store",
    "named_queries",
    "parse_params",
    "run_query",
    "format_rows",
]

#: The competency questions of ../shared/spec/competency-questions.md, in the spec's order.
QUESTIONS = (
    "entities",
    "roles",
    "locations",
    "events",
    "event_participants",
    "trade_flows",
    "memberships",
    "partnerships",
    "quotes",
)
FORMATS = ("table", "csv", "tsv", "json")
#: Looked for in this order in an output directory.
GRAPH_FILES = ("graph.trig", "graph.ttl")


class QueryError(ValueError):
    """A query cannot be run: missing output directory or graph, unparsable graph, unknown
    query name, missing or broken .rq file, a query that is not a SELECT, unknown format."""


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def open_store(out_dir: str | os.PathLike[str]) -> Store | None:
    """OUT_DIR's corpus store, read-only, or None when there is none (or it cannot be read)."""
    path = Path(out_dir) / ".aerokg" / "store"
    if not path.is_dir():
        return None
    try:
        store = Store.read_only(str(path))
        if next(iter(store.named_graphs()), None) is None:
            return None  # e.g. left behind empty: the files are the better answer
    except (OSError, ValueError, RuntimeError):
        return None
    return store


def load_output(out_dir: str | os.PathLike[str]) -> Store:
    """OUT_DIR's corpus store (:func:`open_store`) when it has one; else an in-memory
    pyoxigraph ``Store`` with ``OUT_DIR/graph.trig`` (else ``graph.ttl``) and
    the ontology (``vocab.ONTOLOGY_PATH``).

    ``graph.trig`` is loaded as it is: its named graphs (one per article) and its default graph
    (the run's provenance). The ontology goes into the default graph. A ``graph.ttl`` has no
    named graphs, so it is loaded into one named graph (its file IRI) and must then hold a
    single article: the named queries take the ``article`` column from the one
    ``schema:NewsArticle`` of each named graph, and with several articles in one graph they
    could not tell which fact comes from which.

    Raises ``QueryError`` when OUT_DIR or the graph file is missing or does not parse.
    """
    out = Path(out_dir)
    if not out.exists():
        raise QueryError(f"output directory not found: {out}")
    if not out.is_dir():
        raise QueryError(f"not a directory: {out} (give the output directory of a run)")
    corpus = open_store(out)
    if corpus is not None:
        return corpus
    graph_path = next((out / name for name in GRAPH_FILES if (out / name).is_file()), None)
    if graph_path is None:
        raise QueryError(
            f"no graph in {out}: expected {' or '.join(GRAPH_FILES)} (run the pipeline first)"
        )

    store = Store()
    if graph_path.suffix == ".trig":
        _load(store, graph_path, RdfFormat.TRIG, "TriG")
    else:
        file_graph = NamedNode(graph_path.resolve().as_uri())
        _load(store, graph_path, RdfFormat.TURTLE, "Turtle", file_graph)
        articles = {
            sol[0].value
            for sol in store.query(
                "SELECT DISTINCT ?a WHERE { GRAPH ?g { ?a a <https://schema.org/NewsArticle> } }"
            )
        }
        if len(articles) > 1:
            raise QueryError(
                f"{graph_path}: holds {len(articles)} articles in one graph; the named queries "
                "need one named graph per article (write graph.trig)"
            )

    ontology = Path(vocab.ONTOLOGY_PATH)
    if not ontology.is_file():
        raise QueryError(f"ontology not found: {ontology}")
    _load(store, ontology, RdfFormat.TURTLE, "Turtle")
    return store


def _load(store: Store, path: Path, fmt: RdfFormat, fmt_name: str, graph=None) -> None:
    kwargs = {"to_graph": graph} if graph is not None else {}
    try:
        store.load(path=str(path), format=fmt, base_iri=path.resolve().as_uri(), **kwargs)
    except SyntaxError as err:
        raise QueryError(f"{path}: not valid {fmt_name}: {err}") from None
    except (OSError, ValueError) as err:
        raise QueryError(f"{path}: cannot be read: {err}") from None


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


def named_queries() -> dict[str, str]:
    """Name -> SPARQL text of the shipped queries (``pipeline/query/named/*.rq``), the
    competency questions first in the spec's order, then any others by name."""
    root = resources.files("pipeline.query").joinpath("named")
    found = {
        entry.name[: -len(".rq")]: entry.read_text(encoding="utf-8")
        for entry in root.iterdir()
        if entry.name.endswith(".rq") and entry.is_file()
    }
    order = [q for q in QUESTIONS if q in found] + sorted(set(found) - set(QUESTIONS))
    return {name: found[name] for name in order}


def _resolve(name_or_path: str | os.PathLike[str]) -> tuple[str, str]:
    """(SPARQL text, where it comes from, for error messages)."""
    queries = named_queries()
    text = os.fspath(name_or_path)
    if not isinstance(name_or_path, os.PathLike) and text in queries:
        return queries[text], f"named query '{text}'"
    path = Path(text)
    looks_like_path = (
        isinstance(name_or_path, os.PathLike)
        or text.endswith(".rq")
        or "/" in text
        or os.sep in text
        or path.is_file()
    )
    if not looks_like_path:
        raise QueryError(
            f"unknown query {text!r}: named queries are {', '.join(queries)}; "
            "or give the path of a .rq file"
        )
    if not path.is_file():
        raise QueryError(f"query file not found: {path}")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as err:
        raise QueryError(f"{path}: cannot be read: {err}") from None


_PARAM_NAME = re.compile(r"\w+")


def parse_params(pairs: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (``aerokg query --param``) as ``{NAME: VALUE}``, checked: NAME is
    a SPARQL variable name (a leading ``?`` or ``$`` is dropped), VALUE is everything after the
    first ``=``; a VALUE written ``<...>`` must be an absolute IRI. A later NAME wins.

    >>> parse_params(["person=Angelo Vallerani", "?org=<https://w3id.org/aerokg/id/org/x>"])
    {'person': 'Angelo Vallerani', 'org': '<https://w3id.org/aerokg/id/org/x>'}
    """
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if name[:1] in ("?", "$"):
            name = name[1:]
        if not sep or not _PARAM_NAME.fullmatch(name):
            raise QueryError(
                f"bad --param {pair!r}: expected NAME=VALUE with NAME a SPARQL variable name"
            )
        _term(name, value)  # checks the IRI
        params[name] = value
    return params


def _term(name: str, value: str) -> Literal | NamedNode:
    """VALUE as an RDF term: ``<iri>`` an IRI, anything else a plain (xsd:string) literal."""
    try:
        if len(value) >= 2 and value.startswith("<") and value.endswith(">"):
            return NamedNode(value[1:-1])
        return Literal(value)
    except (ValueError, TypeError, UnicodeError) as err:
        raise QueryError(f"bad --param {name}: {value[:80]!r} is not a valid IRI ({err})") from None


def _substitutions(params: Mapping[str, str] | None) -> dict[Variable, Literal | NamedNode]:
    bindings: dict[Variable, Literal | NamedNode] = {}
    for name, value in (params or {}).items():
        name = name[1:] if name[:1] in ("?", "$") else name
        if not _PARAM_NAME.fullmatch(name):
            raise QueryError(f"bad --param name {name!r}: not a SPARQL variable name")
        try:
            variable = Variable(name)
        except ValueError as err:
            raise QueryError(f"bad --param name {name!r}: {err}") from None
        bindings[variable] = _term(name, value)
    return bindings


def run_query(
    out_dir_or_store: str | os.PathLike[str] | Store,
    name_or_path: str | os.PathLike[str],
    params: Mapping[str, str] | None = None,
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Run a named query (``"roles"``) or a ``.rq`` file over an output directory (loaded with
    ``load_output``) or an already loaded store. Returns (column names, rows); each row is a
    tuple of strings in column order (see the module docstring). The query must be a SELECT.
    Rows come in the query's ORDER BY order; a query without ORDER BY gets them sorted (by
    column, in order), so the same graph always gives the same table.

    ``params`` binds variables, never by editing the query text: ``{"person": "Angelo
    Vallerani"}`` binds ?person to the literal "Angelo Vallerani", ``{"org": "<https://...>"}``
    binds ?org to an IRI (see :func:`parse_params`). A bound variable must be a column of the
    query (in its SELECT clause, or ``SELECT *``); its column then holds the value, and only
    the rows where the query's own value equals it remain.

    Raises ``QueryError`` for an unknown name (the message lists the names), a missing file,
    a SPARQL syntax error (the message names the query or file), a non-SELECT query, a bad or
    unused parameter, or a failure while evaluating.
    """
    text, source = _resolve(name_or_path)
    substitutions = _substitutions(params)
    store = (
        out_dir_or_store if isinstance(out_dir_or_store, Store) else load_output(out_dir_or_store)
    )
    try:
        result = store.query(text, substitutions=substitutions or None)
    except SyntaxError as err:
        raise QueryError(f"{source}: SPARQL syntax error: {err}") from None
    except (OSError, ValueError, RuntimeError) as err:
        if substitutions and "projection" in str(err):
            names = ", ".join(f"?{v.value}" for v in substitutions)
            raise QueryError(
                f"{source}: cannot bind {names}: {err} (a --param NAME must be a column of "
                "the query, i.e. in its SELECT clause)"
            ) from None
        raise QueryError(f"{source}: query failed: {err}") from None
    if not isinstance(result, QuerySolutions):
        kind = "an ASK" if isinstance(result, QueryBoolean) else "a CONSTRUCT/DESCRIBE"
        raise QueryError(f"{source}: {kind} query gives no table; use a SELECT query")
    columns = [var.value for var in result.variables]
    try:
        rows = [tuple(_text(solution[i]) for i in range(len(columns))) for solution in result]
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"{source}: query failed: {err}") from None
    if not _ORDER_BY.search(_without_comments(text)):
        rows.sort()  # no order asked for: rows in column order, the same on every run
    return columns, rows


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_COMMENT = re.compile(r"(^|\s)#[^\n]*", re.MULTILINE)


def _without_comments(query: str) -> str:
    """The query without its ``#`` comments (those at a line start or after a space: the
    ``#`` of an IRI such as ``<http://www.w3.org/ns/org#>`` is kept)."""
    return _COMMENT.sub(r"\1", query)


def _text(term) -> str:
    if term is None:
        return ""
    kind = type(term).__name__
    if kind == "BlankNode":
        return f"_:{term.value}"
    if kind in ("NamedNode", "Literal"):
        return term.value
    return str(term)  # an RDF-star triple term


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def format_rows(columns: list[str], rows: list[tuple[str, ...]], fmt: str = "table") -> str:
    """The table as text, ending with a newline:

    * ``table``: aligned columns, a header and a rule (line breaks in values shown as ``\\n``);
    * ``csv``: header line first, then the rows, via the csv module (``\\n`` line ends,
      quoting only where needed);
    * ``tsv``: header line first, tab-separated; tab, line break and backslash in values are
      escaped as ``\\t``, ``\\n``, ``\\r``, ``\\\\``;
    * ``json``: a list of objects, one per row, keyed by column name.
    """
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return buffer.getvalue()
    if fmt == "tsv":
        lines = ["\t".join(_tsv(c) for c in columns)]
        lines += ["\t".join(_tsv(v) for v in row) for row in cells]
        return "\n".join(lines) + "\n"
    if fmt == "json":
        objects = [dict(zip(columns, row, strict=False)) for row in cells]
        return json.dumps(objects, ensure_ascii=False, indent=2) + "\n"
    if fmt == "table":
        shown = [[_one_line(v) for v in row] for row in cells]
        widths = [len(c) for c in columns]
        for row in shown:
            for i, value in enumerate(row[: len(widths)]):
                widths[i] = max(widths[i], len(value))

        def line(values: list[str]) -> str:
            return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=False)).rstrip()

        out = [line(list(columns)), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in shown]
        return "\n".join(out) + "\n"
    raise QueryError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _tsv(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _one_line(value: str) -> str:
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
