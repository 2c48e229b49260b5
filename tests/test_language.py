"""Each construct of the language, on small specs whose figures are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from archspec import analyze, loads
from archspec.errors import ArchError


def names(spec: str, **overrides: object) -> list[str]:
    return [layer.name for layer in analyze(loads(spec, **overrides)).layers]


def test_a_five_layer_network_from_memory() -> None:
    result = analyze(loads("""
        input 3 x 32 x 32
        conv(16, 3, pad=1) > relu > maxpool(2) > flatten > fc(10)
    """))
    # conv 3x3x3x16 + 16 bias = 448; fc over 16x16x16 = 4096 inputs: 4096*10 + 10 = 40,970
    assert [layer.params for layer in result.layers] == [448, 0, 0, 0, 40970]
    assert result.totals.output_shape == (10, 1, 1)


def test_chain_continues_from_the_previous_statement() -> None:
    result = analyze(loads("""
        input 3 x 8 x 8
        a = conv(4, 3, pad=1)
        b = relu
        c = a > conv(2, 1)
    """))
    by_name = {layer.name: layer for layer in result.layers}
    assert by_name["b"].inputs == ["a"]
    assert by_name["c"].inputs == ["a"]  # explicitly from a, not from b


def test_named_tensors_make_a_residual_dag() -> None:
    result = analyze(loads("""
        input 8 x 4 x 4
        main = conv(8, 3, pad=1, bias=false) > bn
        out = add(main, in) > relu
    """))
    by_name = {layer.name: layer for layer in result.layers}
    assert by_name["out.add"].inputs == ["main.bn", "input"]
    # add: one FLOP per output element under burden: 8*4*4 = 128
    assert by_name["out.add"].flops == 128


def test_inception_style_concat_of_branches() -> None:
    result = analyze(loads("""
        input 16 x 8 x 8
        a = conv(4, 1)
        b = in > conv(6, 3, pad=1)
        c = in > maxpool(3, stride=1, pad=1) > conv(2, 1)
        concat(a, b, c)
    """))
    assert result.totals.output_shape == (12, 8, 8)


def test_blocks_with_defaults_nesting_and_conditionals() -> None:
    spec = """
        input 4 x 8 x 8
        block unit(width, stride=1, project=false) {
            main = conv(width, 3, stride=stride, pad=1)
            skip = project ? in > conv(width, 1, stride=stride) : in
            add(main, skip)
        }
        block stage(width, n) {
            unit(width, stride=2, project=true) > unit(width) x (n - 1)
        }
        s = stage(8, 3)
    """
    result = analyze(loads(spec))
    kinds = [layer.kind for layer in result.layers]
    # unit 1: conv, conv (projection), add; units 2-3: conv, add each
    assert kinds == ["conv", "conv", "add", "conv", "add", "conv", "add"]
    assert result.totals.output_shape == (8, 4, 4)
    assert [layer.name for layer in result.layers][:3] == [
        "s.unit1.main", "s.unit1.skip", "s.unit1.add"]


def test_repetition_of_a_group_and_numbering() -> None:
    assert names("""
        input 3 x 8 x 8
        v = (conv(4, 3, pad=1) > relu) x 2 > maxpool(2)
    """) == ["v.conv1", "v.relu1", "v.conv2", "v.relu2", "v.maxpool"]


def test_repeat_zero_is_the_identity() -> None:
    assert names("input 3 x 8 x 8\nx = conv(4, 1) > relu x 0") == ["x"]


def test_integer_arithmetic_and_functions() -> None:
    result = analyze(loads("""
        input 3 x 8 x 8
        width = 64
        x = conv(4*width // 2 - width % 3, 1) > conv(max(8, width // 16), 1) > conv(int(width * 1.5), 1)
    """))
    # 4*64//2 - 64%3 = 128 - 1 = 127; max(8, 4) = 8; int(96.0) = 96
    assert [layer.output_shape[0] for layer in result.layers] == [127, 8, 96]


def test_explicit_names_are_relative_to_the_block() -> None:
    assert names("""
        input 3 x 8 x 8
        block b() {
            conv(4, 1) > relu as conv_relu
        }
        res5c = b
        fc1 = conv(2, 1) as fc7
    """) == ["res5c.conv", "res5c.conv_relu", "fc7"]


def test_reference_names_with_underscores_find_hierarchical_layers() -> None:
    graph = loads("""
        input 3 x 8 x 8
        block b() {
            conv(4, 1) > relu
        }
        res5c = b
    """)
    assert graph.nodes[graph.find("res5c_relu")].name == "res5c.relu"
    assert graph.nodes[graph.find("res5c")].name == "res5c.relu"  # an instance means its output


def test_input_size_is_a_variable() -> None:
    spec = loads("input 3 x 224 x 224\nconv(8, 3, stride=2, pad=1)")
    # floor((H + 2 - 3) / 2) + 1
    assert analyze(spec).totals.output_shape == (8, 112, 112)
    assert analyze(spec, size=(600, 850)).totals.output_shape == (8, 300, 425)


def test_params_are_overridable() -> None:
    spec = "param width = 16\nparam deep = false\ninput 3 x 8 x 8\nconv(width, 1) > (deep ? conv(width, 1) : relu)"
    assert analyze(loads(spec)).totals.output_shape == (16, 8, 8)
    wide = analyze(loads(spec, width=32, deep=True))
    assert [layer.kind for layer in wide.layers] == ["conv", "conv"]
    # second conv: 32*32 weights + 32 bias
    assert wide.layers[1].params == 32 * 32 + 32


def test_imports_resolve_relative_to_the_importing_file(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.arch").write_text('import "more.arch"\nblock pair(w) {\n  single(w) x 2\n}\n')
    (tmp_path / "lib" / "more.arch").write_text("block single(w) {\n  conv(w, 3, pad=1) > relu\n}\n")
    (tmp_path / "net.arch").write_text('model net\ninput 3 x 8 x 8\nimport "lib/blocks.arch"\np = pair(5)\n')
    from archspec import load

    assert analyze(load(tmp_path / "net.arch")).totals.output_shape == (5, 8, 8)


def test_comments_and_metadata() -> None:
    graph = loads("""
        # a comment line
        model tiny-net-2   # trailing comment
        @source "somewhere/model.py"
        @task classification
        @error 24.60 / -
        @features c
        input 3 x 8 x 8
        c = conv(2, 1)
    """)
    meta = graph.metadata
    assert (meta.model, meta.source, meta.task, meta.error, meta.features) == (
        "tiny-net-2", "somewhere/model.py", "classification", (24.6, None), "c")


def test_multiline_chains() -> None:
    assert names("""
        input 3 x 8 x 8
        x = conv(4, 3,
                 pad=1)
          > relu
          # comments between continued lines are fine
          > conv(4, 1)
    """) == ["x.conv1", "x.relu", "x.conv2"]


def test_batch_scales_features_and_flops_not_params() -> None:
    spec = loads("input 3 x 8 x 8\nconv(4, 3, pad=1) > relu")
    one, many = analyze(spec), analyze(spec, batch=7)
    assert many.totals.flops == 7 * one.totals.flops
    assert many.totals.feature_bytes == 7 * one.totals.feature_bytes
    assert many.totals.param_bytes == one.totals.param_bytes


def test_upto_keeps_only_the_layer_and_its_ancestors() -> None:
    spec = loads("""
        input 3 x 8 x 8
        trunk = conv(4, 1)
        head_a = conv(2, 1)
        head_b = trunk > conv(3, 1)
    """)
    assert [layer.name for layer in analyze(spec, upto="head_b").layers] == ["trunk", "head_b"]


@pytest.mark.parametrize("dtype,width", [("float32", 4), ("float16", 2), ("bfloat16", 2), ("int8", 1)])
def test_dtype_sets_bytes_per_element(dtype: str, width: int) -> None:
    result = analyze(loads("input 3 x 8 x 8\nconv(4, 1)"), dtype=dtype)
    assert result.totals.feature_bytes == 4 * 8 * 8 * width
    assert result.totals.param_bytes == (4 * 3 + 4) * width


def test_a_value_statement_in_a_chain_position_is_an_error() -> None:
    with pytest.raises(ArchError, match="does nothing"):
        loads("input 3 x 8 x 8\n3 + 4")


def test_tuples_are_indexed_and_overridable() -> None:
    spec = "param blocks = (2, 3)\ninput 3 x 8 x 8\nx = relu x blocks[0] > conv(blocks[-1], 1)"
    assert [layer.kind for layer in analyze(loads(spec)).layers] == ["relu", "relu", "conv"]
    deeper = analyze(loads(spec, blocks=(4, 5)))
    assert [layer.kind for layer in deeper.layers] == ["relu"] * 4 + ["conv"]
    assert deeper.totals.output_shape == (5, 8, 8)


def test_a_conditional_may_continue_on_the_next_lines() -> None:
    spec = "param deep = true\ninput 3 x 8 x 8\nx = deep\n  ? conv(4, 1) > relu\n  : relu"
    assert names(spec) == ["x.conv", "x.relu"]


def test_command_line_values() -> None:
    from archspec.commands.options import parse_literal, parse_size

    assert parse_literal("6,12,24,16") == (6, 12, 24, 16)
    assert parse_literal("(1.5, 2)") == (1.5, 2)
    assert (parse_literal("true"), parse_literal("7"), parse_literal("0.5"), parse_literal("max")) == (
        True, 7, 0.5, "max")
    assert parse_size("600x850") == (600, 850) and parse_size("224") == (224, 224)


def test_channels_of_a_tensor() -> None:
    result = analyze(loads("""
        input 3 x 8 x 8
        block se(ratio=4) {
            gate = gavgpool > conv(channels(in) // ratio, 1) > relu > conv(channels(in), 1) > sigmoid
            mul(in, gate)
        }
        x = conv(32, 1) > se
    """))
    # 32 channels in: squeeze to 32 // 4 = 8, excite back to 32
    assert [layer.output_shape[0] for layer in result.layers] == [32, 32, 8, 8, 32, 32, 32]


def test_blocks_take_tensors_as_arguments() -> None:
    result = analyze(loads("""
        input 4 x 8 x 8
        block fuse(side, width) {
            lateral = side > conv(width, 1)
            add(in, lateral)
        }
        skip = conv(6, 1)
        main = in > conv(8, 3, pad=1)
        out = fuse(skip, 8)
    """))
    by_name = {layer.name: layer for layer in result.layers}
    assert by_name["out.lateral"].inputs == ["skip"]
    assert by_name["out.add"].inputs == ["main", "out.lateral"]
    assert result.totals.output_shape == (8, 8, 8)
