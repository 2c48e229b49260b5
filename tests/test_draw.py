"""`archspec draw`: an SVG of the network, readable for ResNet-50 and DenseNet-121."""

from __future__ import annotations

import itertools
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("igraph")

from archspec import analyze, load
from archspec.errors import ArchError
from archspec.views.draw import draw_svg

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def drawing(name: str, **options: object) -> ET.Element:
    graph = load(ROOT / "specs" / f"{name}.arch")
    return ET.fromstring(draw_svg(graph, analyze(graph), **options))  # type: ignore[arg-type]


def node_titles(svg: ET.Element) -> list[str]:
    return [g.find(f"{SVG}title").text or "" for g in svg.iter(f"{SVG}g")]  # type: ignore[union-attr]


def test_resnet50_one_node_per_layer_and_bottleneck() -> None:
    svg = drawing("resnet50")
    titles = node_titles(svg)
    # input, 4 stem layers, 16 bottlenecks, avgpool, permute, flatten, fc
    assert len(titles) == 1 + 4 + 16 + 4
    assert any(t.startswith("features_5.bottleneck1, bottleneck → 28x28x512") for t in titles)
    sizes = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "size"]
    assert "56x56x256" in sizes and len(sizes) == len(titles) - 1  # one edge into each node but the input


def test_the_costliest_node_is_shaded_darkest() -> None:
    svg = drawing("resnet50")
    fills = {g.find(f"{SVG}title").text: g.find(f"{SVG}rect").get("fill")  # type: ignore[union-attr]
             for g in svg.iter(f"{SVG}g")}
    darkest = min(fills, key=lambda t: sum(int(fills[t][i:i + 2], 16) for i in (1, 3, 5)))  # type: ignore[index]
    assert darkest.startswith("features_5.bottleneck1") or darkest.startswith("features_6.bottleneck1") \
        or darkest.startswith("features_7.bottleneck1")  # the projecting units: 9.1% of the FLOPs each


def test_densenet121_folds_its_dense_layers() -> None:
    svg = drawing("densenet121")
    titles = node_titles(svg)
    assert len(titles) <= 30
    assert any("denselayer x 24" in t for t in titles) and any("denselayer x 6" in t for t in titles)
    groups = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "group"]
    assert len(groups) == 1  # the one call that is the whole trunk, opened


def test_expand_opens_calls_as_boxes() -> None:
    svg = drawing("resnet50", expand=1)
    groups = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "group"]
    assert len(groups) == 16  # one box per bottleneck
    # input, 4 stem layers, in each bottleneck its branch, merge and ReLU, the
    # 4 projections, and the 4 head layers
    assert len(node_titles(svg)) == 1 + 4 + 16 * 3 + 4 + 4


def test_memory_shading_and_a_bad_choice() -> None:
    svg = drawing("resnet50", shade="memory")
    assert any("of memory" in t for t in node_titles(svg))
    with pytest.raises(ArchError, match="expected flops or memory"):
        drawing("resnet50", shade="time")


def test_without_igraph_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "igraph", None)
    with pytest.raises(ArchError, match=r"archspec\[draw\]"):
        drawing("alexnet")


def _boxes_and_paths(svg: ET.Element) -> tuple[list[tuple[float, float, float, float]], list[list[tuple[float, float]]]]:
    boxes = [(float(r.get("x", 0)), float(r.get("y", 0)), float(r.get("width", 0)), float(r.get("height", 0)))
             for g in svg.iter(f"{SVG}g") for r in g.findall(f"{SVG}rect")]
    paths = []
    for p in svg.iter(f"{SVG}path"):
        if p.get("class") != "edge":
            continue
        words = (p.get("d") or "").split()
        paths.append([(float(words[i + 1]), float(words[i + 2])) for i in range(0, len(words), 3)])
    return boxes, paths


def _crosses(a: tuple[float, float], b: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    """Whether the segment a-b passes through the inside of the box (sampled finely)."""
    x, y, w, h = box
    for step in range(1, 200):
        t = step / 200
        px, py = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        if x + 1 < px < x + w - 1 and y + 1 < py < y + h - 1:
            return True
    return False


@pytest.mark.parametrize("name", ["faster-rcnn-vggvd-pascal", "resnet-50", "densenet121", "googlenet"])
def test_no_edge_is_drawn_across_a_node(name: str) -> None:
    # an edge that skips layers (Faster R-CNN's im_info reaching the proposal layer, the
    # trunk's features reaching ROI pooling) bends around the nodes between, through a
    # slot of its own in each layer it crosses; every edge starts at a node's bottom edge and
    # ends at a node's top edge, so it enters no box but at its two ends
    boxes, paths = _boxes_and_paths(drawing(name))
    assert paths
    for points in paths:
        for a, b in itertools.pairwise(points):
            assert not any(_crosses(a, b, box) for box in boxes), (name, points)
