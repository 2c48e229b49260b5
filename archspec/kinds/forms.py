"""How a PyTorch model writes an op, where a peer tool's count depends on it.

The peer tools count a PyTorch model, and what each of them sees of an op
depends on how the model's code calls it, not on what the op computes:

* `module`: an nn.Module (`nn.ReLU`, `nn.MaxPool2d`, `nn.AdaptiveAvgPool2d`).
  thop and ptflops hook modules by their exact type; the module's forward
  then calls the torch.nn.functional function, which ptflops and calflops
  patch -- so ptflops counts a hooked module whose function it also patches
  twice.
* `functional`: the torch.nn.functional call itself (`F.relu`,
  `F.max_pool2d`, `F.avg_pool2d`, `F.adaptive_avg_pool2d`), as torchvision's
  BasicConv2d, Inception-v3's modules, DenseNet's and MobileNetV2's heads
  write it: ptflops and calflops count their patch once, thop sees nothing.
* `mean`: a tensor method, `x.mean([2, 3])` (MNASNet's and ShuffleNetV2's
  global pool): no tool hooks or patches it, and fvcore's aten::mean has no
  handle.

fvcore and FlopCounterMode trace aten ops and see the module and the function
alike.  A kind whose peer counts depend on the form has a `form` argument
(its default the module, so a spec that says nothing is priced as before) and
states each count that depends on it as a `ByForm`, one formula per form (a
`Cases` keyed by the form: the attention kind writes its own `Cases` over its
forms, the code each implementation stands for).
The `burden`, `macs` and `flops` conventions never depend on the form: the
registration of the kinds refuses a `ByForm` there (base.check_kind).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .formula import Cases, Formula

# What each form is in PyTorch, for explanations and error messages.
MEANINGS = {
    "module": "an nn.Module (hooked by ptflops and thop)",
    "functional": "a torch.nn.functional call (patched by ptflops and calflops)",
    "mean": "the tensor method x.mean([2, 3]) (seen by no tool)",
}


def _form_of(site: Any) -> str:
    form: str = site.layer.form
    return form


class ByForm(Cases):
    """One count per form of the op (`form=` of the layer): `module`,
    `functional`, `mean`, or a kind's own names (layernorm's `layernorm2d`).
    A `Cases` keyed by the layer's form: written out it lists every form's
    count; with numbers, only the form the layer has, named."""

    def __init__(self, **counts: Formula | int) -> None:
        if len(counts) < 2:
            raise ValueError("ByForm needs a count for at least two forms")
        super().__init__("form", _form_of, counts)

    def forms(self) -> tuple[str, ...]:
        return tuple(self.cases)

    def written(self) -> str:
        return "(" + "; ".join(f"{count.written()} as {form}" for form, count in self.cases.items()) + ")"

    def substituted(self, site: Any) -> str:
        return f"{self.branch(site).substituted(site)} (form={site.layer.form})"


def cases_in(formula: Formula) -> Iterator[Cases]:
    """Every Cases (a ByForm among them) a formula holds, however deep."""
    if isinstance(formula, Cases):
        yield formula
    for part in formula.parts():
        yield from cases_in(part)


__all__ = ["MEANINGS", "ByForm", "cases_in"]
