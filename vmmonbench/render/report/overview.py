"""The report's first section: workload, environment, database and the configurations run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from vmmonbench.render import format as fmt
from vmmonbench.render.report.view import Config, count, plural, text
from vmmonbench.results import Results


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
    shown_env = {"python", "implementation", "platform", "machine", "cpu_count", "hostname"}
    environment = [
        ("python", f"{text(env.get('python'))} ({text(env.get('implementation'))})"),
        ("platform", text(env.get("platform"))),
        ("machine", f"{text(env.get('machine'))}, {text(env.get('cpu_count'))} CPUs"),
        ("hostname", text(env.get("hostname"))),
        ("vmmonbench", text(results.vmmonbench_version)),
    ]
    environment += [
        (key, text(value))
        for key, value in env.items()
        if key not in shown_env and not key.startswith("db_")
    ]
    fake_hosts = results.extra.get("fake_hosts") or {}
    if fake_hosts:
        rss = ", ".join(fmt.size(v) for v in fake_hosts.get("peak_rss_bytes") or [])
        processes = count(fake_hosts.get("processes"))
        environment.append(("fake hosts", f"processes: {processes}, peak RSS {rss or '-'}"))
    if "population_s" in results.extra:
        environment.append(("database population", fmt.seconds(results.extra["population_s"])))
    database = [
        ("URL", text(db.get("url"))),
        ("dialect", text(db.get("dialect") or env.get("db_dialect"))),
        ("server version", text(db.get("server_version") or env.get("db_server_version"))),
    ]
    return {
        "workload": workload,
        "workload_json": orjson.dumps(w, option=orjson.OPT_INDENT_2).decode("utf-8"),
        "environment": environment,
        "database": database,
    }
