"""The six complete example reports (tests/data/example_reports.json), from
the engine: the header figures at the reference size, and every per-scale row
of the feature layer for a batch of 128 (input sizes computed as the
reference does: round(size x scale) per side, halves away from zero)."""

from __future__ import annotations

import pytest
from reference import SPECS, example_reports, scaled, trunks

from archspec import analyze, load
from archspec.views.units import readable_flops, readable_memory

REPORTS = example_reports()


@pytest.mark.parametrize("model", sorted(REPORTS))
def test_example_report(model: str) -> None:
    report = REPORTS[model]
    spec = load(SPECS / f"{model}.arch")
    assert spec.metadata.features == report["trunk"]
    full = analyze(spec).totals
    assert (readable_memory(full.param_bytes), readable_memory(full.feature_bytes),
            readable_flops(full.flops)) == (report["params_mem"], report["feat_mem"], report["flops"])
    h, w = (int(side) for side in report["input_size"].split(" x "))
    scales = trunks()[model][1] if model in trunks() else (0.5, 1, 1.5, 2, 2.5, 3)
    rows = []
    for scale in scales:
        size = scaled((h, w), scale)
        trunk = analyze(spec, size=size, batch=report["batch"], upto=report["trunk"]).totals
        c, fh, fw = trunk.output_shape
        rows.append({"input": f"{size[0]} x {size[1]}", "feature": f"{fh} x {fw} x {c}",
                     "feat_mem": readable_memory(trunk.feature_bytes), "flops": readable_flops(trunk.flops)})
    assert rows == report["scales"]
