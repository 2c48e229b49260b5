"""The roofline as a figure (needs the plot extra, matplotlib)."""

from __future__ import annotations

from pathlib import Path

from ..costs.roofline import Roofline
from ..errors import ArchError
from ..files import save_figure


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
        save_figure(fig, Path(path), "plot")
    finally:
        plt.close(fig)
