"""A spec as an ONNX graph: operators and shapes, no weights.

Each layer becomes the operators its kind's emitter writes (onnx_ops.py),
named after the layer; each tensor's shape is recorded (value_info) so a
viewer such as Netron shows the sizes on the edges.  Weights are graph
inputs with their full shapes and no data -- the file stays small, and a
runtime given arrays of those shapes runs it.  Tensors are converted between
layouts (forms.py) where a layer wants another one than its input has.
"""

from __future__ import annotations

from typing import Any

from ..errors import ArchError
from ..graph.layer_graph import Graph
from ..graph.shapes import infer_shapes
from ..kinds import Shape
from .layouts import NC, NCHW, NHWC, NLC, FormPlan, framework_shape, plan_forms
from .onnx_ops import ARCHSPEC_DOMAIN, ONNX_OPS, Emit

OPSET = 23  # RMSNormalization (23), GroupNormalization's per-channel scale (21), Gelu (20), Resize axes (18)
BATCH = "N"
ONNX_HINT = "pip install 'archspec[onnx]'"


def require_onnx() -> Any:
    """The onnx package, or an error saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ArchError(f"ONNX support needs the onnx package: {ONNX_HINT}") from None
    return onnx


class OnnxWriter:
    """Collects the nodes, inputs and shapes of the graph being written."""

    def __init__(self, graph: Graph, shapes: list[Shape | None], plan: FormPlan) -> None:
        self.onnx = require_onnx()
        self.graph, self.shapes, self.plan = graph, shapes, plan
        self.nodes: list[Any] = []
        self.inputs: list[Any] = []
        self.initializers: list[Any] = []
        self.value_info: list[Any] = []
        self.weights: dict[str, list[int]] = {}
        self.names: set[str] = set()
        self.held: dict[tuple[int, str], str] = {}  # (graph node, form) -> ONNX value
        self.uses_domain = False
        self.owner: str | None = None  # the layer whose weights the current one uses (shares=)

    # ---- what emitters call -----------------------------------------------------
    def node(self, op: str, inputs: list[str], output: str, domain: str = "", **attrs: Any) -> str:
        helper = self.onnx.helper
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain or None, **attrs))
        self.names.add(output)
        if domain == ARCHSPEC_DOMAIN:
            self.uses_domain = True
        return output

    def weight(self, layer: str, array: str, dims: list[int]) -> str:
        """A learnt array: a graph input of its full shape, holding no data
        (a layer that shares another's weights reads that layer's arrays)."""
        if self.owner is not None and f"{self.owner}.{array}" in self.weights:
            shared = f"{self.owner}.{array}"
            if self.weights[shared] == dims[::-1] and dims != dims[::-1]:  # a tied Linear reads the table transposed
                return self.node("Transpose", [shared], f"{layer}.{array}:transposed", perm=[1, 0])
            return shared
        name = f"{layer}.{array}"
        if name not in self.weights:
            self.weights[name] = dims
            self.inputs.append(self.onnx.helper.make_tensor_value_info(name, self.onnx.TensorProto.FLOAT, dims))
        return name

    def constant(self, name: str, values: Any) -> str:
        """A small operand (a shape, pads, scales): an initializer."""
        import numpy as np

        array = np.asarray(values)
        array = array.astype(np.float32) if array.dtype.kind == "f" else array.astype(np.int64)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def fixed(self, name: str, values: list[float]) -> str:
        """Values a layer holds but does not learn (a norm without affine weights): a Constant node."""
        import numpy as np

        tensor = self.onnx.numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)
        self.nodes.append(self.onnx.helper.make_node("Constant", [], [name], name=name, value=tensor))
        return name

    # ---- tensors in the forms the layers want ------------------------------------
    def value(self, index: int, form: str) -> str:
        """Node `index`'s output in `form`, converting it (once) if needed."""
        key = (index, form)
        if key in self.held:
            return self.held[key]
        have = self.plan.output[index]
        source = self.held[(index, have)]
        shape = self.shapes[index]
        assert shape is not None
        name = f"{self.graph.nodes[index].name}:{form}"
        self.held[key] = self.convert(source, have, form, name)
        self.describe(self.held[key], shape, form)
        return self.held[key]

    def convert(self, source: str, have: str, want: str, name: str) -> str:
        if (have, want) in _TRANSPOSES:
            return self.node("Transpose", [source], name, perm=_TRANSPOSES[have, want])
        if want == NC:  # (N, C, 1, 1) or (N, 1, 1, C) or (N, 1, C): the same elements as (N, C)
            return self.node("Reshape", [source, self.constant(name + ":shape", [0, -1])], name)
        if have == NC:
            axes = [2, 3] if want in (NCHW, NHWC) else [1]
            if want == NHWC:
                axes = [1, 2]
            return self.node("Unsqueeze", [source, self.constant(name + ":axes", axes)], name)
        if (have, want) == (NLC, NCHW):  # (N, L, D) -> (N, D, L, 1)
            swapped = self.node("Transpose", [source], name + ":swapped", perm=[0, 2, 1])
            return self.node("Unsqueeze", [swapped, self.constant(name + ":axes", [3])], name)
        if (have, want) == (NCHW, NLC):  # (N, D, L, 1) -> (N, L, D)
            squeezed = self.node("Squeeze", [source, self.constant(name + ":axes", [3])], name + ":squeezed")
            return self.node("Transpose", [squeezed], name, perm=[0, 2, 1])
        if (have, want) == (NLC, NHWC):  # (N, L, D) -> (N, L, 1, D)
            return self.node("Unsqueeze", [source, self.constant(name + ":axes", [2])], name)
        if (have, want) == (NHWC, NLC):
            return self.node("Squeeze", [source, self.constant(name + ":axes", [2])], name)
        raise AssertionError(f"no conversion from {have} to {want}")

    def describe(self, name: str, shape: Shape, form: str) -> None:
        dims: list[Any] = [BATCH, *framework_shape(shape, form)]
        self.value_info.append(self.onnx.helper.make_tensor_value_info(name, self.onnx.TensorProto.FLOAT, dims))


_TRANSPOSES = {(NCHW, NHWC): [0, 2, 3, 1], (NHWC, NCHW): [0, 3, 1, 2]}


def export_onnx(graph: Graph, size: tuple[int, int] | None = None, source: str = "") -> Any:
    """The spec's graph as an onnx ModelProto, its shapes at `size` (default:
    the spec's own input size)."""
    onnx = require_onnx()
    shapes = infer_shapes(graph, size)
    plan = plan_forms(graph, shapes)
    writer = OnnxWriter(graph, shapes, plan)
    helper = onnx.helper
    graph_inputs = []
    for i in graph.input_ids:
        node = graph.nodes[i]
        shape = shapes[i]
        assert shape is not None
        form = plan.output[i]
        writer.held[(i, form)] = node.name
        graph_inputs.append(helper.make_tensor_value_info(node.name, onnx.TensorProto.FLOAT,
                                                          [BATCH, *framework_shape(shape, form)]))
    readers = {j for n in graph.nodes for j in n.inputs}
    for i, node in enumerate(graph.nodes):
        if node.layer is None:
            continue
        emitter = ONNX_OPS.get(node.kind)
        if emitter is None:
            raise graph.error(f"layer '{node.name}': kind '{node.kind}' has no ONNX operator "
                              "(archspec's ONNX table does not list it)", node)
        forms = plan.wanted[i]
        inputs = [writer.value(j, form) for j, form in zip(node.inputs, forms)]
        in_shapes = [shapes[j] for j in node.inputs]
        out_shape = shapes[i]
        assert out_shape is not None
        site = Emit(node.name, node.layer, inputs, in_shapes, forms, out_shape, plan.output[i])  # type: ignore[arg-type]
        writer.owner = graph.nodes[node.shares].name if node.shares is not None else None
        produced = emitter(writer, site)
        writer.owner = None
        assert produced == node.name
        writer.held[(i, plan.output[i])] = node.name
        writer.describe(node.name, out_shape, plan.output[i])
    final = len(graph.nodes) - 1
    sinks = [i for i, n in enumerate(graph.nodes) if n.layer is not None and i not in readers and i != final]
    outputs = []
    for i in [*sinks, final]:
        shape = shapes[i]
        assert shape is not None
        outputs.append(helper.make_tensor_value_info(graph.nodes[i].name, onnx.TensorProto.FLOAT,
                                                     [BATCH, *framework_shape(shape, plan.output[i])]))
    output_names = {o.name for o in outputs}
    info = [v for v in writer.value_info if v.name not in output_names]
    model_name = graph.metadata.model or "network"
    onnx_graph = helper.make_graph(writer.nodes, model_name, graph_inputs + writer.inputs, outputs,
                                   initializer=writer.initializers, value_info=info)
    opsets = [helper.make_opsetid("", OPSET)]
    if writer.uses_domain:
        opsets.append(helper.make_opsetid(ARCHSPEC_DOMAIN, 1))
    model = helper.make_model(onnx_graph, opset_imports=opsets, producer_name="archspec",
                              doc_string=f"{model_name}: the architecture of {source or 'a spec'} "
                                         "(operators and shapes; weights are graph inputs without data)")
    props = {"archspec.model": model_name}
    fixed = [graph.nodes[i].name for i in graph.input_ids if graph.nodes[i].fixed]
    if fixed:  # inputs whose size does not follow the image's (im_info)
        props["archspec.fixed_inputs"] = ",".join(fixed)
    for key, value in graph.metadata.model_dump().items():
        if value is not None and key != "model":
            props[f"archspec.{key}"] = str(value)
    helper.set_model_props(model, props)
    return model


__all__ = ["OPSET", "OnnxWriter", "export_onnx", "require_onnx"]
