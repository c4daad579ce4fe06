"""Many problems in one call: :func:`recover_batch` and the batched EM it runs.

The Kronecker SBL methods step a stack of problems together (:mod:`.loop`), on full-length
factors with zeros at each problem's pruned entries (:mod:`.prior`), through batched twins of
the E-step (:mod:`.posterior`) and of the M-step rules (:mod:`.rules`).
"""

from .api import recover_batch

__all__ = ["recover_batch"]
