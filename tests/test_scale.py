"""Large specs: what the work that makes them fast must not change.  (How fast
they are is measured in benchmarks/, never asserted here.)"""

from __future__ import annotations

from archspec import loads


def test_repeated_bare_layers_are_numbered_past_names_already_taken() -> None:
    # Bare layers of one kind at the top level are named `relu`, `relu_2`, `relu_3`, ...
    # skipping a name the spec gave itself (`relu_3` below): the numbering resumes where
    # it left off rather than searching from 2 each time, and gives the same names.
    spec = loads("input 3 x 8 x 8\nrelu\nrelu_3 = relu\nrelu\nrelu\nb = relu > relu\nrelu\n")
    assert [n.name for n in spec.nodes] == ["input", "relu", "relu_3", "relu_2", "relu_4", "b.relu1",
                                            "b.relu2", "relu_5"]


def test_numbered_block_instances_share_the_numbering_with_layers() -> None:
    # A bare block call is named after its block; a second call, and a layer of that name, are numbered.
    spec = loads("input 3 x 8 x 8\nblock unit() {\n  relu\n}\nunit\nunit\nunit_2_x = relu\nunit\n")
    assert [n.name for n in spec.nodes] == ["input", "unit.relu", "unit_2.relu", "unit_2_x", "unit_3.relu"]
