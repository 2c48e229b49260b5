"""The Python API: load a spec (with overrides) and analyse it.

    >>> from archspec import load, analyze
    >>> spec = load("specs/resnet50.arch", width=64)
    >>> result = analyze(spec, size=224, batch=128, upto="features_7_2_id_relu")
    >>> result.totals.flops
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .costs.engine import Analysis
from .costs.engine import analyze as _analyze
from .errors import ArchError
from .graph.layer_graph import Graph
from .graph.load import load_graph, load_graph_from_text

if TYPE_CHECKING:
    from .costs.memory import Liveness
    from .costs.roofline import Roofline
    from .costs.training import Training

Size = int | tuple[int, int] | None


def load(path: str | Path, allow_imports: list[str | Path] | None = None, **overrides: Any) -> Graph:
    """Read and expand a spec file; keyword arguments override its `param`s.
    Imports stay in the spec's folder tree; `allow_imports` names more folders
    they may read (docs/threat-model.md)."""
    return load_graph(path, overrides, _folders(allow_imports))


def loads(text: str, path: str = "<string>", allow_imports: list[str | Path] | None = None,
          **overrides: Any) -> Graph:
    """Like `load`, from text; imports resolve from `path`'s folder."""
    return load_graph_from_text(text, path, overrides, _folders(allow_imports))


def _folders(allow_imports: list[str | Path] | None) -> list[Path]:
    if allow_imports is None:
        return []
    if isinstance(allow_imports, (str, Path)) or not all(isinstance(f, (str, Path)) for f in allow_imports):
        raise ArchError("expected a list of folders", argument="allow_imports")
    return [Path(folder) for folder in allow_imports]


def _size(size: Size) -> tuple[int, int] | None:
    """A side or (height, width); checked by the engine."""
    return (size, size) if isinstance(size, int) and not isinstance(size, bool) else size  # type: ignore[return-value]


def analyze(spec: Graph | str | Path, size: Size = None, batch: int = 1, upto: str | None = None,
            dtype: str = "float32", convention: str = "burden") -> Analysis:
    """Per-layer and total cost of one forward pass.  `size` is a side (224)
    or (height, width); None uses the spec's own input size."""
    graph = spec if isinstance(spec, Graph) else load(spec)
    hw = _size(size)
    return _analyze(graph, hw, batch, upto, dtype, convention)


def peak_memory(spec: Graph | str | Path, size: Size = None, batch: int = 1,
                upto: str | None = None, dtype: str = "float32") -> Liveness:
    """Peak activation memory of inference by liveness (`.peak_bytes`), next to
    the reference's no-reuse sum (`.no_reuse_bytes`); `.steps` is the per-layer curve."""
    from .costs.memory import liveness

    return liveness(analyze(spec, size, batch, upto, dtype))


def train(spec: Graph | str | Path, size: Size = None, batch: int = 1, upto: str | None = None,
          dtype: str = "float32", optimizer: str = "sgd") -> Training:
    """Memory (`.total_bytes` and its parts) and backward cost of one training step."""
    from .costs.training import training

    graph = spec if isinstance(spec, Graph) else load(spec)
    return training(analyze(graph, size, batch, upto, dtype), optimizer)


def fit(spec: Graph | str | Path, memory: str | int, size: Size = None, upto: str | None = None,
        dtype: str = "float32", optimizer: str = "sgd") -> int:
    """The largest training batch whose step fits in `memory` ("24GB" or bytes)."""
    from .costs.training import fit_batch, parse_bytes

    graph = spec if isinstance(spec, Graph) else load(spec)
    budget = parse_bytes(memory) if isinstance(memory, str) else memory
    hw = _size(size)
    return fit_batch(graph, budget, hw, upto, dtype, optimizer=optimizer)[0]


def roofline_time(spec: Graph | str | Path, device: str, size: Size = None, batch: int = 1,
                  upto: str | None = None, dtype: str = "float32") -> Roofline:
    """Roofline estimate on a catalogued device (`.seconds`, `.layers`)."""
    from .costs.roofline import roofline

    graph = spec if isinstance(spec, Graph) else load(spec)
    return roofline(analyze(graph, size, batch, upto, dtype), device)
