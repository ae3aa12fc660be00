"""The write floor: a statistics cycle's rows rewritten by one raw executemany per table.

It shows how close a configuration's writes come to the cheapest possible write of the same data
on the same database: no ORM, no per-row statements, no validation queries, one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine


@dataclass(frozen=True, slots=True)
class FloorWrite:
    """Rewrite `rows` rows of `table` (columns `columns`, matched on `key`)."""

    table: str
    key: str
    columns: tuple[str, ...]
    rows: int


def measure_floor(
    engine: Engine,
    writes: Sequence[FloorWrite],
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Seconds per table to rewrite the rows with one raw DBAPI executemany, and the total."""
    marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    tables: dict[str, dict[str, float | int]] = {}
    connection = engine.raw_connection()  # below SQLAlchemy: neither profiled nor processed
    try:
        cursor = connection.cursor()
        for write in writes:
            if write.rows <= 0 or not write.columns:
                continue
            columns = ", ".join(write.columns)
            cursor.execute(
                f"SELECT {columns}, {write.key} FROM {write.table} "
                f"ORDER BY {write.key} LIMIT {int(write.rows)}"
            )
            data = [tuple(row) for row in cursor.fetchall()]
            assignments = ", ".join(f"{c} = {marker}" for c in write.columns)
            statement = f"UPDATE {write.table} SET {assignments} WHERE {write.key} = {marker}"
            started = clock()
            cursor.executemany(statement, data)
            connection.commit()
            tables[write.table] = {"rows": len(data), "floor_s": clock() - started}
        cursor.close()
    finally:
        connection.close()
    return {
        "tables": tables,
        "floor_s": sum(float(t["floor_s"]) for t in tables.values()),
        "rows": sum(int(t["rows"]) for t in tables.values()),
    }
