"""The errors the experiments subsystem reports to its users."""

from __future__ import annotations

__all__ = ["ClusterError", "ConfigError", "ExperimentError", "StorageError", "TrialError"]


class ExperimentError(Exception):
    """A problem with what the user asked for (bad name, setting, folder or scheduler).

    The command line prints the message without a traceback and exits with code 2.
    """


class ConfigError(ExperimentError):
    """A setting (TOML key, keyword or command-line option) is unknown or invalid."""


class StorageError(ExperimentError):
    """A result could not be written (a full disk, a quota, a read-only folder).

    Nothing partly written counts as stored: free space and re-run to resume.
    """


class TrialError(RuntimeError):
    """A trial raised while running; the trials finished before it are kept.

    The command line prints the message and exits with code 1.
    """


class ClusterError(TrialError):
    """Trials were lost with the Dask workers running them, or the cluster has no worker left.

    The finished trials are kept; re-running resumes with the lost ones.
    """
