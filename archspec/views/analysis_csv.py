"""One CSV row per layer, figures unformatted."""

from __future__ import annotations

import csv
import io

from ..costs.engine import Analysis

COLUMNS = ["name", "kind", "inputs", "output_shape", "params", "buffers", "flops", "macs",
           "feature_bytes", "line"]


def render_csv(a: Analysis) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for layer in a.layers:
        c, h, w = layer.output_shape
        writer.writerow([layer.name, layer.kind, " ".join(layer.inputs), f"{h}x{w}x{c}", layer.params,
                         layer.buffers, layer.flops, layer.macs, layer.feature_bytes, layer.line])
    return out.getvalue()
