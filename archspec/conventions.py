"""Counting conventions as data: for each rule a layer is counted by
(`Layer.counts_as`), a formula over the layer's `Site`.

`burden` is the reference table's rule set (convnet-burden's core/burden.m,
see CONVENTIONS.md).  The other profiles say what a well-known tool would
report for the same network written as its PyTorch equivalent (docs/conventions.md
has the table and the sources):

* `macs`     torchvision's published figures: multiply-accumulates of conv,
             transposed conv and fully-connected layers, no bias;
* `flops`    torch.utils.flop_counter.FlopCounterMode: 2 x those MACs;
* `fvcore`   facebookresearch/fvcore FlopCountAnalysis (jit_handles.py);
* `ptflops`  sovrasov/flops-counter.pytorch, its `pytorch` backend;
* `thop`     Lyken17/pytorch-OpCounter `profile` (vision/basic_hooks.py);
* `calflops` MrYxJ/calculate-flops.pytorch `calculate_flops` (pytorch_ops.py).

A new convention is one more table; a new layer rule is one more row in each
table (tests/test_conventions.py checks that every registered rule has one).
A table may also price a single layer kind unlike the rest of its rule
(`kinds`: e.g. a max pool unlike an average pool, or `fc` unlike `conv`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from math import prod

from .layers.base import Layer, Shape, pair


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

    @property
    def area(self) -> int:
        """Output positions, H x W."""
        return self.output[1] * self.output[2]

    @property
    def covers_input(self) -> bool:
        """A pooling window that covers its whole input in one position: the
        PyTorch equivalent is a global (adaptive, output 1 x 1) pool, which is
        how today's torchvision writes the pool before its classifiers."""
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None or self.output[1:] != (1, 1):
            return False
        kh, kw = pair(kernel, "kernel")
        return kh >= self.inputs[0][1] and kw >= self.inputs[0][2]

    @property
    def affine(self) -> bool:
        """A normalisation with a learnt scale and shift."""
        return bool(getattr(self.layer, "affine", True))


Rule = Callable[[Site], int]


def _zero(site: Site) -> int:
    return 0


def _global_or(window: Rule, whole: Rule) -> Rule:
    """A window pool priced as `window`, or as the global pool `whole` when
    its window covers the input."""
    return lambda s: whole(s) if s.covers_input else window(s)


def _lrn_as_torch(s: Site) -> int:
    """What ptflops and calflops see of F.local_response_norm on C x H x W:
    Tensor.mul twice and Tensor.add once over the input, and avg_pool3d over
    the channel-padded squares, (C + size - 1) x H x W elements."""
    size = getattr(s.layer, "size", 5)
    c, h, w = s.inputs[0]
    return 3 * s.out + (c + size - 1) * h * w


# A dropout keeps two tensors of its output's size: autonn's vl_nnmask mask
# and the vl_nndropout_wrapper output.
REFERENCE_KEPT: Mapping[str, int] = {"dropout": 2}


@dataclass(frozen=True)
class Convention:
    name: str
    description: str
    rules: Mapping[str, Rule]  # one row per `counts_as` rule
    kinds: Mapping[str, Rule] = field(default_factory=dict)  # a kind priced unlike its rule
    unit: str = "FLOPs"  # what one count is: "FLOPs" (a multiply-add is 2) or "MACs"
    source: str = ""  # where the rules were read
    counts_buffers: bool = True  # parameter counts include BN running statistics
    inplace_is_free: bool = True  # an in-place layer's output adds no feature memory
    # feature arrays a layer's output counts as, by kind or rule (default 1);
    # every profile keeps the reference's memory accounting unless it says otherwise
    kept: Mapping[str, int] = field(default_factory=lambda: dict(REFERENCE_KEPT))
    # each rule written out for people (`archspec explain`), in the names of
    # `Site`'s properties; tests/test_explain.py checks each equals its rule
    formulas: Mapping[str, str] = field(default_factory=dict)

    def outputs_kept(self, layer: Layer) -> int:
        """How many output-sized arrays the layer's output counts as in feature memory."""
        return self.kept.get(layer.kind, self.kept.get(layer.counts_as, 1))

    def rule(self, layer: Layer) -> Rule:
        return self.kinds.get(layer.kind) or self.rules[layer.counts_as]

    def flops(self, site: Site) -> int:
        return self.rule(site.layer)(site)


# Rules no peer tool prices for the PyTorch equivalent of the layer: the
# operator forms `a + b`, `x * g`, torch.cat, views, F.normalize, torch.max,
# dropout at inference, and detector post-processing (torchvision.ops).
# A new rule goes here when no peer counts its PyTorch equivalent; otherwise
# it gets a row in each `_table(...)` below (docs/conventions.md, one row more).
_UNPRICED = ("sum", "scale", "axpy", "max", "concat", "reshape", "flatten", "permute",
             "crop", "dropout", "sigmoid", "l2norm", "priorbox", "proposal", "roipool",
             "psroipool", "detection_output")


def _table(**rows: Rule) -> dict[str, Rule]:
    """A peer table: the rows given, every other known rule unpriced."""
    table: dict[str, Rule] = {rule: _zero for rule in _UNPRICED}
    table.update(rows)
    return table


BURDEN = Convention(
    name="burden",
    description="the reference table's rules (convnet-burden core/burden.m); "
                "a fused multiply-add is one FLOP",
    source="albanie/convnet-burden core/burden.m",
    unit="FLOPs (multiply-add = 1)",
    kept=REFERENCE_KEPT,
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
    formulas={
        "conv": "macs + bias", "deconv": "macs + bias", "relu": "2 * out",
        "pool": "2 * out * stride_area", "global_pool": "inp", "sum": "out", "scale": "out",
        "axpy": "2 * out", "max": "out * n_inputs", "lrn": "out + (2 + 2 * C) * H * W",
        "l2norm": "out + (2 + 2 * C) * H * W", "interp": "4 * out",
    },
)

MACS = Convention(
    name="macs",
    description="multiply-accumulates of convolution, transposed convolution and "
                "fully-connected layers, no bias (torchvision's published figures)",
    source="pytorch/vision docs (GFLOPS column = MACs); torchvision/models/*.py",
    unit="MACs",
    counts_buffers=False,
    rules={rule: (lambda s: s.macs) if rule in ("conv", "deconv") else _zero
           for rule in BURDEN.rules},
    formulas={"conv": "macs", "deconv": "macs"},
)

FLOPS = Convention(
    name="flops",
    description="torch.utils.flop_counter.FlopCounterMode: 2 FLOPs per multiply-add of "
                "convolution (aten.convolution) and matrix products (aten.addmm/mm); "
                "bias and every other op uncounted",
    source="pytorch/pytorch torch/utils/flop_counter.py",
    counts_buffers=False,
    rules={rule: (lambda s: 2 * s.macs) if rule in ("conv", "deconv") else _zero
           for rule in BURDEN.rules},
    formulas={"conv": "2 * macs", "deconv": "2 * macs"},
)

FVCORE = Convention(
    name="fvcore",
    description="fvcore FlopCountAnalysis (a multiply-add is one flop): conv and linear "
                "MACs without bias; eval batch norm 2 per element (1 without affine); "
                "adaptive_avg_pool2d 1 per input element; bilinear upsampling 4 per output; "
                "ReLU, max/avg_pool2d, add, mul, softmax, cat: ignored or unsupported (0)",
    source="facebookresearch/fvcore fvcore/nn/flop_count.py, jit_handles.py, jit_analysis.py",
    unit="MACs",
    counts_buffers=False,
    rules=_table(
        conv=lambda s: s.macs,  # conv_flop_jit and linear_flop_jit: no bias
        deconv=lambda s: s.macs,  # transposed: input positions x prod(weight shape)
        relu=_zero,  # aten::relu_ is in _IGNORED_OPS
        pool=_global_or(_zero, lambda s: s.inp),  # max_pool2d ignored; avg_pool2d has no handle
        global_pool=lambda s: s.inp,  # aten::adaptive_avg_pool2d: elementwise_flop_counter(1, 0)
        bn=lambda s: (2 if s.affine else 1) * s.inp,  # batchnorm_flop_jit, eval mode
        lrn=_zero,  # mul/pow/div/avg_pool3d: no handles
        interp=lambda s: 4 * s.out,  # aten::upsample_bilinear2d: elementwise_flop_counter(0, 4)
        softmax=_zero,
    ),
    kinds={"gmaxpool": _zero,  # adaptive_max_pool2d has no handle
           "maxpool": _zero},
)

PTFLOPS = Convention(
    name="ptflops",
    description="ptflops, pytorch backend (MACs): conv and linear with bias; BN 2 per element; "
                "ReLU and every pooling counted twice (the module hook and the patched "
                "torch.nn.functional call inside its forward); softmax 1 per element; "
                "`+`, `*`, cat, sigmoid uncounted",
    source="sovrasov/flops-counter.pytorch ptflops/pytorch_ops.py, pytorch_engine.py",
    unit="MACs",
    counts_buffers=False,
    rules=_table(
        conv=lambda s: s.macs + s.bias,  # conv_flops_counter_hook, linear_flops_counter_hook
        deconv=lambda s: s.macs + s.bias,  # the conv hook with transpose=True
        relu=lambda s: 2 * s.out,  # relu_flops_counter_hook + patched F.relu
        pool=lambda s: 2 * s.inp,  # pool_flops_counter_hook + patched F.*pool*: input elements
        global_pool=lambda s: 2 * s.inp,  # Adaptive*Pool2d, likewise
        bn=lambda s: (2 if s.affine else 1) * s.inp,  # bn_flops_counter_hook
        lrn=_lrn_as_torch,  # no module hook; its functional internals are patched
        interp=lambda s: s.out,  # F.interpolate(size=...): prod(size) x N x C
        softmax=lambda s: s.out,  # patched F.softmax (nn.Softmax has no module hook)
    ),
)

THOP = Convention(
    name="thop",
    description="thop profile (MACs): conv and linear without bias; BN 4 per element "
                "(2 without affine); ReLU and max pooling 0; avg pooling 1 per output, "
                "adaptive avg pooling (window area + 1) per output; softmax 3C - 1 per position",
    source="Lyken17/pytorch-OpCounter thop/profile.py, thop/vision/basic_hooks.py, calc_func.py",
    unit="MACs",
    counts_buffers=False,
    rules=_table(
        conv=lambda s: s.macs,  # calculate_conv2d_flops ignores the bias; count_linear too
        # count_convNd on a ConvTranspose: output elements x in_channels / groups x kernel area
        deconv=lambda s: s.out * (s.inputs[0][0] // getattr(s.layer, "groups", 1))
        * prod(pair(getattr(s.layer, "kernel", 1), "kernel")),
        relu=_zero,  # nn.ReLU: zero_ops
        pool=_global_or(lambda s: s.out, lambda s: (s.inputs[0][1] * s.inputs[0][2] + 1) * s.out),
        global_pool=lambda s: (s.inputs[0][1] * s.inputs[0][2] + 1) * s.out,  # count_adap_avgpool
        bn=lambda s: (4 if s.affine else 2) * s.inp,  # calculate_norm (2n), doubled when affine
        lrn=_zero,  # nn.LocalResponseNorm has no hook
        interp=_zero,  # F.interpolate is not a module
        softmax=lambda s: s.area * (3 * s.output[0] - 1),  # count_softmax over channels
    ),
    kinds={"maxpool": _zero, "gmaxpool": _zero},  # MaxPool / AdaptiveMaxPool: zero_ops
)


def _calflops_deconv(s: Site) -> int:
    """calflops' _conv_trans_flops_compute, as written: its output channels are
    the weight's second axis (out / groups) and are divided by the groups once
    more; the bias is priced over output positions computed with the
    *convolution* formula, (in + 2 pad - kernel) // stride + 1."""
    c, h, w = s.inputs[0]
    groups = getattr(s.layer, "groups", 1)
    kh, kw = pair(getattr(s.layer, "kernel", 1), "kernel")
    out_channels = s.output[0] // groups  # weight.shape[1]
    macs = kh * kw * c * (out_channels // groups) * h * w
    if not s.layer.has_bias():
        return 2 * macs
    sh, sw = pair(getattr(s.layer, "stride", 1), "stride")
    pad = getattr(s.layer, "pad", 0)
    ph, pw = (pad, pad) if isinstance(pad, int) else (pad[0], pad[-2] if len(pad) == 4 else pad[1])
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    return 2 * macs + out_channels * max(oh, 0) * max(ow, 0)


CALFLOPS = Convention(
    name="calflops",
    description="calflops calculate_flops (FLOPs, a multiply-add is 2): conv 2 x MACs + bias, "
                "linear 2 x MACs without bias; eval BN 2 per element; ReLU, softmax and every "
                "pooling 1 per element (of its input for pools); `+`, `*`, cat uncounted",
    source="MrYxJ/calculate-flops.pytorch calflops/pytorch_ops.py",
    counts_buffers=False,
    rules=_table(
        conv=lambda s: 2 * s.macs + s.bias,  # _conv_flops_compute
        deconv=_calflops_deconv,
        relu=lambda s: s.out,  # _relu_flops_compute
        pool=lambda s: s.inp,  # _pool_flops_compute: input elements
        global_pool=lambda s: s.inp,
        bn=lambda s: (2 if s.affine else 1) * s.inp,  # _batch_norm_flops_compute, eval
        lrn=_lrn_as_torch,
        interp=lambda s: s.area,  # _upsample_flops_compute(size=...): prod(size) only
        softmax=lambda s: s.out,
    ),
    kinds={"fc": lambda s: 2 * s.macs},  # _linear_flops_compute drops the bias
)

CONVENTIONS: dict[str, Convention] = {
    c.name: c for c in (BURDEN, MACS, FLOPS, FVCORE, PTFLOPS, THOP, CALFLOPS)}


def get(name: str) -> Convention:
    from .errors import ArchError, suggest

    if name not in CONVENTIONS:
        raise ArchError(f"unknown convention '{name}'; known: {', '.join(CONVENTIONS)}",
                        hint=suggest(name, CONVENTIONS))
    return CONVENTIONS[name]
