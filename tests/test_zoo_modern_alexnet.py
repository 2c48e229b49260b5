"""torchvision's AlexNet (specs/modern/alexnet.arch) against PyTorch.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1, weights=None,
eval, batch 1; params = sum of parameters' numel, buffers = running_mean + running_var,
MACs = FlopCounterMode / 2 (= conv, transposed conv and linear multiply-accumulates);
the output is the logits, (N, 1000) in torch, a 1000 x 1 x 1 vector in archspec.  The
smallest input (the weights' min_size) was measured with tools/torch_figures_classic.py
(same versions and definitions).  The
peer tools' totals come from the same script (fvcore 0.1.5.post20221221, ptflops 0.7.5
pytorch backend, thop 0.1.1.post2209072238, calflops 0.3.2 FLOPs).

193 x 257 is the odd size: conv1 (11/4, pad 2) gives 47 x 63, the three 3/2 pools 23 x 31,
11 x 15 and 5 x 7, so AdaptiveAvgPool2d((6, 6)) stretches 5 rows to 6 and shrinks 7
columns to 6 (overlapping windows both ways); the classifier still sees 256·6·6 = 9,216
features.
"""

from __future__ import annotations

import pytest
from reference import SPECS

from archspec import analyze, load
from archspec.errors import ArchError

SPEC = SPECS / "modern" / "alexnet.arch"
ODD = (193, 257)

# (params, buffers, MACs, torch's output shape)
TORCH = {
    224: (61_100_840, 0, 714_188_480, (1, 1000)),
    ODD: (61_100_840, 0, 699_233_984, (1, 1000)),
}

# Each tool's own total for torchvision's alexnet (its unit: MACs, calflops and
# FlopCounterMode FLOPs).
PEERS = {
    224: {"fvcore": 714_197_696, "ptflops": 716_441_128, "thop": 714_206_912,
          "calflops": 1_429_741_184, "flops": 1_428_376_960, "macs": 714_188_480},
    ODD: {"fvcore": 699_242_944, "ptflops": 701_437_480, "thop": 699_252_160,
          "calflops": 1_399_802_240, "flops": 1_398_467_968, "macs": 699_233_984},
}


@pytest.mark.parametrize("size", list(TORCH), ids=str)
def test_alexnet_matches_torchvision(size: int | tuple[int, int]) -> None:
    params, buffers, macs, (_, classes) = TORCH[size]
    t = analyze(SPEC, size=size).totals
    assert (t.params, t.buffers, t.macs, t.output_shape) == (params, buffers, macs, (classes, 1, 1))


def test_classes_parameter() -> None:
    """A 10-class head: fc8 loses (1000 - 10) x (4096 + 1) parameters, and
    (1000 - 10) x 4096 MACs."""
    params, _, macs, _ = TORCH[224]
    t = analyze(load(SPEC, classes=10), size=224).totals
    assert (t.params, t.macs, t.output_shape) == (params - 990 * 4097, macs - 990 * 4096, (10, 1, 1))


@pytest.mark.parametrize("size", list(PEERS), ids=str)
@pytest.mark.parametrize("convention", list(PEERS[224]))
def test_alexnet_under_each_tool(convention: str, size: int | tuple[int, int]) -> None:
    """Over the MACs, fvcore adds the adaptive pool's input elements (256·6·6 = 9,216;
    256·5·7 = 8,960 at the odd size); thop adds (window area + 1) per pool output:
    2·9,216 = 18,432 at 224 (6 -> 6 is the identity) and (5/6·7/6 + 1)·9,216 = 18,176."""
    assert analyze(SPEC, size=size, convention=convention).totals.flops == PEERS[size][convention]


def test_smallest_input_is_torchvisions_min_size() -> None:
    """AlexNet_Weights' min_size is 63 x 63: torch runs it (98,144,960 MACs) and at
    62 x 62 fails at the last pool, "Given input size: (256x2x2). Calculated output size:
    (256x0x0)"; archspec stops at the same pool and names 63 as the smallest side."""
    t = analyze(SPEC, size=63).totals
    assert (t.params, t.buffers, t.macs, t.output_shape) == (61_100_840, 0, 98_144_960, (1000, 1, 1))
    with pytest.raises(ArchError, match=r"features\.maxpool3.*2x2x256") as error:
        analyze(SPEC, size=62)
    assert error.value.hint == "the smallest square input that works is 63 x 63"
