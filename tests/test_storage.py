"""Storage that depends on a layer's arguments (Layer.storage_of): an in-place
residual add, a ReLU that is not in place, stochastic depth at p = 0 and an
in-place dropout, checked by hand on small graphs.  float32: a 2 x 4 x 4 tensor
is 32 floats, 128 bytes; a 1 x 4 x 4 tensor 64 bytes."""

from __future__ import annotations

import pytest

from archspec import analyze, loads
from archspec.costs.memory import liveness
from archspec.costs.training import training
from archspec.errors import ArchError
from archspec.kinds import REGISTRY
from archspec.kinds.base import IN_PLACE, NEW, VIEW, Storage

# A post-activation residual unit on a 2 x 4 x 4 input, written as torchvision's
# BasicBlock runs it: x = conv > relu (the unit's input); the main path narrows to
# one channel and back; `out += identity`, then the ReLU.
UNIT = """input 2 x 4 x 4
x = conv(2, 1) > relu
m = conv(1, 1) > relu > conv(2, 1)
y = add(m, x{}) > relu
"""


def unit(inplace: bool) -> str:
    return UNIT.format(", inplace=true" if inplace else "")


def test_residual_unit_with_a_new_tensor_sum() -> None:
    """x.conv allocates 128 (live 128); x.relu is in place (128); m.conv1 64 (192);
    m.relu in place (192); m.conv2 128 (320), then m.conv1's buffer is freed (256);
    the add allocates 128 (384), then x and m are freed (128); y.relu in place (128).
    Peak 384 at the add."""
    result = liveness(analyze(loads(unit(False))))
    assert [s.allocated_bytes for s in result.steps] == [128, 0, 64, 0, 128, 128, 0]
    assert [s.live_bytes for s in result.steps] == [128, 128, 192, 192, 320, 384, 128]
    assert (result.peak_bytes, result.peak_layer) == (384, "y.add")


def test_residual_unit_with_an_in_place_sum() -> None:
    """`out += identity`: nothing after the add reads m.conv2's output, so the sum is
    written over it: the add allocates nothing and runs with x and m live, 256; then x
    is freed (128).  Peak 320 at m.conv2, where the narrow path is still live."""
    result = liveness(analyze(loads(unit(True))))
    assert [s.allocated_bytes for s in result.steps] == [128, 0, 64, 0, 128, 0, 0]
    assert [s.live_bytes for s in result.steps] == [128, 128, 192, 192, 320, 256, 128]
    assert (result.peak_bytes, result.peak_layer) == (320, "m.conv2")
    assert liveness(analyze(loads(unit(True)), batch=3)).peak_bytes == 3 * 320


def test_the_in_place_sum_leaves_the_references_feature_memory() -> None:
    """The reference's accounting (feature memory, the no-reuse sum) follows the kind:
    MatConvNet's sum is a new array either way.  Conv 128 + ReLU 0 (written over its
    only reader's input) + 64 + 0 + 128 + the sum 128 + ReLU 0 = 448."""
    for inplace in (False, True):
        analysis = analyze(loads(unit(inplace)))
        assert analysis.totals.feature_bytes == liveness(analysis).no_reuse_bytes == 448


def test_an_in_place_sum_whose_first_input_is_still_needed_allocates() -> None:
    """add(x, m, inplace=true) would write over x, which the last conv still reads: it
    allocates 128 B, as a framework must (PyTorch would raise or copy)."""
    spec = loads("input 2 x 4 x 4\nx = conv(2, 1)\nm = conv(2, 1)\ny = add(x, m, inplace=true)\n"
                 "z = concat(y, x)\n")
    assert [s.allocated_bytes for s in liveness(analyze(spec)).steps] == [128, 128, 128, 256]


def test_in_place_sum_in_training() -> None:
    """Training the unit, batch 1: kept for backward are x's buffer (x.relu keeps its
    output, m.conv1 its input) 128, m's narrow buffer (m.relu's output, m.conv2's input)
    64, and y.relu's output 128 -- which is the add's buffer, written over m.conv2's
    output when the add is in place (nothing keeps m.conv2's output: the add's backward
    needs no input).  320 bytes either way; the in-place sum saves one buffer that
    nothing keeps, which training's liveness shows: 128 allocated bytes fewer."""
    for inplace in (False, True):
        analysis = analyze(loads(unit(inplace)))
        assert training(analysis).activation_bytes == 320
    fresh = {inplace: sum(s.allocated_bytes for s in liveness(analyze(loads(unit(inplace))), training=True).steps)
             for inplace in (False, True)}
    assert fresh == {False: 448, True: 320}


def test_a_relu_that_is_not_in_place_allocates() -> None:
    """nn.ReLU() (torchvision's squeeze-and-excitation): conv 128, its ReLU a new 128 B
    (live 256), then the conv's output is freed; the second conv 128 (live 256).  The
    in-place ReLU allocates nothing: live 128, 128, 256."""
    plain = liveness(analyze(loads("input 2 x 4 x 4\nx = conv(2, 1) > relu(inplace=false) > conv(2, 1)\n")))
    in_place = liveness(analyze(loads("input 2 x 4 x 4\nx = conv(2, 1) > relu > conv(2, 1)\n")))
    assert [s.allocated_bytes for s in plain.steps] == [128, 128, 128]
    assert [s.live_bytes for s in plain.steps] == [128, 256, 256]
    assert [s.allocated_bytes for s in in_place.steps] == [128, 0, 128]
    assert [s.live_bytes for s in in_place.steps] == [128, 128, 256]
    # the reference's feature memory is the kind's: the ReLU writes over its only reader's input
    assert plain.no_reuse_bytes == in_place.no_reuse_bytes == 256


def test_stochastic_depth_at_p_0_returns_its_input_in_training() -> None:
    """torchvision's stochastic_depth returns its input when p = 0, in training too: no
    new tensor, no mask, no product.  conv to 2 x 4 x 4 (128 B), droppath, fc to 3.
    p = 0.2: a new 128 B tensor in training; kept: its one-element mask per image (4 B)
    and its output, which the fc keeps (128 B); input gradient 32 (dy times the mask).
    p = 0: the fc keeps the conv's output (128 B); no mask; the gradient passes through."""
    def run(p: float) -> tuple[list[int], int, int]:
        analysis = analyze(loads(f"input 1 x 4 x 4\nx = conv(2, 1) > droppath({p}) > fc(3)\n"))
        steps = liveness(analysis, training=True).steps
        t = training(analysis)
        return [s.allocated_bytes for s in steps], t.activation_bytes, t.layers[1].backward_input_flops
    assert run(0.2) == ([128, 128, 12], 128 + 4, 32)
    assert run(0) == ([128, 0, 12], 128, 0)
    # at inference both are views
    for p in (0, 0.2):
        steps = liveness(analyze(loads(f"input 1 x 4 x 4\nx = conv(2, 1) > droppath({p}) > fc(3)\n"))).steps
        assert [s.allocated_bytes for s in steps] == [128, 0, 12]


def test_stochastic_depth_accepts_p_1_as_torchvision_does() -> None:
    """p = 1 drops every branch (`noise.bernoulli_(0)`, no division): accepted; p > 1 is not."""
    analysis = analyze(loads("input 1 x 4 x 4\nx = conv(2, 1) > droppath(1) > fc(3)\n"))
    assert training(analysis).activation_bytes == 128 + 4
    with pytest.raises(ArchError, match="droppath: p: input should be less than or equal to 1"):
        loads("input 1 x 4 x 4\nx = droppath(1.5)\n")


def test_an_in_place_dropout_writes_over_its_input_in_training() -> None:
    """nn.Dropout(inplace=True): in training its output is written over the conv's
    (which nothing else reads); the mask (32 B, one byte per element) and the output the
    fc keeps (128 B) are kept either way."""
    def run(inplace: bool) -> tuple[list[int], int]:
        option = ", inplace=true" if inplace else ""
        analysis = analyze(loads(f"input 1 x 4 x 4\nx = conv(2, 1) > dropout(0.5{option}) > fc(3)\n"))
        return [s.allocated_bytes for s in liveness(analysis, training=True).steps], training(analysis).activation_bytes
    assert run(False) == ([128, 128, 12], 160)
    assert run(True) == ([128, 0, 12], 160)


@pytest.mark.parametrize("layer, storage", [
    ("relu", IN_PLACE), ("relu(inplace=false)", NEW),
    ("add(a, b, inplace=true)", IN_PLACE), ("add(a, b)", NEW),
    ("droppath(0)", VIEW), ("droppath(0.1)", Storage("view", "new")), ("droppath(1)", Storage("view", "new")),
    ("dropout", Storage("view", "new")), ("dropout(inplace=true)", Storage("view", "in place")),
])
def test_storage_of_each_argument(layer: str, storage: Storage) -> None:
    analysis = analyze(loads(f"input 2 x 4 x 4\na = conv(2, 1)\nb = conv(2, 1)\nx = {layer}\n"))
    assert analysis.layers[-1].layer.storage_of() == storage


def test_the_kinds_whose_storage_depends_on_their_arguments() -> None:
    overriding = sorted(kind for kind, cls in REGISTRY.items() if "storage_of" in vars(cls))
    assert overriding == ["add", "dropout", "droppath", "relu"]
