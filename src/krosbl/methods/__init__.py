"""The registry of recovery methods: one line per method.

Each method is a :class:`~krosbl.methods.base.Method` subclass in a module of its own kind
(:mod:`~krosbl.methods.flat`, :mod:`~krosbl.methods.kronecker`, :mod:`~krosbl.methods.greedy`):
it declares the settings it reads with their neutral defaults and builds its
:class:`~krosbl.Result`. :func:`krosbl.recover` and the estimators look it up here.
"""

from __future__ import annotations

from .base import EMMethod, Method
from .decomposition import DKroSBLMethod
from .flat import PCSBLMethod, SBLMethod
from .greedy import KronOMPMethod, OMPMethod, OracleLSMethod
from .kronecker import AMKroSBLMethod, KSBLMethod, PCKroSBLMethod, SVDKroSBLMethod

__all__ = ["METHODS", "EMMethod", "Method", "get_method", "methods"]

#: Every method by name, in the order :func:`methods` lists them.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        SBLMethod(),
        PCSBLMethod(),
        AMKroSBLMethod(),
        SVDKroSBLMethod(),
        PCKroSBLMethod(),
        KSBLMethod(),
        DKroSBLMethod(),
        KronOMPMethod(),
        OMPMethod(),
        OracleLSMethod(),
    )
}


def get_method(name: str) -> Method:
    """The method called ``name`` (case-insensitive).

    Raises
    ------
    ValueError
        An unknown name (the message lists the valid ones).
    """
    if not isinstance(name, str) or name.lower() not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid methods are {sorted(METHODS)}")
    return METHODS[name.lower()]


def methods() -> dict[str, str]:
    """All recovery methods with a one-line summary each.

    Returns
    -------
    dict of str to str
        ``{name: summary}`` in a stable order.

    Examples
    --------
    >>> import krosbl
    >>> "svd-krosbl" in krosbl.methods()
    True
    """
    return {name: m.summary for name, m in METHODS.items()}
