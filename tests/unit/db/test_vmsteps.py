"""SQLite's VM steps per statement: counted on the driver path where asked, nowhere else."""

from __future__ import annotations

from sqlalchemy import text

from vmmonbench.db.database import Database, parse_url
from vmmonbench.db.prepared import Prepared
from vmmonbench.db.profiler import StatementProfiler

ROWS = 500
LOOKUP = Prepared.of("GetNicById", "SELECT id, name FROM nic WHERE id = ?", ["id"], write=False)
SCAN = Prepared.of("GetNicByName", "SELECT id, name FROM nic WHERE name = ?", ["name"], write=False)
RENAME = Prepared.of(
    "UpdateNicName", "UPDATE nic SET name = ? WHERE id = ?", ["name", "id"], write=True
)


def _database(sqlite_url: str, *, vm_steps: bool) -> Database:
    database = Database(parse_url(sqlite_url), profiler=StatementProfiler(), vm_steps=vm_steps)
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS nic (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("DELETE FROM nic"))
        conn.execute(
            text("INSERT INTO nic VALUES (:id, :name)"),
            [{"id": i, "name": f"nic{i}"} for i in range(ROWS)],
        )
    return database


def _steps(database: Database) -> dict[str, int | None]:
    with database.session(validate=False) as session:
        for _ in range(3):
            assert session.fetch(LOOKUP, (7,)) == [(7, "nic7")]
            assert session.fetch(SCAN, ("nic7",)) == [(7, "nic7")]
        assert session.write_many(RENAME, [{"name": "x", "id": 1}, {"name": "y", "id": 2}]) == 2
        session.commit()
    assert database.profiler is not None
    ours = {LOOKUP.label, SCAN.label, RENAME.label}  # not the set-up, made through SQLAlchemy
    return {s.label: s.vm_steps for s in database.profiler.statements() if s.label in ours}


def test_a_scan_runs_many_more_steps_than_a_lookup_at_the_same_calls(sqlite_url: str) -> None:
    database = _database(sqlite_url, vm_steps=True)
    try:
        steps = _steps(database)
        again = _steps(database)
    finally:
        database.close()
    lookup, scan, rename = steps["GetNicById"], steps["GetNicByName"], steps["UpdateNicName"]
    assert lookup is not None
    assert scan is not None
    assert rename is not None
    assert 0 < lookup < 3 * 50  # a primary-key probe: a few dozen instructions per call
    assert scan > 3 * ROWS  # at least one step per row, for every call
    assert rename > 0
    # the same statements on the same data run the same steps (the profiler keeps adding)
    assert again == {
        "GetNicById": 2 * lookup,
        "GetNicByName": 2 * scan,
        "UpdateNicName": 2 * rename,
    }


def test_without_the_option_nothing_is_counted(sqlite_url: str) -> None:
    database = _database(sqlite_url, vm_steps=False)
    try:
        assert set(_steps(database).values()) == {None}
    finally:
        database.close()
