"""Layers of object detectors (SSD, Faster R-CNN, R-FCN).

Their shapes follow the MatConvNet layers that measured the reference table
(mcnSSD's `vl_nnscalenorm`, `vl_nnpriorbox`, `vl_nnmultiboxdetector`;
mcnFasterRCNN's `vl_nnproposalrpn`, `vl_nnroipool`; mcnRFCN's
`vl_nnpsroipool`).  Apart from the L2 normalisation, the reference prices
them at 0 FLOPs, but every output is allocated.

Regions of interest.  After a proposal layer the work is per region, not per
image.  A shape here is one image's C x H x W, so the R regions of one image
are laid side by side along the width: the proposals are 5 x 1 x R (batch
index and box corners, one column per region), and ROI pooling to k x k gives
C x k x (k*R).  A per-region fully connected layer is then a k x k convolution
with stride k (`conv(4096, 7, stride=7)`), which has exactly the weights,
output elements and FLOPs of the per-region layer.
"""

from __future__ import annotations

from math import prod
from typing import Annotated

from pydantic import Field

from .base import NEW, Arity, Backward, Example, Layer, per_convention
from .families import NoParameters, collapse_line
from .fields import Positive, Size
from .formula import ZERO, Const, Formula, Uncounted
from .normalization import NORMALISE_ACROSS_CHANNELS
from .shape import IMAGE, SAME, Shape, ShapeError, pair, show
from .terms import INPUTS, OUT, C

Scale = Annotated[float | int, Field(gt=0, le=1)]

BOX = 5  # a region: batch index, x1, y1, x2, y2

NOT_PRICED = per_convention(  # burden.m: "too inaccurate"; torchvision.ops post-processing no peer counts
    burden=Uncounted("the reference does not price detector layers"),
    fvcore=Uncounted("detector post-processing: not counted"),
    ptflops=Uncounted("detector post-processing: not counted"),
    thop=Uncounted("detector post-processing: not counted"),
    calflops=Uncounted("detector post-processing: not counted"),
)


class _DetectorLayer(NoParameters, Layer):
    """What the detectors' bookkeeping layers share: no arithmetic anyone
    counts, no trained weights, shapes of their own."""

    category = "detection"
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = IMAGE
    macs = ZERO
    flops = NOT_PRICED
    work = ZERO
    traffic = INPUTS + OUT

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return collapse_line(inputs, output)


class L2Norm(Layer):
    """L2 normalisation across channels at each position, then a learnt
    per-channel scale (SSD's Caffe `Normalize`, MatConvNet `vl_nnscalenorm`).
    The reference prices it like LRN: out + (2 + 2C) x H x W."""

    kind = "l2norm"
    summary = "L2 normalisation across channels with a learnt per-channel scale (SSD Normalize)"
    category = "normalisation"
    positional = ()
    arity = Arity(1, 1)
    example = Example(((8, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        burden=NORMALISE_ACROSS_CHANNELS,
        fvcore=Uncounted("F.normalize is not counted"),
        ptflops=Uncounted("F.normalize is not patched"),
        thop=Uncounted("F.normalize is not a module"),
        calflops=Uncounted("F.normalize is not patched"),
    )
    backward = Backward(keeps_inputs=True, keeps_output=True, input_grad=3 * OUT, weight_grad=OUT)
    work = NORMALISE_ACROSS_CHANNELS
    traffic = INPUTS + OUT

    channel_shared: bool = False  # one scale for all channels (Caffe's option)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return []

    def learnable(self) -> dict[str, Formula]:
        return {"scale": Const(1) if self.channel_shared else C}

    def buffers(self) -> dict[str, Formula]:
        return {}


class PriorBox(_DetectorLayer):
    """SSD prior (default) boxes for one feature map: `priors` boxes at each
    of its H x W positions, each four corners plus four variances.  The image
    may be given as a second input (it only scales the coordinates).

    Output 4*H*W*priors x 2 x 1: the corners and the variances, as
    `vl_nnpriorbox` returns them (one set for the whole batch)."""

    kind = "priorbox"
    positional = ("priors",)
    arity = Arity(1, 2)
    example = Example(((8, 3, 5),), {"priors": 4})
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # not trained through
    summary = "SSD prior boxes: 4 x H x W x priors corners and as many variances"

    priors: Positive

    def output_shape(self, inputs: list[Shape]) -> Shape:
        _, h, w = inputs[0]
        return 4 * h * w * self.priors, 2, 1


class Proposal(_DetectorLayer):
    """Region proposal (Faster R-CNN's `proposal`, `vl_nnproposalrpn`).

    Inputs: the anchor scores (2A x H x W, background and object per anchor),
    the box deltas (4A x H x W) and optionally `im_info`.  It keeps the best
    `rois` boxes after NMS; how many survive depends on the image, so the
    spec states the count (the test-time cap is 300).  The count does not
    follow the map size (a real map yields at most its A x H x W anchors):
    that keeps every size rule per axis, which the closed forms rely on.
    Output 5 x 1 x rois: one column per region."""

    kind = "proposal"
    positional = ("rois",)
    arity = Arity(2, 3)
    example = Example(((18, 4, 5), (36, 4, 5)), {"rois": 10})
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # not trained through
    summary = "region proposals: `rois` regions of 5 numbers (a count the spec states)"

    rois: Positive = 300

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (scores, h, w), (deltas, dh, dw) = inputs[0], inputs[1]
        if scores % 2 or deltas != 2 * scores:
            raise ShapeError(f"scores {show(inputs[0])} and box deltas {show(inputs[1])} must have "
                             "2A and 4A channels for A anchors")
        if (h, w) != (dh, dw):
            raise ShapeError(f"scores {show(inputs[0])} and box deltas {show(inputs[1])} differ in "
                             "height or width")
        if len(inputs) == 3 and prod(inputs[2]) != 3:
            raise ShapeError(f"im_info must hold 3 numbers (height, width, scale), got {show(inputs[2])}")
        return BOX, 1, self.rois


def _regions(rois: Shape) -> int:
    if rois[0] != BOX or rois[1] != 1:
        raise ShapeError(f"regions must be {BOX} x 1 x R (a proposal layer's output), got {show(rois)}")
    return rois[2]


class ROIPool(_DetectorLayer):
    """Max pooling of each region of interest to a fixed size x size grid
    (Fast/Faster R-CNN, `vl_nnroipool`).  Inputs: features and regions.
    Output C x size x (size * R)."""

    kind = "roipool"
    positional = ("size",)
    arity = Arity(2, 2)
    example = Example(((8, 6, 7), (5, 1, 3)), {"size": 2})
    # int64 argmax indices, as PyTorch keeps them; each output gradient goes to one input
    backward = Backward(saved_bytes=8 * OUT, input_grad=OUT, weight_grad=ZERO)
    summary = "ROI max pooling to k x k per region; regions side by side along the width"

    size: Size = 7
    scale: Scale = 1 / 16  # feature stride: region corners are in image pixels

    def output_shape(self, inputs: list[Shape]) -> Shape:
        r = _regions(inputs[1])
        kh, kw = pair(self.size, "size")
        return inputs[0][0], kh, kw * r


class PSROIPool(_DetectorLayer):
    """Position-sensitive ROI pooling (R-FCN, `vl_nnpsroipool`): the input has
    out x size x size score maps; bin (i, j) of a region averages its own map.
    Output out x size x (size * R)."""

    kind = "psroipool"
    positional = ("out", "size")
    arity = Arity(2, 2)
    example = Example(((18, 6, 7), (5, 1, 3)), {"out": 2, "size": 3})
    backward = Backward(input_grad=OUT, weight_grad=ZERO)
    summary = "position-sensitive ROI pooling: out x k x k per region from out*k*k maps"

    out: Positive
    size: Positive = 7
    scale: Scale = 1 / 16

    def output_shape(self, inputs: list[Shape]) -> Shape:
        r = _regions(inputs[1])
        c = inputs[0][0]
        if c != self.out * self.size ** 2:
            raise ShapeError(f"{self.out} outputs in {self.size}x{self.size} bins need "
                             f"{self.out * self.size ** 2} score maps, got {show(inputs[0])}")
        return self.out, self.size, self.size * r


class DetectionOutput(_DetectorLayer):
    """SSD's final decoding and NMS (`vl_nnmultiboxdetector`).  Inputs: the
    concatenated box offsets (4P values for P priors), class scores
    (classes x P) and priors (8P: corners and variances).  Output
    keep_top_k x 6 (label, score, corners), allocated at full size."""

    kind = "detection_output"
    positional = ("classes",)
    arity = Arity(3, 3)
    example = Example(((16, 1, 1), (12, 1, 1), (32, 1, 1)), {"classes": 3, "keep_top_k": 5})
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # not trained through
    summary = "SSD detections: keep_top_k x 6 from box offsets, class scores and priors"

    classes: Positive = 21
    keep_top_k: Positive = 200  # vl_nnmultiboxdetector's default

    def output_shape(self, inputs: list[Shape]) -> Shape:
        loc, conf, priors = (prod(s) for s in inputs)
        boxes = loc // 4
        if loc % 4 or conf != self.classes * boxes or priors != 8 * boxes:
            raise ShapeError(f"box offsets ({loc} values), class scores ({conf}) and priors "
                             f"({priors}) do not describe the same boxes: they must be 4P, "
                             f"{self.classes}P and 8P")
        return 1, self.keep_top_k, 6


__all__ = ["DetectionOutput", "L2Norm", "PSROIPool", "PriorBox", "Proposal", "ROIPool"]
