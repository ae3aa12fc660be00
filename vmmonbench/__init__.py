"""vmmonbench: profile and benchmark the VM-monitoring core of a virtualization manager."""

__version__ = "0.1.0"
