"""Roofline time: how long each layer takes on a device if it runs at the
lesser of the device's arithmetic peak and its memory bandwidth.

For each layer (docs/memory.md states the model):

* work   = operations it executes, a multiply-add counted as 2: 2 x MACs plus
           one addition per output for a bias (conv, deconv, fc); batch norm
           one multiply-add per element (run unfused, as eager frameworks do);
           every other layer the reference's per-element count (burden rules);
* bytes  = its inputs read + its output written (batch x elements x dtype
           width) + its parameters and buffers read once per batch; views
           (reshape, flatten, dropout at inference) move nothing;
* time   = max(work / peak FLOP/s, bytes / bandwidth); the layer is compute-
           bound when the first term is the larger;
* total  = the sum over layers: no overlap between layers, no launch overhead,
           no caches, every layer at its roof.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from pathlib import Path

from .conventions import BURDEN, Site
from .devices import Device, get_device
from .engine import DTYPE_BYTES, Analysis
from .errors import ArchError
from .graph import Graph
from .liveness import VIEW_RULES
from .sites import layer_sites

MAC_RULES = frozenset({"conv", "deconv"})


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


def work(site: Site) -> int:
    if site.layer.counts_as in MAC_RULES:
        return 2 * site.macs + site.bias
    if site.layer.counts_as == "bn":  # run as its own kernel: one multiply-add per element
        return 2 * site.inp
    return BURDEN.flops(site)


def roofline(graph: Graph, analysis: Analysis, device: str | Device) -> Roofline:
    chip = get_device(device) if isinstance(device, str) else device
    peak = chip.peak_for(analysis.dtype)
    width = DTYPE_BYTES[analysis.dtype]
    batch = analysis.batch
    result = Roofline(chip, analysis.dtype, batch, peak, chip.bandwidth)
    for cost, site in layer_sites(graph, analysis):
        if site.layer.counts_as in VIEW_RULES:
            result.layers.append(LayerTime(cost.name, cost.kind, 0, 0, 0.0, 0.0, "-"))
            continue
        ops = work(site) * batch
        moved = (sum(prod(s) for s in site.inputs) + site.out) * width * batch + cost.param_bytes
        compute, memory = ops / peak, moved / chip.bandwidth
        bound = "compute" if compute >= memory else "memory"
        result.layers.append(LayerTime(cost.name, cost.kind, ops, moved, ops / moved if moved else 0.0,
                                       max(compute, memory), bound))
    return result


def plot_roofline(result: Roofline, path: str | Path, title: str = "") -> None:
    """Log-log roofline: the device's roofs, and each layer at its intensity
    and attained rate (work / time).  Needs the plot extra (matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ArchError("the roofline plot needs matplotlib: pip install 'archspec[plot]'") from None
    points = [layer for layer in result.layers if layer.seconds > 0 and layer.work > 0]
    if not points:
        raise ArchError("no layer does any arithmetic: nothing to plot")
    low = min(min(p.intensity for p in points), result.ridge) / 4
    high = max(max(p.intensity for p in points), result.ridge) * 4
    xs = [low * (high / low) ** (i / 200) for i in range(201)]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    ax.plot(xs, [min(result.peak, result.bandwidth * x) for x in xs], color="black", lw=1.5,
            label=f"roof: {result.peak / 1e12:g} TFLOP/s, {result.bandwidth / 1e9:g} GB/s")
    kinds = sorted({p.kind for p in points})
    for kind in kinds:
        mine = [p for p in points if p.kind == kind]
        ax.scatter([p.intensity for p in mine], [p.work / p.seconds for p in mine], s=14,
                   alpha=0.8, label=kind)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel("attained FLOP/s")
    ax.set_title(title or f"{result.device.title}, {result.dtype}, batch {result.batch}")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:  # an unwritable path or an unknown file type
        raise ArchError(f"cannot write the roofline plot to {path}: {exc}") from None
    finally:
        plt.close(fig)
