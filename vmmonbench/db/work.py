"""The work statements made the database do, by its own count: buffer and WAL counters."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final


@dataclass(frozen=True, slots=True)
class DbWork:
    """Buffer and WAL counters of pg_stat_statements (PostgreSQL 13 and later), summed.

    `blocks` (shared blocks hit + read) is the headline: the pages a statement touched, whether
    the cache held them or not. A top-level call's counters include the statements its
    procedure ran (pg_stat_statements measures them around the whole executor run).
    """

    shared_blks_hit: int = 0
    shared_blks_read: int = 0
    shared_blks_dirtied: int = 0
    shared_blks_written: int = 0
    wal_records: int = 0
    wal_fpi: int = 0
    wal_bytes: int = 0

    @property
    def blocks(self) -> int:
        """Shared blocks accessed (hit + read): independent of what the cache held."""
        return self.shared_blks_hit + self.shared_blks_read

    def plus(self, other: DbWork) -> DbWork:
        """Both summed, counter by counter."""
        return DbWork(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def minus(self, earlier: DbWork) -> DbWork:
        """What was counted since `earlier` (never below zero: a counter reset is no work)."""
        pairs = zip(_values(self), _values(earlier), strict=True)
        return DbWork(*(max(0, now - then) for now, then in pairs))


COUNTERS: Final = tuple(f.name for f in fields(DbWork))
NO_WORK: Final = DbWork()


def _values(work: DbWork) -> tuple[int, ...]:
    return tuple(getattr(work, name) for name in COUNTERS)
