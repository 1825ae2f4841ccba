"""`aerokg run --executor dask` on a real ``LocalCluster(n_workers=2, processes=True)``: the
same graph and the same competency-query answers as a local run over the 22 Wikinews dev
articles (``tests/data/wikinews-dev``), with a worker killed mid-run, and resumed from shards
an interrupted run left; plus the errors a user meets before any work starts.

The worker processes load the shipped model (a few seconds each, once per module).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import SPEC_COLUMNS
from rdflib import Dataset
from rdflib.compare import isomorphic
from test_push import counts, endpoint, local_counts, oxigraph_server  # noqa: F401  (fixture)

from pipeline.cli import cli
from pipeline.query.run import run_query
from pipeline.runner import run

distributed = pytest.importorskip("distributed")
from pipeline import dask_executor  # noqa: E402
from pipeline.dask_executor import DaskSettings, DaskSetupError  # noqa: E402
from pipeline.shards import ShardFolder, shard_key  # noqa: E402

DEV = Path(__file__).parent / "data" / "wikinews-dev"
SHARD_SIZE = 4  # 22 articles -> 6 shards, so both workers get several


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=40) as local:
        yield local


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    result = run([DEV], out, workers=0)
    assert result.exit_code == 0, result.problem_lines()
    return out


def answers(out: Path) -> dict[str, list[tuple[str, ...]]]:
    return {name: run_query(out, name)[1] for name in SPEC_COLUMNS}


def assert_same_graph(out: Path, expected: Path) -> None:
    got, want = Dataset(), Dataset()
    got.parse(out / "graph.trig", format="trig")
    want.parse(expected / "graph.trig", format="trig")
    got_graphs = {g.identifier: g for g in got.graphs()}
    want_graphs = {g.identifier: g for g in want.graphs()}
    assert set(got_graphs) == set(want_graphs)
    for name, graph in want_graphs.items():
        assert isomorphic(got_graphs[name], graph), name
    assert answers(out) == answers(expected)


def dask_run(out: Path, cluster, **settings):
    return run([DEV], out, executor="dask",
               dask=DaskSettings(scheduler=cluster.scheduler_address, shard_size=SHARD_SIZE,
                                 **settings))


@pytest.fixture(scope="module")
def dask_out(tmp_path_factory, cluster):
    out = tmp_path_factory.mktemp("dask") / "out"
    return out, dask_run(out, cluster)


def test_a_dask_run_gives_the_graph_and_answers_of_a_local_run(dask_out, cluster, local_run):
    out, result = dask_out
    assert result.exit_code == 0, result.problem_lines()
    report = result.report
    assert report["totals"]["processed"] == 22
    assert report["options"]["executor"] == "dask"
    assert report["executor"]["shards_submitted"] == 6
    assert report["executor"]["workers"] == 2
    assert_same_graph(out, local_run)
    # the byte-identical article graphs, and no shard left once they are in
    local = json.loads((local_run / ".aerokg" / "manifest.json").read_text())["articles"]
    mine = json.loads((out / ".aerokg/manifest.json").read_text())["articles"]
    assert {k: v["graph_sha256"] for k, v in mine.items()} == {
        k: v["graph_sha256"] for k, v in local.items()}
    assert not os.listdir(out / ".aerokg/shards")
    # an unchanged re-run submits nothing
    again = dask_run(out, cluster)
    assert again.report["totals"]["unchanged"] == 22
    assert again.report["executor"]["shards_submitted"] == 0


def test_push_after_a_dask_run_sends_its_graphs(dask_out, oxigraph_server):  # noqa: F811
    out, _ = dask_out
    httpx.post(f"{oxigraph_server}/update", data={"update": "CLEAR ALL"},
               timeout=10).raise_for_status()
    result = CliRunner().invoke(cli, ["push", "-o", str(out), "--endpoint",
                                      endpoint(oxigraph_server)])
    assert result.exit_code == 0, result.output
    expected = local_counts(out)
    assert len(expected) == 23  # 22 article graphs and the run's default graph
    assert counts(oxigraph_server) == expected


def test_a_worker_killed_mid_run_changes_nothing(tmp_path, cluster, local_run):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        pids = client.run(os.getpid)  # worker address -> its process id
        killed: list[str] = []
        done = threading.Event()

        def kill_a_busy_worker() -> None:
            while not done.is_set():
                for worker, keys in client.processing().items():
                    if worker in pids and any(str(k).startswith("aerokg-shard") for k in keys):
                        os.kill(pids[worker], signal.SIGKILL)
                        killed.append(worker)
                        return
                time.sleep(0.02)

        watcher = threading.Thread(target=kill_a_busy_worker, daemon=True)
        watcher.start()
        try:
            result = dask_run(tmp_path / "out", cluster)
        finally:
            done.set()
            watcher.join(10)
        assert killed, "no worker was busy with a shard"
        client.wait_for_workers(2, timeout=60)  # the nanny restarts it; later tests need it
    assert result.exit_code == 0, result.problem_lines()
    assert result.report["totals"]["processed"] == 22
    assert_same_graph(tmp_path / "out", local_run)
    shards = tmp_path / "out/.aerokg/shards"
    assert not os.listdir(shards), "a partial shard or a temporary file was left"


def test_a_resumed_run_takes_what_the_workers_had_finished(tmp_path, cluster, local_run):
    """An interrupted run leaves shards in OUT_DIR: the next run does not submit them again."""
    from pipeline.corpus import iter_corpus
    from pipeline.manifest import content_hash, model_stamp

    out = tmp_path / "out"
    folder = ShardFolder(out / ".aerokg" / "shards")
    folder.make()
    articles = sorted((a for a in iter_corpus([DEV]) if hasattr(a, "text")),
                      key=lambda a: a.id)[:5]
    shas = [content_hash(a) for a in articles]
    stamp = model_stamp(None).stamp
    key = shard_key(stamp, zip([a.id for a in articles], shas, strict=True))
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        summary = client.submit(dask_executor.process_shard, folder.location, key, articles,
                                shas, "shipped", stamp, pure=False).result()
    assert summary["skipped"] is False and folder.keys() == [key]
    # a worker given the same shard again returns at once
    assert dask_executor.process_shard(folder.location, key, articles, shas, "shipped",
                                       stamp)["skipped"] is True

    result = dask_run(out, cluster)
    assert result.exit_code == 0, result.problem_lines()
    assert result.report["executor"]["articles_reused"] == 5
    assert result.report["executor"]["shards_submitted"] == 5  # the 17 others, by 4
    assert_same_graph(out, local_run)
    assert folder.keys() == []


def test_an_unreachable_scheduler_stops_the_run_before_anything_is_written(tmp_path):
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    with pytest.raises(DaskSetupError, match="cannot reach the Dask scheduler"):
        run([DEV], out, executor="dask",
            dask=DaskSettings(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=1))
    assert not out.exists()


def test_a_busy_out_dir_stops_the_run_before_a_cluster_is_started(tmp_path, monkeypatch):
    from pipeline import dask_executor
    from pipeline.lock import OutDirBusy, OutDirLock

    def connect(settings):
        raise AssertionError("a cluster was started for an OUT_DIR another run holds")

    monkeypatch.setattr(dask_executor, "connect", connect)
    out = tmp_path / "out"
    with OutDirLock(out / ".aerokg" / "lock", out):
        with pytest.raises(OutDirBusy, match="in use by another aerokg run"):
            run([DEV], out, executor="dask", dask=DaskSettings(workers=1))
    # the lock file left behind by a finished run does not make it busy
    with pytest.raises(AssertionError, match="a cluster was started"):
        run([DEV], out, executor="dask", dask=DaskSettings(workers=1))
    free = tmp_path / "free"  # nor does an OUT_DIR with no lock file (nothing is created)
    with pytest.raises(AssertionError, match="a cluster was started"):
        run([DEV], free, executor="dask", dask=DaskSettings(workers=1))
    assert not free.exists()


def test_the_cli_says_so_with_exit_code_2(tmp_path, monkeypatch):
    import socket

    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(cli, ["run", str(DEV), "-o", str(tmp_path / "out"),
                                      "--executor", "dask", "--scheduler",
                                      f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("options, message", [
    (["--executor", "dask", "--scheduler", "tcp://x:8786", "--workers", "2"],
     "exclude each other"),
    (["--executor", "dask", "--workers", "0"], "at least 1 worker"),
    (["--shard-size", "10"], "go with --executor dask"),
    (["--scheduler", "tcp://x:8786"], "go with --executor dask"),
])
def test_dask_options_that_do_not_go_together(tmp_path, options, message):
    result = CliRunner().invoke(cli, ["run", str(DEV), "-o", str(tmp_path / "out"), *options])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_a_worker_with_another_model_refuses_the_shard():
    from pipeline.manifest import model_stamp

    stamp = model_stamp(None).stamp | {"model_version": "0.0.0-other"}
    with pytest.raises(dask_executor.WorkerMismatch, match="model_version"):
        dask_executor._worker_pipeline("shipped", stamp)


def test_a_local_run_never_imports_dask(tmp_path):
    code = ("import sys; from pipeline.runner import run; "
            f"r = run([{str(DEV / 'wn-028.txt')!r}], {str(tmp_path / 'out')!r}, workers=0); "
            "assert r.exit_code == 0, r.report; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


# -- the driver's bookkeeping, on a synchronous stand-in for the cluster -----------------------
class _Future:
    def __init__(self, key, outcome):
        self.key, self._outcome = key, outcome

    def result(self):
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def release(self):
        pass

    def cancel(self):
        pass


class _Completed:
    """as_completed over futures that are done when submitted."""

    def __init__(self, loop=None):
        self.queue: list = []

    def add(self, future):
        self.queue.append(future)

    def has_ready(self):
        return bool(self.queue)

    def next_batch(self, block=True):
        batch, self.queue = self.queue, []
        return batch

    def clear(self):
        self.queue = []


def _killed(key):
    from types import SimpleNamespace

    return distributed.KilledWorker(key, SimpleNamespace(address="tcp://w1"), 3)


class _Client:
    """Runs a task at once: it dies (KilledWorker) when its shard holds a poison article,
    else it writes the shard (unless ``write`` is False) with an empty graph per article."""

    loop = None

    def __init__(self, poison=(), write=True):
        self.poison, self.write, self.submitted = set(poison), write, []

    def scheduler_info(self):
        return {"workers": {"w1": {}, "w2": {}}}

    def submit(self, function, *args, **options):
        from pipeline.shards import build_shard
        from pipeline.workers import ArticleResult

        location, key, articles, shas, _, stamp = args
        self.submitted.append([a.id for a in articles])
        if self.poison & {a.id for a in articles}:
            return _Future(options["key"], _killed(options["key"]))
        empty = hashlib.sha256(b"").hexdigest()
        results = [ArticleResult(a.id, nquads=b"", graph_sha256=empty) for a in articles]
        if self.write:
            ShardFolder(location).write(build_shard(key, stamp, articles, shas, results))
        return _Future(options["key"], {"key": key, "skipped": False, "worker": "w1:1"})


def _processor(tmp_path, client, monkeypatch, shard_size=3):
    from pipeline.corpus import Article

    monkeypatch.setattr(distributed, "as_completed", _Completed)
    articles = [Article(id=f"a{i}", text=f"testo {i}") for i in range(5)]
    processor = dask_executor.DaskProcessor(
        client, ShardFolder(tmp_path / "shards"), "shipped", {"aerokg_version": "t"},
        content_sha=lambda a: a.id * 4, shard_size=shard_size)
    processor.submit(articles)
    return {a.id: r for a, r in processor.drain()}, processor


def test_a_shard_that_kills_its_workers_is_retried_an_article_at_a_time(tmp_path,
                                                                          monkeypatch):
    client = _Client(poison={"a1"})
    results, processor = _processor(tmp_path, client, monkeypatch)
    assert client.submitted == [["a0", "a1", "a2"], ["a3", "a4"], ["a0"], ["a1"], ["a2"]]
    assert processor.stats["shards_split"] == 1
    assert results["a1"].error[:2] == ("nlp", "WorkerDied")
    assert all(results[i].error is None for i in ("a0", "a2", "a3", "a4"))


def test_a_shard_the_driver_cannot_read_fails_its_articles_saying_why(tmp_path, monkeypatch):
    results, _ = _processor(tmp_path, _Client(write=False), monkeypatch)
    assert {r.error[1] for r in results.values()} == {"ShardMissing"}
    assert "must be shared" in results["a0"].error[2]


def test_without_a_shard_size_shards_grow_and_the_tail_is_split(tmp_path, monkeypatch):
    from pipeline.corpus import Article

    monkeypatch.setattr(distributed, "as_completed", _Completed)
    client = _Client()
    processor = dask_executor.DaskProcessor(
        client, ShardFolder(tmp_path / "shards"), "shipped", {"aerokg_version": "t"},
        content_sha=lambda a: a.id * 4)
    processor.submit([Article(id=f"a{i}", text="t") for i in range(100)])
    assert len(list(processor.drain())) == 100
    assert [len(ids) for ids in client.submitted] == [8, 16, 32, 32, 6, 6]


def test_without_dask_installed_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(DaskSetupError, match=r"pip install 'aerokg\[dask\]'"):
        dask_executor.connect(DaskSettings(workers=1))


def test_shards_can_go_to_an_fsspec_url(tmp_path, cluster):
    """--shard-dir URL: the workers write through fsspec (here file://, as for s3://)."""
    import shutil

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("wn-001.txt", "wn-009.txt", "wn-028.txt"):
        shutil.copy(DEV / name, corpus / name)
    local = run([corpus], tmp_path / "local", workers=0)
    remote = tmp_path / "bucket" / "shards"
    result = run([corpus], tmp_path / "out", executor="dask", dask=DaskSettings(
        scheduler=cluster.scheduler_address, shard_size=2, shard_dir=remote.as_uri()))
    assert local.exit_code == result.exit_code == 0, result.problem_lines()
    assert result.report["executor"]["shards_submitted"] == 2
    assert result.report["executor"]["shard_dir"] == remote.as_uri()
    assert_same_graph(tmp_path / "out", tmp_path / "local")
    assert os.listdir(remote) == []  # taken in, then deleted
    assert not (tmp_path / "out/.aerokg/shards").exists()
