"""What a layer kind is: a validated pydantic model that owns every fact the
project needs of it.

A kind is one class with a `kind` name.  Defining it registers it, and
registration checks that every fact below is stated -- by the class or by a
base it chose -- so no part of archspec ever falls back to a default for a
kind that forgot something.  The facts:

declaration  `kind`, `summary` (one line for `archspec kinds`), `category`
             (explain's shares), `positional` (argument order), `arity`
             (how many input tensors), `example` (arguments and input shapes
             a test prices every fact at)
shape        `output_shape(inputs)` on ints or, in a sweep, on arrays; `layout`
             (its output an image, a token sequence, or as its input);
             `downsampling()`: the factor by which it divides H and W (the
             closed form's total stride); `size_lines(...)`: the output size
             written out for `explain`
parameters   `learnable()` and `buffers()`: named arrays, each a Formula
cost         `macs` (multiply-accumulates: the `macs` convention, and 2x that
             the `flops` convention); `flops`: one Formula per other
             convention (conventions.py); a peer tool's count that depends
             on how the PyTorch model writes the op is a `ByForm`, priced by
             the layer's `form` argument (forms.py)
training     `backward`: what the backward pass keeps and costs
memory       `storage` (new buffer, in place or a view) with its default
             arguments, which the reference's feature memory follows;
             `storage_of()`, where a kind's storage depends on its arguments
             (`relu(inplace=false)`, `add(inplace=true)`, `droppath(p=0)`):
             this layer's, for peak and training memory;
             `feature_arrays` (how many output-sized arrays the reference's
             feature memory counts); `intermediates` (elements of the
             tensors it makes inside itself, an attention's score matrix:
             counted in feature memory, live while it runs)
roofline     `work` (operations executed, a multiply-add = 2) and `traffic`
             (elements read and written)
"""

# No `from __future__ import annotations` here: pydantic evaluates every
# annotation of a model's bases again for each subclass, and `Layer`'s fourteen
# ClassVar annotations, kept as strings, were compiled and evaluated anew for
# each of the ~75 kinds (a third of the kinds' import time).  As objects, they
# cost next to nothing to read.  Forward references below are written as strings.

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import MappingProxyType
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from ..conventions import CONVENTIONS, PRICED_BY_KIND
from .forms import ByForm, cases_in
from .formula import ZERO, Formula
from .shape import IMAGE, SAME, TOKENS, Shape
from .site import Site


class KindRegistry(Mapping[str, "type[Layer]"]):
    """Every layer kind by name.  The kinds' modules are imported when one of
    their kinds is first looked up, not all at start-up (creating a pydantic
    class costs about half a millisecond, and ResNet-50 needs five modules of
    the fourteen); names are known from `homes`, a table of which module
    defines which kind (tests/test_kinds.py checks it against the modules).
    A kind is still checked where it is defined: importing its module refuses
    a kind that lacks a fact, and looking up, iterating over values or
    `load_all()` imports whatever module the kinds asked for live in."""

    def __init__(self, package: str, homes: dict[str, str]) -> None:
        self.package = package
        self.homes = homes  # kind name -> module name, in the order the modules define them
        self.loaded: dict[str, type[Layer]] = {}

    def register(self, cls: "type[Layer]") -> None:
        self.loaded[cls.kind] = cls

    def __getitem__(self, name: str) -> "type[Layer]":
        if name not in self.loaded and name in self.homes:
            import_module(f"{self.package}.{self.homes[name]}")
        return self.loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self.homes or name in self.loaded

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.homes, *self.loaded]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*self.homes, *self.loaded]))

    def pop(self, name: str, default: "type[Layer] | None" = None) -> "type[Layer] | None":
        """Forget a kind registered at run time (tests define kinds of their own)."""
        return self.loaded.pop(name, default)

    def load_all(self) -> None:
        for module in dict.fromkeys(self.homes.values()):
            import_module(f"{self.package}.{module}")


# Which module defines each kind, in the order they were registered when every
# module was imported at start-up (the order `archspec kinds` and suggestions saw).
HOMES = {
    **dict.fromkeys(("relu", "sigmoid", "gelu", "softmax", "dropout", "droppath", "layerscale"), "activation"),
    "attention": "attention",
    **dict.fromkeys(("shuffle", "slice"), "channels"),
    **dict.fromkeys(("conv", "deconv", "linear", "fc"), "conv"),
    **dict.fromkeys(("bn", "lrn", "layernorm", "groupnorm", "instancenorm", "rmsnorm"), "normalization"),
    **dict.fromkeys(("l2norm", "priorbox", "proposal", "roipool", "psroipool", "detection_output"), "detection"),
    **dict.fromkeys(("concat", "add", "max", "mul", "axpy"), "merge"),
    "opaque": "opaque",
    **dict.fromkeys(("relu6", "hardsigmoid", "hardswish", "leaky_relu", "prelu"), "piecewise"),
    **dict.fromkeys(("maxpool", "avgpool", "gavgpool", "gmaxpool", "adaptiveavgpool", "adaptivemaxpool"), "pooling"),
    **dict.fromkeys(("upsample", "pixelshuffle", "pixelunshuffle"), "resampling"),
    **dict.fromkeys(("flatten", "permute", "reshape", "pad"), "reshape"),
    **dict.fromkeys(("crop", "interp"), "segmentation"),
    **dict.fromkeys(("silu", "mish", "elu", "tanh", "softplus"), "smooth"),
    **dict.fromkeys(("to_tokens", "to_grid", "classtoken", "posembed", "embedding", "concat_tokens", "tokenmean",
                     "pick", "window", "unwindow", "patchmerge"), "tokens"),
}
REGISTRY = KindRegistry(__name__.rsplit(".", 1)[0], HOMES)

# explain groups FLOPs, parameters and memory by these
CATEGORIES = ("convolution", "fully connected", "element-wise", "pooling", "normalisation", "resize",
              "attention", "data movement", "detection", "unpriced")


class KindError(TypeError):
    """A layer kind defined without a fact the project needs (raised at import)."""


@dataclass(frozen=True)
class Arity:
    """How many input tensors a kind takes (`most` None: any number)."""

    least: int
    most: int | None

    def accepts(self, n: int) -> bool:
        return n >= self.least and (self.most is None or n <= self.most)

    def describe(self) -> str:
        if self.most == self.least:
            return f"{self.least}"
        if self.most is None:
            return f"at least {self.least}"
        return f"{self.least} to {self.most}"


ONE = Arity(1, 1)


@dataclass(frozen=True)
class Storage:
    """Where a kind's output lives: a `new` buffer, `in place` over its first
    input (when nothing later needs that input), or a `view` of it (no
    bytes).  Inference and training may differ: a dropout is the identity
    at inference but makes a new tensor in training."""

    inference: str
    training: str

    def __post_init__(self) -> None:
        for mode in (self.inference, self.training):
            if mode not in ("new", "in place", "view"):
                raise KindError(f"storage must be 'new', 'in place' or 'view', not {mode!r}")


def per_convention(**formulas: Formula) -> Mapping[str, Formula]:
    """A kind's FLOPs under each convention a kind prices (conventions.py), frozen."""
    return MappingProxyType(formulas)


NEW = Storage("new", "new")
IN_PLACE = Storage("in place", "in place")
VIEW = Storage("view", "view")


@dataclass(frozen=True)
class Backward:
    """A kind's backward pass: the tensors it keeps, the bytes it keeps
    besides (statistics, masks, indices), and the operations of the gradient
    w.r.t. its inputs and w.r.t. its weights (a multiply-add counted once,
    as in `burden` and `macs`; conv: both are the forward MACs again)."""

    input_grad: Formula
    weight_grad: Formula
    keeps_inputs: bool = False
    keeps_output: bool = False
    saved_elements: Formula = ZERO  # per image, times the dtype's width
    saved_bytes: Formula = ZERO  # per image, whatever the dtype (int64 indices, 1-byte masks)


@dataclass(frozen=True)
class Example:
    """Arguments and input shapes at which a kind's every fact can be priced
    (tests/test_kinds.py does, for every kind)."""

    inputs: tuple[Shape, ...]
    args: dict[str, Any] = field(default_factory=dict)


# Class attributes every kind states (directly or through a base it chose)...
DECLARED = {
    "summary": "a one-line description for `archspec kinds`",
    "category": f"its category in explain's shares (one of {', '.join(CATEGORIES)})",
    "positional": "the order of its positional arguments (a tuple, possibly empty)",
    "arity": "how many input tensors it takes (an Arity)",
    "example": "arguments and input shapes to price it at (an Example)",
    "macs": "its multiply-accumulates (a Formula; ZERO if it has none)",
    "flops": f"its FLOPs under each of {', '.join(PRICED_BY_KIND)} (a dict of Formulas)",
    "backward": "its backward pass (a Backward)",
    "storage": "where its output lives with its default arguments: NEW, IN_PLACE, VIEW or a Storage",
    "feature_arrays": "how many output-sized arrays the reference's feature memory counts (an int)",
    "intermediates": "elements of the tensors it makes inside itself besides its output (a Formula; ZERO if none)",
    "layout": "what its output is: SAME as its first input, an IMAGE or TOKENS",
    "work": "operations it executes on a device, a multiply-add counted as 2 (a Formula)",
    "traffic": "elements it reads and writes (a Formula; its parameters are added by the roofline)",
}
# ... and methods every kind implements.
IMPLEMENTED = {
    "output_shape": "its output shape from its inputs' shapes",
    "downsampling": "the factors by which it divides height and width",
    "size_lines": "its output size written out for `explain`",
    "learnable": "its learnable parameter arrays",
    "buffers": "its stored, non-learnt arrays (running statistics)",
}
_TYPES: dict[str, type | tuple[type, ...]] = {
    "summary": str, "category": str, "positional": tuple, "arity": Arity, "example": Example,
    "macs": Formula, "flops": Mapping, "backward": Backward, "storage": Storage, "feature_arrays": int,
    "layout": str, "intermediates": Formula,
    "work": Formula, "traffic": Formula,
}


class Layer(BaseModel):
    """Base of all layer kinds.  It states no fact itself: see the module
    docstring for what a kind must say."""

    # defer_build: a kind's validator is built on its first use, so start-up
    # does not pay for the kinds a spec never uses
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    kind: ClassVar[str] = ""
    summary: ClassVar[str]
    category: ClassVar[str]
    positional: ClassVar[tuple[str, ...]]
    arity: ClassVar[Arity]
    example: ClassVar[Example]
    macs: ClassVar[Formula]
    flops: ClassVar[Mapping[str, Formula]]
    backward: ClassVar[Backward]
    storage: ClassVar[Storage]
    feature_arrays: ClassVar[int]
    intermediates: ClassVar[Formula]
    layout: ClassVar[str]
    work: ClassVar[Formula]
    traffic: ClassVar[Formula]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            check_kind(cls)
            REGISTRY.register(cls)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError

    def downsampling(self) -> tuple[int, int]:
        raise NotImplementedError

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        raise NotImplementedError

    def learnable(self) -> dict[str, Formula]:
        raise NotImplementedError

    def buffers(self) -> dict[str, Formula]:
        raise NotImplementedError

    def site(self, inputs: list[Shape]) -> Site:
        """This layer on these inputs (its output shape computed)."""
        return Site(self, tuple(inputs), self.output_shape(inputs))

    def parameters(self, inputs: list[Shape]) -> dict[str, int]:
        """Element count of each learnable array on these inputs."""
        site = self.site(inputs)
        return {name: formula(site) for name, formula in self.learnable().items()}

    def flops_under(self, convention: str) -> Formula:
        """This kind's formula under a convention: its own row, or for the
        conventions defined by the multiply-accumulates, a multiple of them."""
        multiple = CONVENTIONS[convention].macs_multiple
        if multiple is None:
            return self.flops[convention]
        return self.macs if multiple == 1 else multiple * self.macs

    def bind_reference(self, inputs: list[Shape]) -> "Layer":
        """This layer with whatever its arguments take from the input it has at
        the spec's reference size fixed (fc's kernel); most kinds take nothing."""
        return self

    def side_inputs(self, count: int) -> tuple[int, ...]:
        """Which of its `count` inputs its output's height and width follow (the
        closed form's total stride): all of them, for most kinds; `unwindow`
        restores the image it is given as a reference, whatever its windows."""
        return tuple(range(count))

    def storage_of(self) -> Storage:
        """Where this layer's output lives, its arguments considered (peak and
        training memory).  The kind's `storage` unless the kind says otherwise:
        a kind whose storage depends on an argument overrides this, and its
        `storage` is then what this returns with the default arguments."""
        return self.storage


def check_kind(cls: type[Layer]) -> None:
    """Refuse a kind that lacks a fact, naming the kind and the fact."""
    name = cls.__dict__["kind"]
    for fact, meaning in DECLARED.items():
        value = getattr(cls, fact, None)
        if value is None:
            raise KindError(f"layer kind '{name}' does not say {fact}: {meaning}")
        if not isinstance(value, _TYPES[fact]):
            raise KindError(f"layer kind '{name}': {fact} must be {meaning}, got {type(value).__name__}")
    for method, meaning in IMPLEMENTED.items():
        if getattr(cls, method) is getattr(Layer, method):
            raise KindError(f"layer kind '{name}' does not implement {method}(): {meaning}")
    if cls.category not in CATEGORIES:
        raise KindError(f"layer kind '{name}': category {cls.category!r} is not one of {', '.join(CATEGORIES)}")
    missing = [c for c in PRICED_BY_KIND if c not in cls.flops]
    if missing:
        raise KindError(f"layer kind '{name}' does not say its FLOPs under {', '.join(missing)}")
    unknown = [c for c in cls.flops if c not in PRICED_BY_KIND]
    if unknown:
        raise KindError(f"layer kind '{name}' prices unknown conventions: {', '.join(unknown)}")
    for convention, formula in cls.flops.items():
        if not isinstance(formula, Formula):
            raise KindError(f"layer kind '{name}': its {convention} FLOPs must be a Formula")
    for part in ("input_grad", "weight_grad", "saved_elements", "saved_bytes"):
        if not isinstance(getattr(cls.backward, part), Formula):
            raise KindError(f"layer kind '{name}': backward {part} must be a Formula")
    if cls.layout not in (SAME, IMAGE, TOKENS):
        raise KindError(f"layer kind '{name}': layout must be SAME, IMAGE or TOKENS, not {cls.layout!r}")
    if cls.feature_arrays < 0:
        raise KindError(f"layer kind '{name}': feature_arrays must be 0 or more")
    check_forms(cls, name)


def forms_of(cls: type[Layer]) -> tuple[str, ...]:
    """The values a kind's `form` argument takes (a Literal), or () without one."""
    field = cls.model_fields.get("form")
    if field is None:
        return ()
    if get_origin(field.annotation) is not Literal:
        raise KindError(f"layer kind '{cls.kind}': its form must be a Literal of the forms it is written in")
    return tuple(str(value) for value in get_args(field.annotation))


def check_forms(cls: type[Layer], name: str) -> None:
    """A count that depends on how the PyTorch model writes the op -- a ByForm,
    or any Cases over exactly the kind's forms -- belongs to a peer
    convention whose count reads the model's code; a ByForm names every form
    the kind's `form` argument takes, and no other; a `form` argument that no
    count depends on says nothing, and is refused too."""
    forms = set(forms_of(cls))
    priced_by_form = False
    for convention, formula in {**cls.flops, "macs": cls.macs}.items():
        for cases in cases_in(formula):
            by_form = isinstance(cases, ByForm) or (bool(forms) and set(cases.cases) == forms)
            if not by_form:
                continue
            if convention == "macs" or not CONVENTIONS[convention].form_dependent:
                raise KindError(f"layer kind '{name}': its {convention} count depends on the form, "
                                f"which only a peer tool's count may")
            if not forms:
                raise KindError(f"layer kind '{name}' prices {convention} by form but has no form argument")
            if set(cases.cases) != forms:
                raise KindError(f"layer kind '{name}': its {convention} count names the forms "
                                f"{', '.join(cases.cases)}, its form argument takes {', '.join(forms_of(cls))}")
            priced_by_form = True
    if forms and not priced_by_form:
        raise KindError(f"layer kind '{name}' has a form argument but no count depends on it")
