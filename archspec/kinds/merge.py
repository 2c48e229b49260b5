"""Layers that combine several tensors: concatenation, sums and products.

No peer tool prices these as a PyTorch model writes them (`out += identity`,
`x * g`, torch.cat and torch.max are not modules, and no tool patches them)."""

from __future__ import annotations

from .base import IN_PLACE, NEW, Arity, Backward, Example, Layer, Storage, per_convention
from .families import NoParameters
from .formula import ZERO, Uncounted
from .shape import SAME, Shape, ShapeError, require_same, show
from .terms import INPUTS, N_INPUTS, OUT

SUM_UNSEEN = Uncounted("`a + b` is not a module and no tool patches it")
PRODUCT_UNSEEN = Uncounted("`x * g` is not a module and no tool patches it")


class Concat(NoParameters, Layer):
    """Channel concatenation; spatial sizes must agree."""

    kind = "concat"
    summary = "concatenate along channels"
    category = "data movement"
    positional = ()
    arity = Arity(1, None)
    example = Example(((4, 3, 5), (2, 3, 5)))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("copies no arithmetic"),
        fvcore=Uncounted("aten::cat has no handle"),
        ptflops=Uncounted("torch.cat is not patched"),
        thop=Uncounted("torch.cat is not a module"),
        calflops=Uncounted("torch.cat is not patched"),
    )
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # slices of the gradient
    work = ZERO
    traffic = INPUTS + OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        spatial = {(h, w) for _, h, w in inputs}
        if len(spatial) > 1:
            shown = ", ".join(show(s) for s in inputs)
            raise ShapeError(f"inputs {shown} differ in height or width")
        _, h, w = inputs[0]
        return sum(c for c, _, _ in inputs), h, w

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"C' = {' + '.join(str(s[0]) for s in inputs)} = {output[0]}"]


class _Elementwise(NoParameters, Layer):
    """What the element-wise combinations share: their shape rule."""

    category = "element-wise"
    positional = ()
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    traffic = INPUTS + OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return require_same(inputs)

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return []


class Add(_Elementwise):
    """Element-wise sum of two or more tensors of one shape (residual add).
    A new tensor, as MatConvNet's vl_nnsum and PyTorch's `x + y` make it;
    `inplace=true` is torchvision's `out += identity` (ResNet, ConvNeXt,
    EfficientNet, MobileNetV3): the sum is written over its first input when
    nothing later reads it, as relu is.  No tool counts either."""

    kind = "add"
    summary = "element-wise sum of equal shapes (inplace=true: over its first input, `out += x`)"
    arity = Arity(2, None)
    example = Example(((4, 3, 5), (4, 3, 5)))
    flops = per_convention(burden=OUT, fvcore=SUM_UNSEEN, ptflops=SUM_UNSEEN, thop=SUM_UNSEEN,
             calflops=SUM_UNSEEN)
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # the gradient passes through unchanged
    work = OUT

    inplace: bool = False

    def storage_of(self) -> Storage:
        return IN_PLACE if self.inplace else NEW


class Max(_Elementwise):
    """Element-wise maximum of two or more tensors of one shape."""

    kind = "max"
    summary = "element-wise maximum of equal shapes"
    arity = Arity(2, None)
    example = Example(((4, 3, 5), (4, 3, 5), (4, 3, 5)))
    flops = per_convention(burden=OUT * N_INPUTS, fvcore=Uncounted("torch.max is not counted"),
             ptflops=Uncounted("torch.max is not patched"), thop=Uncounted("torch.max is not a module"),
             calflops=Uncounted("torch.max is not patched"))
    backward = Backward(keeps_inputs=True, input_grad=OUT * N_INPUTS, weight_grad=ZERO)
    work = OUT * N_INPUTS


def _broadcast(inputs: list[Shape]) -> Shape:
    x, gate = inputs
    if gate == x or (gate[0] in (1, x[0]) and gate[1:] == (1, 1)):
        return x
    raise ShapeError(f"cannot scale {show(x)} by {show(gate)}: the gate must match it "
                     "or be C x 1 x 1")


class Mul(_Elementwise):
    """y = x .* gate, the gate broadcast per channel (squeeze-and-excitation)."""

    kind = "mul"
    summary = "element-wise product, gate broadcast over H x W (SE gating)"
    arity = Arity(2, 2)
    example = Example(((4, 3, 5), (4, 1, 1)))
    flops = per_convention(burden=OUT, fvcore=PRODUCT_UNSEEN, ptflops=PRODUCT_UNSEEN, thop=PRODUCT_UNSEEN,
             calflops=PRODUCT_UNSEEN)
    backward = Backward(keeps_inputs=True, input_grad=2 * OUT, weight_grad=ZERO)  # dy * g and sum(dy * x)
    work = OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return _broadcast(inputs)


class Axpy(_Elementwise):
    """y = gate .* x + residual in one layer (Caffe's Axpy in SENets)."""

    kind = "axpy"
    summary = "y = a .* x + b, a broadcast per channel (SENet's fused gate + residual)"
    arity = Arity(3, 3)
    example = Example(((4, 1, 1), (4, 3, 5), (4, 3, 5)))
    flops = per_convention(burden=2 * OUT, fvcore=PRODUCT_UNSEEN, ptflops=PRODUCT_UNSEEN, thop=PRODUCT_UNSEEN,
             calflops=PRODUCT_UNSEEN)
    backward = Backward(keeps_inputs=True, input_grad=2 * OUT, weight_grad=ZERO)
    work = 2 * OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        gate, x, residual = inputs
        out = _broadcast([x, gate])
        if residual != out:
            raise ShapeError(f"residual {show(residual)} and scaled input {show(out)} differ")
        return out


__all__ = ["Add", "Axpy", "Concat", "Max", "Mul"]
