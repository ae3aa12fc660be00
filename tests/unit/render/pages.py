"""Checks every self-contained page must pass: no external loads, a CSP matching its inline code."""

from __future__ import annotations

import base64
import hashlib
import re

from .htmltree import Element, parse


def csp_hash(text: str) -> str:
    """The CSP source of an inline style or script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def assert_self_contained(html: str, *, allowed_hrefs: set[str] | None = None) -> Element:
    """No external resource, only in-page (or allowed relative) links, a CSP allowing exactly
    the page's own style and script; returns the parsed page."""
    for external in ("http://", "https://", "src=", "@import", "url("):
        assert external not in html, external
    tree = parse(html)
    for element in tree.iter():
        href = element.attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "data:")) or href in (allowed_hrefs or set()), href
    assert [e.attrs.get("rel") for e in tree.find_all("link")] == ["icon"]
    policy = tree.find_all("meta", **{"http-equiv": "Content-Security-Policy"})[0].attrs["content"]
    assert policy.startswith("default-src 'none'; ")
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert style is not None
    assert script is not None
    assert f"style-src {csp_hash(style.group(1))};" in policy
    assert f"script-src {csp_hash(script.group(1))};" in policy
    assert "'unsafe-inline'" not in policy
    return tree


def cell_texts(row: Element) -> list[str]:
    """The text of each cell of a table row."""
    return [cell.text() for cell in row.children if cell.tag in {"td", "th"}]
