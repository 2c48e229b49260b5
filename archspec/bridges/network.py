"""A network as the importer rebuilds it before writing it as a spec: layers
of archspec kinds with their arguments, wired by tensor ids, each shaped by
its kind's own rule as it is added (so an argument a kind refuses is caught
where the layer came from).

It is the bridge between a foreign graph (ONNX) and spec text: the reader
fills it, the spec writer (spec_writer.py) finds its repeated structure and
writes it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..kinds import REGISTRY, Layer, Shape, ShapeError

INPUT = "input"


@dataclass(slots=True)
class Tensor:
    """A network input (kind "input") or a layer's output."""

    kind: str
    args: dict[str, Any]
    inputs: list[int]
    shape: Shape
    name: str  # where it came from (an ONNX node's name), for grouping and messages
    path: tuple[str, ...] = ()  # the module path the source gave it (torch's scope names), outermost first
    tokens: bool = False  # a token sequence input
    fixed: bool = False  # an input whose size does not follow the image's
    shares: int | None = None  # the layer whose weights it uses
    note: str = ""  # said beside it in the spec (an opaque layer's operator)
    layer: Layer | None = None


class LayerRefused(Exception):
    """A kind refused its arguments or its inputs (the reader adds where)."""


@dataclass(slots=True)
class Network:
    tensors: list[Tensor] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)  # graph outputs; the last is the network's output
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the import wants the user to know

    def add_input(self, name: str, shape: Shape, tokens: bool = False, fixed: bool = False) -> int:
        self.tensors.append(Tensor(INPUT, {}, [], shape, name, tokens=tokens, fixed=fixed))
        return len(self.tensors) - 1

    def add(self, kind: str, args: dict[str, Any], inputs: list[int], name: str,
            path: tuple[str, ...] = ()) -> int:
        """A layer of `kind` on `inputs`, shaped now."""
        layer = make_layer(kind, args)
        shape = self.shape_of(layer, inputs)
        self.tensors.append(Tensor(kind, args, inputs, shape, name, path, layer=layer))
        return len(self.tensors) - 1

    def shape_of(self, layer: Layer, inputs: list[int]) -> Shape:
        shapes = [self.tensors[i].shape for i in inputs]
        if not layer.arity.accepts(len(shapes)):
            raise LayerRefused(f"{layer.kind} takes {layer.arity.describe()} inputs, got {len(shapes)}")
        try:
            return layer.bind_reference(shapes).output_shape(shapes)
        except ShapeError as exc:
            raise LayerRefused(f"{layer.kind}: {exc}") from None

    def change(self, index: int, kind: str, args: dict[str, Any]) -> None:
        """Turn a layer into another kind on the same inputs (sigmoid -> silu)."""
        tensor = self.tensors[index]
        layer = make_layer(kind, args)
        tensor.shape = self.shape_of(layer, tensor.inputs)
        tensor.kind, tensor.args, tensor.layer = kind, args, layer

    def readers(self) -> list[list[int]]:
        found: list[list[int]] = [[] for _ in self.tensors]
        for i, t in enumerate(self.tensors):
            for j in t.inputs:
                found[j].append(i)
        return found


def make_layer(kind: str, args: dict[str, Any]) -> Layer:
    cls = REGISTRY[kind]
    try:
        return cls(**args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise LayerRefused(f"{kind}: {where}: {first['msg']}") from None


__all__ = ["INPUT", "LayerRefused", "Network", "Tensor", "make_layer"]
