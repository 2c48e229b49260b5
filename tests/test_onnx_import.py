"""`archspec import`: ONNX graphs built with onnx.helper (no framework), one
or a few operators each, read back as specs.  Every figure below is hand
arithmetic written in the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from archspec import analyze, loads  # noqa: E402
from archspec.bridges.onnx_import import import_model, import_onnx  # noqa: E402
from archspec.errors import ArchError  # noqa: E402


def tensor(name: str, values: Any, dtype: Any = np.float32) -> Any:
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def build(nodes: list[Any], weights: dict[str, list[int]] | None = None, consts: dict[str, Any] | None = None,
          shape: tuple[int, ...] = (1, 3, 8, 8), opset: int = 23, extra_inputs: list[Any] | None = None,
          outputs: list[str] | None = None, domain: bool = False) -> Any:
    """A model reading `x` of `shape`; weights are initializers of zeros, consts
    small initializers (shapes, pads, scales), Constant nodes where a test says."""
    inits = [tensor(n, np.zeros(d)) for n, d in (weights or {}).items()]
    for name, value in (consts or {}).items():
        array = np.asarray(value)
        inits.append(tensor(name, array, np.int64 if array.dtype.kind in "iu" else np.float32))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))
    names = outputs or [nodes[-1].output[0]]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names]
    graph = helper.make_graph(nodes, "test", [x, *(extra_inputs or [])], outs, initializer=inits)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.archspec", 1)] if domain else [])
    return helper.make_model(graph, opset_imports=opsets)


def spec(model: Any, **options: Any) -> str:
    return import_model(model, "test.onnx", **options).text


def totals(text: str) -> Any:
    return analyze(loads(text, "imported.arch")).totals


def node(op: str, inputs: list[str], output: str = "y", **attrs: Any) -> Any:
    return helper.make_node(op, inputs, [output], name=f"/{output}/{op}", **attrs)


# ---- convolution and linear layers -------------------------------------------------

def test_conv_with_bias_padding_stride_and_groups() -> None:
    model = build([node("Conv", ["x", "w", "b"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
                  {"w": [6, 3, 3, 3], "b": [6]})
    text = spec(model)
    assert "conv(6, 3, stride=2, pad=1)" in text
    t = totals(text)
    assert t.params == 6 * 3 * 3 * 3 + 6  # weights out x in x kh x kw, one bias per output
    assert t.output_shape == (6, 4, 4)  # floor((8 + 2 - 3) / 2) + 1
    assert t.macs == 6 * 4 * 4 * 3 * 3 * 3  # every output meets kh x kw x in weights


def test_grouped_dilated_conv_without_bias_and_uneven_pads() -> None:
    model = build([node("Conv", ["x", "w"], group=3, dilations=[2, 2], pads=[0, 1, 2, 1])], {"w": [6, 1, 3, 3]})
    text = spec(model)
    assert "conv(6, 3, pad=(0, 2, 1, 1), groups=3, bias=false, dilation=2)" in text
    assert totals(text).output_shape == (6, 6, 6)  # 8 + 0 + 2 - 5 + 1 = 6; 8 + 1 + 1 - 5 + 1 = 6


def test_conv_auto_pad_same_upper() -> None:
    model = build([node("Conv", ["x", "w"], auto_pad="SAME_UPPER", strides=[2, 2])], {"w": [4, 3, 3, 3]})
    assert totals(spec(model)).output_shape == (4, 4, 4)  # ceil(8 / 2)


def test_conv_transpose() -> None:
    model = build([node("ConvTranspose", ["x", "w"], strides=[2, 2], pads=[1, 1, 1, 1])], {"w": [3, 5, 4, 4]})
    text = spec(model)
    assert "deconv(5, 4, stride=2, pad=1, bias=false)" in text
    t = totals(text)
    assert t.params == 3 * 5 * 4 * 4 and t.output_shape == (5, 16, 16)  # (8 - 1) * 2 + 4 - 2


def test_gemm_after_flatten_is_linear() -> None:
    model = build([node("Flatten", ["x"], "f", axis=1), node("Gemm", ["f", "w", "b"], transB=1)],
                  {"w": [10, 192], "b": [10]})
    text = spec(model)
    assert "flatten > linear(10)" in text
    assert totals(text).params == 10 * 192 + 10  # 3 * 8 * 8 = 192 features


def test_gemm_without_transposed_weight() -> None:
    model = build([node("Flatten", ["x"], "f"), node("Gemm", ["f", "w"])], {"w": [192, 7]})
    assert "linear(7, bias=false)" in spec(model)


def test_matmul_with_constant_weight_and_bias_add_is_one_linear() -> None:
    nodes = [node("Transpose", ["x"], "t", perm=[0, 2, 3, 1]), node("MatMul", ["t", "w"], "m"),
             node("Add", ["m", "b"], "a"), node("Transpose", ["a"], "y", perm=[0, 3, 1, 2])]
    text = spec(build(nodes, {"w": [3, 12], "b": [12]}))
    assert "linear(12)" in text and "permute" not in text  # channels-last for the Linear only
    t = totals(text)
    assert t.params == 3 * 12 + 12 and t.output_shape == (12, 8, 8)


def test_matmul_of_two_computed_tensors_is_refused() -> None:
    model = build([node("Transpose", ["x"], "t", perm=[0, 1, 3, 2]), node("MatMul", ["x", "t"])])
    with pytest.raises(ArchError, match=r"node 2 of 2, '/y/MatMul' \(MatMul.*attention"):
        spec(model)


# ---- normalisation -------------------------------------------------------------------

def test_batchnorm() -> None:
    model = build([node("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3)],
                  {"s": [3], "b": [3], "m": [3], "v": [3]})
    text = spec(model)
    assert "bn(eps=0.001)" in text
    t = totals(text)
    assert (t.params, t.buffers) == (2 * 3, 2 * 3)  # scale and shift; running mean and variance


def test_batchnorm_with_fixed_scale_has_no_affine_weights() -> None:
    fixed = [helper.make_node("Constant", [], [n], value=tensor(n, [1.0, 1.0, 1.0])) for n in ("s", "b")]
    model = build([*fixed, node("BatchNormalization", ["x", "s", "b", "m", "v"])], {"m": [3], "v": [3]})
    text = spec(model)
    assert "bn(affine=false)" in text
    assert (totals(text).params, totals(text).buffers) == (0, 6)


def test_layernorm_over_channels_last() -> None:
    nodes = [node("Transpose", ["x"], "t", perm=[0, 2, 3, 1]),
             node("LayerNormalization", ["t", "s", "b"], "n", axis=-1, epsilon=1e-6),
             node("Transpose", ["n"], "y", perm=[0, 3, 1, 2])]
    text = spec(build(nodes, {"s": [3], "b": [3]}))
    assert "layernorm(eps=1e-06)" in text and "permute" not in text
    assert totals(text).params == 3 + 3


def test_layernorm_over_more_than_the_channels_is_refused() -> None:
    model = build([node("LayerNormalization", ["x", "s"], axis=1)], {"s": [3, 8, 8]})
    with pytest.raises(ArchError, match="LayerNormalization over more than the channels"):
        spec(model)


@pytest.mark.parametrize(("op", "attrs", "weights", "expected", "params"), [
    ("GroupNormalization", {"num_groups": 3}, {"s": [3], "b": [3]}, "groupnorm(3)", 6),
    ("InstanceNormalization", {}, {"s": [3], "b": [3]}, "instancenorm(affine=true)", 6),
    ("RMSNormalization", {"axis": -1}, {"s": [3]}, "rmsnorm", 3),
])
def test_other_normalisations(op: str, attrs: dict[str, Any], weights: dict[str, list[int]], expected: str,
                              params: int) -> None:
    first = [node("Transpose", ["x"], "x2", perm=[0, 2, 3, 1])] if op == "RMSNormalization" else []
    source = "x2" if first else "x"
    nodes = [*first, node(op, [source, *weights], **attrs)]
    text = spec(build(nodes, weights))
    assert expected in text and totals(text).params == params


def test_lrn() -> None:
    text = spec(build([node("LRN", ["x"], size=3, alpha=2e-4, beta=0.75, bias=2.0)]))
    assert "lrn(3, alpha=0.0002, k=2)" in text


def test_l2_normalisation_with_a_learnt_scale() -> None:
    nodes = [node("LpNormalization", ["x"], "n", axis=1, p=2), node("Mul", ["n", "s"])]
    text = spec(build(nodes, {"s": [3, 1, 1]}))
    assert "l2norm" in text and totals(text).params == 3


def test_l2_normalisation_alone_is_refused() -> None:
    with pytest.raises(ArchError, match="LpNormalization without the learnt scale"):
        spec(build([node("LpNormalization", ["x"], "n", axis=1, p=2), node("Relu", ["n"])]))


# ---- activations -----------------------------------------------------------------------

@pytest.mark.parametrize(("nodes", "kind"), [
    ([node("Relu", ["x"])], "relu"),
    ([node("Sigmoid", ["x"])], "sigmoid"),
    ([node("HardSwish", ["x"])], "hardswish"),
    ([node("HardSigmoid", ["x"], alpha=1 / 6, beta=0.5)], "hardsigmoid"),
    ([node("Gelu", ["x"])], "gelu"),
    ([node("Gelu", ["x"], approximate="tanh")], 'gelu(approximate="tanh")'),
    ([node("Clip", ["x", "lo", "hi"])], "relu6"),
    ([node("Sigmoid", ["x"], "s"), node("Mul", ["x", "s"])], "silu"),
    ([node("HardSigmoid", ["x"], "s", alpha=1 / 6, beta=0.5), node("Mul", ["s", "x"])], "hardswish"),
    ([node("Softmax", ["x"], axis=1)], "softmax"),
    ([node("Softmax", ["x"], axis=-1)], "softmax(axis=2)"),
    ([node("Dropout", ["x", "r"])], "dropout(0.25)"),
])
def test_activations(nodes: list[Any], kind: str) -> None:
    text = spec(build(nodes, consts={"lo": 0.0, "hi": 6.0, "r": 0.25}))
    body = text.split("\n\n")[-1]
    assert f"y = {kind}\n" in body or body.strip().endswith(f"= {kind}"), body
    assert totals(text).params == 0


def test_clip_to_zero_and_infinity_is_relu() -> None:
    assert spec(build([node("Clip", ["x", "lo"])], consts={"lo": 0.0})).strip().endswith("relu")


def test_clip_to_other_bounds_is_refused() -> None:
    with pytest.raises(ArchError, match=r"Clip to \[-1, 1\]"):
        spec(build([node("Clip", ["x", "lo", "hi"])], consts={"lo": -1.0, "hi": 1.0}))


def test_hardsigmoid_other_than_pytorchs_is_refused() -> None:
    with pytest.raises(ArchError, match=r"HardSigmoid with alpha 0\.2"):
        spec(build([node("HardSigmoid", ["x"])]))


def test_identity_passes_through() -> None:
    text = spec(build([node("Identity", ["x"], "i"), node("Relu", ["i"])]))
    assert totals(text).output_shape == (3, 8, 8) and "relu" in text


# ---- pooling -----------------------------------------------------------------------------

def test_max_and_average_pooling() -> None:
    nodes = [node("MaxPool", ["x"], "p", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=1),
             node("AveragePool", ["p"], "y", kernel_shape=[2, 2], strides=[2, 2])]
    text = spec(build(nodes))
    assert "maxpool(3, stride=2, pad=(0, 1, 0, 1), ceil=true) > avgpool(2)" in text
    assert totals(text).output_shape == (3, 2, 2)  # ceil((8 + 1 - 3) / 2) + 1 = 4, then 4 / 2


def test_dilated_max_pooling_and_a_refused_dilated_average() -> None:
    text = spec(build([node("MaxPool", ["x"], kernel_shape=[2, 2], strides=[1, 1], dilations=[2, 2])]))
    assert "maxpool(2, stride=1, dilation=2)" in text
    assert totals(text).output_shape == (3, 6, 6)  # 8 - (2·(2 − 1) + 1) + 1
    with pytest.raises(ArchError, match="dilated average pooling"):
        spec(build([node("AveragePool", ["x"], kernel_shape=[2, 2], dilations=[2, 2])]))


@pytest.mark.parametrize(("op", "attrs", "kind"), [
    ("Tanh", {}, "tanh"), ("Mish", {}, "mish"), ("Softplus", {}, "softplus"), ("Elu", {"alpha": 0.5}, "elu(alpha=0.5)"),
    ("LeakyRelu", {"alpha": 0.2}, "leaky_relu(0.2)"), ("Elu", {}, "elu"),
])
def test_more_activations(op: str, attrs: dict[str, Any], kind: str) -> None:
    assert spec(build([node(op, ["x"], **attrs)])).strip().endswith(f"= {kind}")


def test_prelu_per_channel() -> None:
    text = spec(build([node("PRelu", ["x", "slope"])], {"slope": [3, 1, 1]}))
    assert "prelu(per_channel=true)" in text and totals(text).params == 3


def test_transposed_convolution_with_output_padding_and_dilation() -> None:
    model = build([node("ConvTranspose", ["x", "w"], strides=[2, 2], output_padding=[1, 1], dilations=[2, 2])],
                  {"w": [3, 4, 3, 3]})
    text = spec(model)
    assert "dilation=2" in text and "output_padding=1" in text
    assert totals(text).output_shape == (4, 20, 20)  # (8 − 1)·2 + 2·(3 − 1) + 1 + 1


@pytest.mark.parametrize(("nodes", "kind"), [
    ([node("GlobalAveragePool", ["x"])], "gavgpool"),
    ([node("GlobalMaxPool", ["x"])], "gmaxpool"),
    ([node("ReduceMean", ["x", "axes"], keepdims=1)], "gavgpool"),
])
def test_global_pooling(nodes: list[Any], kind: str) -> None:
    text = spec(build(nodes, consts={"axes": [2, 3]}))
    assert kind in text and totals(text).output_shape == (3, 1, 1)


# ---- combining tensors -------------------------------------------------------------------

def test_add_sum_max_and_concat() -> None:
    nodes = [node("Relu", ["x"], "a"), node("Sigmoid", ["x"], "b"), node("Add", ["a", "b"], "c"),
             node("Sum", ["a", "b", "c"], "d"), node("Max", ["c", "d"], "e"), node("Concat", ["e", "a"], "y", axis=1)]
    text = spec(build(nodes))
    assert "add(" in text and "max(" in text and "concat(" in text
    assert totals(text).output_shape == (6, 8, 8)


def test_squeeze_and_excitation_gate() -> None:
    nodes = [node("GlobalAveragePool", ["x"], "g"), node("Conv", ["g", "w"], "c", kernel_shape=[1, 1]),
             node("Sigmoid", ["c"], "s"), node("Mul", ["x", "s"])]
    text = spec(build(nodes, {"w": [3, 3, 1, 1]}))
    assert "mul(" in text and totals(text).params == 3 * 3


def test_learnt_per_channel_scale_is_layerscale() -> None:
    text = spec(build([node("Mul", ["x", "g"])], {"g": [3, 1, 1]}))
    assert "layerscale" in text and totals(text).params == 3


def test_mul_by_a_constant_number_is_refused() -> None:
    fixed = helper.make_node("Constant", [], ["k"], value=tensor("k", 2.0))
    with pytest.raises(ArchError, match="not a learnt per-channel scale"):
        spec(build([fixed, node("Mul", ["x", "k"])]))


def test_split_and_slice_along_channels() -> None:
    split = helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1)
    nodes = [split, node("Slice", ["b", "start", "stop", "axes"], "c"), node("Concat", ["a", "c"], "y", axis=1)]
    text = spec(build(nodes, consts={"sizes": [1, 2], "start": [1], "stop": [2], "axes": [1]}))
    assert "slice(0, 1)" in text and "slice(1, 3)" in text and "slice(1, 2)" in text
    assert totals(text).output_shape == (2, 8, 8)


def test_slice_with_steps_is_refused() -> None:
    nodes = [node("Slice", ["x", "start", "stop", "axes", "steps"])]
    with pytest.raises(ArchError, match="Slice with steps"):
        spec(build(nodes, consts={"start": [0], "stop": [2], "axes": [1], "steps": [2]}))


def test_crop_to_a_reference_tensor() -> None:
    nodes = [node("MaxPool", ["x"], "small", kernel_shape=[2, 2], strides=[2, 2]), node("Shape", ["small"], "sh"),
             node("Slice", ["sh", "two", "four"], "hw"), node("Add", ["hw", "off"], "end"),
             node("Slice", ["x", "off", "end", "axes"], "y")]
    text = spec(build(nodes, consts={"two": [2], "four": [4], "off": [1, 1], "axes": [2, 3]}))
    assert "= crop(image, " in text and ", 1)" in text  # the offset, (1, 1)
    assert totals(text).output_shape == (3, 4, 4)


def test_slice_of_height_with_fixed_bounds_is_refused() -> None:
    nodes = [node("Slice", ["x", "start", "stop", "axes"])]
    with pytest.raises(ArchError, match="fixed bounds"):
        spec(build(nodes, consts={"start": [1, 1], "stop": [5, 5], "axes": [2, 3]}))


# ---- reshaping ---------------------------------------------------------------------------

def test_head_reshape_computed_from_the_shape() -> None:
    """`x.view(x.size(0), -1)` as exporters write it: Shape, Gather, Unsqueeze, Concat, Reshape."""
    nodes = [node("Shape", ["x"], "s"), node("Gather", ["s", "zero"], "n", axis=0),
             node("Unsqueeze", ["n", "axes"], "n1"), node("Concat", ["n1", "minus"], "target", axis=0),
             node("Reshape", ["x", "target"], "y")]
    text = spec(build(nodes, consts={"zero": 0, "axes": [0], "minus": [-1]}))
    assert "flatten" in text and totals(text).output_shape == (192, 1, 1)


def test_reshape_to_c_h_w_keeps_zero_and_minus_one() -> None:
    text = spec(build([node("Reshape", ["x", "target"])], consts={"target": [0, 6, -1, 0]}))
    assert "reshape(6, -1, 0)" in text and totals(text).output_shape == (6, 4, 8)


def test_reshape_across_the_batch_is_refused() -> None:
    with pytest.raises(ArchError, match="across the batch axis"):
        spec(build([node("Reshape", ["x", "target"])], consts={"target": [2, -1]}))


def test_transpose_then_flatten_is_a_permute() -> None:
    nodes = [node("Transpose", ["x"], "t", perm=[0, 2, 3, 1]), node("Flatten", ["t"], "y")]
    text = spec(build(nodes))
    assert "permute((1, 2, 0)) > flatten" in text


def test_transpose_of_the_batch_is_refused() -> None:
    with pytest.raises(ArchError, match="moves the batch axis"):
        spec(build([node("Transpose", ["x"], perm=[1, 0, 2, 3])]))


def test_channel_shuffle() -> None:
    nodes = [node("Reshape", ["x", "grouped"], "g"), node("Transpose", ["g"], "t", perm=[0, 2, 1, 3, 4]),
             node("Reshape", ["t", "back"], "y")]
    text = spec(build(nodes, consts={"grouped": [0, 2, 2, 8, 8], "back": [0, 4, 8, 8]}, shape=(1, 4, 8, 8)))
    assert "shuffle(2)" in text


def test_unsqueeze_and_squeeze_of_unit_axes_make_no_layer() -> None:
    nodes = [node("GlobalAveragePool", ["x"], "g"), node("Squeeze", ["g", "axes"], "s"),
             node("Unsqueeze", ["s", "axes"], "u"), node("Relu", ["u"])]
    text = spec(build(nodes, consts={"axes": [2, 3]}))
    assert "gavgpool > relu" in text


def test_depth_to_space_and_space_to_depth() -> None:
    nodes = [node("DepthToSpace", ["x"], "d", blocksize=2, mode="CRD"), node("SpaceToDepth", ["d"], blocksize=2)]
    text = spec(build(nodes, shape=(1, 4, 8, 8)))
    assert "pixelshuffle(2) > pixelunshuffle(2)" in text and totals(text).output_shape == (4, 8, 8)


def test_pad_modes() -> None:
    nodes = [node("Pad", ["x", "pads"], "a"), node("Pad", ["a", "pads"], "b", mode="reflect"),
             node("Pad", ["b", "pads"], "y", mode="edge")]
    text = spec(build(nodes, consts={"pads": [0, 0, 1, 2, 0, 0, 1, 2]}))
    assert 'pad((1, 2)) > pad((1, 2), mode="reflect") > pad((1, 2), mode="replicate")' in text
    assert totals(text).output_shape == (3, 14, 20)  # 8 + 2 * 3, 8 + 4 * 3


def test_pad_with_a_value_is_refused() -> None:
    with pytest.raises(ArchError, match="Pad with the value 1"):
        spec(build([node("Pad", ["x", "pads", "v"])], consts={"pads": [0, 0, 1, 1, 0, 0, 1, 1], "v": 1.0}))


# ---- resizing ----------------------------------------------------------------------------

def test_resize_by_scales() -> None:
    nodes = [node("Resize", ["x", "", "scales"], "a", mode="nearest"),
             node("Resize", ["a", "", "half"], "y", mode="linear")]
    text = spec(build(nodes, consts={"scales": [1.0, 1.0, 2.0, 2.0], "half": [1.0, 1.0, 1.5, 1.5]}))
    assert 'upsample(2) > upsample(1.5, mode="bilinear")' in text
    assert totals(text).output_shape == (3, 24, 24)  # 8 * 2 * 1.5


def test_resize_to_another_tensors_size() -> None:
    nodes = [node("MaxPool", ["x"], "small", kernel_shape=[2, 2]), node("Shape", ["x"], "sh"),
             node("Slice", ["sh", "two", "four"], "hw"),
             node("Resize", ["small", "", "", "hw"], "y", mode="linear", axes=[2, 3])]
    text = spec(build(nodes, consts={"two": [2], "four": [4]}))
    assert "upsample(" in text and 'mode="bilinear"' in text and totals(text).output_shape == (3, 8, 8)


def test_corner_aligned_resize_to_a_size_is_interp() -> None:
    nodes = [node("Resize", ["x", "", "", "sizes"], mode="linear", coordinate_transformation_mode="align_corners",
                  axes=[2, 3])]
    text = spec(build(nodes, consts={"sizes": [29, 29]}))
    assert "interp(zoom=4)" in text  # (8 - 1) * 4 + 1 = 29


def test_cubic_resize_is_refused() -> None:
    with pytest.raises(ArchError, match="mode cubic"):
        spec(build([node("Resize", ["x", "", "s"], mode="cubic")], consts={"s": [1.0, 1.0, 2.0, 2.0]}))


# ---- archspec's own operators, opaque layers -----------------------------------------------

def test_archspec_domain_operators() -> None:
    prior = helper.make_node("PriorBox", ["x"], ["y"], name="prior", domain="ai.archspec", priors=3)
    text = spec(build([prior], domain=True))
    assert "priorbox(3)" in text and totals(text).output_shape == (4 * 8 * 8 * 3, 2, 1)


def test_an_unknown_operator_is_an_error_naming_node_operator_and_place() -> None:
    nodes = [node("Relu", ["x"], "r"), node("Erf", ["r"], "e"), node("Sigmoid", ["e"])]
    with pytest.raises(ArchError) as caught:
        spec(build(nodes))
    text = str(caught.value)
    assert "test.onnx: node 2 of 3, '/e/Erf' (Erf, reading 'r'): archspec has no layer kind for Erf" in text
    assert "--opaque" in text


def test_opaque_import_keeps_the_declared_shape_and_counts_nothing() -> None:
    nodes = [node("Relu", ["x"], "r"), node("Erf", ["r"], "e"), node("Sigmoid", ["e"])]
    model = build(nodes)
    model.graph.value_info.append(helper.make_tensor_value_info("e", TensorProto.FLOAT, [1, 3, 8, 8]))
    imported = import_model(model, "test.onnx", opaque=True)
    assert 'opaque(3, 8, 8, op="Erf")' in imported.text and "# opaque: Erf" in imported.text
    assert imported.notes and "opaque" in imported.notes[0]
    assert totals(imported.text).macs == 0


def test_opaque_needs_a_declared_shape() -> None:
    with pytest.raises(ArchError, match="declares no fixed"):
        spec(build([node("Erf", ["x"])]), opaque=True)


# ---- graphs, files -----------------------------------------------------------------------

def test_weights_as_graph_inputs_are_read_by_their_shapes() -> None:
    w = helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 1, 1])
    model = build([node("Conv", ["x", "w"])], extra_inputs=[w])
    assert totals(spec(model)).params == 4 * 3


def test_an_input_without_fixed_size_needs_one() -> None:
    model = build([node("Relu", ["x"])], shape=(1, 3, 8, 8))
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "H"
    with pytest.raises(ArchError, match="no fixed height and width"):
        spec(model)
    assert totals(spec(model, size=(20, 30))).output_shape == (3, 20, 30)


def test_a_token_sequence_input() -> None:
    nodes = [node("LayerNormalization", ["x", "s", "b"], "n", axis=-1), node("MatMul", ["n", "w"])]
    text = spec(build(nodes, {"s": [16], "b": [16], "w": [16, 32]}, shape=(1, 10, 16)))
    assert "input tokens 10 x 16" in text and totals(text).output_shape == (32, 10, 1)


def test_weights_used_twice_are_shared() -> None:
    nodes = [node("Conv", ["x", "w"], "a", pads=[1, 1, 1, 1]), node("Conv", ["a", "w"], "y", pads=[1, 1, 1, 1])]
    text = spec(build(nodes, {"w": [3, 3, 3, 3]}, shape=(1, 3, 8, 8)))
    assert "shares=" in text and totals(text).params == 3 * 3 * 3 * 3


def test_not_an_onnx_file(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"\x00\x01 not protobuf \xff" * 10)
    with pytest.raises(ArchError, match="is not an ONNX model"):
        import_onnx(bad)
    with pytest.raises(ArchError, match="no such ONNX file"):
        import_onnx(tmp_path / "missing.onnx")
    with pytest.raises(ArchError, match="is a directory"):
        import_onnx(tmp_path)


def test_metadata_comes_from_the_model(tmp_path: Path) -> None:
    model = build([node("Relu", ["x"])])
    model.producer_name, model.producer_version = "exporter", "1.2"
    path = tmp_path / "tiny_net.onnx"
    onnx.save(model, str(path))
    text = import_onnx(path).text
    assert text.startswith("model test\n") or text.startswith("model tiny_net\n")
    assert '@source "tiny_net.onnx (exporter 1.2, opset 23)"' in text


# ---- every refusal names the node and says why -------------------------------------------

ERRORS = [
    ([node("Flatten", ["x"], "f"), node("Gemm", ["f", "w"], transA=1)], {"w": [192, 7]}, {}, "transA"),
    ([node("Flatten", ["x"], "f"), node("Gemm", ["f", "w"], alpha=2.0)], {"w": [192, 7]}, {}, "scaled by alpha"),
    ([node("Flatten", ["x"], "f"), node("Gemm", ["f", "w", "b"], beta=0.5)], {"w": [192, 7], "b": [7]}, {},
     "bias is scaled by beta"),
    ([node("MatMul", ["x", "w"])], {"w": [8, 4]}, {}, "not the channels"),
    ([node("Conv", ["x", "w"])], {"w": [4, 3, 3, 3, 3]}, {}, "3-D convolution"),
    ([node("ConvTranspose", ["x", "w"], output_shape=[16, 16])], {"w": [3, 4, 2, 2]}, {}, "output_shape"),
    ([node("Add", ["x", "b"])], {"b": [3, 1, 1]}, {}, "not a Linear's bias"),
    ([node("Concat", ["x", "x"], axis=2)], {}, {}, "not the channels"),
    ([helper.make_node("Split", ["x", "s"], ["a", "b"], name="split", axis=2)], {}, {"s": [4, 4]}, "not the channels"),
    ([node("Squeeze", ["x", "axes"])], {}, {"axes": [0]}, "batch axis"),
    ([node("LpNormalization", ["x"], "n", axis=1, p=1), node("Mul", ["n", "s"])], {"s": [3, 1, 1]}, {},
     "other than L2"),
    ([node("GroupNormalization", ["x", "s", "b"], num_groups=3)], {"s": [3], "b": [3]}, {}, None),
    ([node("Softmax", ["x"], axis=1)], {}, {}, None),
    ([node("Resize", ["x", "", ""], mode="nearest")], {}, {}, "without scales or sizes"),
    ([node("ReduceMean", ["x", "axes"])], {}, {"axes": [1]}, "global average pool"),
    ([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "mean", "var"], name="bn",
                       training_mode=1), node("Add", ["mean", "mean"], "z")],
     {"s": [3], "b": [3], "m": [3], "v": [3]}, {}, "batch statistics are read"),
]


@pytest.mark.parametrize(("nodes", "weights", "consts", "message"), ERRORS)
def test_refusals(nodes: list[Any], weights: dict[str, list[int]], consts: dict[str, Any], message: str | None) -> None:
    model = build(nodes, weights, consts, outputs=[nodes[0].output[0]] if message and "statistics" in message
                  else None)
    if message is None:  # these map (listed to show they are not refused)
        assert totals(spec(model)).output_shape == (3, 8, 8)
        return
    with pytest.raises(ArchError, match=message) as caught:
        spec(model)
    assert "test.onnx: node " in str(caught.value) and " of " in str(caught.value)


def test_softmax_of_an_old_opset_over_several_axes_is_refused() -> None:
    with pytest.raises(ArchError, match="opset < 13 Softmax over several axes"):
        spec(build([node("Softmax", ["x"], axis=1)], opset=11))


def test_groupnorm_with_a_scale_per_group_is_refused() -> None:
    with pytest.raises(ArchError, match="one scale per group"):
        spec(build([node("GroupNormalization", ["x", "s", "b"], num_groups=1)], {"s": [1], "b": [1]}))
