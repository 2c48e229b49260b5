"""Peak activation memory by liveness, checked by hand on small graphs and
against the reference's no-reuse sum on every spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from reference import every_spec, spec_id

from archspec import analyze, load, loads
from archspec.costs.memory import liveness

SPECS = Path(__file__).parent.parent / "specs"


def test_chain() -> None:
    """1x4x4 input; 1x1 convs to 2, 4 and 1 channels: outputs of 32, 64 and
    16 floats = 128, 256 and 64 bytes.  conv1 holds 128; conv2 runs with
    conv1's output still held: 128 + 256 = 384, then conv1's is freed; conv3:
    256 + 64 = 320.  Peak 384; the no-reuse sum is 128 + 256 + 64 = 448."""
    spec = loads("input 1 x 4 x 4\nx = conv(2, 1) > conv(4, 1) > conv(1, 1)\n")
    result = liveness(analyze(spec))
    assert [s.live_bytes for s in result.steps] == [128, 384, 320]
    assert (result.peak_bytes, result.no_reuse_bytes) == (384, 448)
    assert result.peak_layer == "x.conv2"


def test_residual_with_in_place_relu() -> None:
    """2x4x4 input, every tensor 2x4x4 = 128 bytes.  a = conv (128 live);
    b = conv (256); its ReLU overwrites b (b has no other consumer): 256;
    add allocates: 384, then a and b are freed: 128; the last ReLU is in
    place: 128.  Peak 384 at the add; no-reuse 128 x 3 (ReLUs free) = 384.
    Batch 2 doubles every figure."""
    spec = loads("input 2 x 4 x 4\na = conv(2, 1)\nb = conv(2, 1) > relu\nc = add(a, b) > relu\n")
    result = liveness(analyze(spec))
    assert [s.live_bytes for s in result.steps] == [128, 256, 256, 384, 128]
    assert [s.allocated_bytes for s in result.steps] == [128, 128, 0, 128, 0]
    assert (result.peak_bytes, result.peak_layer, result.no_reuse_bytes) == (384, "c.add", 384)
    assert liveness(analyze(spec, batch=2)).peak_bytes == 768


def test_concat_with_in_place_relu() -> None:
    """3x4x4 input.  x = conv to 4 channels (64 floats, 256 B) + ReLU in place;
    y = conv of x to 4 + ReLU in place (256 B); concat(x, y) (512 B) + ReLU in
    place; a 1x1 conv to 2 channels (128 B).  Live: 256, 256, 512, 512,
    512 + 512 = 1024 (then x and y are freed: 512), 512, 512 + 128 = 640.
    Peak 1024 at the concat; no-reuse sum 256 + 256 + 512 + 128 = 1152."""
    spec = loads("input 3 x 4 x 4\nx = conv(4, 1) > relu\ny = conv(4, 1) > relu\n"
                 "z = concat(x, y) > relu > conv(2, 1)\n")
    result = liveness(analyze(spec))
    assert [s.live_bytes for s in result.steps] == [256, 256, 512, 512, 1024, 512, 640]
    assert (result.peak_bytes, result.peak_layer, result.no_reuse_bytes) == (1024, "z.concat", 1152)


def test_relu_on_a_tensor_still_needed_allocates() -> None:
    """Pre-activation: a = conv (128 B) is read again by the add, so its ReLU
    cannot overwrite it and allocates 128 B.  Live: 128, 256, 384 (the
    ReLU's output is then freed), 256 + 128 = 384.  Peak 384."""
    spec = loads("input 2 x 4 x 4\na = conv(2, 1)\nb = relu > conv(2, 1)\nc = add(a, b)\n")
    result = liveness(analyze(spec))
    assert [s.allocated_bytes for s in result.steps] == [128, 128, 128, 128]
    assert [s.live_bytes for s in result.steps] == [128, 256, 384, 384]


def test_views_share_their_input() -> None:
    """flatten and dropout are views at inference: 2x4x4 conv output 128 B,
    flatten and dropout add nothing, fc to 3 adds 12 B: peak 140."""
    spec = loads("input 2 x 4 x 4\nx = conv(2, 1) > flatten > dropout > fc(3)\n")
    result = liveness(analyze(spec))
    assert [s.allocated_bytes for s in result.steps] == [128, 0, 0, 12]
    assert result.peak_bytes == 140


@pytest.mark.parametrize("path", every_spec(), ids=spec_id)
def test_peak_never_exceeds_the_no_reuse_sum(path: Path) -> None:
    result = liveness(analyze(load(path)))
    assert 0 < result.peak_bytes <= result.no_reuse_bytes


def test_cli_adds_fields_and_keeps_the_contract() -> None:
    """`--memory peak` (with --training and --device) adds sections and per-layer
    fields to the JSON; the contract's fields are all still there, unchanged."""
    import json

    from typer.testing import CliRunner

    from archspec.cli import app

    path = str(SPECS / "resnet50.arch")
    runner = CliRunner()
    plain = json.loads(runner.invoke(app, ["analyze", path, "--format", "json"]).stdout)
    more = runner.invoke(app, ["analyze", path, "--format", "json", "--memory", "peak",
                               "--training", "--device", "a100"])
    assert more.exit_code == 0, more.output
    rich = json.loads(more.stdout)
    for key in ("model", "input", "convention", "dtype", "totals"):
        assert rich[key] == plain[key]
    for before, after in zip(plain["layers"], rich["layers"], strict=True):
        assert {k: after[k] for k in before} == before
        assert {"live_bytes", "saved_bytes", "backward_input_flops", "seconds", "bound"} <= set(after)
    assert rich["memory"]["peak_bytes"] <= rich["memory"]["no_reuse_bytes"] == plain["totals"]["feature_bytes"]
    assert max(layer["live_bytes"] for layer in rich["layers"]) == rich["memory"]["peak_bytes"]
    assert rich["roofline"]["seconds"] > 0 and rich["training"]["total_bytes"] > 0
    bad = runner.invoke(app, ["analyze", path, "--device", "a1000"])
    assert bad.exit_code == 2 and "unknown device" in bad.output
