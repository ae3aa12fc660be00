"""SQL normalization: values, placeholders and IN-list lengths abstracted to one text."""

from __future__ import annotations

import pytest

from vmmonbench.db.sqlnorm import (
    derived_label,
    normalize_server_sql,
    normalize_sql,
    shape_of,
    statement_kind,
)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM vm_dynamic WHERE vm_guid = ?",  # qmark (sqlite3)
        "SELECT * FROM vm_dynamic WHERE vm_guid = :vm_guid",  # named
        "SELECT * FROM vm_dynamic WHERE vm_guid = %(vm_guid_1)s",  # pyformat (psycopg)
        "SELECT * FROM vm_dynamic WHERE vm_guid = %s",  # format
        "SELECT * FROM vm_dynamic WHERE vm_guid = $1",  # numeric (server side)
        "SELECT * FROM vm_dynamic WHERE vm_guid = 'a-b''c'",  # string literal, quote escaped
        "SELECT * FROM vm_dynamic WHERE vm_guid = 42",
        "SELECT * FROM vm_dynamic WHERE vm_guid = -4.5e3",
        "SELECT *\n  FROM   vm_dynamic\tWHERE vm_guid = ? ;",
        "SELECT * FROM vm_dynamic /* why */ WHERE vm_guid = ? -- trailing\n",
    ],
)
def test_every_placeholder_style_and_literal_becomes_a_question_mark(statement: str) -> None:
    assert normalize_sql(statement) == "SELECT * FROM vm_dynamic WHERE vm_guid = ?"


@pytest.mark.parametrize(
    "in_list",
    [
        "(?)",
        "(?, ?, ?)",
        "(%(id_1_1)s::INTEGER, %(id_1_2)s::INTEGER)",
        "($1, $2, $3, $4, $5, $6, $7)",
        "(1, 2, 3)",
        "('a', 'b')",
        "(__[POSTCOMPILE_vm_guid_1])",
    ],
)
def test_in_lists_of_any_length_collapse(in_list: str) -> None:
    assert normalize_sql(f"SELECT a FROM t WHERE b IN {in_list} AND c = 1") == (
        "SELECT a FROM t WHERE b IN (...) AND c = ?"
    )


def test_identifiers_casts_and_quoted_names_are_kept() -> None:
    statement = 'UPDATE "vm_dynamic" SET t1 = :t1, c_2 = ?::INTEGER WHERE "a?b" = 3'
    assert (
        normalize_sql(statement)
        == 'UPDATE "vm_dynamic" SET t1 = ?, c_2 = ?::INTEGER WHERE "a?b" = ?'
    )


def test_binary_minus_stays_unary_minus_joins_the_constant() -> None:
    assert normalize_sql("SELECT a - 4, b = -4, f(-2) FROM t") == "SELECT a - ?, b = ?, f(?) FROM t"


def test_multi_row_values_collapse_and_count_their_rows() -> None:
    rows = ", ".join(f"(%(a__{i})s, %(b__{i})s)" for i in range(3))
    batch = f"INSERT INTO t (a, b) VALUES {rows}"
    shape = shape_of(batch + " RETURNING t.id")
    assert shape.sql == "INSERT INTO t (a, b) VALUES (?, ?) RETURNING t.id"
    assert shape.sql == shape_of("INSERT INTO t (a, b) VALUES (?, ?) RETURNING t.id").sql
    assert shape.values_rows == 3
    assert shape.returning
    assert shape_of("INSERT INTO t (a) VALUES (?)").values_rows == 1


def test_server_text_meets_client_text() -> None:
    client = "SELECT t.id FROM t WHERE t.id IN (%(id_1_1)s::INTEGER, %(id_1_2)s::INTEGER) AND x = 5"
    server = "SELECT t.id FROM t WHERE t.id IN ($1::INTEGER, $2::INTEGER, $3::INTEGER) AND x = $4"
    assert normalize_server_sql(server) == normalize_sql(client)
    assert normalize_server_sql("select $1") == normalize_sql("select 1")


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT ?", "read"),
        ("select a from t", "read"),
        ("INSERT INTO t VALUES (?)", "write"),
        ("update t set a = ?", "write"),
        ("DELETE FROM t", "write"),
        ("CREATE TABLE t (a INTEGER)", "write"),
        ("WITH x AS (SELECT ?) SELECT * FROM x", "read"),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "write"),
        ("", "read"),
    ],
)
def test_statement_kind(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind


@pytest.mark.parametrize(
    ("sql", "label"),
    [
        ("SELECT ?", "select 1"),
        ("select ?", "select 1"),
        (
            "SELECT vm_dynamic.status FROM vm_dynamic WHERE vm_dynamic.vm_guid = ?",
            "select vm_dynamic",
        ),
        ('INSERT INTO "vm_jobs" (a) VALUES (?)', "insert vm_jobs"),
        ("INSERT OR REPLACE INTO t (a) VALUES (?)", "insert t"),
        ("UPDATE vm_statistics SET a=? WHERE b = ?", "update vm_statistics"),
        (
            "DELETE FROM vm_guest_agent_interfaces WHERE vm_id = ?",
            "delete vm_guest_agent_interfaces",
        ),
        ("CREATE TABLE t (a INTEGER)", "create table t"),
        ("BEGIN", "begin"),
    ],
)
def test_derived_labels_name_the_verb_and_table(sql: str, label: str) -> None:
    assert derived_label(sql) == label
