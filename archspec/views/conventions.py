"""`archspec conventions`: totals under every convention, as text and JSON."""

from __future__ import annotations

from ..costs.compare_conventions import Comparison


def render_json(c: Comparison) -> str:
    import json

    doc = {
        "model": c.model, "input": {"size": list(c.size), "batch": c.batch},
        "conventions": {conv.name: {"unit": conv.unit, "source": conv.source, "total": c.totals[conv.name],
                                    "params": c.params[conv.name], "baseline": c.baseline(conv),
                                    "gaps": dict(c.gaps(conv))} for conv in c.conventions},
        "kinds": [{"kind": r.kind, "layers": r.layers, "counts": r.counts} for r in c.kinds],
    }
    return json.dumps(doc, indent=1) + "\n"


def render(c: Comparison) -> str:
    names = [conv.name for conv in c.conventions]
    header = ["kind", "layers"] + names
    rows = [[r.kind, str(r.layers)] + [f"{r.counts[n]:,}" for n in names] for r in c.kinds]
    rows.append(["total", str(sum(r.layers for r in c.kinds))] + [f"{c.totals[n]:,}" for n in names])
    rows.append(["unit", ""] + ["FLOP*" if conv.unit.startswith("FLOPs (") else conv.unit
                                for conv in c.conventions])
    rows.append(["params", ""] + [f"{c.params[n]:,}" for n in names])
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                         for i, cell in enumerate(row)).rstrip()

    h, w = c.size
    out = [f"{c.model or '(unnamed)'}: {h} x {w}, batch {c.batch}", "",
           line(header), "  ".join("-" * x for x in widths)]
    out += [line(r) for r in rows]
    out += ["", ("FLOP* = the reference's FLOPs, a multiply-add counted once; "
                 "params of the peers leave out BN running statistics"), "", "gaps, per layer kind:"]
    for conv in c.conventions:
        base = c.baseline(conv)
        if conv.name == base:
            continue
        gaps = c.gaps(conv)
        terms = " ".join(f"{'+' if d >= 0 else '-'} {abs(d):,} {kind}" for kind, d in gaps)
        out.append(f"  {conv.name:9} = {base} {terms}".rstrip())
    return "\n".join(out) + "\n"
