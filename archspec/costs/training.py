"""Training: memory of one step (weights, gradients, optimizer state, the
activations the backward pass needs) and the backward pass's cost, per layer,
with the gradient w.r.t. the layer's input and w.r.t. its weights counted
separately.  docs/memory.md states the model; this module is its arithmetic.

Backward costs count a multiply-add as one operation, like the `burden` and
`macs` conventions: a convolution's input gradient is a transposed
convolution of the output gradient with the weights (its MACs), its weight
gradient a correlation of the input with the output gradient (its MACs again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import isfinite, prod

from ..errors import ArchError, suggest
from ..graph.layer_graph import Graph
from ..limits import MAX_BATCH
from .catalogue import DTYPE_BYTES, OPTIMIZER_STATES
from .engine import Analysis, analyze
from .memory import liveness


@dataclass(slots=True)
class LayerTraining:
    name: str
    kind: str
    saved_bytes: int  # activations its backward holds (in the total, a tensor kept twice counts once)
    backward_input_flops: int
    backward_weight_flops: int
    gradient_sum_flops: int = 0  # adding the gradients of its output's several consumers


@dataclass(slots=True)
class Training:
    batch: int
    optimizer: str
    dtype: str
    weight_bytes: int  # parameters and buffers
    gradient_bytes: int
    optimizer_bytes: int
    input_bytes: int  # the batch itself
    activation_bytes: int  # kept for the backward pass, each buffer once
    workspace_bytes: int  # the largest output + input gradients of one layer, while it runs backward
    forward_flops: int  # the analysis's convention
    backward_input_flops: int
    backward_weight_flops: int
    gradient_sum_flops: int  # a tensor read by k layers: its k gradients added, (k - 1) per element
    layers: list[LayerTraining] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return (self.weight_bytes + self.gradient_bytes + self.optimizer_bytes + self.input_bytes
                + self.activation_bytes + self.workspace_bytes)

    @property
    def backward_flops(self) -> int:
        return self.backward_input_flops + self.backward_weight_flops + self.gradient_sum_flops


def _kept_tensors(analysis: Analysis) -> frozenset[str]:
    """Tensors some layer keeps for its backward pass: an in-place layer may
    not overwrite them (autograd would refuse)."""
    kept: set[str] = set()
    for cost in analysis.layers:
        if cost.layer.backward.keeps_inputs:
            kept.update(cost.inputs)
        if cost.layer.backward.keeps_output:
            kept.add(cost.name)
    return frozenset(kept)


def training(analysis: Analysis, optimizer: str = "sgd") -> Training:
    """Memory and backward cost of one training step of `analysis`'s batch."""
    if optimizer not in OPTIMIZER_STATES:
        raise ArchError(f"unknown optimizer '{optimizer}'; known: {', '.join(OPTIMIZER_STATES)}",
                        hint=suggest(optimizer, OPTIMIZER_STATES), argument="optimizer")
    width = DTYPE_BYTES[analysis.dtype]
    batch = analysis.batch
    live = liveness(analysis, training=True, pinned=_kept_tensors(analysis))
    requires_grad = {name: False for name in analysis.input_shapes}  # network inputs need no gradient
    saved: set[int] = set()  # buffers kept for backward
    extra = 0
    workspace = 0
    layers = []
    totals = [0, 0, 0]
    readers: dict[str, int] = {}
    for cost in analysis.layers:
        for name in cost.inputs:
            readers[name] = readers.get(name, 0) + 1
    for cost in analysis.layers:
        site, rule = cost.site, cost.layer.backward
        grad_in = any(requires_grad[n] for n in cost.inputs)
        learns = cost.params + cost.shared_params > 0  # a shared layer's weights learn at every use
        requires_grad[cost.name] = grad_in or learns
        if not requires_grad[cost.name]:  # nothing below or in it learns: no backward at all
            layers.append(LayerTraining(cost.name, cost.kind, 0, 0, 0))
            continue
        kept = set()
        if rule.keeps_inputs:
            kept |= {live.buffer_of[n] for n in cost.inputs}
        if rule.keeps_output:
            kept.add(live.buffer_of[cost.name])
        own = (rule.saved_elements(site) * width + rule.saved_bytes(site)) * batch
        extra += own
        saved |= kept
        backward_in = rule.input_grad(site) * batch if grad_in else 0
        backward_w = rule.weight_grad(site) * batch if learns else 0
        summed = (readers.get(cost.name, 1) - 1) * prod(cost.output_shape) * batch
        totals[0] += backward_in
        totals[1] += backward_w
        totals[2] += summed
        layers.append(LayerTraining(cost.name, cost.kind, sum(live.buffer_bytes[b] for b in kept) + own,
                                    backward_in, backward_w, summed))
        gradients = prod(cost.output_shape) + (sum(prod(s) for s in cost.input_shapes) if grad_in else 0)
        workspace = max(workspace, gradients * width * batch)
    t = analysis.totals
    inputs = sum(prod(shape) for shape in analysis.input_shapes.values()) * width * batch
    return Training(
        batch=batch, optimizer=optimizer, dtype=analysis.dtype,
        weight_bytes=(t.params + t.buffers) * width,
        gradient_bytes=t.params * width,
        optimizer_bytes=OPTIMIZER_STATES[optimizer] * t.params * width,
        input_bytes=inputs,
        activation_bytes=sum(live.buffer_bytes[b] for b in saved) + extra,
        workspace_bytes=workspace,
        forward_flops=t.flops,
        backward_input_flops=totals[0], backward_weight_flops=totals[1], gradient_sum_flops=totals[2],
        layers=layers,
    )


def parse_bytes(text: str) -> int:
    """`24GB`, `24 GiB`, `512MB`, `1.5TB` or `100000B`.  Units are binary
    (1 GB = 1024^3 bytes), as in the table's figures; the unit is required, so
    `24` is not read as 24 bytes."""
    units = {"B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    upper = text.strip().upper().replace(" ", "")
    cleaned = upper.removesuffix("IB").removesuffix("B")
    number = cleaned.rstrip("KMGT")
    unit = cleaned[len(number):] or ("B" if upper.endswith("B") else "")
    try:
        value = float(number)
    except ValueError:
        raise ArchError(f"{text!r}: expected a size such as 24GB or 512MB", argument="memory") from None
    if not unit:
        raise ArchError(f"{text!r} has no unit", argument="memory",
                        hint=f"write {number}GB, {number}MB or {number}B for bytes (binary units: 1 GB = 1024^3 bytes)")
    if unit not in units or not (value > 0 and isfinite(value)):
        raise ArchError(f"{text!r}: expected a size such as 24GB or 512MB", argument="memory")
    return int(value * units[unit])


def fit_batch(graph: Graph, budget: int, size: tuple[int, int] | None = None,
              upto: str | None = None, dtype: str = "float32", convention: str = "burden",
              optimizer: str = "sgd") -> tuple[int, Training]:
    """The largest batch whose training step fits in `budget` bytes, and its figures.

    Memory is affine in the batch (weights, gradients and optimizer state are
    fixed; the rest scales), so two evaluations give the answer; it is then
    confirmed against the full computation."""

    def step(batch: int) -> Training:
        return training(analyze(graph, size, batch, upto, dtype, convention), optimizer)

    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ArchError(f"expected a number of bytes, got {budget!r}", argument="memory")
    one, two = step(1), step(2)
    if one.total_bytes > budget:
        raise ArchError(f"even a batch of 1 needs {one.total_bytes:,} bytes, more than {budget:,}", argument="memory")
    per_image = two.total_bytes - one.total_bytes
    fixed = one.total_bytes - per_image
    batch = (budget - fixed) // per_image if per_image > 0 else MAX_BATCH + 1
    if batch > MAX_BATCH:
        raise ArchError(f"every batch up to {MAX_BATCH:,} fits in {budget:,} bytes; larger batches are "
                        "not searched", argument="memory")
    batch = max(1, batch)
    result = step(batch)
    if result.total_bytes <= budget and (batch == MAX_BATCH or step(batch + 1).total_bytes > budget):
        return batch, result
    # The memory was not affine in the batch after all: a bounded bisection
    # (about 30 steps) between a batch that fits (1) and one that does not.
    fits, too_big = 1, MAX_BATCH + 1
    while too_big - fits > 1:
        middle = (fits + too_big) // 2
        if step(middle).total_bytes <= budget:
            fits = middle
        else:
            too_big = middle
    return fits, step(fits)
