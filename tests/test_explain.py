"""archspec explain: every written-out figure equals the engine's, on every
spec; a few layers of ResNet-50 checked against arithmetic done by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from reference import arithmetic, sampled_specs, spec_id
from typer.testing import CliRunner

from archspec import load, loads
from archspec.cli import app
from archspec.costs.explain import explain
from archspec.views.explain import render_text

ROOT = Path(__file__).resolve().parent.parent
SPECS = sampled_specs()  # every folder's specs; of a large family, the family spec and its first and last members


def last_number(text: str) -> int:
    return int(re.findall(r"\d[\d,]*", text)[-1].replace(",", ""))  # a number, not a bare comma of the prose


@pytest.mark.parametrize("path", SPECS, ids=[spec_id(p) for p in SPECS])
def test_explained_figures_are_the_engines(path: Path) -> None:
    graph = load(path)
    result = explain(graph, batch=2)
    totals = result.analysis.totals
    for item in result.layers:
        cost = item.cost
        lines = dict(item.lines)
        # the convention's written formula gives the rule's figure
        assert item.formula_value * 2 == cost.flops, cost.name
        assert last_number(lines["FLOPs"]) == cost.flops, cost.name
        if cost.macs:
            assert last_number(lines["MACs"]) == cost.macs, cost.name
        if cost.feature_bytes:
            assert last_number(lines["features"]) == cost.feature_bytes, cost.name
        if "height" in lines:  # the sliding-window rule written out gives the engine's sides
            assert last_number(lines["height"]) == cost.output_shape[1], cost.name
            assert last_number(lines["width"]) == cost.output_shape[2], cost.name
        if "params" in lines and cost.params:
            assert last_number(lines["params"]) == cost.params, cost.name
        # every written formula is arithmetic whose result is the figure it explains
        flops = lines["FLOPs"].split("; × batch")[0]
        if not flops.startswith("0 (not counted"):
            assert arithmetic(flops.split(" = ")[-2]) == cost.flops // 2, cost.name
        if cost.macs:
            assert arithmetic(lines["MACs"].split(" = ")[0]) == cost.macs // 2, cost.name
    for table in (result.by_category, result.by_kind, result.by_stage):
        assert sum(v["flops"] for v in table.values()) == totals.flops
        assert sum(v["feature_bytes"] for v in table.values()) == totals.feature_bytes
        assert sum(v["params"] for v in table.values()) == totals.params + totals.buffers


def test_peer_conventions_write_their_own_rules() -> None:
    """fvcore and thop on ResNet-50's first layers, each line worked out by hand."""
    lines = {c: {i.cost.name: dict(i.lines) for i in explain(load(ROOT / "specs" / "resnet-50.arch"),
                                                              convention=c).layers}
             for c in ("fvcore", "thop")}
    # fvcore's conv: MACs, no bias (112·112·64 × 7·7·3 = 118,013,952)
    assert lines["fvcore"]["conv1.conv"]["FLOPs"] == "macs = 112·112·64 × (7·7·3) = 118,013,952"
    # eval batch norm with affine weights: 2 per input element, 2 × 802,816
    assert lines["fvcore"]["conv1.bn"]["FLOPs"] == "(2·inp if affine else inp) = 2 × 112·112·64 (affine) = 1,605,632"
    assert lines["thop"]["conv1.bn"]["FLOPs"] == "(4·inp if affine else 2·inp) = 4 × 112·112·64 (affine) = 3,211,264"
    # the ReLU is an ignored op in fvcore and a zero_ops module in thop
    assert lines["fvcore"]["conv1.relu"]["FLOPs"].startswith("0 (not counted by fvcore: aten::relu_")
    assert lines["thop"]["conv1.relu"]["FLOPs"] == "0 (not counted by thop: thop prices nn.ReLU with zero_ops)"
    # pool5 (avgpool 7 on 7x7) is torchvision's AdaptiveAvgPool2d: thop (49 + 1) per output
    # element, 50 × 2,048 = 102,400; fvcore 1 per input element, 7·7·2048 = 100,352.  thop's
    # count depends on the form (a module, hooked; F.adaptive_avg_pool2d is not seen): named
    assert lines["thop"]["pool5"]["FLOPs"] == ("((area_in + 1)·out if the window covers the input else out) = "
                                                "(7·7 + 1) × 1·1·2048 (the window covers the input) (form=module) "
                                                "= 102,400")
    assert lines["fvcore"]["pool5"]["FLOPs"].endswith("= 7·7·2048 (the window covers the input) = 100,352")


def test_deconv_is_written_out_by_hand() -> None:
    """FCN's upscore on 12x12x21, 4x4 stride 2 with a bias: (12 − 1)·2 + 4 = 26 per side;
    every input element meets 4·4·21 weights: 3,024 × 336 = 1,016,064 MACs; the bias adds
    one per output element, 26·26·21 = 14,196."""
    (item,) = explain(loads("input 21 x 12 x 12\nup = deconv(21, 4, stride=2)")).layers
    lines = dict(item.lines)
    assert lines["height"] == "H' = (12 − 1)·2 + 4 − 0 − 0 = 26"
    assert lines["width"] == "W' = (12 − 1)·2 + 4 − 0 − 0 = 26"
    assert lines["params"] == "weight 21·21·4·4 = 7,056; bias C = 21; total 7,077"
    assert lines["MACs"] == "12·12·21 × (4·4·21) = 1,016,064"
    assert lines["FLOPs"] == "macs + bias = 12·12·21 × (4·4·21) + 26·26·21 = 1,030,260"


def test_resnet50_layers_by_hand() -> None:
    result = explain(load(ROOT / "specs" / "resnet-50.arch"))
    lines = {item.cost.name: dict(item.lines) for item in result.layers}
    conv1 = lines["conv1.conv"]
    # 224x224x3 input, 7x7 kernel, stride 2, pad 3: floor((224 + 6 - 7) / 2) + 1 = 112
    assert conv1["height"] == "H' = floor((224 + 3 + 3 − 7) / 2) + 1 = 112"
    # 64 filters of 3·7·7 weights + 64 biases
    assert conv1["params"] == "weight 64·3·7·7 = 9,408; bias C = 64; total 9,472"
    # 112·112·64 outputs × 7·7·3 MACs each = 118,013,952, plus one bias add per output (802,816)
    assert conv1["FLOPs"] == "macs + bias = 112·112·64 × (7·7·3) + 112·112·64 = 118,816,768"
    assert conv1["MACs"] == "112·112·64 × (7·7·3) = 118,013,952"
    assert conv1["features"] == "112·112·64 × 4 B = 3,211,264 B"
    # the max pool: burden.m prices 2 × outputs × stride area = 2 · 56·56·64 · 4 = 1,605,632
    pool1 = lines["pool1"]
    assert pool1["FLOPs"] == "2·out·stride_area = 2 × 56·56·64 × 2·2 = 1,605,632"
    assert pool1["height"] == "H' = floor((112 + 0 + 1 − 3) / 2) + 1 = 56"
    # a 3x3 conv of res2: 56·56·64 × 3·3·64 = 115,605,504, no bias
    assert lines["res2.msra_bottleneck1.main.conv2"]["FLOPs"].endswith("= 115,605,504")
    # batch norm over 64 channels: scale and shift learnt, mean and variance stored
    bn = lines["conv1.bn"]
    assert bn["params"] == "scale C = 64; shift C = 64; total 128"
    assert bn["buffers"] == "running_mean C = 64; running_var C = 64"
    # fc1000 over 2048 channels: 2,048,000 MACs + 1,000 bias adds
    assert lines["fc1000"]["FLOPs"].endswith("= 2,049,000")
    # the in-place ReLU costs no feature memory
    assert lines["conv1.relu"]["features"].startswith("0 B")


def test_one_layer_and_subtotals() -> None:
    result = explain(load(ROOT / "specs" / "resnet-50.arch"), layer="conv1_conv")
    assert [i.cost.name for i in result.layers] == ["conv1.conv"]
    text = render_text(result)
    assert "where do the FLOPs go" in text and "by top-level stage" in text
    convolution = result.by_category["convolution"]["flops"]
    assert convolution / result.analysis.totals.flops > 0.99  # ResNet-50 is all convolutions


def test_dilated_and_ceil_windows_are_written_out() -> None:
    graph = loads("input 3 x 33 x 33\nconv(8, 3, pad=2, dilation=2) > maxpool(3, stride=2, ceil=true)")
    result = explain(graph)
    conv, pool = (dict(i.lines) for i in result.layers)
    # effective kernel 2·(3−1)+1 = 5: floor((33 + 4 − 5) / 1) + 1 = 33
    assert conv["height"] == "H' = floor((33 + 2 + 2 − (2·(3−1)+1)) / 1) + 1 = 33"
    # ceil((33 − 3) / 2) + 1 = 16
    assert pool["height"].startswith("H' = ceil((33 + 0 + 0 − 3) / 2) + 1") and pool["height"].endswith("= 16")


def test_cli() -> None:
    runner = CliRunner()
    spec = str(ROOT / "specs" / "resnet-50.arch")
    result = runner.invoke(app, ["explain", spec, "--layer", "conv1.conv", "--size", "448", "--batch", "2"])
    assert result.exit_code == 0, result.output
    # at 448: 224·224·64 × (7·7·3) + 224·224·64 = 475,267,072 per image, 950,534,144 for two
    assert "= 475,267,072; × batch 2 = 950,534,144" in result.output
    result = runner.invoke(app, ["explain", spec, "--format", "json", "--no-subtotals"])
    assert json.loads(result.output)["layers"][0]["flops"] == 118_816_768
    result = runner.invoke(app, ["explain", spec, "--formula"])
    assert result.exit_code == 0 and "H and W multiples of 32" in result.output
    result = runner.invoke(app, ["explain", spec, "--formula", "--format", "json"])
    classes = json.loads(result.output)["classes"]
    assert len(classes) == 32 * 32
    result = runner.invoke(app, ["explain", spec, "--layer", "nope"])
    assert result.exit_code == 2 and "no layer named" in result.output
