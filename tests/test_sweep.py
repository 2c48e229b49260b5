"""archspec sweep: the vectorised grid against single `analyze` runs (exact
equality), rows for sizes at which the network does not run, the option
parsers, the output formats and the chart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from reference import every_spec, spec_id
from typer.testing import CliRunner

from archspec import analyze, load, loads
from archspec.cli import app
from archspec.commands.options import parse_batches, parse_set_grid, parse_sizes
from archspec.costs.sweep import side_model, sweep, sweep_graph
from archspec.errors import ArchError
from archspec.kinds.shape import TOKENS

ROOT = Path(__file__).resolve().parent.parent
SPECS = every_spec()  # every model spec of every folder
FIGURES = ("params", "buffers", "param_bytes", "feature_bytes", "flops", "macs")


def assert_rows_match_engine(graph, rows, upto=None) -> int:
    """Every figure of every row that runs equals analyze's; every error row
    is a size analyze refuses, and says why in analyze's words: the layer, its
    reason and the hint (the smallest size that works).  Returns the number of
    rows that ran."""
    ran = 0
    for row in rows:
        if row.figures is None:
            with pytest.raises(ArchError) as refused:
                analyze(graph, (row.height, row.width), batch=row.batch, upto=upto)
            error = refused.value
            assert row.error == error.message + (f"; {error.hint}" if error.hint else ""), (row.height, row.width)
            continue
        totals = analyze(graph, (row.height, row.width), batch=row.batch, upto=upto).totals
        for figure in FIGURES:
            assert row.figures[figure] == getattr(totals, figure), (row.height, row.width, figure)
        ran += 1
    return ran


def test_resnet50_grid_equals_analyze_including_too_small_sizes() -> None:
    graph = load(ROOT / "specs" / "resnet-50.arch")
    # 112..192 are below ResNet-50's smallest input (pool5's 7x7 window needs 195)
    sizes = parse_sizes("112:672:32") + [(300, 257), (195, 195), (194, 194), (224, 600)]
    rows = sweep_graph(graph, sizes, [1, 32, 128])
    assert len(rows) == len(sizes) * 3
    assert assert_rows_match_engine(graph, rows) == 3 * (len(sizes) - 4)  # 112, 144, 176, 194 fail
    small = [r for r in rows if r.height == 112]
    assert all(r.figures is None and "too small" in (r.error or "") for r in small)


def test_sweep_up_to_a_layer() -> None:
    graph = load(ROOT / "specs" / "resnet-50.arch")
    rows = sweep_graph(graph, parse_sizes("64,100x130,224,333"), [1, 2], upto="res3")
    assert assert_rows_match_engine(graph, rows, upto="res3") == 8


def test_network_that_runs_only_at_some_residues() -> None:
    # SE-BN-Inception's concatenated branches disagree in size at some input sizes
    path = ROOT / "specs" / "SE-BN-Inception.arch"
    graph = load(path)
    model = side_model(graph)
    assert not model.runs.all()
    rows = sweep_graph(graph, parse_sizes("224:260"), [1])
    failing = [r for r in rows if r.figures is None]
    # the concatenation that refuses, as analyze names it
    assert failing and all(r.error and r.error.startswith("concat '") and "differ in height or width" in r.error
                           for r in failing)
    assert assert_rows_match_engine(graph, rows) == len(rows) - len(failing)


@pytest.mark.parametrize("path", SPECS, ids=[spec_id(p) for p in SPECS])
def test_every_spec_sweeps_like_analyze(path: Path) -> None:
    graph = load(path)
    node = graph.nodes[graph.input_ids[0]]
    first = node.shape
    assert first is not None
    ref = max(first[1], first[2])
    sizes = [(first[1], first[2]), (ref + 37, ref + 5), (2 * ref + 1, 2 * ref + 1), (ref // 3, ref // 3)]
    if node.layout == TOKENS:  # a sequence's one size is its length (GPT-2: 1,024, 1,061, 2,049, 341)
        sizes = [(ref, ref), (ref + 37, ref + 37), (2 * ref + 1, 2 * ref + 1), (ref // 3, ref // 3)]
    rows = sweep_graph(graph, sizes, [1, 4])
    assert assert_rows_match_engine(graph, rows) >= 2


def test_set_grid_sweeps_every_combination() -> None:
    path = ROOT / "specs" / "examples" / "mobilenet_v2.arch"
    rows = sweep(str(path), parse_sizes("160,224"), [1], parse_set_grid(["width=0.5,1.4", "depth=1,2"]))
    assert len(rows) == 2 * 2 * 2
    for row in rows:
        graph = load(path, **row.values)
        assert_rows_match_engine(graph, [row])
    # published (tensorflow/models research/slim/nets/mobilenet/README.md): 1.0 at 160 is 154 M MACs
    one = sweep(str(path), [(160, 160)], [1], [{}])[0]
    assert one.figures is not None and round(one.figures["macs"] / 1e6) == 154


def test_parsers() -> None:
    assert parse_sizes("112:176:32") == [(112, 112), (144, 144), (176, 176)]
    assert parse_sizes("224, 600x850,1:3") == [(224, 224), (600, 850), (1, 1), (2, 2), (3, 3)]
    assert parse_batches("1,32,128") == [1, 32, 128]
    assert parse_set_grid(["width=1,1.5", "project=true"]) == [
        {"width": 1, "project": True}, {"width": 1.5, "project": True}]
    for bad in ("", "a:b", "10:20:0", "0", "3x"):
        with pytest.raises(ArchError):
            parse_sizes(bad)
    with pytest.raises(ArchError):
        parse_batches("0")
    with pytest.raises(ArchError):
        parse_set_grid(["width"])


def test_cli_formats_and_plot(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = str(ROOT / "specs" / "resnet-50.arch")
    result = runner.invoke(app, ["sweep", spec, "--size", "160,224", "--batch", "1,8", "--format", "csv"])
    assert result.exit_code == 0, result.output
    records = list(csv.DictReader(io.StringIO(result.output)))
    assert len(records) == 4
    # 160 -> 80 (conv1, stride 2) -> 40 (pool1) -> 20 -> 10 -> 5 (res3..res5): pool5's 7x7
    # window does not fit 5x5, and 195 is the smallest side that leaves pool5 7x7
    assert records[0]["error"] == ("avgpool 'pool5' at line 20: input too small: a 7x7 window does not fit "
                                   "the padded input 5x5x2048; the smallest square input that works is 195 x 195")
    assert records[0]["flops"] == ""
    # 3,884,069,864 FLOPs: analyze's total for resnet-50 at 224 (the table row reads 4 GFLOPs)
    assert int(records[2]["flops"]) == analyze(load(spec), 224).totals.flops
    assert int(records[3]["flops"]) == 8 * int(records[2]["flops"])
    result = runner.invoke(app, ["sweep", spec, "--size", "224", "--format", "json"])
    assert json.loads(result.output)[0]["params"] == 25_557_096
    result = runner.invoke(app, ["sweep", spec, "--size", "160:288:64"])
    assert result.exit_code == 0 and "GFLOPs" in result.output
    assert "error: avgpool 'pool5' at line 20: input too small" in result.output
    chart = tmp_path / "cost.png"
    result = runner.invoke(app, ["sweep", spec, "--size", "224:448:32", "--batch", "1,2", "--plot", str(chart)])
    assert result.exit_code == 0, result.output
    assert chart.read_bytes()[:4] == b"\x89PNG"
    result = runner.invoke(app, ["sweep", spec, "--size", "abc"])
    assert result.exit_code == 2 and "--size" in result.output


def test_network_without_a_per_axis_model_is_swept_by_the_engine() -> None:
    # after the reshape, the height is C·H·W: it follows both input sides at once
    graph = loads("input 3 x 8 x 8\nflatten > reshape(1, -1, 1) > conv(2, 1)")
    with pytest.raises(ArchError, match="both input height and width"):
        side_model(graph)
    rows = sweep_graph(graph, parse_sizes("1,2,8,5x9"), [1, 3])
    assert assert_rows_match_engine(graph, rows) == 8
    # by hand: a 1x1 conv over 3·H·W positions with 2 outputs each: 1 MAC + 1 bias add per output
    assert [r.figures["flops"] for r in rows if r.figures] == [
        b * 2 * 3 * h * w * 2 for h, w in ((1, 1), (2, 2), (8, 8), (5, 9)) for b in (1, 3)]


@pytest.mark.parametrize("convention", ["macs", "flops", "fvcore", "ptflops", "thop", "calflops"])
def test_every_convention_sweeps_like_analyze(convention: str) -> None:
    for name in ("resnet-50", "googlenet", "SENet", "deeplab-vggvd-v2"):
        path = ROOT / "specs" / f"{name}.arch"
        if not path.exists():
            continue
        graph = load(path)
        sizes = parse_sizes("200:456:64,300x517")
        rows = sweep_graph(graph, sizes, [1, 2], convention=convention, dtype="float16")
        for row in rows:
            if row.figures is None:
                continue
            totals = analyze(graph, (row.height, row.width), batch=row.batch,
                             convention=convention, dtype="float16").totals
            assert {f: row.figures[f] for f in FIGURES} == {f: getattr(totals, f) for f in FIGURES}
