"""The engine-shaped views and stored functions of PostgreSQL: installed from the package's SQL.

Every object is created unqualified, so it lands in the connection's current schema.
"""

from __future__ import annotations

import re
from importlib import resources

from sqlalchemy import Connection

HELPER_FILE = "create_views.sql"  # the views and the functions they call
# views first: the procedures return their row types
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
    return frozenset().union(*(_functions_of(name) for name in SQL_FILES))


def install(conn: Connection) -> None:
    """Create the views and functions (the tables must exist)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for name in SQL_FILES:
            cursor.execute(sql_text(name))  # no parameters: the whole file in one round trip
    finally:
        cursor.close()


def drop(conn: Connection, schema: str | None = None) -> None:
    """Drop the functions and views the files create, if present, each RESTRICT.

    In `schema`, or the connection's current schema. Dependents go first: the procedures
    (they return the views' row types), then the views (the heavy ones before the ones they
    join), then the helpers the views call. Another object that depends on one of ours stops
    the drop with the server's own error.
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    helpers = _functions_of(HELPER_FILE)
    namespace = "%s::regnamespace" if schema else "current_schema()::regnamespace"
    try:

        def signatures(names: frozenset[str]) -> list[str]:
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                f" WHERE p.pronamespace = {namespace} AND p.proname = ANY(%s)",
                ((schema,) if schema else ()) + (sorted(names),),
            )
            return [signature for (signature,) in cursor.fetchall()]

        for signature in signatures(function_names() - helpers):
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature} RESTRICT")
        prefix = f'"{schema}".' if schema else ""
        for view in VIEW_NAMES:
            cursor.execute(f'DROP VIEW IF EXISTS {prefix}"{view}" RESTRICT')
        for signature in signatures(helpers):
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature} RESTRICT")
    finally:
        cursor.close()


def _functions_of(name: str) -> frozenset[str]:
    return frozenset(match.group(1).lower() for match in _FUNCTION.finditer(sql_text(name)))
