"""The optional analyses of `analyze` (peak memory, training, roofline) added
to each output format.  The plain outputs are unchanged; JSON gains new
top-level sections and new per-layer fields, never renamed ones."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from ..costs.engine import Analysis
from ..costs.memory import Liveness
from ..costs.roofline import Roofline
from ..costs.training import Training
from . import render
from .analysis_table import count_unit
from .units import binary_memory, decimal_count


@dataclass(slots=True)
class Beyond:
    liveness: Liveness | None = None
    training: Training | None = None
    roofline: Roofline | None = None
    fit_budget: int | None = None  # bytes, when the batch was solved for


def _seconds(s: float) -> str:
    if s >= 1000:
        return f"{s:,.0f} s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _flops(n: int) -> str:
    return decimal_count(n, "FLOPs")


def _summary(a: Analysis, b: Beyond) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if b.liveness:
        live = b.liveness
        lines += [("peak mem", (f"{binary_memory(live.peak_bytes)} ({live.peak_bytes:,} B) while "
                                f"'{live.peak_layer}' runs; no reuse: {binary_memory(live.no_reuse_bytes)}"))]
    if b.training:
        t = b.training
        fit = f" (largest batch in {binary_memory(b.fit_budget)})" if b.fit_budget else ""
        lines += [
            ("training", (f"batch {t.batch}{fit}, {t.optimizer}, {t.dtype}: "
                          f"{binary_memory(t.total_bytes)} ({t.total_bytes:,} B)")),
            ("  weights", binary_memory(t.weight_bytes)),
            ("  grads", binary_memory(t.gradient_bytes)),
            ("  optimizer", binary_memory(t.optimizer_bytes)),
            ("  input", binary_memory(t.input_bytes)),
            ("  kept acts", binary_memory(t.activation_bytes)),
            ("  workspace", binary_memory(t.workspace_bytes)),
            ("  forward", decimal_count(t.forward_flops, count_unit(a.convention))),
            ("  backward", (f"{_flops(t.backward_flops)} = {_flops(t.backward_input_flops)} "
                            f"input grads + {_flops(t.backward_weight_flops)} weight grads + "
                            f"{_flops(t.gradient_sum_flops)} gradient sums")),
        ]
    if b.roofline:
        r = b.roofline
        compute = sum(1 for layer in r.layers if layer.bound == "compute")
        lines += [("roofline", (f"{r.device.title}, {r.dtype}: {_seconds(r.seconds)} per batch of {r.batch} "
                                f"({r.images_per_second:,.0f} images/s); {compute} of {len(r.layers)} layers "
                                f"compute-bound (ridge {r.ridge:.1f} FLOP/B)"))]
    return lines


def _roofline_rows(r: Roofline) -> list[str]:
    header = ("layer", "kind", "FLOP/B", "bound", "time")
    rows = [(x.name, x.kind, f"{x.intensity:.1f}" if x.bytes_moved else "-", x.bound,
             _seconds(x.seconds) if x.seconds else "-") for x in r.layers]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(widths[i]) if i >= 2 else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()

    return [fmt(header), "  ".join("-" * w for w in widths), *map(fmt, rows)]


def render_beyond(a: Analysis, b: Beyond, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(beyond_dict(a, b), indent=1) + "\n"
    if fmt == "csv":
        return _csv(a, b)
    text = render(a, fmt)
    extra = []
    if b.roofline:
        extra += ["", *_roofline_rows(b.roofline)]
    extra += [""] + [f"{k + ':':13}{v}" if fmt != "markdown" else f"- **{k.strip()}**: {v}"
                     for k, v in _summary(a, b)]
    return text + "\n".join(extra) + "\n"


def _layer_fields(b: Beyond) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = []
    count = len((b.liveness.steps if b.liveness else None) or (b.training.layers if b.training else None)
                or (b.roofline.layers if b.roofline else []))
    for i in range(count):
        fields: dict[str, Any] = {}
        if b.liveness:
            step = b.liveness.steps[i]
            fields.update(live_bytes=step.live_bytes, allocated_bytes=step.allocated_bytes,
                          freed_bytes=step.freed_bytes)
        if b.training:
            t = b.training.layers[i]
            fields.update(saved_bytes=t.saved_bytes, backward_input_flops=t.backward_input_flops,
                          backward_weight_flops=t.backward_weight_flops,
                          gradient_sum_flops=t.gradient_sum_flops)
        if b.roofline:
            r = b.roofline.layers[i]
            fields.update(work=r.work, bytes_moved=r.bytes_moved, intensity=r.intensity,
                          bound=r.bound, seconds=r.seconds)
        layers.append(fields)
    return layers


def beyond_dict(a: Analysis, b: Beyond) -> dict[str, Any]:
    from .analysis_json import analysis_dict

    d = analysis_dict(a)
    if b.liveness:
        live = b.liveness
        d["memory"] = {"model": "peak", "peak_bytes": live.peak_bytes, "peak_layer": live.peak_layer,
                       "no_reuse_bytes": live.no_reuse_bytes, "allocated_bytes": live.allocated_bytes}
    if b.training:
        t = b.training
        d["training"] = {"batch": t.batch, "optimizer": t.optimizer, "fit_budget_bytes": b.fit_budget,
                         "total_bytes": t.total_bytes, "weight_bytes": t.weight_bytes,
                         "gradient_bytes": t.gradient_bytes, "optimizer_bytes": t.optimizer_bytes,
                         "input_bytes": t.input_bytes, "activation_bytes": t.activation_bytes,
                         "workspace_bytes": t.workspace_bytes, "forward_flops": t.forward_flops,
                         "backward_input_flops": t.backward_input_flops,
                         "backward_weight_flops": t.backward_weight_flops,
                         "gradient_sum_flops": t.gradient_sum_flops}
    if b.roofline:
        r = b.roofline
        d["roofline"] = {"device": r.device.name, "title": r.device.title, "dtype": r.dtype,
                         "peak_flops": r.peak, "bandwidth": r.bandwidth, "ridge": r.ridge,
                         "seconds": r.seconds, "images_per_second": r.images_per_second,
                         "work": r.work, "bytes_moved": r.bytes_moved}
    for layer, extra in zip(d["layers"], _layer_fields(b)):
        layer.update(extra)
    return d


def _csv(a: Analysis, b: Beyond) -> str:
    from .analysis_csv import render_csv

    base = list(csv.reader(io.StringIO(render_csv(a))))
    extras = _layer_fields(b)
    names = list(extras[0]) if extras else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(base[0] + names)
    for row, extra in zip(base[1:], extras):
        writer.writerow(row + [extra[n] for n in names])
    return out.getvalue()
