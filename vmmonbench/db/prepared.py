"""Labelled statements compiled once per dialect into driver texts with positional parameters.

The hot path sends these texts straight to the DBAPI cursor: SQLAlchemy defines the SQL (and
compiles it once), the driver prepares and runs it, and no per-call statement machinery sits in
between. Parameters are tuples in the placeholders' order; `args` turns a row mapping into one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Args = tuple[Any, ...]
RowArgs = Callable[[Mapping[str, Any]], Args]


def _no_args(_row: Mapping[str, Any]) -> Args:
    return ()


def _args_getter(names: Sequence[str]) -> RowArgs:
    if not names:
        return _no_args
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    getter: RowArgs = itemgetter(*names)
    return getter


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement as the driver receives it: label, text, parameter order, read or write."""

    label: str
    sql: str
    params: tuple[str, ...]
    write: bool
    args: RowArgs = field(compare=False, repr=False)

    @classmethod
    def of(cls, label: str, sql: str, params: Sequence[str], *, write: bool) -> Prepared:
        """A statement from a ready text whose placeholders take `params` in this order."""
        return cls(label, sql, tuple(params), write, _args_getter(tuple(params)))


def positional(dialect: Dialect) -> Dialect:
    """The dialect itself if it binds positionally, else a copy that renders `%s` markers."""
    if dialect.positional:
        return dialect
    return type(dialect)(paramstyle="format")  # type: ignore[call-arg]


def compile_statement(
    label: str, statement: ClauseElement, dialect: Dialect, *, write: bool
) -> Prepared:
    """Compile a Core statement for `dialect` (positional markers) into a Prepared statement."""
    compiled = statement.compile(dialect=positional(dialect))
    assert isinstance(compiled, SQLCompiler)
    names = compiled.positiontup or []
    return Prepared.of(label, compiled.string, names, write=write)


def marker(dialect: Dialect) -> str:
    """The positional placeholder of the driver: `?` (qmark) or `%s` (format)."""
    return "?" if positional(dialect).paramstyle == "qmark" else "%s"


def expand_list(prepared: Prepared, name: str, count: int, dialect: Dialect) -> Prepared:
    """The statement with its expanding IN-list parameter `name` rendered for `count` values.

    SQLAlchemy leaves `__[POSTCOMPILE_name]` in a compiled expanding IN; this renders it the way
    SQLAlchemy would at execution (one marker per value), so the texts are the same.
    """
    token = f"__[POSTCOMPILE_{name}]"
    sql = prepared.sql.replace(token, ", ".join([marker(dialect)] * count))
    index = prepared.params.index(name)
    params = (
        *prepared.params[:index],
        *(f"{name}_{i}" for i in range(1, count + 1)),
        *prepared.params[index + 1 :],
    )
    return Prepared.of(prepared.label, sql, params, write=prepared.write)
