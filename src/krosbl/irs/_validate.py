"""Argument checks shared by the IRS modules (one place for the error messages)."""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["check_finite", "check_int", "check_interval"]


def check_int(name: str, value: object, *, minimum: int) -> int:
    """Return ``value`` as an ``int`` after checking that it is an integer ``>= minimum``.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : object
        The value to check; Python and NumPy integers are accepted, ``bool`` is not.
    minimum : int
        Smallest allowed value.

    Returns
    -------
    int
        ``value`` converted to a Python ``int``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value < minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_finite(name: str, value: object) -> float:
    """Return ``value`` as a ``float`` after checking that it is a finite real number.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : object
        The value to check.

    Returns
    -------
    float
        ``value`` converted to a Python ``float``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def check_interval(name: str, value: object, low: float, high: float) -> float:
    """Return ``value`` as a ``float`` after checking that it lies in ``[low, high]``.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : object
        The value to check.
    low, high : float
        Closed bounds.

    Returns
    -------
    float
        ``value`` converted to a Python ``float``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, infinite or outside ``[low, high]``.
    """
    out = check_finite(name, value)
    if not low <= out <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {out:g}")
    return out
