"""Progress reporting: a rich bar, plain log lines (``--quiet``), or nothing."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Literal, Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = [
    "PlainProgress",
    "ProgressMode",
    "Reporter",
    "RichProgress",
    "Silent",
    "check_progress",
    "make_reporter",
]

#: ``"rich"``: a rich bar; ``"plain"``: one log line per trial; ``False``: silent;
#: ``True``: rich on a terminal, else plain.
ProgressMode = bool | Literal["rich", "plain"]


class Reporter(Protocol):
    """Receives one call per finished trial."""

    def __enter__(self) -> Reporter: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def advance(self, trial: int) -> None:
        """Trial ``trial`` is finished and stored."""
        ...


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("-- trials/s", style="progress.data.speed")
        unit, value = ("trials/s", speed) if speed >= 1 else ("s/trial", 1 / speed)
        return Text(f"{value:.2f} {unit}", style="progress.data.speed")


class RichProgress:
    """A rich progress bar on stderr: trials done, rate, elapsed and remaining time."""

    def __init__(self, label: str, total: int, done: int, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trials"),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task(label, total=total, completed=done)

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def advance(self, trial: int) -> None:
        """Count one more finished trial."""
        self._progress.advance(self._task)


class PlainProgress:
    """One plain line per finished trial (``--quiet``), with rate and estimated time left."""

    def __init__(self, label: str, total: int, done: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, done
        self._stream = stream or sys.stderr
        self._start = time.monotonic()
        self._new = 0

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def advance(self, trial: int) -> None:
        """Log trial ``trial`` as finished."""
        self.done += 1
        self._new += 1
        elapsed = time.monotonic() - self._start
        rate = self._new / elapsed if elapsed > 0 else float("inf")
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        print(
            f"{self.label}: trial {trial} done ({self.done}/{self.total}, "
            f"{rate:.2f} trials/s, ~{left:.0f} s left)",
            file=self._stream,
            flush=True,
        )


class Silent:
    """Reports nothing."""

    def __enter__(self) -> Silent:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def advance(self, trial: int) -> None:
        """Do nothing."""


def check_progress(mode: object) -> None:
    """Refuse anything but a :data:`ProgressMode`.

    Raises
    ------
    ValueError
        If ``mode`` is not ``True``, ``False``, ``"rich"`` or ``"plain"``.
    """
    if not (isinstance(mode, bool) or mode in ("rich", "plain")):
        raise ValueError(f"progress must be True, False, 'rich' or 'plain', got {mode!r}")


def make_reporter(mode: ProgressMode, label: str, total: int, done: int) -> Reporter:
    """The reporter for ``mode`` (see :data:`ProgressMode`).

    ``True`` shows the rich bar on a terminal and plain lines when stderr is redirected (a
    log file would otherwise stay empty until the end).
    """
    check_progress(mode)
    if mode is True:
        mode = "rich" if sys.stderr.isatty() else "plain"
    if mode == "rich":
        return RichProgress(label, total, done)
    if mode == "plain":
        return PlainProgress(label, total, done)
    return Silent()
