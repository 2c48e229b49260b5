"""Counting conventions as data: for each rule a layer is counted by
(`Layer.counts_as`), a formula over the layer's `Site`.

`burden` is the reference table's rule set (convnet-burden's core/burden.m,
see CONVENTIONS.md); `macs` counts multiply-accumulates of convolution,
transposed convolution and fully-connected layers only, bias excluded (the
convention of torchvision's published figures).  A new convention is one more
table; a new layer rule is one more row in each table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import prod

from .layers.base import Layer, Shape


@dataclass(frozen=True, slots=True)
class Site:
    """A layer where it sits in the graph: its inputs' and output's shapes."""

    layer: Layer
    inputs: tuple[Shape, ...]
    output: Shape

    @property
    def out(self) -> int:
        """Elements of the output."""
        return prod(self.output)

    @property
    def inp(self) -> int:
        """Elements of the first input."""
        return prod(self.inputs[0])

    @property
    def macs(self) -> int:
        return self.layer.macs(list(self.inputs), self.output)

    @property
    def bias(self) -> int:
        """Additions of a bias: one per output element when the layer has one."""
        return self.out if self.layer.has_bias() else 0

    @property
    def stride_area(self) -> int:
        stride = getattr(self.layer, "strides", None)
        sh, sw = stride() if stride else (1, 1)
        return sh * sw


Rule = Callable[[Site], int]


def _zero(site: Site) -> int:
    return 0


@dataclass(frozen=True)
class Convention:
    name: str
    description: str
    rules: Mapping[str, Rule]
    inplace_is_free: bool = True  # an in-place layer's output adds no feature memory

    def flops(self, site: Site) -> int:
        return self.rules[site.layer.counts_as](site)


BURDEN = Convention(
    name="burden",
    description="the reference table's rules (convnet-burden core/burden.m); "
                "a fused multiply-add is one FLOP",
    rules={
        "conv": lambda s: s.macs + s.bias,
        "deconv": lambda s: s.macs + s.bias,
        "relu": lambda s: 2 * s.out,  # a comparison and a multiply
        "pool": lambda s: 2 * s.out * s.stride_area,  # burden.m uses the stride, not the window
        "global_pool": lambda s: s.inp,
        "bn": _zero,  # assumed merged into the convolution at test time
        "sum": lambda s: s.out,
        "scale": lambda s: s.out,
        "axpy": lambda s: 2 * s.out,
        "max": lambda s: s.out * len(s.inputs),
        "lrn": lambda s: s.out + (2 + 2 * s.output[0]) * s.output[1] * s.output[2],
        "l2norm": lambda s: s.out + (2 + 2 * s.output[0]) * s.output[1] * s.output[2],  # as LRN
        "interp": lambda s: 4 * s.out,
        "crop": _zero,  # index slicing
        "softmax": _zero,  # exponentials are not counted
        "sigmoid": _zero,
        "concat": _zero,
        "reshape": _zero,
        "flatten": _zero,
        "permute": _zero,
        "dropout": _zero,
        # detector layers the reference does not price (burden.m: "too inaccurate")
        "priorbox": _zero,
        "proposal": _zero,
        "roipool": _zero,
        "psroipool": _zero,
        "detection_output": _zero,
    },
)

MACS = Convention(
    name="macs",
    description="multiply-accumulates of convolution, transposed convolution and "
                "fully-connected layers, no bias (torchvision's published figures)",
    rules={rule: (lambda s: s.macs) if rule in ("conv", "deconv") else _zero
           for rule in BURDEN.rules},
)

CONVENTIONS: dict[str, Convention] = {c.name: c for c in (BURDEN, MACS)}


def get(name: str) -> Convention:
    from .errors import ArchError, suggest

    if name not in CONVENTIONS:
        raise ArchError(f"unknown convention '{name}'; known: {', '.join(CONVENTIONS)}",
                        hint=suggest(name, CONVENTIONS))
    return CONVENTIONS[name]
