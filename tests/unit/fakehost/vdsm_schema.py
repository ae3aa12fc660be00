"""A validator for VDSM's API schema (vdsm-api.yml): known fields, types, required fields,
for named types and for each verb's return value."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

_UINT = re.compile(r"^\d+$")
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_DATATYPE: dict[str, Callable[[str], object]] = {
    "uint": _UINT.match,
    "int": _INT.match,
    "float": _FLOAT.match,
    "boolean": lambda text: text in ("true", "false", "True", "False"),
}


class VdsmSchema:
    """The `types` section of vdsm-api.yml (nested types are already inlined there)."""

    def __init__(self, path: Path) -> None:
        api: dict[str, Any] = yaml.safe_load(path.read_text())
        self.types: dict[str, Any] = api["types"]
        self.returns: dict[str, Any] = {
            name: entry["return"]["type"]
            for name, entry in api.items()
            if isinstance(entry, dict) and "return" in entry
        }

    def return_errors(self, value: Any, method: str) -> list[str]:
        """Every way `value` departs from what the verb `method` returns in VDSM."""
        found: list[str] = []
        self._check(value, self.returns[method], method, found)
        return found

    def errors(self, value: Any, type_name: str) -> list[str]:
        """Every way `value` departs from the named type; empty when it validates."""
        found: list[str] = []
        self._check(value, self.types[type_name], type_name, found)
        return found

    def _check(self, value: Any, kind: Any, where: str, found: list[str]) -> None:
        if isinstance(kind, list):
            if not isinstance(value, list):
                found.append(f"{where}: expected a list, got {value!r}")
                return
            for i, item in enumerate(value):
                self._check(item, kind[0], f"{where}[{i}]", found)
        elif isinstance(kind, str):
            if not _primitive_ok(value, kind):
                found.append(f"{where}: expected {kind}, got {value!r}")
        elif kind["type"] == "object":
            self._check_object(value, kind, where, found)
        elif kind["type"] == "enum":
            if value not in kind["values"]:
                found.append(f"{where}: {value!r} not in {sorted(kind['values'])}")
        elif kind["type"] == "map":
            if not isinstance(value, dict):
                found.append(f"{where}: expected a map, got {value!r}")
                return
            for key, item in value.items():
                # JSON object keys are strings: a numeric key type arrives as digits
                numeric = kind["key-type"] in ("uint", "int") and isinstance(key, str)
                if not (numeric and _DATATYPE[kind["key-type"]](key)):
                    self._check(key, kind["key-type"], f"{where} key", found)
                self._check(item, kind["value-type"], f"{where}[{key!r}]", found)
        elif kind["type"] == "alias":
            self._check(value, kind["sourcetype"], where, found)
        elif kind["type"] == "union":
            if all(self._errors_for(value, option, where) for option in kind["values"]):
                found.append(f"{where}: matches none of the union {kind['name']}")
        else:
            found.append(f"{where}: schema kind {kind['type']!r} not understood")

    def _check_object(self, value: Any, kind: dict[str, Any], where: str, found: list[str]) -> None:
        if not isinstance(value, dict):
            found.append(f"{where}: expected an object, got {value!r}")
            return
        properties = {p["name"]: p for p in kind.get("properties", [])}
        for key in value:
            if key not in properties:
                found.append(f"{where}: field {key!r} is not in {kind['name']}")
        for name, prop in properties.items():
            if name not in value:
                if "defaultvalue" not in prop:
                    found.append(f"{where}: required field {name!r} missing")
                continue
            item = value[name]
            datatype = prop.get("datatype")
            if datatype is not None and prop["type"] == "string":
                if not isinstance(item, str) or not _DATATYPE[datatype](item):
                    found.append(f"{where}.{name}: expected a string of {datatype}, got {item!r}")
                continue
            self._check(item, prop["type"], f"{where}.{name}", found)

    def _errors_for(self, value: Any, kind: Any, where: str) -> list[str]:
        found: list[str] = []
        self._check(value, kind, where, found)
        return found


def _primitive_ok(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind in ("int", "long"):
        return isinstance(value, int)
    if kind in ("uint", "ulong"):
        return isinstance(value, int) and value >= 0
    if kind == "float":
        return isinstance(value, int | float)
    if kind == "dict":
        return isinstance(value, dict)
    raise AssertionError(f"primitive {kind!r} not understood")
