"""The analyses `analyze` runs beyond the reference's rules: peak memory
(--memory peak), training (--training, --optimizer, --fit) and roofline time
(--device, --plot).  Heavy modules are imported inside `beyond`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..costs.engine import Analysis
    from ..graph.layer_graph import Graph
    from ..views.beyond import Beyond


class Memory(str, Enum):
    peak = "peak"


def beyond(graph: Graph, size: tuple[int, int] | None, batch: int, upto: str | None, dtype: str,
           convention: str, peak: bool, training: bool, optimizer: str, fit: str | None,
           device: str | None, plot: Path | None) -> tuple[Analysis, Beyond]:
    from ..costs.engine import analyze
    from ..costs.memory import liveness
    from ..errors import ArchError
    from ..views.beyond import Beyond

    extras = Beyond()
    if plot is not None and device is None:
        raise ArchError("--plot draws the roofline: give a --device too")
    if plot is not None:
        from ..files import figure_format

        figure_format(plot, "plot")
    if fit is not None:
        from ..costs.training import fit_batch, parse_bytes

        extras.fit_budget = parse_bytes(fit)
        batch, _ = fit_batch(graph, extras.fit_budget, size, upto, dtype, convention, optimizer)
        training = True
    result = analyze(graph, size, batch, upto, dtype, convention)
    if peak:
        extras.liveness = liveness(result)
    if training:
        from ..costs.training import training as train

        extras.training = train(result, optimizer)
    if device is not None:
        from ..costs.roofline import roofline
        from ..views.roofline_plot import plot_roofline

        extras.roofline = roofline(result, device)
        if plot is not None:
            plot_roofline(extras.roofline, plot, f"{result.model}: {extras.roofline.device.title}, "
                                                 f"{dtype}, batch {batch}")
    return result, extras
