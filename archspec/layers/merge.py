"""Layers that combine several tensors: concatenation, sums and products."""

from __future__ import annotations

from .base import Layer, Shape, ShapeError, require_same, show


class Concat(Layer):
    """Channel concatenation; spatial sizes must agree."""

    kind = "concat"
    min_inputs = 1
    max_inputs = None
    summary = "concatenate along channels"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        spatial = {(h, w) for _, h, w in inputs}
        if len(spatial) > 1:
            shown = ", ".join(show(s) for s in inputs)
            raise ShapeError(f"inputs {shown} differ in height or width")
        _, h, w = inputs[0]
        return sum(c for c, _, _ in inputs), h, w


class Add(Layer):
    """Element-wise sum of two or more tensors of one shape (residual add)."""

    kind = "add"
    min_inputs = 2
    max_inputs = None
    counts_as = "sum"
    summary = "element-wise sum of equal shapes"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return require_same(self, inputs)


class Max(Layer):
    """Element-wise maximum of two or more tensors of one shape."""

    kind = "max"
    min_inputs = 2
    max_inputs = None
    summary = "element-wise maximum of equal shapes"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return require_same(self, inputs)


def _broadcast(inputs: list[Shape]) -> Shape:
    x, gate = inputs
    if gate == x or (gate[0] in (1, x[0]) and gate[1:] == (1, 1)):
        return x
    raise ShapeError(f"cannot scale {show(x)} by {show(gate)}: the gate must match it "
                     "or be C x 1 x 1")


class Mul(Layer):
    """y = x .* gate, the gate broadcast per channel (squeeze-and-excitation)."""

    kind = "mul"
    min_inputs = 2
    max_inputs = 2
    counts_as = "scale"
    summary = "element-wise product, gate broadcast over H x W (SE gating)"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return _broadcast(inputs)


class Axpy(Layer):
    """y = gate .* x + residual in one layer (Caffe's Axpy in SENets)."""

    kind = "axpy"
    min_inputs = 3
    max_inputs = 3
    summary = "y = a .* x + b, a broadcast per channel (SENet's fused gate + residual)"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        gate, x, residual = inputs
        out = _broadcast([x, gate])
        if residual != out:
            raise ShapeError(f"residual {show(residual)} and scaled input {show(out)} differ")
        return out


__all__ = ["Add", "Axpy", "Concat", "Max", "Mul"]
