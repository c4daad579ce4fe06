"""The registry of recovery methods, one line per method, where :func:`krosbl.recover` and
the estimators look them up; each is a :class:`~krosbl.methods.base.Method` subclass
(:mod:`~krosbl.methods.flat`, :mod:`~krosbl.methods.kronecker`, :mod:`~krosbl.methods.dkrosbl`,
:mod:`~krosbl.methods.greedy`) whose settings the registry declares to :mod:`krosbl.settings`.
"""

from __future__ import annotations

from ..settings import declare_method
from .base import EMMethod, Method
from .dkrosbl import DKroSBLMethod
from .flat import PCSBLMethod, SBLMethod
from .greedy import KronOMPMethod, OMPMethod, OracleLSMethod
from .kronecker import AMKroSBLMethod, KSBLMethod, PCKroSBLMethod, SVDKroSBLMethod

__all__ = ["METHODS", "EMMethod", "Method", "available_methods", "get_method"]


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


#: Every method by name, in the order :func:`available_methods` lists them.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        SBLMethod(),
        PCSBLMethod(),
        AMKroSBLMethod(),
        SVDKroSBLMethod(),
        PCKroSBLMethod(),
        KSBLMethod(),
        DKroSBLMethod(get_method),
        KronOMPMethod(),
        OMPMethod(),
        OracleLSMethod(),
    )
}
for _method in METHODS.values():
    declare_method(_method.name, _method.defaults)


def available_methods() -> dict[str, str]:
    """All recovery methods with a one-line summary each.

    Returns
    -------
    dict of str to str
        ``{name: summary}`` in a stable order.

    Examples
    --------
    >>> import krosbl
    >>> "svd-krosbl" in krosbl.available_methods()
    True
    """
    return {name: m.summary for name, m in METHODS.items()}
