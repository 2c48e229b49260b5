"""`archspec explain --formula` as text and JSON."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..costs.closed_form import QUANTITIES, Bilinear, ClosedForm, Form, Polynomial, ProbeModel

LABELS = {"flops": "FLOPs", "macs": "MACs", "feature_bytes": "feature bytes"}
# Up to this many classes of square inputs per quantity are listed as they
# are; more (ResNet-50's 224) are summed up in a line, and `--classes` lists them.
FEW_CLASSES = 8


def residues_text(residues: list[int]) -> str:
    """[0, 1, 2, 5] -> '0–2, 5'."""
    runs: list[list[int]] = []
    for r in residues:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


def render_text(cf: ClosedForm, model_name: str, classes: bool = False) -> str:
    """The totals as formulas: the multiples of the total stride first, then
    the classes of square inputs when they are few or `classes` asks for
    them, else one line on what the other sizes' formulas have in common."""
    if cf.tokens:
        return _tokens_text(cf, model_name)
    s, (h0, w0) = cf.stride, cf.model.min_size
    lines = [f"{model_name}: totals as exact formulas in the input height H, width W and batch B",
             f"({cf.convention} FLOPs, MACs, {cf.dtype} feature bytes{', up to ' + cf.upto if cf.upto else ''})",
             (f"total stride S = {s}; each formula holds at every size of its residue class "
              "(H mod S, W mod S) from the size shown with it, wherever the network runs "
              f"(at every N x N from {cf.model.square_start}; the per-size model holds from "
              f"H = {h0}, W = {w0})."),
             "",
             f"H and W multiples of {s}{_from_text(cf, 0, 0)}:"]
    multiples = cf.forms([(0, 0)])[0]
    for quantity in QUANTITIES:
        if multiples:
            lines.append(f"  {LABELS[quantity]:<13} = B · ({multiples[quantity].render()})")
    why = ("some layer cannot take those sizes" if isinstance(cf.model, ProbeModel) else
           "branches that meet disagree in size")
    if not multiples:
        lines.append(f"  the network does not run ({why})")
    never = [r for r in range(s) if not cf.runs(r, r)]
    if never:
        lines += ["", (f"It does not run at all when N mod {s} is {residues_text(never)} for N x N inputs "
                  f"({why}).")]
    groups = {quantity: cf.square_groups(quantity) for quantity in QUANTITIES}
    if classes or max(len(g) for g in groups.values()) <= FEW_CLASSES:
        lines += ["", f"Square inputs N x N, by N mod {s} (each from the N shown):"]
        for quantity in QUANTITIES:
            lines.append(f"  {LABELS[quantity]}:")
            for residues, form, start in groups[quantity]:
                lines.append(f"    N ≡ {residues_text(residues)} (from {start}): "
                             f"B · ({form.render(('N²', 'N', ''))})")
        listed = "every class." if s <= 64 else "the classes of square inputs."
        if _polynomial(cf):
            lines += ["", f"Any H x W: a polynomial of degree 2 or less in each of H and W (attention's N² of "
                      f"H·W tokens), its coefficients depending on (H mod {s}, W mod {s}); "
                      f"`--format json` lists {listed}"]
        else:
            lines += ["", f"Any H x W: a·H·W + b·H + c·W + d with a the same in every class and b, c, d "
                      f"depending on (H mod {s}, W mod {s}); `--format json` lists {listed}"]
    else:
        lines += ["", *_other_sizes(cf, groups)]
    if cf.upper is not None:
        lines.append(f"The network runs at no side above {cf.upper}.")
    return "\n".join(lines) + "\n"


def _per_pixel(value: Fraction) -> str:
    """A per-pixel coefficient as a decimal a reader can multiply with: 82,026 or 5.97."""
    return f"{float(value):,.0f}" if abs(value) >= 100 else f"{float(value):.3g}"


def _other_sizes(cf: ClosedForm, groups: dict[str, list[tuple[list[int], Form, int]]]) -> list[str]:
    """The other sizes in two lines: what their formulas share, and how to see them."""
    s = cf.stride
    count = max(len(g) for g in groups.values())
    ask = (f"`--classes` lists the formulas for square inputs N x N by N mod {s} ({count} of them); "
           f"`--format json` lists {'every class' if s <= 64 else 'the classes of square inputs'}.")
    leading = {q: {f.a for _, f, _ in g if isinstance(f, Bilinear)} for q, g in groups.items()}
    if _polynomial(cf) or any(len(values) != 1 for values in leading.values()):
        return [(f"Other sizes: a polynomial of degree 2 or less in each of H and W, its coefficients "
                 f"depending on (H mod {s}, W mod {s})."), ask]
    per_pixel = [f"{_per_pixel(next(iter(leading[q])))} {LABELS[q]}" for q in QUANTITIES]
    return [(f"Other sizes: a·H·W + b·H + c·W + d, the same a in every class (about {per_pixel[0]}, "
             f"{per_pixel[1]} and {per_pixel[2]} per input pixel and image), b, c and d depending on "
             f"(H mod {s}, W mod {s})."), ask]


def _polynomial(cf: ClosedForm) -> bool:
    """Whether some class's totals are beyond bilinear (so far fitted)."""
    return any(isinstance(f, Polynomial) for forms in cf.forms([(0, 0)]) for f in forms.values())


def _tokens_text(cf: ClosedForm, model_name: str) -> str:
    """A token sequence: each total a polynomial in its length N."""
    s = cf.stride
    until = f" to {cf.upper:,}" if cf.upper is not None else " up"
    lines = [f"{model_name}: totals as exact formulas in the sequence length N and batch B",
             f"({cf.convention} FLOPs, MACs, {cf.dtype} feature bytes{', up to ' + cf.upto if cf.upto else ''})"]
    classes = [r for r in range(s) if cf.runs(r, r)]
    if s == 1:
        start = cf.start(0, 0)[0]
        lines += [f"each holds at every length N from {start:,}{until}:", ""]
        forms = cf.forms([(0, 0)])[0]
        lines += [f"  {LABELS[q]:<13} = B · ({forms[q].render()})" for q in QUANTITIES]
    else:
        lines.append(f"by N mod {s}, each from the N shown{', up to ' + format(cf.upper, ',') if cf.upper else ''}:")
        for q in QUANTITIES:
            lines.append(f"  {LABELS[q]}:")
            for r, forms in zip(classes, cf.forms([(r, r) for r in classes])):
                lines.append(f"    N ≡ {r} (from {cf.start(r, r)[0]:,}): B · ({forms[q].render()})")
    if cf.upper is not None:
        lines += ["", f"It runs at no length above {cf.upper:,} (a layer's table holds no more positions)."]
    return "\n".join(lines) + "\n"


def _from_text(cf: ClosedForm, rh: int, rw: int) -> str:
    if not cf.runs(rh, rw):
        return ""
    h, w = cf.start(rh, rw)
    return f" (from {h} x {w})"


def render_json(cf: ClosedForm, model_name: str) -> dict[str, Any]:
    s = cf.stride
    if cf.tokens:
        classes = [r for r in range(s) if cf.runs(r, r)]
        return {
            "model": model_name, "convention": cf.convention, "dtype": cf.dtype, "upto": cf.upto,
            "stride": s, "to": cf.upper,
            "form": "batch * (sum of c * N^i), per class N mod stride, coefficients keyed by monomial",
            "classes": [{"n_mod": r, "from": cf.start(r, r)[0], **{q: f[q].as_strings() for q in QUANTITIES}}
                        for r, f in zip(classes, cf.forms([(r, r) for r in classes]))],
        }
    pairs = [(rh, rw) for rh in range(s) for rw in range(s)] if s <= 64 else [(r, r) for r in range(s)]
    forms = cf.forms(pairs)
    return {
        "model": model_name,
        "convention": cf.convention,
        "dtype": cf.dtype,
        "upto": cf.upto,
        "stride": s,
        "min_size": list(cf.model.min_size),
        "form": ("batch * (sum of c * H^i * W^j), per class (H mod stride, W mod stride), coefficients keyed "
                 "by monomial" if _polynomial(cf) else
                 "batch * (a*H*W + b*H + c*W + d), per class (H mod stride, W mod stride)"),
        "classes": [{"h_mod": rh, "w_mod": rw, "runs": bool(f),
                     "from": list(cf.start(rh, rw)) if f else None,
                     **{q: f[q].as_strings() for q in QUANTITIES if f}}
                    for (rh, rw), f in zip(pairs, forms)],
    }
