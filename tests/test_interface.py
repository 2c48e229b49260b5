"""One consistent interface: the same --format names everywhere, help that
reads in an 80-column terminal, params and buffers apart in every table,
summaries to three significant figures with units that say their base,
options that need another option refused with a hint, explain --formula's
short form, and the Python API's functions and errors in its own words."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from archspec import ArchError, analyze, load, loads
from archspec.cli import app
from archspec.commands.options import FORMATS
from archspec.conventions import CONVENTIONS
from archspec.costs.catalogue import DTYPE_BYTES, OPTIMIZER_STATES

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
RESNET = str(SPECS / "resnet-50.arch")  # the reference's ResNet-50 (MatConvNet import)
TORCHVISION_RESNET = str(SPECS / "resnet50.arch")
runner = CliRunner()


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def help_text(command: str | None, columns: int = 80) -> str:
    """The help as a terminal `columns` wide shows it (typer draws it with rich,
    which reads COLUMNS; a TERMINAL_WIDTH in the environment would override it)."""
    from typer import rich_utils

    rich_utils.MAX_WIDTH = None
    result = runner.invoke(app, [command, "--help"] if command else ["--help"], env={"COLUMNS": str(columns)},
                           prog_name="archspec")
    assert result.exit_code == 0, result.output
    return result.output


# --- --format --------------------------------------------------------------------------------

def listed_formats(command: str) -> list[str] | None:
    """The names the help of `command` lists for --format (None: it has no --format)."""
    text = " ".join(help_text(command, 200).split())
    found = re.search(r"--format FORMAT\s*│?\s*output format: ([a-z, ]+?)(?: or ([a-z]+))?\s*(?:│|\[)", text)
    if "--format" not in text:
        return None
    assert found, f"{command}: --format without its list of names"
    names = [n.strip() for n in found.group(1).split(",")] + ([found.group(2)] if found.group(2) else [])
    return names


def test_every_command_lists_its_formats_from_the_one_vocabulary_in_its_order() -> None:
    offered = {command: listed_formats(command) for command in command_names()}
    # every command that prints a result offers a choice of output; report, draw, export and
    # import write a file whose format is their job (--to chooses export's), not a view of a result
    assert {c for c, names in offered.items() if names is None} == {"report", "draw", "export", "import"}
    for command, names in offered.items():
        if names is None:
            continue
        assert set(names) <= set(FORMATS), (command, names)
        assert names == [n for n in FORMATS if n in names], (command, names)  # FORMATS' order
        # the human-readable output is `text` wherever there is one; the table's is markdown
        assert ("text" in names) == (command != "table"), command
    assert offered["analyze"] == ["text", "json", "csv", "markdown"]
    assert offered["sweep"] == ["text", "json", "csv", "markdown"]
    for command in ("explain", "diff", "conventions", "kinds"):
        assert offered[command] == ["text", "json"], command


def test_every_listed_format_is_accepted_and_others_are_refused_with_the_names() -> None:
    arguments = {"analyze": [RESNET], "sweep": [RESNET, "--size", "224"], "explain": [RESNET, "--layer", "conv1"],
                 "diff": [RESNET, TORCHVISION_RESNET], "conventions": [RESNET], "kinds": [],
                 "table": [str(ROOT / "specs" / "examples")]}
    for command, args in arguments.items():
        names = listed_formats(command)
        assert names is not None
        for name in names:
            result = runner.invoke(app, [command, *args, "--format", name])
            assert result.exit_code == 0, (command, name, result.output)
            if name == "json":
                json.loads(result.stdout)
        result = runner.invoke(app, [command, *args, "--format", "yaml"])
        assert result.exit_code == 2 and f"'yaml' is not one of {', '.join(names[:-1])}" in result.output


def test_earlier_format_names_still_work() -> None:
    # `--format table` (analyze, sweep) and `conventions --json`, as older commands wrote them
    for command, args in (("analyze", [RESNET]), ("sweep", [RESNET, "--size", "224"])):
        text = runner.invoke(app, [command, *args, "--format", "text"]).stdout
        assert runner.invoke(app, [command, *args, "--format", "table"]).stdout == text
    document = runner.invoke(app, ["conventions", RESNET, "--format", "json"]).stdout
    assert runner.invoke(app, ["conventions", RESNET, "--json"]).stdout == document


# --- help at 80 columns ----------------------------------------------------------------------

CHOICES = {"--dtype": list(DTYPE_BYTES), "--convention": list(CONVENTIONS),
           "--optimizer": list(OPTIMIZER_STATES), "--format": list(FORMATS)}


@pytest.mark.parametrize("command", [None, *command_names()])
def test_help_reads_in_80_columns(command: str | None) -> None:
    output = help_text(command)
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= 80
    # no type noise beside option names
    assert not re.search(r"<(bool|str|int|float|path|list[^>]*)>", output), output
    if command is None:
        return
    # the usage line names the arguments as a reader types them
    usage = next(line for line in lines if "Usage:" in line).strip()
    expected = {"diff": "archspec diff [OPTIONS] A B", "report": "archspec report [OPTIONS] SPEC...",
                "table": "archspec table [OPTIONS] [SPEC_DIR]", "kinds": "archspec kinds [OPTIONS]",
                "import": "archspec import [OPTIONS] MODEL", "zoo": "archspec zoo [OPTIONS] [FOLDER]"}
    assert usage == "Usage: " + expected.get(command, f"archspec {command} [OPTIONS] SPEC")
    # every choice of an option the command has is written whole on one line
    for option, names in CHOICES.items():
        if re.search(rf"{option}\b", output):
            offered = names if option != "--format" else listed_formats(command) or []
            for name in offered:
                assert any(re.search(rf"\b{name}\b", line) for line in lines), (command, option, name)


# --- params and buffers apart; three significant figures -------------------------------------

def test_tables_show_params_and_buffers_apart() -> None:
    # ResNet-50's first batch norm, 64 channels: 2·64 = 128 learnable (scale, shift) and
    # 2·64 = 128 running statistics; the conv before it 64·3·7·7 = 9,408 weights + 64 biases
    text = runner.invoke(app, ["analyze", RESNET]).stdout
    header = text.splitlines()[0].split()
    assert header[header.index("params") + 1] == "buffers"
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:] if line.strip()}
    assert rows["conv1.bn"][3:5] == ["128", "128"]
    assert rows["conv1.conv"][3:5] == ["9,472", "-"]
    markdown = runner.invoke(app, ["analyze", RESNET, "--format", "markdown"]).stdout
    assert markdown.startswith("| layer | kind | output (HxWxC) | params | buffers |")
    assert "| conv1.bn | bn | 112x112x64 | 128 | 128 |" in markdown
    # the sweep: 26,560 BN channels in ResNet-50 (64 + 3·(64+64+256) + 256 + 4·(128+128+512) + 512
    # + 6·(256+256+1024) + 1024 + 3·(512+512+2048) + 2048), so 53,120 running statistics
    sweep = runner.invoke(app, ["sweep", RESNET, "--size", "224"]).stdout.splitlines()
    assert sweep[0].split()[2:4] == ["params", "buffers"]
    assert sweep[1].split()[2:4] == ["25,557,096", "53,120"]
    # diff: the reference's conv1 has 64 biases, torchvision's none; both have the same statistics
    diff = runner.invoke(app, ["diff", RESNET, TORCHVISION_RESNET]).stdout.splitlines()
    header = next(line for line in diff if line.startswith("A layer"))
    assert "Δ params" in header and "Δ buffers" in header
    first = next(line for line in diff if line.startswith("conv1.conv"))
    assert first.split()[5:7] == ["-64", "0"]


def summary(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\w[\w. ]*?):\s+(.*)$", text, re.MULTILINE)}


def test_summary_to_three_figures_with_the_base_and_the_reference_rounding() -> None:
    said = summary(runner.invoke(app, ["analyze", RESNET]).stdout)
    # (25,557,096 + 53,120) · 4 B = 102,440,864 B = 97.69 MiB
    assert said["param mem"] == "97.7 MiB"
    assert said["units"] == "binary memory units (1 MiB = 2^20 B), decimal count prefixes (1 G = 10^9)"
    # tests/data/burden_table.csv: resnet-50 is 98 MB, 103 MB, 4 GFLOPs in the reference table
    assert said["rounding"] == "the reference table (and archspec table, reports) writes these 98 MB, 103 MB, 4 GFLOPs"
    assert re.fullmatch(r"103 MiB", said["feat. mem"])
    # torchvision's ResNet-50: 4.09 G multiply-accumulates (its GFLOPS column), exactly 4,089,184,256
    said = summary(runner.invoke(app, ["analyze", TORCHVISION_RESNET]).stdout)
    assert said["macs"] == "4.09 GMACs (4,089,184,256)"


def test_a_mac_counting_convention_labels_its_total_macs() -> None:
    text = runner.invoke(app, ["analyze", TORCHVISION_RESNET, "--convention", "macs"]).stdout
    said = summary(text)
    assert "flops" not in said and said["macs"] == "4.09 GMACs (4,089,184,256)"
    assert text.splitlines()[0].split()[-1] == "macs"  # the per-layer column
    # fvcore counts MACs too: its total is labelled by the tool, in MACs
    said = summary(runner.invoke(app, ["analyze", TORCHVISION_RESNET, "--convention", "fvcore"]).stdout)
    assert said["fvcore"].split(" (")[0].endswith("GMACs") and said["macs"] == "4.09 GMACs (4,089,184,256)"
    # a FLOP-counting peer keeps FLOPs: PyTorch's FlopCounterMode counts 2 per multiply-add
    said = summary(runner.invoke(app, ["analyze", TORCHVISION_RESNET, "--convention", "flops"]).stdout)
    assert said["flops"] == "8.18 GFLOPs (8,178,368,512)"  # 2 · 4,089,184,256


def test_reports_and_the_table_keep_the_reference_rounding(tmp_path: Path) -> None:
    # one report: "1 report", and its figures in the reference's words
    result = runner.invoke(app, ["report", RESNET, "--out", str(tmp_path), "--no-figures", "--scales", "1"])
    assert result.exit_code == 0 and result.stderr.strip().endswith(": 1 report")
    text = (tmp_path / "resnet-50.md").read_text()
    assert "Model params 98 MB" in text and "* Flops: 4 GFLOPs" in text
    # one model in a README's table: "1 model"
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "tiny.arch").write_text("model tiny\ninput 3 x 32 x 32\nconv(16, 3, pad=1) > relu\n")
    readme = tmp_path / "README.md"
    readme.write_text("<!-- model-table:start -->\n<!-- model-table:end -->\n")
    result = runner.invoke(app, ["table", str(tmp_path / "one"), "--readme", str(readme)])
    assert result.exit_code == 0 and result.stderr.strip().endswith(": model table of 1 model")
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["table", str(SPECS), "--format", "csv"]).stdout)))
    row = next(r for r in rows if r["model"] == "resnet-50")
    assert (row["param_mem"], row["feat_mem"], row["flops"]) == ("98 MB", "103 MB", "4 GFLOPs")


# --- options that need another option --------------------------------------------------------

@pytest.mark.parametrize("args,words,hint", [
    (["--optimizer", "adam"], "error: --optimizer: only a training step keeps optimizer state", "add --training"),
    (["--fit", "24"], "error: --fit: '24' has no unit", "write 24GB, 24MB or 24B for bytes"),
])
def test_an_option_that_would_be_ignored_or_misread_is_refused_with_a_hint(args: list[str], words: str,
                                                                          hint: str) -> None:
    result = runner.invoke(app, ["analyze", RESNET, *args])
    assert result.exit_code == 2 and result.stdout == ""
    assert words in result.stderr and hint in result.stderr


def test_optimizer_with_training_or_fit_is_used() -> None:
    # Adam keeps two states per parameter: 2 · 25,557,096 · 4 B = 204,456,768 B
    document = json.loads(runner.invoke(app, ["analyze", RESNET, "--training", "--optimizer", "adam",
                                              "--format", "json"]).stdout)
    assert document["training"]["optimizer_bytes"] == 204_456_768
    result = runner.invoke(app, ["analyze", RESNET, "--fit", "24GB", "--optimizer", "adam"])
    assert result.exit_code == 0 and "adam" in summary(result.stdout)["training"]


@pytest.mark.parametrize("args,option", [
    (["--formula", "--size", "300"], "--size"), (["--formula", "--batch", "8"], "--batch"),
    (["--formula", "--layer", "conv1"], "--layer"), (["--classes"], "--classes"),
])
def test_explain_refuses_options_its_mode_would_ignore(args: list[str], option: str) -> None:
    result = runner.invoke(app, ["explain", RESNET, *args])
    assert result.exit_code == 2 and option in result.stderr and result.stdout == ""


# --- explain --formula: the short form first ---------------------------------------------------

def test_formula_leads_with_the_common_case_and_offers_the_rest() -> None:
    short = runner.invoke(app, ["explain", TORCHVISION_RESNET, "--formula"]).stdout
    lines = short.splitlines()
    assert len(lines) <= 12
    assert "  FLOPs         = B · (4,019,265/49·H·W + 1,000)" in lines
    # the H·W coefficient is the same in every class: 4,019,265/49 = 82,025.8 FLOPs per pixel
    # and image, so 82,026 · 224² = 4.116 G at 224 x 224 (analyze: 4,115,728,360)
    assert "about 82,026 FLOPs" in short and "(H mod 224, W mod 224)" in short
    assert "`--classes` lists" in short and "N ≡ 1 " not in short
    full = runner.invoke(app, ["explain", TORCHVISION_RESNET, "--formula", "--classes"]).stdout
    for label in ("FLOPs", "MACs", "feature bytes"):
        start = full.splitlines().index(f"  {label}:")
        assert full.splitlines()[start + 224].startswith("    N ≡ 223 (from 223)")  # all 224 classes
    # a network with few classes has them listed without asking (the toy of test_closed_form)
    from archspec import closed_form
    from archspec.views.closed_form import render_text

    toy = closed_form(loads("model toy\ninput 3 x 32 x 32\nconv(8, 3, pad=1) > relu > maxpool(2)\n"))
    assert "    N ≡ 1 (from 3): B · (256·N² − 32·N + 16)" in render_text(toy, "toy")


# --- the Python API ----------------------------------------------------------------------------

def test_api_errors_name_the_api_argument_never_an_option() -> None:
    from archspec import compare_conventions, draw, explain, export_pytorch, fit, import_onnx, report, sweep, train

    spec = load(RESNET)
    calls = [
        (lambda: analyze(spec, upto="pool9"), "upto", "no layer named 'pool9'"),
        (lambda: analyze(spec, dtype="float8"), "dtype", "unknown dtype"),
        (lambda: analyze(spec, convention="tfl"), "convention", "unknown convention"),
        (lambda: analyze(spec, size=0), "size", "out of range"),
        (lambda: analyze(spec, batch=0), "batch", "at least 1"),
        (lambda: train(spec, optimizer="adamw"), "optimizer", "unknown optimizer"),
        (lambda: fit(spec, "24"), "memory", "has no unit"),
        (lambda: fit(spec, 1000), "memory", "even a batch of 1"),
        (lambda: explain(spec, layer="pool9"), "layer", "no layer named 'pool9'"),
        (lambda: compare_conventions(spec, upto="pool9"), "upto", "no layer named"),
        (lambda: report(spec, features="pool9"), "features", "no layer named 'pool9'"),
        (lambda: report(spec, scales=[0]), "scales", "must be positive"),
        (lambda: sweep(spec, sizes=224), "sizes", "a list of sizes"),
        (lambda: sweep(spec, sizes=[224], values={"width": [1]}), "values", "give its path"),
        (lambda: sweep(str(SPECS / "examples" / "mobilenet_v2.arch"), [224], values={"wdith": [1]}), "values",
         "no parameter 'wdith'"),
        (lambda: load(RESNET, widht=2), "overrides", "no parameter 'widht'"),
        (lambda: draw(spec, shade="time"), "shade", "expected 'flops' or 'memory'"),
        (lambda: draw(spec, expand=-1), "expand", "a depth of 0 or more"),
        (lambda: export_pytorch(spec, size=(224, 0)), "size", "out of range"),
        (lambda: import_onnx(3), "model", "named by a path"),
    ]
    for call, argument, words in calls:
        with pytest.raises(ArchError) as refused:
            call()
        assert refused.value.argument == argument, (argument, str(refused.value))
        assert words in refused.value.message
        assert "--" not in str(refused.value), str(refused.value)
        assert str(refused.value).startswith(f"error: {argument}: ")


def test_api_results_are_the_command_lines_figures() -> None:
    from archspec import closed_form, compare_conventions, diff, explain, report, sweep, table
    from archspec.costs.closed_form import ClosedForm
    from archspec.costs.compare_conventions import Comparison
    from archspec.costs.diff import Diff
    from archspec.costs.explain import Explanation
    from archspec.costs.model_table import TableRow
    from archspec.costs.report import ModelReport
    from archspec.costs.sweep import SweepRow

    spec = load(TORCHVISION_RESNET)
    counts = compare_conventions(spec)
    assert isinstance(counts, Comparison)
    cli = json.loads(runner.invoke(app, ["conventions", TORCHVISION_RESNET, "--format", "json"]).stdout)
    assert {name: entry["total"] for name, entry in cli["conventions"].items()} == counts.totals
    assert counts.totals["macs"] == 4_089_184_256  # torchvision's figure
    explained = explain(spec, layer="features_0")
    assert isinstance(explained, Explanation)
    # conv 7x7, stride 2, 3 -> 64 channels at 112 x 112: 112·112·64·7·7·3 = 118,013,952 MACs
    assert explained.layers[0].cost.macs == 118_013_952
    forms = closed_form(spec)
    assert isinstance(forms, ClosedForm)
    assert forms.evaluate("macs", 256, 320, batch=2) == 2 * analyze(spec, (256, 320)).totals.macs
    rows = sweep(spec, [160, 224, (256, 320)], batches=[1, 4])
    assert all(isinstance(row, SweepRow) for row in rows) and len(rows) == 6
    assert rows[0].figures is None and "smallest square input that works is 193 x 193" in (rows[0].error or "")
    assert rows[5].figures is not None and rows[5].figures["macs"] == 4 * analyze(spec, (256, 320)).totals.macs
    changed = diff(RESNET, spec)
    assert isinstance(changed, Diff) and changed.b.totals.macs == 4_089_184_256
    made = report(spec, scales=[1])
    assert isinstance(made, ModelReport) and made.rows[0].feature_shape == (2048, 7, 7)
    rows_of_table = table(SPECS / "examples")
    assert all(isinstance(row, TableRow) for row in rows_of_table)
    assert {row.model for row in rows_of_table} >= {"mobilenet_v2", "tinymix"}


def test_api_bridges_are_the_commands(tmp_path: Path) -> None:
    from archspec import draw, export_onnx, export_pytorch, import_onnx
    from archspec.bridges.onnx_import import Imported

    code = export_pytorch(TORCHVISION_RESNET)
    assert code == runner.invoke(app, ["export", TORCHVISION_RESNET, "--to", "pytorch"]).stdout
    # torchvision's stem: 64 filters of 7x7 over 3 channels, stride 2, padding 3, no bias
    assert "nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)" in code
    onnx_file = tmp_path / "resnet50.onnx"
    onnx_file.write_bytes(export_onnx(TORCHVISION_RESNET))
    imported = import_onnx(onnx_file)
    assert isinstance(imported, Imported) and imported.notes == []
    back = analyze(loads(imported.text)).totals
    assert (back.params, back.buffers, back.macs) == (25_557_032, 53_120, 4_089_184_256)  # torchvision's
    svg = draw(TORCHVISION_RESNET, shade="memory")
    assert svg.startswith("<svg") and "shaded by share of memory" in svg
    assert svg == draw(load(TORCHVISION_RESNET), shade="memory")  # a path or a loaded spec alike


def test_the_tutorial_says_a_block_can_read_a_channel_count() -> None:
    tutorial = (ROOT / "docs" / "tutorial.md").read_text()
    assert "cannot read a tensor's channel count" not in tutorial
    assert "`channels(in)`" in tutorial
    # and it can: an inverted residual that reads its input width (8) instead of taking it;
    # expand 1x1 8 -> 48 (384 + 48 bias), project 1x1 48 -> 8 (384 + 8 bias), added back
    graph = loads("input 8 x 16 x 16\nblock inverted(out, t=6) {\n    hidden = channels(in) * t\n"
                  "    main = in > conv(hidden, 1) > conv(out, 1)\n"
                  "    channels(in) == out ? add(main, in) : main\n}\ninverted(8)\n")
    result = analyze(graph)
    assert result.totals.params == 384 + 48 + 384 + 8
    assert result.layers[-1].kind == "add"
