"""An ONNX graph read as a network of archspec kinds (network.py).

Each ONNX value that carries data is tracked as an archspec tensor plus the
order its axes have in ONNX (`Value.axes`): a Transpose, Squeeze or
Unsqueeze only reorders or drops unit axes, so it makes no layer until a
layer needs the tensor channels-first (then a `permute` is made).  Values
computed from constants alone -- shapes, pads, scales, a head's reshape
target -- are folded to numbers as the graph is read.  Initializers and
graph inputs that feed weight slots are the weights: only their shapes are
read.

Operators map to kinds one handler each (HANDLERS); patterns of several
operators become one kind: Sigmoid·Mul of one tensor is SiLU, MatMul + Add
is a Linear with bias, LpNormalization·Mul is SSD's l2norm, a Reshape /
Transpose / Reshape channel shuffle is `shuffle`, a Slice or Resize sized by
another tensor's Shape is `crop` / `upsample(x, ref)`.  An operator with no
mapping is an error naming the node, its operator and its place in the
graph -- or, when asked, an `opaque` layer of the output shape the graph
declares, which counts nothing and is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np

from ..errors import ArchError
from ..kinds import REGISTRY, Shape
from .network import INPUT, LayerRefused, Network
from .onnx_ops import ARCHSPEC_DOMAIN

C, H, W = 0, 1, 2
Axes = tuple[int | None, ...]  # per ONNX axis after the batch: the archspec axis it holds, or None (a unit axis)


@dataclass(frozen=True, slots=True)
class Value:
    """An ONNX value that holds data: archspec tensor `tensor`, its axes as ONNX orders them."""

    tensor: int
    axes: Axes


@dataclass(frozen=True, slots=True)
class Pending:
    """A value half-way through a pattern (an LpNormalization waiting for its
    scale, a channel shuffle between its reshapes)."""

    what: str
    value: Value
    data: Any = None


@dataclass(frozen=True, slots=True)
class ShapeOf:
    """A constant that is (part of) the shape of a data value: `dims` of
    tensor `value`'s ONNX shape, plus `offset` (a Slice of it, an Add to it)."""

    value: Value
    dims: tuple[int, ...]
    offset: tuple[int, ...]


class Unsupported(Exception):
    """An operator (or an operator's use) with no archspec kind."""


class Reader:
    def __init__(self, model: Any, path: str, opaque: bool = False, size: tuple[int, int] | None = None) -> None:
        import onnx

        self.onnx = onnx
        self.model = model
        self.graph = model.graph
        self.path = path
        self.opaque = opaque
        self.size = size
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.net = Network()
        self.values: dict[str, Value | Pending] = {}
        self.constants: dict[str, np.ndarray] = {}
        self.learnable: set[str] = set()  # initializers and weight inputs (not Constant nodes)
        self.weight_dims: dict[str, tuple[int, ...]] = {}
        self.shape_of: dict[str, ShapeOf] = {}
        self.used_by: dict[int, list[int]] = {}  # weight-holding layer -> first user of its arrays
        self.weight_owner: dict[str, int] = {}
        self.declared: dict[str, tuple[Any, ...]] = {}
        self.readers: dict[str, int] = {}
        self.node_index = 0
        self.node: Any = None
        self.producer: dict[str, str] = {}  # value name -> the op that made it
        self.aliases: dict[str, str] = {}  # a weight's copy -> the weight
        self.transposed: dict[str, str] = {}  # a weight read transposed -> the weight

    # ---- errors --------------------------------------------------------------------
    def where(self, node: Any) -> str:
        label = node.name or (node.output[0] if node.output else "?")
        feeds = [n for n in node.input if n and n in self.values]
        after = f", reading {', '.join(repr(f) for f in feeds[:2])}" if feeds else ""
        domain = f"{node.domain}." if node.domain and node.domain != "ai.onnx" else ""
        return f"node {self.node_index + 1} of {len(self.graph.node)}, '{label}' ({domain}{node.op_type}{after})"

    def fail(self, message: str, node: Any = None) -> ArchError:
        node = node if node is not None else self.node
        return ArchError(f"{self.path}: {self.where(node)}: {message}")

    # ---- reading the graph ---------------------------------------------------------
    def read(self) -> Network:
        self.read_declared_shapes()
        self.read_initializers()
        weight_inputs = self.weight_inputs()
        for graph_input in self.graph.input:
            if graph_input.name in self.constants or graph_input.name in self.weight_dims:
                continue
            if graph_input.name in weight_inputs:
                self.weight_dims[graph_input.name] = self.static_dims(graph_input)
                self.learnable.add(graph_input.name)
                continue
            self.read_input(graph_input)
        for node in self.graph.node:
            for name in node.input:
                self.readers[name] = self.readers.get(name, 0) + 1
        for index, node in enumerate(self.graph.node):
            self.node_index, self.node = index, node
            self.read_node(node)
        for output in self.graph.output:
            value = self.values.get(output.name)
            if not isinstance(value, Value):
                raise ArchError(f"{self.path}: the graph output '{output.name}' is not a tensor archspec follows "
                                "(a constant, or a pattern left half-way)")
            # an image in C, H, W order; a vector or token sequence as it is
            self.net.outputs.append(self.canonical(value, output.name) if len(value.axes) == 3 else value.tensor)
        if not self.net.outputs:
            raise ArchError(f"{self.path}: the graph has no outputs")
        self.net.metadata = self.metadata()
        return self.net

    def read_declared_shapes(self) -> None:
        for info in list(self.graph.value_info) + list(self.graph.output) + list(self.graph.input):
            dims = info.type.tensor_type.shape.dim
            self.declared[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)

    def read_initializers(self) -> None:
        for init in self.graph.initializer:
            dims = tuple(int(d) for d in init.dims)
            self.weight_dims[init.name] = dims
            self.learnable.add(init.name)
            if prod(dims) <= 64 and init.data_location != self.onnx.TensorProto.EXTERNAL:
                self.constants[init.name] = self.onnx.numpy_helper.to_array(init)

    def weight_inputs(self) -> set[str]:
        """Graph inputs read only in the weight slots of operators (a model
        exported without its weights), directly or through a Transpose whose
        output is itself read only as a weight (a tied output layer)."""
        data_use: dict[str, bool] = {}
        for node in reversed(self.graph.node):
            weights = WEIGHT_SLOTS.get(node.op_type)
            if node.domain == ARCHSPEC_DOMAIN:  # its last `weights` inputs
                count = int(self.attr(node, "weights", 0))
                weights = set(range(len(node.input) - count, len(node.input)))
            if node.op_type == "Transpose" and node.output and not data_use.get(node.output[0], True):
                weights = {0}
            for slot, name in enumerate(node.input):
                is_weight = weights is not None and slot in weights
                data_use[name] = data_use.get(name, False) or not is_weight
        return {i.name for i in self.graph.input if i.name in data_use and not data_use[i.name]}

    def static_dims(self, info: Any) -> tuple[int, ...]:
        dims = info.type.tensor_type.shape.dim
        if not all(d.HasField("dim_value") for d in dims):
            raise ArchError(f"{self.path}: the weight input '{info.name}' has no fixed shape")
        return tuple(int(d.dim_value) for d in dims)

    def read_input(self, info: Any) -> None:
        dims = info.type.tensor_type.shape.dim
        if len(dims) not in (2, 3, 4):
            raise ArchError(f"{self.path}: the input '{info.name}' has {len(dims)} axes; archspec reads (N, C), "
                            "(N, L, D) token sequences and (N, C, H, W) images")
        known = [d.dim_value if d.HasField("dim_value") else None for d in dims][1:]
        name = info.name
        fixed = name in self.model_props().get("archspec.fixed_inputs", "").split(",")
        if len(known) == 3:
            c, h, w = known
            if h is None or w is None:
                if self.size is None:
                    raise ArchError(f"{self.path}: the input '{name}' has no fixed height and width; "
                                    "give the size to import at", argument="size")
                h, w = self.size
            if c is None:
                raise ArchError(f"{self.path}: the input '{name}' has no fixed channel count")
            index = self.net.add_input(name, (c, h, w), fixed=fixed)
            self.values[name] = Value(index, (C, H, W))
        elif len(known) == 2:
            length, d = known
            if d is None or length is None:
                raise ArchError(f"{self.path}: the token input '{name}' needs a fixed length and dimension")
            index = self.net.add_input(name, (d, length, 1), tokens=True, fixed=fixed)
            self.values[name] = Value(index, (H, C))
        else:
            (c,) = known
            if c is None:
                raise ArchError(f"{self.path}: the input '{name}' has no fixed size")
            index = self.net.add_input(name, (c, 1, 1), fixed=True)
            self.values[name] = Value(index, (C,))

    def model_props(self) -> dict[str, str]:
        return {p.key: p.value for p in self.model.metadata_props}

    def read_node(self, node: Any) -> None:
        for output in node.output:
            self.producer[output] = node.op_type
        if node.op_type in CONSTANT_OPS and self.all_constant(node):
            self.fold(node)
            return
        domain = node.domain if node.domain not in ("", "ai.onnx") else ""
        handler = (ARCHSPEC_HANDLERS if domain == ARCHSPEC_DOMAIN else HANDLERS if not domain else {}).get(
            node.op_type)
        try:
            if handler is None:
                raise Unsupported(f"archspec has no layer kind for {domain + '.' if domain else ''}{node.op_type}")
            handler(self, node)
        except Unsupported as exc:
            if not self.opaque:
                raise self.fail(f"{exc}; import it as an opaque layer of known output shape (counting nothing) "
                                "with --opaque") from None
            self.make_opaque(node, str(exc))
        except LayerRefused as exc:
            raise self.fail(str(exc)) from None

    # ---- values --------------------------------------------------------------------
    def all_constant(self, node: Any) -> bool:
        return all(not name or name in self.constants or self.is_shape_source(node, slot)
                   for slot, name in enumerate(node.input))

    def is_shape_source(self, node: Any, slot: int) -> bool:
        return node.op_type == "Shape" and slot == 0 and isinstance(self.values.get(node.input[0]), Value)

    def data(self, name: str) -> Value:
        value = self.values.get(name)
        if isinstance(value, Value):
            return value
        if isinstance(value, Pending):
            raise Unsupported(PENDING_MEANING.get(value.what, f"a half-read pattern ({value.what})"))
        if name in self.weight_dims:
            raise Unsupported(f"'{name}' is a weight where a computed tensor is expected")
        raise self.fail(f"'{name}' is not produced by any earlier node")

    def const(self, name: str, what: str) -> np.ndarray:
        if name in self.constants:
            return self.constants[name]
        raise Unsupported(f"its {what} ('{name}') is computed at run time; archspec needs it fixed")

    def optional_const(self, node: Any, slot: int, what: str) -> np.ndarray | None:
        if len(node.input) <= slot or not node.input[slot]:
            return None
        return self.const(node.input[slot], what)

    def weight(self, name: str, what: str) -> tuple[int, ...]:
        if name in self.weight_dims:
            return self.weight_dims[name]
        if name in self.constants:
            return tuple(self.constants[name].shape)
        raise Unsupported(f"its {what} ('{name}') is computed at run time, not a weight")

    def is_learnt(self, name: str) -> bool:
        return name in self.learnable

    def attr(self, node: Any, name: str, default: Any = None) -> Any:
        for a in node.attribute:
            if a.name == name:
                return self.onnx.helper.get_attribute_value(a)
        return default

    def shape(self, value: Value) -> Shape:
        return self.net.tensors[value.tensor].shape

    def dims(self, value: Value) -> tuple[int, ...]:
        """The ONNX shape of a data value, the batch left out."""
        shape = self.shape(value)
        return tuple(1 if a is None else shape[a] for a in value.axes)

    def put(self, name: str, tensor: int, axes: Axes = (C, H, W)) -> None:
        self.values[name] = Value(tensor, axes)

    def layer(self, kind: str, args: dict[str, Any], inputs: list[int], node: Any | None = None) -> int:
        node = node if node is not None else self.node
        name = node.name or node.output[0]
        return self.net.add(kind, args, inputs, name, module_path(name))

    def canonical(self, value: Value, name: str | None = None) -> int:
        """The tensor in archspec's C, H, W order: a `permute` layer when the
        ONNX order moves an axis that is not 1."""
        shape = self.shape(value)
        order = [a for a in value.axes if a is not None]
        order += [a for a in (C, H, W) if a not in order]
        moving = [a for a in order if shape[a] != 1]
        if moving == sorted(moving):
            return value.tensor
        label = name or (self.node.name if self.node is not None else "permute")
        return self.net.add("permute", {"order": tuple(order)}, [value.tensor], label + ":permute",
                            module_path(label))

    def natural(self, value: Value) -> int:
        """The tensor as archspec holds it: an image channels first, a token
        sequence as (N, L, D), a vector; anything else put channels first."""
        return value.tensor if value.axes in ((C, H, W), (H, C), (C,)) else self.canonical(value)

    def channels_first(self, name: str) -> int:
        """A data input as an image (or vector) in C, H, W order."""
        return self.canonical(self.data(name))

    def channel_axis_last(self, value: Value) -> bool:
        return bool(value.axes) and value.axes[-1] == C

    def archspec_axis(self, value: Value, axis: int) -> int | None:
        """The archspec axis an ONNX axis (batch counted) holds."""
        rank = len(value.axes) + 1
        axis = axis + rank if axis < 0 else axis
        if axis == 0:
            raise Unsupported("it works along the batch axis")
        return value.axes[axis - 1]

    # ---- helpers several handlers share -----------------------------------------------
    def combine(self, node: Any, kind: str, values: list[Value]) -> None:
        """An element-wise layer over values of one layout (else channels-first)."""
        first = values[0]
        if all(v.axes == first.axes for v in values):
            self.put(node.output[0], self.layer(kind, {}, [v.tensor for v in values]), first.axes)
            return
        shapes = [self.shape(v) for v in values]
        layout = (C, H, W) if len(first.axes) == 3 else first.axes
        if kind == "mul" and shapes[1][1:] == (1, 1):  # a C x 1 x 1 gate, whatever its layout
            self.put(node.output[0], self.layer(kind, {}, [self.canonical(values[0]), values[1].tensor]), layout)
            return
        self.put(node.output[0], self.layer(kind, {}, [self.canonical(v) for v in values]), layout)

    def lpnorm_scale(self, node: Any, pending: Pending, scale: str) -> None:
        dims = self.weight(scale, "scale")
        c = self.shape(pending.value)[C]
        if prod(dims) not in (1, c):
            raise Unsupported("an L2 normalisation scaled by neither one number nor one per channel")
        args = {"channel_shared": True} if prod(dims) == 1 and c != 1 else {}
        index = self.layer("l2norm", args, [self.canonical(pending.value)])
        self.claim_weights(index, [scale])
        self.put(node.output[0], index)

    def claim_weights(self, index: int, names: Any) -> None:
        """Layer `index` uses these weights; a layer using only weights one
        earlier layer already holds shares that layer's (`shares=`)."""
        names = [self.transposed.get(n, n) for n in names if n and n in self.learnable]
        if not names:
            return
        owners = {self.weight_owner[n] for n in names if n in self.weight_owner}
        if len(owners) == 1 and all(n in self.weight_owner for n in names):
            owner = owners.pop()
            if owner != index:
                self.net.tensors[index].shares = owner
            return
        for n in names:
            self.weight_owner.setdefault(n, index)

    # ---- constant folding ----------------------------------------------------------
    def fold(self, node: Any) -> None:
        op = node.op_type
        ins = [self.constants.get(n) if n else None for n in node.input]
        if op == "Constant":
            out = self.constant_attr(node)
        elif op == "Shape":
            value = self.values[node.input[0]]
            assert isinstance(value, Value)
            full = (1, *self.dims(value))
            start, end = self.attr(node, "start", 0), self.attr(node, "end", len(full))
            picked = tuple(range(len(full)))[start:end]
            out = np.asarray([full[i] for i in picked], dtype=np.int64)
            self.shape_of[node.output[0]] = ShapeOf(value, picked, (0,) * len(picked))
        else:
            out = FOLDERS[op](self, node, ins)
        self.constants[node.output[0]] = np.asarray(out)
        if op == "Identity" and node.input[0] in self.learnable:  # a copy of a (small) weight
            self.learnable.add(node.output[0])
            self.weight_dims[node.output[0]] = self.weight_dims[node.input[0]]
        self.fold_shape_source(node)

    def constant_attr(self, node: Any) -> np.ndarray:
        for a in node.attribute:
            if a.name == "value":
                array: np.ndarray = self.onnx.numpy_helper.to_array(a.t)
                return array
            if a.name in ("value_int", "value_float"):
                return np.asarray(self.onnx.helper.get_attribute_value(a))
            if a.name in ("value_ints", "value_floats"):
                return np.asarray(list(self.onnx.helper.get_attribute_value(a)))
        raise self.fail("a Constant without a value")

    def fold_shape_source(self, node: Any) -> None:
        """Keep track of constants that are a tensor's size (for crop and
        resize-to-reference): Slice, Gather, Cast, Concat and Add keep the link."""
        op = node.op_type
        source = self.shape_of.get(node.input[0]) if node.input else None
        out = node.output[0]
        if op in ("Slice", "Gather", "Cast", "Identity") and source is not None:
            kept = np.arange(len(source.dims))
            if op == "Slice":
                starts, ends = self.constants[node.input[1]], self.constants[node.input[2]]
                kept = kept[int(starts[0]):int(ends[0])]
            elif op == "Gather":
                kept = np.atleast_1d(kept[self.constants[node.input[1]]])
            self.shape_of[out] = ShapeOf(source.value, tuple(source.dims[i] for i in kept),
                                         tuple(source.offset[i] for i in kept))
        elif op == "Add" and len(node.input) == 2:
            a, b = self.shape_of.get(node.input[0]), self.shape_of.get(node.input[1])
            link, other = (a, node.input[1]) if a is not None else (b, node.input[0])
            if link is not None and other not in self.shape_of:
                add = np.broadcast_to(self.constants[other], (len(link.dims),))
                self.shape_of[out] = ShapeOf(link.value, link.dims,
                                             tuple(o + int(x) for o, x in zip(link.offset, add)))
        elif op == "Concat":
            parts = [self.shape_of.get(n) for n in node.input]
            linked = [p for p in parts if p is not None]
            if len(linked) == 1:  # (N, C) of the input itself, (H, W) of the reference
                self.shape_of[out] = ShapeOf(linked[0].value, linked[0].dims, linked[0].offset)
                self.shape_of[out + ":position"] = ShapeOf(linked[0].value, (parts.index(linked[0]),), (0,))

    # ---- making layers --------------------------------------------------------------
    def make_opaque(self, node: Any, reason: str) -> None:
        inputs = [self.canonical(v) for n in node.input if n and isinstance(v := self.values.get(n), Value)]
        if not inputs:
            raise self.fail(f"{reason}, and it reads no tensor archspec follows")
        declared = self.declared.get(node.output[0])
        if declared is None or len(declared) not in (2, 4) or any(d is None for d in declared[1:]):
            raise self.fail(f"{reason}; the graph declares no fixed (N, C) or (N, C, H, W) shape of its output, "
                            "so it cannot be imported as an opaque layer either")
        dims = [int(d) for d in declared[1:] if d is not None]
        c, h, w = (dims + [1, 1])[:3]
        op = f"{node.domain}.{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type
        index = self.layer("opaque", {"c": c, "h": h, "w": w, "op": op}, inputs, node)
        self.net.tensors[index].note = f"opaque: {op} (node '{node.name or node.output[0]}'), counted as nothing"
        self.net.notes.append(f"{self.where(node)} imported as an opaque layer of {h}x{w}x{c}, counting nothing")
        self.values[node.output[0]] = Value(index, (C, H, W) if len(dims) == 3 else (C,))

    def metadata(self) -> dict[str, Any]:
        props = self.model_props()
        meta: dict[str, Any] = {}
        for key, value in props.items():
            if key.startswith("archspec.") and key != "archspec.fixed_inputs":
                meta[key.removeprefix("archspec.")] = value
        if "model" not in meta:
            stem = self.path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
            generic = self.graph.name in ("", "main_graph", "torch_jit", "torch-jit-export", "graph")
            meta["model"] = stem if generic else self.graph.name
        producer = " ".join(p for p in (self.model.producer_name, self.model.producer_version) if p)
        meta.setdefault("source", f"{self.path.rsplit('/', 1)[-1]}" + (f" ({producer}, opset {self.opset})"
                                                                        if producer else f" (opset {self.opset})"))
        return meta


def module_path(name: str) -> tuple[str, ...]:
    """The module path a node's name gives: torch's scope names
    ('/layer1/layer1.0/conv1/Conv') or archspec's dotted layer names
    ('res2.bottleneck1.main.conv1'), the node itself left out."""
    if "/" in name:
        parts = [p for p in name.split("/") if p]
        return tuple(parts[:-1])
    parts = name.split(":")[0].split(".")
    return tuple(parts[:-1])


PENDING_MEANING = {
    "lpnorm": "LpNormalization without the learnt scale that follows it in SSD's Normalize has no archspec kind",
    "grouped": "a reshape into groups that is not part of a channel shuffle (Reshape, Transpose, Reshape)",
    "shuffled": "a transposed grouping that is not reshaped back (a channel shuffle's last step)",
}

# Operand slots that hold weights, per operator (the data is slot 0).
WEIGHT_SLOTS: dict[str, set[int]] = {
    "Conv": {1, 2}, "ConvTranspose": {1, 2}, "Gemm": {1, 2}, "BatchNormalization": {1, 2, 3, 4},
    "InstanceNormalization": {1, 2}, "LayerNormalization": {1, 2}, "GroupNormalization": {1, 2},
    "RMSNormalization": {1}, "MatMul": {1}, "Add": {1}, "Mul": {1}, "PRelu": {1},
}


# ---- folding constants ---------------------------------------------------------------

def _fold_unsqueeze(r: Reader, node: Any, ins: list[Any]) -> Any:
    axes = ins[1] if len(ins) > 1 and ins[1] is not None else r.attr(node, "axes")
    out = ins[0]
    for axis in sorted(int(a) if a >= 0 else int(a) + out.ndim + len(axes) for a in axes):
        out = np.expand_dims(out, axis)
    return out


def _fold_squeeze(r: Reader, node: Any, ins: list[Any]) -> Any:
    axes = ins[1] if len(ins) > 1 and ins[1] is not None else r.attr(node, "axes")
    return np.squeeze(ins[0], axis=None if axes is None else tuple(int(a) for a in axes))


def _fold_slice(r: Reader, node: Any, ins: list[Any]) -> Any:
    data = ins[0]
    if len(ins) == 1:  # opset < 10: attributes
        starts, ends = r.attr(node, "starts"), r.attr(node, "ends")
        axes = r.attr(node, "axes", list(range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts, ends = ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[int(a)] = slice(int(s), int(e), int(st))
    return data[tuple(index)]


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[[Reader, Any, list[Any]], Any]:
    return lambda r, node, ins: fn(ins[0], ins[1])


FOLDERS: dict[str, Callable[[Reader, Any, list[Any]], Any]] = {
    "Identity": lambda r, node, ins: ins[0],
    "Cast": lambda r, node, ins: ins[0],
    "Gather": lambda r, node, ins: np.take(ins[0], ins[1].astype(np.int64), axis=r.attr(node, "axis", 0)),
    "Unsqueeze": _fold_unsqueeze,
    "Squeeze": _fold_squeeze,
    "Concat": lambda r, node, ins: np.concatenate([np.atleast_1d(i) for i in ins], axis=r.attr(node, "axis", 0)),
    "Slice": _fold_slice,
    "Add": _binary(np.add), "Sub": _binary(np.subtract), "Mul": _binary(np.multiply),
    "Div": lambda r, node, ins: (ins[0] // ins[1] if ins[0].dtype.kind in "iu" and ins[1].dtype.kind in "iu"
                                 else ins[0] / ins[1]),
    "Floor": lambda r, node, ins: np.floor(ins[0]),
    "Ceil": lambda r, node, ins: np.ceil(ins[0]),
    "Sqrt": lambda r, node, ins: np.sqrt(ins[0]),
    "Reshape": lambda r, node, ins: ins[0].reshape([int(d) for d in ins[1]]),
    "ConstantOfShape": lambda r, node, ins: np.full([int(d) for d in ins[0]], 0 if r.attr(node, "value") is None
                                                    else r.onnx.numpy_helper.to_array(r.attr(node, "value"))[0]),
    "Range": lambda r, node, ins: np.arange(ins[0], ins[1], ins[2]),
    "Equal": _binary(np.equal),
    "Where": lambda r, node, ins: np.where(ins[0], ins[1], ins[2]),
    "ReduceProd": lambda r, node, ins: np.prod(ins[0], keepdims=bool(r.attr(node, "keepdims", 1))),
}
CONSTANT_OPS = set(FOLDERS) | {"Constant", "Shape"}


# ---- handlers: one per operator -------------------------------------------------------

def pad_arg(pads: list[int]) -> Any:
    """ONNX pads [top, left, bottom, right] as archspec writes a pad: p, (ph, pw) or (t, b, l, r)."""
    top, left, bottom, right = (int(p) for p in pads)
    if top == bottom == left == right:
        return top
    if top == bottom and left == right:
        return (top, left)
    return (top, bottom, left, right)


def size_arg(values: Any) -> Any:
    a, b = (int(v) for v in values)
    return a if a == b else (a, b)


def window_pads(r: Reader, node: Any, value: Value, kernel: list[int], strides: list[int],
                dilations: list[int]) -> list[int]:
    """The explicit pads of a windowed operator, auto_pad resolved on this input."""
    auto = r.attr(node, "auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        return list(r.attr(node, "pads", [0, 0, 0, 0]))
    if auto == "VALID":
        return [0, 0, 0, 0]
    _, h, w = r.shape(value)
    begin, end = [], []
    for n, k, s, d in zip((h, w), kernel, strides, dilations):
        out = -(-n // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - n)
        small, large = total // 2, total - total // 2
        begin.append(small if auto == "SAME_UPPER" else large)
        end.append(large if auto == "SAME_UPPER" else small)
    return [begin[0], begin[1], end[0], end[1]]


def handle_conv(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    weight = r.weight(node.input[1], "weight")
    if len(weight) != 4:
        raise Unsupported(f"a {len(weight) - 2}-D convolution (archspec's are 2-D)")
    out, _, kh, kw = weight
    kernel = list(r.attr(node, "kernel_shape", [kh, kw]))
    strides = list(r.attr(node, "strides", [1, 1]))
    dilations = list(r.attr(node, "dilations", [1, 1]))
    pads = window_pads(r, node, x, kernel, strides, dilations)
    args: dict[str, Any] = {"out": int(out), "kernel": size_arg(kernel)}
    if strides != [1, 1]:
        args["stride"] = size_arg(strides)
    if any(pads):
        args["pad"] = pad_arg(pads)
    if dilations != [1, 1]:
        args["dilation"] = size_arg(dilations)
    groups = int(r.attr(node, "group", 1))
    if groups != 1:
        args["groups"] = groups
    if len(node.input) < 3 or not node.input[2]:
        args["bias"] = False
    index = r.layer("conv", args, [r.canonical(x)])
    r.claim_weights(index, node.input[1:])
    r.put(node.output[0], index)


def handle_conv_transpose(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    weight = r.weight(node.input[1], "weight")
    if len(weight) != 4:
        raise Unsupported(f"a {len(weight) - 2}-D transposed convolution (archspec's are 2-D)")
    _, out_per_group, kh, kw = weight
    groups = int(r.attr(node, "group", 1))
    if r.attr(node, "output_shape") is not None:
        raise Unsupported("output_shape on a transposed convolution (archspec's deconv states its padding)")
    extra = list(r.attr(node, "output_padding", [0, 0]))
    dilations = list(r.attr(node, "dilations", [1, 1]))
    auto = r.attr(node, "auto_pad", b"NOTSET")
    if (auto.decode() if isinstance(auto, bytes) else auto) not in ("NOTSET", "VALID", ""):
        raise Unsupported("auto_pad SAME on a transposed convolution")
    kernel = list(r.attr(node, "kernel_shape", [kh, kw]))
    strides = list(r.attr(node, "strides", [1, 1]))
    pads = list(r.attr(node, "pads", [0, 0, 0, 0]))
    args: dict[str, Any] = {"out": int(out_per_group) * groups, "kernel": size_arg(kernel)}
    if strides != [1, 1]:
        args["stride"] = size_arg(strides)
    if any(pads):
        args["pad"] = pad_arg(pads)
    if groups != 1:
        args["groups"] = groups
    if len(node.input) < 3 or not node.input[2]:
        args["bias"] = False
    if dilations != [1, 1]:
        args["dilation"] = size_arg(dilations)
    if any(extra):
        args["output_padding"] = size_arg(extra)
    index = r.layer("deconv", args, [r.canonical(x)])
    r.claim_weights(index, node.input[1:])
    r.put(node.output[0], index)


def handle_gemm(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if r.attr(node, "transA", 0):
        raise Unsupported("a Gemm with transA (its data transposed)")
    if float(r.attr(node, "alpha", 1.0)) != 1.0:
        raise Unsupported("a Gemm scaled by alpha")
    weight = r.weight(node.input[1], "weight")
    out = weight[0] if r.attr(node, "transB", 0) else weight[1]
    has_bias = len(node.input) > 2 and bool(node.input[2])
    if has_bias and float(r.attr(node, "beta", 1.0)) != 1.0:
        raise Unsupported("a Gemm whose bias is scaled by beta")
    tensor = r.canonical(x)
    args: dict[str, Any] = {"out": int(out)}
    if not has_bias:
        args["bias"] = False
    index = r.layer("linear", args, [tensor])
    r.claim_weights(index, node.input[1:])
    r.put(node.output[0], index, (C,))


def handle_matmul(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if node.input[1] in r.values:
        raise Unsupported("a MatMul of two computed tensors (attention scores) -- archspec's attention kinds "
                          "are not available to the importer yet")
    weight = r.weight(node.input[1], "weight")
    if len(weight) != 2:
        raise Unsupported(f"a MatMul with a {len(weight)}-D weight (a Linear's is 2-D)")
    if not r.channel_axis_last(x):
        raise Unsupported("a MatMul over an axis that is not the channels")
    index = r.layer("linear", {"out": int(weight[1]), "bias": False}, [x.tensor])
    r.claim_weights(index, node.input[1:2])
    r.put(node.output[0], index, x.axes)


def handle_add(r: Reader, node: Any) -> None:
    a, b = node.input[0], node.input[1]
    if a not in r.values:
        a, b = b, a
    if b in r.values:
        x, y = r.data(a), r.data(b)
        r.combine(node, "add", [x, y])
        return
    x = r.data(a)
    tensor = r.net.tensors[x.tensor]
    bias = r.weight(b, "bias")
    out = tensor.shape[C]
    if (tensor.kind == "linear" and not tensor.args.get("bias", True) and prod(bias) == out
            and r.readers.get(a, 0) == 1 and max(bias) == out):
        r.net.change(x.tensor, "linear", {**tensor.args, "bias": True}
                     if tensor.args.get("bias") is not False else {"out": tensor.args["out"]})
        r.claim_weights(x.tensor, [b])
        r.values[node.output[0]] = x
        return
    raise Unsupported("an Add of a constant to a tensor that is not a Linear's bias")


def handle_sum(r: Reader, node: Any) -> None:
    r.combine(node, "add", [r.data(n) for n in node.input])


def handle_max(r: Reader, node: Any) -> None:
    r.combine(node, "max", [r.data(n) for n in node.input])


def handle_mul(r: Reader, node: Any) -> None:
    a, b = node.input[0], node.input[1]
    va, vb = r.values.get(a), r.values.get(b)
    if isinstance(vb, Pending) or (va is not None and vb is None and isinstance(va, Value) and b in r.values):
        a, b, va, vb = b, a, vb, va
    if va is None:  # a weight first: put the data first
        a, b, va, vb = b, a, vb, va
    if isinstance(va, Pending) and va.what == "lpnorm" and vb is None:
        r.lpnorm_scale(node, va, b)
        return
    if vb is None:  # data times a weight: a learnt per-channel scale
        x = r.data(a)
        dims = r.weight(b, "scale")
        c = r.shape(x)[C]
        if prod(dims) != c or not r.is_learnt(b):
            raise Unsupported("a Mul by a constant that is not a learnt per-channel scale")
        index = r.layer("layerscale", {}, [x.tensor])
        r.claim_weights(index, [b])
        r.put(node.output[0], index, x.axes)
        return
    x, y = r.data(a), r.data(b)
    for first, second, second_name in ((x, y, b), (y, x, a)):  # x·sigmoid(x): SiLU; x·hardsigmoid(x): hard swish
        gate = r.net.tensors[second.tensor]
        if (gate.kind in ("sigmoid", "hardsigmoid") and gate.inputs == [first.tensor] and second.axes == first.axes
                and r.readers.get(second_name, 0) == 1):
            r.net.change(second.tensor, "silu" if gate.kind == "sigmoid" else "hardswish", {})
            r.values[node.output[0]] = second
            return
    big, small = (x, y) if prod(r.shape(x)) >= prod(r.shape(y)) else (y, x)
    r.combine(node, "mul", [big, small])


def handle_batchnorm(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if len(node.output) > 1 and any(r.readers.get(o, 0) for o in node.output[1:] if o):
        raise Unsupported("a training-mode BatchNormalization whose batch statistics are read")
    args: dict[str, Any] = {}
    eps = float(r.attr(node, "epsilon", 1e-5))
    if not np.isclose(eps, 1e-5, rtol=1e-6, atol=0):
        args["eps"] = _float(eps)
    if not (r.is_learnt(node.input[1]) and r.is_learnt(node.input[2])):
        args["affine"] = False
    tensor = x.tensor if x.axes in ((C, H, W), (C,)) else r.canonical(x)
    index = r.layer("bn", args, [tensor])
    r.claim_weights(index, node.input[1:5])
    r.put(node.output[0], index, x.axes if tensor == x.tensor else (C, H, W))


def _norm(kind: str) -> Callable[[Reader, Any], None]:
    def handle(r: Reader, node: Any) -> None:
        x = r.data(node.input[0])
        args: dict[str, Any] = {}
        eps = r.attr(node, "epsilon")
        default = {"layernorm": 1e-5, "groupnorm": 1e-5, "instancenorm": 1e-5, "rmsnorm": None}[kind]
        if eps is not None and (default is None or not np.isclose(float(eps), default, rtol=1e-6, atol=0)):
            args["eps"] = _float(float(eps))
        scale = node.input[1] if len(node.input) > 1 else ""
        shift = node.input[2] if len(node.input) > 2 else ""
        learnt = bool(scale) and r.is_learnt(scale)
        if kind in ("layernorm", "rmsnorm"):
            axis = int(r.attr(node, "axis", -1))
            rank = len(x.axes) + 1
            if (axis + rank if axis < 0 else axis) != rank - 1 or not r.channel_axis_last(x):
                raise Unsupported(f"a {node.op_type} over more than the channels at each position "
                                  "(archspec's normalises the channels)")
            if not learnt:
                args["affine"] = False
            if kind == "layernorm" and learnt and not (shift and r.is_learnt(shift)):
                args["bias"] = False
            index = r.layer(kind, args, [x.tensor])
            r.claim_weights(index, [n for n in (scale, shift) if n])
            r.put(node.output[0], index, x.axes)
            return
        if kind == "groupnorm":
            args = {"groups": int(r.attr(node, "num_groups")), **args}
            c = r.shape(x)[C]
            if scale and prod(r.weight(scale, "scale")) != c:
                raise Unsupported("a GroupNormalization with one scale per group (opset 18); archspec's has one "
                                  "per channel, as opset 21 and PyTorch")
        if kind == "instancenorm" and learnt:
            args["affine"] = True
        elif kind == "groupnorm" and not learnt:
            args["affine"] = False
        index = r.layer(kind, args, [r.canonical(x)])
        r.claim_weights(index, [n for n in (scale, shift) if n])
        r.put(node.output[0], index)
    return handle


def handle_lrn(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    args: dict[str, Any] = {"size": int(r.attr(node, "size"))}
    for onnx_name, name, default in (("alpha", "alpha", 1e-4), ("beta", "beta", 0.75), ("bias", "k", 1.0)):
        value = float(r.attr(node, onnx_name, default))
        if not np.isclose(value, default, rtol=1e-6, atol=0):
            args[name] = _float(value)
    r.put(node.output[0], r.layer("lrn", args, [r.canonical(x)]))


def handle_lpnorm(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if int(r.attr(node, "p", 2)) != 2 or r.archspec_axis(x, int(r.attr(node, "axis", -1))) != C:
        raise Unsupported("an LpNormalization other than L2 over the channels")
    r.values[node.output[0]] = Pending("lpnorm", x)


def _unary(kind: str) -> Callable[[Reader, Any], None]:
    def handle(r: Reader, node: Any) -> None:
        x = r.data(node.input[0])
        r.put(node.output[0], r.layer(kind, {}, [x.tensor]), x.axes)
    return handle


def _scaled_unary(kind: str, onnx_name: str, arg: str, default: float) -> Callable[[Reader, Any], None]:
    def handle(r: Reader, node: Any) -> None:
        x = r.data(node.input[0])
        value = float(r.attr(node, onnx_name, default))
        args = {} if np.isclose(value, KIND_DEFAULTS[kind], rtol=1e-6, atol=0) else {arg: _float(value)}
        r.put(node.output[0], r.layer(kind, args, [x.tensor]), x.axes)
    return handle


KIND_DEFAULTS = {"elu": 1.0, "leaky_relu": 0.01}


def handle_prelu(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    dims = r.weight(node.input[1], "slope")
    c = r.shape(x)[C]
    if prod(dims) not in (1, c):
        raise Unsupported("a PRelu whose slopes are neither one nor one per channel")
    args = {"per_channel": True} if prod(dims) == c and c != 1 else {}
    tensor = x.tensor if x.axes in ((C, H, W), (C,)) else r.canonical(x)
    index = r.layer("prelu", args, [tensor])
    r.claim_weights(index, [node.input[1]])
    r.put(node.output[0], index, x.axes if tensor == x.tensor else (C, H, W))


def handle_gelu(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    approximate = r.attr(node, "approximate", "none")
    approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
    args = {"approximate": approximate} if approximate != "none" else {}
    r.put(node.output[0], r.layer("gelu", args, [x.tensor]), x.axes)


def handle_hardsigmoid(r: Reader, node: Any) -> None:
    alpha, beta = float(r.attr(node, "alpha", 0.2)), float(r.attr(node, "beta", 0.5))
    if not (np.isclose(alpha, 1 / 6) and np.isclose(beta, 0.5)):
        raise Unsupported(f"a HardSigmoid with alpha {alpha:g}, beta {beta:g} (archspec's is PyTorch's: 1/6, 1/2)")
    _unary("hardsigmoid")(r, node)


def handle_clip(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if r.opset < 11:
        low, high = r.attr(node, "min", -np.inf), r.attr(node, "max", np.inf)
    else:
        lo, hi = r.optional_const(node, 1, "minimum"), r.optional_const(node, 2, "maximum")
        low = float(lo) if lo is not None else -np.inf
        high = float(hi) if hi is not None else np.inf
    if low == 0 and high == 6:
        kind = "relu6"
    elif low == 0 and high == np.inf:
        kind = "relu"
    else:
        raise Unsupported(f"a Clip to [{low:g}, {high:g}] (archspec knows relu [0, inf) and relu6 [0, 6])")
    r.put(node.output[0], r.layer(kind, {}, [x.tensor]), x.axes)


def handle_softmax(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    default = -1 if r.opset >= 13 else 1
    axis = int(r.attr(node, "axis", default))
    rank = len(x.axes) + 1
    axis = axis + rank if axis < 0 else axis
    if r.opset < 13 and any(d != 1 for d in r.dims(x)[axis:]):
        raise Unsupported("an opset < 13 Softmax over several axes at once")
    target = r.archspec_axis(x, axis)
    if target is None:
        raise Unsupported("a Softmax over an axis of length 1")
    args = {"axis": target} if target != C else {}
    r.put(node.output[0], r.layer("softmax", args, [x.tensor]), x.axes)


def handle_dropout(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if r.opset < 12:
        ratio = float(r.attr(node, "ratio", 0.5))
    else:
        given = r.optional_const(node, 1, "ratio")
        ratio = 0.5 if given is None else float(given)
    r.put(node.output[0], r.layer("dropout", {"p": _float(ratio)}, [x.tensor]), x.axes)


def handle_identity(r: Reader, node: Any) -> None:
    source = node.input[0]
    if source in r.weight_dims and source not in r.values:  # a copy of a weight (torch shares equal ones)
        r.weight_dims[node.output[0]] = r.weight_dims[source]
        if source in r.learnable:
            r.learnable.add(node.output[0])
        r.aliases[node.output[0]] = r.aliases.get(source, source)
        return
    r.values[node.output[0]] = r.data(source)


def _pool(kind: str) -> Callable[[Reader, Any], None]:
    def handle(r: Reader, node: Any) -> None:
        x = r.data(node.input[0])
        if len(node.output) > 1 and r.readers.get(node.output[1], 0):
            raise Unsupported("a MaxPool whose indices are read")
        kernel = list(r.attr(node, "kernel_shape"))
        if len(kernel) != 2:
            raise Unsupported(f"a {len(kernel)}-D pooling (archspec's are 2-D)")
        strides = list(r.attr(node, "strides", [1, 1]))
        dilations = list(r.attr(node, "dilations", [1, 1]))
        if dilations != [1, 1] and kind != "maxpool":
            raise Unsupported("a dilated average pooling window")
        pads = window_pads(r, node, x, kernel, strides, dilations)
        args: dict[str, Any] = {"kernel": size_arg(kernel)}
        if strides != kernel:
            args["stride"] = size_arg(strides)
        if any(pads):
            args["pad"] = pad_arg(pads)
        if r.attr(node, "ceil_mode", 0):
            args["ceil"] = True
        if dilations != [1, 1]:
            args["dilation"] = size_arg(dilations)
        r.put(node.output[0], r.layer(kind, args, [r.canonical(x)]))
    return handle


def _global(kind: str) -> Callable[[Reader, Any], None]:
    def handle(r: Reader, node: Any) -> None:
        r.put(node.output[0], r.layer(kind, {}, [r.channels_first(node.input[0])]))
    return handle


def handle_reduce_mean(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if r.opset >= 18 and len(node.input) > 1 and node.input[1]:
        axes = [int(a) for a in r.const(node.input[1], "axes")]
    else:
        axes = list(r.attr(node, "axes", []))
    rank = len(x.axes) + 1
    picked = {r.archspec_axis(x, a + rank if a < 0 else a) for a in axes}
    if picked != {H, W} or len(x.axes) != 3:
        raise Unsupported("a ReduceMean other than over height and width (a global average pool)")
    index = r.layer("gavgpool", {}, [r.canonical(x)])
    r.put(node.output[0], index, (C, H, W) if r.attr(node, "keepdims", 1) else (C,))


def handle_concat(r: Reader, node: Any) -> None:
    values = [r.data(n) for n in node.input if n]
    first = values[0]
    axis = int(r.attr(node, "axis"))
    if all(v.axes == first.axes for v in values) and r.archspec_axis(first, axis) == C:
        tensors = [v.tensor for v in values]
        r.put(node.output[0], r.layer("concat", {}, tensors), first.axes)
        return
    if len(first.axes) == 3 and axis in (1, -3):
        r.put(node.output[0], r.layer("concat", {}, [r.canonical(v) for v in values]))
        return
    raise Unsupported("a Concat along an axis that is not the channels")


def handle_split(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    axis = int(r.attr(node, "axis", 0))
    if r.archspec_axis(x, axis) != C:
        raise Unsupported("a Split along an axis that is not the channels")
    c = r.shape(x)[C]
    if r.opset >= 13 and len(node.input) > 1 and node.input[1]:
        sizes = [int(s) for s in r.const(node.input[1], "split sizes")]
    elif r.attr(node, "split") is not None:
        sizes = [int(s) for s in r.attr(node, "split")]
    else:
        n = int(r.attr(node, "num_outputs", len(node.output)))
        piece = -(-c // n)
        sizes = [min(piece, c - i * piece) for i in range(n)]
    start = 0
    for output, size in zip(node.output, sizes):
        index = r.layer("slice", {"start": start, "stop": start + size}, [x.tensor])
        r.net.tensors[index].name = output
        r.put(output, index, x.axes)
        start += size


def handle_slice(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if r.opset < 10:
        raise Unsupported("an opset < 10 Slice")
    axes = r.optional_const(node, 3, "axes")
    steps = r.optional_const(node, 4, "steps")
    if steps is not None and any(int(s) != 1 for s in steps):
        raise Unsupported("a Slice with steps")
    rank = len(x.axes) + 1
    axes_list = list(range(len(r.const(node.input[1], "starts")))) if axes is None else [
        int(a) + rank if a < 0 else int(a) for a in axes]
    targets = [r.archspec_axis(x, a) for a in axes_list]
    if targets == [C]:
        c = r.shape(x)[C]
        start = int(r.const(node.input[1], "start")[0])
        stop = int(r.const(node.input[2], "stop")[0])
        start, stop = (start + c if start < 0 else start), (stop + c if stop < 0 else min(stop, c))
        r.put(node.output[0], r.layer("slice", {"start": start, "stop": stop}, [x.tensor]), x.axes)
        return
    link = r.shape_of.get(node.input[2])
    if sorted(t for t in targets if t is not None) == [H, W] and link is not None:
        ref = link.value
        starts = [int(s) for s in r.const(node.input[1], "starts")]
        if list(link.offset) != starts or len(link.dims) != 2:
            raise Unsupported("a Slice whose end is not its start plus another tensor's height and width")
        offset = starts[0] if starts[0] == starts[1] else (starts[0], starts[1])
        args = {"offset": offset} if offset else {}
        r.put(node.output[0], r.layer("crop", args, [r.canonical(x), r.canonical(ref)]))
        return
    raise Unsupported("a Slice over height or width with fixed bounds (archspec's crop takes a reference tensor)")


def handle_flatten(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    if int(r.attr(node, "axis", 1)) != 1:
        raise Unsupported("a Flatten that keeps more than the batch axis")
    tensor = x.tensor if len(x.axes) == 2 else r.canonical(x)
    r.put(node.output[0], r.layer("flatten", {}, [tensor]), (C,))


def handle_reshape(r: Reader, node: Any) -> None:
    value = r.values.get(node.input[0])
    target = [int(d) for d in r.const(node.input[1], "target shape")]
    if isinstance(value, Pending) and value.what == "shuffled":
        x, groups = value.value, value.data
        c, h, w = r.shape(x)
        if target[1:] in ([c, h, w], [-1, h, w], [c, -1, w], [c, h, -1]):
            r.put(node.output[0], r.layer("shuffle", {"groups": groups}, [r.canonical(x)]))
            return
        raise Unsupported("a channel shuffle that is not reshaped back to the input's shape")
    x = r.data(node.input[0])
    dims = (1, *r.dims(x))
    allowzero = int(r.attr(node, "allowzero", 0))
    resolved = [dims[i] if d == 0 and not allowzero and i < len(dims) else d for i, d in enumerate(target)]
    total = prod(dims)
    if -1 in resolved:
        known = prod(d for d in resolved if d != -1)
        resolved[resolved.index(-1)] = total // known if known else 0
    if prod(resolved) != total or resolved[0] != 1:
        raise Unsupported(f"a Reshape to {tuple(target)} that moves elements across the batch axis")
    new = resolved[1:]
    old_big = [(d, a) for d, a in zip(dims[1:], x.axes) if d != 1]
    new_big = [d for d in new if d != 1]
    if [d for d, _ in old_big] == new_big and len(new) in (1, 2, 3):  # only unit axes come or go: a view
        axes: list[int | None] = []
        big = iter(old_big)
        for d in new:
            axes.append(next(big)[1] if d != 1 else None)
        r.values[node.output[0]] = Value(x.tensor, tuple(axes))
        return
    if len(new) == 4 and len(x.axes) == 3:  # (N, g, C/g, H, W): the first step of a channel shuffle
        c, h, w = r.shape(x)
        if new[0] * new[1] == c and new[2:] == [h, w]:
            r.values[node.output[0]] = Pending("grouped", x, new[0])
            return
    if len(new) == 1:
        r.put(node.output[0], r.layer("flatten", {}, [r.canonical(x)]), (C,))
        return
    if len(new) == 3:
        raw = target[1:] if target[0] in (0, -1, 1) or len(target) != 4 else new
        args: dict[str, Any] = {"c": raw[0], "h": raw[1], "w": raw[2]}
        r.put(node.output[0], r.layer("reshape", args, [r.canonical(x)]))
        return
    raise Unsupported(f"a Reshape to {tuple(target)} (archspec reshapes to C x H x W or flattens)")


def handle_transpose(r: Reader, node: Any) -> None:
    value = r.values.get(node.input[0])
    perm = [int(p) for p in r.attr(node, "perm")]
    if value is None and node.input[0] in r.weight_dims:  # a weight read transposed (a tied output layer)
        dims = r.weight_dims[node.input[0]]
        r.weight_dims[node.output[0]] = tuple(dims[p] for p in perm)
        if node.input[0] in r.learnable:
            r.learnable.add(node.output[0])
        r.transposed[node.output[0]] = node.input[0]
        return
    if isinstance(value, Pending) and value.what == "grouped":
        if perm != [0, 2, 1, 3, 4]:
            raise Unsupported(f"a Transpose {perm} of grouped channels (a shuffle swaps the group axes)")
        r.values[node.output[0]] = Pending("shuffled", value.value, value.data)
        return
    x = r.data(node.input[0])
    if perm[0] != 0:
        raise Unsupported("a Transpose that moves the batch axis")
    r.values[node.output[0]] = Value(x.tensor, tuple(x.axes[p - 1] for p in perm[1:]))


def handle_unsqueeze(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    axes = r.const(node.input[1], "axes") if r.opset >= 13 else r.attr(node, "axes")
    out: list[int | None] = [0, *x.axes]  # 0 stands for the batch
    rank = len(out) + len(axes)
    for axis in sorted(int(a) + rank if a < 0 else int(a) for a in axes):
        out.insert(axis, None)
    if out[0] != 0:
        raise Unsupported("an Unsqueeze before the batch axis")
    r.values[node.output[0]] = Value(x.tensor, tuple(out[1:]))


def handle_squeeze(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    given = (r.optional_const(node, 1, "axes") if r.opset >= 13 else r.attr(node, "axes"))
    dims = r.dims(x)
    rank = len(dims) + 1
    if given is None:
        drop = {i + 1 for i, d in enumerate(dims) if d == 1}
    else:
        drop = {int(a) + rank if a < 0 else int(a) for a in given}
    if 0 in drop:
        raise Unsupported("a Squeeze of the batch axis")
    r.values[node.output[0]] = Value(x.tensor, tuple(a for i, a in enumerate(x.axes) if i + 1 not in drop))


def handle_resize(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    mode = r.attr(node, "mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode not in ("nearest", "linear"):
        raise Unsupported(f"a Resize in mode {mode} (archspec's are nearest and bilinear)")
    if len(x.axes) != 3:
        raise Unsupported("a Resize of a tensor that is not an image")
    transform = r.attr(node, "coordinate_transformation_mode", "half_pixel")
    transform = transform.decode() if isinstance(transform, bytes) else transform
    tensor = r.canonical(x)
    _, h, w = r.shape(Value(tensor, (C, H, W)))
    if node.op_type == "Upsample":
        sizes_name, scales_name = "", node.input[1] if len(node.input) > 1 else ""
    else:
        scales_name = node.input[2] if len(node.input) > 2 else ""
        sizes_name = node.input[3] if len(node.input) > 3 else ""
    if node.op_type == "Upsample" and r.opset < 9:
        scales = list(r.attr(node, "scales"))
    elif scales_name and (scales_name not in r.constants or r.constants[scales_name].size):
        scales = [float(s) for s in r.const(scales_name, "scales")]
    else:
        scales = []
    if sizes_name:
        link = r.shape_of.get(sizes_name)
        if link is not None and list(link.dims)[-2:] == [2, 3] and not any(link.offset):
            args: dict[str, Any] = {"mode": "bilinear"} if mode == "linear" else {}
            kind = "interp" if transform == "align_corners" and mode == "linear" else "upsample"
            if kind == "interp":
                args = {}
            r.put(node.output[0], r.layer(kind, args, [tensor, r.canonical(link.value)]))
            return
        sizes = [int(s) for s in r.const(sizes_name, "output size")][-2:]
        if transform == "align_corners" and mode == "linear":
            r.put(node.output[0], r.layer("interp", interp_args(h, w, sizes[0], sizes[1]), [tensor]))
            return
        scales = [sizes[0] / h, sizes[1] / w]
    scales = scales[-2:]
    if len(scales) != 2:
        raise Unsupported("a Resize without scales or sizes archspec can read")
    pair = tuple(_scale(s) for s in scales)
    args = {"scale": pair[0] if pair[0] == pair[1] else pair}
    if mode == "linear":
        args["mode"] = "bilinear"
    r.put(node.output[0], r.layer("upsample", args, [tensor]))


def interp_args(h: int, w: int, oh: int, ow: int) -> dict[str, Any]:
    """vl_nninterp's zoom and shrink that take h x w to oh x ow, the smallest
    that do: out = round((in - 1)·zoom / shrink + 1)."""
    def side(n: int, zoom: int, shrink: int) -> int:
        return int(Fraction(n - 1) * zoom / shrink + Fraction(1, 2)) + 1

    for shrink in range(1, 17):
        for zoom in range(1, 17):
            if side(h, zoom, shrink) == oh and side(w, zoom, shrink) == ow:
                args = {}
                if zoom != 1:
                    args["zoom"] = zoom
                if shrink != 1:
                    args["shrink"] = shrink
                return args
    raise Unsupported(f"a corner-aligned bilinear resize {h}x{w} -> {oh}x{ow} that no vl_nninterp zoom/shrink "
                      "gives")


def _scale(value: float) -> float | int:
    exact = Fraction(value).limit_denominator(256)
    if abs(float(exact) - value) > 1e-6:
        raise Unsupported(f"a Resize by {value:g}, not a whole number of 1/256ths")
    return int(exact) if exact.denominator == 1 else float(exact)


def handle_pad(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    mode = r.attr(node, "mode", "constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if r.opset < 11:
        pads = [int(p) for p in r.attr(node, "pads")]
        value = float(r.attr(node, "value", 0.0))
    else:
        pads = [int(p) for p in r.const(node.input[1], "pads")]
        given = r.optional_const(node, 2, "fill value")
        value = 0.0 if given is None else float(given)
        if len(node.input) > 3 and node.input[3]:
            raise Unsupported("a Pad with axes")
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
        raise Unsupported("a Pad of other axes than height and width")
    if any(p < 0 for p in pads):
        raise Unsupported("a Pad that crops (negative pads)")
    if mode == "constant" and value != 0:
        raise Unsupported(f"a Pad with the value {value:g} (archspec pads with zeros, reflection or replication)")
    names = {"constant": "zeros", "reflect": "reflect", "edge": "replicate"}
    if mode not in names:
        raise Unsupported(f"a Pad in mode {mode}")
    top, left, bottom, right = pads[2], pads[3], pads[6], pads[7]
    args: dict[str, Any] = {"p": pad_arg([top, left, bottom, right])}
    if mode != "constant":
        args["mode"] = names[mode]
    r.put(node.output[0], r.layer("pad", args, [r.canonical(x)]))


def handle_depth_to_space(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    r.put(node.output[0], r.layer("pixelshuffle", {"factor": int(r.attr(node, "blocksize"))}, [r.canonical(x)]))


def handle_space_to_depth(r: Reader, node: Any) -> None:
    x = r.data(node.input[0])
    r.put(node.output[0], r.layer("pixelunshuffle", {"factor": int(r.attr(node, "blocksize"))}, [r.canonical(x)]))


def _float(value: float) -> float | int:
    """A float as the spec writes it: short (1e-3, not 0.0010000000474974513)."""
    short = float(f"{value:.6g}")
    return int(short) if short.is_integer() and abs(short) < 1e6 and value == int(short) else short


HANDLERS: dict[str, Callable[[Reader, Any], None]] = {
    "Conv": handle_conv, "ConvTranspose": handle_conv_transpose, "Gemm": handle_gemm, "MatMul": handle_matmul,
    "BatchNormalization": handle_batchnorm, "InstanceNormalization": _norm("instancenorm"),
    "LayerNormalization": _norm("layernorm"), "GroupNormalization": _norm("groupnorm"),
    "RMSNormalization": _norm("rmsnorm"), "LRN": handle_lrn, "LpNormalization": handle_lpnorm,
    "Relu": _unary("relu"), "Sigmoid": _unary("sigmoid"), "HardSwish": _unary("hardswish"),
    "Tanh": _unary("tanh"), "Mish": _unary("mish"), "Softplus": _unary("softplus"), "PRelu": handle_prelu,
    "Elu": _scaled_unary("elu", "alpha", "alpha", 1.0),
    "LeakyRelu": _scaled_unary("leaky_relu", "alpha", "slope", 0.01),
    "HardSigmoid": handle_hardsigmoid, "Gelu": handle_gelu, "Clip": handle_clip, "Softmax": handle_softmax,
    "Dropout": handle_dropout, "Identity": handle_identity,
    "Add": handle_add, "Sum": handle_sum, "Max": handle_max, "Mul": handle_mul,
    "MaxPool": _pool("maxpool"), "AveragePool": _pool("avgpool"),
    "GlobalAveragePool": _global("gavgpool"), "GlobalMaxPool": _global("gmaxpool"), "ReduceMean": handle_reduce_mean,
    "Concat": handle_concat, "Split": handle_split, "Slice": handle_slice,
    "Flatten": handle_flatten, "Reshape": handle_reshape, "Transpose": handle_transpose,
    "Unsqueeze": handle_unsqueeze, "Squeeze": handle_squeeze,
    "Resize": handle_resize, "Upsample": handle_resize, "Pad": handle_pad,
    "DepthToSpace": handle_depth_to_space, "SpaceToDepth": handle_space_to_depth,
}


def _archspec_op(kind: str, *fields: str) -> Callable[[Reader, Any], None]:
    def handle(r: Reader, node: Any) -> None:
        args: dict[str, Any] = {}
        for name in fields:
            value = r.attr(node, name)
            if value is None:
                continue
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if isinstance(value, (list, tuple)):
                value = size_arg(value) if name in ("size", "output_size") else tuple(value)
            field = "size" if name == "output_size" else name
            if REGISTRY[kind].model_fields[field].annotation is bool:  # ONNX holds a bool as an int
                value = bool(value)
            args[field] = _float(value) if isinstance(value, float) else value
        inputs = [r.natural(r.data(n)) for n in node.input if n and n in r.values]
        declared = r.declared.get(node.output[0])
        rank = len(declared) if declared is not None else 4
        index = r.layer(kind, args, inputs)
        r.claim_weights(index, [n for n in node.input if n and n not in r.values])
        r.put(node.output[0], index, (H, C) if rank == 3 else (C,) if rank == 2 else (C, H, W))
    return handle


ARCHSPEC_HANDLERS: dict[str, Callable[[Reader, Any], None]] = {
    "PriorBox": _archspec_op("priorbox", "priors"),
    "Proposal": _archspec_op("proposal", "rois"),
    "RoiPool": _archspec_op("roipool", "size", "scale"),
    "PsRoiPool": _archspec_op("psroipool", "out", "size", "scale"),
    "DetectionOutput": _archspec_op("detection_output", "classes", "keep_top_k"),
    "AdaptiveAveragePool": _archspec_op("adaptiveavgpool", "output_size"),
    "AdaptiveMaxPool": _archspec_op("adaptivemaxpool", "output_size"),
    "Opaque": _archspec_op("opaque", "c", "h", "w", "op"),
    "Softplus": _archspec_op("softplus", "beta", "threshold"),
    "Attention": _archspec_op("attention", "heads", "head_dim", "kv_heads", "qkv_bias", "out_bias", "fused", "causal",
                              "flash", "rel_pos", "cpb", "form"),
    "ClassToken": _archspec_op("classtoken", "count"),
    "ConcatTokens": _archspec_op("concat_tokens"),
    "Embedding": _archspec_op("embedding", "vocab", "dim"),
    "PatchMerge": _archspec_op("patchmerge"),
    "Pick": _archspec_op("pick", "index"),
    "PositionEmbedding": _archspec_op("posembed", "positions", "learned"),
    "ToGrid": _archspec_op("to_grid", "h", "w"),
    "ToTokens": _archspec_op("to_tokens"),
    "TokenMean": _archspec_op("tokenmean"),
    "Window": _archspec_op("window", "size", "shift", "grid", "pad"),
    "Unwindow": _archspec_op("unwindow", "shift"),
}


__all__ = ["HANDLERS", "INPUT", "Reader", "Unsupported", "Value", "module_path"]
