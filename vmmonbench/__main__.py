"""Entry point for `python -m vmmonbench`."""

from __future__ import annotations

from vmmonbench.launch import main

if __name__ == "__main__":
    main()
