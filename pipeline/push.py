"""Push a run's graphs to a SPARQL server with the SPARQL 1.1 Graph Store HTTP Protocol.

``aerokg push`` sends every article's named graph with ``PUT {endpoint}?graph={IRI}`` and the
run metadata (the default graph of ``graph.trig``) with ``PUT {endpoint}?default``. A PUT
replaces the graph on the server, so pushing twice leaves the server as pushing once, and a
changed article's graph replaces its old version.

Where the graphs come from (never the whole corpus in memory at once):

* ``OUT_DIR/.aerokg/graphs/*.nq``: one file per article, read one at a time (pyoxigraph);
* the default graph of ``OUT_DIR/graph.trig`` (streamed; only its default-graph triples kept);
* with no ``.aerokg/graphs`` folder (an OUT_DIR copied without its state), ``graph.trig`` is
  split by graph.

Credentials come from the environment only (:data:`ENV_TOKEN`, or :data:`ENV_USER` and
:data:`ENV_PASSWORD`), never from the command line, and are never printed.

Each request is retried (connection errors, timeouts, 429 and 5xx) with exponential backoff.
A server that cannot be reached, refuses the credentials (401/403), redirects (3xx) or is not
a Graph Store endpoint (404/405) stops the push (every other graph would fail the same way); any
other refusal (400, 413, 415...) fails that graph alone, with the server's message.

``OUT_DIR/.aerokg/pushed.json`` records, per endpoint, the sha256 of each graph last pushed
there, so ``--only-changed`` sends only the graphs that changed since.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "ENV_USER",
    "GraphUnit",
    "PushAborted",
    "PushResult",
    "PushUsageError",
    "credentials_from_env",
    "graph_url",
    "plan_push",
    "push",
]

ENV_USER = "AEROKG_SPARQL_USER"
ENV_PASSWORD = "AEROKG_SPARQL_PASSWORD"
ENV_TOKEN = "AEROKG_SPARQL_TOKEN"
CREDENTIALS_HINT = f"set {ENV_USER}/{ENV_PASSWORD} or {ENV_TOKEN}"
DEFAULT_GRAPH = "default graph"  # the key of the default graph in pushed.json and the output
PUSHED_FORMAT = "aerokg-pushed/1"
CONTENT_TYPE = "application/n-triples"
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_FATAL_STATUSES = {401, 403, 404, 405}
_MAX_MESSAGE = 300


class PushUsageError(Exception):
    """Bad endpoint URL, missing OUT_DIR, nothing to push, bad credential settings (exit 2)."""


class PushAborted(Exception):
    """The push stopped: the server is unreachable, refuses the credentials or the endpoint."""


# -- what is pushed -------------------------------------------------------------------------------
@dataclass
class GraphUnit:
    """One graph to send: its IRI (None: the default graph), where it is read from, its
    triple count and the sha256 of its N-Triples body."""

    name: str | None
    source: Path
    triples: int
    sha256: str
    _body: bytes | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.name if self.name is not None else DEFAULT_GRAPH

    @property
    def label(self) -> str:
        return f"<{self.name}>" if self.name is not None else DEFAULT_GRAPH


def _ox():
    import pyoxigraph

    return pyoxigraph


def _graph_key(graph_name: Any) -> str | None:
    ox = _ox()
    return None if isinstance(graph_name, ox.DefaultGraph) else graph_name.value


def _ntriples(triples: list[Any]) -> bytes:
    """Triples as N-Triples, lines sorted: the same triples give the same bytes (and hash)."""
    ox = _ox()
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    lines = sorted({line for line in data.splitlines() if line.strip()})
    return b"".join(line + b"\n" for line in lines)


def _by_graph(path: Path, fmt: Any, only_default: bool = False) -> dict[str | None, list[Any]]:
    ox = _ox()
    graphs: dict[str | None, list[Any]] = {}
    for quad in ox.parse(path=str(path), format=fmt):
        key = _graph_key(quad.graph_name)
        if only_default and key is not None:
            continue
        graphs.setdefault(key, []).append(quad.triple)
    return graphs


def _units_of(path: Path, fmt: Any, only_default: bool = False,
              keep: bool = False) -> list[GraphUnit]:
    """The graphs in ``path``; with ``keep`` their bodies are kept (graph.trig: read once,
    not once per graph), else read again when sent (an article's file: small)."""
    units = []
    for name, triples in _by_graph(path, fmt, only_default).items():
        body = _ntriples(triples)
        units.append(GraphUnit(name, path, len(triples), hashlib.sha256(body).hexdigest(),
                               body if keep else None))
    return units


def graph_sources(out_dir: Path) -> tuple[list[Path], Path | None]:
    """The per-article graph files (sorted) and graph.trig (None if missing) of ``out_dir``."""
    folder = out_dir / ".aerokg" / "graphs"
    files = sorted(p for p in folder.glob("*.nq") if not p.name.startswith(".")) \
        if folder.is_dir() else []
    trig = out_dir / "graph.trig"
    return files, (trig if trig.is_file() else None)


def plan_push(out_dir: str | os.PathLike[str], default_graph: bool = True) -> list[GraphUnit]:
    """The graphs of ``out_dir`` to push, in order: the article graphs, then the default graph.

    Files are read one at a time (bodies are not kept). Raises :class:`PushUsageError` when
    ``out_dir`` is missing or holds no graph, or a file cannot be parsed."""
    ox = _ox()
    out = Path(out_dir)
    if not out.is_dir():
        raise PushUsageError(f"{out} is not a directory: run `aerokg run -o {out}` first")
    files, trig = graph_sources(out)
    units: list[GraphUnit] = []
    try:
        if files:
            for path in files:
                units.extend(u for u in _units_of(path, ox.RdfFormat.N_QUADS) if u.name)
            if default_graph and trig is not None:
                units.extend(_units_of(trig, ox.RdfFormat.TRIG, only_default=True, keep=True))
        elif trig is not None:  # no state folder: split graph.trig by graph
            found = _units_of(trig, ox.RdfFormat.TRIG, keep=True)
            units.extend(sorted((u for u in found if u.name), key=lambda u: u.name or ""))
            units.extend(u for u in found if u.name is None and default_graph)
    except (SyntaxError, ValueError, OSError) as err:
        raise PushUsageError(f"cannot read the graphs of {out}: {err}") from None
    if not any(u.name for u in units):
        raise PushUsageError(f"no graphs to push in {out} (no .aerokg/graphs/*.nq, no "
                             "named graph in graph.trig): run `aerokg run` first")
    return units


def _body(unit: GraphUnit) -> bytes:
    """The N-Triples of ``unit``: kept, or read again from its source file."""
    if unit._body is not None:
        return unit._body
    ox = _ox()
    fmt = ox.RdfFormat.N_QUADS if unit.source.suffix == ".nq" else ox.RdfFormat.TRIG
    triples = []
    for quad in ox.parse(path=str(unit.source), format=fmt):
        if _graph_key(quad.graph_name) == unit.name:
            triples.append(quad.triple)
    return _ntriples(triples)


# -- endpoint, credentials ------------------------------------------------------------------------
def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is an http(s) URL with a host and no credentials in it."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushUsageError(f"bad endpoint URL {endpoint!r}: expected http(s)://host[:port]/path "
                             "of the server's Graph Store endpoint")
    if parts.username is not None or parts.password is not None:
        raise PushUsageError(f"do not put credentials in the endpoint URL: {CREDENTIALS_HINT}")
    if parts.fragment:
        raise PushUsageError("bad endpoint URL: it has a #fragment")
    return endpoint


def graph_url(endpoint: str, name: str | None) -> str:
    """``{endpoint}?graph={IRI, percent-encoded}``, or ``{endpoint}?default``."""
    joiner = "&" if urlsplit(endpoint).query else ("" if endpoint.endswith("?") else "?")
    if name is None:
        return f"{endpoint}{joiner}default"
    return f"{endpoint}{joiner}graph={quote(name, safe='')}"


def credentials_from_env(env: dict[str, str] | None = None) -> Any:
    """An httpx auth (bearer token or basic) from the environment, None when nothing is set."""
    import httpx

    env = dict(os.environ if env is None else env)
    token, user, password = env.get(ENV_TOKEN), env.get(ENV_USER), env.get(ENV_PASSWORD)
    if token:
        return _Bearer(token)
    if user:
        if password is None:
            raise PushUsageError(f"{ENV_USER} is set but {ENV_PASSWORD} is not")
        return httpx.BasicAuth(user, password)
    if password:
        raise PushUsageError(f"{ENV_PASSWORD} is set but {ENV_USER} is not")
    return None


def _Bearer(token: str) -> Any:
    import httpx

    class BearerAuth(httpx.Auth):
        def __repr__(self) -> str:  # never show the token
            return "BearerAuth(***)"

        def auth_flow(self, request):
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    return BearerAuth()


# -- pushing --------------------------------------------------------------------------------------
@dataclass
class PushResult:
    pushed: list[GraphUnit] = field(default_factory=list)
    unchanged: list[GraphUnit] = field(default_factory=list)  # skipped by --only-changed
    failed: list[tuple[GraphUnit, str]] = field(default_factory=list)
    not_sent: list[GraphUnit] = field(default_factory=list)  # left after an abort
    deleted: list[GraphUnit] = field(default_factory=list)  # by prune
    aborted: str | None = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if (self.failed or self.not_sent or self.aborted) else 0

    @property
    def triples(self) -> int:
        return sum(u.triples for u in self.pushed)


def _message(response: Any) -> str:
    text = " ".join((response.text or "").split())
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    return f"HTTP {response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return None


def _send(client: Any, url: str, body: bytes | None, retries: int, backoff: float,
          sleep: Callable[[float], None], display_url: str) -> None:
    """PUT ``body`` to ``url`` (DELETE the graph when ``body`` is None: a graph already gone,
    404, is fine); raises PushAborted (whole push) or ValueError (this graph)."""
    import httpx

    attempt = 0
    while True:
        wait = backoff * (2 ** attempt)
        try:
            if body is None:
                response = client.delete(url)
            else:
                response = client.put(url, content=body, headers={"Content-Type": CONTENT_TYPE})
        except httpx.TransportError as err:
            if attempt >= retries:
                reason = str(err) or type(err).__name__
                raise PushAborted(f"cannot connect to {display_url}: {reason} "
                                  f"(after {attempt + 1} attempts)") from None
        else:
            status = response.status_code
            if 200 <= status < 300 or (body is None and status == 404):
                return
            if status in (401, 403):
                raise PushAborted(f"the server refused the credentials ({_message(response)}): "
                                  f"{CREDENTIALS_HINT}")
            if 300 <= status < 400:
                where = response.headers.get("Location", "?")
                raise PushAborted(f"{display_url} redirects ({_message(response)}) to {where}: "
                                  "give the final URL as --endpoint")
            if status in (404, 405):
                raise PushAborted(f"{display_url} is not a Graph Store endpoint that accepts PUT "
                                  f"({_message(response)}); see `aerokg push --help`")
            if status not in _RETRY_STATUSES or attempt >= retries:
                suffix = f" (after {attempt + 1} attempts)" if status in _RETRY_STATUSES else ""
                raise ValueError(_message(response) + suffix)
            wait = max(wait, _retry_after(response) or 0.0)
        attempt += 1
        sleep(wait)


def _pushed_path(out_dir: Path) -> Path:
    return out_dir / ".aerokg" / "pushed.json"


def load_pushed(out_dir: Path, endpoint: str) -> dict[str, str]:
    """Graph key -> sha256 last pushed to ``endpoint`` (empty when unknown or unreadable)."""
    try:
        data = json.loads(_pushed_path(out_dir).read_text(encoding="utf-8"))
        graphs = data["endpoints"][endpoint] if data.get("format") == PUSHED_FORMAT else {}
        return {k: v for k, v in graphs.items() if isinstance(v, str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_pushed(out_dir: Path, endpoint: str, graphs: dict[str, str]) -> None:
    from pipeline.export.atomic import atomic_write

    path = _pushed_path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != PUSHED_FORMAT:
            raise ValueError
        if not isinstance(data.get("endpoints"), dict):
            data["endpoints"] = {}
    except (OSError, ValueError):
        data = {"format": PUSHED_FORMAT, "endpoints": {}}
    data["endpoints"][endpoint] = dict(sorted(graphs.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n")


def push(out_dir: str | os.PathLike[str], endpoint: str, *, units: list[GraphUnit] | None = None,
         retries: int = 3, backoff: float = 0.5, timeout: float = 30.0,
         only_changed: bool = False, default_graph: bool = True, prune: bool = False,
         progress: Callable[[str], None] = lambda label: None,
         sleep: Callable[[float], None] = time.sleep,
         env: dict[str, str] | None = None) -> PushResult:
    """PUT every graph of ``out_dir`` (see :func:`plan_push`) to the Graph Store ``endpoint``.

    With ``prune``, then DELETE the graphs pushed there before (per ``pushed.json``) that
    ``out_dir`` no longer has (articles removed by ``aerokg run --prune``); graphs aerokg did
    not push are never deleted.

    Never raises for a server problem: the result says what was pushed, what failed and why.
    Raises :class:`PushUsageError` for a bad URL, OUT_DIR or credential setting."""
    import httpx

    started = time.monotonic()
    check_endpoint(endpoint)
    auth = credentials_from_env(env)
    out = Path(out_dir)
    if units is None:
        units = plan_push(out, default_graph=default_graph)
    last = load_pushed(out, endpoint)
    done = dict(last)
    result = PushResult()
    display = urlsplit(endpoint)._replace(query="").geturl()
    with httpx.Client(auth=auth, timeout=timeout, follow_redirects=False) as client:
        for index, unit in enumerate(units):
            if only_changed and last.get(unit.key) == unit.sha256:
                result.unchanged.append(unit)
                progress(unit.label)
                continue
            try:
                _send(client, graph_url(endpoint, unit.name), _body(unit), retries, backoff,
                      sleep, display)
            except PushAborted as err:
                result.aborted = str(err)
                result.not_sent = units[index:]
                break
            except ValueError as err:
                result.failed.append((unit, str(err)))
                done.pop(unit.key, None)
            else:
                result.pushed.append(unit)
                done[unit.key] = unit.sha256
            progress(unit.label)
        if prune and not result.aborted:
            for unit in stale_graphs(units, last):
                try:
                    _send(client, graph_url(endpoint, unit.name), None, retries, backoff,
                          sleep, display)
                except PushAborted as err:
                    result.aborted = str(err)
                    break
                except ValueError as err:
                    result.failed.append((unit, f"cannot delete: {err}"))
                else:
                    result.deleted.append(unit)
                    done.pop(unit.key, None)
    if done != last:
        try:
            save_pushed(out, endpoint, done)
        except OSError:
            pass  # a read-only OUT_DIR: the push itself is done; --only-changed sends all
    result.seconds = time.monotonic() - started
    return result


def stale_graphs(units: list[GraphUnit], last: dict[str, str]) -> list[GraphUnit]:
    """The named graphs recorded as pushed (``last``) that are not among ``units``."""
    keys = {unit.key for unit in units}
    return [GraphUnit(key, Path(), 0, "") for key in sorted(last)
            if key not in keys and key != DEFAULT_GRAPH]


def summary(result: PushResult, endpoint: str) -> str:
    text = (f"{len(result.pushed)} graphs pushed ({result.triples} triples) to {endpoint}, "
            f"{len(result.unchanged)} unchanged, {len(result.failed)} failed")
    if result.deleted:
        text += f", {len(result.deleted)} deleted"
    if result.not_sent:
        text += f", {len(result.not_sent)} not sent"
    return text + f" ({result.seconds:.1f} s)"


def terminal_progress(total: int) -> Any:
    """A rich progress bar over the graphs on stderr when it is a terminal (else silent)."""
    import sys
    from contextlib import contextmanager

    @contextmanager
    def bar_context():
        if not sys.stderr.isatty():
            yield lambda label: None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("graphs"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[last]}"), console=Console(stderr=True),
                      transient=True) as bar:
            task = bar.add_task("graphs", total=total, last="")
            yield lambda label: bar.update(task, advance=1, last=label)

    return bar_context()
