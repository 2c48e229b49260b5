"""Language features of issue 17 and of the zoo engineers' list, each with
figures by hand (written in the comments) and the messages they promise:
blocks without parentheses, inline chains as layer inputs, the repetition
index `x n with i`, error(), len() and str(), nested --set tuples, the `>`
comparison hint, the hints for a spec without input or without its import,
and zoo models and libraries by name (docs/language.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archspec import analyze, load, loads
from archspec.cli import app
from archspec.commands.options import parse_literal, parse_set_grid
from archspec.errors import ArchError

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
IMAGE = "input 3 x 8 x 8\n"


def params(text: str, **overrides: object) -> int:
    return analyze(loads(text, **overrides)).totals.params


def names(text: str) -> list[str]:
    return [layer.name for layer in analyze(loads(text)).layers]


def failure(text: str, path: str = "<string>", **overrides: object) -> ArchError:
    with pytest.raises(ArchError) as caught:
        analyze(loads(text, path=path, **overrides))
    return caught.value


# ---- blocks without parentheses -------------------------------------------

def test_a_block_without_parentheses_has_no_parameters() -> None:
    # conv(8, 3) on 3 channels: 8·3·9 weights + 8 biases = 224, once per call
    text = IMAGE + "block stem {\n    conv(8, 3, pad=1) > relu\n}\nblock tail() { relu }\nstem > stem() > tail\n"
    assert params(text) == 224 + (8 * 8 * 9 + 8)
    assert names(text) == ["stem1.conv", "stem1.relu", "stem2.conv", "stem2.relu", "tail.relu"]


def test_a_block_without_parentheses_refuses_arguments() -> None:
    error = failure(IMAGE + "block stem { conv(8, 3) }\nstem(4)\n")
    assert "block 'stem' takes 0 arguments, got 1" in error.message


# ---- inline chains as inputs -----------------------------------------------

SQUEEZE = IMAGE + "d = conv(16, 3)\nse = mul(d, d > gavgpool > conv(16, 1) > sigmoid)\n"


def test_a_multi_input_layer_takes_an_inline_chain() -> None:
    # d: 16·3·9 + 16 = 448; the gate's 1x1 conv: 16·16 + 16 = 272
    assert params(SQUEEZE) == 448 + 272
    # the statement makes four layers, named as the steps of a chain
    assert names(SQUEEZE) == ["d", "se.gavgpool", "se.conv", "se.sigmoid", "se.mul"]
    graph = loads(SQUEEZE)
    mul = graph.nodes[graph.index["se.mul"]]
    assert [graph.nodes[i].name for i in mul.inputs] == ["d", "se.sigmoid"]


def test_an_inline_chain_is_written_the_same_as_a_named_one() -> None:
    named = IMAGE + "d = conv(16, 3)\ngate = d > gavgpool > conv(16, 1) > sigmoid\nse = mul(d, gate)\n"
    a, b = analyze(loads(SQUEEZE)).totals, analyze(loads(named)).totals
    assert (a.params, a.flops, a.feature_bytes) == (b.params, b.flops, b.feature_bytes)


def test_an_inline_chain_in_a_chain_and_in_a_repeat() -> None:
    # x > add(x > conv(8, 1), ...) twice: each repeat makes its own 1x1 conv, 8·8 + 8 = 72
    text = IMAGE + "x = conv(8, 3)\ny = x > add(x > conv(8, 1)) x 2\n"
    assert params(text) == 224 + 2 * 72
    assert names(text) == ["x", "y.conv1", "y.add1", "y.conv2", "y.add2"]


def test_an_inline_chain_must_start_from_a_tensor() -> None:
    error = failure(IMAGE + "d = conv(16, 3)\nmul(d, gavgpool > sigmoid)\n")
    assert "a chain given to mul starts from a tensor" in error.message
    # a layer of one input still takes its input from the chain
    error = failure(IMAGE + "d = conv(16, 3)\nrelu(d > relu)\n")
    assert "relu takes its input from the chain" in error.message


# ---- the repetition index --------------------------------------------------

def test_the_index_counts_the_repeats_from_zero() -> None:
    # conv widths 8, 16, 24: 8·3·9 + 8 = 224, 16·8·9 + 16 = 1,168, 24·16·9 + 24 = 3,480
    text = IMAGE + "x = conv(8 * (i + 1), 3, pad=1) x 3 with i\n"
    assert params(text) == 224 + 1_168 + 3_480
    assert names(text) == ["x.conv1", "x.conv2", "x.conv3"]


def test_the_index_is_passed_to_blocks_and_nests() -> None:
    # unit(w): a 1x1 conv to w; widths (i + 1)·4 + j for i in 0..1, j in 0..1:
    # 4, 5, 8, 9: 4·3 + 4 = 16, 5·4 + 5 = 25, 8·5 + 8 = 48, 9·8 + 9 = 81
    text = IMAGE + "block unit(w) { conv(w, 1) }\nx = (unit((i + 1) * 4 + j) x 2 with j) x 2 with i\n"
    assert params(text) == 16 + 25 + 48 + 81


def test_the_index_of_an_empty_repeat_is_the_identity() -> None:
    assert params(IMAGE + "x = conv(8, 1)\ny = conv(8 * i, 1) x 0 with i\nz = conv(4, 1)\n") == 32 + 36


def test_the_index_is_only_seen_inside_the_repeat() -> None:
    error = failure(IMAGE + "x = conv(8 * (i + 1), 1) x 2 with i\ny = conv(i, 1)\n")
    assert "unknown name 'i'" in error.message


def test_an_unused_index_and_a_taken_name_are_errors() -> None:
    error = failure(IMAGE + "x = conv(8, 1) x 2 with i\n")
    assert "does not use its index 'i'" in error.message and error.location is not None
    assert (error.location.line, error.location.column) == (2, 25)  # at the index
    error = failure(IMAGE + "block b(i) { conv(8 * (i + 1), 1) x 2 with i }\nb(1)\n")
    assert "'i' is already defined" in error.message


def test_an_indexed_repeat_past_the_layer_limit_is_refused_before_it_is_made() -> None:
    # 2,000 calls of a block of 1,000 layers each: 2,000,000 > 1,000,000
    text = IMAGE + "block r(k) {\n relu x (1000 + k - k)\n}\nx = r(i) x 2000 with i\n"
    assert "expands past 1,000,000" in failure(text).message


def test_a_table_of_stages_is_walked_with_the_index() -> None:
    # a stage per row (width, units): (8, 1) and (16, 2): 8·3·9 + 8 = 224; 16·8·9 + 16 = 1,168;
    # 16·16·9 + 16 = 2,320
    text = (IMAGE + "param rows = ((8, 1), (16, 2))\n"
            "block stage(row) { conv(row[0], 3, pad=1) x row[1] }\n"
            "stage(rows[i]) x len(rows) with i\n")
    assert params(text) == 224 + 1_168 + 2_320


# ---- error(), len(), str() ---------------------------------------------------

def test_error_refuses_a_setting_in_the_specs_words_at_the_call() -> None:
    text = (IMAGE + 'param act = "relu"\n'
            'x = conv(8, 1) > (act == "relu" ? relu : error("act is relu, not " + str(act)))\n')
    assert params(text) == 32  # the chosen branch only: error() is never called
    error = failure(text, path="net.arch", act="gelu")
    assert error.message == "act is relu, not gelu"
    assert error.location is not None and (error.location.line, error.location.column) == (3, 42)


def test_error_takes_one_string_and_shows_no_control_characters() -> None:
    assert "error() takes one message string" in failure(IMAGE + "x = error(3)\n").message
    assert failure(IMAGE + 'x = error("bell\\a and \\x1b[31mred")\n').message == "bell\\x07 and \\x1b[31mred"


def test_len_and_str() -> None:
    # len((2, 3, 4)) = 3 channels; str gives the language's own spelling
    assert params(IMAGE + "x = conv(len((2, 3, 4)), 1)\n") == 3 * 3 + 3
    text = IMAGE + 'x = str((1, 2.5, true, "a")) == "(1, 2.5, true, a)" ? relu : error("str")\n'
    assert analyze(loads(text)).layers[0].kind == "relu"
    assert "len(): takes a tuple, got 3" in failure(IMAGE + "x = conv(len(3), 1)\n").message


# ---- --set with nested tuples ----------------------------------------------

def test_set_values_nest() -> None:
    assert parse_literal("((1,16,1,1),(6,24,2,2))") == ((1, 16, 1, 1), (6, 24, 2, 2))
    assert parse_literal("(1,2),(3,4)") == ((1, 2), (3, 4))
    assert parse_literal("6,12,24,16") == (6, 12, 24, 16)
    assert parse_literal("((1,(2,3)),4)") == ((1, (2, 3)), 4)
    for unbalanced in ("((1,2)", "(1,2))", "a(b"):
        with pytest.raises(ArchError, match="unbalanced parentheses"):
            parse_literal(unbalanced)
    with pytest.raises(ArchError, match="nested deeper than 64"):
        parse_literal("(" * 100 + ")" * 100)
    # a sweep's values are cut at the commas outside parentheses
    grid = parse_set_grid(["rows=(3,3,9,3),(3,3,27,3)"])
    assert grid == [{"rows": (3, 3, 9, 3)}, {"rows": (3, 3, 27, 3)}]


def test_set_a_table_of_rows_from_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "net.arch"
    spec.write_text(IMAGE + "param rows = ((8, 1), (16, 2))\n"
                    "block stage(row) { conv(row[0], 3, pad=1) x row[1] }\n"
                    "stage(rows[i]) x len(rows) with i\n")
    result = CliRunner().invoke(app, ["analyze", str(spec), "--set", "rows=((4,1),(4,1),(8,1))", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    # 4·3·9 + 4 = 112; 4·4·9 + 4 = 148; 8·4·9 + 8 = 296
    assert json.loads(result.stdout)["totals"]["params"] == 112 + 148 + 296


# ---- the `>` comparison hint -------------------------------------------------

def test_greater_than_read_as_a_chain_gets_a_hint() -> None:
    error = failure(IMAGE + "param dilation = 2\nx = dilation > 1 ? conv(8, 3) : conv(8, 1)\n")
    assert error.message == "expected a layer or block here, got the number 2"
    assert error.hint == "`>` chains layers; for greater-than write `1 < dilation`"
    error = failure(IMAGE + "param d = (1, 2)\nx = d[0] + 1 > 2 * d[1] ? relu : relu\n")
    assert error.hint == "`>` chains layers; for greater-than write `2 * d[1] < d[0] + 1`"
    # a tensor compared with a number
    error = failure(IMAGE + "x = conv(8, 1)\ny = x > 1 ? relu : relu\n")
    assert error.hint == "`>` chains layers; for greater-than write `1 < x`"
    # a number after layers is a misplaced value, not a comparison: no hint
    assert failure(IMAGE + "x = conv(8, 1) > relu > 3 > relu\n").hint is None
    assert failure(IMAGE + "x = 3\ny = conv(8, 1) > x\n").hint is None


# ---- a spec without input, a block without its import ------------------------

def test_a_spec_without_input_names_its_file(tmp_path: Path) -> None:
    spec = tmp_path / "net.arch"
    spec.write_text("model t\nblock b { relu }\n")
    result = CliRunner().invoke(app, ["analyze", str(spec)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {spec}: the spec declares no input (add a line like `input 3 x 224 x 224`)\n"


def test_a_block_called_without_its_import_suggests_it(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "units.arch").write_text("block my_unit(w) {\n    conv(w, 1)\n}\n")
    spec = tmp_path / "net.arch"
    spec.write_text(IMAGE + "x = my_unit(8)\n")
    with pytest.raises(ArchError) as caught:
        load(spec)
    assert caught.value.hint == ("'my_unit' is a block of a library this file does not import: "
                                 "add `import \"lib/units.arch\"`")
    # a library beside the spec and one of the zoo that both define the block
    (tmp_path / "lib" / "units.arch").write_text("block cnblock(w) {\n    conv(w, 1)\n}\n")
    spec.write_text(IMAGE + "x = cnblock(8)\n")
    with pytest.raises(ArchError) as caught:
        load(spec)
    assert caught.value.hint == ("'cnblock' is a block of a library this file does not import: add "
                                 "`import \"lib/units.arch\"` (or `import \"zoo:modern/lib/convnext.arch\"`)")
    # a block of the shipped zoo: its zoo: import
    spec.write_text(IMAGE + "x = msra_bottleneck(64)\n")
    with pytest.raises(ArchError) as caught:
        load(spec)
    assert caught.value.hint is not None and 'add `import "zoo:lib/resnet.arch"`' in caught.value.hint


# ---- the zoo by name ----------------------------------------------------------

@pytest.fixture()
def elsewhere(tmp_path: Path) -> object:
    """Run from a folder with no specs in it."""
    before = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(before)


def test_zoo_models_load_by_name(elsewhere: Path) -> None:
    # torchvision's documented ResNet-50: 4,089,184,256 MACs (tests/test_conventions.py)
    for name in ("resnet50", "modern/resnet50", "reference/resnet50"):
        assert analyze(load(name)).totals.macs == 4_089_184_256
    assert load("resnet50").path == str(SPECS / "resnet50.arch")  # the reference's comes first
    assert load("modern/resnet50").path == str(SPECS / "modern" / "resnet50.arch")
    assert load("vit_b_16").path == str(SPECS / "transformers" / "vit_b_16.arch")


def test_a_path_wins_over_a_zoo_name(elsewhere: Path) -> None:
    (elsewhere / "resnet50").write_text(IMAGE + "conv(8, 3)\n")
    assert analyze(load("resnet50")).totals.params == 224


def test_an_unknown_model_name_suggests_the_zoos(elsewhere: Path) -> None:
    with pytest.raises(ArchError) as caught:
        load("resnt50")
    assert caught.value.message == "no such spec file or zoo model: resnt50"
    assert caught.value.hint is not None and "'resnet50'" in caught.value.hint
    with pytest.raises(ArchError, match=r"no such spec file: missing\.arch"):
        load("missing.arch")


def test_a_spec_imports_the_shipped_libraries_by_name(tmp_path: Path) -> None:
    # torchvision's BasicBlock of 64 on 64 x 56 x 56: 2 x (64·64·9) + 2 x 2·64 = 73,984
    text = 'input 64 x 56 x 56\nimport "zoo:modern/lib/resnet.arch"\nbasic(64)\n'
    assert analyze(loads(text, path=str(tmp_path / "mine.arch"))).totals.params == 73_984
    # a library of the zoo that imports its neighbours (deeplab.arch imports vgg.arch and resnet.arch)
    graph = loads('input 3 x 8 x 8\nimport "zoo:lib/deeplab.arch"\nconv(8, 1)\n', path=str(tmp_path / "d.arch"))
    assert str(SPECS / "lib" / "vgg.arch") in graph.sources


@pytest.mark.parametrize("target", ["zoo:../pyproject.arch", "zoo:/etc/passwd.arch", "zoo:lib/../../x.arch",
                                    "zoo:.hidden.arch", "zoo:lib\\\\resnet.arch"])
def test_a_zoo_import_cannot_leave_the_zoo(tmp_path: Path, target: str) -> None:
    with pytest.raises(ArchError, match="cannot import"):
        loads(f'input 3 x 8 x 8\nimport "{target}"\n', path=str(tmp_path / "mine.arch"))


def test_a_relative_import_into_the_zoo_stays_refused(tmp_path: Path) -> None:
    # only `zoo:` names (and the zoo's own files) read the zoo; a path that walks there does not
    relative = os.path.relpath(SPECS / "lib" / "resnet.arch", tmp_path)
    with pytest.raises(ArchError, match="outside"):
        loads(f'input 3 x 8 x 8\nimport "{relative}"\n', path=str(tmp_path / "mine.arch"))


def test_zoo_lists_models_with_task_folder_and_source() -> None:
    result = CliRunner().invoke(app, ["zoo", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["resnet50"]["folder"] == "reference" and listed["modern/resnet50"]["folder"] == "modern"
    assert listed["resnet50"]["source"] == "pytorch/vision torchvision/models/resnet.py"
    assert listed["gpt2"]["task"] == "language-model"
    # every model spec of the four folders, and no library
    on_disk = [p for folder in ("", "modern", "transformers", "examples") for p in (SPECS / folder).glob("*.arch")]
    assert len(listed) == len(on_disk) and not any("lib" in name.split("/") for name in listed)
    table = CliRunner().invoke(app, ["zoo", "transformers"])
    assert table.exit_code == 0 and "vit_b_16" in table.stdout and "resnet50" not in table.stdout
    wrong = CliRunner().invoke(app, ["zoo", "moder"])
    assert wrong.exit_code == 2 and "did you mean 'modern'?" in wrong.stderr


# torchvision's squeezenet1_1 has 1,235,496 parameters (the reference table's
# squeezenet1-1 is that network); each command shows its name or that count
@pytest.mark.parametrize(("argv", "shown"), [
    (["analyze", "squeezenet1-1"], "1,235,496 learnable"),
    (["explain", "squeezenet1-1"], str(SPECS / "squeezenet1-1.arch")),
    (["conventions", "squeezenet1-1"], "squeezenet1-1: 224 x 224"),
    (["sweep", "squeezenet1-1", "--size", "224,256"], "1,235,496"),
    (["diff", "squeezenet1-0", "squeezenet1-1"], "A = squeezenet1-0, B = squeezenet1-1"),
])
def test_every_command_takes_a_zoo_name(elsewhere: Path, argv: list[str], shown: str) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert shown in result.stdout


def test_export_and_draw_take_a_zoo_name(elsewhere: Path) -> None:
    # squeezenet1-1 (the reference spec of torchvision's squeezenet1_1) exported and drawn by name
    exported = CliRunner().invoke(app, ["export", "squeezenet1-1", "--to", "pytorch"])
    assert exported.exit_code == 0, exported.output
    assert "nn.Conv2d(3, 64, 3, stride=2)" in exported.stdout  # its first convolution: 64 3x3 filters, stride 2
    drawn = CliRunner().invoke(app, ["draw", "squeezenet1-1", "-o", str(elsewhere / "net.svg")])
    assert drawn.exit_code == 0, drawn.output
    assert "squeezenet1-1" in (elsewhere / "net.svg").read_text()


def test_report_takes_a_zoo_name(elsewhere: Path) -> None:
    result = CliRunner().invoke(app, ["report", "squeezenet1-1", "--out", str(elsewhere / "out"), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert (elsewhere / "out" / "squeezenet1-1.md").is_file()
