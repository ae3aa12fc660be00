"""Keeping the server's work counters the same run to run: no background work on our tables.

What moved them in the stability study (README, "Gate DB work"): autovacuum visiting a
table mid-run (its snapshot holds back page pruning, so updates stop being HOT), hint bits set
by whichever statement first reads a page after population (with data checksums every such
page costs a full-page image), and a checkpoint falling inside the measured phase (the next
change of every page then writes a full-page image).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError


def quiet_tables(engine: Engine, tables: Sequence[str]) -> None:
    """Switch autovacuum off for `tables`, then VACUUM them (PostgreSQL; nothing elsewhere).

    Only the run's own tables of a freshly populated database: VACUUM sets their hint bits
    and visibility map once, so no measured statement does it. Databases copied from this
    one keep both.
    """
    if engine.dialect.name != "postgresql" or not tables:
        return
    names = ", ".join(tables)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(
                text(
                    f"ALTER TABLE {table} SET "
                    "(autovacuum_enabled = false, toast.autovacuum_enabled = false)"
                )
            )
        conn.execute(text(f"VACUUM {names}"))


def checkpoint(engine: Engine) -> str | None:
    """CHECKPOINT now, so none falls inside the measured phase; None if done, else why not.

    Needs a superuser or pg_checkpoint (the embedded server's user is one); a user of an
    external server without it gets the reason, and the run goes on.
    """
    if engine.dialect.name != "postgresql":
        return None
    try:
        # below SQLAlchemy's execution layer: a profiler attached to the engine records nothing
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("CHECKPOINT")
            finally:
                cursor.close()
            connection.commit()
        finally:
            connection.close()
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"no CHECKPOINT before measuring: {lines[0] if lines else type(exc).__name__}"
    return None
