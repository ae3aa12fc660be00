"""A freshly populated database for every configuration, on whichever database the run uses.

- SQLite: populated once into a template file, copied over the run's file per configuration.
- The embedded server: populated once into a template database, and every configuration gets a
  new database made from it (`CREATE DATABASE ... TEMPLATE`), dropped when the next one is made.
- An external server: the run's own schema is recreated and populated per configuration.

Population polls each host once, so vm_dynamic, guest NICs and counters start as the hosts
report them (a system that has been stable for a while).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from vmmonbench.configuration import Configuration
from vmmonbench.db.database import Database, copy_sqlite_file, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema, metadata
from vmmonbench.db.steady import quiet_tables
from vmmonbench.db.target import (
    DatabaseChoice,
    DatabaseKind,
    mark_sqlite_database,
    recreate_schema,
)
from vmmonbench.host_processes import HostEndpoint
from vmmonbench.monitor.gcpause import GC_PAUSE
from vmmonbench.monitor.hostclient import HostClient
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.workload import Workload

TEMPLATE_FILE = ".template.db"
TEMPLATE_DATABASE = "vmmonbench_template"
CONFIGURATION_DATABASE = "vmmonbench_{number}"


class FreshDatabases:
    """Every configuration starts from the same populated state, matching the hosts' reports."""

    def __init__(
        self,
        choice: DatabaseChoice,
        url: URL,
        workload: Workload,
        endpoints: Sequence[HostEndpoint],
        controls: Mapping[str, HostClient],
        *,
        work_dir: Path,
        pool_size: int,
        vm_steps: bool = False,
    ) -> None:
        self.choice = choice
        self.url = url  # the server's admin URL (embedded), or the database the run uses
        self.workload = workload
        self.endpoints = list(endpoints)
        self.controls = controls
        self.pool_size = pool_size
        self.vm_steps = vm_steps  # count SQLite's VM steps per statement (costly, opt-in)
        self.population_s: float | None = None
        self.polled_hosts = False  # whether the last `fresh` asked the hosts for their reports
        self._template_file = work_dir / TEMPLATE_FILE
        self._template_ready = False
        self._made = 0
        self._current: URL | None = None

    def fresh(self, config: Configuration) -> Database:
        """A populated database for `config`, profiled, with its checkout validation switch."""
        self.polled_hosts = False
        kind = self.choice.kind
        if kind is DatabaseKind.SQLITE:
            url = self._fresh_sqlite()
        elif kind is DatabaseKind.EMBEDDED:
            url = self._fresh_server_database()
        else:
            admin = create_engine(self.url)
            try:
                recreate_schema(admin, self.choice.given)
            finally:
                admin.dispose()
            self._populate(self.url)
            url = self.url
        self._current = url
        return Database(
            url,
            profiler=StatementProfiler(),
            validate_on_checkout=PersistenceRules.of(config).validate_checkout,
            pool_size=self.pool_size,
            vm_steps=self.vm_steps,
        )

    @property
    def current_url(self) -> URL | None:
        """The database the last `fresh` made."""
        return self._current

    def close(self) -> None:
        """Remove the template file or databases and the last configuration's database."""
        if self.choice.kind is DatabaseKind.SQLITE:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._template_file}{suffix}").unlink(missing_ok=True)
        elif self.choice.kind is DatabaseKind.EMBEDDED:
            self._drop_databases([*self._last(), TEMPLATE_DATABASE])

    # -- SQLite --------------------------------------------------------------------------------

    def _fresh_sqlite(self) -> URL:
        if not self._template_ready:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._template_file}{suffix}").unlink(missing_ok=True)
            template = parse_url(f"sqlite:///{self._template_file}")
            self._populate(template)
            plain = Database(template)
            try:
                mark_sqlite_database(plain.engine)
            finally:
                plain.close()
            self._template_ready = True
        target = self.choice.url
        assert target is not None
        assert target.database is not None
        copy_sqlite_file(self._template_file, Path(target.database))
        return target

    # -- the embedded server: databases made from a template -----------------------------------

    def _fresh_server_database(self) -> URL:
        if not self._template_ready:
            self._admin(f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
            self._populate(self.url.set(database=TEMPLATE_DATABASE))
            self._template_ready = True
        self._drop_databases(self._last())
        self._made += 1
        name = CONFIGURATION_DATABASE.format(number=self._made)
        # FILE_COPY: a file-level copy after a checkpoint, faster than WAL-logging every block
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DATABASE}" STRATEGY FILE_COPY')
        return self.url.set(database=name)

    def _last(self) -> list[str]:
        return [CONFIGURATION_DATABASE.format(number=self._made)] if self._made else []

    def _drop_databases(self, names: Sequence[str]) -> None:
        for name in names:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    # -- population ----------------------------------------------------------------------------

    def _populate(self, url: URL) -> None:
        plain = Database(url)
        try:
            create_schema(plain.engine)
            started = time.perf_counter()
            with GC_PAUSE:  # every host's reports and the inventory's rows, freed by refcount
                populate(plain.engine, self._spec(), reported=self._reported)
            quiet_tables(plain.engine, list(metadata.tables))
            self.population_s = time.perf_counter() - started
            self.polled_hosts = True
        finally:
            plain.close()

    def _spec(self) -> PopulationSpec:
        w = self.workload
        return PopulationSpec(
            seed=w.seed,
            hosts=w.hosts,
            vms=w.vms,
            vnics=w.vnics,
            disks=w.disks,
            host_addresses=tuple((e.address, e.port) for e in self.endpoints),
            host_indexes=tuple(e.index for e in self.endpoints),
        )

    def _reported(self, host_index: int) -> dict[str, Any]:
        endpoint = next(e for e in self.endpoints if e.index == host_index)
        stats = self.controls[endpoint.id].call("Host.getAllVmStats") or []
        return {entry["vmId"]: entry for entry in stats}
