"""`archspec export --to pytorch`: the code it writes, read as text (torch is
not needed; tools/check_bridges.py builds every spec with torch)."""

from __future__ import annotations

import ast
from pathlib import Path

from archspec import load, loads
from archspec.bridges.pytorch_export import expected_output, export_pytorch

ROOT = Path(__file__).resolve().parent.parent


def classes(code: str) -> list[str]:
    return [n.name for n in ast.parse(code).body if isinstance(n, ast.ClassDef)]


def test_resnet50_is_one_class_per_block_with_the_specs_names() -> None:
    code = export_pytorch(load(ROOT / "specs" / "resnet50.arch"))
    assert classes(code) == ["Chain", "Permute", "BottleneckBranch", "Projection", "Bottleneck", "Resnet50"]
    assert "self.skip = Projection(in_channels, out, stride=stride) if project else nn.Identity()" in code
    assert "bottleneck1=Bottleneck(64, 64, 256, project=True)," in code
    assert "self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)" in code
    assert "self.classifier = Chain(" in code and "fc=nn.Linear(2048, 1000)," in code


def test_uneven_padding_and_ceil_pooling() -> None:
    code = export_pytorch(load(ROOT / "specs" / "resnet-50.arch"))
    assert "nn.ConstantPad2d((0, 1, 0, 1), -float('inf'))" in code  # Caffe's ceil pooling as MatConvNet pads it


def test_channels_last_layers_get_permutes() -> None:
    code = export_pytorch(loads("""
model block
input 8 x 6 x 6
x = conv(8, 7, pad=3, groups=8)
y = layernorm(eps=1e-6) > linear(32) > gelu > linear(8)
add(y, x)
""", "block.arch"))
    assert ".permute(0, 2, 3, 1)" in code and ".permute(0, 3, 1, 2)" in code
    assert "nn.LayerNorm(8, eps=1e-06)" in code and "nn.Linear(8, 32)" in code


def test_blocks_whose_layers_differ_get_a_class_each() -> None:
    code = export_pytorch(loads("""
model two
input 3 x 8 x 8
block unit(deep) {
    deep ? conv(4, 3, pad=1) > relu : conv(4, 1) > sigmoid
}
a = unit(true)
b = unit(false)
""", "two.arch"))
    assert "class Unit(nn.Module)" in code and "class UnitVariant2(nn.Module)" in code


def test_expected_output_is_in_the_exported_form() -> None:
    graph = load(ROOT / "specs" / "resnet50.arch")
    assert expected_output(graph) == (1000,)  # a vector after the flatten
    assert expected_output(load(ROOT / "specs" / "pascal-fcn8s.arch"))[0] == 21  # an image
