"""Ground-truth figures for torchvision models (and GPT-2) from real PyTorch.

This script is NOT part of the archspec package and archspec never imports it:
it needs torch, torchvision and the peer FLOP counters, which live in a separate
virtual environment (/work/torchenv).  Its output, tools/torch_figures.json, is
a small file of exact integers that archspec's tests and docs can compare with.

What is measured, per model and input size (batch 1, 3 channels, eval mode,
random initialisation: weights=None -- counts do not depend on weights):

  params                  sum of numel over model.parameters() (learnable).
  buffers                 numel of all BatchNorm running_mean/running_var
                          buffers (num_batches_tracked is left out).
  other_buffers           {buffer name: total numel} for any other buffer
                          (e.g. Swin's relative_position_index).
  output_shape            shape of the output tensor.
  flopcounter             torch.utils.flop_counter.FlopCounterMode total, with
                          two corrections so that attention is counted (see
                          below); flopcounter_by_op gives its per-op split.
  flopcounter_stock       FlopCounterMode exactly as shipped, under no_grad,
                          with torch's defaults (shows what a naive user gets).
  macs_flopcounter_half   flopcounter / 2.  FlopCounterMode counts 2 FLOPs per
                          multiply-accumulate of convolutions, (add)mm, bmm and
                          attention (bias additions, norms and activations are
                          not counted), so half of it is the MAC count.
  macs_conv_linear_hooks  forward hooks on nn.Conv2d / nn.ConvTranspose2d /
                          nn.Linear modules only:
                            Conv2d:  out.numel() * in_channels/groups * kH*kW
                            ConvT2d: in.numel()  * out_channels/groups * kH*kW
                            Linear:  out.numel() * in_features
  macs_functional         a TorchFunctionMode that sees what no module hook
                          sees: torch.matmul / @ / bmm / einsum, F.linear called
                          outside an nn.Linear module, F.scaled_dot_product_attention
                          and F.multi_head_attention_forward (in-projection,
                          Q.K^T, attn.V and out-projection, computed from shapes).
  macs_hooks_total        macs_conv_linear_hooks + macs_functional: an
                          independent count to check macs_flopcounter_half.
  macs                    = macs_flopcounter_half (the reference figure).

  Corrections applied to FlopCounterMode for `flopcounter`:
    * On CPU, F.scaled_dot_product_attention runs the kernel
      aten._scaled_dot_product_flash_attention_for_cpu, which torch's flop
      registry does not list, so attention matmuls would count 0.  We map it to
      torch's own sdpa formula (torch.utils.flop_counter.sdpa_flop) through
      FlopCounterMode(custom_mapping=...).
    * nn.MultiheadAttention under no_grad takes a "fast path", one fused op
      (aten._native_multi_head_attention) that the registry does not list either;
      torch.backends.mha.set_fastpath_enabled(False) turns it off.

Peer tools (each gets its own deep copy of a pristine model, because they add
attributes and hooks to modules; an error is recorded as a string):
  fvcore           fvcore.nn.FlopCountAnalysis(model, x).total()  (+ by_operator,
                   unsupported ops)
  ptflops_pytorch  ptflops.get_model_complexity_info(model, (3,H,W),
                   as_strings=False, print_per_layer_stat=False, backend='pytorch')
                   -> (macs, params)
  ptflops_aten     the same with backend='aten'
  thop             thop.profile(model, inputs=(x,), verbose=False) -> (macs, params)
  calflops         calflops.calculate_flops(model, input_shape=(1,3,H,W),
                   output_as_string=False, print_results=False,
                   print_detailed=False) -> (flops, macs, params)

A ViT measured at another size is built for it (image_size=: its position table has
a row per patch), and so is MaxViT (input_size=: its partitions are checked against it).

Published metadata of each model's DEFAULT weights (acc@1, acc@5, _ops in GFLOPS,
num_params, transforms' crop/resize size) is read offline from the weights enums.

GPT-2 small (transformers' GPT2LMHeadModel(GPT2Config()), random init): unique
parameters, parameters counting tied weights twice, and FlopCounterMode totals
for input ids of shape (1, 1024), (1, 128), (1, 1), with the eager and the sdpa
attention implementations.

Per-layer dumps (every leaf module: name, type, output shape(s), params, hook MACs,
FlopCounterMode FLOPs; plus non-leaf modules with FLOPs or parameters of their
own, such as attention matmuls or a class token) go to /work/groundtruth/per_layer/<model>_<H>x<W>.json,
outside the repository, together with the per-op breakdowns (flopcounter_by_op,
fvcore_by_op, fvcore_unsupported_ops, macs_functional_by_kind) that the
repository JSON leaves out.

Versions used for the committed JSON: see its "_about" entry (torch 2.14.1,
torchvision 0.29.1, fvcore 0.1.5.post20221221, ptflops 0.7.5, thop
0.1.1.post2209072238, calflops 0.3.2, transformers 5.24.0, Python 3.11.7).

Rerun (from the repository root; results are merged into the existing JSON,
entries already present are skipped unless --force):

    python -m venv /work/torchenv
    /work/torchenv/bin/pip install torch==2.14.1 torchvision==0.29.1 \
        fvcore ptflops thop calflops transformers
    /work/torchenv/bin/python tools/torch_figures.py                  # everything
    /work/torchenv/bin/python tools/torch_figures.py --models resnet50,swin_t --sizes 224
    /work/torchenv/bin/python tools/torch_figures.py --models group1 --force
    /work/torchenv/bin/python tools/torch_figures.py --models gpt2

--models takes model names and the group names group1, group2, all, gpt2.
--sizes takes 'primary' (224, or 299 for inception_v3; 256 and 224 for
swin_v2), 'native' (the DEFAULT weights' crop size), 'odd' (193x257, 231x199),
or explicit HxW / N values; default: primary,native,odd.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import importlib.metadata
import io
import json
import math
import os
import platform
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm
from torch.overrides import TorchFunctionMode
from torch.utils import flop_counter
from torch.utils.flop_counter import FlopCounterMode

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "torch_figures.json"
PER_LAYER_DIR = Path("/work/groundtruth/per_layer")

# --------------------------------------------------------------------------
# The models
# --------------------------------------------------------------------------

GROUP1 = [
    "resnet50", "densenet121", "densenet161", "densenet169", "densenet201",
    "inception_v3", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0",
    "convnext_tiny", "vit_b_16", "swin_t",
]

GROUP2 = (
    ["mobilenet_v3_small", "mobilenet_v3_large"]
    + [f"efficientnet_b{i}" for i in range(8)]
    + ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]
    + ["convnext_tiny", "convnext_small", "convnext_base", "convnext_large"]
    + [f"regnet_y_{s}" for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf")]
    + [f"regnet_x_{s}" for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")]
    + [f"shufflenet_v2_x{s}" for s in ("0_5", "1_0", "1_5", "2_0")]
    + ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]
    + ["wide_resnet50_2", "wide_resnet101_2", "alexnet"]
    + ["vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
    + ["googlenet", "mobilenet_v2"]
    + ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d"]
    + ["resnext101_32x8d", "resnext101_64x4d"]
    + ["densenet121", "densenet161", "densenet169", "densenet201"]
    + ["squeezenet1_0", "squeezenet1_1", "inception_v3"]
    + ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"]
    + ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b", "maxvit_t"]
)
ALL_MODELS = list(dict.fromkeys(GROUP1 + GROUP2))

ODD_SIZES = [(193, 257), (231, 199)]


def is_vit(name: str) -> bool:
    return name.startswith("vit_")


def builder_call(name: str, size: tuple[int, int]) -> tuple[Callable[[], nn.Module], str]:
    """The constructor for `name` at input `size`, and how it reads as code."""
    fn = getattr(tvm, name)
    if name == "googlenet":
        kw: dict[str, Any] = dict(aux_logits=False, transform_input=False, init_weights=False)
    elif name == "inception_v3":
        kw = dict(aux_logits=False, transform_input=False, init_weights=False)
    elif is_vit(name) and size != (224, 224):
        kw = dict(image_size=size[0])  # position embeddings are sized at build time
    elif name == "maxvit_t" and size != (224, 224):
        kw = dict(input_size=size)  # its partitions are checked against the size it is built for
    else:
        kw = {}
    text = f"torchvision.models.{name}(weights=None" + "".join(f", {k}={v!r}" for k, v in kw.items()) + ")"
    return (lambda: fn(weights=None, **kw).eval()), text


def weights_info(name: str) -> dict[str, Any]:
    """Published metadata of every weights entry of the model (offline)."""
    enum = tvm.get_model_weights(name)
    entries = {}
    for w in enum:
        m = w.meta
        metrics = m.get("_metrics", {}).get("ImageNet-1K", {})
        t = w.transforms()
        entries[w.name] = {
            "acc@1": metrics.get("acc@1"),
            "acc@5": metrics.get("acc@5"),
            "_ops": m.get("_ops"),
            "num_params": m.get("num_params"),
            "crop_size": list(getattr(t, "crop_size", [])),
            "resize_size": list(getattr(t, "resize_size", [])),
        }
    default = enum.DEFAULT
    return {"enum": f"{enum.__name__}.{default.name}", **entries[default.name]}


def sizes_for(name: str, which: list[str]) -> list[tuple[int, int]]:
    primary = [(299, 299)] if name == "inception_v3" else [(224, 224)]
    if name.startswith("swin_v2"):
        primary = [(256, 256), (224, 224)]
    crop = weights_info(name)["crop_size"][0]
    sizes: list[tuple[int, int]] = []
    for w in which:
        if w == "primary":
            sizes += primary
        elif w == "native":
            sizes.append((crop, crop))
        elif w == "odd":
            if not is_vit(name):
                sizes += ODD_SIZES
        else:
            h, _, wd = w.partition("x")
            sizes.append((int(h), int(wd or h)))
    return list(dict.fromkeys(sizes))


def size_key(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


# --------------------------------------------------------------------------
# Our own counting: FlopCounterMode, module hooks, functional matmuls
# --------------------------------------------------------------------------

def conv_linear_macs(mod: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    if isinstance(mod, nn.Conv2d):
        return out.numel() * (mod.in_channels // mod.groups) * math.prod(mod.kernel_size)
    if isinstance(mod, nn.ConvTranspose2d):
        return inp.numel() * (mod.out_channels // mod.groups) * math.prod(mod.kernel_size)
    if isinstance(mod, nn.Linear):
        return out.numel() * mod.in_features
    return 0


class FunctionalMacs(TorchFunctionMode):
    """MACs of matrix products that happen outside Conv/Linear modules.

    Functions called inside a handled function are not seen again (the mode is
    off while its handler runs), so nothing is counted twice."""

    def __init__(self) -> None:
        super().__init__()
        self.macs = 0
        self.by_kind: dict[str, int] = defaultdict(int)
        self.in_linear_module = 0  # set by hooks on nn.Linear

    def add(self, kind: str, n: int) -> None:
        self.macs += n
        self.by_kind[kind] += n

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if func in (torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__,
                    torch.bmm, torch.Tensor.bmm, torch.mm, torch.Tensor.mm):
            a = args[0]
            self.add("matmul", out.numel() * a.shape[-1])
        elif func is torch.einsum:
            eq, ops = args[0], args[1:]
            if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
                ops = tuple(ops[0])
            if len(ops) != 2:
                raise NotImplementedError(f"einsum with {len(ops)} operands")
            lhs = eq.replace(" ", "").split("->")[0].split(",")
            dims: dict[str, int] = {}
            for spec, t in zip(lhs, ops):
                for ch, n in zip(spec, t.shape):
                    dims[ch] = n
            self.add("einsum", math.prod(dims.values()))
        elif func is F.linear and not self.in_linear_module:
            self.add("functional_linear", out.numel() * args[0].shape[-1])
        elif func is F.scaled_dot_product_attention:
            q, k, v = args[:3]
            L, E = q.shape[-2], q.shape[-1]
            S, Ev = k.shape[-2], v.shape[-1]
            batch = math.prod(q.shape[:-2])
            self.add("sdpa", batch * L * S * (E + Ev))
        elif func is F.multi_head_attention_forward:
            self.add("multi_head_attention", mha_macs(args, kwargs))
        return out


def mha_macs(args, kwargs) -> int:
    """MACs of F.multi_head_attention_forward for self/cross attention."""
    names = ["query", "key", "value", "embed_dim_to_check", "num_heads"]
    a = dict(zip(names, args))
    a.update({k: v for k, v in kwargs.items() if k in names})
    q, k = a["query"], a["key"]
    batched = q.dim() == 3  # (L, N, E): nn.MultiheadAttention has already transposed
    L, N, E = (q.shape[0], q.shape[1], q.shape[2]) if batched else (q.shape[0], 1, q.shape[1])
    S = k.shape[0]
    in_proj = (L + 2 * S) * N * E * E
    attn = N * L * S * E * 2  # Q.K^T and attn.V over all heads
    out_proj = L * N * E * E
    return in_proj + attn + out_proj


def sdpa_cpu_mapping() -> dict:
    """FlopCounterMode formula for the CPU flash-attention kernel."""
    ops = {}
    for name in ("_scaled_dot_product_flash_attention_for_cpu",
                 "_scaled_dot_product_fused_attention_overrideable"):
        op = getattr(torch.ops.aten, name, None)
        if op is not None and op not in flop_counter.flop_registry:
            ops[op] = _sdpa_formula
    return ops


def _sdpa_formula(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    # the same count as torch's registered sdpa formula (no causal discount)
    return flop_counter.sdpa_flop_count(query_shape, key_shape, value_shape)


@contextlib.contextmanager
def mha_fastpath(enabled: bool):
    old = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(enabled)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(old)


def by_op(counts: dict[str, dict[Any, int]]) -> dict[str, int]:
    """FlopCounterMode's global per-op split, keyed by op name."""
    return dict(sorted((str(op), n) for op, n in counts["Global"].items()))


def count_buffers(model: nn.Module) -> tuple[int, dict[str, int]]:
    bn = 0
    other: dict[str, int] = defaultdict(int)
    for qname, b in model.named_buffers():
        last = qname.rsplit(".", 1)[-1]
        if last in ("running_mean", "running_var"):
            bn += b.numel()
        elif last != "num_batches_tracked":
            other[last] += b.numel()
    return bn, dict(sorted(other.items()))


def own_measurements(model: nn.Module, x: torch.Tensor) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """params, buffers, FlopCounterMode and hook counts, and the per-layer rows."""
    rec: dict[str, Any] = {}
    rec["params"] = sum(p.numel() for p in model.parameters())
    rec["buffers"], rec["other_buffers"] = count_buffers(model)

    # Stock FlopCounterMode, as a user would call it.
    with torch.no_grad():
        stock = FlopCounterMode(display=False)
        with stock:
            model(x)
    rec["flopcounter_stock"] = stock.get_total_flops()

    # Corrected FlopCounterMode + module hooks + functional matmuls, one forward.
    layers: dict[str, dict[str, Any]] = {}
    fmode = FunctionalMacs()
    handles = []
    root = type(model).__name__
    for qname, mod in model.named_modules():
        is_leaf = next(mod.children(), None) is None
        if isinstance(mod, nn.Linear):
            def pre(m, i, fm=fmode):
                fm.in_linear_module += 1
            def post(m, i, o, fm=fmode):
                fm.in_linear_module -= 1
            handles.append(mod.register_forward_pre_hook(pre))
            handles.append(mod.register_forward_hook(post))
        if not is_leaf:
            continue
        row = layers[qname] = {
            "name": qname, "type": type(mod).__name__, "calls": 0, "output_shapes": [],
            "params": sum(p.numel() for p in mod.parameters(recurse=False)),
            "macs_hook": 0,
        }

        def hook(m, inp, out, row=row):
            row["calls"] += 1
            t = out[0] if isinstance(out, (tuple, list)) else out
            if isinstance(t, torch.Tensor):
                row["output_shapes"].append(list(t.shape))
            i0 = inp[0] if inp else None
            if isinstance(i0, torch.Tensor) and isinstance(t, torch.Tensor):
                row["macs_hook"] += conv_linear_macs(m, i0, t)
        handles.append(mod.register_forward_hook(hook))

    fcm = FlopCounterMode(display=False, custom_mapping=sdpa_cpu_mapping())
    try:
        with torch.no_grad(), mha_fastpath(False), fcm, fmode:
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    out_t = out[0] if isinstance(out, (tuple, list)) else out
    rec["output_shape"] = list(out_t.shape)
    counts = fcm.get_flop_counts()
    rec["flopcounter"] = fcm.get_total_flops()
    rec["flopcounter_by_op"] = by_op(counts)
    if rec["flopcounter"] % 2:
        raise AssertionError("FlopCounterMode total is odd")
    rec["macs_flopcounter_half"] = rec["flopcounter"] // 2
    rec["macs_conv_linear_hooks"] = sum(r["macs_hook"] for r in layers.values())
    rec["macs_functional"] = fmode.macs
    rec["macs_functional_by_kind"] = dict(sorted(fmode.by_kind.items()))
    rec["macs_hooks_total"] = rec["macs_conv_linear_hooks"] + fmode.macs
    rec["macs"] = rec["macs_flopcounter_half"]

    # Per-layer rows: leaf modules, plus FLOPs that a non-leaf module does itself.
    def fc_flops(qname: str) -> int:
        key = root if not qname else f"{root}.{qname}"
        return sum(counts.get(key, {}).values())

    rows = []
    for qname, mod in model.named_modules():
        if qname in layers:
            row = dict(layers[qname])
            row["flopcounter"] = fc_flops(qname)
            rows.append(row)
        else:
            own = fc_flops(qname) - sum(fc_flops(f"{qname}.{c}" if qname else c) for c, _ in mod.named_children())
            own_params = sum(p.numel() for p in mod.parameters(recurse=False))
            if own or own_params:  # e.g. attention matmuls, class token, position embedding
                rows.append({"name": qname or "<root>", "type": type(mod).__name__ + " (own ops/params)",
                             "flopcounter": own, "params": own_params})
    return rec, rows


# --------------------------------------------------------------------------
# Peer tools
# --------------------------------------------------------------------------

def run_tool(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    t0 = time.time()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            res = fn()
    except Exception as e:  # record the failure, keep going
        msg = f"{type(e).__name__}: {e}".strip()
        res = {name: "error: " + msg[:400]}
    log(f"    {name}: {time.time() - t0:.1f}s")
    return res


def tool_fvcore(model: nn.Module, x: torch.Tensor) -> dict[str, Any]:
    from fvcore.nn import FlopCountAnalysis
    # Called as a user would, without no_grad: under no_grad nn.MultiheadAttention
    # would take its fused fast path, which fvcore does not know.
    fca = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    total = fca.total()
    return {"fvcore": int(total),
            "fvcore_by_op": {k: int(v) for k, v in sorted(fca.by_operator().items())},
            "fvcore_unsupported_ops": {k: int(v) for k, v in sorted(fca.unsupported_ops().items())}}


def tool_ptflops(model: nn.Module, size: tuple[int, int], backend: str) -> dict[str, Any]:
    from ptflops import get_model_complexity_info
    with open(os.devnull, "w") as devnull:
        macs, params = get_model_complexity_info(
            model, (3, *size), as_strings=False, backend=backend,
            print_per_layer_stat=False, ost=devnull)
    key = f"ptflops_{backend}"
    return {key: int(macs), key + "_params": int(params)}


def tool_thop(model: nn.Module, x: torch.Tensor) -> dict[str, Any]:
    import thop
    macs, params = thop.profile(model, inputs=(x,), verbose=False)
    return {"thop": int(macs), "thop_params": int(params)}


def tool_calflops(model: nn.Module, size: tuple[int, int]) -> dict[str, Any]:
    from calflops import calculate_flops
    flops, macs, params = calculate_flops(
        model, input_shape=(1, 3, *size), output_as_string=False,
        print_results=False, print_detailed=False)
    return {"calflops_flops": int(flops), "calflops_macs": int(macs), "calflops_params": int(params)}


def peer_tools(pristine: nn.Module, x: torch.Tensor, size: tuple[int, int]) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    fresh = lambda: copy.deepcopy(pristine)  # noqa: E731 -- an unmutated copy per tool
    rec.update(run_tool("fvcore", lambda: tool_fvcore(fresh(), x)))
    rec.update(run_tool("ptflops_pytorch", lambda: tool_ptflops(fresh(), size, "pytorch")))
    rec.update(run_tool("ptflops_aten", lambda: tool_ptflops(fresh(), size, "aten")))
    rec.update(run_tool("thop", lambda: tool_thop(fresh(), x)))
    rec.update(run_tool("calflops_flops", lambda: tool_calflops(fresh(), size)))
    if isinstance(rec.get("calflops_flops"), str):
        rec["calflops_macs"] = rec["calflops_flops"]
    return rec


# --------------------------------------------------------------------------
# JSON store (merged, atomic, safe against a second process)
# --------------------------------------------------------------------------

def tool_versions() -> dict[str, str]:
    v = {"python": platform.python_version()}
    for pkg in ("torch", "torchvision", "fvcore", "ptflops", "thop", "calflops", "transformers"):
        try:
            v[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            v[pkg] = "not installed"
    v["torch_runtime"] = torch.__version__
    return v


@contextlib.contextmanager
def locked_json(path: Path):
    with open(f"/tmp/{path.name}.lock", "w") as lock:  # the lock stays out of the repository
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {}
        yield data
        data["_about"] = {
            "generated_by": "tools/torch_figures.py (see its docstring for definitions)",
            "versions": tool_versions(),
            "input": "batch 1, 3 channels, eval mode, weights=None (random init); sizes keyed HxW",
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)


def existing(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Drivers
# --------------------------------------------------------------------------

BREAKDOWN_SUFFIXES = ("_by_op", "_by_kind", "_unsupported_ops")


def measure_model(name: str, sizes: list[tuple[int, int]], out: Path, *, tools: bool,
                  per_layer: bool, force: bool) -> None:
    have = existing(out).get("models", {}).get(name, {}).get("sizes", {})
    def done(s: tuple[int, int]) -> bool:
        rec = have.get(size_key(s))
        return rec is not None and "error" not in rec and (not tools or "fvcore" in rec)
    todo = [s for s in sizes if force or not done(s)]
    if not todo:
        log(f"{name}: already done")
        return
    winfo = weights_info(name)
    pristine: nn.Module | None = None
    built_for = None
    for size in todo:
        t0 = time.time()
        build, text = builder_call(name, size)
        try:
            if pristine is None or built_for != text:
                pristine, built_for = build(), text
            x = torch.randn(1, 3, *size)
            rec, rows = own_measurements(copy.deepcopy(pristine), x)
            rec["builder"] = text
            if tools:
                rec.update(peer_tools(pristine, x, size))
        except Exception as e:
            msg = f"{type(e).__name__}: {e}".strip()
            rec, rows = {"error": msg[:400], "builder": text}, []
        # Per-op breakdowns go with the per-layer dump; the repository JSON keeps totals.
        breakdowns = {k: rec.pop(k) for k in list(rec) if k.endswith(BREAKDOWN_SUFFIXES)}
        if per_layer and rows:
            PER_LAYER_DIR.mkdir(parents=True, exist_ok=True)
            (PER_LAYER_DIR / f"{name}_{size_key(size)}.json").write_text(json.dumps(
                {"model": name, "size": list(size), "builder": text, "totals": rec,
                 "breakdowns": breakdowns, "layers": rows}, indent=0))
        with locked_json(out) as data:
            entry = data.setdefault("models", {}).setdefault(name, {})
            entry["weights"] = winfo
            entry.setdefault("sizes", {})[size_key(size)] = rec
        log(f"{name} {size_key(size)}: {time.time() - t0:.1f}s "
            + (rec.get("error") or f"params={rec['params']} macs={rec['macs']} hooks={rec['macs_conv_linear_hooks']}"))
    del pristine


def measure_gpt2(out: Path) -> None:
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    res: dict[str, Any] = {"builder": "transformers.GPT2LMHeadModel(GPT2Config(...)), random init"}
    impls: dict[str, Any] = {}
    for impl in ("eager", "sdpa"):
        try:
            cfg = GPT2Config(attn_implementation=impl)
            model = GPT2LMHeadModel(cfg).eval()
            impl_used = getattr(model.config, "_attn_implementation", None)
        except Exception as e:  # transformers without the choice
            impls[impl] = f"error: {type(e).__name__}: {e}"[:400]
            continue
        if "params" not in res:
            cfgd = model.config
            res["config"] = {k: getattr(cfgd, k) for k in ("n_positions", "vocab_size", "n_embd", "n_layer", "n_head")}
            res["params"] = sum(p.numel() for p in model.parameters())
            res["params_tied_counted_twice"] = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
            res["tied_embeddings"] = model.lm_head.weight is model.transformer.wte.weight
            res["buffers"] = {n: b.numel() for n, b in model.named_buffers()}
        r: dict[str, Any] = {"attn_implementation_used": impl_used}
        for seq in (1024, 128, 1):
            ids = torch.randint(0, 50257, (1, seq))
            with torch.no_grad():
                stock = FlopCounterMode(display=False)
                with stock:
                    model(ids)
                fcm = FlopCounterMode(display=False, custom_mapping=sdpa_cpu_mapping())
                with fcm:
                    logits = model(ids).logits
            counts = fcm.get_flop_counts()
            lm = sum(counts.get("GPT2LMHeadModel.lm_head", {}).values())
            r[f"seq{seq}"] = {
                "flopcounter": fcm.get_total_flops(),
                "flopcounter_stock": stock.get_total_flops(),
                "flopcounter_by_op": by_op(counts),
                "flopcounter_lm_head": lm,
                "output_shape": list(logits.shape),
            }
            log(f"gpt2 {impl} seq{seq}: {r[f'seq{seq}']['flopcounter']} (stock {r[f'seq{seq}']['flopcounter_stock']})")
        impls[impl] = r
        del model
    res["attn_implementations"] = impls
    res["transformers_version"] = transformers.__version__
    with locked_json(out) as data:
        data["gpt2"] = res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="all", help="comma list of names or group1, group2, all, gpt2")
    ap.add_argument("--sizes", default="primary,native,odd", help="primary, native, odd, or HxW values")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-tools", action="store_true", help="skip the peer tools")
    ap.add_argument("--no-per-layer", action="store_true", help="skip the per-layer dumps")
    ap.add_argument("--force", action="store_true", help="recompute entries already in the JSON")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    warnings.filterwarnings("ignore")

    names: list[str] = []
    for item in args.models.split(","):
        item = item.strip()
        names += {"group1": GROUP1, "group2": GROUP2, "all": ALL_MODELS + ["gpt2"]}.get(item, [item])
    names = list(dict.fromkeys(n for n in names if n))
    which = [s.strip() for s in args.sizes.split(",") if s.strip()]

    for name in names:
        if name == "gpt2":
            if args.force or "gpt2" not in existing(args.out):
                measure_gpt2(args.out)
            continue
        measure_model(name, sizes_for(name, which), args.out, tools=not args.no_tools,
                      per_layer=not args.no_per_layer, force=args.force)


if __name__ == "__main__":
    main()
