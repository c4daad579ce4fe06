"""Results on disk: one Parquet part per finished trial, a manifest, resume by trial index.

Layout of an output folder::

    DIR/manifest.json               experiment, fingerprint and the configuration it hashes
    DIR/parts/trial-000017.parquet  every row of trial 17 (written atomically)
    DIR/.lock                       held by the run writing into DIR
    DIR/*.png, DIR/*.pdf            figures (krosbl.experiments.plots)

A part is written to a temporary file in ``parts/``, flushed to disk and moved into place with
:func:`os.replace`, so it exists complete or not at all; a run that is killed loses at most
the trials in flight, and re-running computes only the trials without a part.
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

from krosbl import __version__

from .errors import ExperimentError, StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs into one folder are not locked
    fcntl = None  # type: ignore[assignment]

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
    "err_sq": "float64",
    "ref_sq": "float64",
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


#: The ``errno`` values of a full disk or an exhausted quota.
_FULL = {errno.ENOSPC, errno.EDQUOT}


def _atomic_write(path: Path, write: Callable[[Path], object], what: str) -> None:
    """Write ``path`` through a temporary file in its folder, fsync and :func:`os.replace`.

    Raises
    ------
    StorageError
        The write failed (``what`` names the content in its message); the temporary file is
        removed, so ``path`` is either complete or absent.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _storage_error(what, path.parent, exc) from None
        raise


def _storage_error(what: str, folder: Path, exc: OSError) -> StorageError:
    """A one-line :class:`StorageError` for a failed write of ``what`` into ``folder``.

    Some writers (Arrow's) report a full disk without an ``errno``, in their message only.
    """
    full = exc.errno in _FULL or "No space left on device" in str(exc)
    reason = "no space left on the device" if full else (exc.strerror or str(exc))
    remedy = "free space" if full else "fix that"
    return StorageError(
        f"cannot write {what} to {str(folder)!r}: {reason}; {remedy}, then re-run to resume"
    )


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, sub in value.items():
        out.update(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """``"key: old -> new"`` for every flattened key whose value differs."""
    a, b = _flatten(old), _flatten(new)

    def show(flat: dict[str, Any], key: str) -> str:
        return json.dumps(flat[key]) if key in flat else "(unset)"

    keys = sorted(k for k in a.keys() | b.keys() if k not in a or k not in b or a[k] != b[k])
    return [f"{k}: {show(a, k)} -> {show(b, k)}" for k in keys]


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
            manifest: dict[str, Any] = json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ExperimentError(f"cannot read {self.manifest_path}: {exc}") from None
        return manifest

    def prepare(self, payload: Mapping[str, Any], fingerprint: str) -> None:
        """Create the folder and record the configuration, or check it against the stored one.

        ``payload`` is the configuration (:func:`~.config.fingerprint_payload`), ``fingerprint``
        its hash.  An :class:`ExperimentError` if the folder cannot be written, holds files that
        are not krosbl results, or holds another experiment or configuration (naming what differs).
        """
        where = str(self.root)
        if not self.manifest_path.exists() and (foreign := self._foreign_entries()):
            raise ExperimentError(
                f"{where!r} is not empty ({', '.join(foreign[:3])}"
                f"{', …' if len(foreign) > 3 else ''}) and holds no krosbl results; results "
                "would overwrite its files: choose a new or empty --out folder"
            )
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.parts):
                pass
        except OSError as exc:
            reason = "a path component is a file, not a folder"
            if not isinstance(exc, FileExistsError | NotADirectoryError):
                reason = exc.strerror or str(exc)
            raise ExperimentError(f"cannot write results to {where!r}: {reason}") from None
        config = json.loads(json.dumps(payload, default=str))
        manifest = self.read_manifest()
        if manifest is None:
            if self.completed():
                raise ExperimentError(
                    f"{where!r} holds result parts but no manifest.json; "
                    "choose another output folder"
                )
            record = {
                "experiment": payload.get("experiment"),
                "fingerprint": fingerprint,
                "config": config,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "krosbl_version": __version__,
            }
            text = json.dumps(record, indent=2) + "\n"
            _atomic_write(self.manifest_path, lambda tmp: tmp.write_text(text), "the manifest")
            return
        if manifest.get("experiment") != payload.get("experiment"):
            raise ExperimentError(
                f"{where!r} holds results of experiment {manifest.get('experiment')!r}, not "
                f"{payload.get('experiment')!r}. Use another --out folder."
            )
        diffs = _differences(manifest.get("config", {}), config)
        if diffs:
            raise ExperimentError(
                f"{where!r} holds results of a different configuration (fingerprint "
                f"{str(manifest.get('fingerprint'))[:12]}, now {fingerprint[:12]}); what differs: "
                f"{'; '.join(diffs)}. Use another --out folder or delete this one."
            )

    def _foreign_entries(self) -> list[str]:
        """Names in a folder without a manifest that krosbl would not have written there."""
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
        matches = (_PART.match(p.name) for p in self.parts.iterdir())
        return {int(m.group(1)) for m in matches if m}

    def write_trial(self, trial: int, frame: pd.DataFrame) -> Path:
        """Store one finished trial atomically and return its path.

        Raises
        ------
        StorageError
            The part could not be written (e.g. the disk is full); no part of it is stored.
        """
        path = self.part_path(trial)
        _atomic_write(
            path,
            lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"),
            f"trial {trial}",
        )
        return path

    def load(self, trials: Iterable[int] | None = None) -> pd.DataFrame:
        """All stored rows (or those of ``trials``) by trial; ExperimentError if none/unreadable."""
        if self.read_manifest() is None:
            raise ExperimentError(f"{str(self.root)!r} holds no krosbl results (no manifest.json)")
        done = self.completed()
        frames = []
        for trial in sorted(done if trials is None else done.intersection(trials)):
            path = self.part_path(trial)
            try:
                frames.append(pd.read_parquet(path, engine="pyarrow"))
            except Exception as exc:
                raise ExperimentError(
                    f"cannot read {path} ({exc}); delete it and re-run to recompute the trial"
                ) from None
        return pd.concat(frames, ignore_index=True) if frames else to_frame([])

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock while writing (ExperimentError if another run holds it).

        The lock is an :func:`fcntl.flock` on ``.lock``, released by the operating system when
        its holder exits however it ends (``kill -9`` too); the file names the holder.
        Temporary files of writes a killed run left behind are removed.
        """
        with open(self.lock_path, "a+") as fh:
            if fcntl is not None:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    fh.seek(0)
                    raise ExperimentError(
                        f"another run ({fh.read() or 'host, pid unknown'}) is writing into "
                        f"{str(self.root)!r}; wait for it to finish or use another --out folder"
                    ) from None
            try:
                fh.truncate(0)
                fh.write(f"host {socket.gethostname()}, pid {os.getpid()}")
                fh.flush()
            except OSError as exc:
                raise _storage_error("the lock file", self.root, exc) from None
            try:
                for stale in self.parts.glob(".trial-*.tmp"):
                    stale.unlink(missing_ok=True)
                yield
            finally:
                with contextlib.suppress(OSError):
                    self.lock_path.unlink()


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
