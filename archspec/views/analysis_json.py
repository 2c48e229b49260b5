"""The JSON contract other tools read.  Field names here are stable."""

from __future__ import annotations

import json
from typing import Any

from ..costs.engine import Analysis
from ..costs.size_notes import ChannelsFollowSize


def size_notes(notes: list[ChannelsFollowSize]) -> list[dict[str, Any]]:
    """Layers whose weights see other input channels than at the reference size
    (present in the JSON only when there are some)."""
    return [{"layer": n.layer, "input_channels": n.channels, "reference_input_channels": n.reference_channels,
             "reference_size": list(n.reference_size)} for n in notes]


def analysis_dict(a: Analysis) -> dict[str, Any]:
    t = a.totals
    found = {"params_depend_on_size": size_notes(a.size_notes)} if a.size_notes else {}
    return {
        "model": a.model,
        "input": {"shape": list(a.input_shape), "batch": a.batch},
        "convention": a.convention,
        "dtype": a.dtype,
        "totals": {
            "params": t.params,
            "buffers": t.buffers,
            "param_bytes": t.param_bytes,
            "feature_bytes": t.feature_bytes,
            "flops": t.flops,
            "macs": t.macs,
            "output_shape": list(t.output_shape),
        },
        **found,
        "layers": [
            {
                "name": layer.name,
                "kind": layer.kind,
                "inputs": layer.inputs,
                "output_shape": list(layer.output_shape),
                "layout": layer.layout,
                "params": layer.params,
                "buffers": layer.buffers,
                "flops": layer.flops,
                "macs": layer.macs,
                "feature_bytes": layer.feature_bytes,
                "line": layer.line,
                "file": layer.path,
            }
            for layer in a.layers
        ],
    }


def render_json(a: Analysis) -> str:
    return json.dumps(analysis_dict(a), indent=1) + "\n"
