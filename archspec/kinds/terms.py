"""The names formulas are written in that every kind can use: elements and
sides of the output and the inputs.  Kinds define their own (kernel sizes,
bias, stride area) beside themselves."""

from __future__ import annotations

from math import prod

from .formula import Term
from .shape import dims

OUT = Term("out", lambda s: s.out, lambda s: dims(s.output), "elements of the output")
INP = Term("inp", lambda s: s.inp, lambda s: dims(s.inputs[0]), "elements of the (first) input")
INPUTS = Term("inputs", lambda s: sum(prod(x) for x in s.inputs),
              lambda s: " + ".join(dims(x) for x in s.inputs), "elements of all inputs together")
C = Term("C", lambda s: s.output[0], meaning="output channels")
H = Term("H", lambda s: s.output[1], meaning="output height")
W = Term("W", lambda s: s.output[2], meaning="output width")
C_IN = Term("C_in", lambda s: s.inputs[0][0], meaning="input channels")
H_IN = Term("H_in", lambda s: s.inputs[0][1], meaning="input height")
W_IN = Term("W_in", lambda s: s.inputs[0][2], meaning="input width")
AREA = Term("area", lambda s: s.output[1] * s.output[2], lambda s: f"{s.output[1]}·{s.output[2]}",
            "output positions, H·W")
AREA_IN = Term("area_in", lambda s: s.inputs[0][1] * s.inputs[0][2],
               lambda s: f"{s.inputs[0][1]}·{s.inputs[0][2]}", "input positions, H_in·W_in")
N_INPUTS = Term("n_inputs", lambda s: len(s.inputs), meaning="number of input tensors")
