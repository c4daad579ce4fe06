"""Arrays from a user's data file: NumPy ``.npz`` or MATLAB ``.mat`` (up to v7). Every problem
is a :class:`DataFileError` naming the file, the array and what to do, in one line."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["DataFileError", "read_arrays"]

#: What to do with a MATLAB v7.3 file, which is HDF5 and which SciPy does not read.
V73_HINT = (
    "is a MATLAB v7.3 (HDF5) file, which scipy.io.loadmat cannot read: in MATLAB save it "
    "with save(FILE, VARIABLES, '-v7'), or write the arrays to an .npz file"
)


class DataFileError(ValueError):
    """A data file that cannot be read, or an array in it that is missing or not numeric."""


def _load(path: Path) -> dict[str, Any]:
    """Every variable of ``path`` by name."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise DataFileError(f"cannot read {str(path)!r} as .npz: {exc}") from None
    if suffix == ".mat":
        from scipy.io import loadmat
        from scipy.io.matlab import MatReadError

        try:
            return {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
        except NotImplementedError:
            raise DataFileError(f"{str(path)!r} {V73_HINT}") from None
        except (OSError, ValueError, MatReadError) as exc:
            raise DataFileError(f"cannot read {str(path)!r} as a MATLAB file: {exc}") from None
    raise DataFileError(f"{str(path)!r}: expected a .npz or .mat file, not {suffix or 'none'!r}")


def read_arrays(path: str | os.PathLike[str], names: Sequence[str]) -> dict[str, NDArray]:
    """The arrays ``names`` of a ``.npz`` or ``.mat`` file, each numeric.

    Parameters
    ----------
    path : str or path-like
        A NumPy ``.npz`` archive or a MATLAB ``.mat`` file (format v4 to v7).
    names : sequence of str
        The arrays to read.

    Returns
    -------
    dict of str to ndarray
        Each array by name, as stored (MATLAB vectors are 2-D, ``(M, 1)`` or ``(1, M)``).

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFileError
        The file cannot be read (a MATLAB v7.3 file, with what to do instead), a name is
        not in it (the message lists what it holds), or an array is not numeric.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no such data file: {str(file)!r}")
    variables = _load(file)
    arrays = {}
    for name in names:
        if name not in variables:
            held = ", ".join(sorted(variables)) or "nothing"
            raise DataFileError(f"no array {name!r} in {str(file)!r}; it holds: {held}")
        array = np.asarray(variables[name])
        if not (np.issubdtype(array.dtype, np.number) and array.dtype.kind in "iufc"):
            raise DataFileError(
                f"array {name!r} in {str(file)!r} is not numeric (dtype {array.dtype})"
            )
        arrays[name] = array
    return arrays
