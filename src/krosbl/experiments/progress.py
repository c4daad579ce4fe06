"""Progress reporting: a rich bar, plain log lines (``--quiet``), or nothing."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Literal

__all__ = ["ProgressMode", "check_progress", "reporter"]

#: ``"rich"``: a rich bar; ``"plain"``: one log line per trial; ``False``: silent;
#: ``True``: rich on a terminal, else plain.
ProgressMode = bool | Literal["rich", "plain"]


def check_progress(mode: object) -> None:
    """Refuse anything but a :data:`ProgressMode`.

    Raises
    ------
    ValueError
        If ``mode`` is not ``True``, ``False``, ``"rich"`` or ``"plain"``.
    """
    if not (isinstance(mode, bool) or mode in ("rich", "plain")):
        raise ValueError(f"progress must be True, False, 'rich' or 'plain', got {mode!r}")


@contextlib.contextmanager
def reporter(
    mode: ProgressMode, label: str, total: int, done: int
) -> Iterator[Callable[[int], None]]:
    """Report finished trials on stderr; yields ``advance(trial)``, called once per stored trial.

    Parameters
    ----------
    mode : ProgressMode
        ``True`` shows the rich bar on a terminal and plain lines when stderr is redirected (a
        log file would otherwise stay empty until the end).
    label : str
        What is running (the experiment's name).
    total, done : int
        Trials wanted, and already stored when the run starts.
    """
    check_progress(mode)
    if mode is True:
        mode = "rich" if sys.stderr.isatty() else "plain"
    if mode == "rich":
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
        bar = Progress(
            TextColumn("[bold]{task.description}"), *columns, console=Console(stderr=True)
        )
        with bar:
            task = bar.add_task(label, total=total, completed=done)
            yield lambda trial: bar.advance(task)
    elif mode == "plain":
        start, first = time.monotonic(), done

        def line(trial: int) -> None:
            nonlocal done
            done += 1
            rate = (done - first) / max(time.monotonic() - start, 1e-9)
            print(
                f"{label}: trial {trial} done ({done}/{total}, "
                f"{rate:.2f} trials/s, ~{(total - done) / rate:.0f} s left)",
                file=sys.stderr,
                flush=True,
            )

        yield line
    else:
        yield lambda trial: None
