"""How each tensor of a spec is laid out in a framework (ONNX, PyTorch).

archspec holds every tensor as C x H x W (a token sequence as D x N x 1).
A framework holds it with a batch axis in one of four forms:

    nchw   (N, C, H, W)  an image, channels first
    nhwc   (N, H, W, C)  an image, channels last (as ConvNeXt runs its LayerNorm and Linear)
    nc     (N, C)        a vector (C x 1 x 1): after a flatten, before a Linear
    nlc    (N, L, D)     a token sequence of L tokens of D features
    nmlc   (N, M, L, D)  M sequences of L tokens each (Swin's and MaxViT's windows;
                         the PyTorch export only, which holds M as rows x columns)

Each layer kind reads its inputs in some form and writes its output in one
(FORM_RULES, one rule per kind); `plan_forms` walks the graph and says, for
every node, the form of its output and the form each layer wants of each
input, so an exporter knows where to insert a transpose or a reshape.  The
rules prefer the form a person would write: a convolution on nchw, a Linear
on a flattened vector or on channels-last positions, a LayerNorm over the
last axis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..graph.layer_graph import Graph, Node
from ..kinds import REGISTRY, Shape
from ..kinds.shape import TOKENS

NCHW, NHWC, NC, NLC, NMLC = "nchw", "nhwc", "nc", "nlc", "nmlc"
FORMS = (NCHW, NHWC, NC, NLC, NMLC)


def framework_shape(shape: Shape, form: str) -> tuple[int, ...]:
    """The framework's shape of a tensor (batch left out) in a form."""
    c, h, w = shape
    if form == NCHW:
        return c, h, w
    if form == NHWC:
        return h, w, c
    if form == NC:
        return (c,)
    if form == NMLC:
        return w, h, c  # M sequences (held as W) of L tokens (held as H) of D features (held as C)
    return h, c  # nlc: L tokens (held as H) of D features (held as C)


def holds(shape: Shape, form: str) -> bool:
    """Whether a tensor of this shape can be held in a form (a vector needs
    H = W = 1, a token sequence W = 1)."""
    _, h, w = shape
    if form == NC:
        return h == 1 and w == 1
    if form == NLC:
        return w == 1
    return True


# ---- the rules ------------------------------------------------------------------

Rule = Callable[[Node, list[str], list[Shape]], tuple[list[str], str]]
"""(node, its inputs' forms, its inputs' shapes) -> (the forms it reads its inputs in, its output's form)."""


def spatial(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """Works on images channels first (convolution, pooling, resizing, ...)."""
    return [NCHW] * len(forms), NCHW


def keeps(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """Element by element or per channel in any form: keeps its input's."""
    return [forms[0]], forms[0]


def like_first(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """Combines tensors of one shape (add, concat, ...): all in the first one's form."""
    form = forms[0]
    return [form] * len(forms), form


def like_second(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """axpy(gate, x, residual): all in the form of x."""
    form = forms[1]
    return [form] * len(forms), form


def channels_last(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """Works over the last axis (LayerNorm, Linear): a vector, tokens or nhwc."""
    form = forms[0]
    if form == NCHW:
        form = NC if holds(shapes[0], NC) else NHWC
    return [form], form


def channels_first_or_vector(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """Batch norm: over axis 1 of nchw or of a vector."""
    form = forms[0] if forms[0] in (NCHW, NC) else NCHW
    return [form], form


def flattens(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """flatten: C x H x W in channel-first order (tokens as they lie) to a vector."""
    form = forms[0] if forms[0] in (NCHW, NC, NLC) else NCHW
    return [form], NC


def fully_connected(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """fc: a Linear (Gemm) on a flattened vector, else a convolution over nchw."""
    if forms[0] == NC:
        return [NC], NC
    return [NCHW], NCHW


def softmax(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """softmax over channels: any form; over H or W: nchw."""
    axis = getattr(node.layer, "axis", 0)
    form = forms[0] if axis == 0 else NCHW
    return [form], form


def natural(node: Node, forms: list[str], shapes: list[Shape]) -> tuple[list[str], str]:
    """Token and attention layers: token sequences as (N, L, D), images channels
    first; the output as its layout says."""
    reads = [NLC if form == NLC else NCHW for form in forms]
    return reads, NLC if node.layout == TOKENS else NCHW


def of_kinds(rule: Rule, *kinds: str) -> dict[str, Rule]:
    return dict.fromkeys(kinds, rule)


FORM_RULES: dict[str, Rule] = {
    **of_kinds(spatial, "conv", "deconv", "maxpool", "avgpool", "gavgpool", "gmaxpool", "adaptiveavgpool",
               "adaptivemaxpool", "lrn", "groupnorm", "instancenorm", "l2norm", "shuffle", "upsample",
               "pixelshuffle", "pixelunshuffle", "pad", "crop", "interp", "permute", "reshape", "priorbox",
               "proposal", "roipool", "psroipool", "detection_output", "opaque"),
    **of_kinds(keeps, "relu", "relu6", "sigmoid", "silu", "gelu", "hardswish", "hardsigmoid", "dropout",
               "droppath", "layerscale", "slice", "elu", "leaky_relu", "mish", "softplus", "tanh"),
    **of_kinds(natural, "attention", "classtoken", "concat_tokens", "embedding", "patchmerge", "pick", "posembed",
               "to_grid", "to_tokens", "tokenmean", "window", "unwindow"),
    **of_kinds(like_first, "add", "max", "mul", "concat"),
    **of_kinds(like_second, "axpy"),
    **of_kinds(channels_last, "layernorm", "rmsnorm", "linear"),
    **of_kinds(channels_first_or_vector, "bn", "prelu"),
    "flatten": flattens,
    "fc": fully_connected,
    "softmax": softmax,
}


@dataclass(slots=True)
class FormPlan:
    """Per node, the form of its output; per layer, the forms it reads its inputs in."""

    output: list[str]
    wanted: list[list[str]]


def input_form(node: Node) -> str:
    """A network input: a token sequence, a vector (`input 3`) or an image."""
    assert node.shape is not None
    if node.layout == TOKENS:
        return NLC
    return NC if node.shape[1:] == (1, 1) and node.fixed else NCHW


def plan_forms(graph: Graph, shapes: Sequence[Shape | None], rules: Mapping[str, Rule] | None = None) -> FormPlan:
    """The form of every node's output, and what each layer wants of its inputs
    (`rules`: a framework's own rules for some kinds, over FORM_RULES)."""
    outputs: list[str] = []
    wanted: list[list[str]] = []
    for node in graph.nodes:
        if node.layer is None:
            outputs.append(input_form(node))
            wanted.append([])
            continue
        rule = (rules or {}).get(node.kind) or FORM_RULES.get(node.kind)
        if rule is None:
            raise KeyError(f"no form rule for layer kind '{node.kind}'")
        in_forms = [outputs[j] for j in node.inputs]
        in_shapes = [shapes[j] for j in node.inputs]
        reads, form = rule(node, in_forms, in_shapes)  # type: ignore[arg-type]
        shape = shapes[len(outputs)]
        assert shape is not None
        if not holds(shape, form):  # e.g. a vector op whose output grew: fall back to nchw
            form = NCHW
        outputs.append(form)
        wanted.append(reads)
    return FormPlan(outputs, wanted)


def unruled_kinds() -> list[str]:
    """Registered kinds without a form rule (a test keeps this empty)."""
    return sorted(set(REGISTRY) - set(FORM_RULES))


__all__ = ["FORMS", "FORM_RULES", "NC", "NCHW", "NHWC", "NLC", "NMLC", "FormPlan", "Rule", "framework_shape", "holds",
           "plan_forms", "unruled_kinds"]
