"""Named choices the analyses accept, as tables the command line reads its
choices from: element types and optimizers."""

from __future__ import annotations

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2}  # arrays of parameter size each keeps
