"""Every row of the reference table, reproduced from its spec at the
reference's rounding (figures from tests/data/burden_table.csv)."""

from __future__ import annotations

import pytest
from reference import SPECS, table, trunks

from archspec import analyze, load
from archspec.views.units import readable_flops, readable_memory

ROWS = table()


@pytest.mark.parametrize("row", ROWS, ids=[r.model for r in ROWS])
def test_table_row(row):  # type: ignore[no-untyped-def]
    spec = load(SPECS / f"{row.model}.arch")
    result = analyze(spec, size=row.input_size)
    assert (readable_memory(result.totals.param_bytes), readable_memory(result.totals.feature_bytes),
            readable_flops(result.totals.flops)) == (row.param_mem, row.feat_mem, row.flops)


@pytest.mark.parametrize("row", ROWS, ids=[r.model for r in ROWS])
def test_spec_metadata_names_the_reference_feature_layer(row):  # type: ignore[no-untyped-def]
    spec = load(SPECS / f"{row.model}.arch")
    layer, _ = trunks()[row.model]
    assert spec.metadata.model == row.model
    assert spec.metadata.features == layer
    spec.find(layer)  # addressable


@pytest.mark.parametrize("row", ROWS, ids=[r.model for r in ROWS])
def test_feature_layer_works_at_every_report_scale(row):  # type: ignore[no-untyped-def]
    """The held-back reports measure the feature layer at every scale of
    trunks.csv; each must analyse (a positive, finite cost and a real shape)."""
    from reference import scaled

    spec = load(SPECS / f"{row.model}.arch")
    layer, scales = trunks()[row.model]
    previous = 0
    for scale in scales:
        result = analyze(spec, size=scaled(row.input_size, scale), batch=128, upto=layer)
        assert result.totals.flops > previous
        assert min(result.totals.output_shape) >= 1
        previous = result.totals.flops
