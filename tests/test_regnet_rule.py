"""RegNet's quantised linear rule (`regnet_stages`) and `round_even`, checked by
hand arithmetic and against torchvision.

torchvision's figures are in tools/torch_figures_regnet.json, made with
tools/torch_figures_regnet.py: torchvision 0.29.1 / torch 2.14.1,
BlockParams.from_init_params on every regnet_* builder's arguments and on 1,000
settings drawn with a fixed seed from the design space (torch is not needed
to run these tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archspec import analyze, loads
from archspec.errors import ArchError
from archspec.graph.builtins import regnet_stages, round_half_even

FIGURES = json.loads((Path(__file__).parent.parent / "tools" / "torch_figures_regnet.json").read_text())


def test_regnet_y_400mf_by_hand() -> None:
    # depth 16, w0 48, wa 27.89, wm 2.09, ln 2.09 = 0.7372.  Continuous widths
    # u_j = 48 + 27.89 j, steps s_j = round(ln(u_j / 48) / 0.7372):
    #   j = 0: u = 48, s = 0 -> 48
    #   j = 1: u = 75.89, ln 1.581 / 0.7372 = 0.62 -> s = 1; j = 3: 131.67 -> 1.37 -> 1
    #          48 * 2.09 = 100.32, / 8 = 12.54 -> 13 * 8 = 104
    #   j = 4: u = 159.56, ln 3.324 / 0.7372 = 1.63 -> s = 2; j = 9: 299.01 -> 2.48 -> 2
    #          48 * 2.09^2 = 209.67, / 8 = 26.2 -> 208
    #   j = 10: u = 326.9, ln 6.810 / 0.7372 = 2.60 -> s = 3 (to j = 15)
    #          48 * 2.09^3 = 438.2, / 8 = 54.78 -> 440
    # Stages 48 x 1, 104 x 3, 208 x 6, 440 x 6; group width 8 divides each width.
    assert regnet_stages(16, 48, 27.89, 2.09, 8, stages=4) == ((48, 104, 208, 440), (1, 3, 6, 6), (8, 8, 8, 8))


def test_regnet_x_8gf_by_hand_adjusts_widths_to_the_group_width() -> None:
    # depth 23, w0 80, wa 49.56, wm 2.88, ln 2.88 = 1.0578:
    #   j = 0, 1: u = 80, 129.56 -> ln 1.62 / 1.0578 = 0.46 -> s = 0 -> 80 (2 blocks)
    #   j = 2: u = 179.12 -> 0.76 -> s = 1: 80 * 2.88 = 230.4, / 8 = 28.8 -> 232 (j = 2..6)
    #   j = 7: u = 426.92 -> ln 5.34 / 1.0578 = 1.58 -> s = 2: 80 * 8.2944 = 663.6 -> 664 (j = 7..21)
    #   j = 22: u = 1170.3 -> ln 14.63 / 1.0578 = 2.54 -> s = 3: 80 * 23.888 = 1911.0 -> 1912
    # Group widths min(120, w): 80, 120, 120, 120; each width rounded to a
    # multiple of its group width (divisible): 80, 232 -> 240, 664 -> 720, 1912 -> 1920.
    assert regnet_stages(23, 80, 49.56, 2.88, 120, stages=4) == \
        ((80, 240, 720, 1920), (2, 5, 15, 1), (80, 120, 120, 120))


@pytest.mark.parametrize("name", sorted(FIGURES["members"]))
def test_every_torchvision_regnet_matches_torchvision(name: str) -> None:
    member = FIGURES["members"][name]
    a = member["arguments"]
    got = regnet_stages(a["depth"], a["w_0"], a["w_a"], a["w_m"], a["group_width"], stages=4)
    assert got == (tuple(member["widths"]), tuple(member["depths"]), tuple(member["group_widths"]))


def test_a_thousand_points_of_the_design_space_match_torchvision() -> None:
    mismatches = []
    for row in FIGURES["sweep"]:
        s: dict[str, Any] = row["settings"]
        expected = (tuple(row["widths"]), tuple(row["depths"]), tuple(row["group_widths"]))
        got = regnet_stages(s["depth"], s["w_0"], s["w_a"], s["w_m"], s["group_width"],
                            s["bottleneck_multiplier"], stages=len(row["widths"]))
        if got != expected:
            mismatches.append((s, got, expected))
    assert len(FIGURES["sweep"]) == 1000
    assert mismatches == []


def test_float32_arithmetic_decides_a_quantisation_tie_as_torch_does() -> None:
    # w0 400, wm 2.9: 400 * 2.9^2 = 3364 = 8 * 420.5 exactly in decimal, but
    # 2.9 in float32 is 2.9000001, whose square rounds to 8.4100008, so torch
    # quantises 3364.0002 up to 421 * 8 = 3368 (in float64, 8.41 -> 3360 or
    # 3368 by the tie rule).  Steps: s = 0 for j = 0, 1 (u = 593.4: ln 1.4835 /
    # ln 2.9 = 0.37); s = 1 for j = 2..8 (u = 786.8: 0.64); s = 2 from j = 9
    # (u = 2140.6: ln 5.35 / 1.0647 = 1.58): stages of 2, 7 and 16 blocks.
    assert regnet_stages(25, 400, 193.4, 2.9, 8, stages=3) == ((400, 1160, 3368), (2, 7, 16), (8, 8, 8))


def test_round_even_sends_halves_to_the_even_neighbour() -> None:
    assert [round_half_even(x) for x in (0.5, 1.5, 2.5, 14.5, -2.5, 2.4999, 2.5001)] == [0, 2, 2, 14, -2, 2, 3]


def test_regnet_stages_from_a_spec() -> None:
    result = analyze(loads("""
        input 3 x 8 x 8
        plan = regnet_stages(16, 48, 27.89, 2.09, 8, stages=4)
        conv(plan[0][3], 1) > conv(plan[1][2] + plan[2][0], 1) > conv(round_even(0.25 * 58), 1)
    """))
    # widths[3] = 440; depths[2] + group_widths[0] = 6 + 8 = 14; round_even(14.5) = 14
    assert [layer.output_shape[0] for layer in result.layers] == [440, 14, 14]


@pytest.mark.parametrize("call, message", [
    ("regnet_stages(16, 44, 27.89, 2.09, 8, stages=4)", "w0 must be a multiple of 8"),
    ("regnet_stages(16, 48, 27.89, 1.0, 8, stages=4)", "wm must be above 1"),
    ("regnet_stages(16, 48, -1, 2.09, 8, stages=4)", "wa must be at least 0"),
    ("regnet_stages(100000, 48, 27.89, 2.09, 8, stages=4)", "depth must be a whole number from 1 to 1,000"),
    ("regnet_stages(16.0, 48, 27.89, 2.09, 8, stages=4)", "depth must be a whole number"),
    ("regnet_stages(16, 48, 27.89, 2.09, 0, stages=4)", "group_width must be a whole number from 1"),
    ("regnet_stages(16, 48, 27.89, 2.09, 8, 0, stages=4)", "bottleneck must be above 0"),
    ("regnet_stages(16, 48, 27.89, 2.09, 8, 0.001, stages=4)", "bottleneck 0.001 leaves no channel"),
    ("regnet_stages(16, 48, 1e12, 2.09, 8, stages=4)", "wa must be a number up to 1,000,000,000"),
    ("regnet_stages(16, 48, 27.89, 2.09, 8, stages=3)",
     "these settings give 4 stage(s) of widths (48, 104, 208, 440) (depths (1, 3, 6, 6)), "
     "and the spec is written for 3"),
    ("regnet_stages(16, 48, 27.89, 2.09, 8)", "stages"),
    ("round_even(true)", "takes a finite number"),
])
def test_absurd_regnet_settings_are_refused_with_the_reason(call: str, message: str) -> None:
    with pytest.raises(ArchError) as caught:
        loads(f"input 3 x 8 x 8\nx = {call}\nconv(8, 1)")
    assert message in str(caught.value)
    assert caught.value.location is not None and caught.value.location.line == 2
