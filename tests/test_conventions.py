"""Every counting profile reproduces the figure its tool publishes for
torchvision's ResNet-50, and prices every layer kind.

Published figures (from the brief of issue 7, each the tool's own output for
torchvision.models.resnet50 at 1 x 3 x 224 x 224):
  torchvision docs            4,089,184,256 MACs
  FlopCounterMode             8,178,368,512 FLOPs
  fvcore FlopCountAnalysis    4,111,512,576
  ptflops (pytorch backend)   4,132,436,968 MACs
  thop profile                4,133,742,592
  calflops                    8,211,108,352 FLOPs

Element counts of ResNet-50 at 224, by hand (stage sides 112, 56, 28, 14, 7;
the torchvision unit strides its 3x3, so a stage's first 1x1 runs at the
previous side):
  BN outputs   bn1 64*112^2 = 802,816
               layer1 3 units x (64+64+256) x 56^2 + downsample 256 x 56^2 = 4,415,488
               layer2 (128*56^2 + 128*28^2 + 512*28^2 + 512*28^2) + 3 x 768*28^2 = 3,110,912
               layer3 (256*28^2 + 256*14^2 + 1024*14^2 * 2) + 5 x 1536*14^2 = 2,157,568
               layer4 (512*14^2 + 512*7^2 + 2048*7^2 * 2) + 2 x 3072*7^2 = 627,200
               total 11,113,984
  ReLU outputs every BN but the 4 downsample BNs (802,816 + 401,408 + 200,704
               + 100,352 = 1,505,280): 9,608,704
  maxpool input 64 x 112^2 = 802,816; avgpool input 2048 x 7^2 = 100,352
  fc           2048 x 1000 = 2,048,000 MACs, 1,000 bias additions
  conv MACs    4,089,184,256 - 2,048,000 = 4,087,136,256
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from archspec import analyze, load, loads
from archspec.conventions import CONVENTIONS
from archspec.conventions import get_convention as get
from archspec.costs.compare_conventions import compare

SPECS = Path(__file__).parent.parent / "specs"

BN, RELU, MAXPOOL_IN, AVGPOOL_IN = 11_113_984, 9_608_704, 802_816, 100_352
CONV_MACS, FC_MACS, FC_BIAS = 4_087_136_256, 2_048_000, 1_000
MACS = CONV_MACS + FC_MACS

PUBLISHED = {
    "macs": 4_089_184_256,
    "flops": 8_178_368_512,
    "fvcore": 4_111_512_576,
    "ptflops": 4_132_436_968,
    "thop": 4_133_742_592,
    "calflops": 8_211_108_352,
}

# How each tool arrives at its figure, per layer kind (the kinds of specs/resnet50.arch;
# permute and flatten are mcnPyTorch's import details and count 0 everywhere).
DECOMPOSITION = {
    # torchvision: conv and linear multiply-accumulates, no bias
    "macs": {"conv": CONV_MACS, "fc": FC_MACS},
    # aten.convolution and aten.addmm at 2 FLOPs per multiply-add, bias uncounted
    "flops": {"conv": 2 * CONV_MACS, "fc": 2 * FC_MACS},
    # eval batch_norm with affine: 2 per element; adaptive_avg_pool2d: 1 per input element;
    # relu_, max_pool2d and add_ are ignored ops
    "fvcore": {"conv": CONV_MACS, "fc": FC_MACS, "bn": 2 * BN, "avgpool": AVGPOOL_IN},
    # Linear counts its bias; BN 2 per element; ReLU and both pools are counted by the
    # module hook AND by the patched F.relu / F.max_pool2d / F.adaptive_avg_pool2d
    # their forward calls; `out += identity` is not seen
    "ptflops": {"conv": CONV_MACS, "fc": FC_MACS + FC_BIAS, "bn": 2 * BN, "relu": 2 * RELU,
                "maxpool": 2 * MAXPOOL_IN, "avgpool": 2 * AVGPOOL_IN},
    # calculate_norm gives 2 per element, doubled for affine BN; ReLU and MaxPool are
    # zero_ops; AdaptiveAvgPool2d: (49 + 1) per output element, 2048 outputs
    "thop": {"conv": CONV_MACS, "fc": FC_MACS, "bn": 4 * BN, "avgpool": 50 * 2048},
    # conv 2 x MACs (+ bias, none here); linear 2 x MACs without its bias; eval BN 2 per
    # element; F.relu 1 per element; pools 1 per input element
    "calflops": {"conv": 2 * CONV_MACS, "fc": 2 * FC_MACS, "bn": 2 * BN, "relu": RELU,
                 "maxpool": MAXPOOL_IN, "avgpool": AVGPOOL_IN},
}


@pytest.fixture(scope="module")
def resnet50():  # type: ignore[no-untyped-def]
    return load(SPECS / "resnet50.arch")


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_profile_reproduces_its_tools_resnet50_figure(resnet50, name):  # type: ignore[no-untyped-def]
    result = analyze(resnet50, convention=name)
    assert result.totals.flops == PUBLISHED[name]
    by_kind: Counter[str] = Counter()
    for layer in result.layers:
        by_kind[layer.kind] += layer.flops
    assert {k: v for k, v in by_kind.items() if v} == DECOMPOSITION[name]


def test_burden_figure_is_unchanged(resnet50) -> None:  # type: ignore[no-untyped-def]
    """burden = MACs + conv/fc bias + 2 per ReLU output + 2 x out x stride^2 per
    pool + 1 per add output: 4,089,184,256 + 1,000 + 2 x 9,608,704
    + 2 x 64*56^2 x 4 (maxpool, stride 2) + 2 x 2048 x 49 (avgpool 7, stride 7)
    + 5,519,360 (adds: 256*56^2*3 + 512*28^2*4 + 1024*14^2*6 + 2048*7^2*3)."""
    expected = MACS + FC_BIAS + 2 * RELU + 2 * 200_704 * 4 + 2 * 2048 * 49 + 5_519_360
    assert analyze(resnet50).totals.flops == expected == 4_115_728_360


def test_macs_field_is_the_same_under_every_profile(resnet50) -> None:  # type: ignore[no-untyped-def]
    assert {analyze(resnet50, convention=n).totals.macs for n in CONVENTIONS} == {MACS}


def test_small_net_by_hand() -> None:
    """conv 3 -> 4 channels, 3x3 pad 1 with bias on 8x8, ReLU, 2x2 max pool, softmax.
    conv MACs 4*8*8 * 27 = 6,912, bias 256; ReLU 256 elements; pool 256 in, 64 out;
    softmax 64 elements over C = 4 at 16 positions."""
    spec = loads("input 3 x 8 x 8\nx = conv(4, 3, pad=1) > relu > maxpool(2) > softmax\n")
    expected = {
        "macs": 6912,
        "flops": 2 * 6912,
        "fvcore": 6912,  # relu, max_pool2d, softmax: no handles
        "ptflops": 6912 + 256 + 2 * 256 + 2 * 256 + 64,  # bias, ReLU x2, pool input x2, F.softmax
        "thop": 6912 + 16 * (3 * 4 - 1),  # no bias; ReLU, MaxPool 0; softmax (exp, add, div)
        "calflops": 2 * 6912 + 256 + 256 + 256 + 64,  # 2 MACs + bias, relu, pool input, softmax
        "burden": 6912 + 256 + 2 * 256 + 2 * 64 * 4,  # bias, 2 per ReLU, 2 x out x stride^2
    }
    assert {n: analyze(spec, convention=n).totals.flops for n in expected} == expected


def test_bilinear_resize_by_hand() -> None:
    """interp(zoom=2) on 21 x 5 x 5: (5 − 1)·2 + 1 = 9 per side, 21·9·9 = 1,701 outputs.
    burden and fvcore (aten::upsample_bilinear2d) 4 per output, 6,804; ptflops prices
    F.interpolate by its output elements, 1,701; calflops by the output size alone, 9·9 = 81;
    thop sees no module; no multiply-accumulates."""
    spec = loads("input 21 x 5 x 5\nx = interp(zoom=2)\n")
    figures = {name: analyze(spec, convention=name).totals.flops for name in CONVENTIONS}
    assert figures == {"burden": 6804, "macs": 0, "flops": 0, "fvcore": 6804, "ptflops": 1701,
                       "thop": 0, "calflops": 81}


def test_window_pool_over_the_whole_input_is_a_global_pool_for_the_peers() -> None:
    """avgpool(7) on 7x7 is torchvision's AdaptiveAvgPool2d((1, 1)); avgpool(2)
    on 4x4 is an AvgPool2d: thop prices the first (49 + 1) per output, the
    second 1 per output; fvcore only the adaptive one (input elements)."""
    whole = loads("input 2 x 7 x 7\np = avgpool(7)\n")
    window = loads("input 2 x 4 x 4\np = avgpool(2)\n")
    assert analyze(whole, convention="thop").totals.flops == 50 * 2
    assert analyze(window, convention="thop").totals.flops == 2 * 2 * 2
    assert analyze(whole, convention="fvcore").totals.flops == 2 * 49
    assert analyze(window, convention="fvcore").totals.flops == 0


def test_comparison_explains_each_gap_per_kind(resnet50) -> None:  # type: ignore[no-untyped-def]
    c = compare(resnet50)
    assert {n: c.totals[n] for n in PUBLISHED} == PUBLISHED
    for convention in c.conventions:
        base = c.totals[c.baseline(convention)]
        assert c.totals[convention.name] == base + sum(d for _, d in c.gaps(convention))
    assert c.params["thop"] == 25_557_032  # torchvision's published parameter count
    assert c.params["burden"] == 25_557_032 + 2 * 26_560  # + running mean and var of 26,560 BN channels


def test_unknown_convention_is_a_clear_error() -> None:
    from archspec.errors import ArchError

    with pytest.raises(ArchError, match="unknown convention"):
        get("fvcor")


# Other torchvision models, checked against the tools' own benchmark tables:
# calflops README "Benchmark / torchvision" FLOPs(Total), 6 significant digits
# (densenet161's Total there drops a digit, "1554650000"; its FLOPs(G) is 15.55);
# thop README "MACs(G)" and ptflops README "MACs(G) (pytorch)", 2 decimals.
CALFLOPS_TABLE = {"resnet18": 3_636_250_000, "resnet34": 7_339_390_000,
                  "squeezenet1-0": 1_648_970_000, "squeezenet1-1": 705_014_000,
                  "densenet121": 5_716_880_000, "densenet169": 6_778_370_000,
                  "densenet201": 8_658_520_000, "densenet161": 15_546_500_000}
THOP_TABLE = {"resnet18": 1.82, "resnet34": 3.68, "squeezenet1-0": 0.82, "squeezenet1-1": 0.35,
              "densenet121": 2.90, "densenet161": 7.85, "densenet169": 3.44, "densenet201": 4.39}
PTFLOPS_TABLE = {"resnet18": 1.83, "squeezenet1-0": 0.84, "densenet121": 2.90}


@pytest.mark.parametrize("model", list(CALFLOPS_TABLE))
def test_other_models_against_the_tools_tables(model: str) -> None:
    spec = load(SPECS / f"{model}.arch")
    assert float(f"{analyze(spec, convention='calflops').totals.flops:.6g}") == CALFLOPS_TABLE[model]
    assert round(analyze(spec, convention="thop").totals.flops / 1e9, 2) == THOP_TABLE[model]
    if model in PTFLOPS_TABLE:
        assert round(analyze(spec, convention="ptflops").totals.flops / 1e9, 2) == PTFLOPS_TABLE[model]


# The same models exactly: each tool's own total for the torchvision model the reference
# spec imports (tools/torch_figures.py: torchvision 0.29.1, torch 2.14.1, weights=None,
# eval, batch 1; fvcore 0.1.5.post20221221, ptflops 0.7.5 pytorch backend, thop
# 0.1.1.post2209072238, calflops 0.3.2 FLOPs, FlopCounterMode), at the size the import
# runs at: its final average pool has a fixed window (7 x 7, Inception-v3's 8 x 8) where
# torchvision pools adaptively, so the imports stop below it (at 193 x 257, say) -- a
# structural difference, not a counting one.  The concats (torch.cat), the permute, the
# flatten and the dropout the imports add count 0 in every tool.
EXACT = {
    ("densenet121", 224): {"macs": 2_834_161_664, "flops": 5_668_323_328, "fvcore": 2_865_546_752,
                           "ptflops": 2_899_843_048, "thop": 2_897_007_104, "calflops": 5_716_881_152},
    ("densenet161", 224): {"macs": 7_727_907_072, "flops": 15_455_814_144, "fvcore": 7_786_843_488,
                           "ptflops": 7_850_193_256, "thop": 7_845_841_056, "calflops": 15_546_479_040},
    ("densenet169", 224): {"macs": 3_359_843_328, "flops": 6_719_686_656, "fvcore": 3_397_970_816,
                           "ptflops": 3_438_996_968, "thop": 3_436_117_120, "calflops": 6_778_367_488},
    ("densenet201", 224): {"macs": 4_291_365_888, "flops": 8_582_731_776, "fvcore": 4_340_870_784,
                           "ptflops": 4_393_349_608, "thop": 4_390_381_952, "calflops": 8_658_522_624},
    ("inception-v3", 299): {"macs": 5_713_216_096, "flops": 11_426_432_192, "fvcore": 5_731_282_144,
                            "ptflops": 5_747_660_552, "thop": 5_749_219_168, "calflops": 11_458_393_728},
    ("resnet18", 224): {"macs": 1_814_073_344, "flops": 3_628_146_688, "fvcore": 1_819_065_856,
                        "ptflops": 1_825_313_768, "thop": 1_824_033_792, "calflops": 3_636_250_112},
    ("resnet34", 224): {"macs": 3_663_761_408, "flops": 7_327_522_816, "fvcore": 3_671_262_720,
                        "ptflops": 3_680_019_432, "thop": 3_678_739_456, "calflops": 7_339_389_440},
    ("squeezenet1-0", 224): {"macs": 818_924_576, "flops": 1_637_849_152, "fvcore": 819_093_576,
                             "ptflops": 836_821_960, "thop": 819_094_576, "calflops": 1_648_970_968},
    ("squeezenet1-1", 224): {"macs": 349_151_936, "flops": 698_303_872, "fvcore": 349_320_936,
                             "ptflops": 359_982_728, "thop": 349_321_936, "calflops": 705_013_944},
}


@pytest.mark.parametrize("model, size", list(EXACT), ids=[m for m, _ in EXACT])
@pytest.mark.parametrize("convention", ["macs", "flops", "fvcore", "ptflops", "thop", "calflops"])
def test_reference_imports_give_each_tools_total(model: str, size: int, convention: str) -> None:
    analysis = analyze(SPECS / f"{model}.arch", size=size, convention=convention)
    assert analysis.totals.flops == EXACT[(model, size)][convention]


def test_the_published_tables_agree_with_the_exact_totals() -> None:
    """The tools' README figures above are the exact totals, rounded as each README prints them."""
    for model, total in CALFLOPS_TABLE.items():
        assert float(f"{EXACT[(model, 224)]['calflops']:.6g}") == total
    for model, macs in THOP_TABLE.items():
        assert round(EXACT[(model, 224)]["thop"] / 1e9, 2) == macs
    for model, macs in PTFLOPS_TABLE.items():
        assert round(EXACT[(model, 224)]["ptflops"] / 1e9, 2) == macs


def test_densenet_head_is_torchvisions_functional_relu_and_pool() -> None:
    """DenseNet.forward ends in F.relu(features, inplace=True) and
    F.adaptive_avg_pool2d(out, (1, 1)) on 1024 x 7 x 7 = 50,176 elements: ptflops sees
    each function's patch once (an nn.ReLU and an nn.AdaptiveAvgPool2d would be counted
    twice, 100,352 each); thop sees neither (a module would give the pool (49 + 1)·1024 =
    51,200); calflops counts 50,176 each; fvcore only the pool."""
    counted = {}
    for convention in ("fvcore", "ptflops", "thop", "calflops"):
        layers = {c.name: c.flops for c in analyze(SPECS / "densenet121.arch", convention=convention).layers}
        counted[convention] = (layers["features_1"], layers["features_2"])
    assert counted == {"fvcore": (0, 50_176), "ptflops": (50_176, 50_176), "thop": (0, 0),
                       "calflops": (50_176, 50_176)}


def test_inception_v3_modules_are_torchvisions_functions() -> None:
    """torchvision's BasicConv2d calls F.relu, and InceptionA/C/E pool their fourth branch
    with F.avg_pool2d(3, 1, 1), InceptionB/D with F.max_pool2d(3, 2).  At 299 the average
    pools read 35·35·(192 + 256 + 288) + 17·17·768·4 + 8·8·(1280 + 2048) = 2,002,400
    elements (their outputs are as large: stride 1, padded), the max pools 35·35·288 +
    17·17·768 = 574,752.  thop, which hooks modules only, counts none of them: the
    1-per-output count an nn.AvgPool2d would get, 2,002,400, is exactly what the module
    form left above thop's total; ptflops counts each once."""
    pools = {}
    for convention in ("ptflops", "thop"):
        layers = analyze(SPECS / "inception-v3.arch", size=299, convention=convention).layers
        branch = [c for c in layers if c.kind in ("avgpool", "maxpool") and "branch" in c.name]
        pools[convention] = (sum(c.flops for c in branch if c.kind == "avgpool"),
                             sum(c.flops for c in branch if c.kind == "maxpool"))
    assert pools == {"ptflops": (2_002_400, 574_752), "thop": (0, 0)}


def test_deconv_by_hand() -> None:
    """4x3x3 input, deconv to 2 channels, kernel 4, stride 2, pad 1, with bias:
    output (3 - 1) * 2 + 4 - 2 = 6, 2x6x6 = 72 elements.  MACs: every input
    element meets 4*4*2 weights: 36 * 32 = 1,152.
    thop applies its conv formula to the output: 72 x 4 input channels x 16 = 4,608.
    calflops: 2 x 1,152 + bias over the conv-formula positions
    ((3 + 2 - 4) // 2 + 1)^2 = 1, times 2 channels = 2."""
    spec = loads("input 4 x 3 x 3\nx = deconv(2, 4, stride=2, pad=1)\n")
    expected = {"burden": 1152 + 72, "macs": 1152, "flops": 2304, "fvcore": 1152,
                "ptflops": 1152 + 72, "thop": 4608, "calflops": 2304 + 2}
    assert {n: analyze(spec, convention=n).totals.flops for n in expected} == expected


def test_grouped_deconv_in_calflops_divides_by_the_groups_twice() -> None:
    """4x3x3 input, deconv to 4 channels in 2 groups, kernel 2, stride 2, no bias:
    MACs 36 x 2*2 x 4/2 = 288.  calflops takes out_channels from weight.shape[1]
    (4 / 2 = 2) and divides by the groups again: 4 * 4 * (2 // 2) * 9 = 144 MACs,
    288 FLOPs.  thop: 4x6x6 = 144 outputs x 4/2 x 4 = 1,152."""
    spec = loads("input 4 x 3 x 3\nx = deconv(4, 2, stride=2, groups=2, bias=false)\n")
    assert analyze(spec, convention="macs").totals.flops == 288
    assert analyze(spec, convention="calflops").totals.flops == 288
    assert analyze(spec, convention="thop").totals.flops == 1152


def test_conventions_command() -> None:
    import json

    from typer.testing import CliRunner

    from archspec.cli import app

    runner = CliRunner()
    path = str(SPECS / "resnet50.arch")
    text = runner.invoke(app, ["conventions", path])
    assert text.exit_code == 0 and "thop      = macs + 44,455,936 bn + 102,400 avgpool" in text.stdout
    doc = json.loads(runner.invoke(app, ["conventions", path, "--json"]).stdout)
    assert {n: doc["conventions"][n]["total"] for n in PUBLISHED} == PUBLISHED
    missing = runner.invoke(app, ["conventions", "no-such.arch"])
    assert missing.exit_code == 2
