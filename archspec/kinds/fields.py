"""Validated argument types shared by the layer kinds."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Positive = Annotated[int, Field(gt=0)]
NonNegative = Annotated[int, Field(ge=0)]
# kernel, stride, dilation: k or (kh, kw)
Size = Positive | tuple[Positive, Positive]
# output_padding: e or (eh, ew), rows and columns a transposed convolution adds
Extra = NonNegative | tuple[NonNegative, NonNegative]
# p, (ph, pw) or (top, bottom, left, right): MatConvNet's order
Pad = NonNegative | tuple[NonNegative, NonNegative] | tuple[NonNegative, NonNegative, NonNegative, NonNegative]

# How each multi-form type is described in error messages.
FORMS: dict[object, str] = {
    Size: "a positive whole number or (height, width)",
    Size | None: "a positive whole number or (height, width)",
    Pad: "p, (ph, pw) or (top, bottom, left, right), whole numbers >= 0",
    Extra: "a whole number >= 0 or (height, width)",
}
