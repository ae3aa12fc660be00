"""vmmonbench: profiling and benchmark toolkit for VM monitoring."""
