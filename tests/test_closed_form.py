"""Closed-form totals (archspec explain --formula) against the engine.

For every spec in specs/ and specs/examples/, and specs/modern/ and
specs/transformers/ with each large family sampled (tests/reference.py), the
formulas must give the engine's exact FLOPs, MACs and feature bytes at 20+
input sizes, square and not (a token sequence: lengths), from the smallest size
the network runs at upward -- or, for a network that runs at too few sizes for
a formula (ViT with its learnt positional embedding), refuse with the sizes it
runs at, which the engine confirms; and a toy network's formulas must equal
the ones worked out by hand below.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
from reference import sampled_specs, spec_id

from archspec import analyze, load, loads
from archspec.costs.closed_form import Bilinear, closed_form
from archspec.errors import ArchError
from archspec.views.closed_form import render_text

ROOT = Path(__file__).resolve().parent.parent
SPECS = sampled_specs()  # every folder's specs; of a large family, the family spec and its first and last members


def sizes_for(min_h: int, min_w: int, ref: int, stride: int) -> list[tuple[int, int]]:
    """Sizes to check, in order: the smallest working ones, many residues, non-square ones."""
    lo = max(min_h, min_w)
    squares = [lo, lo + 1, lo + 2, lo + 5, lo + stride - 1, ref, ref + 1, ref + 7, ref + stride,
               ref + stride + 3, 2 * ref + 3, 2 * ref + 17]
    others = [(min_h, min_w + 9), (min_h + 3, ref + 11), (ref + 5, min_w), (2 * ref, ref + 1),
              (ref + 13, 2 * ref - 1), (min_h + 31, min_w + 64), (ref + 2, ref + 3),
              (3 * ref // 2, ref), (ref, 3 * ref // 2 + 1), (min_h + 1, 2 * ref + 5)]
    # further sizes, for networks that run only at some residues of the size
    more = [(lo + k, lo + k) for k in range(3, 2 * stride)] + \
           [(ref + 3 * k, ref + 5 * k + 1) for k in range(2 * stride)]
    # networks that run only at multiples of their size (MaxViT's windows of 7 x 7 at every stage)
    multiples = [(ref * a, ref * b) for a in range(1, 6) for b in range(1, 6)]
    return [(s, s) for s in squares] + others + more + multiples


@pytest.mark.parametrize("path", SPECS, ids=[spec_id(p) for p in SPECS])
def test_closed_form_matches_the_engine(path: Path) -> None:
    graph = load(path)
    cf = closed_form(graph)
    first = graph.nodes[graph.input_ids[0]].shape
    assert first is not None
    h0, w0 = cf.model.min_size
    if cf.tokens:  # a sequence's one size, its length N, up to the longest the network takes
        assert cf.upper is not None
        sizes = [(n, n) for n in sorted({1, 2, 3, 5, 8, 13, 64, 77, 100, 128, 255, 256, 257, 300, 383, 511, 512, 513,
                                         700, 1000, cf.upper - 1, cf.upper, cf.upper + 1})]
    else:
        sizes = sizes_for(h0, w0, max(first[1], first[2]), cf.stride)
    checked = 0
    for k, (h, w) in enumerate(sizes):
        if checked == 22:
            break
        batch = 3 if k % 5 == 0 else 1
        if not cf.model.works([h], [w], graph)[0] or (cf.upper is not None and max(h, w) > cf.upper):
            with pytest.raises(ArchError):  # too small, too large, or branches disagree
                analyze(graph, (h, w))
            continue
        try:
            flops = cf.evaluate("flops", h, w, batch)
        except ArchError as exc:
            return assert_too_few_sizes_for_a_formula(graph, str(exc))
        checked += 1
        totals = analyze(graph, (h, w), batch=batch).totals
        assert flops == totals.flops, (h, w)
        assert cf.evaluate("macs", h, w, batch) == totals.macs, (h, w)
        assert cf.evaluate("feature_bytes", h, w, batch) == totals.feature_bytes, (h, w)
    assert checked >= 20
    if cf.tokens:
        assert f"each holds at every length N from 1 to {cf.upper:,}" in render_text(cf, path.stem)
        return
    # the smallest square size that runs really is the smallest
    n = cf.model.square_start
    with pytest.raises(ArchError):
        analyze(graph, (n - 1, n - 1))
    assert "H and W multiples of" in render_text(cf, path.stem)


def assert_too_few_sizes_for_a_formula(graph, message: str) -> None:  # type: ignore[no-untyped-def]
    """The closed form's one refusal: a network that runs at a few sizes only (ViT's
    learnt positional embedding holds one row per patch, so it fixes the number of
    tokens: 224 to 239 per side for ViT-B/16, whose 16 x 16 patches floor the
    sides).  The sizes it names are the engine's: the first and last run, the
    sizes just outside them do not."""
    match = re.search(r"runs only from (\d+) to (\d+) per side: too few sizes of each class for a formula", message)
    assert match, message
    low, high = int(match.group(1)), int(match.group(2))
    for side in (low, high, (low + high) // 2):
        analyze(graph, (side, side))
    for side in (low - 1, high + 1):
        with pytest.raises(ArchError):
            analyze(graph, (side, side))


TOY = """
model toy
input 3 x 32 x 32
conv(8, 3, pad=1) > relu > maxpool(2)
"""


def test_toy_network_formulas_by_hand() -> None:
    # conv 3x3, pad 1 keeps H x W: FLOPs = H·W·8 × (3·3·3) + H·W·8 (bias) = 224·H·W
    # relu: 2 · H·W·8 = 16·H·W (in place: no feature memory)
    # maxpool(2): out 8·⌊H/2⌋·⌊W/2⌋, FLOPs = 2·out·(2·2) = 64·⌊H/2⌋·⌊W/2⌋
    #   H, W even: 16·H·W;  H, W odd: 16·(H−1)(W−1) = 16·H·W − 16·H − 16·W + 16
    # so S = 2, FLOPs = 256·H·W (both even), 256·H·W − 16·H − 16·W + 16 (both odd)
    cf = closed_form(loads(TOY))
    assert cf.stride == 2
    assert cf.model.min_size == (2, 2) and cf.model.square_start == 2
    assert cf.form("flops", 32, 32) == Bilinear(Fraction(256), Fraction(0), Fraction(0), Fraction(0))
    assert cf.form("flops", 33, 33) == Bilinear(Fraction(256), Fraction(-16), Fraction(-16), Fraction(16))
    # even H, odd W: 64·(H/2)·(W−1)/2 = 16·H·W − 16·H
    assert cf.form("flops", 32, 33) == Bilinear(Fraction(256), Fraction(-16), Fraction(0), Fraction(0))
    # MACs: only the conv, 216·H·W;  features: conv 4·8·H·W + pool 4·8·⌊H/2⌋⌊W/2⌋ bytes
    assert cf.form("macs", 33, 32) == Bilinear(Fraction(216), Fraction(0), Fraction(0), Fraction(0))
    assert cf.form("feature_bytes", 32, 32) == Bilinear(Fraction(40), Fraction(0), Fraction(0), Fraction(0))
    assert cf.evaluate("flops", 33, 33, batch=2) == 2 * (256 * 33 * 33 - 16 * 33 - 16 * 33 + 16)


def test_formula_below_the_smallest_size_is_refused() -> None:
    cf = closed_form(loads(TOY))
    with pytest.raises(ArchError, match="does not run"):
        cf.evaluate("flops", 1, 5)


def test_closed_form_up_to_a_layer_and_other_conventions() -> None:
    graph = load(ROOT / "specs" / "resnet-50.arch")
    for upto, convention in (("res3", "burden"), ("pool1", "macs"), (None, "fvcore")):
        cf = closed_form(graph, upto=upto, convention=convention, dtype="float16")
        for h, w in ((256, 256), (97, 301), (500, 333), (64, 64), (288, 320)):
            if not cf.model.works([h], [w], graph)[0]:
                continue
            totals = analyze(graph, (h, w), upto=upto, convention=convention, dtype="float16").totals
            assert cf.evaluate("flops", h, w) == totals.flops
            assert cf.evaluate("feature_bytes", h, w, 2) == 2 * totals.feature_bytes


def test_a_rule_that_changes_form_is_fitted_from_where_it_holds() -> None:
    # fvcore prices a pool whose window covers its whole input as a global pool
    # (1 per input element) and other max/avg pools as 0: ResNet-50's 7x7 pool5
    # covers its 7x7 input exactly at 224 x 224 (and up to 255), not from 256 on
    graph = load(ROOT / "specs" / "resnet-50.arch")
    cf = closed_form(graph, convention="fvcore")
    assert cf.start(0, 0) == (256, 256)
    with pytest.raises(ArchError, match="holds from 256 x 256"):
        cf.evaluate("flops", 224, 224)
    for side in (256, 288, 512):
        assert cf.evaluate("flops", side, side) == analyze(graph, side, convention="fvcore").totals.flops
