"""Every torchvision CNN builder with a spec under specs/modern, at every size
PyTorch was run at, against every figure of that run: parameters, batch-norm
running statistics, MACs, the output, and each peer tool's own total.

The figures are tools/torch_figures.json, written by tools/torch_figures.py
(its `_about` entry: torch 2.14.1, torchvision 0.29.1, fvcore
0.1.5.post20221221, ptflops 0.7.5 with its pytorch backend, thop
0.1.1-2209072238, calflops 0.3.2; weights=None, eval mode, batch 1, sizes
224x224, 193x257 and 231x199): params = sum of parameters' numel, buffers =
BN running mean + var, macs = MACs of convolutions and linear layers (equal to
torch.utils.flop_counter.FlopCounterMode's total / 2 for these models), and
each tool's total as the tool prints it.  The family tests
(test_zoo_modern_*.py) state a few of these figures with their arithmetic;
this file holds every builder to all of them, so no rule is right for the
members a family test names and wrong for the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archspec import analyze, load

ROOT = Path(__file__).resolve().parent.parent
FIGURES = json.loads((ROOT / "tools" / "torch_figures.json").read_text())["models"]
MODERN = ROOT / "specs" / "modern"
# the convention's name -> the figure of the run it must equal
TOOLS = {"flops": "flopcounter", "fvcore": "fvcore", "ptflops": "ptflops_pytorch", "thop": "thop",
         "calflops": "calflops_flops"}
BUILDERS = sorted(name for name in FIGURES if (MODERN / f"{name}.arch").exists())


def test_every_builder_of_the_modern_zoo_was_run() -> None:
    # every model spec of specs/modern but the family specs is a builder's thin spec, and was measured
    from archspec.costs.model_table import model_specs

    thin = {path.stem for path in model_specs([MODERN])}
    assert thin == set(BUILDERS)
    assert len(BUILDERS) == 61


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_builder_gives_every_figure_of_pytorch_and_the_tools(builder: str) -> None:
    graph = load(MODERN / f"{builder}.arch")
    sizes: dict[str, dict[str, Any]] = FIGURES[builder]["sizes"]
    assert {"224x224", "193x257", "231x199"} <= set(sizes)
    for size, run in sizes.items():
        height, width = (int(side) for side in size.split("x"))
        result = analyze(graph, (height, width))
        classes = run["output_shape"][1]
        assert run["output_shape"] == [1, classes]  # (N, classes) in torch; a classes x 1 x 1 vector here
        assert (result.totals.params, result.totals.buffers, result.totals.macs, result.layers[-1].output_shape) \
            == (run["params"], run["buffers"], run["macs"], (classes, 1, 1)), (builder, size)
        for convention, figure in TOOLS.items():
            total = analyze(graph, (height, width), convention=convention).totals.flops
            assert total == run[figure], (builder, size, convention)
