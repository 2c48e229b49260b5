"""`analyze` and `sweep` say when the parameters depend on the input size: a
layer with weights (the reference zoo's `fc` after a `flatten`) that sees
other input channels than at the spec's reference size."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from archspec import analyze, load, loads
from archspec.cli import app
from archspec.costs.sweep import sweep_graph

SPECS = Path(__file__).resolve().parent.parent / "specs"

# 3 x 8 x 8; a 3x3 conv to 4 channels keeps 8 x 8; max pooling halves it: 4 x 4 x 4 = 64 features
# reach the fc at the reference size, so its weights are 10 x 64 (+ 10 bias).
SMALL = "input 3 x 8 x 8\nfeatures = conv(4, 3, pad=1) > maxpool(2)\nhead = flatten > fc(10)\n"


def test_a_flattened_head_sees_more_channels_at_a_larger_size() -> None:
    """At 16 x 16 the pooled map is 8 x 8: 4·8·8 = 256 features, so the fc (a 1x1 kernel
    over the flattened vector) has 10·256 + 10 = 2,570 parameters, not 650."""
    spec = loads(SMALL)
    here = analyze(spec, size=(16, 16))
    assert here.layers[-1].params == 10 * 256 + 10
    assert [(n.layer, n.channels, n.reference_channels, n.reference_size) for n in here.size_notes] == [
        ("head.fc", 256, 64, (8, 8))]
    assert here.size_notes[0].sentence() == "head.fc sees 256 channels here, 64 at the reference 8 x 8"
    # at the reference size, and wherever the channels agree, nothing to say
    assert analyze(spec).size_notes == []
    assert analyze(spec, size=(9, 9)).size_notes == []  # floor(9 / 2) = 4: still 64 features


def test_an_adaptive_pool_keeps_the_weights_fixed() -> None:
    spec = loads("input 3 x 8 x 8\nfeatures = conv(4, 3, pad=1)\nhead = adaptiveavgpool(2) > flatten > linear(10)\n")
    for size in ((8, 8), (16, 16), (31, 17)):
        result = analyze(spec, size=size)
        assert (result.layers[-1].params, result.size_notes) == (4 * 2 * 2 * 10 + 10, [])


def test_analyze_says_it_in_every_format() -> None:
    """ResNet-50 (the MatConvNet import: avgpool(7) with stride 7, then flatten and fc) at
    448 x 448: the last map is 14 x 14, pooled to floor((14 − 7)/7) + 1 = 2 by 2, so the fc
    sees 2,048·2·2 = 8,192 channels where it has 2,048 at 224 x 224."""
    runner = CliRunner()
    path = str(SPECS / "resnet50.arch")
    table = runner.invoke(app, ["analyze", path, "--size", "448"]).stdout
    assert ("note:      params depend on the input size: classifier.fc sees 8,192 channels here, 2,048 at the "
            "reference 224 x 224") in table
    document = json.loads(runner.invoke(app, ["analyze", path, "--size", "448", "--format", "json"]).stdout)
    assert document["params_depend_on_size"] == [
        {"layer": "classifier.fc", "input_channels": 8192, "reference_input_channels": 2048,
         "reference_size": [224, 224]}]
    markdown = runner.invoke(app, ["analyze", path, "--size", "448", "--format", "markdown"]).stdout
    assert "- **note**: params depend on the input size: classifier.fc sees 8,192 channels here" in markdown
    # at its own size the JSON is as before: no such key
    plain = json.loads(runner.invoke(app, ["analyze", path, "--format", "json"]).stdout)
    assert "params_depend_on_size" not in plain


def test_sweep_says_it() -> None:
    """ResNet-50 from 112 to 672 in steps of 32: it runs from 208 (15 sizes); from 432 to 624
    the pooled map is 2 x 2 (8,192 features), at 656 it is 3 x 3 (2,048·9 = 18,432): 8 sizes
    at which the fc's weights are not the trained network's."""
    runner = CliRunner()
    out = runner.invoke(app, ["sweep", str(SPECS / "resnet50.arch"), "--size", "112:672:32"]).stdout
    assert out.rstrip().splitlines()[-1] == (
        "params depend on the input size: classifier.fc sees 8,192 to 18,432 channels at 8 of the 15 sizes "
        "that run, 2,048 at the reference 224 x 224")
    rows = sweep_graph(load(SPECS / "resnet50.arch"), [(400, 400), (432, 432), (656, 656)], [1, 2])
    assert [[n.channels for n in r.size_notes] for r in rows] == [[], [], [8192], [8192], [18432], [18432]]
    document = json.loads(runner.invoke(app, ["sweep", str(SPECS / "resnet50.arch"), "--size", "400,432",
                                              "--format", "json"]).stdout)
    assert "params_depend_on_size" not in document[0]
    assert document[1]["params_depend_on_size"][0]["input_channels"] == 8192


def test_one_size_does_not_load_numpy() -> None:
    """Analysing one size (with the size notes, thop's float rule for an adaptive pool and an
    upsample) stays free of numpy, which only sweeps need."""
    import subprocess
    import sys

    code = ("import sys\nfrom archspec import analyze, load, loads\n"
            f"analyze(load({str(SPECS / 'resnet50.arch')!r}), size=(448, 448))\n"
            "spec = loads('input 8 x 13 x 13\\nx = adaptiveavgpool(6) > upsample(1.5, mode=\"bilinear\")\\n')\n"
            "[analyze(spec, convention=c) for c in ('thop', 'ptflops', 'burden')]\n"
            "print('numpy' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
