"""`aerokg push`: the graphs of a run sent to a real SPARQL server (Oxigraph, `oxigraph serve`
on loopback) with the Graph Store HTTP Protocol, then read back with SPARQL over HTTP; error
paths against tiny local HTTP stubs (down, 401, 503 then 204, 400).

The `oxigraph` server comes with the `test` extra (`pip install -e '.[test]'`); without it the
server tests fail, they are not skipped."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import make_tiny_nlp

import pipeline
from pipeline.cli import cli

ARTICLES = {
    "uno": "Mario Rossi ha incontrato a Roma i dirigenti della FIAT di Torino.",
    "due": "La FIAT di Torino ha firmato un accordo a Roma.",
}
GRAPH = "https://w3id.org/aerokg/graph/"


# -- fixtures -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"  # the venv's, even when not activated
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` server binary is missing: pip install -e '.[test]' "
                    "(or pip install oxigraph) installs it", pytrace=False)
    return found


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """An Oxigraph server on a free loopback port: its base URL."""
    binary = oxigraph_binary()
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-store")
    log = open(location.parent / "oxigraph.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([binary, "serve", "--location", str(location),
                                "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(f"oxigraph serve did not start: "
                            f"{(location.parent / 'oxigraph.log').read_text()}", pytrace=False)
            time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def server(oxigraph_server):
    """The Oxigraph server, emptied before each test."""
    httpx.post(f"{oxigraph_server}/update", data={"update": "CLEAR ALL"},
               timeout=10).raise_for_status()
    return oxigraph_server


@pytest.fixture(autouse=True)
def _no_credentials_no_domain_layer(monkeypatch):
    for name in ("AEROKG_SPARQL_USER", "AEROKG_SPARQL_PASSWORD", "AEROKG_SPARQL_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # the tiny model as it is: adding the domain ruler (gazetteer) would take seconds
    monkeypatch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny"
    make_tiny_nlp().to_disk(path)
    return path


def write_corpus(folder: Path, articles: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in articles.items():
        (folder / f"{name}.txt").write_text(f"title: {name}\n\n{text}\n", encoding="utf-8")
    return folder


def aerokg(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, model_dir):
    """One run over ARTICLES (the slow part), copied by each test that uses it."""
    folder = tmp_path_factory.mktemp("first-run")
    corpus = write_corpus(folder / "corpus", ARTICLES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)
        result = aerokg("run", str(corpus), "-o", str(folder / "out"), "--model", str(model_dir))
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def out(tmp_path, first_run):
    """OUT_DIR of a run over ARTICLES (tmp_path/corpus), this test's own copy."""
    shutil.copytree(first_run / "corpus", tmp_path / "corpus")
    shutil.copytree(first_run / "out", tmp_path / "out")
    return tmp_path / "out"


def endpoint(base: str) -> str:
    return f"{base}/store"


def select(base: str, query: str) -> list[dict[str, str]]:
    response = httpx.post(f"{base}/query", data={"query": query}, timeout=10,
                          headers={"Accept": "application/sparql-results+json"})
    response.raise_for_status()
    return [{k: v["value"] for k, v in row.items()}
            for row in response.json()["results"]["bindings"]]


def counts(base: str) -> dict[str, int]:
    """Triples per graph on the server ("" for the default graph)."""
    rows = select(base, "SELECT ?g (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } "
                        "UNION { ?s ?p ?o } } GROUP BY ?g")
    return {row.get("g", ""): int(row["n"]) for row in rows}


def local_counts(out: Path) -> dict[str, int]:
    """Triples per graph in OUT_DIR's files ("" for the default graph of graph.trig)."""
    import pyoxigraph as ox

    found: dict[str, int] = {}
    for quad in ox.parse(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG):
        key = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        found[key] = found.get(key, 0) + 1
    return found


# -- against Oxigraph -----------------------------------------------------------------------------
def test_push_sends_every_article_graph_and_the_run_metadata(server, out):
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server))
    assert result.exit_code == 0, result.output
    expected = local_counts(out)
    assert set(expected) == {GRAPH + "uno", GRAPH + "due", ""}
    assert counts(server) == expected
    assert f"3 graphs pushed ({sum(expected.values())} triples)" in result.output
    assert "0 failed" in result.output
    # the article's own facts are in its named graph on the server
    rows = select(server, f"SELECT ?h WHERE {{ GRAPH <{GRAPH}uno> {{ ?a "
                          "<https://schema.org/headline> ?h } }")
    assert rows == [{"h": "uno"}]


def test_pushing_twice_gives_the_same_server(server, out):
    assert aerokg("push", "-o", str(out), "--endpoint", endpoint(server)).exit_code == 0
    first = counts(server)
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server))
    assert result.exit_code == 0, result.output
    assert counts(server) == first == local_counts(out)


def test_a_changed_article_replaces_its_graph(server, out, tmp_path, model_dir):
    assert aerokg("push", "-o", str(out), "--endpoint", endpoint(server)).exit_code == 0
    corpus = tmp_path / "corpus"
    (corpus / "uno.txt").write_text("title: Nuovo titolo\n\nMario Rossi a Roma.\n",
                                    encoding="utf-8")
    assert aerokg("run", str(corpus), "-o", str(out), "--model", str(model_dir)).exit_code == 0
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server))
    assert result.exit_code == 0, result.output
    rows = select(server, f"SELECT ?h WHERE {{ GRAPH <{GRAPH}uno> {{ ?a "
                          "<https://schema.org/headline> ?h } }")
    assert rows == [{"h": "Nuovo titolo"}]  # the old headline is gone
    assert counts(server) == local_counts(out)


def test_only_changed_sends_only_what_changed(server, out, tmp_path, model_dir):
    push = ["push", "-o", str(out), "--endpoint", endpoint(server), "--no-default-graph"]
    assert aerokg(*push).exit_code == 0
    assert (out / ".aerokg" / "pushed.json").is_file()
    result = aerokg(*push, "--only-changed")
    assert result.exit_code == 0, result.output
    assert "0 graphs pushed" in result.output and "2 unchanged" in result.output
    corpus = tmp_path / "corpus"
    (corpus / "due.txt").write_text("title: due\n\nLa FIAT a Roma.\n", encoding="utf-8")
    assert aerokg("run", str(corpus), "-o", str(out), "--model", str(model_dir)).exit_code == 0
    result = aerokg(*push, "--only-changed")
    assert result.exit_code == 0, result.output
    assert "1 graphs pushed" in result.output and "1 unchanged" in result.output
    expected = local_counts(out)
    del expected[""]
    assert counts(server) == expected


def test_prune_deletes_only_the_graphs_aerokg_pushed_that_are_gone(server, out, tmp_path,
                                                                   model_dir):
    assert aerokg("push", "-o", str(out), "--endpoint", endpoint(server)).exit_code == 0
    other = "http://example.org/not-ours"
    httpx.post(f"{server}/update", timeout=10, data={
        "update": f"INSERT DATA {{ GRAPH <{other}> {{ <urn:a> <urn:b> <urn:c> }} }}"})
    corpus = tmp_path / "corpus"
    (corpus / "due.txt").unlink()
    result = aerokg("run", str(corpus), "-o", str(out), "--model", str(model_dir), "--prune")
    assert result.exit_code == 0, result.output
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server), "--prune",
                    "--dry-run")
    assert f"DELETE {endpoint(server)}?graph=https%3A%2F%2Fw3id.org%2Faerokg%2Fgraph%2Fdue" \
        in result.output
    assert GRAPH + "due" in counts(server)  # a dry run deletes nothing
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server), "--prune")
    assert result.exit_code == 0, result.output
    assert "1 deleted" in result.output
    assert counts(server) == local_counts(out) | {other: 1}
    assert "due" not in (out / ".aerokg" / "pushed.json").read_text()


def test_dry_run_lists_and_sends_nothing(server, out):
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server), "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"PUT {endpoint(server)}?graph=https%3A%2F%2Fw3id.org%2Faerokg%2Fgraph%2Funo" \
        in result.output
    assert f"PUT {endpoint(server)}?default" in result.output
    assert "dry run: 3 graphs" in result.output
    assert counts(server) == {}
    assert aerokg("push", "-o", str(out), "--endpoint", endpoint(server)).exit_code == 0
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server), "--dry-run",
                    "--only-changed")
    assert result.exit_code == 0, result.output
    assert "dry run: 0 graphs" in result.output and "unchanged, not sent" in result.output


def test_no_default_graph_leaves_the_servers_default_graph_alone(server, out):
    result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server), "--no-default-graph")
    assert result.exit_code == 0, result.output
    assert set(counts(server)) == {GRAPH + "uno", GRAPH + "due"}


def test_an_out_dir_without_state_is_pushed_from_graph_trig(server, out, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(out / "graph.trig", copy / "graph.trig")
    result = aerokg("push", "-o", str(copy), "--endpoint", endpoint(server))
    assert result.exit_code == 0, result.output
    assert counts(server) == local_counts(out)


def test_push_never_loads_rdflib_or_spacy(server, out):
    """Graphs are streamed with pyoxigraph, an article at a time: no rdflib graph of the
    corpus, no spaCy."""
    code = ("import sys; from click.testing import CliRunner; from pipeline.cli import cli; "
            f"r = CliRunner().invoke(cli, ['push', '-o', {str(out)!r}, '--endpoint', "
            f"{endpoint(server)!r}]); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('rdflib', 'spacy') if m in sys.modules))")
    here = str(Path(pipeline.__file__).resolve().parent.parent)  # the pipeline under test
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": here})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert counts(server) == local_counts(out)


# -- errors ---------------------------------------------------------------------------------------
class Stub:
    """A local HTTP server answering PUTs with the statuses of ``script`` in turn (then 204);
    ``require`` is the Authorization header it wants (401 otherwise). Records every request."""

    def __init__(self, script=(), require: str | None = None, body: bytes = b"",
                 headers: dict[str, str] | None = None):
        self.script, self.require, self.body = list(script), require, body
        self.headers = headers or {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests.append(("PUT", self.path, dict(self.headers)))
                if stub.require is not None and self.headers.get("Authorization") != stub.require:
                    status = 401
                else:
                    status = stub.script.pop(0) if stub.script else 204
                body = stub.body if status >= 400 else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if status != 204:
                    for name, value in stub.headers.items():
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/store"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_server_that_is_down_is_a_clear_error_not_a_traceback(out):
    url = f"http://127.0.0.1:{free_port()}/store"  # nothing listens there
    result = aerokg("push", "-o", str(out), "--endpoint", url, "--retries", "2",
                    "--backoff", "0")
    assert result.exit_code == 1
    assert f"cannot connect to {url}" in result.output
    assert "after 3 attempts" in result.output
    assert "0 graphs pushed" in result.output and "3 not sent" in result.output
    assert "Traceback" not in result.output


def test_refused_credentials_name_the_environment_variables(out):
    with Stub(require="Bearer right", body=b"Unauthorized") as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url,
                        env={"AEROKG_SPARQL_TOKEN": "wrong-token"})
    assert result.exit_code == 1
    assert "the server refused the credentials" in result.output
    assert "AEROKG_SPARQL_USER/AEROKG_SPARQL_PASSWORD or AEROKG_SPARQL_TOKEN" in result.output
    assert "wrong-token" not in result.output
    assert len(stub.requests) == 1  # the push stops at the first refusal


def test_basic_credentials_come_from_the_environment_and_are_never_printed(out):
    expected = "Basic " + base64.b64encode(b"alice:s3cret-pw").decode()
    with Stub(require=expected) as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url,
                        env={"AEROKG_SPARQL_USER": "alice", "AEROKG_SPARQL_PASSWORD": "s3cret-pw"})
    assert result.exit_code == 0, result.output
    assert len(stub.requests) == 3
    assert all(headers.get("Authorization") == expected for _, _, headers in stub.requests)
    assert all(headers.get("Content-Type") == "application/n-triples"
               for _, _, headers in stub.requests)
    assert "s3cret-pw" not in result.output and "alice" not in result.output


def test_a_bearer_token_comes_from_the_environment(out):
    with Stub(require="Bearer t0ken") as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url,
                        env={"AEROKG_SPARQL_TOKEN": "t0ken"})
    assert result.exit_code == 0, result.output
    assert "t0ken" not in result.output


def test_there_is_no_credential_option():
    result = aerokg("push", "--help")
    assert "--password" not in result.output and "--token" not in result.output
    assert "--user" not in result.output


def test_503_twice_is_retried_then_succeeds(out):
    with Stub(script=[503, 503]) as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url, "--backoff", "0")
    assert result.exit_code == 0, result.output
    assert "3 graphs pushed" in result.output
    paths = [path for _, path, _ in stub.requests]
    assert len(paths) == 5 and paths[0] == paths[1] == paths[2]  # the first graph, 3 times


def test_503_more_than_the_retries_fails_that_graph(out):
    with Stub(script=[503, 503, 503], body=b"busy") as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url, "--backoff", "0",
                        "--retries", "2")
    assert result.exit_code == 1
    assert "HTTP 503" in result.output and "busy" in result.output
    assert "2 graphs pushed" in result.output and "1 failed" in result.output
    assert len(stub.requests) == 5


def test_a_refused_graph_shows_the_servers_message_and_the_others_go_on(out):
    with Stub(script=[400], body=b"Parse error on line 3") as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url)
    assert result.exit_code == 1
    assert "HTTP 400 Bad Request: Parse error on line 3" in result.output
    assert "2 graphs pushed" in result.output and "1 failed" in result.output
    assert len(stub.requests) == 3


def test_a_url_that_is_not_a_graph_store_stops_the_push(out):
    with Stub(script=[404]) as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url)
    assert result.exit_code == 1
    assert "is not a Graph Store endpoint" in result.output
    assert len(stub.requests) == 1


@pytest.mark.parametrize("url", ["ftp://example.org/store", "not a url", "http:///store",
                                 "http://user:pw@127.0.0.1:9/store"])
def test_a_bad_endpoint_is_a_usage_error(out, url):
    result = aerokg("push", "-o", str(out), "--endpoint", url)
    assert result.exit_code == 2
    assert "Error:" in result.output and "pw@" not in result.output.split("Error:")[1]


def test_a_missing_or_empty_out_dir_is_a_usage_error(tmp_path):
    url = "http://127.0.0.1:9/store"
    result = aerokg("push", "-o", str(tmp_path / "missing"), "--endpoint", url)
    assert result.exit_code == 2 and "is not a directory" in result.output
    (tmp_path / "empty").mkdir()
    result = aerokg("push", "-o", str(tmp_path / "empty"), "--endpoint", url)
    assert result.exit_code == 2 and "no graphs to push" in result.output


def test_half_set_credentials_are_a_usage_error(out):
    result = aerokg("push", "-o", str(out), "--endpoint", "http://127.0.0.1:9/store",
                    env={"AEROKG_SPARQL_USER": "alice"})
    assert result.exit_code == 2 and "AEROKG_SPARQL_PASSWORD is not" in result.output


def test_help_documents_example_credentials_and_exit_codes():
    result = aerokg("push", "--help")
    assert result.exit_code == 0
    for text in ("Example", "aerokg push -o outputs/ --endpoint", "AEROKG_SPARQL_TOKEN",
                 "AEROKG_SPARQL_USER", "Exit codes", "--only-changed", "--dry-run",
                 "--retries"):
        assert text in result.output, text


def test_retries_back_off_exponentially_and_honour_retry_after(out):
    from pipeline.push import push

    waits: list[float] = []
    with Stub(script=[503, 503, 503]) as stub:
        result = push(out, stub.url, backoff=0.25, sleep=waits.append, env={})
    assert result.exit_code == 0 and len(result.pushed) == 3
    assert waits == [0.25, 0.5, 1.0]
    waits.clear()
    with Stub(script=[429], headers={"Retry-After": "2"}) as stub:
        result = push(out, stub.url, backoff=0.25, sleep=waits.append, env={})
    assert result.exit_code == 0 and waits == [2.0]


def test_a_redirect_stops_the_push_and_names_the_target(out):
    with Stub(script=[301], headers={"Location": "https://elsewhere/store"}) as stub:
        result = aerokg("push", "-o", str(out), "--endpoint", stub.url)
    assert result.exit_code == 1
    assert "redirects" in result.output and "https://elsewhere/store" in result.output
    assert len(stub.requests) == 1


def test_graph_urls():
    from pipeline.push import graph_url

    assert graph_url("http://h/store", "https://w3id.org/g/a b#x?y=1") == \
        "http://h/store?graph=https%3A%2F%2Fw3id.org%2Fg%2Fa%20b%23x%3Fy%3D1"
    assert graph_url("http://h/store", None) == "http://h/store?default"
    assert graph_url("http://h/gsp?key=1", None) == "http://h/gsp?key=1&default"


def test_a_missing_oxigraph_binary_fails_the_server_tests(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="oxigraph` server binary is missing"):
        oxigraph_binary()


def test_push_while_a_run_holds_out_dir_exits_3_and_sends_nothing(server, out):
    from pipeline.lock import OutDirLock

    with OutDirLock(out / ".aerokg" / "lock", out):
        result = aerokg("push", "-o", str(out), "--endpoint", endpoint(server))
    assert result.exit_code == 3, result.output
    assert "in use by another aerokg run" in result.output
    assert counts(server) == {}
    # and once the run is over, the push goes through (and released the lock after itself)
    assert aerokg("push", "-o", str(out), "--endpoint", endpoint(server)).exit_code == 0
    with OutDirLock(out / ".aerokg" / "lock", out):
        pass
