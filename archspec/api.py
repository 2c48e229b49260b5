"""The Python API: load a spec (with overrides) and analyse it.

    >>> from archspec import load, analyze
    >>> spec = load("specs/resnet50.arch", width=64)
    >>> result = analyze(spec, size=224, batch=128, upto="features_7_2_id_relu")
    >>> result.totals.flops
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .engine import Analysis
from .engine import analyze as _analyze
from .graph import Graph
from .spec import load_graph, load_graph_from_text

Size = int | tuple[int, int] | None


def load(path: str | Path, **overrides: Any) -> Graph:
    """Read and expand a spec file; keyword arguments override its `param`s."""
    return load_graph(path, overrides)


def loads(text: str, path: str = "<string>", **overrides: Any) -> Graph:
    """Like `load`, from text."""
    return load_graph_from_text(text, path, overrides)


def analyze(spec: Graph | str | Path, size: Size = None, batch: int = 1, upto: str | None = None,
            dtype: str = "float32", convention: str = "burden") -> Analysis:
    """Per-layer and total cost of one forward pass.  `size` is a side (224)
    or (height, width); None uses the spec's own input size."""
    graph = spec if isinstance(spec, Graph) else load(spec)
    hw = (size, size) if isinstance(size, int) else size
    return _analyze(graph, hw, batch, upto, dtype, convention)
