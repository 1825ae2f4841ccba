"""The daemon (`aerokg daemon`): commands run in a fork of a warm process behave as they do
without it (outputs, exit codes, standard streams), Ctrl-C and a killed client reach the
command, and it serves only from a private directory and only with the code it loaded.

The daemon here runs :func:`pipeline.daemon.serve` in a subprocess with the tiny hand-made
pipeline (the tests need no shipped model), under a launcher that can slow the mapping stage
down per command (``AEROKG_TEST_DELAY`` in the client's environment, which the command
takes on) so that a command can be caught in the middle. One test starts a daemon the way
users do (``aerokg daemon start``)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_tiny_nlp
from test_interrupt import article_text

from pipeline import daemon
from pipeline.lock import OutDirBusy, OutDirLock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

SERVER = """\
import os, sys, time
from pathlib import Path

import pipeline.workers as workers

_analyse_article = workers.analyse_article


def slow_analyse_article(article, doc):
    time.sleep(float(os.environ.get("AEROKG_TEST_DELAY", "0")))
    return _analyse_article(article, doc)


workers.analyse_article = slow_analyse_article
from pipeline.daemon import serve

serve(Path(sys.argv[1]), sys.argv[2], idle_timeout=600)
sys.stdout.flush()
os._exit(0)  # as a daemon started by `aerokg daemon start` ends: no interpreter teardown
"""

CLIENT = [sys.executable, "-c", "from pipeline.cli import main; main()"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A private daemon directory, the tiny model and a corpus of four articles."""
    root = tmp_path_factory.mktemp("daemon")
    (root / "sock").mkdir(mode=0o700)
    make_tiny_nlp().to_disk(root / "tiny")
    (root / "corpus").mkdir()
    for i in range(4):
        (root / "corpus" / f"articolo-{i}.txt").write_text(article_text(i), encoding="utf-8")
    (root / "server.py").write_text(SERVER, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(home):
    """A daemon serving from ``home / "sock"``; stopped at the end."""
    env = {k: v for k, v in os.environ.items() if k != daemon.NO_DAEMON_ENV_VAR}
    log = home / "server.log"  # a file, as the real daemon's: a pipe nobody reads can fill up
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, str(home / "server.py"),
                                    str(home / "sock"), str(home / "tiny")], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while not (home / "sock" / daemon.SOCKET_NAME).exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the daemon did not start"
        time.sleep(0.1)
    yield process
    daemon.stop(home / "sock", timeout=60)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the daemon did not stop: " + log.read_text()[-3000:])


def client_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != daemon.NO_DAEMON_ENV_VAR}
    return {**env, daemon.DIR_ENV_VAR: str(home / "sock"), **extra}


def aerokg(home: Path, *args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLIENT, *args], cwd=cwd, env=client_env(home, **extra),
                          capture_output=True, text=True, timeout=300)


def served(home: Path) -> int:
    info = daemon.status(home / "sock")
    assert info is not None
    return info.requests


# -- what a command does through the daemon ----------------------------------------------------


def test_a_run_through_the_daemon_writes_what_a_run_without_it_writes(home, server, tmp_path):
    before = served(home)
    through = aerokg(home, "run", "corpus", "-o", str(tmp_path / "through"), "--model",
                     str(home / "tiny"), cwd=home)
    assert through.returncode == 0, through.stderr
    assert served(home) == before + 2  # this run, and the first status request

    alone = aerokg(home, "run", "corpus", "-o", str(tmp_path / "alone"), "--model",
                   str(home / "tiny"), cwd=home, AEROKG_NO_DAEMON="1")
    assert alone.returncode == 0, alone.stderr
    assert served(home) == before + 3  # only the status request

    for name in ("graph.ttl", "graph.trig", "graph.graphml", "graph.cyjs"):
        assert (tmp_path / "through" / name).read_bytes() == \
            (tmp_path / "alone" / name).read_bytes(), name
    # relative paths are the client's: its working directory went with the command
    assert through.stdout.replace(str(tmp_path / "through"), "OUT").split("; outputs")[0] == \
        alone.stdout.replace(str(tmp_path / "alone"), "OUT").split("; outputs")[0]


def test_exit_codes_and_both_streams_come_back(home, server, tmp_path):
    through = aerokg(home, "run", str(tmp_path / "missing"), "-o", str(tmp_path / "o1"),
                     cwd=tmp_path)
    alone = aerokg(home, "run", str(tmp_path / "missing"), "-o", str(tmp_path / "o2"),
                   cwd=tmp_path, AEROKG_NO_DAEMON="1")
    assert through.returncode == alone.returncode == 1
    assert "no such file or directory (MissingPath)" in through.stderr
    assert through.stderr.replace("/o1", "/o2") == alone.stderr

    usage = aerokg(home, "run", "--no-such-option", cwd=tmp_path)
    assert usage.returncode == 2 and "No such option" in usage.stderr

    version = aerokg(home, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("aerokg, version")


def test_the_environment_is_the_clients(home, server, tmp_path):
    # the model named in the client's environment is the one the command loads
    result = aerokg(home, "info", "--json", cwd=tmp_path, AEROKG_MODEL=str(home / "tiny"))
    assert result.returncode == 0, result.stderr
    assert "tiny_test" in result.stdout


def test_ctrl_c_on_the_client_stops_the_command(home, server, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [*CLIENT, "run", str(home / "corpus"), "-o", str(out), "--model", str(home / "tiny"),
         "--workers", "1"], env=client_env(home, AEROKG_TEST_DELAY="2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for(lambda: _graphs(out) >= 1, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert daemon.status(home / "sock") is not None  # the daemon goes on


def test_a_killed_client_stops_its_command(home, server, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [*CLIENT, "run", str(home / "corpus"), "-o", str(out), "--model", str(home / "tiny"),
         "--workers", "1"], env=client_env(home, AEROKG_TEST_DELAY="2"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: _graphs(out) >= 1, process)
    process.kill()
    process.wait(timeout=30)

    def free() -> bool:  # the command let go of OUT_DIR: it ended
        try:
            OutDirLock(out / ".aerokg" / "lock", out).acquire().release()
            return True
        except OutDirBusy:
            return False

    wait_for(free, timeout=120)


def wait_for(condition, process: subprocess.Popen | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the command ended early: {process.communicate()}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _graphs(out: Path) -> int:
    folder = out / ".aerokg" / "graphs"
    return len([n for n in os.listdir(folder) if n.endswith(".nq")]) if folder.is_dir() else 0


# -- when the daemon is not used ---------------------------------------------------------------


def test_no_daemon_means_the_command_runs_here(tmp_path, monkeypatch):
    monkeypatch.delenv(daemon.NO_DAEMON_ENV_VAR, raising=False)
    folder = tmp_path / "sock"
    folder.mkdir(mode=0o700)
    assert daemon.run_through_daemon(["--version"], folder) is None  # no socket
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(folder / daemon.SOCKET_NAME))  # a socket whose daemon was killed
    left.close()
    assert daemon.run_through_daemon(["--version"], folder) is None
    assert daemon.status(folder) is None


def test_aerokg_no_daemon_bypasses_a_running_one(home, server, monkeypatch):
    monkeypatch.setenv(daemon.NO_DAEMON_ENV_VAR, "1")
    before = served(home)
    assert daemon.run_through_daemon(["--version"], home / "sock") is None
    assert served(home) == before + 1  # the status request only


def test_a_directory_others_can_enter_is_refused(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with pytest.raises(daemon.DaemonError, match="open to other users"):
        daemon.check_private(shared)
    monkeypatch.delenv(daemon.NO_DAEMON_ENV_VAR, raising=False)
    assert daemon.run_through_daemon(["--version"], shared) is None
    (tmp_path / "file").write_text("")
    with pytest.raises(daemon.DaemonError, match="not a directory"):
        daemon.check_private(tmp_path / "file")
    daemon.check_private(tmp_path / "missing")  # made private when the daemon starts

    monkeypatch.setenv(daemon.DIR_ENV_VAR, str(tmp_path / "mine"))
    assert daemon.daemon_dir(create=True) == tmp_path / "mine"
    assert os.stat(tmp_path / "mine").st_mode & 0o777 == 0o700


def test_stale_code_is_never_run():
    package = str(Path(daemon.__file__).resolve().parent)
    model = str(Path(daemon.__file__).resolve().parent / "nlp" / "model")
    fingerprint = daemon.code_fingerprint(daemon._code_files(model))
    same = {"package": package, "executable": sys.executable}
    assert daemon._stale_reason(same, fingerprint, model) == ""
    assert "changed since it started" in daemon._stale_reason(same, "0" * 64, model)
    other = {"package": "/elsewhere/pipeline", "executable": sys.executable}
    assert "another installation" in daemon._stale_reason(other, fingerprint, model)


def test_code_files_cover_the_sources_and_the_model(tmp_path):
    (tmp_path / "meta.json").write_text("{}")
    files = daemon._code_files(str(tmp_path))
    names = {path.name for path in files}
    assert {"daemon.py", "runner.py", "loader.py", "meta.json"} <= names
    assert not any("__pycache__" in path.parts for path in files)


# -- the way users start it -------------------------------------------------------------------


def test_start_status_stop(home, tmp_path):
    env = {**client_env(home), daemon.DIR_ENV_VAR: str(tmp_path / "d")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*CLIENT, "daemon", *args], env=env, capture_output=True,
                              text=True, timeout=300)

    assert cli("status").returncode == 1
    started = cli("start", "--model", str(home / "tiny"), "--idle-timeout", "300")
    try:
        assert started.returncode == 0, started.stderr
        assert "ready in" in started.stdout and str(home / "tiny") in started.stdout
        again = cli("start", "--model", str(home / "tiny"))
        assert again.returncode == 1 and "a daemon is running already" in again.stderr
        status = cli("status", "--json")
        assert status.returncode == 0
        info = json.loads(status.stdout)
        assert info["model"] == str(home / "tiny") and info["rss_mb"] > 0
        assert os.stat(tmp_path / "d").st_mode & 0o777 == 0o700
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0 and f"stopped aerokg daemon {info['pid']}" in stopped.stdout
    assert not (tmp_path / "d" / daemon.SOCKET_NAME).exists()
    assert cli("stop").stdout.strip() == "no aerokg daemon running"
    assert "ready in" in (tmp_path / "d" / daemon.LOG_NAME).read_text()
