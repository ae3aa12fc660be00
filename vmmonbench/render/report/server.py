"""The server-side cross-check section: what pg_stat_statements counted beside the client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmmonbench.render.report.view import Config
from vmmonbench.results import Results

SERVER_ROWS = 25


def server_statements(results: Results, configs: Sequence[Config]) -> dict[str, Any]:
    """pg_stat_statements' view per configuration, or one reason when none has it."""
    views = []
    for config in configs:
        server = config.run.server_statements
        rows = list(server.statements) if server.available else []
        views.append((config, server.available, server.reason, rows))
    reasons = {str(reason) for _, available, reason, _ in views if not available and reason}
    common = next(iter(reasons)) if len(reasons) == 1 and not any(v[1] for v in views) else None
    return {"views": views, "common_reason": common, "limit": SERVER_ROWS}
