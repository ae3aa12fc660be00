"""Shared fixtures: a real SQLite database and a real PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL_VARIABLE = "VMMONBENCH_TEST_PG_URL"
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The configured PostgreSQL server URL (skips without one; fails when `CI` is set)."""
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        _pg_unavailable(f"no PostgreSQL configured: set {PG_URL_VARIABLE}")
    assert url is not None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any connection failure means "no server" here
        _pg_unavailable(f"PostgreSQL at {make_url(url).render_as_string()} unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def pg_database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"vmmonbench_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'vmmonbench.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend: SQLite file, then a PostgreSQL schema reset."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vmmonbench.db'}"
        return
    url: str = request.getfixturevalue("pg_database_url")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def vdsm_schema_path() -> Path:
    """VDSM's API schema from ../shared (skips when the shared folder is not beside the repo)."""
    path = SHARED_DIR / "vdsm-api.yml"
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared folder is not beside this checkout)")
    return path
