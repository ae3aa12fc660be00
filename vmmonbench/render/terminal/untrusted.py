"""Strings from a results file, made safe for a terminal: control characters shown, no markup."""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text
# (bidirectional overrides and isolates, zero-width characters, the byte-order mark).
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def visible(text: str) -> str:
    """`text` with every control or invisible format character written as its escape."""
    return _HIDDEN.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def plain(text: str, style: str = "") -> Text:
    """A rich Text of `text` made visible: never parsed as markup, never a terminal command."""
    return Text(visible(text), style=style)


def lines(parts: list[str], style: str = "") -> Text:
    """Several untrusted strings, each made visible, one per line."""
    return Text("\n".join(visible(part) for part in parts), style=style)
