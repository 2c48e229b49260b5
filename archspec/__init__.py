"""archspec: how much memory and compute does this network need?

Networks are written in a small text language (.arch files); an analytic
engine computes every layer's shape, parameters, FLOPs and feature memory.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
# The Python API (archspec/api.py; README.md, "Python API").
API = ("load", "loads", "analyze", "peak_memory", "train", "fit", "roofline_time", "compare_conventions", "explain",
       "closed_form", "sweep", "diff", "report", "table", "export_pytorch", "export_onnx", "import_onnx", "draw")
__all__ = ["ArchError", *API]


def __getattr__(name: str) -> Any:
    # Keep `import archspec` cheap: the parser and engine load on first use.
    if name in API:
        from . import api

        return getattr(api, name)
    if name == "ArchError":
        from .errors import ArchError

        return ArchError
    raise AttributeError(name)
