"""Trial functions and settings models of the experiments, one module per family."""
