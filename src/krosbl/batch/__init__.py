"""Many problems in one call: the batched EM behind :func:`krosbl.recover_batch`.

The Kronecker SBL methods step a stack of problems together (:mod:`.loop`), on full-length
factors with zeros at each problem's pruned entries (:mod:`.prior`), through batched twins of
the E-step (:mod:`.posterior`) and of the M-step rules (:mod:`.rules`); :mod:`krosbl.batch_api`
holds the public function. Each method says how it solves a batch (``Method.solve_batch``).
"""
