"""EfficientNet-B0..B7 and EfficientNetV2-S/M/L (specs/modern) against torchvision.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1,
weights=None, eval, batch 1; params = sum of parameters' numel, buffers =
running_mean + running_var, MACs = FlopCounterMode / 2 (= conv, transposed conv
and linear multiply-accumulates).  The peer totals are the same script's runs of
each tool on the whole model (FlopCounterMode; fvcore FlopCountAnalysis.total();
ptflops get_model_complexity_info, pytorch backend; thop.profile; calflops
calculate_flops, its FLOPs).  The structure (units per stage, head width,
batch-norm eps, dropout, which units keep their shape and their drop
probabilities) was read from torchvision's modules by
tools/torch_figures_efficientnet.py.  Nothing here comes from archspec's output.
"""

from __future__ import annotations

import re

import pytest
from reference import SPECS

from archspec import analyze, load, loads
from archspec.errors import ArchError

MODERN = SPECS / "modern"
ODD = (193, 257)  # H x W: odd sides expose the stride-2 layers' rounding

# model: (params, buffers), MACs at 224 x 224, MACs at 193 x 257, native crop, MACs there
TORCH = {
    "efficientnet_b0": ((5_288_548, 42_016), 385_814_752, 441_662_560, 224, 385_814_752),
    "efficientnet_b1": ((7_794_184, 62_048), 569_651_680, 657_175_152, 240, 686_802_832),
    "efficientnet_b2": ((9_109_994, 67_568), 658_963_440, 762_537_536, 288, 1_087_529_456),
    "efficientnet_b3": ((12_233_232, 87_296), 962_708_240, 1_107_593_624, 300, 1_827_141_392),
    "efficientnet_b4": ((19_341_616, 125_200), 1_503_710_432, 1_740_977_032, 380, 4_393_771_024),
    "efficientnet_b5": ((30_389_784, 172_736), 2_356_493_184, 2_734_072_304, 456, 10_266_384_752),
    "efficientnet_b6": ((43_040_704, 224_432), 3_360_166_848, 3_902_916_336, 528, 19_067_593_536),
    "efficientnet_b7": ((66_347_960, 310_720), 5_169_865_152, 6_016_442_400, 600, 37_745_884_192),
    "efficientnet_v2_s": ((21_458_488, 153_872), 2_849_895_872, 3_144_618_824, 384, 8_365_617_152),
    "efficientnet_v2_m": ((54_139_356, 292_032), 5_362_207_200, 6_078_257_672, 480, 24_582_460_384),
    "efficientnet_v2_l": ((118_515_272, 512_576), 12_231_188_544, 13_815_119_520, 480, 56_079_699_008),
}
CLASSES = (1000, 1, 1)  # torch's (1, 1000) logits; archspec shows a vector as C x 1 x 1

# The tools' totals at 224 x 224, in the order of CONVENTIONS.
CONVENTIONS = ("flops", "fvcore", "ptflops", "thop", "calflops")
PEERS = {
    "efficientnet_b0": (771_629_504, 401_659_392, 410_196_896, 415_145_024, 793_641_400),
    "efficientnet_b1": (1_139_303_360, 591_918_848, 603_910_968, 610_614_864, 1_169_975_632),
    "efficientnet_b2": (1_317_926_880, 682_325_856, 694_924_524, 701_926_368, 1_350_108_868),
    "efficientnet_b3": (1_925_416_480, 993_639_392, 1_010_257_000, 1_019_632_544, 1_968_005_440),
    "efficientnet_b4": (3_007_420_864, 1_544_547_424, 1_566_750_160, 1_578_608_952, 3_063_654_472),
    "efficientnet_b5": (4_712_986_368, 2_412_939_616, 2_443_641_672, 2_459_739_680, 4_790_446_752),
    "efficientnet_b6": (6_720_333_696, 3_432_452_432, 3_471_776_368, 3_492_329_896, 6_819_481_320),
    "efficientnet_b7": (10_339_730_304, 5_266_983_936, 5_319_940_328, 5_347_093_728, 10_472_722_688),
    "efficientnet_v2_s": (5_699_791_744, 2_877_583_616, 2_891_727_000, 2_901_935_168, 5_738_250_672),
    "efficientnet_v2_m": (10_724_414_400, 5_407_326_400, 5_430_805_120, 5_446_492_352, 10_786_991_768),
    "efficientnet_v2_l": (24_462_377_088, 12_310_425_856, 12_351_576_488, 12_379_301_696, 24_572_286_656),
}
B0_PEERS_ODD = (883_325_120, 458_520_064, 467_626_208, 472_824_608, 906_724_568)

# model: units per stage (V2-S has six stages: its seventh is empty), head conv
# width, batch-norm eps, classifier dropout, units that keep their shape (and so
# run stochastic depth and the residual add)
STRUCTURE = {
    "efficientnet_b0": ((1, 2, 2, 3, 3, 4, 1), 1280, 1e-5, 0.2, 9),
    "efficientnet_b1": ((2, 3, 3, 4, 4, 5, 2), 1280, 1e-5, 0.2, 16),
    "efficientnet_b2": ((2, 3, 3, 4, 4, 5, 2), 1408, 1e-5, 0.3, 16),
    "efficientnet_b3": ((2, 3, 3, 5, 5, 6, 2), 1536, 1e-5, 0.3, 19),
    "efficientnet_b4": ((2, 4, 4, 6, 6, 8, 2), 1792, 1e-5, 0.4, 25),
    "efficientnet_b5": ((3, 5, 5, 7, 7, 9, 3), 2048, 1e-3, 0.4, 32),
    "efficientnet_b6": ((3, 6, 6, 8, 8, 11, 3), 2304, 1e-3, 0.5, 38),
    "efficientnet_b7": ((4, 7, 7, 10, 10, 13, 4), 2560, 1e-3, 0.5, 48),
    "efficientnet_v2_s": ((2, 4, 4, 6, 9, 15, 0), 1280, 1e-3, 0.2, 35),
    "efficientnet_v2_m": ((3, 5, 5, 7, 14, 18, 5), 1280, 1e-3, 0.3, 51),
    "efficientnet_v2_l": ((4, 7, 7, 10, 19, 25, 7), 1280, 1e-3, 0.4, 73),
}

# The family specs' parameters for each member (torchvision's builders).
B_FAMILY = {"efficientnet_b0": (1.0, 1.0), "efficientnet_b1": (1.0, 1.1), "efficientnet_b2": (1.1, 1.2),
            "efficientnet_b3": (1.2, 1.4), "efficientnet_b4": (1.4, 1.8), "efficientnet_b5": (1.6, 2.2),
            "efficientnet_b6": (1.8, 2.6), "efficientnet_b7": (2.0, 3.1)}
UNIT = re.compile(r"\.stage(\d)\.mbconv(\d*)\.")


def spec(model: str) -> str:
    return str(MODERN / f"{model}.arch")


@pytest.mark.parametrize("model", list(TORCH))
def test_counts_at_224(model: str) -> None:
    (params, buffers), macs, _, _, _ = TORCH[model]
    totals = analyze(spec(model), size=224).totals
    assert (totals.params, totals.buffers, totals.macs, totals.output_shape) == (params, buffers, macs, CLASSES)


@pytest.mark.parametrize("model", list(TORCH))
def test_counts_at_193x257(model: str) -> None:
    (params, buffers), _, macs, _, _ = TORCH[model]
    totals = analyze(spec(model), size=ODD).totals
    assert (totals.params, totals.buffers, totals.macs, totals.output_shape) == (params, buffers, macs, CLASSES)


@pytest.mark.parametrize("model", list(TORCH))
def test_counts_at_the_native_crop(model: str) -> None:
    # The thin spec's own input is its weights' evaluation crop; the MACs there
    # round to torchvision's published `_ops` (e.g. b7: 37.746 GFLOPS).
    (params, buffers), _, _, crop, macs = TORCH[model]
    result = analyze(spec(model))
    assert result.input_shape == (3, crop, crop)
    totals = result.totals
    assert (totals.params, totals.buffers, totals.macs, totals.output_shape) == (params, buffers, macs, CLASSES)


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("model", list(PEERS))
def test_peer_totals_at_224(model: str, convention: str) -> None:
    # The same per-kind rules for every member: conv, BN, SiLU, global pooling
    # and linear priced as each tool prices them; sigmoid, `scale * input`,
    # `+=`, dropout and stochastic depth are 0 for every tool.
    expected = PEERS[model][CONVENTIONS.index(convention)]
    assert analyze(spec(model), size=224, convention=convention).totals.flops == expected


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_b0_peer_totals_at_193x257(convention: str) -> None:
    expected = B0_PEERS_ODD[CONVENTIONS.index(convention)]
    assert analyze(spec("efficientnet_b0"), size=ODD, convention=convention).totals.flops == expected


@pytest.mark.parametrize("model", list(STRUCTURE))
def test_structure(model: str) -> None:
    stage_units, head, eps, dropout, residual = STRUCTURE[model]
    layers = analyze(spec(model), size=224).layers
    units: dict[int, set[str]] = {s: set() for s in range(1, 8)}
    for cost in layers:
        found = UNIT.search(cost.name)
        if found:
            units[int(found[1])].add(found[2])
    assert tuple(len(units[s]) for s in range(1, 8)) == stage_units
    assert next(c for c in layers if c.name.endswith(".head.conv")).output_shape[0] == head
    assert {c.layer.eps for c in layers if c.kind == "bn"} == {eps}
    assert [c.layer.p for c in layers if c.kind == "dropout"] == [dropout]
    assert sum(c.kind == "droppath" for c in layers) == residual
    assert sum(c.kind == "add" for c in layers) == residual


# torchvision's drop probabilities: unit i (numbered from 0 over the whole
# network) of `total` drops with 0.2 x i / total.  b0: 16 units, and these
# keep their shape (torchvision's values, copied):
B0_DROP = [(2, 0.025), (4, 0.05), (6, 0.07500000000000001), (7, 0.08750000000000001), (9, 0.1125),
           (10, 0.125), (12, 0.15000000000000002), (13, 0.1625), (14, 0.17500000000000002)]
# V2-S: 40 units; these keep their shape, each with p = 0.2 x i / 40 exactly
# (tools/torch_figures_efficientnet.py checks torchvision's floats against it).
V2_S_RESIDUAL = [0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 26, 27, 28, 29,
                 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]


def drop_probabilities(model: str) -> list[tuple[int, float]]:
    """(unit number over the network, p) of every droppath, from the layer names."""
    stage_units = STRUCTURE[model][0]
    drops = []
    for cost in analyze(spec(model), size=224).layers:
        if cost.kind == "droppath":
            found = UNIT.search(cost.name)
            assert found is not None
            stage, unit = int(found[1]), int(found[2] or 1)
            drops.append((sum(stage_units[:stage - 1]) + unit - 1, cost.layer.p))
    return drops


def test_drop_probabilities_grow_linearly_b0() -> None:
    assert drop_probabilities("efficientnet_b0") == B0_DROP


def test_drop_probabilities_grow_linearly_v2_s() -> None:
    # The first unit keeps its shape (24 -> 24, stride 1) and drops with p = 0.
    assert drop_probabilities("efficientnet_v2_s") == [(i, 0.2 * i / 40) for i in V2_S_RESIDUAL]


@pytest.mark.parametrize("model", list(B_FAMILY))
def test_family_spec_builds_each_b_member(model: str) -> None:
    width, depth = B_FAMILY[model]
    (params, buffers), macs, odd_macs, _, _ = TORCH[model]
    family = load(MODERN / "efficientnet.arch", width=width, depth=depth)
    totals = analyze(family, size=224).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert analyze(family, size=ODD).totals.macs == odd_macs


@pytest.mark.parametrize("variant", ["s", "m", "l"])
def test_family_spec_builds_each_v2_member(variant: str) -> None:
    (params, buffers), macs, odd_macs, _, _ = TORCH[f"efficientnet_v2_{variant}"]
    family = load(MODERN / "efficientnet_v2.arch", variant=variant)
    totals = analyze(family, size=224).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert analyze(family, size=ODD).totals.macs == odd_macs


def test_family_specs_read_at_the_base_members_crop() -> None:
    assert analyze(MODERN / "efficientnet.arch").input_shape == (3, 224, 224)
    assert analyze(MODERN / "efficientnet_v2.arch").input_shape == (3, 384, 384)


def test_unknown_v2_variant_is_refused() -> None:
    # the spec's own error() message, at the family spec's line that checks the variant
    with pytest.raises(ArchError, match=r'variant is "s", "m" or "l", not "xl"') as caught:
        load(MODERN / "efficientnet_v2.arch", variant="xl")
    assert caught.value.location is not None and caught.value.location.path.endswith("efficientnet_v2.arch")


def test_an_unknown_arch_is_refused_in_the_librarys_words() -> None:
    text = 'input 3 x 224 x 224\nimport "lib/efficientnet.arch"\nefficientnet("v3")\n'
    with pytest.raises(ArchError, match=r'arch is "b", "v2_s", "v2_m" or "v2_l", not "v3"') as caught:
        loads(text, path=str(MODERN / "v3.arch"))
    assert caught.value.location is not None and caught.value.location.path.endswith("lib/efficientnet.arch")


def test_a_stage_of_any_length_builds_with_its_own_drop_probabilities() -> None:
    # depth 7: stages of ceil(units x 7) = 7, 14, 14, 21, 21, 28, 7 units, 112 in
    # all; the library used to write out 25 units and refuse a longer stage.
    layers = analyze(load(MODERN / "efficientnet.arch", depth=7.0), size=224).layers
    assert len({found[2] for c in layers if (found := UNIT.search(c.name)) and found[1] == "6"}) == 28
    # every unit but each stage's first (which widens: 32->16, 16->24, ... 192->320)
    # keeps its shape: 112 - 7 = 105 residual units
    drops = [c for c in layers if c.kind == "droppath"]
    assert len(drops) == 105
    # stage 6's last unit is unit 7 + 14 + 14 + 21 + 21 + 27 = 104 (from 0) of 112
    last = next(c for c in drops if ".stage6.mbconv28." in c.name)
    assert last.layer.p == 0.2 * 104 / 112


def test_b0_peer_totals_from_the_command_line() -> None:
    import json

    from typer.testing import CliRunner

    from archspec.cli import app

    runner = CliRunner()
    for convention, expected in zip(CONVENTIONS, PEERS["efficientnet_b0"], strict=True):
        run = runner.invoke(app, ["analyze", spec("efficientnet_b0"), "--convention", convention, "--format", "json"])
        assert run.exit_code == 0
        assert json.loads(run.stdout)["totals"]["flops"] == expected
