"""Tests of vmmonbench.compare, its terminal rendering, significance and pytest-benchmark export."""
