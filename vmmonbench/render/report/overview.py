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
    w, env, db = results.workload, results.environment, results.database
    hosts = w.get("hosts") or 1
    size = f"{plural(w.get('vms'), 'VM')} × {plural(hosts, 'host')}"
    if hosts != 1 and w.get("total_vms"):
        size += f" ({count(w['total_vms'])} VMs)"
    commands = w.get("commands") or {}
    mix = ", ".join(
        f"{kind} {fmt.percent(share)}" for kind, share in (commands.get("mix") or {}).items()
    )
    workload = [
        ("name", text(w.get("name"))),
        ("description", text(w.get("description"))),
        ("size", size),
        ("simulated duration", fmt.seconds(w.get("duration_s"))),
        ("seed", text(w.get("seed"))),
        ("per VM", f"{plural(w.get('vnics'), 'vNIC')}, {plural(w.get('disks'), 'disk')}"),
        (
            "changes per VM-hour",
            f"{count(w.get('churn_per_vm_hour'))} status, "
            f"{count(w.get('devices_change_per_vm_hour'))} devices",
        ),
        (
            "commands",
            f"{count(commands.get('rate_per_s'))} per s, "
            f"{count(commands.get('latency_ms'))} ms host latency" + (f"; {mix}" if mix else ""),
        ),
        ("faults", ", ".join(text(f) for f in w.get("faults") or []) or "none"),
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
        "workload_json": orjson.dumps(w, option=orjson.OPT_INDENT_2).decode("utf-8"),
        "environment": environment,
        "database": database,
    }
