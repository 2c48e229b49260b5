"""Roofline time: how long each layer takes on a device if it runs at the
lesser of the device's arithmetic peak and its memory bandwidth.

For each layer (docs/memory.md states the model):

* work   = operations it executes, a multiply-add counted as 2 (each kind's
           `work`): 2 x MACs plus one addition per output for a bias (conv,
           deconv, fc); batch norm one multiply-add per element (run unfused,
           as eager frameworks do); every other layer the reference's
           per-element count;
* bytes  = the elements it reads and writes (each kind's `traffic`: its
           inputs and its output; views -- reshape, flatten, dropout at
           inference -- move nothing) x batch x dtype width, + its parameters
           and buffers read once per batch;
* time   = max(work / peak FLOP/s, bytes / bandwidth); the layer is compute-
           bound when the first term is the larger;
* total  = the sum over layers: no overlap between layers, no launch overhead,
           no caches, every layer at its roof.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import DTYPE_BYTES
from .devices import Device, get_device
from .engine import Analysis


@dataclass(slots=True)
class LayerTime:
    name: str
    kind: str
    work: int  # operations (a multiply-add is 2)
    bytes_moved: int
    intensity: float  # work per byte
    seconds: float
    bound: str  # "compute", "memory" or "-" (moves and computes nothing)


@dataclass(slots=True)
class Roofline:
    device: Device
    dtype: str
    batch: int
    peak: float  # FLOP/s for the dtype
    bandwidth: float
    layers: list[LayerTime] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(layer.seconds for layer in self.layers)

    @property
    def work(self) -> int:
        return sum(layer.work for layer in self.layers)

    @property
    def bytes_moved(self) -> int:
        return sum(layer.bytes_moved for layer in self.layers)

    @property
    def ridge(self) -> float:
        """The intensity (FLOP per byte) above which a layer is compute-bound."""
        return self.peak / self.bandwidth

    @property
    def images_per_second(self) -> float:
        return self.batch / self.seconds if self.seconds else float("inf")


def roofline(analysis: Analysis, device: str | Device) -> Roofline:
    chip = get_device(device) if isinstance(device, str) else device
    peak = chip.peak_for(analysis.dtype)
    width = DTYPE_BYTES[analysis.dtype]
    batch = analysis.batch
    result = Roofline(chip, analysis.dtype, batch, peak, chip.bandwidth)
    for cost in analysis.layers:
        site, layer = cost.site, cost.layer
        ops = layer.work(site) * batch
        moved = layer.traffic(site) * width * batch + cost.param_bytes
        if ops == 0 and moved == 0:  # a view: nothing computed, nothing moved
            result.layers.append(LayerTime(cost.name, cost.kind, 0, 0, 0.0, 0.0, "-"))
            continue
        compute, memory = ops / peak, moved / chip.bandwidth
        bound = "compute" if compute >= memory else "memory"
        result.layers.append(LayerTime(cost.name, cost.kind, ops, moved, ops / moved if moved else 0.0,
                                       max(compute, memory), bound))
    return result
