"""Results on disk: one Parquet part per finished trial, a manifest, resume by trial index.

Layout of an output folder::

    DIR/manifest.json              experiment, fingerprint and the settings it hashes
    DIR/parts/trial-000017.parquet  every row of trial 17 (written atomically)
    DIR/*.png, DIR/*.pdf            figures (krosbl.experiments.plots)

A part is written to a temporary file in ``parts/`` and moved into place with
:func:`os.replace`, so a part either exists complete or not at all; a run that is killed
loses at most the trials in flight.  Re-running computes only the trials without a part.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ExperimentError

__all__ = ["COLUMNS", "ResultStore", "load_results", "to_frame"]

#: The columns every results table has, with their dtypes (NaN / <NA> where not applicable).
COLUMNS: dict[str, str] = {
    "experiment": "str",
    "algorithm": "str",
    "trial": "int64",
    "seed": "int64",
    "param": "str",
    "value": "float64",
    "nmse": "float64",
    "srr": "float64",
    "ser": "float64",
    "time_s": "float64",
    "n_iter": "float64",
    "converged": "boolean",
    "noise_var": "float64",
}

_PART = re.compile(r"^trial-(\d{6,})\.parquet$")


def to_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a results table with the standard columns and dtypes.

    Missing standard columns are filled with NaN / <NA>; extra columns (e.g. the per-iteration
    ``nmse_path``) are kept after the standard ones.
    """
    frame = pd.DataFrame(list(rows))
    for column, dtype in COLUMNS.items():
        if column not in frame:
            frame[column] = pd.NA if dtype == "boolean" else float("nan")
        frame[column] = frame[column].astype(dtype)
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame[[*COLUMNS, *extra]].reset_index(drop=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Write ``path`` via a temporary file in the same folder and :func:`os.replace`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; results are ordinary files
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _write_text(path: str, text: str) -> None:
    Path(path).write_text(text)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


#: ``harmless(key, value)``: whether a key that is new in a configuration may be ignored.
Harmless = Callable[[str, Any], bool]


def _differences(
    old: Mapping[str, Any], new: Mapping[str, Any], harmless: Harmless | None = None
) -> list[str]:
    """``"key: old -> new"`` for every flattened key that differs (bar harmless additions)."""
    a, b = _flatten(old), _flatten(new)
    missing = object()
    diffs = []
    for key in sorted(set(a) | set(b)):
        before, after = a.get(key, missing), b.get(key, missing)
        if before == after or (before is missing and harmless and harmless(key, after)):
            continue
        show = lambda v: "(unset)" if v is missing else json.dumps(v)  # noqa: E731
        diffs.append(f"{key}: {show(before)} -> {show(after)}")
    return diffs


class ResultStore:
    """The results of one experiment configuration in one folder.

    Parameters
    ----------
    root : path
        The output folder (created on :meth:`prepare`).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.manifest_path = self.root / "manifest.json"
        self.lock_path = self.root / ".lock"

    def part_path(self, trial: int) -> Path:
        """Path of trial ``trial``'s part."""
        return self.parts / f"trial-{trial:06d}.parquet"

    def read_manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or ``None`` if the folder has none."""
        try:
            text = self.manifest_path.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ExperimentError(f"cannot read {self.manifest_path}: {exc.strerror}") from None
        try:
            manifest: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExperimentError(f"{self.manifest_path} is not valid JSON: {exc}") from None
        return manifest

    def prepare(
        self, payload: Mapping[str, Any], fingerprint: str, harmless: Harmless | None = None
    ) -> None:
        """Create the folder and record (or check) the configuration fingerprint.

        Parameters
        ----------
        payload : mapping
            The configuration the fingerprint hashes (stored in the manifest).
        fingerprint : str
            Its hash.
        harmless : callable, optional
            ``harmless(key, value)`` for a flattened key absent from the stored configuration:
            whether it may be ignored (e.g. a solver setting added to krosbl since, at its
            default). A folder whose only differences are harmless is accepted.

        Raises
        ------
        ExperimentError
            If the folder cannot be written, or holds results of another configuration (the
            message lists what differs).
        """
        if not self.manifest_path.exists() and (foreign := self._foreign_entries()):
            raise ExperimentError(
                f"{str(self.root)!r} is not empty ({', '.join(foreign[:3])}"
                f"{', …' if len(foreign) > 3 else ''}) and holds no krosbl results; results "
                "would overwrite its files: choose a new or empty --out folder"
            )
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.parts):
                pass
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if exc.errno in (errno.EEXIST, errno.ENOTDIR):
                reason = "a path component is a file, not a folder"
            raise ExperimentError(f"cannot write results to {str(self.root)!r}: {reason}") from None
        manifest = self.read_manifest()
        config = json.loads(json.dumps(payload, default=str))
        if manifest is None:
            if self.completed():
                raise ExperimentError(
                    f"{str(self.root)!r} holds result parts but no manifest.json; "
                    "choose another output folder"
                )
            record = {
                "experiment": payload.get("experiment"),
                "fingerprint": fingerprint,
                "config": config,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "krosbl_version": _version(),
            }
            text = json.dumps(record, indent=2) + "\n"
            _atomic_write(self.manifest_path, lambda tmp: _write_text(tmp, text))
            return
        if manifest.get("fingerprint") == fingerprint:
            return
        stored = manifest.get("experiment")
        if stored != payload.get("experiment"):
            raise ExperimentError(
                f"{str(self.root)!r} holds results of experiment {stored!r}, not "
                f"{payload.get('experiment')!r}. Use another --out folder."
            )
        diffs = _differences(manifest.get("config", {}), config, harmless)
        if diffs:
            raise ExperimentError(
                f"{str(self.root)!r} holds results of a different configuration "
                f"(fingerprint {str(manifest.get('fingerprint'))[:12]}, now {fingerprint[:12]}); "
                f"what differs: {'; '.join(diffs)}. Use another --out folder or delete this one."
            )

    def _foreign_entries(self) -> list[str]:
        """Names in a folder without a manifest that krosbl did not write there.

        Figures and summaries are not among krosbl's names: they exist only next to a
        manifest. A temporary file of an interrupted write is.
        """
        if not self.root.is_dir():
            return []
        ours = {self.parts.name, self.manifest_path.name, self.lock_path.name}
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.name not in ours and not (p.name.startswith(".") and p.name.endswith(".tmp"))
        )

    def completed(self) -> set[int]:
        """Indices of the trials with a stored part."""
        if not self.parts.is_dir():
            return set()
        found = set()
        for path in self.parts.iterdir():
            match = _PART.match(path.name)
            if match:
                found.add(int(match.group(1)))
        return found

    def write_trial(self, trial: int, frame: pd.DataFrame) -> Path:
        """Store one finished trial atomically and return its path."""
        path = self.part_path(trial)
        _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))
        return path

    def load(self, trials: Iterable[int] | None = None) -> pd.DataFrame:
        """All stored rows (or those of ``trials``), ordered by trial.

        Raises
        ------
        ExperimentError
            If the folder has no results or a part cannot be read.
        """
        if self.read_manifest() is None:
            raise ExperimentError(f"{str(self.root)!r} holds no krosbl results (no manifest.json)")
        done = self.completed()
        wanted = sorted(done if trials is None else done.intersection(trials))
        frames = []
        for trial in wanted:
            path = self.part_path(trial)
            try:
                frames.append(pd.read_parquet(path, engine="pyarrow"))
            except Exception as exc:
                raise ExperimentError(
                    f"cannot read {path} ({exc}); delete it and re-run to recompute the trial"
                ) from None
        if not frames:
            return to_frame([])
        return pd.concat(frames, ignore_index=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock while writing; stale temporary files are removed.

        Raises
        ------
        ExperimentError
            If a live process on this host holds the lock.
        """
        me = f"{socket.gethostname()} {os.getpid()}"
        for _ in range(2):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self.lock_path.read_text().split()
                if _alive(holder):
                    raise ExperimentError(
                        f"another run (host {holder[0]}, pid {holder[1]}) is writing into "
                        f"{str(self.root)!r}; if it is gone, delete {self.lock_path}"
                    ) from None
                self.lock_path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(me)
            break
        else:  # pragma: no cover - lost a race twice
            raise ExperimentError(f"cannot lock {str(self.root)!r}")
        try:
            for stale in self.parts.glob(".trial-*.tmp"):
                stale.unlink(missing_ok=True)
            yield
        finally:
            self.lock_path.unlink(missing_ok=True)


def _alive(holder: list[str]) -> bool:
    """Whether a lock holder ``[host, pid]`` is a live process on this host."""
    if len(holder) != 2 or not holder[1].isdigit():
        return False
    if holder[0] != socket.gethostname():
        return True  # cannot tell; do not steal another host's lock
    try:
        os.kill(int(holder[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("krosbl")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def load_results(directory: str | Path) -> pd.DataFrame:
    """Read every stored trial of an output folder into one table.

    Parameters
    ----------
    directory : path
        An output folder of :func:`krosbl.experiments.run_experiment`.

    Returns
    -------
    pandas.DataFrame
        One row per (trial, algorithm, sweep value); see :data:`COLUMNS`.

    Raises
    ------
    ExperimentError
        If the folder holds no results.
    """
    return ResultStore(directory).load()
