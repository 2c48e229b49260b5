"""Check the bridges against PyTorch (outside the test suite: it needs torch).

    python tools/check_bridges.py --torch-python PYTHON [SPEC_OR_DIR ...] [--keep DIR]

1. Every spec (default: specs/ and its subfolders) is exported as a PyTorch
   file (`archspec export --to pytorch`, stand-ins for the detection layers
   torch has no module for; a spec whose kinds have no PyTorch module is
   refused by name and listed); PYTHON -- an interpreter with torch -- builds
   each model and counts its parameters (model.parameters(): a tied weight
   once) and its buffers (every registered buffer but BatchNorm's
   num_batches_tracked counter, which archspec and the reference leave out:
   BatchNorm's running statistics, attention's relative position index and
   Swin V2's coordinate table), and runs it on zeros at two input sizes: the
   spec's own and the nearest other size that keeps the weights (32 more a
   side first; a token sequence's length).  Each figure must equal
   archspec's.  Where archspec refuses the size 32 more a side (a learnt
   position table bound to its sequence, as ViT's), the torch model must
   raise there too.
2. PYTHON exports torchvision's resnet50 and efficientnet_b0 to ONNX
   (torch.onnx.export, eval mode, constant folding off so batch norm stays a
   layer); `archspec import` reads them back; the specs it writes must give
   the hand-written specs' parameters, buffers, MACs and output shape
   (specs/modern/resnet50.arch, efficientnet_b0.arch), and the resnet50 spec
   must have at most 40 statements.

archspec runs in this interpreter; torch only in PYTHON, through a script
written to a temporary folder.  Prints one line per check and a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TORCH_SIDE = r'''
import importlib.util, json, sys
import torch

def count(model):
    params = sum(p.numel() for p in model.parameters())
    stats = sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked"))
    return params, stats

def check_models(manifest):
    results = []
    for entry in manifest:
        print(f"building {entry['spec']}", file=sys.stderr, flush=True)
        result = {"spec": entry["spec"]}
        try:
            spec = importlib.util.spec_from_file_location("generated", entry["file"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            model = getattr(module, entry["class"])().eval()
            result["params"], result["buffers"] = count(model)
            result["outputs"] = []
            with torch.no_grad():
                for inputs in entry["inputs"]:
                    out = model(*[torch.zeros(1, *shape) for shape in inputs])
                    result["outputs"].append(list(out.shape[1:]))
                if entry["refused"] is not None:
                    try:
                        out = model(*[torch.zeros(1, *shape) for shape in entry["refused"]])
                        result["refused"] = f"ran, giving {list(out.shape[1:])}"
                    except Exception as exc:
                        result["refused"] = f"raised {type(exc).__name__}: {exc}"
        except Exception as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
        results.append(result)
    return results

def export_torchvision(folder):
    import torchvision
    found = {}
    for name in ("resnet50", "efficientnet_b0"):
        model = getattr(torchvision.models, name)().eval()
        path = f"{folder}/{name}.onnx"
        torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), path, dynamo=False, do_constant_folding=False)
        found[name] = {"path": path, "params": count(model)[0], "buffers": count(model)[1]}
    return found

if __name__ == "__main__":
    job = json.load(open(sys.argv[1]))
    report = {"torch": torch.__version__, "models": check_models(job["manifest"])}
    try:
        import torchvision
        report["torchvision"] = torchvision.__version__
        if job["imports"]:
            report["onnx"] = export_torchvision(job["folder"])
    except Exception as exc:
        report["onnx_error"] = f"{type(exc).__name__}: {exc}"
    json.dump(report, open(sys.argv[2], "w"))
'''


def spec_files(args: list[str]) -> list[Path]:
    from archspec.costs.model_table import model_specs

    if args:
        return model_specs([Path(a) for a in args])
    folders = [ROOT / "specs", *sorted(p for p in (ROOT / "specs").iterdir() if p.is_dir() and p.name != "lib")]
    return model_specs(folders)


def sizes_of(graph: object) -> tuple[list[tuple[int, int] | None], tuple[int, int] | None, str]:
    """The spec's own size, and the nearest other size (32 more a side, else
    closer) at which its weights are the same: a flatten before a fully
    connected layer fixes the feature count, and PyTorch's Linear with it; a
    token sequence's one size is its length.  When archspec refuses the size
    32 more a side (a learnt position table bound to its sequence), that size,
    which torch must refuse too, and archspec's reason."""
    from archspec import analyze
    from archspec.errors import ArchError
    from archspec.graph.shapes import input_shapes
    from archspec.kinds.shape import TOKENS

    shapes = input_shapes(graph, None)  # type: ignore[arg-type]
    index = graph.input_ids[0]  # type: ignore[attr-defined]
    first = shapes[index]
    tokens = graph.nodes[index].layout == TOKENS  # type: ignore[attr-defined]

    def size(offset: int) -> tuple[int, int]:
        return (first[1] + offset, first[1] + offset) if tokens else (first[1] + offset, first[2] + offset)

    refused: tuple[int, int] | None = None
    reason = ""
    try:
        analyze(graph, size(32))  # type: ignore[arg-type]
    except ArchError as exc:
        refused, reason = size(32), str(exc).splitlines()[0]
    params = analyze(graph).totals.params  # type: ignore[arg-type]
    for offset in (32, -32, 16, -16, 8, -8, 4, -4, 2, -2, 1, -1):
        try:
            if analyze(graph, size(offset)).totals.params == params:  # type: ignore[arg-type]
                return [None, size(offset)], refused, reason
        except ArchError:
            continue
    if refused is not None:
        return [None], refused, reason
    raise SystemExit(f"no second size keeps the weights of {graph.metadata.model}")  # type: ignore[attr-defined]


def framework_inputs(graph: object, size: tuple[int, int] | None) -> list[list[int]]:
    """The network inputs' shapes as the exported module takes them (batch left out)."""
    from archspec.bridges.layouts import framework_shape
    from archspec.bridges.pytorch_export import input_forms
    from archspec.graph.shapes import input_shapes

    shapes = input_shapes(graph, size)  # type: ignore[arg-type]
    forms = input_forms(graph)  # type: ignore[arg-type]
    return [list(framework_shape(shapes[i], forms[i])) for i in graph.input_ids]  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*")
    parser.add_argument("--torch-python", required=True, help="a Python interpreter that has torch and torchvision")
    parser.add_argument("--keep", type=Path, help="keep the generated files here")
    parser.add_argument("--no-imports", action="store_true",
                        help="leave out part 2 (torchvision's models through ONNX and back)")
    options = parser.parse_args()

    from archspec import analyze, load
    from archspec.bridges.pytorch_export import expected_output, export_pytorch
    from archspec.errors import ArchError

    folder = Path(options.keep or tempfile.mkdtemp(prefix="archspec-bridges-"))
    folder.mkdir(parents=True, exist_ok=True)
    manifest, expected = [], {}
    inputs_of: dict[str, list[list[list[int]]]] = {}
    refused: list[tuple[str, str]] = []
    for path in spec_files(options.specs):
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        graph = load(path)
        try:
            text = export_pytorch(graph, stand_ins=True)
        except ArchError as exc:
            refused.append((name, str(exc).splitlines()[0]))
            continue
        path = path.resolve()
        place = path.relative_to(ROOT / "specs") if path.is_relative_to(ROOT / "specs") else Path(path.name)
        target = folder / ("_".join(place.with_suffix("").parts).replace("-", "_").replace(".", "_") + ".py")
        target.write_text(text, encoding="utf-8")
        cls = text.split("    model = ", 1)[1].split("()", 1)[0]
        sizes, refused_size, reason = sizes_of(graph)
        inputs = [framework_inputs(graph, size) for size in sizes]
        outputs = [list(expected_output(graph, size)) for size in sizes]
        result = analyze(graph)
        expected[name] = {"params": result.totals.params, "buffers": result.totals.buffers, "outputs": outputs,
                          "refused": reason}
        manifest.append({"spec": name, "file": str(target), "class": cls, "inputs": inputs,
                         "refused": framework_inputs(graph, refused_size) if refused_size is not None else None})
        inputs_of[name] = inputs + ([framework_inputs(graph, refused_size)] if refused_size is not None else [])
    job = folder / "job.json"
    job.write_text(json.dumps({"manifest": manifest, "folder": str(folder), "imports": not options.no_imports}),
                   encoding="utf-8")
    (folder / "torch_side.py").write_text(TORCH_SIDE, encoding="utf-8")
    report_path = folder / "report.json"
    subprocess.run([options.torch_python, str(folder / "torch_side.py"), str(job), str(report_path)], check=True)
    report = json.loads(report_path.read_text(encoding="utf-8"))

    passed = 0
    for got in report["models"]:
        want = expected[got["spec"]]
        if "error" in got:
            print(f"FAIL {got['spec']}: {got['error']}")
            continue
        figures = (got["params"], got["buffers"], got["outputs"])
        sizes = [" x ".join(map(str, i[0])) for i in inputs_of[got["spec"]]]
        refusal = got.get("refused")
        if refusal is not None and not refusal.startswith("raised"):
            print(f"FAIL {got['spec']}: at {sizes[-1]} archspec refuses ({want['refused']}) but torch {refusal}")
            continue
        if figures == (want["params"], want["buffers"], want["outputs"]):
            passed += 1
            shown = " and ".join(f"{'x'.join(map(str, o))} at {s}" for o, s in zip(got["outputs"], sizes))
            if refusal is not None:
                shown += f"; at {sizes[-1]} both refuse (archspec: {want['refused']}; torch {refusal[:120]})"
            print(f"ok   {got['spec']}: params {got['params']:,}, buffers {got['buffers']:,}, outputs {shown}")
        else:
            print(f"FAIL {got['spec']}: torch {figures}, archspec {(want['params'], want['buffers'], want['outputs'])}")
    for name, why in refused:
        print(f"REFUSED {name}: {why}")
    print(f"PyTorch export: {passed}/{len(report['models']) + len(refused)} specs equal at two sizes "
          f"(torch {report['torch']}); {len(refused)} refused by name")

    onnx_ok = check_torchvision_imports(report) if not options.no_imports else True
    return 0 if passed == len(report["models"]) and not refused and onnx_ok else 1


def check_torchvision_imports(report: dict) -> bool:  # type: ignore[type-arg]
    from archspec import analyze, load
    from archspec.bridges.onnx_import import import_onnx
    from archspec.graph.load import load_graph_from_text

    if "onnx" not in report:
        print(f"FAIL torchvision ONNX export: {report.get('onnx_error')}")
        return False
    ok = True
    for name, exported in report["onnx"].items():
        imported = import_onnx(Path(exported["path"]))
        graph = load_graph_from_text(imported.text, f"{name}.arch")
        got = analyze(graph).totals
        statements = sum(1 for line in imported.text.splitlines()
                         if line.strip() and not line.startswith(("block ", "}", "#", "@", "model ", "input ")))
        hand = ROOT / "specs" / "modern" / f"{name}.arch"
        if hand.exists():
            want = analyze(load(hand)).totals
            figures = (want.params, want.buffers, want.macs, want.output_shape)
            against = f"the hand-written {hand.relative_to(ROOT)}"
        else:
            figures = (exported["params"], exported["buffers"], got.macs, got.output_shape)
            against = "torchvision's own counts (no hand-written spec here)"
        mine = (got.params, got.buffers, got.macs, got.output_shape)
        equal = mine == figures
        short = name != "resnet50" or statements <= 40
        ok = ok and equal and short
        print(f"{'ok  ' if equal and short else 'FAIL'} import of torchvision {name} ({report['torchvision']}): params "
              f"{got.params:,}, buffers {got.buffers:,}, MACs {got.macs:,}, output {got.output_shape}, "
              f"{statements} statements; {'equal to' if equal else 'differs from'} {against}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
