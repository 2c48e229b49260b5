"""Each layer kind as PyTorch: one entry per kind (TORCH_MODULES), the one
place the PyTorch export knows a kind.

An entry turns a layer (with its input shapes and tensor forms, forms.py)
into either a module constructor -- `nn.Conv2d(64, 64, 3, padding=1,
bias=False)`, as a `Module` of plain values the exporter can turn into
parameters of a block's class -- or an expression written inline in
`forward` for the layers that hold nothing (`a + b`, `torch.cat(...)`).
Some kinds need a small helper class; HELPERS holds their code, written
into the generated file only when used.

Kinds with no PyTorch equivalent are in NO_TORCH with the reason; exporting
a spec that uses one is an error naming it, unless stand-ins are asked for:
modules that compute nothing and return zeros of the layer's output shape
(STAND_INS), so the rest of the network can still be built and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..kinds import Layer, Shape
from ..kinds.shape import padding, pair
from .layouts import FORM_RULES, NC, NCHW, NHWC, NLC, NMLC, Rule


@dataclass(slots=True)
class Module:
    """`constructor(*args, **kwargs)`; a value may be a nested Module."""

    constructor: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()  # helper classes it needs


@dataclass(slots=True)
class Inline:
    """An expression of the input variables, written in forward."""

    template: Callable[[list[str]], str]
    helpers: tuple[str, ...] = ()


@dataclass(slots=True)
class Site:
    layer: Any
    in_shapes: list[Shape]
    in_forms: list[str]
    out_shape: Shape
    out_form: str
    origin: Any = None  # unwindow: the window layer whose windows it undoes

    @property
    def cin(self) -> int:
        return self.in_shapes[0][0]


Entry = Callable[[Site], "Module | Inline"]


def _size(value: Any) -> Any:
    a, b = pair(value, "size")
    return a if a == b else (a, b)


def _torch_padding(pad: Any) -> tuple[Any, tuple[int, int, int, int] | None]:
    """archspec's pad as a torch `padding` (int or (ph, pw)), or None and the
    (left, right, top, bottom) of an explicit pad when the sides differ."""
    top, bottom, left, right = padding(pad)
    if top == bottom and left == right:
        return (top if top == left else (top, left)), None
    return 0, (left, right, top, bottom)


def conv(s: Site) -> Module:
    layer: Any = s.layer
    kh, kw = layer.kernel_hw()
    module = Module("nn.Conv2d", [s.cin, layer.out, kh if kh == kw else (kh, kw)])
    stride = _size(layer.stride)
    if stride != 1:
        module.kwargs["stride"] = stride
    pad, explicit = _torch_padding(layer.pad)
    if pad != 0:
        module.kwargs["padding"] = pad
    dilation = _size(layer.dilation)
    if dilation != 1:
        module.kwargs["dilation"] = dilation
    if layer.groups != 1:
        module.kwargs["groups"] = layer.groups
    if not layer.bias:
        module.kwargs["bias"] = False
    if explicit:  # Caffe's uneven padding: pad first, then convolve
        return Module("nn.Sequential", [Module("nn.ZeroPad2d", [explicit]), module])
    return module


def deconv(s: Site) -> Module:
    layer: Any = s.layer
    kh, kw = layer.kernel_hw()
    module = Module("nn.ConvTranspose2d", [s.cin, layer.out, kh if kh == kw else (kh, kw)])
    stride = _size(layer.stride)
    if stride != 1:
        module.kwargs["stride"] = stride
    pad, explicit = _torch_padding(layer.pad)
    if not explicit and pad != 0:
        module.kwargs["padding"] = pad
    extra = _size(layer.output_padding)
    if extra != 0:
        module.kwargs["output_padding"] = extra
    if layer.groups != 1:
        module.kwargs["groups"] = layer.groups
    if not layer.bias:
        module.kwargs["bias"] = False
    dilation = _size(layer.dilation)
    if dilation != 1:
        module.kwargs["dilation"] = dilation
    if explicit:  # Caffe's uneven crop: transpose unpadded, then cut the sides
        return Module("nn.Sequential", [module, Module("Trim", [explicit])], helpers=("Trim",))
    return module


def fully_connected(s: Site) -> Module:
    """MatConvNet's fc: a convolution whose kernel covers the reference input;
    on a flattened vector that is a Linear."""
    layer: Any = s.layer
    kwargs = {} if layer.bias else {"bias": False}
    if s.in_forms[0] == NC:
        return Module("nn.Linear", [s.cin, layer.out], kwargs)
    kh, kw = layer.kernel_hw(s.in_shapes)
    return Module("nn.Conv2d", [s.cin, layer.out, kh if kh == kw else (kh, kw)], kwargs)


def linear(s: Site) -> Module:
    layer: Any = s.layer
    return Module("nn.Linear", [s.cin, layer.out], {} if layer.bias else {"bias": False})


def batchnorm(s: Site) -> Module:
    layer: Any = s.layer
    kwargs: dict[str, Any] = {}
    if layer.eps != 1e-5:
        kwargs["eps"] = layer.eps
    if not layer.affine:
        kwargs["affine"] = False
    return Module("nn.BatchNorm1d" if s.in_forms[0] == NC else "nn.BatchNorm2d", [s.cin], kwargs)


def layernorm(s: Site) -> Module:
    layer: Any = s.layer
    kwargs: dict[str, Any] = {}
    if layer.eps != 1e-5:
        kwargs["eps"] = layer.eps
    if not layer.affine:
        kwargs["elementwise_affine"] = False
    elif not layer.bias:
        kwargs["bias"] = False
    return Module("nn.LayerNorm", [s.cin], kwargs)


def rmsnorm(s: Site) -> Module:
    layer: Any = s.layer
    kwargs: dict[str, Any] = {}
    if layer.eps is not None:
        kwargs["eps"] = layer.eps
    if not layer.affine:
        kwargs["elementwise_affine"] = False
    return Module("nn.RMSNorm", [s.cin], kwargs)


def groupnorm(s: Site) -> Module:
    layer: Any = s.layer
    kwargs: dict[str, Any] = {}
    if layer.eps != 1e-5:
        kwargs["eps"] = layer.eps
    if not layer.affine:
        kwargs["affine"] = False
    return Module("nn.GroupNorm", [layer.groups, s.cin], kwargs)


def instancenorm(s: Site) -> Module:
    layer: Any = s.layer
    kwargs: dict[str, Any] = {}
    if layer.eps != 1e-5:
        kwargs["eps"] = layer.eps
    if layer.affine:
        kwargs["affine"] = True
    return Module("nn.InstanceNorm2d", [s.cin], kwargs)


def lrn(s: Site) -> Module:
    layer: Any = s.layer
    return Module("nn.LocalResponseNorm", [layer.size], {"alpha": layer.alpha, "beta": layer.beta, "k": layer.k})


def plain(constructor: str, **kwargs: Any) -> Entry:
    return lambda s: Module(constructor, [], dict(kwargs))


def gelu(s: Site) -> Module:
    layer: Any = s.layer
    return Module("nn.GELU", [], {"approximate": layer.approximate} if layer.approximate != "none" else {})


def softmax(s: Site) -> Module:
    layer: Any = s.layer
    return Module("nn.Softmax", [], {"dim": form_axis(layer.axis, s.in_forms[0])})


def form_axis(axis: int, form: str) -> int:
    """archspec's axis (0 C, 1 H, 2 W) in a form, the batch counted."""
    return {NCHW: (1, 2, 3), NHWC: (3, 1, 2), NC: (1, 2, 3), NLC: (2, 1, 3), NMLC: (3, 2, 1)}[form][axis]


def dropout(s: Site) -> Module:
    return Module("nn.Dropout", [s.layer.p])


def droppath(s: Site) -> Module:
    return Module("DropPath", [s.layer.p], helpers=("DropPath",))


def layerscale(s: Site) -> Module:
    layer: Any = s.layer
    return Module("LayerScale", [s.cin, layer.init], {"channels_last": True} if s.in_forms[0] != NCHW else {},
                  helpers=("LayerScale",))


def l2norm(s: Site) -> Module:
    layer: Any = s.layer
    return Module("L2Norm", [1 if layer.channel_shared else s.cin], helpers=("L2Norm",))


def window(constructor: str) -> Entry:
    def entry(s: Site) -> Module:
        layer: Any = s.layer
        kernel = _size(layer.kernel)
        module = Module(constructor, [kernel])
        stride = _size(layer.strides())
        if stride != kernel:
            module.kwargs["stride"] = stride
        pad, explicit = _torch_padding(layer.pad)
        top, bottom, left, right = padding(layer.pad)
        kh, kw = pair(layer.kernel, "kernel")
        if explicit is None and (2 * top > kh or 2 * left > kw):  # torch allows at most half a window
            explicit = (left, right, top, bottom)
        if explicit is None and pad != 0:
            module.kwargs["padding"] = pad
        if layer.ceil:
            module.kwargs["ceil_mode"] = True
        dilation = _size(getattr(layer, "dilation", 1))
        if dilation != 1:
            module.kwargs["dilation"] = dilation
        if explicit:
            fill = -float("inf") if constructor == "nn.MaxPool2d" else 0.0
            return Module("nn.Sequential", [Module("nn.ConstantPad2d", [explicit, fill]), module])
        return module
    return entry


def adaptive(constructor: str) -> Entry:
    return lambda s: Module(constructor, [_size(s.layer.size)])


def upsample(s: Site) -> Module | Inline:
    layer: Any = s.layer
    mode = {"mode": "bilinear"} if layer.mode == "bilinear" else {}
    if len(s.in_shapes) == 2:
        extra = ", mode=\"bilinear\"" if mode else ""
        return Inline(lambda v: f"F.interpolate({v[0]}, size={v[1]}.shape[-2:]{extra})")
    sh, sw = layer.scales()
    scale = float(sh) if sh == sw else (float(sh), float(sw))
    return Module("nn.Upsample", [], {"scale_factor": scale, **mode})


def interp(s: Site) -> Module | Inline:
    layer: Any = s.layer
    if len(s.in_shapes) == 2:
        return Inline(lambda v: f"F.interpolate({v[0]}, size={v[1]}.shape[-2:], mode=\"bilinear\", "
                                "align_corners=True)")
    return Module("Interp", [], {"zoom": layer.zoom, "shrink": layer.shrink, "pad_beg": layer.pad_beg,
                                 "pad_end": layer.pad_end}, helpers=("Interp",))


def pad(s: Site) -> Module:
    layer: Any = s.layer
    top, bottom, left, right = layer.sides()
    sides = (left, right, top, bottom)
    if layer.mode == "zeros":
        return Module("nn.ZeroPad2d", [sides])
    return Module("nn.ReflectionPad2d" if layer.mode == "reflect" else "nn.ReplicationPad2d", [sides])


def crop(s: Site) -> Inline:
    layer: Any = s.layer
    oy, ox = pair(layer.offset, "offset")
    return Inline(lambda v: f"crop({v[0]}, {v[1]}, ({oy}, {ox}))", helpers=("crop",))


def flatten(s: Site) -> Module:
    return Module("nn.Flatten")


def permute(s: Site) -> Module:
    order = tuple(0 if a == 0 else a for a in s.layer.order)
    return Module("Permute", [order], helpers=("Permute",))


def reshape(s: Site) -> Module:
    layer: Any = s.layer
    return Module("Reshape", [layer.c, layer.h, layer.w], helpers=("Reshape",))


def shuffle(s: Site) -> Module:
    return Module("ChannelShuffle", [s.layer.groups], helpers=("ChannelShuffle",))


def slice_(s: Site) -> Inline:
    layer: Any = s.layer
    start, stop = layer.start, layer.stop
    if s.in_forms[0] in (NCHW, NC):
        return Inline(lambda v: f"{v[0]}[:, {start}:{stop}]")
    return Inline(lambda v: f"{v[0]}[..., {start}:{stop}]")


def pixel(constructor: str) -> Entry:
    return lambda s: Module(constructor, [s.layer.factor])


def concat(s: Site) -> Inline:
    dim = form_axis(0, s.in_forms[0])
    return Inline(lambda v: f"torch.cat([{', '.join(v)}], {dim})")


def add(s: Site) -> Inline:
    return Inline(lambda v: " + ".join(v))


def maximum(s: Site) -> Inline:
    def text(v: list[str]) -> str:
        out = v[0]
        for other in v[1:]:
            out = f"torch.maximum({out}, {other})"
        return out
    return Inline(text)


def mul(s: Site) -> Inline:
    return Inline(lambda v: f"{v[0]} * {v[1]}")


def axpy(s: Site) -> Inline:
    return Inline(lambda v: f"{v[0]} * {v[1]} + {v[2]}")


def prelu(s: Site) -> Module:
    layer: Any = s.layer
    return Module("nn.PReLU", [], {"num_parameters": s.cin if layer.per_channel else 1, "init": layer.init})


# ---- token sequences and attention ---------------------------------------------------
# A sequence is (N, L, D) (nlc), Swin's and MaxViT's windows (N, rows, columns, L, D)
# (nmlc: M = rows x columns sequences): the per-token layers (Linear, LayerNorm,
# attention) act on the last axis of either.

def to_tokens(s: Site) -> Inline:
    if s.in_forms[0] == NHWC:
        return Inline(lambda v: f"{v[0]}.flatten(1, 2)")
    return Inline(lambda v: f"{v[0]}.flatten(2).transpose(1, 2)")


def to_grid(s: Site) -> Inline:
    layer: Any = s.layer
    if len(s.in_shapes) == 2:
        side = "shape[1:3]" if s.in_forms[1] == NHWC else "shape[-2:]"
        return Inline(lambda v: f"{v[0]}.transpose(1, 2).unflatten(2, {v[1]}.{side})")
    return Inline(lambda v: f"{v[0]}.transpose(1, 2).unflatten(2, ({layer.h}, {layer.w}))")


def classtoken(s: Site) -> Module:
    layer: Any = s.layer
    return Module("ClassToken", [s.cin], {"count": layer.count}, helpers=("ClassToken",))


def posembed(s: Site) -> Module:
    layer: Any = s.layer
    if not layer.learned:
        return Module("SinusoidalPositions", helpers=("SinusoidalPositions",))
    # bound to the reference sequence (ViT's pos_embedding): that length only, as the broadcast add
    exact = bool(getattr(layer, "_exact", False))
    return Module("PositionEmbedding", [layer.positions, s.cin], {"exact": exact}, helpers=("PositionEmbedding",))


def embedding(s: Site) -> Module:
    layer: Any = s.layer
    return Module("TokenEmbedding", [layer.vocab, layer.dim], helpers=("TokenEmbedding",))


def concat_tokens(s: Site) -> Inline:
    return Inline(lambda v: f"torch.cat([{', '.join(v)}], -2)")


def tokenmean(s: Site) -> Inline:
    if s.in_forms[0] == NMLC:  # every token of every window
        return Inline(lambda v: f"{v[0]}.flatten(1, 3).mean(1)")
    return Inline(lambda v: f"{v[0]}.mean(1)")


def pick(s: Site) -> Inline:
    index = s.layer.index
    return Inline(lambda v: f"{v[0]}[:, {index}]")


def windows(s: Site) -> Module:
    layer: Any = s.layer
    return Module("Windows", [layer.size], {"shift": layer.shift, "grid": layer.grid, "pad": layer.pad,
                                            "channels_last": s.in_forms[0] == NHWC}, helpers=("Windows",))


def unwindow(s: Site) -> Module:
    layer: Any = s.layer
    grid = bool(s.origin is not None and s.origin.grid)
    return Module("Unwindow", [], {"shift": layer.shift, "grid": grid, "channels_last": s.in_forms[1] == NHWC},
                  helpers=("Unwindow",))


def patchmerge(s: Site) -> Module:
    return Module("PatchMerge", helpers=("PatchMerge",))


def attention(s: Site) -> Module:
    layer: Any = s.layer
    dim = s.cin
    kwargs: dict[str, Any] = {}
    head_dim = layer.head_size(dim)
    if head_dim * layer.heads != dim:
        kwargs["head_dim"] = head_dim
    if layer.kv_count() != layer.heads:
        kwargs["kv_heads"] = layer.kv_count()
    if len(s.in_shapes) == 2 and s.in_shapes[1][0] != dim:
        kwargs["kv_dim"] = s.in_shapes[1][0]
    kwargs.update(fused=layer.fused, qkv_bias=layer.qkv_bias, out_bias=layer.out_bias, causal=layer.causal,
                  flash=layer.flash, window=layer.rel_pos, dropout=layer.dropout)
    if layer.form == "swin_v2":
        kwargs["continuous_bias"] = layer.cpb
    if s.origin is not None and s.origin.shift:  # attending within shifted windows
        kwargs["shift"] = s.origin.shift
    return Module("Attention", [dim, layer.heads], kwargs, helpers=("Attention",))


def _tokens(form: str) -> str:
    return form if form in (NLC, NMLC) else NLC


def _image(form: str) -> str:
    return form if form in (NCHW, NHWC) else NCHW


def _rule(reads: Callable[[list[str]], list[str]], gives: Callable[[list[str]], str]) -> Rule:
    return lambda node, forms, shapes: (reads(forms), gives(forms))


# How the PyTorch export holds the token kinds' tensors (over layouts.FORM_RULES, which
# the ONNX export keeps): windows as (N, rows, columns, L, D), cut from an image in the form
# it has and restored to the form of the image they came from (Swin's maps are channels
# last, MaxViT's channels first), sequences as (N, L, D).
TORCH_FORM_RULES: dict[str, Rule] = {
    "to_tokens": _rule(lambda f: [_image(f[0])], lambda f: NLC),
    "to_grid": _rule(lambda f: [NLC, *(_image(x) for x in f[1:])], lambda f: NCHW),
    "classtoken": _rule(lambda f: [_tokens(f[0])], lambda f: _tokens(f[0])),
    "posembed": _rule(lambda f: [_tokens(f[0])], lambda f: _tokens(f[0])),
    "embedding": _rule(lambda f: [NLC], lambda f: NLC),
    "concat_tokens": _rule(lambda f: [_tokens(f[0])] * len(f), lambda f: _tokens(f[0])),
    "attention": _rule(lambda f: [_tokens(x) for x in f], lambda f: _tokens(f[0])),
    "tokenmean": _rule(lambda f: [_tokens(f[0])], lambda f: NC),
    "pick": _rule(lambda f: [NLC], lambda f: NC),
    "window": _rule(lambda f: [_image(f[0])], lambda f: NMLC),
    "unwindow": _rule(lambda f: [NMLC, _image(f[1])], lambda f: _image(f[1])),
    "patchmerge": _rule(lambda f: [NHWC], lambda f: NHWC),
}
assert set(TORCH_FORM_RULES) <= set(FORM_RULES)


TORCH_MODULES: dict[str, Entry] = {
    "elu": lambda s: Module("nn.ELU", [], {"alpha": s.layer.alpha}),
    "leaky_relu": lambda s: Module("nn.LeakyReLU", [s.layer.slope], {"inplace": True}),
    "mish": plain("nn.Mish"), "tanh": plain("nn.Tanh"), "prelu": prelu,
    "softplus": lambda s: Module("nn.Softplus", [], {"beta": s.layer.beta, "threshold": s.layer.threshold}),
    "conv": conv, "deconv": deconv, "fc": fully_connected, "linear": linear,
    "bn": batchnorm, "layernorm": layernorm, "rmsnorm": rmsnorm, "groupnorm": groupnorm,
    "instancenorm": instancenorm, "lrn": lrn, "l2norm": l2norm, "layerscale": layerscale,
    "relu": plain("nn.ReLU", inplace=True), "relu6": plain("nn.ReLU6", inplace=True),
    "sigmoid": plain("nn.Sigmoid"), "silu": plain("nn.SiLU", inplace=True), "gelu": gelu,
    "hardswish": plain("nn.Hardswish", inplace=True), "hardsigmoid": plain("nn.Hardsigmoid"),
    "softmax": softmax, "dropout": dropout, "droppath": droppath,
    "maxpool": window("nn.MaxPool2d"), "avgpool": window("nn.AvgPool2d"),
    "gavgpool": lambda s: Module("nn.AdaptiveAvgPool2d", [1]),
    "gmaxpool": lambda s: Module("nn.AdaptiveMaxPool2d", [1]),
    "adaptiveavgpool": adaptive("nn.AdaptiveAvgPool2d"), "adaptivemaxpool": adaptive("nn.AdaptiveMaxPool2d"),
    "upsample": upsample, "interp": interp, "pad": pad, "crop": crop,
    "flatten": flatten, "permute": permute, "reshape": reshape, "shuffle": shuffle, "slice": slice_,
    "pixelshuffle": pixel("nn.PixelShuffle"), "pixelunshuffle": pixel("nn.PixelUnshuffle"),
    "concat": concat, "add": add, "max": maximum, "mul": mul, "axpy": axpy,
    "to_tokens": to_tokens, "to_grid": to_grid, "classtoken": classtoken, "posembed": posembed,
    "embedding": embedding, "concat_tokens": concat_tokens, "tokenmean": tokenmean, "pick": pick,
    "window": windows, "unwindow": unwindow, "patchmerge": patchmerge, "attention": attention,
}

# Kinds PyTorch has no module for, and why.
NO_TORCH = {
    "priorbox": "SSD's prior boxes need the box sizes and aspect ratios, which the spec does not hold",
    "proposal": "region proposals need anchors, NMS thresholds and box decoding the spec does not hold",
    "roipool": "ROI pooling over MatConvNet's side-by-side region layout (torchvision.ops.roi_pool is not torch)",
    "psroipool": "position-sensitive ROI pooling (torchvision.ops.ps_roi_pool is not torch)",
    "detection_output": "SSD's decoding and NMS need thresholds and priors' variances the spec does not hold",
    "opaque": "an imported operator archspec has no kind for",
}
# Kinds a stand-in can take the place of: no weights, an output shape from a rule.
STAND_INS = {"priorbox", "proposal", "roipool", "psroipool", "detection_output", "opaque"}

def stand_in(s: Site) -> Module:
    """A module of the layer's output shape that computes nothing."""
    layer: Any = s.layer
    kind = layer.kind
    if kind == "priorbox":
        return Module("PriorBoxShape", [layer.priors], helpers=("stand-ins",))
    if kind == "proposal":
        return Module("ProposalShape", [layer.rois], helpers=("stand-ins",))
    if kind in ("roipool", "psroipool"):
        kh, kw = pair(layer.size, "size")
        channels = layer.out if kind == "psroipool" else None
        return Module("RoiPoolShape", [channels, kh, kw], helpers=("stand-ins",))
    if kind == "detection_output":
        return Module("DetectionShape", [layer.keep_top_k], helpers=("stand-ins",))
    return Module("FixedShape", [s.out_shape], helpers=("stand-ins",))


HELPERS: dict[str, str] = {
    "Chain": '''
class Chain(nn.Sequential):
    """Layers applied one after the other, named as in the spec."""

    def __init__(self, **layers: nn.Module) -> None:
        super().__init__(OrderedDict(layers))
''',
    "Permute": '''
class Permute(nn.Module):
    """Reorder the C, H, W axes (archspec's permute; the batch stays first)."""

    def __init__(self, order: tuple[int, int, int]) -> None:
        super().__init__()
        self.order = (0, *(1 + a for a in order))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.order)
''',
    "Reshape": '''
class Reshape(nn.Module):
    """Reshape to C x H x W: 0 keeps the input's size on that axis, -1 is inferred."""

    def __init__(self, c: int, h: int, w: int) -> None:
        super().__init__()
        self.dims = (c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = [x.shape[1 + i] if d == 0 else d for i, d in enumerate(self.dims)]
        return x.reshape(x.shape[0], *dims)
''',
    "ChannelShuffle": '''
class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: C as groups x C/groups, transposed."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)
''',
    "DropPath": '''
class DropPath(nn.Module):
    """Stochastic depth (row mode): the identity at inference."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)
''',
    "LayerScale": '''
class LayerScale(nn.Module):
    """A learnt scale per channel (ConvNeXt's layer scale)."""

    def __init__(self, channels: int, init: float, channels_last: bool = False) -> None:
        super().__init__()
        shape = (channels,) if channels_last else (channels, 1, 1)
        self.scale = nn.Parameter(torch.full(shape, init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale
''',
    "L2Norm": '''
class L2Norm(nn.Module):
    """SSD's Normalize: L2 normalisation across channels, then a learnt scale."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels, 1, 1), 20.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, dim=1) * self.scale
''',
    "Interp": '''
class Interp(nn.Module):
    """DeepLab's bilinear resize (vl_nninterp): per side round((n - 1)·zoom/shrink + 1)."""

    def __init__(self, zoom: int = 1, shrink: int = 1, pad_beg: int = 0, pad_end: int = 0) -> None:
        super().__init__()
        self.zoom, self.shrink, self.pad_beg, self.pad_end = zoom, shrink, pad_beg, pad_end

    def side(self, n: int) -> int:
        exact = Fraction(n + self.pad_beg + self.pad_end - 1) * self.zoom / self.shrink + 1
        return int(exact + Fraction(1, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = (self.side(x.shape[2]), self.side(x.shape[3]))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=True)
''',
    "Trim": '''
class Trim(nn.Module):
    """Cut (left, right, top, bottom) from a transposed convolution's output (Caffe's uneven crop)."""

    def __init__(self, sides: tuple[int, int, int, int]) -> None:
        super().__init__()
        self.sides = sides

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, top, bottom = self.sides
        return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]
''',
    "crop": '''
def crop(x: torch.Tensor, ref: torch.Tensor, offset: tuple[int, int]) -> torch.Tensor:
    """Caffe's crop of x to ref's height and width, starting at offset (less if x is too small for it)."""
    h, w = ref.shape[2], ref.shape[3]
    top = min(offset[0], x.shape[2] - h)
    left = min(offset[1], x.shape[3] - w)
    return x[:, :, top:top + h, left:left + w]
''',
    "TokenEmbedding": '''
class TokenEmbedding(nn.Embedding):
    """nn.Embedding reading token ids as archspec holds them: (N, L, 1)."""

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return super().forward(ids.squeeze(-1).long())
''',
    "ClassToken": '''
class ClassToken(nn.Module):
    """`count` learnt tokens prepended to every sequence (ViT's class token, register tokens)."""

    def __init__(self, dim: int, count: int = 1) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.zeros(count, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.token.expand(*x.shape[:-2], -1, -1), x], dim=-2)
''',
    "PositionEmbedding": '''
class PositionEmbedding(nn.Module):
    """A learnt table of positions added to the tokens: a sequence of L tokens uses the
    first L rows.  exact: the table fits one length only (ViT's pos_embedding, added by
    broadcasting)."""

    def __init__(self, positions: int, dim: int, exact: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(positions, dim))
        self.exact = exact

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length, positions = x.shape[-2], self.weight.shape[0]
        if length > positions or (self.exact and length != positions):
            raise ValueError(f"{length} tokens for a position table of {positions} rows")
        return x + self.weight[:length]
''',
    "SinusoidalPositions": '''
class SinusoidalPositions(nn.Module):
    """Fixed sine and cosine positions added to the tokens: no parameters, any length."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length, dim = x.shape[-2], x.shape[-1]
        position = torch.arange(length, dtype=x.dtype, device=x.device)[:, None]
        rate = torch.exp(torch.arange(0, dim, 2, dtype=x.dtype, device=x.device) * (-math.log(10000.0) / dim))
        table = x.new_zeros(length, dim)
        table[:, 0::2] = torch.sin(position * rate)
        table[:, 1::2] = torch.cos(position * rate)[:, :dim // 2]
        return x + table
''',
    "Windows": '''
class Windows(nn.Module):
    """An image (N, H, W, C) -- or (N, C, H, W) if not channels_last -- as windows
    of size x size tokens, (N, rows, columns, size², C):
    padded at the bottom and right to multiples of `size` (pad=False: the sides must be
    multiples), rolled by -shift first (not along a side that is one window, as torchvision
    does), then partitioned.  grid: MaxViT's grid partition, each window's tokens strided
    across the image."""

    def __init__(self, size: int, shift: int = 0, grid: bool = False, pad: bool = True,
                 channels_last: bool = True) -> None:
        super().__init__()
        self.size, self.shift, self.grid, self.pad = size, shift, grid, pad
        self.channels_last = channels_last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.channels_last:
            x = x.permute(0, 2, 3, 1)
        n, h, w, c = x.shape
        s = self.size
        if (self.grid or not self.pad) and (h % s or w % s):
            raise ValueError(f"a {h} x {w} map does not divide into {s} x {s} windows")
        x = F.pad(x, (0, 0, 0, -w % s, 0, -h % s))
        ph, pw = x.shape[1], x.shape[2]
        shift = (self.shift if ph > s else 0, self.shift if pw > s else 0)
        if any(shift):
            x = torch.roll(x, (-shift[0], -shift[1]), dims=(1, 2))
        if self.grid:
            x = x.view(n, s, ph // s, s, pw // s, c).permute(0, 2, 4, 1, 3, 5)
        else:
            x = x.view(n, ph // s, s, pw // s, s, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(n, ph // s, pw // s, s * s, c)
''',
    "Unwindow": '''
class Unwindow(nn.Module):
    """Windows (N, rows, columns, size², C) back to the image of ref's height and width,
    in ref's form (channels last or first): the partition undone, the shift rolled back,
    the padding cropped."""

    def __init__(self, shift: int = 0, grid: bool = False, channels_last: bool = True) -> None:
        super().__init__()
        self.shift, self.grid, self.channels_last = shift, grid, channels_last

    def forward(self, x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        n, rows, columns, tokens, c = x.shape
        s = math.isqrt(tokens)
        ph, pw = rows * s, columns * s
        x = x.view(n, rows, columns, s, s, c)
        x = x.permute(0, 3, 1, 4, 2, 5) if self.grid else x.permute(0, 1, 3, 2, 4, 5)
        x = x.reshape(n, ph, pw, c)
        shift = (self.shift if ph > s else 0, self.shift if pw > s else 0)
        if any(shift):
            x = torch.roll(x, shift, dims=(1, 2))
        if self.channels_last:
            return x[:, :ref.shape[1], :ref.shape[2]]
        return x[:, :ref.shape[2], :ref.shape[3]].permute(0, 3, 1, 2)
''',
    "PatchMerge": '''
class PatchMerge(nn.Module):
    """Swin's patch merging rearrangement of a channels-last image: sides padded to even,
    each 2 x 2 neighbourhood's four C-vectors concatenated, (N, H/2, W/2, 4C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (0, 0, 0, x.shape[2] % 2, 0, x.shape[1] % 2))
        return torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
''',
    "Attention": '''
class Attention(nn.Module):
    """Multi-head attention over (..., L, dim), holding exactly the spec's weights.

    q, k and v: one fused `qkv` Linear or three (`q`, `k`, `v`; keys and values of
    kv_dim for cross-attention), with or without biases; kv_heads < heads is
    grouped-query attention (1: multi-query), each key/value head serving
    heads // kv_heads query heads; `proj` maps the heads back to dim.  window: a
    relative position bias for window x window tokens, a learnt (2w-1)² x heads
    table read through an index buffer (Swin, MaxViT), or with continuous_bias
    Swin V2's MLP of that width and cosine attention; shift: the windows were
    rolled (Swin's shifted windows), so the scores between tokens the roll brought
    together from different regions are masked.  flash: PyTorch's fused kernel,
    the scores never held; otherwise they are materialised and softmaxed.
    dropout: on the probabilities, in training.
    """

    def __init__(self, dim: int, heads: int, head_dim: int | None = None, kv_heads: int | None = None,
                 kv_dim: int | None = None, fused: bool = True, qkv_bias: bool = True, out_bias: bool = True,
                 causal: bool = False, flash: bool = False, window: int | None = None,
                 continuous_bias: int | None = None, shift: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads or heads
        self.head_dim = head_dim or dim // heads
        self.causal, self.flash, self.window, self.shift = causal, flash, window, shift
        self.dropout = dropout
        self.inner, self.kv_inner = self.heads * self.head_dim, self.kv_heads * self.head_dim
        if fused:
            self.qkv = nn.Linear(dim, self.inner + 2 * self.kv_inner, bias=qkv_bias)
        else:
            self.q = nn.Linear(dim, self.inner, bias=qkv_bias)
            self.k = nn.Linear(kv_dim or dim, self.kv_inner, bias=qkv_bias)
            self.v = nn.Linear(kv_dim or dim, self.kv_inner, bias=qkv_bias)
        self.proj = nn.Linear(self.inner, dim, bias=out_bias)
        self.cosine = continuous_bias is not None
        if window is not None:
            side = 2 * window - 1
            # each pair of the window's tokens: their offset (dy, dx) as a row of the side² table
            yx = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
            offset = yx[:, :, None] - yx[:, None, :] + window - 1
            self.register_buffer("relative_position_index", (offset[0] * side + offset[1]).flatten())
            if continuous_bias is None:
                self.relative_position_bias_table = nn.Parameter(torch.zeros(side * side, heads))
            else:  # Swin V2: an MLP maps each log-spaced offset to a bias per head
                self.cpb_mlp = nn.Sequential(nn.Linear(2, continuous_bias), nn.ReLU(inplace=True),
                                             nn.Linear(continuous_bias, heads, bias=False))
                self.logit_scale = nn.Parameter(torch.log(10 * torch.ones(heads, 1, 1)))
                steps = torch.arange(-(window - 1), window, dtype=torch.float32) / max(window - 1, 1) * 8
                table = torch.stack(torch.meshgrid(steps, steps, indexing="ij"), dim=-1)
                self.register_buffer("relative_coords_table", torch.sign(table) * torch.log2(table.abs() + 1) / 3)

    def position_bias(self) -> torch.Tensor:
        """The bias added to every window's scores: (heads, w², w²)."""
        tokens = self.window * self.window
        if self.cosine:
            table = 16 * torch.sigmoid(self.cpb_mlp(self.relative_coords_table).view(-1, self.heads))
        else:
            table = self.relative_position_bias_table
        return table[self.relative_position_index].view(tokens, tokens, self.heads).permute(2, 0, 1)

    def shift_mask(self, rows: int, columns: int) -> torch.Tensor:
        """-100 between tokens of a window from different regions of the rolled map
        (torchvision's mask; no roll along a side that is one window): (rows, columns, 1, w², w²)."""
        w = self.window

        def regions(side: int) -> torch.Tensor:
            label = torch.zeros(side, dtype=torch.long)
            if side > w:
                label[side - w:side - self.shift] = 1
                label[side - self.shift:] = 2
            return label

        region = regions(rows * w)[:, None] * 3 + regions(columns * w)[None, :]
        region = region.view(rows, w, columns, w).transpose(1, 2).reshape(rows, columns, 1, w * w)
        return (region[..., :, None] != region[..., None, :]).float() * -100.0

    def split(self, t: torch.Tensor, heads: int) -> torch.Tensor:
        """(..., L, heads·head_dim) -> (..., heads, L, head_dim)."""
        return t.unflatten(-1, (heads, self.head_dim)).transpose(-3, -2)

    def forward(self, x: torch.Tensor, source: torch.Tensor | None = None) -> torch.Tensor:
        if hasattr(self, "qkv") and source is None:
            q, k, v = self.qkv(x).split([self.inner, self.kv_inner, self.kv_inner], dim=-1)
        elif hasattr(self, "qkv"):  # cross-attention with one fused weight: queries' rows, then keys' and values'
            weight, bias = self.qkv.weight, self.qkv.bias
            q = F.linear(x, weight[:self.inner], None if bias is None else bias[:self.inner])
            k, v = F.linear(source, weight[self.inner:], None if bias is None else bias[self.inner:]).chunk(2, -1)
        else:
            source = x if source is None else source
            q, k, v = self.q(x), self.k(source), self.v(source)
        q, k, v = self.split(q, self.heads), self.split(k, self.kv_heads), self.split(v, self.kv_heads)
        if self.kv_heads != self.heads:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=-3)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=-3)
        bias = self.position_bias() if self.window is not None else None
        if self.shift:  # x: (N, rows, columns, w², dim)
            mask = self.shift_mask(x.shape[1], x.shape[2]).to(x.device)
            bias = mask if bias is None else bias + mask
        if self.flash and not self.cosine:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, is_causal=self.causal,
                                                 dropout_p=self.dropout if self.training else 0.0)
        else:
            if self.cosine:
                scale = torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
                scores = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1) * scale
            else:
                scores = q @ k.transpose(-2, -1) * self.head_dim ** -0.5
            if bias is not None:
                scores = scores + bias
            if self.causal:
                later = torch.ones(scores.shape[-2:], dtype=torch.bool, device=x.device).triu(1)
                scores = scores.masked_fill(later, float("-inf"))
            out = F.dropout(scores.softmax(dim=-1), self.dropout, self.training) @ v
        return self.proj(out.transpose(-3, -2).flatten(-2))
''',
    "stand-ins": '''
# Stand-ins: archspec knows these layers' output shapes, not their arithmetic.
# Each returns zeros of that shape and holds nothing, so the network around
# them can be built and counted; they are not the real layers.

class PriorBoxShape(nn.Module):
    def __init__(self, priors: int) -> None:
        super().__init__()
        self.priors = priors

    def forward(self, x: torch.Tensor, *image: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(1, 4 * x.shape[2] * x.shape[3] * self.priors, 2, 1)


class ProposalShape(nn.Module):
    def __init__(self, rois: int) -> None:
        super().__init__()
        self.rois = rois

    def forward(self, scores: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        return scores.new_zeros(1, 5, 1, self.rois)


class RoiPoolShape(nn.Module):
    def __init__(self, channels: int | None, kh: int, kw: int) -> None:
        super().__init__()
        self.channels, self.kh, self.kw = channels, kh, kw

    def forward(self, x: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1] if self.channels is None else self.channels
        return x.new_zeros(x.shape[0], channels, self.kh, self.kw * rois.shape[3])


class DetectionShape(nn.Module):
    def __init__(self, keep_top_k: int) -> None:
        super().__init__()
        self.keep_top_k = keep_top_k

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return inputs[0].new_zeros(inputs[0].shape[0], 1, self.keep_top_k, 6)


class FixedShape(nn.Module):
    def __init__(self, shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return inputs[0].new_zeros(inputs[0].shape[0], *self.shape)
''',
}


def module_for(layer: Layer, in_shapes: list[Shape], in_forms: list[str], out_shape: Shape, out_form: str,
               stand_ins: bool, origin: Layer | None = None) -> Module | Inline | None:
    """The PyTorch form of a layer; None when it has none (and no stand-in was asked for)."""
    site = Site(layer, in_shapes, in_forms, out_shape, out_form, origin)
    entry = TORCH_MODULES.get(layer.kind)
    if entry is not None:
        return entry(site)
    if stand_ins and layer.kind in STAND_INS:
        return stand_in(site)
    return None


# Each constructor's default for the keyword arguments entries leave out, so
# one class can take them as parameters where its instances differ.
DEFAULTS: dict[str, dict[str, Any]] = {
    "nn.Conv2d": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True},
    "nn.ConvTranspose2d": {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True,
                           "dilation": 1},
    "nn.Linear": {"bias": True},
    "nn.BatchNorm2d": {"eps": 1e-5, "affine": True},
    "nn.BatchNorm1d": {"eps": 1e-5, "affine": True},
    "nn.LayerNorm": {"eps": 1e-5, "elementwise_affine": True, "bias": True},
    "nn.RMSNorm": {"eps": None, "elementwise_affine": True},
    "nn.GroupNorm": {"eps": 1e-5, "affine": True},
    "nn.InstanceNorm2d": {"eps": 1e-5, "affine": False},
    "nn.MaxPool2d": {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
    "nn.AvgPool2d": {"stride": None, "padding": 0, "ceil_mode": False},
    "nn.Upsample": {"mode": "nearest"},
    "nn.GELU": {"approximate": "none"},
    "LayerScale": {"channels_last": False},
    "ClassToken": {"count": 1},
    "PositionEmbedding": {"exact": False},
    "Windows": {"shift": 0, "grid": False, "pad": True, "channels_last": True},
    "Unwindow": {"shift": 0, "grid": False, "channels_last": True},
    "Attention": {"head_dim": None, "kv_heads": None, "kv_dim": None, "fused": True, "qkv_bias": True,
                  "out_bias": True, "causal": False, "flash": False, "window": None, "continuous_bias": None,
                  "shift": 0, "dropout": 0.0},
}

__all__ = ["DEFAULTS", "HELPERS", "NO_TORCH", "TORCH_FORM_RULES", "TORCH_MODULES", "Inline", "Module", "module_for"]
