"""The engine-shaped views and stored functions of PostgreSQL: installed from the package's SQL.

Every object is created unqualified, so it lands in the connection's current schema.
"""

from __future__ import annotations

import re
from importlib import resources

from sqlalchemy import Connection

# views first: the functions return their row types
SQL_FILES = (
    "create_views.sql",
    "vms_sp.sql",
    "vm_interfaces_sp.sql",
    "numa_sp.sql",
    "vm_jobs_sp.sql",
    "vm_device_sp.sql",
    "disk_image_dynamic_sp.sql",
)
VIEW_NAMES = (
    "vm_interface_monitoring_view",
    "vm_interface_view",
    "vms_monitoring_view",
    "vms",
    "vm_pool_map_view",
    "user_vm_permissions_view",
)
_FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\s*\(", re.IGNORECASE)


def sql_text(name: str) -> str:
    """One of the package's SQL files."""
    return resources.files("vmmonbench.db.postgresql").joinpath(name).read_text("utf-8")


def function_names() -> frozenset[str]:
    """The (lower-case, as PostgreSQL stores them) names of every function the files create."""
    return frozenset(
        match.group(1).lower() for name in SQL_FILES for match in _FUNCTION.finditer(sql_text(name))
    )


def install(conn: Connection) -> None:
    """Create the views and functions (the tables must exist)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for name in SQL_FILES:
            cursor.execute(sql_text(name))  # no parameters: the whole file in one round trip
    finally:
        cursor.close()


def drop(conn: Connection) -> None:
    """Drop the functions and views the files create in the current schema, if present."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = ANY(%s)",
            (sorted(function_names()),),
        )
        for (signature,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
        for view in VIEW_NAMES:
            cursor.execute(f"DROP VIEW IF EXISTS {view} CASCADE")
    finally:
        cursor.close()
