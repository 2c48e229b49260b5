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
states each count that depends on it as a `ByForm`, one formula per form.
The `burden`, `macs` and `flops` conventions never depend on the form: the
registration of the kinds refuses a `ByForm` there (base.check_kind).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .formula import Formula, lift

# What each form is in PyTorch, for explanations and error messages.
MEANINGS = {
    "module": "an nn.Module (hooked by ptflops and thop)",
    "functional": "a torch.nn.functional call (patched by ptflops and calflops)",
    "mean": "the tensor method x.mean([2, 3]) (seen by no tool)",
}


class ByForm(Formula):
    """One count per form of the op (`form=` of the layer): `module`,
    `functional`, `mean`, or a kind's own names (layernorm's `layernorm2d`).
    Written out it lists every form's count; with numbers, only the form the
    layer has, named."""

    def __init__(self, **counts: Formula | int) -> None:
        if len(counts) < 2:
            raise ValueError("ByForm needs a count for at least two forms")
        self.counts = {form: lift(count) for form, count in counts.items()}

    def forms(self) -> tuple[str, ...]:
        return tuple(self.counts)

    def branch(self, site: Any) -> Formula:
        return self.counts[site.layer.form]

    def __call__(self, site: Any) -> Any:
        return self.branch(site)(site)

    def written(self) -> str:
        return "(" + "; ".join(f"{count.written()} as {form}" for form, count in self.counts.items()) + ")"

    def substituted(self, site: Any) -> str:
        return f"{self.branch(site).substituted(site)} (form={site.layer.form})"

    def uncounted(self, site: Any) -> str | None:
        return self.branch(site).uncounted(site)

    def notes(self, site: Any) -> list[str]:
        return self.branch(site).notes(site)

    def parts(self) -> tuple[Formula, ...]:
        return tuple(self.counts.values())


def by_form_in(formula: Formula) -> Iterator[ByForm]:
    """Every ByForm a formula holds, however deep."""
    if isinstance(formula, ByForm):
        yield formula
    for part in formula.parts():
        yield from by_form_in(part)


__all__ = ["MEANINGS", "ByForm", "by_form_in"]
