"""Relative links from a page to files beside the results it was drawn from."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote


def folder_href(assets_dir: Path | None, page_dir: Path | None = None) -> str:
    """The URL prefix leading from `page_dir` (default: the current folder) to `assets_dir`.

    '' when both are the same folder or `assets_dir` is None (links stay plain file names),
    otherwise a relative path ending in '/', each part percent-encoded: '../run-1/'.
    """
    if assets_dir is None:
        return ""
    start = (page_dir if page_dir is not None else Path()).resolve()
    try:
        relative = os.path.relpath(assets_dir.resolve(), start)
    except ValueError:  # another drive: no relative path exists, keep plain names
        return ""
    parts = PurePosixPath(Path(relative).as_posix()).parts
    if parts in {(), (".",)}:
        return ""
    return "".join(f"{quote(part, safe='')}/" for part in parts)


def file_href(prefix: str, relative: str) -> str | None:
    """`prefix` + `relative` percent-encoded; None unless `relative` stays inside its folder.

    `relative` is a path written by vmmonbench ('h1-n50/report.html', 'cpu-x.svg'): absolute
    paths, '..', backslashes and empty parts are refused rather than followed.
    """
    if not relative or "\\" in relative or relative.startswith("/"):
        return None
    parts = relative.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return None
    return prefix + "/".join(quote(part, safe="") for part in parts)
