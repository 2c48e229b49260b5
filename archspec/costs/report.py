"""A model's report, computed: what convnet-burden's `printReport` tabulates.

One full pass at the reference input size (parameter memory, feature memory,
FLOPs), then the cost of the trunk -- the feature layer and everything it
depends on -- for a batch at each input scale.  Views format a `ModelReport`;
they never recompute it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import ArchError
from ..graph.builtins import round_half_away
from ..graph.layer_graph import Graph
from ..kinds.shape import TOKENS
from .engine import Analysis, LayerCost, analyze
from .memory import Liveness, liveness

# The reference's `opts.scales = 0.5:0.5:3` and `opts.batchSize = 128`.
DEFAULT_SCALES: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
DEFAULT_BATCH = 128


@dataclass(frozen=True, slots=True)
class ScaleRow:
    """The trunk's cost for one batch at one input size."""

    scale: float
    input_size: tuple[int, int]  # H, W
    feature_shape: tuple[int, int, int]  # C, H, W of the feature layer's output
    feature_bytes: int  # whole batch
    flops: int  # whole batch
    feature_tokens: bool  # the feature layer's output is a token sequence (C = D, H = N tokens, W = 1)


@dataclass(slots=True)
class ModelReport:
    model: str
    task: str | None
    input_size: tuple[int, int]  # the reference size, H, W
    param_bytes: int
    feature_bytes: int  # one image, full network
    flops: int  # one image, full network
    feature_layer: str  # as the spec names it (the reference's name); the last layer if none
    batch: int
    rows: list[ScaleRow] = field(default_factory=list)
    layers: list[LayerCost] = field(default_factory=list)  # the full pass, for the profile figure
    live: Liveness | None = None  # the full pass's live memory per layer (frees after last use), for the figure
    tokens: bool = False  # the input is a token sequence; its sizes are lengths


def scaled_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """round(size x scale) per side, halves away from zero, as MATLAB rounds
    (round(227 * 0.5) = 114)."""
    return round_half_away(size[0] * scale), round_half_away(size[1] * scale)


def compute_report(graph: Graph, batch: int = DEFAULT_BATCH, scales: Sequence[float] | None = None,
                   feature_layer: str | None = None) -> ModelReport:
    """The report of one spec.  Scales default to the spec's `@scales`, then
    to 0.5..3; the feature layer to its `@features`, then to the whole network."""
    meta = graph.metadata
    if not meta.model:
        raise ArchError("the spec has no `model` line, so it is a library, not a model")
    full: Analysis = analyze(graph)
    _, height, width = full.input_shape
    layer = feature_layer or meta.features
    label = layer or (full.layers[-1].name if full.layers else "output")
    chosen = tuple(scales if scales is not None else (meta.scales or DEFAULT_SCALES))
    if not chosen:
        raise ArchError("no input scales to report", argument="scales")
    if any(s <= 0 for s in chosen):
        raise ArchError(f"input scales must be positive, got {', '.join(f'{s:g}' for s in chosen)}",
                        argument="scales")
    report = ModelReport(meta.model, meta.task, (height, width), full.totals.param_bytes,
                         full.totals.feature_bytes, full.totals.flops, label, batch, layers=full.layers,
                         live=liveness(full), tokens=full.input_layout == TOKENS)
    for scale in chosen:
        # a token sequence's one size is its length
        size = scaled_size((height, height) if full.input_layout == TOKENS else (height, width), scale)
        try:
            trunk = analyze(graph, size=size, batch=batch, upto=layer)
        except ArchError as exc:  # the feature layer is the report's `features`, or the spec's @features
            if exc.argument == "upto":
                exc.argument = "features" if feature_layer else None
                if not feature_layer:
                    exc.message = f"@features: {exc.message}"
            raise
        report.rows.append(ScaleRow(scale, size, trunk.totals.output_shape, trunk.totals.feature_bytes,
                                    trunk.totals.flops, trunk.totals.output_layout == TOKENS))
    return report
