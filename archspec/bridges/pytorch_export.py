"""A spec as a self-contained PyTorch file: one nn.Module class per block
the spec defines, one for the network, the spec's names kept.

The classes are written from the expanded graph and the block calls it
records (graph.blocks): a block's instances are laid side by side, layer by
layer (by their names inside the block), and what differs between them
becomes a constructor argument -- named after the block's own parameter
whose values match (`width`, `stride`, `project`), `in_channels` for the
block's input width, or a multiple (`4 * width`).  A part only some
instances have (a projection shortcut) is built when its parameter says so
and is the identity otherwise.  Instances that cannot share one class
(their layers differ in kind) get a class each.

Tensors are in the forms forms.py plans (nchw, channels-last, vectors,
token sequences); a layer reading another form converts its input in
`forward`.  Nothing here imports torch: the file is written as text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..graph.layer_graph import BlockInstance, Graph
from ..graph.shapes import infer_shapes
from ..kinds import Layer, Shape
from ..kinds.shape import TOKENS
from .layouts import NC, NCHW, NHWC, NLC, NMLC, FormPlan, framework_shape, input_form, plan_forms
from .torch_modules import DEFAULTS, HELPERS, NO_TORCH, STAND_INS, TORCH_FORM_RULES, Inline, Module, module_for

MISSING = object()
PY_RESERVED = {"in", "x", "self", "def", "class", "return", "if", "else", "for", "while", "import", "from",
               "lambda", "pass", "None", "True", "False", "and", "or", "not", "is", "with", "as", "global", "del",
               "try", "except", "raise", "yield", "assert", "break", "continue", "elif", "finally", "nonlocal",
               "torch", "nn", "F", "super", "input", "type", "id", "max", "min", "sum", "len"}


def identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "layer"
    if name[0].isdigit():
        name = "n" + name
    return name + "_" if name in PY_RESERVED else name


def class_name(text: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", text)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p) or "Network"
    return "N" + name if name[0].isdigit() else name


def py(value: Any) -> str:
    if isinstance(value, Module):
        return module_text(value, {})
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float) and value in (float("inf"), -float("inf")):
        return "float('inf')" if value > 0 else "-float('inf')"
    if isinstance(value, tuple):
        return "(" + ", ".join(py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def module_text(module: Module, exprs: dict[tuple[Any, ...], str], path: tuple[Any, ...] = ()) -> str:
    """A constructor call; `exprs` gives the text of values that are parameters."""
    parts = []
    for i, value in enumerate(module.args):
        key = (*path, "args", i)
        parts.append(exprs.get(key) or (module_text(value, exprs, key) if isinstance(value, Module) else py(value)))
    defaults = DEFAULTS.get(module.constructor, {})
    for name, value in module.kwargs.items():
        key = (*path, "kwargs", name)
        if key in exprs:
            text = exprs[key]
            if name in defaults and text == py(defaults[name]):
                continue
        else:
            if name in defaults and value == defaults[name] and not isinstance(value, Module):
                continue
            text = module_text(value, exprs, key) if isinstance(value, Module) else py(value)
        parts.append(f"{name}={text}")
    return f"{module.constructor}({', '.join(parts)})"


def flat_values(module: Module, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """Every plain value of a constructor call by its place, the constructor's
    defaults filled in for keywords it leaves out."""
    found: dict[tuple[Any, ...], Any] = {}
    for i, value in enumerate(module.args):
        key = (*path, "args", i)
        if isinstance(value, Module):
            found.update(flat_values(value, key))
        else:
            found[key] = value
    for name, value in module.kwargs.items():
        key = (*path, "kwargs", name)
        if isinstance(value, Module):
            found.update(flat_values(value, key))
        else:
            found[key] = value
    return found


def type_key(module: Module) -> tuple[Any, ...]:
    return (module.constructor, tuple(type_key(a) if isinstance(a, Module) else "v" for a in module.args),
            tuple(sorted((k, type_key(v) if isinstance(v, Module) else "v") for k, v in module.kwargs.items())))


# ---- what a class body is made of ----------------------------------------------------

@dataclass(slots=True)
class Item:
    """A layer of an instance, or a nested block call."""

    rel: str  # its name inside the instance: "main.conv1", "merge", "skip"
    output: int
    inputs: list[int]
    spec: Module | Inline | None = None
    call: BlockInstance | None = None
    repeat: int = 0  # a run of this many identical calls, one after the other (0: a single item)
    lone: str = ""  # a single call read as a run of one: its own name
    calls: list[BlockInstance] = field(default_factory=list)  # a run's calls, in order


@dataclass(slots=True)
class Klass:
    name: str
    params: list[str]
    defaults: dict[str, Any]
    lines: list[str]
    values: dict[int, dict[str, Any]] = field(default_factory=dict)  # id(instance) -> parameter values
    helpers: set[str] = field(default_factory=set)


class TorchWriter:
    def __init__(self, graph: Graph, size: tuple[int, int] | None, stand_ins: bool) -> None:
        self.graph = graph
        self.shapes: list[Shape] = infer_shapes(graph, size)  # type: ignore[assignment]
        self.plan: FormPlan = plan_forms(graph, self.shapes, TORCH_FORM_RULES)
        self.stand_ins = stand_ins
        self.children: dict[int, list[BlockInstance]] = {}  # id(instance) -> its direct sub-instances
        self.top: list[BlockInstance] = []
        self.klass_of: dict[int, Klass] = {}  # id(instance) -> its class
        self.classes: list[Klass] = []
        self.class_names: set[str] = set()
        self.helpers: set[str] = set()
        self.wiring: dict[str, list[str]] = {}
        self.in_form: str | None = None  # the form the class being written reads its input in
        self.entries: dict[int, int] = {}  # id(item list) -> the node its instance reads as `in`
        self.ext_index: dict[int, dict[int, int]] = {}  # id(item list) -> outside tensor -> its argument number
        self.nest()

    def nest(self) -> None:
        # a call that made no layer (a stage of no units) is the identity: nothing to build
        ordered = sorted((b for b in self.graph.blocks if b.end > b.first),
                         key=lambda b: (b.first, -(b.end - b.first), b.depth))
        stack: list[BlockInstance] = []
        for b in ordered:
            while stack and not (stack[-1].first <= b.first and b.end <= stack[-1].end):
                stack.pop()
            if stack:
                self.children.setdefault(id(stack[-1]), []).append(b)
            else:
                self.top.append(b)
            self.children.setdefault(id(b), [])
            stack.append(b)

    # ---- items ------------------------------------------------------------------
    def externals(self, b: BlockInstance) -> list[int]:
        """Tensors an instance reads from outside besides its input (tensor arguments)."""
        found: list[int] = []
        for i in range(b.first, b.end):
            for j in self.graph.nodes[i].inputs:
                if (j < b.first or j >= b.end) and j != b.input and j not in found:
                    found.append(j)
        return found

    def items(self, prefix: str, first: int, end: int, subs: list[BlockInstance], entry: int = -1) -> list[Item]:
        covered: dict[int, BlockInstance] = {}
        for sub in subs:
            for i in range(sub.first, sub.end):
                covered[i] = sub
        found: list[Item] = []
        seen: set[int] = set()
        for i in range(first, end):
            node = self.graph.nodes[i]
            if node.layer is None:
                continue
            call = covered.get(i)
            if call is not None:
                if id(call) not in seen:
                    seen.add(id(call))
                    found.append(Item(relative(call.name, prefix), call.output, [call.input, *self.externals(call)],
                                      call=call))
                continue
            spec = module_for(node.layer, [self.shapes[j] for j in node.inputs], self.plan.wanted[i],
                              self.shapes[i], self.plan.output[i], self.stand_ins, self.window_of(i))
            if spec is None:
                hint = ("export with stand-ins (--stand-ins): modules of its output shape that compute nothing"
                        if node.kind in STAND_INS else None)
                raise self.graph.error(f"layer '{node.name}': kind '{node.kind}' has no PyTorch equivalent: "
                                       f"{NO_TORCH.get(node.kind, 'not in the PyTorch table')}", node, hint=hint)
            found.append(Item(relative(node.name, prefix), i, list(node.inputs), spec=spec))
        self.entries[id(found)] = entry
        if entry >= 0:
            outside = [j for it in found for j in it.inputs if j != entry and not first <= j < end]
            self.ext_index[id(found)] = {j: k + 1 for k, j in enumerate(dict.fromkeys(outside))}
        return found

    def window_of(self, index: int) -> Layer | None:
        """For an unwindow layer, or attention within windows, the window layer
        that cut the windows it restores or attends within."""
        node = self.graph.nodes[index]
        if not (node.kind == "unwindow" or (node.kind == "attention" and self.plan.output[index] == NMLC)):
            return None
        while node.layer is not None and node.kind != "window" and node.inputs:
            node = self.graph.nodes[node.inputs[0]]
        return node.layer if node.kind == "window" else None

    # ---- classes ----------------------------------------------------------------
    def build(self) -> str:
        by_block: dict[str, list[BlockInstance]] = {}
        for b in sorted((b for b in self.graph.blocks if b.end > b.first), key=lambda b: -b.depth):
            by_block.setdefault(b.block, []).append(b)
        # innermost blocks first, so a class's nested calls know their classes
        height = {name: max(self.height(b) for b in members) for name, members in by_block.items()}
        for name in sorted(by_block, key=lambda n: (height[n], min(b.first for b in by_block[n]))):
            self.make_classes(name, sorted(by_block[name], key=lambda b: b.first))
        top_items = self.items("", 0, len(self.graph.nodes), self.top)
        model = self.graph.metadata.model or "network"
        inputs = [i for i in self.graph.input_ids]
        self.entries[id(top_items)] = -1
        network = self.write_class(self.unique_class(class_name(model)), [top_items], [None], inputs=inputs,
                                   doc=f"{model}, as its spec writes it.")
        return self.file_text(network)

    def height(self, b: BlockInstance) -> int:
        kids = self.children.get(id(b), [])
        return 1 + max((self.height(k) for k in kids), default=0)

    def make_classes(self, block: str, instances: list[BlockInstance]) -> None:
        per = [self.items(b.name + ".", b.first, b.end, self.children[id(b)], b.input) for b in instances]
        per = self.collapse_repeats(per)
        groups = self.compatible(per)
        for members in groups:  # where no instance of a class repeats the call, it is a plain call again
            for rel in {it.rel for m in members for it in per[m] if it.repeat}:
                same = [(per[m], k) for m in members for k, it in enumerate(per[m]) if it.rel == rel]
                if all(items[k].repeat == 1 for items, k in same):
                    own = all(items[k].lone for items, k in same)
                    for items, k in same:
                        it = items[k]
                        items[k] = Item(it.lone if own else it.rel, it.output, it.inputs, call=it.call)
        for n, members in enumerate(groups):
            name = self.unique_class(class_name(block) + ("" if n == 0 else f"Variant{n + 1}"))
            signature = ", ".join(p for p, _ in instances[0].args)
            klass = self.write_class(name, [per[m] for m in members], [instances[m] for m in members],
                                     doc=f"The spec's block `{block}({signature})`" + (
                                         f" (variant {n + 1}: its layers differ from the others')" if n else "")
                                     + ".")
            for m in members:
                self.klass_of[id(instances[m])] = klass

    def collapse_repeats(self, per: list[list[Item]]) -> list[list[Item]]:
        """Runs of calls of one class on one width, each reading the one before
        (`unit x n`, `unit(i % 2, rate * i) x n with i`), as one item built n
        times -- where some instance has such a run of two or more starting at
        the same name, every instance's run there is one."""
        def runs(items: list[Item]) -> dict[str, int]:
            found: dict[str, int] = {}
            k = 0
            while k < len(items):
                j = self.run_end(items, k, strict=False)
                if not self.varies_as_a_rate(items[k:j + 1]):
                    j = self.run_end(items, k, strict=True)
                call = items[k].call
                # a run is built as an nn.Sequential: each call must hand on its tensor in the
                # form the next reads it in (a ConvNeXt block takes nchw and gives channels-last)
                if call is not None and len(items[k].inputs) == 1 and \
                        self.plan.output[call.output] == self.wanted_by(call, call.input):
                    found[items[k].rel] = j - k + 1
                k = j + 1
            return found

        per_runs = [runs(items) for items in per]
        starts = {rel for found in per_runs for rel, n in found.items() if n >= 2}
        # a lone call where other instances repeat it (`pair` where another stage has pair1..pair3,
        # `unit x (depth // 2)` at depth 2) is a run of one under the run's name
        lone = {rel[:-1]: rel for rel in starts if re.fullmatch(r".*\D1", rel)}
        collapsed = []
        for items, found in zip(per, per_runs):
            out: list[Item] = []
            k = 0
            while k < len(items):
                it = items[k]
                n = found.get(it.rel, 1) if it.rel in starts else 1
                if it.rel in starts:
                    last = items[k + n - 1]
                    calls = [c.call for c in items[k:k + n] if c.call is not None]
                    out.append(Item(it.rel, last.output, it.inputs, call=it.call, repeat=n, calls=calls))
                elif it.rel in lone and it.rel in found and lone[it.rel] not in found:
                    out.append(Item(lone[it.rel], it.output, it.inputs, call=it.call, repeat=1, lone=it.rel,
                                    calls=[it.call] if it.call is not None else []))
                else:
                    out.append(it)
                k += n
            self.entries[id(out)] = self.entries.get(id(items), -1)
            if id(items) in self.ext_index:
                self.ext_index[id(out)] = self.ext_index[id(items)]
            collapsed.append(out)
        return collapsed

    def run_end(self, items: list[Item], k: int, strict: bool) -> int:
        """The last of the calls from items[k] on that one run can build, each
        reading the one before."""
        j = k
        while (j + 1 < len(items) and self.same_call(items[k], items[j + 1], strict)
               and items[j + 1].inputs == [items[j].output]
               and items[j + 1].rel.rpartition(".")[0] == items[k].rel.rpartition(".")[0]):
            j += 1
        return j

    def same_call(self, a: Item, b: Item, strict: bool = True) -> bool:
        """Calls of one class with the same values (strict), or on one input
        width (their other values may change along a run)."""
        if a.call is None or b.call is None:
            return False
        ka, kb = self.klass_of[id(a.call)], self.klass_of[id(b.call)]
        va, vb = ka.values[id(a.call)], kb.values[id(b.call)]
        if strict:
            return ka is kb and repr(va) == repr(vb)
        return ka is kb and repr(va.get("in_channels")) == repr(vb.get("in_channels"))

    def varies_as_a_rate(self, run: list[Item]) -> bool:
        """Whether a run's changing values are those of `unit(...) x n with i`
        growing a rate (a drop probability, with a shift or a stride beside it):
        some value changing is a float, none a flag -- calls that differ in their
        widths or in their parts (GoogLeNet's inception modules, a projected unit)
        stay calls of their own."""
        if len(run) < 2 or run[0].call is None:
            return False
        klass = self.klass_of[id(run[0].call)]
        values = [klass.values[id(it.call)] for it in run]
        varying = [p for p in klass.params if len({repr(v[p]) for v in values}) > 1]
        kinds = {type(v[p]) for p in varying for v in values}
        return float in kinds and bool not in kinds

    def unique_class(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.class_names or candidate in HELPERS:
            n += 1
            candidate = f"{name}{n}"
        self.class_names.add(candidate)
        return candidate

    def item_type(self, item: Item) -> tuple[Any, ...]:
        if item.call is not None:
            return ("repeat" if item.repeat else "call", id(self.klass_of[id(item.call)]))
        if isinstance(item.spec, Inline):
            return ("inline", item.spec.template(["a", "b", "c", "d", "e", "f"][:max(1, len(item.inputs))]))
        assert isinstance(item.spec, Module)
        return ("module", type_key_loose(item.spec))

    def compatible(self, per: list[list[Item]]) -> list[list[int]]:
        """Instances that one class can build: the same kind of layer under each
        name they share, wired alike once an absent part is read as the identity."""
        groups: list[list[int]] = []
        for k in range(len(per)):
            for group in groups:
                if self.union([per[m] for m in group] + [per[k]]) is not None:
                    group.append(k)
                    break
            else:
                groups.append([k])
        return groups

    def union(self, per: list[list[Item]]) -> list[tuple[str, list[Any]]] | None:
        """The items of a class over these instances -- (name, per-instance item
        or None) in order -- or None when they cannot share one: every name must
        be one kind of layer, and each instance must compute what it computes
        when the parts it lacks are read as the identity."""
        order: list[str] = []
        for items in sorted(per, key=len, reverse=True):
            for it in items:
                if it.rel not in order:
                    order.append(it.rel)
        positions = [{it.rel: k for k, it in enumerate(items)} for items in per]
        for items in per:  # every instance keeps the class's order
            ranks = [order.index(it.rel) for it in items]
            if ranks != sorted(ranks):
                return None
        table: list[tuple[str, list[Any]]] = []
        for rel in order:
            row = [items[pos[rel]] if rel in pos else None for items, pos in zip(per, positions)]
            kinds = {self.item_type(it) for it in row if it is not None}
            if len(kinds) != 1:
                return None
            table.append((rel, row))
        wiring = {rel: self.actual_inputs(per, positions, next(m for m, it in enumerate(row) if it is not None), rel)
                  for rel, row in table}
        rows = dict(table)

        def resolve(name: str, m: int) -> str | None:
            while name != "in" and not name.startswith("@") and rows[name][m] is None:
                if len(wiring[name]) != 1:
                    return None
                name = wiring[name][0]
            return name

        for m, items in enumerate(per):
            for it in items:
                if self.actual_inputs(per, positions, m, it.rel) != [resolve(r, m) for r in wiring[it.rel]]:
                    return None
            if resolve(order[-1], m) != self.output_rel(items):
                return None
        self.wiring = wiring
        return table

    def actual_inputs(self, per: list[list[Item]], positions: list[dict[str, int]], m: int, rel: str) -> list[str]:
        items = per[m]
        made = {it.output: it.rel for it in items}
        item = items[positions[m][rel]]
        entry = self.entries.get(id(items), -1)
        ext = self.ext_index.get(id(items), {})
        return [made[j] if j in made else "in" if j == entry else f"@ext{ext[j]}" if j in ext else f"@{j}"
                for j in item.inputs]

    def output_rel(self, items: list[Item]) -> str:
        return items[-1].rel

    def relative_inputs(self, table: list[tuple[str, list[Any]]], c: int) -> list[str] | None:
        return self.wiring.get(table[c][0])

    # ---- writing a class ----------------------------------------------------------
    def write_class(self, name: str, per: list[list[Item]], instances: list[BlockInstance | None],
                    doc: str, inputs: list[int] | None = None) -> Klass:
        table = self.union(per)
        assert table is not None
        params = Params(len(per))
        declared: dict[str, list[Any]] = {}
        tensor_args: list[str] = []
        for b in instances:
            if b is None:
                continue
            for pname, value in b.args:
                declared.setdefault(pname, []).append(value)
        for pname, vector in declared.items():
            if len(vector) == len(per) and all(v is not None for v in vector):
                params.declare(identifier(pname), tuple(vector))
            elif all(v is None for v in vector):
                tensor_args.append(identifier(pname))
        variables: dict[str, str] = {}
        first = instances[0]
        self.in_form = self.wanted_by(first, first.input) if first is not None else None
        if inputs is None:
            entries = [b.input for b in instances if b is not None]
            params.declare("in_channels", tuple(self.shapes[e][0] for e in entries), channels=True)
            variables["in"] = "x"
            externals = max((len(self.ext_index.get(id(items), {})) for items in per), default=0)
            names = tensor_args if len(tensor_args) == externals else [f"t{k + 1}" for k in range(externals)]
            for k, ext in enumerate(names):
                variables[f"@ext{k + 1}"] = ext
            arguments = ["x", *names]
        else:
            arguments = []
            for i in inputs:
                var = identifier(self.graph.nodes[i].name)
                if var in ("input", "input_"):
                    var = "ids" if self.graph.nodes[i].layout == TOKENS else "image"
                variables[f"@{i}"] = var
                arguments.append(var)
        attrs: list[str] = []
        forward: list[str] = []
        helpers: set[str] = set()
        attr_names: dict[str, str] = {}
        chains = self.chains(table)
        flow = "x"
        for index, chain in enumerate(chains):
            first_rel, first_row = table[chain[0]]
            sample = next(it for it in first_row if it is not None)
            inline = sample.call is None and isinstance(sample.spec, Inline)
            in_names = self.wiring[first_rel]
            in_vars = [self.read(variables, r, sample, p) for p, r in enumerate(in_names)]
            if inline:
                assert isinstance(sample.spec, Inline)
                helpers.update(sample.spec.helpers)
                expression = sample.spec.template(in_vars)
            else:
                texts = [self.constructor(table[c][0], table[c][1], params, helpers) for c in chain]
                label = identifier(statement_of(first_rel) if len(chain) > 1 else first_rel.replace(".", "_"))
                if sample.repeat:
                    label = identifier(sample.call.block + "s") if sample.call is not None else label
                attr = unique_name(label, attr_names)
                for c in chain:
                    attr_names[f"@{table[c][0]}"] = (f"self.{attr}" if len(chain) == 1
                                                     else f"self.{attr}.{identifier(sub_name(table[c][0]))}")
                if len(chain) > 1:
                    helpers.add("Chain")
                    body = "".join(f"            {identifier(sub_name(table[c][0]))}={text},\n"
                                   for c, text in zip(chain, texts))
                    construct = f"Chain(\n{body}        )"
                else:
                    construct = texts[0]
                if not all(it is not None for it in first_row):
                    present = tuple(it is not None for it in first_row)
                    construct = f"{construct} if {params.flag(identifier(first_rel.replace('.', '_')), present)} " \
                                "else nn.Identity()"
                attrs.append(f"        self.{attr} = {construct}")
                expression = f"self.{attr}({', '.join(in_vars)})"
            last_rel = table[chain[-1]][0]
            var = identifier(last_rel.replace(".", "_"))
            later = [r for d in chains[index + 1:] for r in self.wiring[table[d[0]][0]]]
            following = chains[index + 1] if index + 1 < len(chains) else None
            if following is not None and self.wiring[table[following[0]][0]][:1] == [last_rel] and \
                    later.count(last_rel) == 1 and not any(variables.get(r) == flow for r in later):
                var = flow
            variables[last_rel] = var
            forward.append(f"        {var} = {expression}")
        attrs += self.ties(table, per, chains, attr_names)
        final = len(self.graph.nodes) - 1
        tail = ".permute(0, 3, 1, 2)" if inputs is not None and self.plan.output[final] == NHWC else ""
        forward[-1] = f"        return {forward[-1].split(' = ', 1)[1]}{tail}"
        ordered, defaults = params.signature()
        ctor = ["self"] + [f"{p}: {type_name(params.vectors[p])}" + (f" = {py(defaults[p])}" if p in defaults else "")
                           for p in ordered]
        lines = [f"class {name}(nn.Module):", f'    """{doc}"""', "",
                 f"    def __init__({', '.join(ctor)}) -> None:", "        super().__init__()", *attrs, "",
                 f"    def forward({', '.join(['self', *(f'{a}: torch.Tensor' for a in arguments)])}) -> torch.Tensor:",
                 *forward]
        klass = Klass(name, ordered, defaults, lines, helpers=helpers)
        for m, b in enumerate(instances):
            if b is not None:
                klass.values[id(b)] = {p: params.vectors[p][m] for p in ordered}
        self.helpers.update(helpers)
        self.classes.append(klass)
        return klass

    def ties(self, table: list[tuple[str, list[Any]]], per: list[list[Item]], chains: list[list[int]],
             paths: dict[str, str]) -> list[str]:
        """`shares=` as PyTorch: the sharer's array is the owner's Parameter (one
        tensor, which model.parameters() yields once)."""
        lines: list[str] = []
        for rel, row in table:
            sharers = [it for it in row if it is not None and it.call is None
                       and self.graph.nodes[it.output].shares is not None]
            if not sharers:
                continue
            owners = set()
            for m, it in enumerate(row):
                if it is None:
                    continue
                owner = self.graph.nodes[it.output].shares
                found = [o.rel for o in per[m] if o.output == owner and o.call is None]
                if not found:
                    node = self.graph.nodes[it.output]
                    raise self.graph.error(f"layer '{node.name}' shares the weights of "
                                           f"'{self.graph.nodes[owner].name if owner is not None else '?'}', "
                                           "which its block's class does not hold: the PyTorch export ties "
                                           "weights within one block", node)
                owners.add(found[0])
            sample = sharers[0]
            node = self.graph.nodes[sample.output]
            owner_rel = owners.pop()
            if owners or len(sharers) != sum(it is not None for it in row):
                raise self.graph.error(f"layer '{node.name}' shares weights differently in different calls of "
                                       "its block, which one PyTorch class cannot say", node)
            owner_node = self.graph.nodes[next(o.output for o in per[0] if o.rel == owner_rel)]
            assert node.layer is not None and owner_node.layer is not None
            common = sorted(set(node.layer.learnable()) & set(owner_node.layer.learnable()))
            modules = {it.spec.constructor for it in (sample, next(o for o in per[0] if o.rel == owner_rel))
                       if isinstance(it.spec, Module)}
            if not common or not modules <= TIEABLE:
                raise self.graph.error(f"layer '{node.name}' shares weights the PyTorch export cannot tie "
                                       f"({', '.join(sorted(modules)) or 'no module'})", node)
            for array in common:
                lines.append(f"        {paths[f'@{rel}']}.{array} = {paths[f'@{owner_rel}']}.{array}  "
                             f"# shares={statement_of(owner_rel)}: one tensor")
        return lines

    def read(self, variables: dict[str, str], rel: str, item: Item, position: int) -> str:
        """The variable an item reads, converted to the form it wants."""
        var = variables[rel]
        node = item.inputs[position]
        # a block's input arrives in the form its first reader wants (its caller converts it)
        have = self.in_form if rel == "in" and self.in_form is not None else self.plan.output[node]
        if item.call is not None:
            want = self.wanted_by(item.call, node) if position == 0 else have
        else:
            want = self.plan.wanted[item.output][position]
        return convert(var, have, want)

    def wanted_by(self, b: BlockInstance, node: int) -> str:
        """The form a block instance's first reader of `node` wants it in."""
        for i in range(b.first, b.end):
            inputs = self.graph.nodes[i].inputs
            if node in inputs and self.graph.nodes[i].layer is not None:
                return self.plan.wanted[i][inputs.index(node)]
        return self.plan.output[node]

    def first_layer(self, b: BlockInstance) -> int:
        for i in range(b.first, b.end):
            if b.input in self.graph.nodes[i].inputs:
                return i
        return -1

    def chains(self, table: list[tuple[str, list[Any]]]) -> list[list[int]]:
        """Consecutive module items of one statement, each reading only the
        one before (in the form it has), become one Chain."""
        readers: Counter[str] = Counter(r for rel, _ in table for r in self.wiring[rel])
        chains: list[list[int]] = []
        for c, (rel, row) in enumerate(table):
            sample = next(it for it in row if it is not None)
            chainable = (not (sample.call is None and isinstance(sample.spec, Inline))
                         and all(it is not None for it in row) and "." in rel and len(self.wiring[rel]) == 1)
            if chains and chainable:
                prev_rel, prev_row = table[chains[-1][-1]]
                prev = next(it for it in prev_row if it is not None)
                wants = (self.wanted_by(sample.call, sample.inputs[0]) if sample.call is not None
                         else self.plan.wanted[sample.output][0])
                reads_as_is = wants == self.plan.output[prev.output]
                prev_chainable = (not (prev.call is None and isinstance(prev.spec, Inline))
                                  and all(it is not None for it in prev_row) and "." in prev_rel
                                  and len(self.wiring[prev_rel]) == 1)
                if (prev_chainable and statement_of(prev_rel) == statement_of(rel) and self.wiring[rel] == [prev_rel]
                        and readers[prev_rel] == 1 and reads_as_is):
                    chains[-1].append(c)
                    continue
            chains.append([c])
        return chains

    def constructor(self, rel: str, row: list[Any], params: Params, helpers: set[str]) -> str:
        """The text that builds an item, its varying values as parameters."""
        sample = next(it for it in row if it is not None)
        present = [m for m, it in enumerate(row) if it is not None]
        if sample.call is not None:
            klass = self.klass_of[id(sample.call)]
            # along a run, the values that change from call to call (a stride, a drop rate)
            runs = {m: [klass.values[id(c)] for c in (row[m].calls or [row[m].call])] for m in present}
            varying = [p for p in klass.params if sample.repeat
                       and any(len({repr(v[p]) for v in runs[m]}) > 1 for m in present)]
            loops: list[tuple[str, str]] = []
            parts = []
            positional = True
            for p in klass.params:
                if p in varying:
                    vector = tuple(tuple(v[p] for v in runs[m]) for m in present)
                    loops.append((identifier(p), params.express(vector, plural(p), present)))
                    text = identifier(p)
                else:
                    vector = tuple(klass.values[id(row[m].call)][p] for m in present)
                    text = params.express(vector, p, present, channels=p == "in_channels")
                if p in klass.defaults and text == py(klass.defaults[p]):
                    positional = False
                    continue
                if p in klass.defaults:
                    positional = False
                parts.append(text if positional else f"{p}={text}")
            call = f"{klass.name}({', '.join(parts)})"
            if loops and len(loops) == 1:
                return f"nn.Sequential(*({call} for {loops[0][0]} in {loops[0][1]}))"
            if loops:
                names, sources = ", ".join(n for n, _ in loops), ", ".join(t for _, t in loops)
                return f"nn.Sequential(*({call} for {names} in zip({sources})))"
            if sample.repeat:
                count = params.express(tuple(row[m].repeat for m in present), "n", present)
                return f"nn.Sequential(*({call} for _ in range({count})))"
            return call
        assert isinstance(sample.spec, Module)
        helpers.update(all_helpers(sample.spec))
        flats = [flat_values(filled(row[m].spec)) for m in present]
        exprs: dict[tuple[Any, ...], str] = {}
        for key in flats[0]:
            vector = tuple(f[key] for f in flats)
            if len(set(map(repr, vector))) == 1:
                continue
            hint = key[-1] if isinstance(key[-1], str) else ARG_NAMES.get(constructor_at(sample.spec, key), {}).get(
                key[-1], "value")
            channels = hint in ("in_channels", "in_features", "num_features", "normalized_shape", "num_channels",
                                "dim")
            exprs[key] = params.express(vector, hint, present, channels=channels,
                                        owner=identifier(rel.replace(".", "_")))
        return module_text(filled(sample.spec), exprs)

    # ---- the file ---------------------------------------------------------------
    def file_text(self, network: Klass) -> str:
        model = self.graph.metadata.model or "network"
        final = len(self.graph.nodes) - 1
        final_shape = framework_shape(self.shapes[final], NCHW if self.plan.output[final] == NHWC
                                      else self.plan.output[final])
        inputs = [(self.graph.nodes[i].name, framework_shape(self.shapes[i], self.plan.output[i]))
                  for i in self.graph.input_ids]
        header = [
            f'"""{model}: generated by archspec from its spec (PyTorch {network.name}).',
            "",
            "Inputs: " + ", ".join(f"{n} (N, {', '.join(map(str, s))})" for n, s in inputs)
            + f"; output: (N, {', '.join(map(str, final_shape))}).",
            "The classes follow the spec: one per block, the spec's names kept.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
        ]
        imports = []
        if self.helpers & NEED_MATH:
            imports.append("import math")
        if "Chain" in self.helpers:
            imports.append("from collections import OrderedDict")
        if "Interp" in self.helpers:
            imports.append("from fractions import Fraction")
        if imports:
            header += imports + [""]
        header += ["import torch", "import torch.nn.functional as F", "from torch import nn", ""]
        body: list[str] = []
        for helper in HELPER_ORDER:
            if helper in self.helpers:
                body += [HELPERS[helper].strip("\n"), "", ""]
        for klass in self.classes:
            body += klass.lines + ["", ""]
        args = ", ".join(f"torch.zeros(1, {', '.join(map(str, s))})" for _, s in inputs)
        body += ["if __name__ == \"__main__\":",
                 f"    model = {network.name}().eval()",
                 f"    print(model({args}).shape)"]
        text = "\n".join(header + body) + "\n"
        if "F." not in "\n".join(body):
            text = text.replace("import torch.nn.functional as F\n", "")
        return text


HELPER_ORDER = ["Chain", "Permute", "Reshape", "ChannelShuffle", "DropPath", "LayerScale", "L2Norm", "Interp",
                "Trim", "crop", "TokenEmbedding", "ClassToken", "PositionEmbedding", "SinusoidalPositions",
                "Windows", "Unwindow", "PatchMerge", "Attention", "stand-ins"]
NEED_MATH = {"SinusoidalPositions", "Unwindow", "Attention"}
# modules whose arrays are attributes named as archspec names them (weight, bias)
TIEABLE = {"nn.Conv2d", "nn.ConvTranspose2d", "nn.Linear", "TokenEmbedding", "nn.LayerNorm", "nn.BatchNorm2d"}

ARG_NAMES: dict[str, dict[int, str]] = {
    "nn.Conv2d": {0: "in_channels", 1: "out_channels", 2: "kernel_size"},
    "nn.ConvTranspose2d": {0: "in_channels", 1: "out_channels", 2: "kernel_size"},
    "nn.Linear": {0: "in_features", 1: "out_features"},
    "nn.BatchNorm2d": {0: "num_features"}, "nn.BatchNorm1d": {0: "num_features"},
    "nn.LayerNorm": {0: "normalized_shape"}, "nn.RMSNorm": {0: "normalized_shape"},
    "nn.GroupNorm": {0: "num_groups", 1: "num_channels"}, "nn.InstanceNorm2d": {0: "num_features"},
    "nn.MaxPool2d": {0: "kernel_size"}, "nn.AvgPool2d": {0: "kernel_size"}, "nn.Dropout": {0: "p"},
    "LayerScale": {0: "in_channels", 1: "init"}, "L2Norm": {0: "in_channels"}, "DropPath": {0: "p"},
    "Attention": {0: "dim", 1: "heads"}, "ClassToken": {0: "dim"}, "PositionEmbedding": {0: "positions", 1: "dim"},
    "TokenEmbedding": {0: "vocab", 1: "dim"}, "Windows": {0: "size"},
}


def type_name(vector: tuple[Any, ...]) -> str:
    kinds = {type(v) for v in vector if v is not None}
    names = {bool: "bool", int: "int", float: "float", str: "str"}
    if kinds == {int, float}:
        return "float"
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is tuple:
            return f"tuple[{type_name(tuple(x for v in vector if v is not None for x in v))}, ...]"
        return names.get(kind, "object")
    return "object"


def plural(name: str) -> str:
    """The name of a tuple of a parameter's values along a run."""
    return f"{name}_values" if name.endswith("s") else f"{name}s"


def typed(names: list[str]) -> list[str]:
    return [n if n == "self" else f"{n}: torch.Tensor" for n in names]


def constructor_at(module: Module, key: tuple[Any, ...]) -> str:
    """The constructor whose argument `key` points into."""
    current = module
    for i in range(0, len(key) - 2, 2):
        value = current.args[key[i + 1]] if key[i] == "args" else current.kwargs[key[i + 1]]
        if isinstance(value, Module):
            current = value
    return current.constructor


def filled(module: Module) -> Module:
    """The constructor call with every default keyword written out."""
    defaults = DEFAULTS.get(module.constructor, {})
    kwargs = {**defaults, **module.kwargs}
    return Module(module.constructor, [filled(a) if isinstance(a, Module) else a for a in module.args],
                  {k: filled(v) if isinstance(v, Module) else v for k, v in kwargs.items()}, module.helpers)


def type_key_loose(module: Module) -> tuple[Any, ...]:
    return type_key(filled(module))


def all_helpers(module: Module) -> set[str]:
    found = set(module.helpers)
    for value in [*module.args, *module.kwargs.values()]:
        if isinstance(value, Module):
            found |= all_helpers(value)
    return found


def relative(name: str, prefix: str) -> str:
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


def statement_of(rel: str) -> str:
    return rel.split(".", 1)[0]


def sub_name(rel: str) -> str:
    return rel.split(".", 1)[1] if "." in rel else rel


def unique_name(base: str, taken: dict[str, str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken[name] = base
    return name


def convert(var: str, have: str, want: str) -> str:
    """A tensor variable converted between forms, as forward writes it."""
    if have == want:
        return var
    conversions = {
        (NCHW, NHWC): f"{var}.permute(0, 2, 3, 1)", (NHWC, NCHW): f"{var}.permute(0, 3, 1, 2)",
        (NCHW, NC): f"{var}.flatten(1)", (NHWC, NC): f"{var}.flatten(1)", (NLC, NC): f"{var}.flatten(1)",
        (NC, NCHW): f"{var}[:, :, None, None]", (NC, NHWC): f"{var}[:, None, None, :]",
        (NLC, NCHW): f"{var}.transpose(1, 2)[..., None]", (NCHW, NLC): f"{var}[..., 0].transpose(1, 2)",
        (NLC, NHWC): f"{var}[:, :, None, :]", (NHWC, NLC): f"{var}[:, :, 0, :]",
    }
    return conversions[(have, want)]


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal values of equal types (1 is not True here)."""
    return len(a) == len(b) and all(type(x) is type(y) and x == y for x, y in zip(a, b))


class Params:
    """A class's constructor parameters: each varying value is expressed in
    them -- a parameter whose values match, a multiple of one, or a new one."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.vectors: dict[str, tuple[Any, ...]] = {}
        self.declared: dict[str, tuple[Any, ...]] = {}  # the block's own parameters (used or not)
        self.used: list[str] = []
        self.types: dict[str, str] = {}
        self.channel_names: set[str] = set()

    def declare(self, name: str, vector: tuple[Any, ...], channels: bool = False) -> None:
        self.declared[name] = vector
        if channels:
            self.channel_names.add(name)

    def use(self, name: str, vector: tuple[Any, ...]) -> str:
        if name not in self.vectors:
            self.vectors[name] = vector
            self.used.append(name)
        return name

    def express(self, vector: tuple[Any, ...], hint: str, present: list[int], channels: bool = False,
                owner: str = "") -> str:
        full = len(present) == self.n
        if len(set(map(repr, vector))) == 1 and (full or vector[0] is not None):
            return py(vector[0])
        pools = [self.vectors, self.declared]
        order = ["in_channels"] if channels else []
        for pool in pools:
            for name in order + list(pool):
                base = pool.get(name)
                if base is not None and same(tuple(base[m] for m in present), vector):
                    return self.use(name, base)
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in vector)
        if ints and len(vector) >= 3:
            for pool in pools:
                for name, base_full in list(pool.items()):
                    base = tuple(base_full[m] for m in present)
                    if all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in base):
                        for k in range(2, 9):
                            if all(v == k * b for v, b in zip(vector, base)):
                                return f"{k} * {self.use(name, base_full)}"
                        if all(v == b - 1 for v, b in zip(vector, base)):  # the repeats after a first unit
                            return f"{self.use(name, base_full)} - 1"
        if not full:
            filled_vector = [None] * self.n
            for m, v in zip(present, vector):
                filled_vector[m] = v
            vector = tuple(filled_vector)
        name = identifier(hint)
        if name in self.vectors or name in self.declared:
            name = identifier(f"{owner}_{hint}") if owner else name
        base_name, k = name, 1
        while name in self.vectors or name in self.declared:
            k += 1
            name = f"{base_name}{k}"
        return self.use(name, vector)

    def flag(self, hint: str, present: tuple[bool, ...]) -> str:
        for pool in (self.vectors, self.declared):
            for name, vector in pool.items():
                if all(isinstance(v, bool) for v in vector) and same(vector, present):
                    return self.use(name, vector)
        name = f"with_{hint}"
        return self.use(name, present)

    def signature(self) -> tuple[list[str], dict[str, Any]]:
        defaults: dict[str, Any] = {}
        for name in self.used:
            vector = self.vectors[name]
            common, count = Counter(map(repr, vector)).most_common(1)[0]
            value = next(v for v in vector if repr(v) == common)
            if self.n > 2 and count * 2 > self.n and value is not None:
                defaults[name] = value
        ordered = [p for p in self.used if p not in defaults] + [p for p in self.used if p in defaults]
        return ordered, defaults


def export_pytorch(graph: Graph, size: tuple[int, int] | None = None, stand_ins: bool = False) -> str:
    """The spec as the text of a Python file defining its nn.Module."""
    return TorchWriter(graph, size, stand_ins).build()


def expected_output(graph: Graph, size: tuple[int, int] | None = None) -> tuple[int, ...]:
    """The output shape (batch left out) the exported module gives at `size`."""
    shapes = infer_shapes(graph, size)
    plan = plan_forms(graph, shapes, TORCH_FORM_RULES)
    final = len(graph.nodes) - 1
    form = plan.output[final]
    shape = shapes[final]
    assert shape is not None
    return framework_shape(shape, NCHW if form == NHWC else form)


def input_forms(graph: Graph) -> dict[int, str]:
    """The form each network input is given to the exported module in."""
    return {i: input_form(graph.nodes[i]) for i in graph.input_ids}


__all__ = ["expected_output", "export_pytorch", "input_forms"]
