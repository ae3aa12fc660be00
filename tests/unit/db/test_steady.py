"""The run's tables kept quiet: autovacuum off, vacuumed after population, a checkpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from vmmonbench.db import steady


def test_sqlite_has_nothing_to_quiet(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    steady.quiet_tables(engine, ["anything"])  # no statement reaches SQLite
    assert steady.checkpoint(engine) is None
    engine.dispose()


@pytest.mark.postgres
def test_tables_lose_autovacuum_and_are_all_visible(pg_database_url: str) -> None:
    engine = create_engine(pg_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS steady_t"))
            conn.execute(text("CREATE TABLE steady_t (id int PRIMARY KEY, v text)"))
            conn.execute(text("INSERT INTO steady_t SELECT g, 'x' FROM generate_series(1, 2000) g"))
        steady.quiet_tables(engine, ["steady_t"])
        with engine.connect() as conn:
            options = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'steady_t'")
            ).scalar_one()
            visible, pages = conn.execute(
                text("SELECT relallvisible, relpages FROM pg_class WHERE relname = 'steady_t'")
            ).one()
        assert "autovacuum_enabled=false" in options
        assert pages > 0
        assert visible == pages  # VACUUM set the visibility map (and the hint bits)
        reason = steady.checkpoint(engine)
        assert reason is None or reason.startswith("no CHECKPOINT before measuring: ")
    finally:
        engine.dispose()
