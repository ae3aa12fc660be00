"""Results as the file's JSON data and back through the strict loader, for tests that edit them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from vmmonbench.results import Results


def as_data(results: Results) -> dict[str, Any]:
    """The results as results.json holds them (a fresh copy to edit)."""
    data: dict[str, Any] = orjson.loads(results.to_json())
    return data


def from_data(data: dict[str, Any]) -> Results:
    """Results from results.json's data, read by the same loader as a file."""
    return Results.from_json(orjson.dumps(data), source="test data")


def edited(results: Results, change: Callable[[dict[str, Any]], object]) -> Results:
    """A copy of `results` with `change` applied to its JSON data."""
    data = as_data(results)
    change(data)
    return from_data(data)


def minimal(**fields: Any) -> dict[str, Any]:
    """The data of a results file with nothing but what the format requires, plus `fields`."""
    return {"format_version": 1, "workload": {}, "runs": [], **fields}
