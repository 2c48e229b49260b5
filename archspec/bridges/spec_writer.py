"""A network (network.py) written as a readable spec.

Repeated structure (structure.py) becomes blocks: the arguments that differ
between a block's instances become its parameters -- one parameter for
values that always agree, `4 * width` for a value that is always a multiple
of another, `channels(in)` for the block's input width, a default for the
value most instances take -- and consecutive identical calls become
`block(...) x n`.  Chains are written as chains; a unit with branches as
named statements (`main`, `skip`, `gate`, `branch1`, ...).  The text is
checked by loading it with archspec's own loader (onnx_import.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..graph.builtins import BUILTINS
from ..kinds import REGISTRY
from .network import INPUT, Network
from .structure import Node, all_nodes, common_path, network_tree, reads_outside, sign

RESERVED = {"in", "x", "as", "and", "or", "not", "true", "false", "model", "input", "param", "import", "block",
            "tokens", "fixed", "channels", "chunk", "split"} | set(REGISTRY) | set(BUILTINS)
IN = "in"
# module names too general to name a block after
GENERIC = {"layer", "layers", "features", "feature", "block", "blocks", "stage", "stages", "module", "modules",
           "seq", "sequential", "body", "main", "net", "model", "backbone", "trunk", "encoder", "decoder"}


@dataclass(slots=True)
class Atom:
    """One step of a body: a layer, or a call of a block instance."""

    layer: int | None = None
    call: Node | None = None
    inputs: list[Any] = field(default_factory=list)  # IN, ("atom", k) or ("global", tensor)

    def output(self) -> int:
        return self.layer if self.layer is not None else self.call.exit  # type: ignore[union-attr]


@dataclass(slots=True)
class Block:
    name: str
    params: list[str]
    defaults: dict[str, Any]
    atoms: list[Atom]  # of the first instance, for the wiring
    args: list[dict[str, str]]  # per atom: argument -> expression in the parameters
    calls: dict[int, dict[str, Any]]  # id(instance node) -> the values of the parameters


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        text = repr(value)
        return text if "e" in text or "." in text else text + ".0"
    if isinstance(value, tuple):
        return "(" + ", ".join(value_text(v) for v in value) + ")"
    return str(value)


def identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_")
    name = re.sub(r"_+", "_", name)
    if not name or name[0].isdigit():
        name = "n_" + name
    return name


class SpecWriter:
    def __init__(self, net: Network) -> None:
        self.net = net
        self.order = self.layer_order()
        self.top, self.extra = network_tree(net, self.order)
        self.blocks: dict[tuple[object, ...], Block] = {}
        self.instance_of: dict[int, Block] = {}  # id(node) -> its block
        self.used_names: set[str] = set()
        self.taken: set[str] = set()  # top-level statement names
        self.needed: set[int] = set()  # tensors side branches read: statements end there
        self.referenced: set[str] = set()  # names read explicitly
        self.tensor_name: dict[int, str] = {}  # tensors a statement names (for shares=)
        self.owners = {t.shares for t in net.tensors if t.shares is not None}

    def layer_order(self) -> list[int]:
        """Layers that lead to an output, in order, the network's output last."""
        net = self.net
        keep = set()
        stack = list(net.outputs)
        while stack:
            t = stack.pop()
            if t in keep:
                continue
            keep.add(t)
            stack.extend(net.tensors[t].inputs)
        order = [i for i, t in enumerate(net.tensors) if i in keep and t.kind != INPUT]
        final = net.outputs[-1]
        if order and order[-1] != final and not any(final in net.tensors[t].inputs for t in order):
            order.remove(final)
            order.append(final)
        return order

    # ---- blocks ----------------------------------------------------------------------
    def find_blocks(self) -> None:
        for node in self.top:
            sign(self.net, node)
        candidates = [n for n in all_nodes(self.top) if n.kind in ("unit", "group") and n.size >= 3
                      and not reads_outside(self.net, n, self.extra)]
        counts = Counter(n.signature for n in candidates)
        # a unit repeated twice is a block; a group of units (a stage) only from three on,
        # so two stages alike by chance do not hide the others' form
        least = {n.signature: 3 if n.kind == "group" else 2 for n in candidates}
        families = sorted((s for s, c in counts.items() if c >= least[s]),
                          key=lambda s: min(n.size for n in candidates if n.signature == s))
        families = [s for s in families if not self.always_alone_inside(s, candidates, families)]
        for signature in families:
            instances = [n for n in candidates if n.signature == signature]
            block = self.make_block(instances)
            if block is not None:
                self.blocks[signature] = block
                for n in instances:
                    self.instance_of[id(n)] = block

    def always_alone_inside(self, signature: tuple[object, ...], candidates: list[Node],
                            families: list[tuple[object, ...]]) -> bool:
        """Whether every instance of a structure is the one such instance inside
        an instance of one other repeated structure (a residual inside its
        unit): then it is written inside that block, not as a block of its own."""
        for outer in families:
            if outer == signature:
                continue
            containers = [n for n in candidates if n.signature == outer]
            inside = [[d for d in all_nodes(c.children) if d.signature == signature] for c in containers]
            total = sum(len(i) for i in inside)
            mine = sum(1 for n in candidates if n.signature == signature)
            if total == mine and all(len(i) == 1 for i in inside):
                return True
        return False

    def atoms(self, node: Node) -> list[Atom]:
        """A node's steps: its layers, with nested block instances as calls."""
        steps: list[Atom] = []
        covered: dict[int, Node] = {}
        for child in self.callable_children(node):
            for t in child.layers:
                covered[t] = child
        seen: set[int] = set()
        for t in node.layers:
            holder = covered.get(t)
            if holder is None:
                steps.append(Atom(layer=t))
            elif id(holder) not in seen:
                seen.add(id(holder))
                steps.append(Atom(call=holder))
        made = {a.output(): k for k, a in enumerate(steps)}
        for atom in steps:
            reads = [atom.call.entry] if atom.call is not None else self.net.tensors[atom.layer].inputs  # type: ignore[index]
            atom.inputs = [IN if j == node.entry else ("atom", made[j]) if j in made else ("global", j)
                           for j in reads]
        return steps

    def callable_children(self, node: Node) -> list[Node]:
        """The outermost block instances inside a node (not the node itself)."""
        found: list[Node] = []
        for child in node.children:
            if id(child) in self.instance_of:
                found.append(child)
            else:
                found.extend(self.callable_children(child))
        return found

    def make_block(self, instances: list[Node]) -> Block | None:
        per_instance = [self.atoms(n) for n in instances]
        shape = [(a.layer is not None and self.net.tensors[a.layer].kind,
                  a.call is not None and id(self.instance_of[id(a.call)]), a.inputs) for a in per_instance[0]]
        for atoms in per_instance[1:]:
            other = [(a.layer is not None and self.net.tensors[a.layer].kind,
                      a.call is not None and id(self.instance_of[id(a.call)]), a.inputs) for a in atoms]
            if other != shape:
                return None
        # the values each argument of each step takes, instance by instance
        slots: list[tuple[int, str]] = []
        vectors: dict[tuple[int, str], tuple[Any, ...]] = {}
        for k, atom in enumerate(per_instance[0]):
            keys = list(self.step_values(atom))
            for key in keys:
                slots.append((k, key))
                vectors[(k, key)] = tuple(self.step_values(atoms[k])[key] for atoms in per_instance)
        entry_channels = tuple(self.net.tensors[n.entry].shape[0] for n in instances)
        params: list[str] = []
        param_vectors: dict[str, tuple[Any, ...]] = {}
        expressions: dict[tuple[int, str], str] = {}
        names_used: Counter[str] = Counter()
        for slot in slots:
            vector = vectors[slot]
            if len(set(vector)) == 1:
                expressions[slot] = value_text(vector[0])
                continue
            expressions[slot] = self.expression(vector, slot[1], params, param_vectors, entry_channels, names_used)
        defaults: dict[str, Any] = {}
        for p in params:
            common, count = Counter(param_vectors[p]).most_common(1)[0]
            if count * 2 > len(instances) and len(instances) > 2:
                defaults[p] = common
        ordered = [p for p in params if p not in defaults] + [p for p in params if p in defaults]
        args: list[dict[str, str]] = [{} for _ in per_instance[0]]
        for (k, key), text in expressions.items():
            args[k][key] = text
        calls = {id(n): {p: param_vectors[p][i] for p in ordered} for i, n in enumerate(instances)}
        name = self.unique(self.source_name(instances) or self.block_name(instances[0], per_instance[0]))
        return Block(name, ordered, defaults, per_instance[0], args, calls)

    def step_values(self, atom: Atom) -> dict[str, Any]:
        """A step's arguments, every one the kind has (defaults included), or a call's parameter values."""
        if atom.call is not None:
            block = self.instance_of[id(atom.call)]
            return dict(block.calls[id(atom.call)])
        tensor = self.net.tensors[atom.layer]  # type: ignore[index]
        assert tensor.layer is not None
        values = tensor.layer.model_dump()
        return {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()
                if k not in ("in_features",) and not (k == "kernel" and tensor.kind == "fc")}

    def expression(self, vector: tuple[Any, ...], key: str, params: list[str],
                   param_vectors: dict[str, tuple[Any, ...]], entry_channels: tuple[int, ...],
                   names_used: Counter[str]) -> str:
        for p in params:
            if param_vectors[p] == vector:
                return p
        if vector == entry_channels:
            return "channels(in)"
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in vector)
        if ints and len(vector) >= 3:  # a relation seen twice may be chance
            for p in params:
                base = param_vectors[p]
                if all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in base):
                    for m in range(2, 17):
                        if all(v == m * b for v, b in zip(vector, base)):
                            return f"{m} * {p}"
                    for m in range(2, 17):
                        if all(b % m == 0 and v == b // m for v, b in zip(vector, base)):
                            return f"{p} // {m}"
        base_name = {"out": "width", "pad": "padding"}.get(key, key)
        name = base_name
        while name in RESERVED or name in param_vectors:
            names_used[base_name] += 1
            name = f"{base_name}{names_used[base_name] + 1}"
        params.append(name)
        param_vectors[name] = vector
        return name

    def source_name(self, instances: list[Node]) -> str | None:
        """The name the source gave every instance, less its number
        (`transition1`, `transition2` -> `transition`), unless it is a generic one."""
        stems = set()
        for n in instances:
            label = n.name or (common_path(self.net, n.layers)[-1:] or ("",))[0]
            stems.add(re.sub(r"[\d._]+$", "", label.rsplit("/", 1)[-1]).lower())
        if len(stems) != 1:
            return None
        stem = stems.pop()
        if len(stem) < 3 or stem in GENERIC or stem in RESERVED or not re.fullmatch(r"[a-z][a-z_]*", stem):
            return None
        return stem

    def block_name(self, node: Node, atoms: list[Atom]) -> str:
        kinds = [self.net.tensors[a.layer].kind for a in atoms if a.layer is not None]
        last = atoms[-1]
        reads_in = sum(1 for a in atoms for j in a.inputs if j == IN)
        merge = self.net.tensors[last.layer].kind if last.layer is not None else ""
        tail_merges = [self.net.tensors[a.layer].kind for a in atoms[-2:] if a.layer is not None]
        if "add" in tail_merges and reads_in >= 2:
            skip_layers = [a for a in atoms if a.inputs == [IN]]
            projected = len(skip_layers) >= 2 and any(
                a.layer is not None and self.net.tensors[a.layer].kind == "conv" for a in skip_layers)
            return "residual_projected" if projected else "residual"
        if merge == "mul" and "gavgpool" in kinds:
            return "squeeze_excite"
        if merge == "concat":
            return "dense" if IN in last.inputs else "branches"
        if node.kind == "group" and all(a.call is not None for a in atoms):
            return "stage"
        if all(a.layer is not None for a in atoms) and len(kinds) <= 4:
            return "_".join(kinds)
        return "unit"

    def unique(self, name: str) -> str:
        name = identifier(name)
        while name in RESERVED:
            name += "_"
        candidate, n = name, 1
        while candidate in self.used_names:
            n += 1
            candidate = f"{name}{n}"
        self.used_names.add(candidate)
        return candidate

    # ---- writing ---------------------------------------------------------------------
    def step_text(self, atom: Atom, args: dict[str, str] | None, names: dict[Any, str],
                  head: bool, previous: Any) -> str:
        """A step as written in a chain: `conv(64, 3, stride=2)`, `add(skip)`,
        `residual(256, stride=2)`.  `args` are expressions (in a block body);
        otherwise the step's own values are written."""
        if atom.call is not None:
            block = self.instance_of[id(atom.call)]
            values = block.calls[id(atom.call)]
            parts = []
            positional = True
            for p in block.params:
                text = args[p] if args is not None else value_text(values[p])
                if p in block.defaults and text == value_text(block.defaults[p]):
                    positional = False
                    continue
                if p in block.defaults:
                    positional = False
                parts.append(text if positional else f"{p}={text}")
            return f"{block.name}({', '.join(parts)})" if parts or block.params else block.name
        tensor = self.net.tensors[atom.layer]  # type: ignore[index]
        cls = REGISTRY[tensor.kind]
        extra = [names[i] for i in (atom.inputs if head else atom.inputs[1:])] if (
            len(atom.inputs) > 1 or (head and atom.inputs and atom.inputs[0] != previous)) else []
        if head and len(atom.inputs) == 1:
            extra = []
        values = self.step_values(atom) if args is None else {}
        written: list[str] = list(extra)
        positional = True
        fields = cls.model_fields
        for key in list(cls.positional) + [k for k in fields if k not in cls.positional]:
            if args is not None:
                if key not in args:
                    positional = False
                    continue
                text = args[key]
                literal_default = key in fields and value_text(_default(fields[key])) == text
            else:
                if key not in values:
                    positional = False
                    continue
                text = value_text(values[key])
                literal_default = values[key] == _default(fields[key])
            if literal_default:
                positional = False
                continue
            if key not in cls.positional:
                positional = False
            written.append(text if positional else f"{key}={text}")
        if tensor.shares is not None:
            owner = self.tensor_name.get(tensor.shares)
            if owner is None:
                raise ValueError(f"layer {tensor.name} shares the weights of an unnamed tensor")
            written.append(f"shares={owner}")
        return f"{tensor.kind}({', '.join(written)})" if written else tensor.kind

    def body(self, atoms: list[Atom], args: list[dict[str, str]] | None, source: str,
             final_name: str | None, prefix: str = "", named: dict[int, str] | None = None,
             follows: bool = True) -> list[str]:
        """Statements for a body of steps reading `source` (`in` in a block).
        The last statement is named `final_name` (None: a bare chain)."""
        readers: Counter[Any] = Counter()
        for atom in atoms:
            for j in atom.inputs:
                readers[j] += 1
        chains: list[list[int]] = []
        needed = self.needed if named is not None else set()
        for k, atom in enumerate(atoms):
            previous = ("atom", k - 1)
            continues = (chains and atom.inputs and atom.inputs[0] == previous and readers[previous] == 1
                         and chains[-1][-1] == k - 1 and atoms[k - 1].output() not in needed
                         and atoms[k - 1].output() not in self.owners)
            if continues:
                chains[-1].append(k)
            else:
                chains.append([k])
        names: dict[Any, str] = {IN: source}
        for t in self.extra:
            names[("global", t)] = self.input_name(self.net.tensors[t])
        for t, statement in (named or {}).items():
            names[("named", t)] = statement
        roles = self.roles(atoms, chains) if named is None else self.source_roles(atoms, chains, prefix)
        lines = []
        current: Any = IN if follows else None  # the tensor a chain continues implicitly
        for c, chain in enumerate(chains):
            last = c == len(chains) - 1
            head = atoms[chain[0]]
            steps: list[str] = []
            repeats: list[int] = []
            for position, k in enumerate(chain):
                step = self.step_text(atoms[k], args[k] if args is not None else None, names, position == 0, current)
                if steps and atoms[k].call is not None and step == steps[-1] and position > 1 - (
                        len(head.inputs) == 1 and head.inputs[0] == current):
                    repeats[-1] += 1
                    continue
                steps.append(step)
                repeats.append(1)
            steps = [step if n == 1 else f"{step} x {n}" for step, n in zip(steps, repeats)]
            source_text = ""
            if len(head.inputs) == 1 and head.inputs[0] != current:
                source_text = names[head.inputs[0]] + " > "
            text = source_text + " > ".join(steps)
            name: str | None = final_name if last else roles[c] if named is not None else prefix + roles[c]
            line = f"{name} = {text}" if name else text
            note = self.note_of(atoms, chain)
            lines.append(line + (f"   # {note}" if note else ""))
            out = ("atom", chain[-1])
            names[out] = name or source
            if name:
                self.tensor_name[atoms[chain[-1]].output()] = name
            if named is not None and name:
                named[atoms[chain[-1]].output()] = name
            current = out
            if source_text:
                self.referenced.add(names[head.inputs[0]])
            for position, k in enumerate(chain):
                written = atoms[k].inputs if position == 0 and len(atoms[k].inputs) > 1 else atoms[k].inputs[1:]
                self.referenced.update(names[j] for j in written if j in names)
        return lines

    def note_of(self, atoms: list[Atom], chain: list[int]) -> str:
        notes = [self.net.tensors[atoms[k].layer].note for k in chain if atoms[k].layer is not None]  # type: ignore[index]
        return "; ".join(n for n in notes if n)

    def source_roles(self, atoms: list[Atom], chains: list[list[int]], prefix: str) -> list[str]:
        """Top-level statement names: each chain's output as the source named
        it (`rpn_bbox_pred`), else its role prefixed with the statement's."""
        roles = self.roles(atoms, chains)
        names = []
        for chain, role in zip(chains, roles):
            atom = atoms[chain[-1]]
            source = self.net.tensors[atom.output()]
            leaf = source.path[-1] if source.path and atom.call is not None else source.name
            base = identifier(leaf) if re.fullmatch(r"[A-Za-z_][\w.]*", leaf) else prefix + role
            while base in RESERVED or base in self.used_names or base in self.taken:
                base += "_"
            self.taken.add(base)
            names.append(base)
        return names

    def roles(self, atoms: list[Atom], chains: list[list[int]]) -> list[str]:
        """Names for the statements of a body, from how their outputs are used."""
        owner = {k: c for c, chain in enumerate(chains) for k in chain}
        names: list[str] = []
        for chain in chains:
            out = ("atom", chain[-1])
            role = "x"
            for k, atom in enumerate(atoms):
                if out in atom.inputs and owner.get(k) != owner[chain[-1]]:
                    kind = self.net.tensors[atom.layer].kind if atom.layer is not None else "call"
                    position = atom.inputs.index(out)
                    if kind in ("add", "max", "axpy"):
                        role = "main" if position == 0 else "skip"
                    elif kind == "mul":
                        role = "gate" if position == 1 else "main"
                    elif kind == "concat":
                        role = f"branch{position + 1}"
                    break
            names.append(role)
        counts = Counter(names)
        seen: Counter[str] = Counter()
        unique = []
        for n in names:
            seen[n] += 1
            unique.append(n if counts[n] == 1 else f"{n}{seen[n]}")
        return unique

    def write(self) -> str:
        self.find_blocks()
        lines: list[str] = []
        meta = self.net.metadata
        model = str(meta.get("model") or "imported")
        lines.append(f"model {model if re.fullmatch(r'[A-Za-z0-9_][A-Za-z0-9_.-]*', model) else value_text(model)}")
        for key in ("title", "source", "task", "src", "error", "scales", "note"):
            if meta.get(key):
                lines.append(f"@{key} {self.meta_value(key, meta[key])}")
        blocks: list[str] = []
        for block in sorted(self.blocks.values(), key=lambda b: self.block_depth(b)):
            blocks.append("")
            blocks.extend(self.block_text(block))
        statements = self.top_statements()
        for t in self.net.tensors:
            if t.kind != INPUT:
                continue
            c, h, w = t.shape
            dims = f"tokens {h} x {c}" if t.tokens else (f"{c}" if t.fixed and (h, w) == (1, 1) else f"{c} x {h} x {w}")
            name = self.input_name(t)
            named = "" if t is self.first_input() and name not in self.referenced else f"{name}: "
            lines.append(f"input {named}{dims}{' fixed' if t.fixed and not t.tokens else ''}")
        lines.extend(blocks)
        lines.append("")
        lines.extend(statements)
        return "\n".join(lines) + "\n"

    def input_name(self, tensor: Any) -> str:
        name = identifier(tensor.name)
        return "image" if name in ("input", "in") or name in RESERVED else name

    def first_input(self) -> Any:
        return next(t for t in self.net.tensors if t.kind == INPUT)

    @staticmethod
    def meta_value(key: str, value: Any) -> str:
        if key == "error" and isinstance(value, str):
            parts = [p.strip() for p in value.strip("()").split(",")]
            return " / ".join("-" if p in ("None", "") else p for p in parts)
        if key == "scales" and isinstance(value, str):
            return value
        return value_text(str(value))

    def block_depth(self, block: Block) -> int:
        depth = 0
        for atom in block.atoms:
            if atom.call is not None:
                depth = max(depth, 1 + self.block_depth(self.instance_of[id(atom.call)]))
        return depth

    def block_text(self, block: Block) -> list[str]:
        params = [p if p not in block.defaults else f"{p}={value_text(block.defaults[p])}" for p in block.params]
        body = self.body(block.atoms, block.args, IN, None)
        return [f"block {block.name}({', '.join(params)}) {{", *("    " + line for line in body), "}"]

    def top_statements(self) -> list[str]:
        lines: list[str] = []
        run: list[Node] = []
        taken = self.taken
        nodes = self.statement_nodes(self.top)
        needed = {j for n in nodes if n.kind == "side" for t in n.layers for j in self.net.tensors[t].inputs}
        self.needed = needed
        self.statement_of: dict[int, str] = {}
        self.previous = self.first_input_index()
        self.statement_of[self.previous] = self.input_name(self.first_input())

        def name_for(node: Node) -> str:
            path = common_path(self.net, node.layers)
            if node.name:
                base = identifier(node.name)
            elif node.kind != "layer" and path:
                base = identifier(path[-1])
            else:
                t = self.net.tensors[node.layers[0]]
                leaf = t.path[-1] if t.path else t.name
                base = identifier(leaf) if re.fullmatch(r"[A-Za-z_][\w.]*", leaf) else t.kind
            while base in RESERVED or base in self.used_names:
                base += "_"
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name)
            return name

        def write(atoms: list[Atom], name: str, prefix: str) -> None:
            follows = self.previous
            source = self.relink(atoms)
            body = self.body(atoms, None, self.statement_of[source], name, prefix=prefix,
                             named=self.statement_of, follows=source == follows)
            lines.extend(body)
            self.statement_of[atoms[-1].output()] = name
            self.previous = atoms[-1].output()

        def flush() -> None:
            if run:
                write([a for n in run for a in self.top_atoms(n)], name_for(run[0]), "")
                run.clear()

        for node in nodes:
            if node.kind == "layer":
                run.append(node)
                if node.exit in needed:
                    flush()
                continue
            flush()
            name = name_for(node)
            exit_name = self.net.tensors[node.exit].name
            if node.kind in ("unit", "side") and re.fullmatch(r"[A-Za-z_][\w]*", exit_name) and \
                    exit_name not in RESERVED and exit_name not in taken:
                taken.discard(name)
                name = exit_name
                taken.add(name)
            write(self.top_atoms(node), name, name + "_")
        flush()
        return lines

    def statement_nodes(self, nodes: list[Node]) -> list[Node]:
        """The nodes written as top-level statements: a group that is no
        block's instance and holds such groups is opened, one statement per part."""
        found: list[Node] = []
        for node in nodes:
            if node.kind == "group" and id(node) not in self.instance_of and any(
                    c.kind == "group" and id(c) not in self.instance_of and c.size >= 3 for c in node.children):
                found.extend(self.statement_nodes(node.children))
            else:
                found.append(node)
        return found

    def first_input_index(self) -> int:
        return next(i for i, t in enumerate(self.net.tensors) if t.kind == INPUT)

    def top_atoms(self, node: Node) -> list[Atom]:
        if id(node) in self.instance_of:
            return [Atom(call=node)]
        if node.kind == "layer":
            return [Atom(layer=node.layers[0])]
        if node.kind == "side":
            return [Atom(layer=t) for t in node.layers]
        return self.atoms(node)

    def relink(self, atoms: list[Atom]) -> int:
        """Wire top-level steps: among themselves, to extra inputs, and to
        earlier statements by name -- the one they read first is their source
        (returned), written implicitly when it is the statement just before."""
        made = {a.output(): k for k, a in enumerate(atoms)}
        outer: list[int] = []
        for atom in atoms:
            reads = [atom.call.entry] if atom.call is not None else self.net.tensors[atom.layer].inputs  # type: ignore[index]
            wired: list[Any] = []
            for j in reads:
                if j in made:
                    wired.append(("atom", made[j]))
                elif j in self.extra:
                    wired.append(("global", j))
                else:
                    if j not in self.statement_of:
                        raise ValueError(f"tensor {j} is read across statements but is no statement's output")
                    outer.append(j)
                    wired.append(("named", j))
            atom.inputs = wired
        source = self.previous if self.previous in outer or not outer else outer[0]
        for atom in atoms:
            atom.inputs = [IN if j == ("named", source) else j for j in atom.inputs]
        return source


def _default(field: Any) -> Any:
    from pydantic_core import PydanticUndefined

    value = field.default
    return None if value is PydanticUndefined else value


def write_spec(net: Network) -> str:
    return SpecWriter(net).write()


__all__ = ["SpecWriter", "write_spec"]
