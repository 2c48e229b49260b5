"""Total FLOPs, MACs and feature memory as exact formulas in the input size.

Within one residue class of (H, W) modulo the total stride S every layer's
output side is affine in the input side (see side_model.py), and every
counting rule multiplies at most one height by one width, so each total is
exactly

    T(H, W) = B * (a*H*W + b*H + c*W + d)      (a, b, c, d rational)

per class, for every size at which the network runs.  The coefficients are
found exactly from the engine's own figures at four sizes of the class
(H = h0 + S*u, W = w0 + S*v with u, v in {0, 1}) and checked at five more,
so a rule that is not of this form is reported, never silently fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .errors import ArchError
from .graph import Graph
from .side_model import SideModel
from .sweep import grid_costs, side_model

QUANTITIES = ("flops", "macs", "feature_bytes")
LABELS = {"flops": "FLOPs", "macs": "MACs", "feature_bytes": "feature bytes"}
FIT = [(0, 0), (1, 0), (0, 1), (1, 1)]  # (u, v) steps of S the coefficients come from
CHECK = [(2, 0), (0, 2), (2, 1), (1, 2), (2, 2)]  # further sizes that must agree
SHOWN_CLASSES = 32  # square-size classes printed per quantity; JSON has them all


def _number(x: Fraction) -> str:
    text = f"{abs(x.numerator):,}"
    return text if x.denominator == 1 else f"{text}/{x.denominator:,}"


@dataclass(frozen=True)
class Bilinear:
    """a*H*W + b*H + c*W + d."""

    a: Fraction
    b: Fraction
    c: Fraction
    d: Fraction

    def __call__(self, h: int, w: int) -> Fraction:
        return self.a * h * w + self.b * h + self.c * w + self.d

    def render(self, terms: tuple[str, str, str] = ("H·W", "H", "W")) -> str:
        parts = []
        for coefficient, term in zip((self.a, self.b, self.c, self.d), terms + ("",)):
            if coefficient == 0:
                continue
            sign = "−" if coefficient < 0 else "+"
            value = _number(coefficient)
            body = (term if value == "1" and term else f"{value}·{term}" if term else value)
            parts.append((sign, body))
        if not parts:
            return "0"
        first_sign, first = parts[0]
        text = ("−" if first_sign == "−" else "") + first
        return text + "".join(f" {sign} {body}" for sign, body in parts[1:])

    def square(self) -> Bilinear:
        """The same total for N x N inputs, as a*N² + (b+c)*N + d (c slot unused)."""
        return Bilinear(self.a, self.b + self.c, Fraction(0), self.d)

    def as_strings(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in "abcd"}


@dataclass
class ClosedForm:
    graph: Graph
    upto: str | None
    dtype: str
    convention: str
    model: SideModel
    _forms: dict[tuple[int, int], dict[str, Bilinear]] = field(default_factory=dict)

    @property
    def stride(self) -> int:
        return self.model.stride

    def runs(self, rh: int, rw: int) -> bool:
        """Whether the network runs at all in this residue class."""
        return bool(self.model.runs[0][rh] and self.model.runs[1][rw])

    def forms(self, pairs: list[tuple[int, int]]) -> list[dict[str, Bilinear]]:
        """The coefficients of every quantity for each residue class (H mod S,
        W mod S); empty for a class in which the network does not run."""
        for p in pairs:
            if not self.runs(*p):
                self._forms[p] = {}
        missing = sorted({p for p in pairs if p not in self._forms})
        if missing:
            self._fit(missing)
        return [self._forms[p] for p in pairs]

    def form(self, quantity: str, h: int, w: int) -> Bilinear:
        return self.forms([(h % self.stride, w % self.stride)])[0][quantity]

    def evaluate(self, quantity: str, h: int, w: int, batch: int = 1) -> int:
        if not self.model.works(np.array([h]), np.array([w]), self.graph)[0]:
            raise ArchError(f"the network does not run at {h} x {w}: {self.model.failure(h, w)}")
        value = self.form(quantity, h, w)(h, w) * batch
        assert value.denominator == 1
        return int(value)

    def _fit(self, pairs: list[tuple[int, int]]) -> None:
        s, base = self.stride, self.model.base
        steps = FIT + CHECK
        hs = np.array([base + r + s * u for r, _ in pairs for u, _ in steps], dtype=np.int64)
        ws = np.array([base + r + s * v for _, r in pairs for _, v in steps], dtype=np.int64)
        costs = grid_costs(self.graph, hs, ws, self.upto, self.dtype, self.convention)
        count = len(steps)
        for k, (rh, rw) in enumerate(pairs):
            forms = {}
            for quantity in QUANTITIES:
                t = [int(v) for v in costs.totals[quantity][k * count:(k + 1) * count]]
                # T(u, v) = A*u*v + B*u + C*v + D, with integers
                d, b, c = t[0], t[1] - t[0], t[2] - t[0]
                a = t[3] - t[1] - t[2] + t[0]
                for (u, v), value in zip(CHECK, t[len(FIT):]):
                    if a * u * v + b * u + c * v + d != value:
                        raise ArchError(f"{LABELS[quantity]} is not of the form a·H·W + b·H + c·W + d "
                                        f"in the class H ≡ {rh}, W ≡ {rw} (mod {s}); some layer's rule "
                                        "is not bilinear in the input size")
                forms[quantity] = _to_sizes(a, b, c, d, base + rh, base + rw, s)
            self._forms[(rh, rw)] = forms

    def square_groups(self, quantity: str) -> list[tuple[list[int], Bilinear]]:
        """N x N inputs: residues N mod S with the same a*N² + e*N + f, grouped."""
        forms = self.forms([(r, r) for r in range(self.stride)])
        groups: dict[Bilinear, list[int]] = {}
        for r, f in enumerate(forms):
            if f:
                groups.setdefault(f[quantity].square(), []).append(r)
        return [(residues, form) for form, residues in groups.items()]


def _to_sizes(a: int, b: int, c: int, d: int, h0: int, w0: int, s: int) -> Bilinear:
    """Rewrite A*u*v + B*u + C*v + D with u = (H - h0)/S, v = (W - w0)/S in H and W."""
    A, B, C, D = (Fraction(x) for x in (a, b, c, d))
    return Bilinear(
        A / s**2,
        B / s - A * w0 / s**2,
        C / s - A * h0 / s**2,
        D - B * h0 / s - C * w0 / s + A * h0 * w0 / s**2,
    )


def closed_form(graph: Graph, upto: str | None = None, dtype: str = "float32",
                convention: str = "burden") -> ClosedForm:
    return ClosedForm(graph, upto, dtype, convention, side_model(graph, upto))


def residues_text(residues: list[int]) -> str:
    """[0, 1, 2, 5] -> '0–2, 5'."""
    runs: list[list[int]] = []
    for r in residues:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


def first_at_least(value: int, stride: int, residue: int) -> int:
    """The smallest size >= value that is congruent to residue modulo stride."""
    return value + (residue - value) % stride


def render_text(cf: ClosedForm, model_name: str) -> str:
    s, (h0, w0) = cf.stride, cf.model.min_size
    lines = [f"{model_name}: totals as exact formulas in the input height H, width W and batch B",
             f"({cf.convention} FLOPs, MACs, {cf.dtype} feature bytes{', up to ' + cf.upto if cf.upto else ''})",
             (f"total stride S = {s}; each formula holds at every size of its class from "
             f"H >= {h0} and W >= {w0} at which the network runs "
             f"(it runs at every N x N from {cf.model.square_start})."),
             "",
             f"H and W multiples of {s} (from {first_at_least(h0, s, 0)} x {first_at_least(w0, s, 0)}):"]
    multiples = cf.forms([(0, 0)])[0]
    for quantity in QUANTITIES:
        if multiples:
            lines.append(f"  {LABELS[quantity]:<13} = B · ({multiples[quantity].render()})")
    if not multiples:
        lines.append("  the network does not run (branches that meet disagree in size)")
    never = [r for r in range(s) if not cf.runs(r, r)]
    if never:
        lines += ["", (f"It does not run at all when N mod {s} is {residues_text(never)} for N x N inputs "
                  "(branches that meet disagree in size).")]
    lines += ["", f"Square inputs N x N, by N mod {s} (each form from the smallest working N of its class):"]
    for quantity in QUANTITIES:
        lines.append(f"  {LABELS[quantity]}:")
        groups = cf.square_groups(quantity)
        for residues, form in groups[:SHOWN_CLASSES]:
            start = min(first_at_least(max(h0, w0), s, r) for r in residues)
            lines.append(f"    N ≡ {residues_text(residues)} (from {start}): "
                         f"B · ({form.render(('N²', 'N', ''))})")
        if len(groups) > SHOWN_CLASSES:
            lines.append(f"    ... {len(groups) - SHOWN_CLASSES} more classes: `--format json` lists them all")
    lines += ["", f"Any H x W: a·H·W + b·H + c·W + d with a the same in every class and b, c, d "
              f"depending on (H mod {s}, W mod {s}); `--format json` lists "
              + ("every class." if s <= 64 else "the classes of square inputs.")]
    return "\n".join(lines) + "\n"


def render_json(cf: ClosedForm, model_name: str) -> dict:
    s = cf.stride
    pairs = [(rh, rw) for rh in range(s) for rw in range(s)] if s <= 64 else [(r, r) for r in range(s)]
    forms = cf.forms(pairs)
    return {
        "model": model_name,
        "convention": cf.convention,
        "dtype": cf.dtype,
        "upto": cf.upto,
        "stride": s,
        "min_size": list(cf.model.min_size),
        "form": "batch * (a*H*W + b*H + c*W + d), per class (H mod stride, W mod stride)",
        "classes": [{"h_mod": rh, "w_mod": rw, "runs": bool(f),
                     **{q: f[q].as_strings() for q in QUANTITIES if f}}
                    for (rh, rw), f in zip(pairs, forms)],
    }
