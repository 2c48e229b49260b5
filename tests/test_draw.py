"""`archspec draw`: an SVG of the network, readable for ResNet-50 and DenseNet-121."""

from __future__ import annotations

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
