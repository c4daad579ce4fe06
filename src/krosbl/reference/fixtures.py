"""Reference fixtures on disk: the :class:`Fixture` record and how a directory is read."""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["FIXTURES_DIR", "Fixture", "Kind", "find_fixtures", "load_fixture"]

#: The arrays every solver row reads besides the factors: data, ``σ²`` and SNR.
_REQUIRED = ("y", "noise_var", "SNR")

#: The reference fixtures installed with krosbl (package data): the default of
#: :func:`find_fixtures`, :func:`krosbl.reference.verify_directory` and ``krosbl
#: verify-reference``.
FIXTURES_DIR: Path = Path(__file__).with_name("data")


Kind = Literal["irs", "synthetic"]


@dataclass(frozen=True)
class Fixture:
    """One reference problem: the arrays of ``<name>.npz`` and the JSON metadata.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"irs_p01"``.
    kind : {"irs", "synthetic"}
        Which experiment the problem belongs to (the paper's IRS or synthetic experiments).
    arrays : mapping of str to ndarray
        Every array of the ``.npz`` file.
    params : dict
        ``params`` of the JSON file: ``problem``, ``solvers`` and ``sym``.
    """

    name: str
    kind: Kind
    arrays: Mapping[str, NDArray[Any]]
    params: dict[str, Any]

    @property
    def snr_db(self) -> float:
        """SNR of the problem in dB."""
        return float(self.arrays["SNR"])

    @property
    def noise_var(self) -> float:
        """The known noise variance ``σ²`` given to the solvers."""
        return float(self.arrays["noise_var"])

    @property
    def factors(self) -> list[NDArray[Any]]:
        """The dictionary factors, ``numpy.kron`` order."""
        names = ("H_p1", "H_p2", "A2") if self.kind == "irs" else ("A1", "A2", "A3")
        return [np.asarray(self.arrays[n]) for n in names]

    @property
    def tags(self) -> list[str]:
        """The solver tags of the fixture, in the JSON's order."""
        return list(self.params.get("solvers", {}))

    def sym_tags(self) -> set[str]:
        """Tags stored a second time with symmetrised ``eig`` inputs (``sym_`` keys)."""
        return set(self.params.get("sym", {}).get("solvers", []))


def find_fixtures(directory: str | Path = FIXTURES_DIR) -> list[Path]:
    """The fixture files (``*.npz``) of a directory, sorted by name.

    Parameters
    ----------
    directory : str or Path
        Directory holding ``<name>.npz`` / ``<name>.json`` pairs (default: the fixtures
        installed with krosbl, :data:`FIXTURES_DIR`).

    Returns
    -------
    list of Path

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not a directory.
    """
    path = Path(directory)
    if not path.is_dir():
        raise NotADirectoryError(f"not a directory: {path}")
    return sorted(path.glob("*.npz"))


def _read_arrays(npz: Path) -> dict[str, NDArray[Any]]:
    """Every array of a ``.npz`` file; a damaged archive is a ``ValueError``."""
    try:
        with np.load(npz, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, zlib.error) as exc:  # truncated or corrupted
        raise ValueError(f"{npz.name}: not a readable .npz archive: {exc}") from None


def _read_params(meta: Path) -> dict[str, Any]:
    """``params`` of a fixture's JSON file; a malformed file is a ``ValueError``."""
    try:
        document = json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{meta.name}: not valid JSON: {exc}") from None
    params = document.get("params", {}) if isinstance(document, dict) else None
    solvers = params.get("solvers", {}) if isinstance(params, dict) else None
    if not isinstance(params, dict) or not (
        isinstance(solvers, dict) and all(isinstance(v, dict) for v in solvers.values())
    ):
        raise ValueError(
            f"{meta.name}: expected a JSON object whose 'params.solvers' maps tags to objects"
        )
    return params


def load_fixture(path: str | Path) -> Fixture:
    """Load one fixture.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file, the ``.json`` file or the common stem.

    Returns
    -------
    Fixture

    Raises
    ------
    FileNotFoundError
        If either file of the pair is missing.
    ValueError
        If a file is malformed (not a ``.npz`` archive, not a JSON object whose
        ``params.solvers`` maps solver tags to objects), the arrays are neither an IRS nor a
        synthetic problem, or an array of ``y``, ``noise_var``, ``SNR`` is missing.
    """
    p = Path(path)
    stem = p.with_suffix("") if p.suffix in (".npz", ".json") else p
    npz, meta = stem.with_suffix(".npz"), stem.with_suffix(".json")
    for f in (npz, meta):
        if not f.is_file():
            raise FileNotFoundError(f"fixture file missing: {f}")
    arrays, params = _read_arrays(npz), _read_params(meta)
    if {"H_p1", "H_p2", "A2"} <= arrays.keys():
        kind: Kind = "irs"
    elif {"A1", "A2", "A3"} <= arrays.keys():
        kind = "synthetic"
    else:
        raise ValueError(f"{npz.name}: neither an IRS (H_p1, H_p2, A2) nor a synthetic fixture")
    missing = [k for k in _REQUIRED if k not in arrays]
    if missing:
        raise ValueError(f"{npz.name}: missing array(s) {', '.join(missing)}")
    return Fixture(stem.name, kind, arrays, params)
