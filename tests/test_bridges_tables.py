"""One home per kind in the bridges: every registered kind has a tensor-form
rule, an ONNX writer and a PyTorch module (or is listed with the reason it
has none), and exporting a kind without one is an error naming it."""

from __future__ import annotations

import pytest

from archspec import loads
from archspec.bridges.layouts import FORM_RULES, unruled_kinds
from archspec.bridges.onnx_ops import ONNX_OPS
from archspec.bridges.pytorch_export import export_pytorch
from archspec.bridges.torch_modules import NO_TORCH, TORCH_MODULES
from archspec.errors import ArchError
from archspec.kinds import REGISTRY


def test_every_kind_has_a_form_rule() -> None:
    assert unruled_kinds() == []
    assert set(FORM_RULES) == set(REGISTRY)


def test_every_kind_has_an_onnx_writer() -> None:
    assert set(ONNX_OPS) == set(REGISTRY)


def test_every_kind_has_a_pytorch_module_or_a_reason() -> None:
    assert set(TORCH_MODULES) | set(NO_TORCH) == set(REGISTRY)
    assert not set(TORCH_MODULES) & set(NO_TORCH)
    assert all(len(reason) > 20 for reason in NO_TORCH.values())


SSD_HEAD = """
model head
input 3 x 32 x 32
features = conv(8, 3, pad=1) > relu
priors = features > priorbox(2)
"""


def test_a_kind_without_pytorch_module_is_an_error_naming_it() -> None:
    with pytest.raises(ArchError) as caught:
        export_pytorch(loads(SSD_HEAD, "head.arch"))
    text = str(caught.value)
    assert "priorbox" in text and "priors" in text and "head.arch:5" in text and "--stand-ins" in text


def test_weights_shared_across_blocks_are_refused_by_name() -> None:
    # the PyTorch export ties weights inside one class; a layer sharing the weights of a
    # layer another class holds is a located error, not a silently untied copy
    graph = loads("""
model tied
input 4 x 8 x 8
block unit() {
    conv(4, 3, pad=1)
}
a = unit
b = conv(4, 3, pad=1, shares=a)
""", "tied.arch")
    with pytest.raises(ArchError) as caught:
        export_pytorch(graph)
    text = str(caught.value)
    assert "tied.arch:8:" in text and "layer 'b' shares the weights of 'a.conv'" in text


def test_stand_ins_build_it_as_a_shape_only_module() -> None:
    code = export_pytorch(loads(SSD_HEAD, "head.arch"), stand_ins=True)
    assert "class PriorBoxShape(nn.Module)" in code and "PriorBoxShape(2)" in code
    compile(code, "head.py", "exec")
