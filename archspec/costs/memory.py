"""Peak activation memory of one inference pass, by liveness analysis.

The reference's feature memory adds up every intermediate tensor as if none
were ever freed.  A framework running inference frees a tensor after its last
consumer has run, so what it needs is the largest amount live at any moment.
The model here (docs/memory.md):

* layers run in the spec's execution order (the order of `Analysis.layers`);
* a layer's output is allocated when it runs; its inputs are still held while
  it runs and are freed after it, if it was their last consumer;
* an in-place layer (ReLU, `add(inplace=true)`: `out += identity`) writes
  over its first input's buffer when no later layer still needs that buffer;
  otherwise it allocates, as a framework would have to;
* a view (reshape, flatten, and dropout -- the identity at inference) shares
  its input's buffer; each layer says which it is (`Layer.storage_of()`: its
  kind's storage, or as its arguments make it -- `relu(inplace=false)`
  allocates, `droppath(p=0)` is a view in training too);
* a tensor no layer consumes is a result of the network and stays live to
  the end;
* the tensors a layer makes inside itself (an attention's score matrix,
  `Layer.intermediates`) are live only while it runs;
* the network's input is the caller's, not counted (as in the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from .catalogue import DTYPE_BYTES
from .engine import Analysis


@dataclass(slots=True)
class Step:
    """Memory while one layer runs."""

    name: str
    live_bytes: int  # held while the layer runs: its output, its inputs and everything still needed
    allocated_bytes: int  # its new buffer (0 for in-place layers and views)
    freed_bytes: int  # released when it finishes


@dataclass(slots=True)
class Liveness:
    peak_bytes: int
    peak_layer: str
    no_reuse_bytes: int  # the reference's figure: every output counted, nothing freed
    allocated_bytes: int  # every buffer this model allocates, none freed
    steps: list[Step] = field(default_factory=list)
    buffer_of: dict[str, int] = field(default_factory=dict)  # tensor name -> buffer
    buffer_bytes: list[int] = field(default_factory=list)  # network inputs' buffers count 0


def liveness(analysis: Analysis, training: bool = False, pinned: frozenset[str] = frozenset()) -> Liveness:
    """`training`: where each layer's output lives in training rather than at
    inference (a dropout makes a new tensor).  `pinned`: tensors an in-place
    layer must not overwrite (in training, those kept for backward)."""
    layers = analysis.layers
    width = DTYPE_BYTES[analysis.dtype] * analysis.batch
    consumers: dict[str, list[int]] = {}
    for i, layer in enumerate(layers):
        for source in layer.inputs:
            consumers.setdefault(source, []).append(i)
    end = len(layers)  # "still needed at the end": a result of the network

    buffer_of: dict[str, int] = {}
    members: list[list[str]] = []  # tensors sharing each buffer
    sizes: list[int] = []

    def new_buffer(tensor: str, nbytes: int) -> int:
        buffer_of[tensor] = len(sizes)
        members.append([tensor])
        sizes.append(nbytes)
        return len(sizes) - 1

    def needed_after(buffer: int, step: int) -> bool:
        if any(tensor in pinned for tensor in members[buffer]):
            return True
        for tensor in members[buffer]:
            uses = consumers.get(tensor, [])
            if not uses or any(p > step for p in uses):
                return True
        return False

    fresh: list[int] = []  # bytes each layer allocates
    scratch = [layer.layer.intermediates(layer.site) * width for layer in layers]  # live only while it runs
    for i, layer in enumerate(layers):
        for source in layer.inputs:
            if source not in buffer_of:  # a network input: held by the caller
                new_buffer(source, 0)
        nbytes = prod(layer.output_shape) * width
        first = layer.inputs[0] if layer.inputs else None
        # this layer's storage, its arguments considered (relu(inplace=false), add(inplace=true))
        placed = layer.layer.storage_of()
        storage = placed.training if training else placed.inference
        shared = None
        if first is not None and (storage == "view" or (
                storage == "in place" and not needed_after(buffer_of[first], i))):
            shared = buffer_of[first]
        if shared is None:
            new_buffer(layer.name, nbytes)
            fresh.append(nbytes)
        else:
            buffer_of[layer.name] = shared
            members[shared].append(layer.name)
            fresh.append(0)

    last_use = []
    for tensors in members:
        uses = [max(consumers[t]) if consumers.get(t) else end for t in tensors]
        last_use.append(max(uses))
    freed_at: dict[int, int] = {}
    for buffer, step in enumerate(last_use):
        freed_at[step] = freed_at.get(step, 0) + sizes[buffer]

    live = peak = 0
    peak_layer = ""
    steps = []
    for i, layer in enumerate(layers):
        live += fresh[i]
        running = live + scratch[i]
        if running > peak:
            peak, peak_layer = running, layer.name
        freed = freed_at.get(i, 0)
        steps.append(Step(layer.name, running, fresh[i], freed))
        live -= freed
    return Liveness(peak, peak_layer, analysis.totals.feature_bytes, sum(sizes) + sum(scratch), steps,
                    buffer_of, sizes)
