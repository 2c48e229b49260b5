"""Every layer kind states every fact the project needs, every fact can be
priced at the kind's own example, every written formula is arithmetic that
gives its figure, and a kind that leaves a fact out is refused when it is
defined."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError
from reference import arithmetic

from archspec.conventions import CONVENTIONS, PRICED_BY_KIND
from archspec.kinds import REGISTRY, Layer
from archspec.kinds.base import (
    CATEGORIES,
    DECLARED,
    HOMES,
    IMPLEMENTED,
    NEW,
    ONE,
    Backward,
    Example,
    KindError,
    Storage,
)
from archspec.kinds.formula import ZERO, Formula
from archspec.kinds.shape import SAME
from archspec.kinds.site import Site
from archspec.kinds.terms import OUT

ROOT = Path(__file__).resolve().parent.parent
KINDS = sorted(REGISTRY)


def example_site(kind: str) -> Site:
    cls = REGISTRY[kind]
    layer = cls(**cls.example.args)
    return layer.bind_reference(list(cls.example.inputs)).site(list(cls.example.inputs))


def test_the_fact_lists_cover_the_documented_facts() -> None:
    assert set(DECLARED) == {"summary", "category", "positional", "arity", "example", "macs", "flops",
                             "backward", "storage", "feature_arrays", "intermediates", "layout", "work",
                             "traffic"}
    assert set(IMPLEMENTED) == {"output_shape", "downsampling", "size_lines", "learnable", "buffers"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_fact_of_every_kind(kind: str) -> None:
    cls = REGISTRY[kind]
    site = example_site(kind)
    layer = site.layer
    # declaration
    assert cls.summary and cls.category in CATEGORIES
    assert all(name in cls.model_fields for name in cls.positional)
    assert cls.arity.accepts(len(cls.example.inputs))
    # shape: three positive sides, a downsampling factor, written sizes that end in the output's
    assert len(site.output) == 3 and all(int(x) > 0 for x in site.output)
    sh, sw = layer.downsampling()
    assert sh >= 1 and sw >= 1
    for line in layer.size_lines(list(site.inputs), site.output):
        assert isinstance(line, str) and line
    # parameters and buffers: whole numbers, each written out as its own arithmetic
    for arrays in (layer.learnable(), layer.buffers()):
        for name, formula in arrays.items():
            value = formula(site)
            assert value > 0, name
            assert arithmetic(formula.substituted(site)) == value, (kind, name)
    # costs: MACs and every convention's FLOPs
    assert arithmetic(layer.macs.substituted(site)) == layer.macs(site) >= 0
    assert set(cls.flops) == set(PRICED_BY_KIND)
    for convention in CONVENTIONS:
        formula = layer.flops_under(convention)
        value = formula(site)
        assert value >= 0
        if formula.uncounted(site) is None:
            assert arithmetic(formula.substituted(site)) == value, (kind, convention)
        else:
            assert value == 0, (kind, convention)
    # training: a kind that learns says how its weight gradient is computed
    params = sum(f(site) for f in layer.learnable().values())
    weight_grad = layer.backward.weight_grad(site)
    assert (weight_grad > 0) == (params > 0), kind
    assert layer.backward.input_grad(site) >= 0
    assert layer.backward.saved_elements(site) >= 0 and layer.backward.saved_bytes(site) >= 0
    # memory and roofline: a view moves and computes nothing, anything else moves its output
    assert cls.feature_arrays >= 1
    assert arithmetic(layer.intermediates.substituted(site)) == layer.intermediates(site) >= 0
    assert isinstance(layer.storage_of(), Storage)
    if layer.storage_of().inference == "view":
        assert layer.traffic(site) == 0 and layer.work(site) == 0
    else:
        assert layer.traffic(site) >= site.out
    assert layer.work(site) >= 0


def default_layer(cls: type[Layer]) -> Layer:
    """The kind with its default arguments: only the example's required arguments (a
    kind whose own check needs more, pad, keeps the example's)."""
    required = {k: v for k, v in cls.example.args.items() if cls.model_fields[k].is_required()}
    try:
        return cls(**required)
    except ValidationError:
        return cls(**cls.example.args)


@pytest.mark.parametrize("kind", KINDS)
def test_the_kinds_storage_is_its_storage_with_default_arguments(kind: str) -> None:
    """`storage` (the class fact, which the reference's feature memory follows) is what
    `storage_of()` gives a layer with default arguments: an argument only ever moves a
    layer away from its kind's storage (relu(inplace=false), add(inplace=true))."""
    cls = REGISTRY[kind]
    assert default_layer(cls).storage_of() == cls.storage


def test_every_kind_has_its_documentation_row() -> None:
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    table = text[text.index("## Layer kinds"):]
    documented = set(re.findall(r"^\| ([^|]+) \|", table, re.MULTILINE))
    names = {name.strip("` ") for row in documented for name in row.split(",")}
    assert set(KINDS) <= names, sorted(set(KINDS) - names)


# --- a kind that leaves a fact out -------------------------------------------------------

METHODS = {
    "output_shape": lambda self, inputs: inputs[0],
    "downsampling": lambda self: (1, 1),
    "size_lines": lambda self, inputs, output: [],
    "learnable": lambda self: {},
    "buffers": lambda self: {},
}


def _complete() -> dict[str, Any]:
    """Every fact of a minimal element-wise kind; tests delete one at a time."""
    return {
        "summary": "a test kind", "category": "element-wise", "positional": (), "arity": ONE,
        "example": Example(((2, 3, 3),)), "macs": ZERO,
        "flops": {name: OUT for name in PRICED_BY_KIND},
        "backward": Backward(input_grad=OUT, weight_grad=ZERO), "storage": NEW, "feature_arrays": 1, "intermediates": ZERO,
        "layout": SAME, "work": OUT, "traffic": OUT,
        **METHODS,
    }


def _define(name: str, facts: dict[str, Any], bases: tuple[type, ...] = ()) -> type:
    namespace: dict[str, Any] = {"kind": name, "__module__": __name__,
                                 "__annotations__": {}}
    namespace.update(facts)
    return type(f"Test_{name}", (*bases, Layer), namespace)


def test_a_complete_kind_registers() -> None:
    try:
        cls = _define("test_complete", _complete())
        assert REGISTRY["test_complete"] is cls
    finally:
        REGISTRY.pop("test_complete", None)


@pytest.mark.parametrize("fact", sorted(DECLARED))
def test_a_kind_without_a_fact_is_refused(fact: str) -> None:
    facts = _complete()
    del facts[fact]
    with pytest.raises(KindError, match=f"layer kind 'test_no_{fact}' does not say {fact}"):
        _define(f"test_no_{fact}", facts)
    assert f"test_no_{fact}" not in REGISTRY


@pytest.mark.parametrize("method", sorted(IMPLEMENTED))
def test_a_kind_without_a_method_is_refused(method: str) -> None:
    facts = _complete()
    del facts[method]
    with pytest.raises(KindError, match=f"'test_no_{method}' does not implement {method}"):
        _define(f"test_no_{method}", facts)


def test_a_kind_without_a_conventions_flops_is_refused() -> None:
    facts = _complete()
    facts["flops"] = {name: OUT for name in PRICED_BY_KIND if name != "thop"}
    with pytest.raises(KindError, match="'test_no_thop' does not say its FLOPs under thop"):
        _define("test_no_thop", facts)


def test_a_kind_with_an_unknown_category_is_refused() -> None:
    facts = _complete()
    facts["category"] = "other"
    with pytest.raises(KindError, match="category 'other' is not one of"):
        _define("test_other", facts)


def test_a_fact_of_the_wrong_type_is_refused() -> None:
    facts = _complete()
    facts["work"] = 2  # a number, not a formula
    with pytest.raises(KindError, match="work must be"):
        _define("test_work_number", facts)


class _Unpriced:
    """A formula-like object that is not a Formula."""

    written: ClassVar[str] = "x"


def test_a_convention_row_that_is_not_a_formula_is_refused() -> None:
    facts = _complete()
    facts["flops"] = {**facts["flops"], "burden": _Unpriced()}
    with pytest.raises(KindError, match="its burden FLOPs must be a Formula"):
        _define("test_bad_row", facts)
    assert isinstance(OUT, Formula)


def test_the_registry_names_each_kind_with_the_module_that_defines_it() -> None:
    """The lazy registry's table (kinds/base.py, HOMES) is every kind of every
    module under archspec/kinds/, each with its own module: a kind added to a
    module but not to the table (or the other way round) fails here."""
    import importlib
    import inspect
    import pkgutil

    import archspec.kinds as package

    defined = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"archspec.kinds.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Layer) and cls.__dict__.get("kind") and cls.__module__ == module.__name__:
                defined[cls.kind] = info.name
    assert defined == HOMES
    REGISTRY.load_all()
    assert {name: REGISTRY[name].__module__.rsplit(".", 1)[1] for name in HOMES} == HOMES


def test_a_kinds_module_is_imported_when_a_kind_of_it_is_first_used() -> None:
    import subprocess
    import sys

    script = ("import sys\nfrom archspec.kinds import REGISTRY\n"
              "before = 'archspec.kinds.conv' in sys.modules\n"
              "known = 'conv' in REGISTRY and 'fc' in list(REGISTRY)\n"
              "cls = REGISTRY['fc']\n"
              "print(before, known, 'archspec.kinds.conv' in sys.modules, 'archspec.kinds.tokens' in sys.modules,"
              " cls.__name__)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True", "True", "False", "FullyConnected"]
