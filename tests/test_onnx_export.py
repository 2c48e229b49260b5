"""`archspec export --to onnx`: a valid ONNX graph of the architecture whose
shapes ONNX's own shape inference agrees with, weights as graph inputs
without data."""

from __future__ import annotations

from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")

from archspec import load, loads  # noqa: E402
from archspec.bridges.layouts import framework_shape, plan_forms  # noqa: E402
from archspec.bridges.onnx_export import export_onnx  # noqa: E402
from archspec.graph.shapes import infer_shapes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def inferred_shapes(model: onnx.ModelProto) -> dict[str, tuple[object, ...]]:
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    del bare.graph.value_info[:]  # infer from the operators alone, not from what archspec wrote
    done = onnx.shape_inference.infer_shapes(bare, strict_mode=True, data_prop=True)
    return {v.name: tuple(d.dim_value if d.HasField("dim_value") else d.dim_param
                          for d in v.type.tensor_type.shape.dim)
            for v in list(done.graph.value_info) + list(done.graph.output)}


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "squeezenet1-0", "deeplab-vggvd-v2", "googlenet"])
def test_onnx_shape_inference_agrees_with_archspec(name: str) -> None:
    graph = load(ROOT / "specs" / f"{name}.arch")
    model = export_onnx(graph)
    onnx.checker.check_model(model, full_check=True)
    found = inferred_shapes(model)
    shapes = infer_shapes(graph, None)
    plan = plan_forms(graph, shapes)
    checked = 0
    for i, node in enumerate(graph.nodes):
        if node.layer is not None and node.name in found:
            assert found[node.name][1:] == framework_shape(shapes[i], plan.output[i]), node.name  # type: ignore[arg-type]
            checked += 1
    assert checked == sum(1 for n in graph.nodes if n.layer is not None)


def test_weights_are_inputs_without_data() -> None:
    model = export_onnx(load(ROOT / "specs" / "resnet50.arch"))
    weights = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    assert weights["features_0.weight"] == [64, 3, 7, 7]
    assert weights["classifier.fc.weight"] == [1000, 2048]
    assert all(len(init.raw_data) + 8 * len(init.int64_data) < 1024 for init in model.graph.initializer)
    assert len(model.SerializeToString()) < 100_000  # 25.6 million weights, none of them in the file


def test_detection_layers_use_archspecs_domain() -> None:
    model = export_onnx(load(ROOT / "specs" / "faster-rcnn-vggvd-pascal.arch"))
    onnx.checker.check_model(model, full_check=True)
    ops = {(n.domain, n.op_type) for n in model.graph.node}
    assert ("ai.archspec", "Proposal") in ops and ("ai.archspec", "RoiPool") in ops
    props = {p.key: p.value for p in model.metadata_props}
    assert props["archspec.fixed_inputs"] == "im_info" and props["archspec.task"] == "detection"


def test_channels_last_layers_are_transposed_once() -> None:
    """ConvNeXt's block: LayerNorm, Linear, GELU, Linear run channels-last;
    the convolution's output is transposed once, for the LayerNorm and for
    the residual add (which runs channels-last too)."""
    graph = loads("""
model block
input 8 x 6 x 6
x = conv(8, 7, pad=3, groups=8)
y = layernorm(eps=1e-6) > linear(32) > gelu > linear(8) > layerscale
add(y, x)
""", "block.arch")
    model = export_onnx(graph)
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Transpose") == 1 and "LayerNormalization" in ops and ops.count("MatMul") == 2
