"""The errors the experiments subsystem reports to its users."""

from __future__ import annotations

__all__ = ["ConfigError", "ExperimentError", "TrialError"]


class ExperimentError(Exception):
    """A problem with what the user asked for (bad name, setting, folder or scheduler).

    The command line prints the message without a traceback and exits with code 2.
    """


class ConfigError(ExperimentError):
    """A setting (TOML key, keyword or command-line option) is unknown or invalid."""


class TrialError(RuntimeError):
    """A trial raised while running; the trials finished before it are kept.

    The command line prints the message and exits with code 1.
    """
