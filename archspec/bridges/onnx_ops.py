"""Each layer kind as ONNX operators: one emitter per kind (ONNX_OPS), the
one place the ONNX export knows a kind.

An emitter gets an `Emit` site (the layer, its inputs already in the form it
wants them, their shapes and forms) and writes the operators through the
`OnnxWriter`.  Weights become named graph inputs of their full shape (the file
stays small and holds no numbers); fixed values the layer does not learn are
`Constant` nodes, so the importer tells the two apart.

Kinds no standard operator expresses -- the detection layers of the
reference zoo -- are written as operators of archspec's own domain
(`ai.archspec`), their arguments as attributes: Netron shows them, the
importer reads them back, and no runtime executes them (KIND_DOMAIN_REASON
says why each one is there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..kinds import Layer, Shape
from ..kinds.shape import padding, pair
from .layouts import NC, NCHW, NHWC, NLC

if TYPE_CHECKING:
    from .onnx_export import OnnxWriter

ARCHSPEC_DOMAIN = "ai.archspec"


@dataclass(slots=True)
class Emit:
    """One layer to write: its name, its inputs (ONNX value names, in the forms
    it reads them in), their archspec shapes and forms, and its output's."""

    name: str
    layer: Layer
    inputs: list[str]
    in_shapes: list[Shape]
    in_forms: list[str]
    out_shape: Shape
    out_form: str

    @property
    def arg(self) -> Any:
        return self.layer


Emitter = Callable[["OnnxWriter", Emit], str]


def channel_axis(form: str) -> int:
    """The channel axis of a form, counting the batch."""
    return {NCHW: 1, NHWC: 3, NC: 1, NLC: 2}[form]


def onnx_pads(pad: Any) -> list[int]:
    """archspec's (top, bottom, left, right) as ONNX's [top, left, bottom, right]."""
    top, bottom, left, right = padding(pad)
    return [top, left, bottom, right]


# ---- convolution, linear ---------------------------------------------------------

def emit_conv(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    kh, kw = layer.kernel_hw()
    cin = e.in_shapes[0][0]
    inputs = [e.inputs[0], w.weight(e.name, "weight", [layer.out, cin // layer.groups, kh, kw])]
    if layer.bias:
        inputs.append(w.weight(e.name, "bias", [layer.out]))
    return w.node("Conv", inputs, e.name, kernel_shape=[kh, kw], strides=list(layer.stride_hw()),
                  pads=onnx_pads(layer.pad), dilations=list(pair(layer.dilation, "dilation")), group=layer.groups)


def emit_deconv(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    kh, kw = layer.kernel_hw()
    cin = e.in_shapes[0][0]
    inputs = [e.inputs[0], w.weight(e.name, "weight", [cin, layer.out // layer.groups, kh, kw])]
    if layer.bias:
        inputs.append(w.weight(e.name, "bias", [layer.out]))
    return w.node("ConvTranspose", inputs, e.name, kernel_shape=[kh, kw], strides=list(layer.stride_hw()),
                  pads=onnx_pads(layer.pad), group=layer.groups, dilations=list(pair(layer.dilation, "dilation")),
                  output_padding=list(pair(layer.output_padding, "output_padding")))


def _gemm(w: OnnxWriter, e: Emit, out: int, bias: bool) -> str:
    inputs = [e.inputs[0], w.weight(e.name, "weight", [out, e.in_shapes[0][0]])]
    if bias:
        inputs.append(w.weight(e.name, "bias", [out]))
    return w.node("Gemm", inputs, e.name, transB=1)


def emit_fc(w: OnnxWriter, e: Emit) -> str:
    """On a flattened vector a Gemm; on an image a convolution whose kernel
    covers the reference input (MatConvNet's fully connected layer)."""
    layer: Any = e.layer
    if e.in_forms[0] == NC:
        return _gemm(w, e, layer.out, layer.bias)
    kh, kw = layer.kernel_hw(e.in_shapes)
    inputs = [e.inputs[0], w.weight(e.name, "weight", [layer.out, e.in_shapes[0][0], kh, kw])]
    if layer.bias:
        inputs.append(w.weight(e.name, "bias", [layer.out]))
    return w.node("Conv", inputs, e.name, kernel_shape=[kh, kw])


def emit_linear(w: OnnxWriter, e: Emit) -> str:
    """nn.Linear: a Gemm on a vector; on tokens or channels-last positions a
    MatMul with the (in, out) weight, plus the bias."""
    layer: Any = e.layer
    if e.in_forms[0] == NC:
        return _gemm(w, e, layer.out, layer.bias)
    weight = w.weight(e.name, "weight", [e.in_shapes[0][0], layer.out])
    if not layer.bias:
        return w.node("MatMul", [e.inputs[0], weight], e.name)
    product = w.node("MatMul", [e.inputs[0], weight], e.name + ":matmul")
    return w.node("Add", [product, w.weight(e.name, "bias", [layer.out])], e.name)


# ---- normalisation ---------------------------------------------------------------

def _scale_and_shift(w: OnnxWriter, e: Emit, channels: int, affine: bool, shift: bool = True) -> list[str]:
    if affine:
        arrays = [w.weight(e.name, "scale", [channels])]
        if shift:
            arrays.append(w.weight(e.name, "shift", [channels]))
        return arrays
    arrays = [w.fixed(e.name + ":ones", [1.0] * channels)]
    if shift:
        arrays.append(w.fixed(e.name + ":zeros", [0.0] * channels))
    return arrays


def emit_bn(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    c = e.in_shapes[0][0]
    inputs = [e.inputs[0], *_scale_and_shift(w, e, c, layer.affine),
              w.weight(e.name, "running_mean", [c]), w.weight(e.name, "running_var", [c])]
    return w.node("BatchNormalization", inputs, e.name, epsilon=float(layer.eps))


def emit_lrn(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    return w.node("LRN", [e.inputs[0]], e.name, size=layer.size, alpha=float(layer.alpha), beta=float(layer.beta),
                  bias=float(layer.k))


def emit_layernorm(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    arrays = _scale_and_shift(w, e, e.in_shapes[0][0], layer.affine, shift=layer.bias and layer.affine)
    return w.node("LayerNormalization", [e.inputs[0], *arrays], e.name, axis=-1, epsilon=float(layer.eps))


def emit_rmsnorm(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    arrays = _scale_and_shift(w, e, e.in_shapes[0][0], layer.affine, shift=False)
    if layer.eps is None:  # PyTorch's default, the dtype's epsilon
        return w.node("RMSNormalization", [e.inputs[0], *arrays], e.name, axis=-1)
    return w.node("RMSNormalization", [e.inputs[0], *arrays], e.name, axis=-1, epsilon=float(layer.eps))


def emit_groupnorm(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    arrays = _scale_and_shift(w, e, e.in_shapes[0][0], layer.affine)
    return w.node("GroupNormalization", [e.inputs[0], *arrays], e.name, num_groups=layer.groups,
                  epsilon=float(layer.eps))


def emit_instancenorm(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    arrays = _scale_and_shift(w, e, e.in_shapes[0][0], layer.affine)
    return w.node("InstanceNormalization", [e.inputs[0], *arrays], e.name, epsilon=float(layer.eps))


def emit_l2norm(w: OnnxWriter, e: Emit) -> str:
    """SSD's Normalize: an L2 normalisation over channels, then a learnt scale per channel."""
    layer: Any = e.layer
    unit = w.node("LpNormalization", [e.inputs[0]], e.name + ":unit", axis=1, p=2)
    scale = w.weight(e.name, "scale", [1 if layer.channel_shared else e.in_shapes[0][0], 1, 1])
    return w.node("Mul", [unit, scale], e.name)


def emit_layerscale(w: OnnxWriter, e: Emit) -> str:
    c = e.in_shapes[0][0]
    dims = [c, 1, 1] if e.in_forms[0] == NCHW else [c]
    return w.node("Mul", [e.inputs[0], w.weight(e.name, "scale", dims)], e.name)


# ---- element-wise ----------------------------------------------------------------

def simple(op: str) -> Emitter:
    def emit(w: OnnxWriter, e: Emit) -> str:
        return w.node(op, e.inputs, e.name)
    emit.__doc__ = f"one {op} node"
    return emit


def emit_relu6(w: OnnxWriter, e: Emit) -> str:
    return w.node("Clip", [e.inputs[0], w.constant(e.name + ":min", 0.0), w.constant(e.name + ":max", 6.0)],
                  e.name)


def emit_silu(w: OnnxWriter, e: Emit) -> str:
    gate = w.node("Sigmoid", [e.inputs[0]], e.name + ":sigmoid")
    return w.node("Mul", [e.inputs[0], gate], e.name)


def emit_gelu(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    return w.node("Gelu", [e.inputs[0]], e.name, approximate=layer.approximate)


def emit_elu(w: OnnxWriter, e: Emit) -> str:
    return w.node("Elu", [e.inputs[0]], e.name, alpha=float(e.layer.alpha))  # type: ignore[attr-defined]


def emit_leaky_relu(w: OnnxWriter, e: Emit) -> str:
    return w.node("LeakyRelu", [e.inputs[0]], e.name, alpha=float(e.layer.slope))  # type: ignore[attr-defined]


def emit_softplus(w: OnnxWriter, e: Emit) -> str:
    """ONNX's Softplus is log(1 + exp(x)): PyTorch's with beta 1 (its
    threshold only switches to x where the two agree in float)."""
    layer: Any = e.layer
    if layer.beta == 1:
        return w.node("Softplus", [e.inputs[0]], e.name)
    return w.node("Softplus", e.inputs, e.name, domain=ARCHSPEC_DOMAIN, beta=float(layer.beta),
                  threshold=float(layer.threshold))


def emit_prelu(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    c = e.in_shapes[0][0] if layer.per_channel else 1
    dims = [c, 1, 1] if e.in_forms[0] == NCHW else [c]
    return w.node("PRelu", [e.inputs[0], w.weight(e.name, "slope", dims)], e.name)


def emit_hardsigmoid(w: OnnxWriter, e: Emit) -> str:
    return w.node("HardSigmoid", [e.inputs[0]], e.name, alpha=1 / 6, beta=0.5)  # relu6(x + 3) / 6


def emit_softmax(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    axis = channel_axis(e.in_forms[0]) if layer.axis == 0 else 1 + layer.axis
    return w.node("Softmax", [e.inputs[0]], e.name, axis=axis)


def emit_dropout(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    return w.node("Dropout", [e.inputs[0], w.constant(e.name + ":ratio", float(layer.p))], e.name)


def emit_identity(w: OnnxWriter, e: Emit) -> str:
    """droppath: the identity at inference."""
    return w.node("Identity", [e.inputs[0]], e.name)


def emit_add(w: OnnxWriter, e: Emit) -> str:
    return w.node("Add" if len(e.inputs) == 2 else "Sum", e.inputs, e.name)


def emit_max(w: OnnxWriter, e: Emit) -> str:
    return w.node("Max", e.inputs, e.name)


def emit_axpy(w: OnnxWriter, e: Emit) -> str:
    """gate .* x + residual."""
    gate, x, residual = e.inputs
    scaled = w.node("Mul", [gate, x], e.name + ":scaled")
    return w.node("Add", [scaled, residual], e.name)


def emit_concat(w: OnnxWriter, e: Emit) -> str:
    return w.node("Concat", e.inputs, e.name, axis=channel_axis(e.in_forms[0]))


# ---- pooling ---------------------------------------------------------------------

def _window(op: str) -> Emitter:
    def emit(w: OnnxWriter, e: Emit) -> str:
        layer: Any = e.layer
        kernel = list(pair(layer.kernel, "kernel"))
        attrs: dict[str, Any] = {"kernel_shape": kernel, "strides": list(layer.strides()),
                                 "pads": onnx_pads(layer.pad), "ceil_mode": int(layer.ceil)}
        if op == "AveragePool":
            attrs["count_include_pad"] = 1
        else:
            attrs["dilations"] = list(pair(layer.dilation, "dilation"))
        return w.node(op, [e.inputs[0]], e.name, **attrs)
    emit.__doc__ = f"{op} with kernel, strides, pads and ceil mode"
    return emit


def _adaptive(op: str) -> Emitter:
    def emit(w: OnnxWriter, e: Emit) -> str:
        """A global pool when the output is 1 x 1; a plain pool when the windows
        tile the input; else archspec's own operator."""
        layer: Any = e.layer
        _, h, wd = e.in_shapes[0]
        oh, ow = pair(layer.size, "size")
        if (oh, ow) == (1, 1):
            return w.node("Global" + op, [e.inputs[0]], e.name)
        if h % oh == 0 and wd % ow == 0:
            kernel = [h // oh, wd // ow]
            return w.node(op, [e.inputs[0]], e.name, kernel_shape=kernel, strides=kernel)
        return w.node("Adaptive" + op, [e.inputs[0]], e.name, domain=ARCHSPEC_DOMAIN, output_size=[oh, ow])
    return emit


# ---- resizing, rearranging -------------------------------------------------------

def _spatial_size_of(w: OnnxWriter, ref: str, name: str) -> str:
    """H and W of a tensor as a 2-vector, computed in the graph (Shape, Slice)."""
    shape = w.node("Shape", [ref], name + ":ref_shape")
    return w.node("Slice", [shape, w.constant(name + ":from", [2]), w.constant(name + ":to", [4])],
                  name + ":ref_size")


def emit_upsample(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    mode = "nearest" if layer.mode == "nearest" else "linear"
    attrs: dict[str, Any] = {"mode": mode, "axes": [2, 3], "coordinate_transformation_mode":
                             "asymmetric" if mode == "nearest" else "half_pixel"}
    if mode == "nearest":
        attrs["nearest_mode"] = "floor"
    if len(e.inputs) == 2:
        size = _spatial_size_of(w, e.inputs[1], e.name)
        return w.node("Resize", [e.inputs[0], "", "", size], e.name, **attrs)
    sh, sw = layer.scales()
    scales = w.constant(e.name + ":scales", [float(sh), float(sw)])
    return w.node("Resize", [e.inputs[0], "", scales], e.name, **attrs)


def emit_interp(w: OnnxWriter, e: Emit) -> str:
    """vl_nninterp's bilinear resize: to the size its rule gives at this input
    (a constant), or to a reference tensor's size."""
    attrs: dict[str, Any] = {"mode": "linear", "axes": [2, 3], "coordinate_transformation_mode": "align_corners"}
    if len(e.inputs) == 2:
        size = _spatial_size_of(w, e.inputs[1], e.name)
    else:
        size = w.constant(e.name + ":size", [e.out_shape[1], e.out_shape[2]])
    return w.node("Resize", [e.inputs[0], "", "", size], e.name, **attrs)


def emit_crop(w: OnnxWriter, e: Emit) -> str:
    """Caffe's crop to a reference tensor: a Slice starting at the offsets
    (as cut at this size) and ending the reference's H x W later."""
    layer: Any = e.layer
    (_, h, wd), (_, rh, rw) = e.in_shapes
    oy, ox = pair(layer.offset, "offset")
    start = [min(oy, h - rh), min(ox, wd - rw)]
    begin = w.constant(e.name + ":start", start)
    end = w.node("Add", [_spatial_size_of(w, e.inputs[1], e.name), begin], e.name + ":end")
    return w.node("Slice", [e.inputs[0], begin, end, w.constant(e.name + ":axes", [2, 3])], e.name)


def emit_pad(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    top, bottom, left, right = layer.sides()
    mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}[layer.mode]
    pads = w.constant(e.name + ":pads", [0, 0, top, left, 0, 0, bottom, right])
    return w.node("Pad", [e.inputs[0], pads], e.name, mode=mode)


def emit_flatten(w: OnnxWriter, e: Emit) -> str:
    return w.node("Flatten", [e.inputs[0]], e.name, axis=1)


def emit_permute(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    return w.node("Transpose", [e.inputs[0]], e.name, perm=[0] + [1 + a for a in layer.order])


def emit_reshape(w: OnnxWriter, e: Emit) -> str:
    """ONNX's Reshape has archspec's rule: 0 keeps a size, -1 is inferred."""
    layer: Any = e.layer
    target = w.constant(e.name + ":shape", [0, layer.c, layer.h, layer.w])
    return w.node("Reshape", [e.inputs[0], target], e.name)


def emit_shuffle(w: OnnxWriter, e: Emit) -> str:
    """ShuffleNet's channel shuffle as torchvision writes it: view as groups x
    C/groups, transpose, view back."""
    layer: Any = e.layer
    c, h, wd = e.in_shapes[0]
    g = layer.groups
    grouped = w.node("Reshape", [e.inputs[0], w.constant(e.name + ":grouped", [0, g, c // g, h, wd])],
                     e.name + ":grouped")
    swapped = w.node("Transpose", [grouped], e.name + ":swapped", perm=[0, 2, 1, 3, 4])
    return w.node("Reshape", [swapped, w.constant(e.name + ":back", [0, c, h, wd])], e.name)


def emit_slice(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    axis = channel_axis(e.in_forms[0])
    return w.node("Slice", [e.inputs[0], w.constant(e.name + ":start", [layer.start]),
                            w.constant(e.name + ":stop", [layer.stop]), w.constant(e.name + ":axis", [axis])],
                  e.name)


def emit_pixelshuffle(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    return w.node("DepthToSpace", [e.inputs[0]], e.name, blocksize=layer.factor, mode="CRD")


def emit_pixelunshuffle(w: OnnxWriter, e: Emit) -> str:
    layer: Any = e.layer
    return w.node("SpaceToDepth", [e.inputs[0]], e.name, blocksize=layer.factor)


# ---- archspec's own domain -------------------------------------------------------

def custom(op: str, *fields: str) -> Emitter:
    def emit(w: OnnxWriter, e: Emit) -> str:
        attrs: dict[str, Any] = {}
        for name in fields:
            value = getattr(e.layer, name)
            if value is None:  # an argument left to its rule (a head size from the width)
                continue
            if isinstance(value, bool):
                value = int(value)
            attrs[name] = list(pair(value, name)) if name == "size" and isinstance(value, tuple) else value
        # its learnt arrays as weight inputs, so a layer sharing them reads the same names
        layer: Any = e.layer
        site = layer.site(e.in_shapes)
        arrays = [w.weight(e.name, array, [layer.vocab, layer.dim] if op == "Embedding" else [formula(site)])
                  for array, formula in layer.learnable().items()]
        if arrays:
            attrs["weights"] = len(arrays)  # how many of its last inputs are weights, not data
        return w.node(op, [*e.inputs, *arrays], e.name, domain=ARCHSPEC_DOMAIN, **attrs)
    emit.__doc__ = f"{ARCHSPEC_DOMAIN}.{op}"
    return emit


ONNX_OPS: dict[str, Emitter] = {
    "conv": emit_conv, "deconv": emit_deconv, "fc": emit_fc, "linear": emit_linear,
    "bn": emit_bn, "lrn": emit_lrn, "layernorm": emit_layernorm, "rmsnorm": emit_rmsnorm,
    "groupnorm": emit_groupnorm, "instancenorm": emit_instancenorm, "l2norm": emit_l2norm,
    "layerscale": emit_layerscale,
    "relu": simple("Relu"), "relu6": emit_relu6, "sigmoid": simple("Sigmoid"), "silu": emit_silu,
    "gelu": emit_gelu, "hardswish": simple("HardSwish"), "hardsigmoid": emit_hardsigmoid,
    "softmax": emit_softmax, "dropout": emit_dropout, "droppath": emit_identity,
    "add": emit_add, "max": emit_max, "mul": simple("Mul"), "axpy": emit_axpy, "concat": emit_concat,
    "maxpool": _window("MaxPool"), "avgpool": _window("AveragePool"),
    "gavgpool": simple("GlobalAveragePool"), "gmaxpool": simple("GlobalMaxPool"),
    "adaptiveavgpool": _adaptive("AveragePool"), "adaptivemaxpool": _adaptive("MaxPool"),
    "upsample": emit_upsample, "interp": emit_interp, "crop": emit_crop, "pad": emit_pad,
    "flatten": emit_flatten, "permute": emit_permute, "reshape": emit_reshape, "shuffle": emit_shuffle,
    "slice": emit_slice, "pixelshuffle": emit_pixelshuffle, "pixelunshuffle": emit_pixelunshuffle,
    "priorbox": custom("PriorBox", "priors"),
    "proposal": custom("Proposal", "rois"),
    "roipool": custom("RoiPool", "size", "scale"),
    "psroipool": custom("PsRoiPool", "out", "size", "scale"),
    "detection_output": custom("DetectionOutput", "classes", "keep_top_k"),
    "opaque": custom("Opaque", "c", "h", "w", "op"),
    "elu": emit_elu, "leaky_relu": emit_leaky_relu, "mish": simple("Mish"), "tanh": simple("Tanh"),
    "softplus": emit_softplus, "prelu": emit_prelu,
    # token sequences and attention: archspec's own operators, arguments as attributes
    "attention": custom("Attention", "heads", "head_dim", "kv_heads", "qkv_bias", "out_bias", "fused", "causal",
                        "flash", "rel_pos", "cpb", "form"),
    "classtoken": custom("ClassToken", "count"),
    "concat_tokens": custom("ConcatTokens"),
    "embedding": custom("Embedding", "vocab", "dim"),
    "patchmerge": custom("PatchMerge"),
    "pick": custom("Pick", "index"),
    "posembed": custom("PositionEmbedding", "positions", "learned"),
    "to_grid": custom("ToGrid", "h", "w"),
    "to_tokens": custom("ToTokens"),
    "tokenmean": custom("TokenMean"),
    "window": custom("Window", "size", "shift", "grid", "pad"),
    "unwindow": custom("Unwindow", "shift"),
}

# Why a kind is written in archspec's domain rather than as standard operators.
KIND_DOMAIN_REASON = {
    "priorbox": "SSD's prior boxes: no ONNX operator makes them",
    "proposal": "Faster R-CNN's region proposals (anchors, NMS, a fixed count): no ONNX operator",
    "roipool": "regions laid side by side along the width (MatConvNet's layout), unlike MaxRoiPool's",
    "psroipool": "position-sensitive ROI pooling: no ONNX operator",
    "detection_output": "SSD's decoding and NMS to keep_top_k rows: no ONNX operator",
    "opaque": "an operator archspec imported without knowing it: written back as what it was, by name",
    "softplus": "only with beta other than 1 (ONNX's Softplus has none)",
    "attention": "written whole, with its weights' arrangement (heads, fused q/k/v, position bias) as attributes, "
                 "so it comes back as one layer; ONNX's own Attention takes the projections from outside",
    "classtoken": "a learnt token prepended: Concat with a parameter, kept whole to come back as one layer",
    "concat_tokens": "kept whole (a Concat along the token axis) to come back as one layer",
    "embedding": "a table lookup (Gather of a parameter), kept whole to come back as one layer",
    "patchmerge": "Swin's 2x2 patch merging (pad, strided slices, concat), kept whole",
    "pick": "one token (Gather along the tokens), kept whole",
    "posembed": "a positional embedding (Add of a parameter or a fixed table), kept whole",
    "to_grid": "tokens to an image (Transpose, Reshape), kept whole",
    "to_tokens": "an image to tokens (Reshape, Transpose), kept whole",
    "tokenmean": "mean over the tokens (ReduceMean), kept whole",
    "window": "Swin's windows (pad, roll, reshape, transpose), kept whole",
    "unwindow": "Swin's windows back to the image, kept whole",
    "adaptiveavgpool": "only when its windows do not tile the input (otherwise AveragePool)",
    "adaptivemaxpool": "only when its windows do not tile the input (otherwise MaxPool)",
}

__all__ = ["ARCHSPEC_DOMAIN", "KIND_DOMAIN_REASON", "ONNX_OPS", "Emit", "channel_axis", "onnx_pads"]
