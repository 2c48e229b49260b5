"""docs/tutorial.md runs as written, and the example specs it builds
(specs/examples/) match their published figures."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from archspec import analyze, load

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
EXAMPLES = ROOT / "specs" / "examples"


def blocks() -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in
            re.finditer(r"^```(\w*)\n(.*?)^```", TUTORIAL.read_text(), re.DOTALL | re.MULTILINE)]


def run(command: str) -> str:
    words = shlex.split(command)
    assert words[0] == "archspec", command
    # the installed entry point, run as `python -m`-free as a reader would type it,
    # but with this interpreter so the test uses the checked-out package
    result = subprocess.run([sys.executable, "-c", "from archspec.cli import main; main()", *words[1:]],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_tutorial_commands_run_and_print_what_it_shows() -> None:
    output = None
    commands = 0
    for language, body in blocks():
        if language == "sh":
            output = ""
            for line in body.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    output += run(line.strip())
                    commands += 1
        elif language == "text":
            assert output is not None, "an output block must follow a command block"
            for line in body.splitlines():
                if line.strip():
                    assert line.rstrip() in output, f"not in the output: {line!r}"
    assert commands >= 7


def test_plain_and_family_match_torchvision_mobilenet_v2() -> None:
    # pytorch/vision torchvision/models/mobilenetv2.py, MobileNet_V2_Weights.IMAGENET1K_V1:
    # num_params 3504872 (weights, biases, BN scale and shift), _ops 0.301 (GMACs);
    # the paper (Sandler et al. 2018, Table 3): 300 M multiply-adds
    for path in (EXAMPLES / "mobilenet_v2_plain.arch", EXAMPLES / "mobilenet_v2.arch"):
        totals = analyze(load(path)).totals
        assert totals.params == 3_504_872
        assert round(totals.macs / 1e9, 3) == 0.301
        assert round(totals.macs / 1e6) == 301 and totals.macs // 10**6 == 300
    # a part by hand: classifier 1280·1000 + 1000 = 1,281,000; last conv 320·1280 = 409,600
    # + BN 2·1280 = 2,560; stem 32·3·3·3 = 864 + BN 64
    layers = {c.name: c.params for c in analyze(load(EXAMPLES / "mobilenet_v2.arch")).layers}
    assert layers["classifier.fc"] == 1_281_000
    assert layers["conv_last.conv"] + layers["conv_last.bn"] == 409_600 + 2_560
    assert layers["stem.conv"] + layers["stem.bn"] == 864 + 64


def test_the_tutorial_mobilenet_v2_gives_each_tools_total_for_torchvision_s() -> None:
    # tools/torch_figures.py on torchvision's mobilenet_v2 at 224 x 224 (torch 2.14.1, fvcore
    # 0.1.5.post20221221, ptflops 0.7.5 pytorch backend, thop 0.1.1.post2209072238, calflops
    # 0.3.2), the figures of tests/test_zoo_modern_mobilenet_v2.py: the pooling written as
    # torchvision writes it (F.adaptive_avg_pool2d) is what makes thop and ptflops agree
    tools = {"flops": 601_548_544, "fvcore": 314_193_216, "ptflops": 320_300_008, "thop": 327_486_720,
             "calflops": 614_967_488}
    for path in (EXAMPLES / "mobilenet_v2_plain.arch", EXAMPLES / "mobilenet_v2.arch"):
        for convention, total in tools.items():
            assert analyze(load(path), convention=convention).totals.flops == total, (path.name, convention)


# tensorflow/models research/slim/nets/mobilenet/README.md: MACs (M) and
# parameters (M) of the MobileNetV2 checkpoints (1001 classes; parameters
# counted without batch norm's scale and shift).  Its MACs are whole millions
# cut off, not rounded: width 1.0 at 224 is 300.78 M, listed as 300 (and as
# 0.301 G by torchvision); every other row agrees either way.
PUBLISHED = [  # width, input side, MACs (M), parameters (M)
    (1.4, 224, 582, 6.06),
    (1.3, 224, 509, 5.34),
    (1.0, 224, 300, 3.47),
    (1.0, 192, 221, 3.47),
    (1.0, 160, 154, 3.47),
]


@pytest.mark.parametrize("width, side, macs, params", PUBLISHED)
def test_family_matches_tensorflow_checkpoints(width: float, side: int, macs: int, params: float) -> None:
    graph = load(EXAMPLES / "mobilenet_v2.arch", width=width, classes=1001)
    result = analyze(graph, side)
    batch_norm = sum(c.params for c in result.layers if c.kind == "bn")
    assert result.totals.macs // 10**6 == macs
    assert round((result.totals.params - batch_norm) / 1e6, 2) == params


def test_depth_multiplier_repeats_units() -> None:
    # 17 inverted residual units at depth 1; ceil(n * 2) doubles each stage's n
    def units(depth: float) -> int:
        graph = load(EXAMPLES / "mobilenet_v2.arch", depth=depth)
        return len({c.name.rsplit(".main.", 1)[0] for c in analyze(graph).layers if ".main." in c.name})
    assert units(1) == 17
    assert units(2) == 34
    assert units(1.5) == 2 + 3 + 5 + 6 + 5 + 5 + 2  # ceil(1.5·n) for n = 1, 2, 3, 4, 3, 3, 1


def test_tinymix_matches_its_pytorch_twin() -> None:
    """tools/torch_tutorial_tinymix.py (torch 2.14.1, torchvision 0.29.1, fvcore 0.1.5,
    ptflops 0.7.5 pytorch backend, thop 0.1.1, calflops 0.3.2; weights as built, eval, batch 1):
    params = sum of parameters' numel, buffers = BN running mean + var, MACs =
    FlopCounterMode / 2, and each peer tool's total on the same model at 224 x 224."""
    graph = load(EXAMPLES / "tinymix.arch")
    at_224 = analyze(graph)
    assert (at_224.totals.params, at_224.totals.buffers, at_224.totals.macs) == (1_160_760, 3_072, 148_579_200)
    assert at_224.totals.output_shape == (1000, 1, 1)
    assert analyze(graph, size=160).totals.macs == 75_923_328
    tools = {"fvcore": 155_563_072, "ptflops": 156_819_592, "thop": 161_246_336, "calflops": 304_434_880,
             "flops": 2 * 148_579_200}
    assert {name: analyze(graph, convention=name).totals.flops for name in tools} == tools
