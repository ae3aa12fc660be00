"""SQL normalization: one text per statement shape, whatever its values or IN-list lengths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

StatementKind = Literal["read", "write"]

# One pass over the text; strings and quoted identifiers come first so that nothing inside them
# is mistaken for a comment, placeholder or number.
_TOKEN = re.compile(
    r"""
      (?P<string>[EeBbXxNn]?'(?:[^']|'')*')
    | (?P<ident>"(?:[^"]|"")*")
    | (?P<comment>/\*.*?\*/|--[^\n]*)
    | (?P<dollar>\$\d+)                         # PostgreSQL / psycopg server-side: $1
    | (?P<pyformat>%\(\w+\)s)                   # psycopg, psycopg2: %(name)s
    | (?P<format>%s)                            # format style: %s
    | (?P<percent>%%)                           # escaped % in pyformat text
    | (?P<postcompile>__\[POSTCOMPILE_\w+\])    # SQLAlchemy expanding IN, not yet rendered
    | (?P<named>(?<!:):(?!:)\w+)                # :name and :1, but not ::casts
    | (?P<number>(?<![\w$.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
    | (?P<space>\s+)
    """,
    re.VERBOSE | re.DOTALL,
)
_VALUE_GROUPS = frozenset(
    {"string", "number", "dollar", "pyformat", "format", "postcompile", "named"}
)

# A bound value as the list element of IN or VALUES: `?`, optionally cast (`?::INTEGER`).
_VALUE = r"\?(?:\s*::\s*\w+(?:\[\])?)?"
_ROW = rf"\(\s*{_VALUE}(?:\s*,\s*{_VALUE})*\s*\)"
_IN_LIST = re.compile(
    rf"\bIN\s*\(\s*(?:{_VALUE}|{_ROW})(?:\s*,\s*(?:{_VALUE}|{_ROW}))*\s*\)", re.IGNORECASE
)
# A VALUES row may hold function calls or casts with one level of parentheses.
_VALUES_ROW = r"\((?:[^()]|\([^()]*\))*\)"
_MULTI_VALUES = re.compile(rf"\b(VALUES\s*)({_VALUES_ROW})((?:\s*,\s*\2)+)", re.IGNORECASE)
_SPACES = re.compile(r" {2,}")  # a removed comment beside a space leaves two
_ROW_SEPARATOR = re.compile(r"\)\s*,\s*\(")
# A minus sign where an operand starts is part of the constant (pg_stat_statements shows `-4`
# as `$1`, not `-$1`); after an operand, as in `a - 4`, it stays the binary operator.
_UNARY_MINUS = re.compile(
    r"((?:[=<>(,*/+]|\b(?:SELECT|AND|OR|NOT|WHEN|THEN|ELSE|BETWEEN|LIMIT|OFFSET))\s*)-\s*\?",
    re.IGNORECASE,
)

_DML_KEYWORDS = ("insert", "update", "delete", "merge", "replace", "upsert")
_DDL_KEYWORDS = ("create", "drop", "alter", "truncate")
_WRITE_KEYWORDS = frozenset((*_DML_KEYWORDS, *_DDL_KEYWORDS))
_CTE_WRITE = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
_NAME = r'("?[\w.]+"?)'
_LABEL_PATTERNS = (
    (re.compile(rf"^INSERT\s+(?:OR\s+\w+\s+)?INTO\s+{_NAME}", re.IGNORECASE), "insert"),
    (re.compile(rf"^UPDATE\s+{_NAME}", re.IGNORECASE), "update"),
    (re.compile(rf"^DELETE\s+FROM\s+{_NAME}", re.IGNORECASE), "delete"),
    (re.compile(rf"^SELECT\b.*?\bFROM\s+{_NAME}", re.IGNORECASE), "select"),
)
_VALIDATION_QUERY = re.compile(r"^SELECT \?$", re.IGNORECASE)
_LABEL_WORDS = 3
_LABEL_MAX_CHARS = 60


@dataclass(frozen=True, slots=True)
class StatementShape:
    """What the profiler needs to know about one statement text, computed once per text."""

    sql: str
    kind: StatementKind
    label: str
    returning: bool
    values_rows: int  # rows in the statement's VALUES list (an insertmanyvalues batch), else 0


def _replace_token(match: re.Match[str]) -> str:
    group = match.lastgroup
    if group in _VALUE_GROUPS:
        return "?"
    if group in {"space", "comment"}:
        return " "
    if group == "percent":
        return "%"
    return match.group()


def _collapse_values(sql: str) -> tuple[str, int]:
    rows = 0

    def collapse(match: re.Match[str]) -> str:
        nonlocal rows
        rows = max(rows, 2 + len(_ROW_SEPARATOR.findall(match.group(3))))
        # Only the first row stays, so insertmanyvalues batches of every size, the last one
        # of a single row included, are one statement (as IN-lists of every length are).
        return f"{match.group(1)}{match.group(2)}"

    return _MULTI_VALUES.sub(collapse, sql), rows


def _normalize(statement: str) -> tuple[str, int]:
    sql = _TOKEN.sub(_replace_token, statement)
    sql = _SPACES.sub(" ", sql).strip().rstrip(";").rstrip()
    sql = _UNARY_MINUS.sub(r"\1?", sql)
    sql = re.sub(r"\(\s+", "(", sql)
    sql = re.sub(r"\s+\)", ")", sql)
    sql = _IN_LIST.sub("IN (...)", sql)
    return _collapse_values(sql)


def normalize_sql(statement: str) -> str:
    """The statement with values, placeholders, comments and IN-list lengths abstracted away.

    Literals and every DB-API placeholder style become `?`, `IN (?, ?, ...)` of any length
    becomes `IN (...)`, a multi-row VALUES list becomes its first row, and
    whitespace collapses to single spaces; keywords and identifiers keep their case.
    """
    return _normalize(statement)[0]


def normalize_server_sql(query: str) -> str:
    """pg_stat_statements' `query` text in the same form as `normalize_sql` of the client text.

    The server shows the text the driver sent with its constants replaced by `$n`; psycopg sends
    SQLAlchemy's `%(name)s` placeholders as `$n` too, so both sides meet in the same `?` form.
    """
    return normalize_sql(query)


def statement_kind(sql: str) -> StatementKind:
    """`write` for DML and DDL (also inside a WITH), `read` for everything else."""
    words = sql.split(None, 1)
    first = words[0].lower() if words else ""
    if first == "with":
        return "write" if _CTE_WRITE.search(sql) else "read"
    return "write" if first in _WRITE_KEYWORDS else "read"


def derived_label(sql: str) -> str:
    """A short name for a statement run without a label: `update vm_dynamic`, `select 1`..."""
    # Connection validation is the classic unlabelled statement and is known by its text.
    if _VALIDATION_QUERY.match(sql):
        return "select 1"
    for pattern, verb in _LABEL_PATTERNS:
        match = pattern.match(sql)
        if match:
            return f"{verb} {match.group(1).strip(chr(34))}"
    return " ".join(sql.split()[:_LABEL_WORDS]).lower()[:_LABEL_MAX_CHARS]


@lru_cache(maxsize=8192)
def shape_of(statement: str) -> StatementShape:
    """Normalized text, kind, derived label and VALUES row count of a statement (cached)."""
    # Cached because the profiler asks on every execution; SQLAlchemy's compiled cache hands
    # us the same strings again and again, and the bound keeps IN-list variants from piling up.
    sql, values_rows = _normalize(statement)
    kind = statement_kind(sql)
    returning = kind == "write" and re.search(r"\bRETURNING\b", sql, re.IGNORECASE) is not None
    return StatementShape(
        sql=sql,
        kind=kind,
        label=derived_label(sql),
        returning=returning,
        values_rows=values_rows if values_rows else (1 if _has_values(sql) else 0),
    )


def _has_values(sql: str) -> bool:
    return re.search(r"\bVALUES\s*\(", sql, re.IGNORECASE) is not None
