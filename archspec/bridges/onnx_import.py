"""`archspec import`: an ONNX file as a spec.

The graph is read as a network of archspec kinds (onnx_read.py), its
repeated structure written as blocks (spec_writer.py), and the text loaded
by archspec's own loader, which must give back the network's parameters,
buffers and output shape -- so what is written is a spec that is checked,
not a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ArchError
from ..files import NotARegularFile, read_limited
from ..graph.load import load_graph_from_text
from ..limits import MAX_ONNX_BYTES
from .network import Network
from .onnx_export import require_onnx
from .spec_writer import write_spec


@dataclass(slots=True)
class Imported:
    text: str
    network: Network
    notes: list[str] = field(default_factory=list)


def read_model(path: Path) -> Any:
    """The ONNX model in a file (its weights' data left where they are), read
    as archspec reads every file: a regular file, at most MAX_ONNX_BYTES."""
    onnx = require_onnx()
    display = str(path)
    try:
        data = read_limited(path, MAX_ONNX_BYTES)
    except FileNotFoundError:
        raise ArchError(f"no such ONNX file: {display}") from None
    except NotARegularFile as exc:
        raise ArchError(f"{display} is {exc.kind}, not an ONNX file") from None
    except OSError as exc:
        raise ArchError(f"cannot read {display}: {exc.strerror or exc}") from None
    if len(data) > MAX_ONNX_BYTES:
        raise ArchError(f"{display} is larger than {MAX_ONNX_BYTES:,} bytes: too large to read as an ONNX graph "
                        "(a graph with its weights inside; archspec needs only their shapes)")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ArchError(f"{display} is not an ONNX model ({type(exc).__name__})") from None
    if not model.graph.node:
        raise ArchError(f"{display} is not an ONNX model: its graph has no nodes")
    return model


def import_model(model: Any, display: str, opaque: bool = False, size: tuple[int, int] | None = None) -> Imported:
    from .onnx_read import Reader

    network = Reader(model, display, opaque, size).read()
    text = write_spec(network)
    check(text, network, display)
    return Imported(text, network, network.notes)


def import_onnx(path: Path, opaque: bool = False, size: tuple[int, int] | None = None) -> Imported:
    return import_model(read_model(path), str(path), opaque, size)


def check(text: str, network: Network, display: str) -> None:
    """The written spec must load and give the network's figures."""
    from ..costs.engine import analyze

    try:
        graph = load_graph_from_text(text, display + ".arch")
    except ArchError as exc:
        raise ArchError(f"{display}: the spec written for it does not load (a bug in archspec's importer):\n{exc}"
                        ) from None
    result = analyze(graph)
    params = buffers = 0
    counted: set[int] = set()
    for i, t in enumerate(network.tensors):
        if t.layer is None or i in counted:
            continue
        counted.add(i)
        shapes = [network.tensors[j].shape for j in t.inputs]
        layer = t.layer.bind_reference(shapes)
        site = layer.site(shapes)
        mine = {n: f(site) for n, f in layer.learnable().items()}
        kept = {n: f(site) for n, f in layer.buffers().items()}
        if t.shares is not None:
            owner = network.tensors[t.shares].layer
            assert owner is not None
            mine = {n: v for n, v in mine.items() if n not in owner.learnable()}
            kept = {n: v for n, v in kept.items() if n not in owner.buffers()}
        params += sum(mine.values())
        buffers += sum(kept.values())
    final = network.tensors[network.outputs[-1]].shape
    got = (result.totals.params, result.totals.buffers, result.totals.output_shape)
    if got != (params, buffers, final):
        raise ArchError(f"{display}: the spec written for it gives params {got[0]:,}, buffers {got[1]:,}, output "
                        f"{got[2]} where the graph has {params:,}, {buffers:,}, {final} (a bug in archspec's "
                        "importer)")


__all__ = ["Imported", "import_model", "import_onnx", "read_model"]
