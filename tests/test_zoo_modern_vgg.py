"""torchvision's VGG family (specs/modern/vgg.arch, specs/modern/lib/vgg.arch and one
thin spec per builder) against PyTorch.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1, weights=None,
eval, batch 1; params = sum of parameters' numel, buffers = running_mean + running_var,
MACs = FlopCounterMode / 2 (= conv, transposed conv and linear multiply-accumulates);
the output is the logits, (N, 1000) in torch, a 1000 x 1 x 1 vector in archspec.  The
peer tools' totals come from the same script (fvcore 0.1.5.post20221221, ptflops 0.7.5
pytorch backend, thop 0.1.1.post2209072238, calflops 0.3.2 FLOPs).  The smallest input
(the weights' min_size) was measured with tools/torch_figures_classic.py (same versions
and definitions).

193 x 257 is the odd size: the five 2x2/2 pools take 193 to 96, 48, 24, 12, 6 and 257 to
128, 64, 32, 16, 8, so AdaptiveAvgPool2d((7, 7)) stretches 6 rows to 7 (overlapping
windows) and shrinks 8 columns to 7, and the classifier still sees 512·7·7 = 25,088
features: the parameters do not change with the size.
"""

from __future__ import annotations

import json

import pytest
from reference import SPECS

from archspec import analyze, load
from archspec.errors import ArchError

MODERN = SPECS / "modern"
ODD = (193, 257)

# (params, buffers, MACs, torch's output shape)
TORCH = {
    ("vgg11", 224): (132_863_336, 0, 7_609_090_048, (1, 1000)),
    ("vgg11", ODD): (132_863_336, 0, 7_457_101_504, (1, 1000)),
    ("vgg11_bn", 224): (132_868_840, 5_504, 7_609_090_048, (1, 1000)),
    ("vgg11_bn", ODD): (132_868_840, 5_504, 7_457_101_504, (1, 1000)),
    ("vgg13", 224): (133_047_848, 0, 11_308_466_176, (1, 1000)),
    ("vgg13", ODD): (133_047_848, 0, 11_097_532_096, (1, 1000)),
    ("vgg13_bn", 224): (133_053_736, 5_888, 11_308_466_176, (1, 1000)),
    ("vgg13_bn", ODD): (133_053_736, 5_888, 11_097_532_096, (1, 1000)),
    ("vgg16", 224): (138_357_544, 0, 15_470_264_320, (1, 1000)),
    ("vgg16", ODD): (138_357_544, 0, 15_174_395_584, (1, 1000)),
    ("vgg16_bn", 224): (138_365_992, 8_448, 15_470_264_320, (1, 1000)),
    ("vgg16_bn", ODD): (138_365_992, 8_448, 15_174_395_584, (1, 1000)),
    ("vgg19", 224): (143_667_240, 0, 19_632_062_464, (1, 1000)),
    ("vgg19", ODD): (143_667_240, 0, 19_251_259_072, (1, 1000)),
    ("vgg19_bn", 224): (143_678_248, 11_008, 19_632_062_464, (1, 1000)),
    ("vgg19_bn", ODD): (143_678_248, 11_008, 19_251_259_072, (1, 1000)),
}

# torchvision's cfgs A, B, D, E as the family spec's parameters
MEMBERS = {
    "vgg11": {"convs": (1, 1, 2, 2, 2)},
    "vgg11_bn": {"convs": (1, 1, 2, 2, 2), "batch_norm": True},
    "vgg13": {"convs": (2, 2, 2, 2, 2)},
    "vgg13_bn": {"convs": (2, 2, 2, 2, 2), "batch_norm": True},
    "vgg16": {},
    "vgg16_bn": {"batch_norm": True},
    "vgg19": {"convs": (2, 2, 4, 4, 4)},
    "vgg19_bn": {"convs": (2, 2, 4, 4, 4), "batch_norm": True},
}

# Each tool's own total for torchvision's vgg16 (its unit: MACs, calflops and
# FlopCounterMode FLOPs).
PEERS = {
    224: {"fvcore": 15_470_289_408, "ptflops": 15_523_225_576, "thop": 15_470_314_496,
          "calflops": 30_973_778_432, "flops": 30_940_528_640, "macs": 15_470_264_320},
    ODD: {"fvcore": 15_174_420_160, "ptflops": 15_226_506_408, "thop": 15_174_445_247,
          "calflops": 30_381_506_240, "flops": 30_348_791_168, "macs": 15_174_395_584},
}


def totals(spec: object, size: object) -> tuple[int, int, int, tuple[int, int, int]]:
    t = analyze(spec, size=size).totals  # type: ignore[arg-type]
    return t.params, t.buffers, t.macs, t.output_shape


@pytest.mark.parametrize(("name", "size"), list(TORCH), ids=lambda v: str(v))
def test_member_matches_torchvision(name: str, size: int | tuple[int, int]) -> None:
    params, buffers, macs, (_, classes) = TORCH[name, size]
    assert totals(MODERN / f"{name}.arch", size) == (params, buffers, macs, (classes, 1, 1))


@pytest.mark.parametrize("name", list(MEMBERS))
def test_family_parameters_build_each_member(name: str) -> None:
    family = load(MODERN / "vgg.arch", **MEMBERS[name])
    for size in (224, ODD):
        params, buffers, macs, (_, classes) = TORCH[name, size]
        assert totals(family, size) == (params, buffers, macs, (classes, 1, 1))


def test_family_cli_set_builds_vgg19_bn() -> None:
    from typer.testing import CliRunner

    from archspec.cli import app

    args = ["analyze", str(MODERN / "vgg.arch"), "--set", "convs=2,2,4,4,4", "--set", "batch_norm=true",
            "--size", "193x257", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stdout
    t = json.loads(result.stdout)["totals"]
    params, buffers, macs, (_, classes) = TORCH["vgg19_bn", ODD]
    assert (t["params"], t["buffers"], t["macs"], t["output_shape"]) == (params, buffers, macs, [classes, 1, 1])


@pytest.mark.parametrize("size", list(PEERS), ids=str)
@pytest.mark.parametrize("convention", list(PEERS[224]))
def test_vgg16_under_each_tool(convention: str, size: int | tuple[int, int]) -> None:
    """vgg16's kinds are conv (bias), relu (nn.ReLU), maxpool, adaptiveavgpool, flatten,
    linear and dropout; the totals follow from each kind's rule in peer_rules order:
    fvcore adds the adaptive pool's 25,088 (24,576 at 6 x 8) input elements to the MACs;
    thop adds (window area + 1) per pool output, 2·25,088 = 50,176 at 224, and at 6 x 8
    the float product int((6/7·8/7 + 1)·25,088) = 49,663, one below the exact 49,664."""
    assert analyze(MODERN / "vgg16.arch", size=size, convention=convention).totals.flops == PEERS[size][convention]


def test_smallest_input_is_torchvisions_min_size() -> None:
    """VGG16_Weights' min_size is 32 x 32: five 2x2/2 pools leave 1 x 1, where the
    adaptive pool repeats the one value 7 x 7 times; torch runs it (436,830,208 MACs) and
    at 31 x 31 fails at the fifth pool, "Given input size: (512x1x1)"."""
    t = analyze(MODERN / "vgg16.arch", size=32).totals
    assert (t.params, t.buffers, t.macs, t.output_shape) == (138_357_544, 0, 436_830_208, (1000, 1, 1))
    with pytest.raises(ArchError, match=r"vgg_stage5\.maxpool.*1x1x512") as error:
        analyze(MODERN / "vgg16.arch", size=31)
    assert error.value.hint == "the smallest square input that works is 32 x 32"
