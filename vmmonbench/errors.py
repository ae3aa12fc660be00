"""The one user-facing error hierarchy: every VmmonbenchError is printed as one line by the CLI."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_STDOUT_GONE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader left


class VmmonbenchError(Exception):
    """A user-actionable error: the CLI prints it as one line and exits with `exit_code`."""

    exit_code: int = EXIT_BAD_INPUT

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        """The one-line message (newlines folded so the CLI never prints more than one line)."""
        return " ".join(str(self).split())


class BadInputError(VmmonbenchError):
    """Arguments, workload files, URLs or result files the user must fix (exit 2)."""


class WorkloadError(BadInputError):
    """A workload file or workload value is missing, unreadable or invalid."""


class ResultsFormatError(BadInputError):
    """A results file is truncated, not JSON, or of an unknown format version."""


class DatabaseUrlError(BadInputError):
    """A database URL is malformed or the server cannot be reached."""


class OutputError(BadInputError):
    """A file the user asked for cannot be written where asked (a directory, a full disk...)."""


class FolderBusyError(BadInputError):
    """The output folder is in use by another run, or holds results that must not be lost."""


class RunFailedError(VmmonbenchError):
    """A run could not complete (e.g. the fake-host process died); partial results were written."""

    exit_code = EXIT_FAILED


class RunInterruptedError(VmmonbenchError):
    """The run was interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT); partial results were written."""

    exit_code = EXIT_INTERRUPTED
