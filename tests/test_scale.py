"""Large specs: what the work that makes them fast must not change.  (How fast
they are is measured in benchmarks/, never asserted here.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archspec import ArchError, analyze, load, loads
from archspec.graph.expand import Expander


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


SPECS = Path(__file__).resolve().parent.parent / "specs"

REPEATS = [
    # a unit repeated: recorded at its second call, replayed from the third
    "input 16 x 8 x 8\nblock unit() {\n  conv(16, 3, pad=1) > bn > relu\n}\nunit x 6\n",
    # arguments, defaults, `in`, a named step, nested blocks and a group, numbered names inside
    "input 8 x 16 x 16\nblock inner(c) {\n  a = conv(c, 1) > relu\n  b = conv(c, 3, pad=1) > relu > relu\n"
    "  add(a, in) > relu as out\n}\nblock outer(c, k=2) {\n  inner(c) x k\n  (relu > relu) as pair\n  relu\n  relu\n}\n"
    "outer(8) x 4\nouter(8, k=3) x 3\nouter(8) x 2\nx = outer(8)\ny = outer(8)\n",
    # a name under the next instance's prefix taken before it is made: that call runs its body
    "input 4 x 8 x 8\nblock unit() {\n  relu > relu\n}\nunit\nunit\nunit\nunit_4 = relu > relu\nunit x 3\n",
    # the input's shape changes between calls: each shape its own record
    "input 4 x 32 x 32\nblock down() {\n  conv(4, 3, stride=2, pad=1) > relu\n}\ndown x 4\nflatten > fc(10)\n",
    # a value defined between calls
    "input 4 x 8 x 8\nparam w = 4\nblock unit() {\n  conv(w, 1)\n}\nunit x 3\nv = 2\nunit x 3\n",
]


def graph_facts(graph: Any) -> tuple[Any, ...]:
    nodes = [(n.name, n.layer, n.inputs, n.location, n.shape, n.fixed, n.layout, n.shares) for n in graph.nodes]
    return (nodes, list(graph.index.items()), list(graph.aliases.items()), graph.reference_shapes, graph.metadata,
            graph.params, graph.blocks, graph.path)


def without_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Expander, "replay_key", lambda self, step, tensor: None)


@pytest.mark.parametrize("text", REPEATS)
def test_a_replayed_block_instance_is_what_its_body_makes(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    replayed = loads(text)
    with monkeypatch.context() as patch:
        without_replay(patch)
        run = loads(text)
    assert graph_facts(replayed) == graph_facts(run)


def test_replay_is_used_and_shares_locations_and_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not vacuous: six calls of one unit record once and replay four times, and a
    replayed layer holds the very location and shape objects of the recorded one."""
    from archspec.graph import replay

    replays = []
    real = replay.replay
    monkeypatch.setattr(replay, "replay", lambda *args: replays.append(args[-2]) or real(*args))
    graph = loads(REPEATS[0])
    # the second call ran the body and recorded it; the third to sixth are its replays
    assert replays == ["unit3", "unit4", "unit5", "unit6"]
    units = [graph.nodes[graph.index[f"unit{k}.conv"]] for k in range(1, 7)]
    assert all(unit.location is units[1].location for unit in units[2:])
    assert graph.reference_shapes[graph.index["unit6.conv"]] is graph.reference_shapes[graph.index["unit2.conv"]]


def test_layers_made_at_one_place_share_one_location() -> None:
    # `relu x 4` makes four layers at line 2, column 1: one Location object, as the
    # analysis shares the figures of layers with the same layer and location objects
    graph = loads("input 3 x 8 x 8\nrelu x 4\nrelu\n")
    first, *others, last = [node.location for node in graph.nodes[1:]]
    assert (first.line, first.column, last.line) == (2, 1, 3)
    assert all(location is first for location in others)
    assert last is not first


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.arch")) + sorted(SPECS.glob("*/*.arch")),
                         ids=lambda p: p.stem)
def test_every_zoo_spec_expands_the_same_with_replay(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replayed = load(spec)
    with monkeypatch.context() as patch:
        without_replay(patch)
        run = load(spec)
    assert graph_facts(replayed) == graph_facts(run)


def layer_facts(analysis: Any) -> list[tuple[Any, ...]]:
    return [(c.name, c.node, c.inputs, c.kind, c.output_shape, c.params, c.buffers, c.flops, c.macs,
             c.feature_bytes, c.param_bytes, c.path, c.line, c.layer, c.input_shapes, c.layout, c.input_layouts,
             c.shared_params, c.shares) for c in analysis.layers]


@pytest.mark.parametrize("batch", [1, 3])
def test_repeated_layers_share_their_figures_and_cost_what_each_costs_alone(
        batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Layers with the same layer and location objects (a unit's layers, made or
    replayed), on equal shapes, share one figures object; every layer's figures
    are those of the network expanded without replay."""
    shared = analyze(loads(REPEATS[0]), batch=batch)
    with monkeypatch.context() as patch:
        without_replay(patch)
        alone = analyze(loads(REPEATS[0]), batch=batch)
    assert layer_facts(shared) == layer_facts(alone)
    assert shared.totals == alone.totals
    by_name = {c.name: c for c in shared.layers}
    # one place in the unit, one layer object, equal shapes: one figures object, made or replayed
    for analysis in (shared, alone):
        relus = [c for c in analysis.layers if c.kind == "relu"]
        assert len(relus) == 6 and all(c.figures is relus[0].figures for c in relus)
    assert by_name["unit1.conv"].figures is not by_name["unit1.relu"].figures
    # the names of a layer's inputs, read from the graph: the unit's conv reads the previous unit's relu
    assert by_name["unit3.conv"].inputs == ["unit2.relu"]
    assert by_name["unit1.conv"].inputs == ["input"]


def test_layers_written_apart_keep_figures_of_their_own() -> None:
    # Equal kinds on equal shapes, written on lines 2 and 3: each figures object names its own line.
    costs = analyze(loads("input 4 x 8 x 8\na = relu\nb = relu\n")).layers
    assert [c.line for c in costs] == [2, 3]
    assert costs[0].figures is not costs[1].figures


def test_a_sweep_over_set_values_parses_each_file_once() -> None:
    from archspec.syntax.parser import parse, parses_remembered

    text = "input 3 x 8 x 8\nrelu\n"
    assert parse(text, "a.arch") is not parse(text, "a.arch")
    with parses_remembered():
        first = parse(text, "a.arch")
        assert parse(text, "a.arch") is first
        assert parse(text, "b.arch") is not first  # another file, another tree (its locations name it)
        assert parse(text + "relu\n", "a.arch") is not first  # the file changed
    assert parse(text, "a.arch") is not first


def test_a_block_call_shares_the_weights_of_a_replayed_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    # t is the output of the third call of unit, a replay (recorded at the second); `shares=t`
    # finds that instance by its output: the conv's 16*16*9 + 16 = 2,320 weights counted once, there
    from archspec.graph import replay

    replays = []
    real = replay.replay
    monkeypatch.setattr(replay, "replay", lambda *args: replays.append(args[-2]) or real(*args))
    unit = "input 16 x 8 x 8\nblock unit() {\n  conv(16, 3, pad=1) > relu\n}\nt = unit x 3\n"
    costs = {c.name: c for c in analyze(loads(unit + "v = t > unit(shares=t)\n")).layers}
    assert replays == ["t.unit3"]
    assert [(costs[n].params, costs[n].shares) for n in ("t.unit3.conv", "v.conv")] == [
        (2320, None), (0, "t.unit3.conv")]
    with pytest.raises(ArchError, match="shares= names the output of an earlier call of block 'unit'"):
        loads(unit + "r = t > relu\nv = r > unit(shares=r)\n")
