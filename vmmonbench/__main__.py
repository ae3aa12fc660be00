"""Entry point for `python -m vmmonbench`."""

from __future__ import annotations

from vmmonbench.cli import main

if __name__ == "__main__":
    main()
