"""A warm aerokg process that commands run in: ``aerokg daemon start``, and every ``aerokg``
command is served by a forked copy of it, with spaCy, the model and the exports' libraries
already loaded.

A re-run after one article changed spends most of its time starting up: importing spaCy
(0.8 s), loading the model (0.7 s), importing matplotlib, networkx and rdflib for the exports.
The daemon pays that once. It is a *zygote*, the pattern of Android's app launcher and of
build daemons (Gradle, ``dmypy``): the daemon never runs a command itself; for each one it
forks, and the fork becomes the command, with the client's standard input, output and error
(passed over a Unix socket, ``SCM_RIGHTS``), working directory, environment, umask and
arguments. So a command behaves as it does in a fresh process: same outputs, same exit code,
progress bars on the same terminal, Ctrl-C forwarded; a command that crashes or leaks takes
nothing of the daemon with it; and the daemon's memory does not grow with the commands it
serves (each fork shares the loaded model copy-on-write).

Layout (the client side is :func:`run_through_daemon`, called by ``aerokg`` before anything
else; the server side is :func:`serve`)::

    aerokg (client) --unix socket--> daemon --fork--> session --fork--> the command
                    <-- pid, exit code --------------- session: waits for the command,
                                                       forwards the client's hang-up as SIGINT

The socket lives in a private directory (:func:`daemon_dir`: ``$AEROKG_DAEMON_DIR``, else
``$XDG_RUNTIME_DIR/aerokg``, else ``/tmp/aerokg-UID``; mode 0700, owned by the user) and the
daemon serves only processes of its own user (``SO_PEERCRED``). It stops after
``idle_timeout`` seconds without a command, on ``aerokg daemon stop``, and by itself when the
code it loaded changed on disk (a new version, an edited source file, a retrained model): the
command that notices runs without it. ``AEROKG_NO_DAEMON=1`` makes any command run without it.

Linux only (``SO_PEERCRED``, ``os.pidfd_open``); elsewhere :func:`start` says so and commands
run as usual.

>>> from pipeline import daemon
>>> daemon.run_through_daemon(["--version"], directory="/nonexistent") is None  # no daemon
True
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DaemonError", "DIR_ENV_VAR", "NO_DAEMON_ENV_VAR", "code_fingerprint", "daemon_dir",
           "run_through_daemon", "serve", "start", "status", "stop"]

DIR_ENV_VAR = "AEROKG_DAEMON_DIR"
NO_DAEMON_ENV_VAR = "AEROKG_NO_DAEMON"
SOCKET_NAME = "daemon.sock"
LOG_NAME = "daemon.log"
DEFAULT_IDLE_TIMEOUT = 3600.0
_HEADER = struct.Struct("!I")  # the length of a request's JSON
_MAX_REQUEST = 16 << 20


class DaemonError(Exception):
    """The daemon cannot be started, reached or stopped (the message says why)."""


# -- where it lives -----------------------------------------------------------------------------


def daemon_dir(create: bool = False) -> Path:
    """The daemon's private directory (socket and log): ``$AEROKG_DAEMON_DIR``, else
    ``$XDG_RUNTIME_DIR/aerokg``, else ``/tmp/aerokg-UID``. ``create``: make it (mode 0700)
    if missing. Raises :class:`DaemonError` if it exists but is not a directory owned by this
    user and closed to others: a socket there could belong to someone else."""
    if os.environ.get(DIR_ENV_VAR):
        directory = Path(os.environ[DIR_ENV_VAR])
    elif os.environ.get("XDG_RUNTIME_DIR"):
        directory = Path(os.environ["XDG_RUNTIME_DIR"]) / "aerokg"
    else:
        directory = Path("/tmp") / f"aerokg-{os.getuid()}"
    if create:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(directory)
    return directory


def check_private(directory: Path) -> None:
    """Raise :class:`DaemonError` unless ``directory`` is missing, or a directory owned by
    this user that no one else can enter."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return
    import stat

    if not stat.S_ISDIR(info.st_mode):
        raise DaemonError(f"{directory} is not a directory (set ${DIR_ENV_VAR} to another path)")
    if info.st_uid != os.getuid():
        raise DaemonError(f"{directory} belongs to another user (uid {info.st_uid}): set "
                          f"${DIR_ENV_VAR} to a directory of your own")
    if info.st_mode & 0o077:
        raise DaemonError(f"{directory} is open to other users (mode "
                          f"{stat.S_IMODE(info.st_mode):o}): `chmod 700 {directory}`")


def code_fingerprint(files: Iterable[Path]) -> str:
    """What the daemon's loaded code and model were made from: each file's path, size and
    modification time, hashed. The daemon takes it when it starts and again before each
    command; a difference means it would run stale code, and it stops.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     before = code_fingerprint([Path(f.name)])
    ...     _ = f.write(b"changed"); f.flush()
    ...     before == code_fingerprint([Path(f.name)])
    False
    """
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(files):
        try:
            info = path.stat()
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
    return digest.hexdigest()


def _code_files(model_path: str | None) -> list[Path]:
    """aerokg's source and data files, and every file of the model's directory."""
    package = Path(__file__).resolve().parent
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".toml", ".json", ".gz")
             and "model" not in p.relative_to(package).parts]
    if model_path and Path(model_path).is_dir():
        model = Path(model_path)
        files += [p for p in model.rglob("*") if p.is_file()]
    return files


# -- the client -----------------------------------------------------------------------------------


def run_through_daemon(argv: list[str], directory: str | os.PathLike[str] | None = None
                       ) -> int | None:
    """Run ``aerokg ARGV`` in the daemon, if one is running for this user, and return its exit
    code; None when there is no daemon to run it (none running, ``AEROKG_NO_DAEMON`` set, a
    daemon on other code), for the caller to run the command itself. Signals this process gets
    (Ctrl-C, ``kill``) are passed on to the command."""
    if os.environ.get(NO_DAEMON_ENV_VAR, "") not in ("", "0"):
        return None
    try:
        folder = Path(directory) if directory is not None else daemon_dir()
        check_private(folder)
    except DaemonError:
        return None
    client = _connect(folder) if hasattr(socket, "send_fds") else None
    if client is None:
        return None
    with client:
        try:
            cwd = os.getcwd()
        except OSError:  # the working directory was deleted: let the command say so here
            return None
        request = {"op": "run", "argv": list(argv), "cwd": cwd,
                   "env": dict(os.environ), "umask": _current_umask(),
                   "package": str(Path(__file__).resolve().parent),
                   "executable": sys.executable}
        fds = [fd for fd in (0, 1, 2) if _is_open(fd)]
        request["fds"] = fds
        try:
            _send(client, request, fds)
            reply = _read_line(client)
        except OSError:
            return None
        if not reply.startswith("P"):  # "S reason": it will not run it (stale code)
            if reply.startswith("S"):
                print(f"aerokg: not using the daemon: {reply[1:].strip()}", file=sys.stderr)
            return None
        pid = int(reply[1:])
        return _wait_for_exit(client, pid)


def _wait_for_exit(client: socket.socket, pid: int) -> int:
    def forward(signum: int, _frame: Any) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM,
                                                        signal.SIGHUP)}
    try:
        try:  # a forwarded signal does not interrupt the read (PEP 475)
            reply = _read_line(client)
        except OSError:  # the connection was reset: the daemon is gone
            reply = ""
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if not reply.startswith("X"):
        print("aerokg: the daemon stopped before the command ended", file=sys.stderr)
        return 1
    return int(reply[1:])


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _send(sock: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode()
    payload = _HEADER.pack(len(data)) + data
    sent = socket.send_fds(sock, [payload], list(fds)) if fds else sock.send(payload)
    sock.sendall(payload[sent:])


def _receive(sock: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 3)

    def at_least(size: int) -> bytes:
        nonlocal data
        while len(data) < size:
            more = sock.recv(1 << 16)
            if not more:
                raise DaemonError("the client hung up")
            data += more
        return data

    (length,) = _HEADER.unpack_from(at_least(_HEADER.size))
    if length > _MAX_REQUEST:
        raise DaemonError("request too large")
    end = _HEADER.size + length
    return json.loads(at_least(end)[_HEADER.size:end]), list(fds)


def _read_line(sock: socket.socket) -> str:
    """One reply line (``"P123"``, ``"X0"``...); "" if the other side hung up."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            return ""
        line += chunk
    return line.decode()


def _request(directory: Path, message: dict, timeout: float = 10.0) -> dict | None:
    """Send ``message`` (a status or stop request); the daemon's JSON reply, or None if no
    daemon answers."""
    sock = _connect(directory, timeout)
    if sock is None:
        return None
    with sock:
        try:
            _send(sock, message)
            reply = _read_line(sock)
        except OSError:
            return None
    return json.loads(reply[1:]) if reply.startswith("J") else None


def _connect(directory: Path, timeout: float | None = None) -> socket.socket | None:
    """A connection to the daemon serving from ``directory``; None if none answers (no
    socket, or one left by a daemon that was killed)."""
    path = directory / SOCKET_NAME
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


# -- managing it ----------------------------------------------------------------------------------


@dataclass
class DaemonInfo:
    """What ``aerokg daemon status`` shows."""

    pid: int
    model: str
    started: float  # time.time() when it was ready
    load_seconds: float
    requests: int  # connections served, this one included
    rss_mb: float
    directory: str


def status(directory: Path | None = None) -> DaemonInfo | None:
    """The running daemon's state, or None if there is none."""
    folder = directory or daemon_dir()
    reply = _request(folder, {"op": "status"})
    return DaemonInfo(**reply) if reply is not None else None


def stop(directory: Path | None = None, timeout: float = 10.0) -> DaemonInfo | None:
    """Stop the running daemon (commands it is running go on to their end); what it was, or
    None if none was running."""
    folder = directory or daemon_dir()
    reply = _request(folder, {"op": "stop"})
    if reply is None:
        return None
    deadline = time.monotonic() + timeout
    while (folder / SOCKET_NAME).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return DaemonInfo(**reply)


def start(model: str | None = None, idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
          directory: Path | None = None) -> DaemonInfo:
    """Start a daemon in the background and return once it serves commands (a few seconds:
    it loads spaCy and the model). Raises :class:`DaemonError` if one is running already, or
    if it fails to start (its log, ``daemon.log`` in its directory, says why)."""
    if not sys.platform.startswith("linux"):
        raise DaemonError("the daemon needs Linux (Unix sockets with SO_PEERCRED)")
    folder = directory or daemon_dir(create=True)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(folder)
    running = status(folder)
    if running is not None:
        raise DaemonError(f"a daemon is running already (pid {running.pid}, model "
                          f"{running.model}): `aerokg daemon stop` first")
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    told = []

    def tell(message: dict) -> None:  # once: "ready" (its DaemonInfo) or why it failed
        if not told:
            told.append(message)
            os.write(write_end, json.dumps(message).encode())
            os.close(write_end)

    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the daemon's side runs in other processes)
        os.close(read_end)
        try:
            os.setsid()
            if os.fork() > 0:
                os._exit(0)
            _to_log(folder / LOG_NAME)
            serve(folder, model, idle_timeout, ready=tell)
            code = 0
        except BaseException as err:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            tell({"error": f"{type(err).__name__}: {err}"})
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as ready:
        message = ready.read()
    try:
        answer = json.loads(message)
    except ValueError:
        answer = {"error": "it exited before it was ready"}
    if "error" in answer:
        raise DaemonError(f"the daemon did not start: {answer['error']} "
                          f"(see {folder / LOG_NAME})")
    return DaemonInfo(**answer)


def _to_log(path: Path) -> None:
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


# -- the server -----------------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _warm(model: str | None) -> str:
    """Load what commands need: spaCy and the model, the mapping stage's tables, the exports'
    modules, the language identifier. Returns the model's path."""
    import pipeline.cli  # noqa: F401
    import pipeline.runner  # noqa: F401
    from pipeline.export.writer import preload
    from pipeline.inputs import language
    from pipeline.nlp import loader
    from pipeline.workers import warm_mapping

    language.warm()
    choice = loader.resolve_model(model)
    location = loader.model_location(choice.name_or_path)
    loader.load_nlp(str(location) if location is not None else choice.name_or_path)
    warm_mapping()
    preload()
    return str(location) if location is not None else choice.name_or_path


def serve(directory: Path, model: str | None = None,
          idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
          ready: Callable[[dict], None] | None = None) -> None:
    """The daemon: load what commands need, then serve them on ``directory``'s socket until
    stopped, idle for ``idle_timeout`` seconds (0: never), or its code changed on disk.
    ``ready``: called with its :class:`DaemonInfo` fields once it serves."""
    import gc

    started = time.perf_counter()
    model_path = _warm(model)
    os.chdir("/")  # holds no directory busy (the model was found from the starting one)
    fingerprint = code_fingerprint(_code_files(model_path))
    load_seconds = round(time.perf_counter() - started, 2)
    path = directory / SOCKET_NAME
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    temporary = directory / f".{SOCKET_NAME}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    listener.bind(str(temporary))
    os.chmod(temporary, 0o600)
    listener.listen(64)
    os.replace(temporary, path)
    inode = os.stat(path).st_ino

    def stop_serving(_signum: int, _frame: Any) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop_serving)
    signal.signal(signal.SIGINT, stop_serving)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # sessions are reaped by the kernel
    state = {"pid": os.getpid(), "model": model_path, "started": time.time(),
             "load_seconds": load_seconds, "requests": 0, "rss_mb": 0.0,
             "directory": str(directory)}
    gc.collect()
    gc.freeze()  # the loaded objects stay out of the forks' collections: fewer copied pages
    print(f"aerokg daemon {os.getpid()} ready in {load_seconds} s, model {model_path}",
          flush=True)
    if ready is not None:
        ready(dict(state))
    listener.settimeout(idle_timeout or None)
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                print("idle: stopping", flush=True)
                break
            with connection:
                connection.setblocking(True)
                if _peer_uid(connection) != os.getuid():
                    continue
                state["requests"] += 1
                if os.fork() == 0:  # pragma: no cover  (runs in the fork)
                    listener.close()
                    _session(connection, state, fingerprint, model_path)
    except _Stop:
        print("stopping", flush=True)
    finally:
        listener.close()
        try:  # only our own socket: a newer daemon may have replaced it
            if os.stat(path).st_ino == inode:
                path.unlink()
        except OSError:
            pass


def _peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                        struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid


def _session(connection: socket.socket, state: dict, fingerprint: str,
             model_path: str) -> None:  # pragma: no cover  (runs in a fork of the daemon)
    """One client, in a fork of the daemon: answer a status/stop request, or fork the command
    and wait for it. Never returns."""
    code = 0
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    try:
        request, fds = _receive(connection)
        op = request.get("op")
        if op in ("status", "stop"):
            state = {**state, "rss_mb": _rss_mb(os.getppid())}
            connection.sendall(b"J" + json.dumps(state).encode() + b"\n")
            if op == "stop":
                os.kill(os.getppid(), signal.SIGTERM)
        elif op == "run":
            stale = _stale_reason(request, fingerprint, model_path)
            if stale:
                connection.sendall(f"S{stale}\n".encode())
                print(f"stopping: {stale}", flush=True)
                os.kill(os.getppid(), signal.SIGTERM)
            else:
                _run_and_wait(connection, request, fds)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _stale_reason(request: dict, fingerprint: str, model_path: str) -> str:
    package = str(Path(__file__).resolve().parent)
    if request.get("package") != package or request.get("executable") != sys.executable:
        return f"it runs another installation ({package}, {sys.executable})"
    if code_fingerprint(_code_files(model_path)) != fingerprint:
        return "aerokg's code or model changed since it started; it stops"
    return ""


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status_file:
            for line in status_file:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _run_and_wait(connection: socket.socket, request: dict,
                  fds: list[int]) -> None:  # pragma: no cover  (runs in a fork of the daemon)
    """Fork the command; tell the client its pid, then its exit code. If the client hangs up
    first (killed), the command gets SIGINT, as from a Ctrl-C."""
    import select

    pid = os.fork()
    if pid == 0:
        connection.close()
        _become_command(request, fds)
    for fd in fds:
        os.close(fd)
    connection.sendall(f"P{pid}\n".encode())
    try:
        watched: list[Any] = [connection, os.pidfd_open(pid)]
    except (AttributeError, OSError):  # Linux before 5.3: look every 50 ms
        watched = [connection]
    while True:
        readable, _, _ = select.select(watched, [], [], None if len(watched) == 2 else 0.05)
        done, status_code = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if connection in readable and not connection.recv(1024):  # the client is gone
            os.kill(pid, signal.SIGINT)
            os.waitpid(pid, 0)
            return
    code = (os.waitstatus_to_exitcode(status_code))
    code = 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N
    try:
        connection.sendall(f"X{code}\n".encode())
    except OSError:
        pass


def _become_command(request: dict, fds: list[int]) -> None:  # pragma: no cover  (in a fork)
    """In the fork: take on the client's stdio, directory, environment and umask, and run
    ``aerokg ARGV``. Never returns."""
    import io

    code: int = 1
    try:
        received = dict(zip(request.get("fds", []), fds, strict=False))
        for target in (0, 1, 2):
            if target in received:
                os.dup2(received[target], target)
            else:
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, target)
                os.close(null)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(int(request["umask"]))
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        encoding = os.environ.get("PYTHONIOENCODING") or None
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
        sys.stdout, sys.stderr = (
            io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding=encoding,
                             errors="backslashreplace" if fd == 2 else None,
                             line_buffering=os.isatty(fd), write_through=fd == 2)
            for fd in (1, 2))
        argv = list(request["argv"])
        sys.argv = ["aerokg", *argv]
        from pipeline.cli import cli
        from pipeline.gc_pause import ends_with_its_work

        ends_with_its_work()  # this fork ends with the command

        try:
            cli.main(args=argv, prog_name="aerokg")
            code = 0
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                code = exit_.code or 0
            else:
                print(exit_.code, file=sys.stderr)
                code = 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:  # what a normal exit does (the fork must not unwind into the daemon's code)
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001, S110
            pass
        os._exit(code)
