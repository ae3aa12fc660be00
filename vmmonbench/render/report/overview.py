"""The report's first section: workload, environment, database and the configurations run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import orjson

from vmmonbench import units as fmt
from vmmonbench.render.report.view import Config, count, plural, text
from vmmonbench.results import Results

SHOWN_ENVIRONMENT = frozenset(
    {"python", "implementation", "platform", "machine", "cpu_count", "hostname"}
)


def overview(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """What ran: the workload's parameters, where it ran, and on which database."""
    w, env, db = results.parameters, results.environment, results.database
    size = f"{plural(w.vms, 'VM')} × {plural(w.hosts, 'host')}"
    if w.hosts != 1 and w.total_vms:
        size += f" ({count(w.total_vms)} VMs)"
    mix = ", ".join(f"{kind} {fmt.percent(share)}" for kind, share in w.commands.mix.items())
    workload = [
        ("name", text(w.name)),
        ("description", text(w.description)),
        ("size", size),
        ("simulated duration", fmt.seconds(w.duration_s)),
        ("seed", text(w.seed)),
        ("per VM", f"{plural(w.vnics, 'vNIC')}, {plural(w.disks, 'disk')}"),
        (
            "changes per VM-hour",
            f"{count(w.churn_per_vm_hour)} status, {count(w.devices_change_per_vm_hour)} devices",
        ),
        (
            "commands",
            f"{count(w.commands.rate_per_s)} per s, "
            f"{count(w.commands.latency_ms)} ms host latency" + (f"; {mix}" if mix else ""),
        ),
        ("faults", ", ".join(w.faults) or "none"),
    ]
    environment = [
        ("python", f"{text(env.python)} ({text(env.implementation)})"),
        ("platform", text(env.platform)),
        ("machine", f"{text(env.machine)}, {text(env.cpu_count)} CPUs"),
        ("hostname", text(env.hostname)),
        ("vmmonbench", text(results.vmmonbench_version)),
    ]
    # a field added to the environment record shows here without a change to this section
    environment += [
        (f.name.replace("_", " "), text(getattr(env, f.name)))
        for f in fields(env)
        if f.name not in SHOWN_ENVIRONMENT and not f.name.startswith("db_")
    ]
    extra = results.extra
    if extra.fake_hosts is not None:
        rss = ", ".join(fmt.size(v) for v in extra.fake_hosts.peak_rss_bytes)
        processes = count(extra.fake_hosts.processes)
        protocol = f", protocol {extra.fake_hosts.protocol}" if extra.fake_hosts.protocol else ""
        environment.append(
            ("fake hosts", f"processes: {processes}, peak RSS {rss or '-'}{protocol}")
        )
    if extra.population_s is not None:
        environment.append(("database population", fmt.seconds(extra.population_s)))
    if extra.runner_peak_rss_bytes is not None:
        environment.append(("runner peak RSS", fmt.size(extra.runner_peak_rss_bytes)))
    if extra.server_peak_bytes is not None:
        environment.append(("database server peak memory", fmt.size(extra.server_peak_bytes)))
    database = [
        ("URL", text(db.url)),
        ("dialect", text(db.dialect or env.db_dialect)),
        ("server version", text(db.server_version or env.db_server_version)),
    ]
    if db.server:
        database.append(("server", text(db.server)))
    if db.startup_s is not None:
        database.append(("server start-up", fmt.seconds(db.startup_s)))
    database += [
        (name, text(value))
        for name, value in (("package", db.package), ("runs as", db.run_as), ("schema", db.schema))
        if value
    ]
    return {
        "workload": workload,
        "workload_json": orjson.dumps(results.workload, option=orjson.OPT_INDENT_2).decode(),
        "environment": environment,
        "database": database,
    }
