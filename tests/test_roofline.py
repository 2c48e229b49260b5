"""Roofline time by hand for one convolution (compute-bound) and one ReLU
(memory-bound) on the catalogue's A100 (NVIDIA A100 datasheet, SXM4 80GB:
FP32 19.5 TFLOPS, HBM2e 2,039 GB/s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archspec import analyze, load, loads
from archspec.costs.devices import DEVICES, get_device
from archspec.costs.roofline import roofline
from archspec.errors import ArchError
from archspec.views.roofline_plot import plot_roofline

SPECS = Path(__file__).parent.parent / "specs"

PEAK, BANDWIDTH = 19.5e12, 2039e9


def test_one_conv_by_hand() -> None:
    """64 x 56 x 56 input, 3x3 conv to 64, pad 1, no bias, float32, batch 2.
    MACs per image 64*56*56 * 64*9 = 115,605,504; work 2 x 2 x that = 462,422,016.
    Bytes: input and output 2 x 200,704 floats x 4 B x 2 images = 3,211,264, plus
    the weights once, 36,864 x 4 = 147,456: 3,358,720.
    Compute 462,422,016 / 19.5e12 = 23.714 us > memory 3,358,720 / 2.039e12 = 1.647 us:
    compute-bound, 23.714 us."""
    spec = loads("input 64 x 56 x 56\nx = conv(64, 3, pad=1, bias=false)\n")
    r = roofline(analyze(spec, batch=2), "a100")
    (layer,) = r.layers
    assert (layer.work, layer.bytes_moved, layer.bound) == (462_422_016, 3_358_720, "compute")
    assert layer.seconds == pytest.approx(462_422_016 / PEAK, rel=1e-12)
    assert layer.seconds == pytest.approx(23.714e-6, rel=1e-4)
    assert layer.intensity == pytest.approx(462_422_016 / 3_358_720)
    assert r.ridge == pytest.approx(PEAK / BANDWIDTH)


def test_relu_is_memory_bound() -> None:
    """ReLU on 64 x 56 x 56, batch 1: work 2 x 200,704 = 401,408 (burden: a compare
    and a multiply); bytes 2 x 200,704 x 4 = 1,605,632; memory time
    1,605,632 / 2.039e12 = 0.7875 us > compute 0.0206 us."""
    spec = loads("input 64 x 56 x 56\nx = relu\n")
    (layer,) = roofline(analyze(spec), "a100").layers
    assert (layer.work, layer.bytes_moved, layer.bound) == (401_408, 1_605_632, "memory")
    assert layer.seconds == pytest.approx(1_605_632 / BANDWIDTH, rel=1e-12)


def test_batch_norm_runs_unfused_one_multiply_add_per_element() -> None:
    """BN on 64 x 56 x 56, batch 1, as an eager framework runs it: one multiply-add per
    element, work 2 x 200,704 = 401,408; bytes: input and output 2 x 200,704 x 4 =
    1,605,632, plus scale, shift, mean and variance 4 x 64 x 4 = 1,024: 1,606,656."""
    spec = loads("input 64 x 56 x 56\nx = bn\n")
    (layer,) = roofline(analyze(spec), "a100").layers
    assert (layer.work, layer.bytes_moved, layer.bound) == (401_408, 1_606_656, "memory")


def test_total_is_the_sum_of_layers_and_views_are_free() -> None:
    spec = loads("input 64 x 56 x 56\nx = conv(64, 3, pad=1, bias=false) > relu > flatten\n")
    r = roofline(analyze(spec), "a100")
    assert r.layers[2].seconds == 0 and r.layers[2].bytes_moved == 0
    assert r.seconds == pytest.approx(r.layers[0].seconds + r.layers[1].seconds)


def test_half_precision_halves_the_bytes() -> None:
    spec = loads("input 64 x 56 x 56\nx = relu\n")
    (layer,) = roofline(analyze(spec, dtype="float16"), "a100").layers
    assert layer.bytes_moved == 1_605_632 // 2


def test_catalogue_and_errors() -> None:
    assert {"a100", "h100", "l4", "rtx4090", "epyc9654"} <= set(DEVICES)
    assert get_device("A100").bandwidth == BANDWIDTH
    for device in DEVICES.values():
        assert device.bandwidth > 0 and all(v > 0 for v in device.peak.values())
    with pytest.raises(ArchError, match="unknown device"):
        get_device("a1000")
    spec = loads("input 3 x 8 x 8\nx = relu\n")
    with pytest.raises(ArchError, match="no float16"):
        roofline(analyze(spec, dtype="float16"), "epyc9654")


def test_resnet50_plot(tmp_path: Path) -> None:
    graph = load(SPECS / "resnet50.arch")
    r = roofline(analyze(graph, batch=8), "h100")
    assert r.seconds > 0 and {layer.bound for layer in r.layers} >= {"compute", "memory"}
    out = tmp_path / "roof.png"
    plot_roofline(r, out)
    assert out.stat().st_size > 1000
