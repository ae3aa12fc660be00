"""A freshly populated database for every configuration: a SQLite template copy, or a rebuild."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from vmmonbench.configuration import Configuration
from vmmonbench.db.database import Database, copy_sqlite_file, parse_url
from vmmonbench.db.population import PopulationSpec, populate
from vmmonbench.db.profiler import StatementProfiler
from vmmonbench.db.schema import create_schema, drop_schema
from vmmonbench.host_processes import HostEndpoint
from vmmonbench.monitor.hostclient import HostClient
from vmmonbench.monitor.persistence_rules import PersistenceRules
from vmmonbench.workload import Workload

TEMPLATE_FILE = ".template.db"


class FreshDatabases:
    """Every configuration starts from the same populated state, matching the hosts' reports.

    SQLite: populated once into a template file, copied per configuration. PostgreSQL: the
    monitoring tables are dropped, created and populated again per configuration. Population
    polls each host once, so vm_dynamic, guest NICs and counters start as the hosts report them
    (a system that has been stable for a while).
    """

    def __init__(
        self,
        url: URL,
        workload: Workload,
        endpoints: Sequence[HostEndpoint],
        controls: Mapping[str, HostClient],
        *,
        work_dir: Path,
        pool_size: int,
    ) -> None:
        self.url = url
        self.workload = workload
        self.endpoints = list(endpoints)
        self.controls = controls
        self.pool_size = pool_size
        self.population_s: float | None = None
        self._template = work_dir / TEMPLATE_FILE if url.get_backend_name() == "sqlite" else None
        self._template_ready = False
        self.polled_hosts = False  # whether the last `fresh` asked the hosts for their reports

    def fresh(self, config: Configuration) -> Database:
        """A populated database for `config`, profiled, with its checkout validation switch."""
        self.polled_hosts = False
        if self._template is not None:
            if not self._template_ready:
                self._populate(parse_url(f"sqlite:///{self._template}"), rebuild=False)
                self._template_ready = True
            assert self.url.database is not None
            copy_sqlite_file(self._template, Path(self.url.database))
        else:
            self._populate(self.url, rebuild=True)
        return Database(
            self.url,
            profiler=StatementProfiler(),
            validate_on_checkout=PersistenceRules.of(config).validate_checkout,
            pool_size=self.pool_size,
        )

    def close(self) -> None:
        """Remove the template file, if any."""
        if self._template is not None:
            self._template.unlink(missing_ok=True)

    def _populate(self, url: URL, *, rebuild: bool) -> None:
        if not rebuild and self._template is not None:
            self._template.unlink(missing_ok=True)
        plain = Database(url)
        try:
            if rebuild:
                drop_schema(plain.engine)
            create_schema(plain.engine)
            started = time.perf_counter()
            populate(plain.engine, self._spec(), reported=self._reported)
            self.polled_hosts = True
            self.population_s = time.perf_counter() - started
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
