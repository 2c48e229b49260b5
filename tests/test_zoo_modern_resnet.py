"""torchvision's ResNet family -- ResNet, ResNeXt and the wide ResNets
(specs/modern/resnet.arch, specs/modern/lib/resnet.arch and one thin spec per builder)
against PyTorch.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1, weights=None,
eval, batch 1; params = sum of parameters' numel, buffers = running_mean + running_var,
MACs = FlopCounterMode / 2 (= conv, transposed conv and linear multiply-accumulates);
the output is the logits, (N, 1000) in torch for every member at every size, a
1000 x 1 x 1 vector in archspec.  resnext101_32x8d and resnext101_64x4d were first
measured the same way with tools/torch_figures_classic.py, and are now in that file too.  The peer
tools' totals come from tools/torch_figures.py (fvcore 0.1.5.post20221221, ptflops 0.7.5
pytorch backend, thop 0.1.1.post2209072238, calflops 0.3.2 FLOPs).

193 x 257 is the odd size: the stem takes it to 97 x 129, the max pool to 49 x 65, the
stages to 25 x 33, 13 x 17 and 7 x 9 -- more positions than 224 x 224 gives (7 x 7), so
every member costs more there, though the input has fewer pixels.
"""

from __future__ import annotations

import pytest
from reference import SPECS

from archspec import analyze, load

MODERN = SPECS / "modern"
ODD = (193, 257)
TORCH_OUTPUT = (1, 1000)

# (params, buffers, MACs at 224 x 224, MACs at 193 x 257)
TORCH = {
    "resnet18": (11_689_512, 9_600, 1_814_073_344, 2_012_372_160),
    "resnet34": (21_797_672, 17_024, 3_663_761_408, 4_073_880_768),
    "resnet50": (25_557_032, 53_120, 4_089_184_256, 4_543_302_848),
    "resnet101": (44_549_160, 105_344, 7_801_405_440, 8_729_021_632),
    "resnet152": (60_192_808, 151_424, 11_513_626_624, 12_849_007_808),
    "resnext50_32x4d": (25_028_904, 68_224, 4_230_479_872, 4_683_178_688),
    "resnext101_32x8d": (88_791_336, 202_880, 16_414_015_488, 18_341_979_328),
    "resnext101_64x4d": (83_455_272, 202_880, 15_460_270_080, 17_271_273_664),
    "wide_resnet50_2": (68_883_240, 68_224, 11_398_021_120, 12_692_237_504),
    "wide_resnet101_2": (126_886_696, 137_856, 22_753_050_624, 25_495_612_608),
}

# torchvision's builder arguments as the family spec's parameters
MEMBERS = {
    "resnet18": {"unit": "basic", "layers": (2, 2, 2, 2)},
    "resnet34": {"unit": "basic"},
    "resnet50": {},
    "resnet101": {"layers": (3, 4, 23, 3)},
    "resnet152": {"layers": (3, 8, 36, 3)},
    "resnext50_32x4d": {"groups": 32, "width_per_group": 4},
    "resnext101_32x8d": {"layers": (3, 4, 23, 3), "groups": 32, "width_per_group": 8},
    "resnext101_64x4d": {"layers": (3, 4, 23, 3), "groups": 64, "width_per_group": 4},
    "wide_resnet50_2": {"width_per_group": 128},
    "wide_resnet101_2": {"layers": (3, 4, 23, 3), "width_per_group": 128},
}

# Each tool's own total (its unit: MACs, calflops and FlopCounterMode FLOPs), for a
# member of each unit: basic, grouped bottleneck, wide bottleneck.
PEERS = {
    ("resnet18", 224): {"fvcore": 1_819_065_856, "ptflops": 1_825_313_768, "thop": 1_824_033_792,
                        "calflops": 3_636_250_112, "flops": 3_628_146_688},
    ("resnet18", ODD): {"fvcore": 2_017_581_120, "ptflops": 2_024_003_880, "thop": 2_022_758_336,
                        "calflops": 4_033_148_032, "flops": 4_024_744_320},
    ("resnext50_32x4d", 224): {"fvcore": 4_259_381_248, "ptflops": 4_286_878_696, "thop": 4_288_184_320,
                               "calflops": 8_503_559_168, "flops": 8_460_959_744},
    ("resnext50_32x4d", ODD): {"fvcore": 4_713_768_256, "ptflops": 4_742_774_312, "thop": 4_744_230_848,
                               "calflops": 9_411_384_960, "flops": 9_366_357_376},
    ("wide_resnet50_2", 224): {"fvcore": 11_426_922_496, "ptflops": 11_454_419_944, "thop": 11_455_725_568,
                               "calflops": 22_838_641_664, "flops": 22_796_042_240},
    ("wide_resnet50_2", ODD): {"fvcore": 12_722_827_072, "ptflops": 12_751_833_128, "thop": 12_753_289_664,
                               "calflops": 25_429_502_592, "flops": 25_384_475_008},
}


def expected(name: str, size: int | tuple[int, int]) -> tuple[int, int, int, tuple[int, int, int]]:
    params, buffers, macs224, macs_odd = TORCH[name]
    return params, buffers, macs224 if size == 224 else macs_odd, (TORCH_OUTPUT[1], 1, 1)


def totals(spec: object, size: int | tuple[int, int]) -> tuple[int, int, int, tuple[int, int, int]]:
    t = analyze(spec, size=size).totals  # type: ignore[arg-type]
    return t.params, t.buffers, t.macs, t.output_shape


@pytest.mark.parametrize("size", [224, ODD], ids=str)
@pytest.mark.parametrize("name", list(TORCH))
def test_member_matches_torchvision(name: str, size: int | tuple[int, int]) -> None:
    assert totals(MODERN / f"{name}.arch", size) == expected(name, size)


@pytest.mark.parametrize("name", list(MEMBERS))
def test_family_parameters_build_each_member(name: str) -> None:
    family = load(MODERN / "resnet.arch", **MEMBERS[name])
    for size in (224, ODD):
        assert totals(family, size) == expected(name, size)


def test_family_cli_set_builds_wide_resnet101_2() -> None:
    import json

    from typer.testing import CliRunner

    from archspec.cli import app

    args = ["analyze", str(MODERN / "resnet.arch"), "--set", "layers=3,4,23,3",
            "--set", "width_per_group=128", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stdout
    t = json.loads(result.stdout)["totals"]
    params, buffers, macs, output = expected("wide_resnet101_2", 224)
    assert (t["params"], t["buffers"], t["macs"], tuple(t["output_shape"])) == (params, buffers, macs, output)


def test_shortcut_projects_only_where_the_shape_changes() -> None:
    """ResNet-18's layer1 keeps 64 channels at stride 1: no projection, so its
    first unit has two convolutions; layer2's first unit strides and widens: three.
    ResNet-50's layer1 widens 64 to 256: a projection there too."""
    def convs(spec: object, unit: str) -> int:
        graph = load(spec)  # type: ignore[arg-type]
        return sum(1 for node in graph.nodes if node.name.startswith(unit) and node.layer.kind == "conv")

    assert convs(MODERN / "resnet18.arch", "resnet.layer1.basic1.") == 2
    assert convs(MODERN / "resnet18.arch", "resnet.layer2.basic1.") == 3
    assert convs(MODERN / "resnet50.arch", "resnet.layer1.bottleneck1.") == 4


@pytest.mark.parametrize(("name", "size"), list(PEERS), ids=str)
@pytest.mark.parametrize("convention", ["fvcore", "ptflops", "thop", "calflops", "flops"])
def test_members_under_each_tool(convention: str, name: str, size: int | tuple[int, int]) -> None:
    assert analyze(MODERN / f"{name}.arch", size=size, convention=convention).totals.flops == PEERS[name, size][convention]
