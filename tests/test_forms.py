"""Forms: one op written as an nn.Module, a torch.nn.functional call or a tensor
method, as each peer tool counts it (archspec/kinds/forms.py, docs/conventions.md
"Forms").

The expected counts are what the tools printed for the same one-op PyTorch models
(tools/peer_counts.py, each tool in a process of its own: fvcore 0.1.5.post20221221,
ptflops 0.7.5 pytorch backend, thop 0.1.1.post2209072238, calflops 0.3.2 FLOPs,
torch 2.14.1), each also derived by hand from the tool's rule in the comments.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest

from archspec import analyze, loads
from archspec.conventions import PRICED_BY_KIND
from archspec.errors import ArchError
from archspec.kinds import REGISTRY, Layer
from archspec.kinds.base import NEW, ONE, Backward, Example, KindError, forms_of
from archspec.kinds.forms import ByForm
from archspec.kinds.formula import ZERO, Formula
from archspec.kinds.shape import SAME
from archspec.kinds.terms import OUT

TOOLS = ("fvcore", "ptflops", "thop", "calflops")

# (layer as written, input C x H x W, {tool: count}).  E = input elements, O = output elements.
CASES = [
    # nn.ReLU(inplace=True) on 8x5x7, E = 280: ptflops hook E + patched F.relu E; calflops E
    ('relu', (8, 5, 7), {"fvcore": 0, "ptflops": 560, "thop": 0, "calflops": 280}),
    # F.relu(x, inplace=True): ptflops' patch alone, E; thop hooks no function
    ('relu(form="functional")', (8, 5, 7), {"fvcore": 0, "ptflops": 280, "thop": 0, "calflops": 280}),
    # nn.ReLU6: its forward calls F.hardtanh, patched by neither ptflops nor calflops: hook only
    ('relu6', (8, 5, 7), {"fvcore": 0, "ptflops": 280, "thop": 0, "calflops": 0}),
    # F.relu6: patched by both, E each
    ('relu6(form="functional")', (8, 5, 7), {"fvcore": 0, "ptflops": 280, "thop": 0, "calflops": 280}),
    # nn.MaxPool2d(3, 2) on 8x9x11, E = 792: ptflops hook + patch 2E; calflops E; thop zero_ops
    ('maxpool(3, stride=2)', (8, 9, 11), {"fvcore": 0, "ptflops": 1584, "thop": 0, "calflops": 792}),
    ('maxpool(3, stride=2, form="functional")', (8, 9, 11),
     {"fvcore": 0, "ptflops": 792, "thop": 0, "calflops": 792}),
    # nn.AvgPool2d(3, 1, 1) on 8x5x7: ptflops 2E; thop 1 per output, O = 280; calflops E
    ('avgpool(3, stride=1, pad=1)', (8, 5, 7), {"fvcore": 0, "ptflops": 560, "thop": 280, "calflops": 280}),
    ('avgpool(3, stride=1, pad=1, form="functional")', (8, 5, 7),
     {"fvcore": 0, "ptflops": 280, "thop": 0, "calflops": 280}),
    # nn.AdaptiveAvgPool2d(1): fvcore E; ptflops 2E; thop (35 + 1)·8 = 288; calflops E
    ('gavgpool', (8, 5, 7), {"fvcore": 280, "ptflops": 560, "thop": 288, "calflops": 280}),
    # F.adaptive_avg_pool2d(x, (1, 1)): the same aten op for fvcore; one patch; no module for thop
    ('gavgpool(form="functional")', (8, 5, 7), {"fvcore": 280, "ptflops": 280, "thop": 0, "calflops": 280}),
    # x.mean([2, 3]): aten::mean has no fvcore handle; no tool patches Tensor.mean
    ('gavgpool(form="mean")', (8, 5, 7), {"fvcore": 0, "ptflops": 0, "thop": 0, "calflops": 0}),
    # nn.AdaptiveAvgPool2d(2) on 8x5x7: thop int((5/2·7/2 + 1)·32) = int(9.75·32) = 312
    ('adaptiveavgpool(2)', (8, 5, 7), {"fvcore": 280, "ptflops": 560, "thop": 312, "calflops": 280}),
    ('adaptiveavgpool(2, form="functional")', (8, 5, 7),
     {"fvcore": 280, "ptflops": 280, "thop": 0, "calflops": 280}),
    ('adaptiveavgpool(1, form="mean")', (8, 5, 7), {"fvcore": 0, "ptflops": 0, "thop": 0, "calflops": 0}),
]


def one_layer(layer: str, shape: tuple[int, int, int]) -> str:
    c, h, w = shape
    return f"input {c} x {h} x {w}\nx = {layer}\n"


@pytest.mark.parametrize("layer, shape, counts", CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("tool", TOOLS)
def test_each_form_as_each_tool_counts_it(layer: str, shape: tuple[int, int, int], counts: dict[str, int],
                                          tool: str) -> None:
    assert analyze(loads(one_layer(layer, shape)), convention=tool).totals.flops == counts[tool]


@pytest.mark.parametrize("layer, shape, counts", CASES, ids=[case[0] for case in CASES])
def test_burden_macs_and_flops_never_depend_on_the_form(layer: str, shape: tuple[int, int, int],
                                                        counts: dict[str, int]) -> None:
    """The module form (no form argument) and the layer as written agree on every
    convention that is not a peer tool's."""
    module_form = layer.replace(', form="functional"', "").replace('(form="functional")', "")
    module_form = module_form.replace(', form="mean"', "").replace('(form="mean")', "")
    for convention in ("burden", "macs", "flops"):
        written = analyze(loads(one_layer(layer, shape)), convention=convention).totals.flops
        assert written == analyze(loads(one_layer(module_form, shape)), convention=convention).totals.flops


def test_the_module_form_is_the_default() -> None:
    spec = loads("input 8 x 5 x 7\nx = relu > maxpool(2) > gavgpool\n")
    assert [cost.layer.form for cost in analyze(spec).layers] == ["module"] * 3


def test_a_covering_functional_window_is_the_adaptive_function() -> None:
    """DenseNet's F.adaptive_avg_pool2d(out, (1, 1)) on 1024 x 7 x 7, as its MatConvNet import
    writes it, a 7x7 window: fvcore's aten::adaptive_avg_pool2d counts E = 50,176 whichever
    form (an F.avg_pool2d would have no handle); ptflops and calflops E; thop nothing."""
    spec = loads('input 1024 x 7 x 7\nx = avgpool(7, form="functional")\n')
    counts = {tool: analyze(spec, convention=tool).totals.flops for tool in TOOLS}
    assert counts == {"fvcore": 50_176, "ptflops": 50_176, "thop": 0, "calflops": 50_176}


def test_explain_names_the_form() -> None:
    spec = loads('input 8 x 5 x 7\nx = relu(form="functional")\n')
    cost = analyze(spec, convention="ptflops").layers[0]
    formula = cost.layer.flops_under("ptflops")
    assert formula.written() == "(2·out as module; out as functional)"
    assert formula.substituted(cost.site) == "5·7·8 (form=functional)"
    mean = loads('input 8 x 5 x 7\nx = gavgpool(form="mean")\n')
    cost = analyze(mean, convention="ptflops").layers[0]
    assert cost.layer.flops_under("ptflops").uncounted(cost.site) == "x.mean([2, 3]) is a tensor method no tool patches"


def test_an_unknown_form_is_an_error_naming_the_forms() -> None:
    with pytest.raises(ArchError, match=r"relu: form: input should be 'module' or 'functional' \(got 'method'\)"):
        loads('input 8 x 5 x 7\nx = relu(form="method")\n')


def test_the_mean_form_pools_to_one_position_only() -> None:
    with pytest.raises(ArchError, match=r"form=\"mean\" is x.mean\(\[2, 3\]\), which pools to 1 x 1"):
        loads('input 8 x 5 x 7\nx = adaptiveavgpool(2, form="mean")\n')


def test_the_kinds_with_forms() -> None:
    with_forms = {kind: forms_of(cls) for kind, cls in REGISTRY.items() if forms_of(cls)}
    assert with_forms == {
        "relu": ("module", "functional"), "relu6": ("module", "functional"),
        "maxpool": ("module", "functional"), "avgpool": ("module", "functional"),
        "gavgpool": ("module", "functional", "mean"), "adaptiveavgpool": ("module", "functional", "mean"),
        "layernorm": ("layernorm", "layernorm2d"),
        # the PyTorch code an attention layer stands for (kinds/attention.py, its own Cases)
        "attention": ("mha", "swin", "swin_v2", "sdpa", "gpt2", "einsum"),
    }


# --- the registration's checks --------------------------------------------------------------------


def _define(name: str, flops: dict[str, Formula], form: Any = None, macs: Formula = ZERO) -> type:
    namespace: dict[str, Any] = {
        "kind": name, "__module__": __name__, "__annotations__": {},
        "summary": "a test kind", "category": "element-wise", "positional": (), "arity": ONE,
        "example": Example(((2, 3, 3),)), "macs": macs, "flops": flops,
        "backward": Backward(input_grad=OUT, weight_grad=ZERO), "storage": NEW, "feature_arrays": 1,
        "intermediates": ZERO, "layout": SAME, "work": OUT, "traffic": OUT,
        "output_shape": lambda self, inputs: inputs[0], "downsampling": lambda self: (1, 1),
        "size_lines": lambda self, inputs, output: [], "learnable": lambda self: {}, "buffers": lambda self: {},
    }
    if form is not None:
        namespace["__annotations__"]["form"] = form
        namespace["form"] = "module"
    try:
        return type(f"Test_{name}", (Layer,), namespace)
    finally:
        REGISTRY.pop(name, None)


def _flops(**special: Formula) -> dict[str, Formula]:
    return {**{name: OUT for name in PRICED_BY_KIND}, **special}


FORM = Literal["module", "functional"]
BY_FORM = ByForm(module=2 * OUT, functional=OUT)


def test_a_kind_with_forms_registers() -> None:
    cls = _define("test_forms_ok", _flops(ptflops=BY_FORM), FORM)
    layer: Any = cls(form="functional")
    assert layer.form == "functional"


def test_burden_may_not_depend_on_the_form() -> None:
    with pytest.raises(KindError, match="its burden count depends on the form"):
        _define("test_forms_burden", _flops(burden=BY_FORM), FORM)


def test_the_macs_may_not_depend_on_the_form() -> None:
    with pytest.raises(KindError, match="its macs count depends on the form"):
        _define("test_forms_macs", _flops(ptflops=BY_FORM), FORM, macs=BY_FORM)


def test_a_count_by_form_needs_a_form_argument() -> None:
    with pytest.raises(KindError, match="prices ptflops by form but has no form argument"):
        _define("test_forms_none", _flops(ptflops=BY_FORM))


def test_a_count_by_form_names_every_form_and_no_other() -> None:
    with pytest.raises(KindError, match="names the forms module, functional, its form argument takes "
                                        "module, functional, mean"):
        _define("test_forms_short", _flops(ptflops=BY_FORM), Literal["module", "functional", "mean"])


def test_a_form_argument_no_count_depends_on_is_refused() -> None:
    with pytest.raises(KindError, match="has a form argument but no count depends on it"):
        _define("test_forms_idle", _flops(), FORM)


def test_a_form_argument_must_list_its_forms() -> None:
    with pytest.raises(KindError, match="its form must be a Literal"):
        _define("test_forms_str", _flops(ptflops=BY_FORM), str)


def test_a_by_form_names_two_forms_at_least() -> None:
    with pytest.raises(ValueError, match="at least two forms"):
        ByForm(module=OUT)
