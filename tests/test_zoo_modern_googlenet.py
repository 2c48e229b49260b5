"""torchvision's GoogLeNet on its inference path (specs/modern/googlenet.arch,
specs/modern/lib/googlenet.arch) against PyTorch.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1,
googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=False), eval,
batch 1; params = sum of parameters' numel, buffers = running_mean + running_var,
MACs = FlopCounterMode / 2 (= conv, transposed conv and linear multiply-accumulates);
the output is the logits, (N, 1000) in torch, a 1000 x 1 x 1 vector in archspec.  The
peer tools' totals come from the same script (fvcore 0.1.5.post20221221, ptflops 0.7.5
pytorch backend, thop 0.1.1.post2209072238, calflops 0.3.2 FLOPs).  The paper's 5x5
variant (`kernel3=5`) was measured with tools/torch_figures_classic.py (same versions and
definitions) and is also derived by hand below, as was the smallest input (the weights'
min_size).

193 x 257 is the odd size: the ceil-mode pools take 97 x 129 (conv1) to 49 x 65, then
25 x 33, 13 x 17 and, with maxpool4 (2/2, ceil), 7 x 9 -- floor rounding would give 6 x 8.
"""

from __future__ import annotations

import pytest
from reference import SPECS

from archspec import analyze, load
from archspec.errors import ArchError

SPEC = SPECS / "modern" / "googlenet.arch"
ODD = (193, 257)

# (params, buffers, MACs, torch's output shape)
TORCH = {
    224: (6_624_904, 14_560, 1_498_376_192, (1, 1000)),
    ODD: (6_624_904, 14_560, 1_469_934_784, (1, 1000)),
}

# Each tool's own total for torchvision's googlenet (its unit: MACs, calflops and
# FlopCounterMode FLOPs), and fvcore's batch_norm share (2 per BN output element).
PEERS = {
    224: {"fvcore": 1_504_878_688, "ptflops": 1_513_907_448, "thop": 1_511_332_032,
          "calflops": 3_009_356_752, "flops": 2_996_752_384, "macs": 1_498_376_192},
    ODD: {"fvcore": 1_476_333_376, "ptflops": 1_485_221_096, "thop": 1_482_683_840,
          "calflops": 2_952_274_304, "flops": 2_939_869_568, "macs": 1_469_934_784},
}
FVCORE_BATCH_NORM = {224: 6_452_320, ODD: 6_349_440}


@pytest.mark.parametrize("size", list(TORCH), ids=str)
def test_googlenet_matches_torchvision(size: int | tuple[int, int]) -> None:
    params, buffers, macs, (_, classes) = TORCH[size]
    t = analyze(SPEC, size=size).totals
    assert (t.params, t.buffers, t.macs, t.output_shape) == (params, buffers, macs, (classes, 1, 1))


# The paper's 5x5 in the third branch adds c5_reduce·c5·(25 − 9) weights per inception:
#   16·32 + 32·96 (3a, 3b at 28 x 28)                     =  3,584
#   16·48 + 24·64 + 24·64 + 32·64 + 32·128 (4a-4e, 14 x 14) =  9,984
#   32·128 + 48·128 (5a, 5b at 7 x 7)                       = 10,240
# params + 23,808·16 = 6,624,904 + 380,928 = 7,005,832
# MACs + 16·(3,584·28·28 + 9,984·14·14 + 10,240·7·7) = 1,498,376,192 + 84,295,680
PAPER_5X5 = {
    224: (6_624_904 + 23_808 * 16, 14_560, 1_498_376_192 + 16 * (3_584 * 784 + 9_984 * 196 + 10_240 * 49)),
    ODD: (7_005_832, 14_560, 1_552_510_144),  # tools/torch_figures_classic.py
}


@pytest.mark.parametrize("size", list(PAPER_5X5), ids=str)
def test_paper_5x5_branch(size: int | tuple[int, int]) -> None:
    t = analyze(load(SPEC, kernel3=5), size=size).totals
    assert (t.params, t.buffers, t.macs) == PAPER_5X5[size]


@pytest.mark.parametrize("size", list(PEERS), ids=str)
@pytest.mark.parametrize("convention", ["fvcore", "ptflops", "thop", "calflops", "flops", "macs"])
def test_googlenet_under_each_tool(convention: str, size: int | tuple[int, int]) -> None:
    assert analyze(SPEC, size=size, convention=convention).totals.flops == PEERS[size][convention]


@pytest.mark.parametrize("size", list(PEERS), ids=str)
def test_googlenet_relus_are_the_functional_form(size: int | tuple[int, int]) -> None:
    """torchvision's BasicConv2d ends in `F.relu(x, inplace=True)`: ptflops sees only its
    patch of F.relu, once per element, where an nn.ReLU would be counted twice (hook and
    patch).  Every BasicConv2d ends in a ReLU after its BN, so the ReLUs' elements are
    fvcore's batch_norm share (2 per BN output) halved, and ptflops' ReLU share is that."""
    relu_elements = FVCORE_BATCH_NORM[size] // 2
    layers = analyze(SPEC, size=size, convention="ptflops").layers
    relus = [layer for layer in layers if layer.kind == "relu"]
    assert {layer.layer.form for layer in relus} == {"functional"}
    assert sum(layer.flops for layer in relus) == relu_elements


def test_smallest_input_is_torchvisions_min_size() -> None:
    """GoogLeNet_Weights' min_size is 15 x 15: the ceil-mode pools keep one position
    where their window overhangs the map (conv1 gives 8 x 8, the four pools 4, 2, 1, 1), and
    torch runs it (10,404,608 MACs); at 14 x 14 maxpool3 meets a 1 x 1 map and torch
    stops there, "Given input size: (480x1x1). Calculated output size: (480x0x0)"."""
    t = analyze(SPEC, size=15).totals
    assert (t.params, t.buffers, t.macs, t.output_shape) == (6_624_904, 14_560, 10_404_608, (1000, 1, 1))
    with pytest.raises(ArchError, match=r"googlenet\.maxpool3.*1x1x480") as error:
        analyze(SPEC, size=14)
    assert error.value.hint == "the smallest square input that works is 15 x 15"
