"""Syntax tree -> flat layer graph.

Evaluation is eager and single-pass: statements run in order, and applying a
chain to a tensor appends its layers to the graph at once.  Blocks are called
like layers; repetition and conditionals are resolved here, so the graph the
engine sees has no blocks, no repeats and no expressions left.

Naming (every layer gets a stable, hierarchical name):
* `x = conv(...)`           one layer: it is named `x`;
* `x = conv > bn > relu`    several: `x.conv`, `x.bn`, `x.relu`; a kind that
                            occurs more than once is numbered (`x.conv1`, `x.conv2`);
* a bare chain inside a block is named directly under the block instance;
* `step as name`            an explicit name, relative to the enclosing block;
* a block instance prefixes its layers: `res2.bottleneck1.main.conv1`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from pydantic import ValidationError

from ..errors import ArchError, Location, suggest
from ..kinds import REGISTRY, Layer, Shape, ShapeError
from ..kinds.shape import IMAGE, SAME, TOKENS
from ..kinds.site import Site
from ..limits import MAX_CALL_DEPTH, MAX_INT, MAX_LAYERS, MAX_SIDE
from ..syntax import tree as ast
from . import replay
from .estimate import LayerEstimate
from .evaluate import Evaluator
from .layer_graph import BlockInstance, Graph, Metadata, Node
from .shapes import infer_shapes, shape_error
from .values import Block, BlockStep, FileNames, GroupStep, LayerStep, Pipe, Scope, SplitStep, Step, Tensor, describe

Output = Tensor | tuple[Tensor, ...]  # what applying a chain gives: a tensor, or chunk/split's pieces

MAX_MODEL_NAME = 100
# A model name is also a file name (reports/<model>.md): nothing that could
# leave the output folder (`/`, `..`), hide (a leading `.`) or confuse a shell.
MODEL_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._+-]{{0,{MAX_MODEL_NAME - 1}}}")
_ROOMY = 1 << 16  # a side big enough for any layer, to learn channel counts past a too-small input


class ModuleLoader(Protocol):
    def load_import(self, target: str, importer: ast.Module, pos: ast.Pos) -> ast.Module: ...

    def entered(self, module: ast.Module) -> AbstractContextManager[None]: ...

    def suggest_import(self, name: str, importer: ast.Module) -> str | None: ...


class Expander(Evaluator):
    """Runs statements in order; applying a chain to a tensor makes its layers."""

    def __init__(self, graph: Graph, loader: ModuleLoader, overrides: dict[str, Any]) -> None:
        self.graph = graph
        self.loader = loader
        self.overrides = dict(overrides)
        self.files: dict[str, FileNames] = {}  # by path: each file's own names (docs/language.md)
        self.call_stack: list[Block] = []
        self.prefixes: set[str] = set()
        self.block_sizes: dict[int, int] = {}  # by id(Block): the most layers one call has made
        # block instances by their output node, as positions in graph.blocks: indexed
        # only when a `shares=` looks one up (a million-layer network never may)
        self.instance_at: dict[int, int] = {}
        self.instances_indexed = 0  # how many of graph.blocks instance_at has seen
        # One Location object per place in the text: `relu x 999999` makes its
        # layers at one place, and the analysis shares the figures of layers
        # whose layer and location objects are the same (costs/engine.py).
        self.locations: dict[tuple[str, int, int, int], Location] = {}
        self.estimate = LayerEstimate()  # layers a call makes at least, before it is made
        self.too_small_at_reference = False
        self._layer_cache: dict[tuple[Any, ...], Layer] = {}
        self._next_number: dict[str, int] = {}  # by base name: where `numbered` resumes
        # Repeated block calls (graph/replay.py): calls made so far and records, by key
        self.calls_by_key: dict[tuple[Any, ...], int] = {}
        self.records: dict[tuple[Any, ...], replay.Record] = {}
        self.claimed: list[str] = []  # every prefix claimed, in order (a record lists those made inside)
        self.names_version = 0

    def import_hint(self, name: str, scope: Scope) -> str | None:
        return self.loader.suggest_import(name, scope.module)

    # ---- program ------------------------------------------------------
    def run_main(self, module: ast.Module) -> None:
        self.graph.path = module.path
        self.graph.sources[module.path] = module.source
        scope = Scope("", module, self.new_file(module), None, None, top=True)
        meta: dict[str, Any] = {}
        for stmt in module.statements:
            self.run_located(stmt, scope, meta)
        unknown = set(self.overrides) - set(self.graph.params)
        if unknown:
            name = sorted(unknown)[0]
            known = ", ".join(self.graph.params) or "none"
            raise ArchError(f"the spec has no parameter '{name}' (its parameters: {known})",
                            hint=suggest(name, self.graph.params), argument="overrides")
        try:
            self.graph.metadata = Metadata(**meta)
        except ValidationError as exc:
            raise ArchError(f"bad metadata: {exc.errors()[0]['msg']}", module.location(ast.Pos(1, 1))) from None

    def new_file(self, module: ast.Module) -> FileNames:
        names = FileNames(module)
        self.files[module.path] = names
        return names

    def names_changed(self) -> None:
        """A file gained a name or an import: what imports offer must be looked up again."""
        self.names_version += 1  # and a recorded block instance may no longer be what its body makes
        for names in self.files.values():
            names.changed()

    def run_library(self, module: ast.Module) -> None:
        self.graph.sources[module.path] = module.source
        scope = Scope("", module, self.new_file(module), None, None, top=True)
        for stmt in module.statements:
            if isinstance(stmt, (ast.BlockDef, ast.ImportDecl)) or (
                    isinstance(stmt, ast.Assign) and not self._is_chain(stmt.value, scope)):
                self.run_located(stmt, scope, {})
            else:
                raise self.error("an imported file may only define blocks, values and imports",
                                 module, stmt.pos)

    def run_located(self, stmt: ast.Statement, scope: Scope, meta: dict[str, Any]) -> None:
        """A top-level statement; one nested past Python's stack is an error at it."""
        try:
            self.run_statement(stmt, scope, meta)
        except RecursionError:
            raise self.error("this statement is nested too deeply to evaluate", scope.module, stmt.pos) from None

    def _is_chain(self, expr: ast.Expr, scope: Scope) -> bool:
        value = self.evaluate(expr, scope)
        return isinstance(value, (Pipe, Tensor))

    def run_statement(self, stmt: ast.Statement, scope: Scope, meta: dict[str, Any]) -> None:
        module = scope.module
        if isinstance(stmt, ast.ModelDecl):
            if not MODEL_NAME.fullmatch(stmt.name):
                raise self.error(f"model names are 1 to {MAX_MODEL_NAME} letters, digits, '-', '_', '.' or '+', "
                                 "starting with a letter or digit (a report file is named after the model)",
                                 module, stmt.pos)
            meta["model"] = stmt.name
        elif isinstance(stmt, ast.MetaDecl):
            self.run_meta(stmt, scope, meta)
        elif isinstance(stmt, ast.InputDecl):
            self.run_input(stmt, scope)
        elif isinstance(stmt, ast.ParamDecl):
            self.run_param(stmt, scope)
        elif isinstance(stmt, ast.ImportDecl):
            imported = self.loader.load_import(stmt.path, module, stmt.pos)
            if imported.path not in self.files:
                with self.loader.entered(imported):
                    self.run_library(imported)
            scope.file.imports.append(self.files[imported.path])
            self.names_changed()
        elif isinstance(stmt, ast.BlockDef):
            if stmt.name in scope.file.blocks:
                other = scope.file.blocks[stmt.name]
                where = other.module.location(other.definition.pos)
                raise self.error(f"block '{stmt.name}' is already defined at {where}", module, stmt.pos)
            if stmt.name in REGISTRY:
                raise self.error(f"'{stmt.name}' is a layer kind; give the block another name",
                                 module, stmt.pos)
            scope.file.blocks[stmt.name] = Block(stmt, module, scope.file)
            self.names_changed()
        elif isinstance(stmt, ast.Assign):
            self.run_assign(stmt, scope)
        else:
            self.run_bare(stmt, scope)

    def run_meta(self, stmt: ast.MetaDecl, scope: Scope, meta: dict[str, Any]) -> None:
        known = Metadata.model_fields
        if stmt.key not in known or stmt.key == "model":
            raise self.error(f"unknown metadata '@{stmt.key}'", scope.module, stmt.pos,
                             hint=suggest(stmt.key, [k for k in known if k != "model"]) or
                             "known: " + ", ".join("@" + k for k in known if k != "model"))
        if isinstance(stmt.value, ast.Ratio):
            value: Any = stmt.value.parts
        else:
            expr = stmt.value
            # bare names in metadata are words (`@task classification`), not variables
            value = expr.id if isinstance(expr, ast.Name) else self.evaluate(expr, scope)
            if isinstance(value, (Tensor, Pipe)):
                raise self.error(f"@{stmt.key} must be a value", scope.module, stmt.pos)
        if stmt.key == "scales" and isinstance(value, (int, float)):
            value = (value,)
        if stmt.key == "members":
            value = (value,) if isinstance(value, str) else value
            if not isinstance(value, tuple) or not all(isinstance(v, str) and MODEL_NAME.fullmatch(v) for v in value):
                raise self.error("@members names model specs: a name or a tuple of quoted names, "
                                 'such as ("resnet18", "resnet34")', scope.module, stmt.pos)
        meta[stmt.key] = value

    def run_input(self, stmt: ast.InputDecl, scope: Scope) -> None:
        dims = [self.evaluate(d, scope) for d in stmt.dims]
        for axis, (d, expr) in enumerate(zip(dims, stmt.dims)):
            # a side (H or W, or a token count) up to MAX_SIDE, as on the command line;
            # channels (or a token's dimension) up to MAX_INT
            side = axis == 0 if stmt.tokens else (len(dims) == 3 and axis > 0)
            most = MAX_SIDE if side else MAX_INT
            if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= most:
                raise self.error(f"input sizes must be whole numbers from 1 to {most}, got {d!r}",
                                 scope.module, getattr(expr, "pos", stmt.pos))
        if stmt.tokens:  # N token ids, or N tokens of dimension D, held as D x N x 1
            if len(dims) not in (1, 2):
                raise self.error("a token input is N (token ids) or N x D (N tokens of dimension D)",
                                 scope.module, stmt.pos)
            shape = (dims[1] if len(dims) == 2 else 1, dims[0], 1)
        elif len(dims) == 1:
            shape = (dims[0], 1, 1)
        elif len(dims) == 3:
            shape = (dims[0], dims[1], dims[2])
        else:
            raise self.error("an input is C or C x H x W (or `tokens N` / `tokens N x D`)", scope.module, stmt.pos)
        name = stmt.name or "input"
        if name in scope.values or name in self.graph.index:
            raise self.error(f"'{name}' is already defined", scope.module, stmt.pos)
        node = self.add_node(name, None, (), scope.module, stmt.pos, shape=shape, fixed=stmt.fixed,
                             layout_of_input=TOKENS if stmt.tokens else IMAGE)
        tensor = Tensor(node)
        if stmt.name:
            scope.values[stmt.name] = tensor
        if scope.input is None:
            scope.input = scope.current = tensor

    def run_param(self, stmt: ast.ParamDecl, scope: Scope) -> None:
        default = self.evaluate(stmt.value, scope)
        if isinstance(default, (Tensor, Pipe)):
            raise self.error("a param must be a value, not a layer or tensor", scope.module, stmt.pos)
        value = default
        if stmt.name in self.overrides:
            value = self.overrides[stmt.name]
            numeric = (int, float)
            same = (isinstance(value, bool) == isinstance(default, bool)) and (
                (isinstance(value, numeric) and isinstance(default, numeric)) or type(value) is type(default))
            if not same:
                raise ArchError(f"{stmt.name} expects a value like {default!r}, got {value!r}",
                                scope.module.location(stmt.pos), scope.module.source, argument="overrides")
        self.graph.params[stmt.name] = value
        self.bind(scope, stmt.name, value, stmt.pos)

    def bind(self, scope: Scope, name: str, value: Any, pos: ast.Pos) -> None:
        if name in scope.values:
            line = scope.defined_at.get(name, 0)
            raise self.error(f"'{name}' is already defined (line {line})", scope.module, pos)
        scope.values[name] = value
        scope.defined_at[name] = pos.line
        if scope.top and not isinstance(value, (Tensor, Pipe)):
            scope.file.values[name] = value
            self.names_changed()

    def run_assign(self, stmt: ast.Assign, scope: Scope) -> None:
        value = self.evaluate(stmt.value, scope)
        if isinstance(value, Pipe):
            value = self.apply(value, scope, stmt.name, stmt.pos)
            if isinstance(value, Tensor):  # chunk/split's pieces are named `name.0`, `name.1`, ...
                self.graph.aliases.setdefault(scope.prefix + stmt.name, value.node)
        if isinstance(value, Tensor):
            scope.current = value
        self.bind(scope, stmt.name, value, stmt.pos)

    def run_bare(self, stmt: ast.Bare, scope: Scope) -> None:
        value = self.evaluate(stmt.value, scope)
        if isinstance(value, Pipe):
            value = self.apply(value, scope, None, stmt.pos)
        if not isinstance(value, Tensor):
            raise self.error(f"this line computes {describe(value)} but does nothing with it; "
                             "name it (`name = ...`) or make it a layer chain", scope.module, stmt.pos)
        scope.current = value

    # ---- applying chains: where layers are made -------------------------
    def apply(self, pipe: Pipe, scope: Scope, statement: str | None, pos: ast.Pos) -> Output:
        source = pipe.source or scope.current
        if source is None:
            raise self.error("no input to apply this chain to: declare one first (`input 3 x 224 x 224`)",
                             scope.module, pos)
        names = iter(self.step_names(unfolded(pipe.steps), scope.prefix, statement))
        tensor = source
        steps = pipe.steps
        # Fail early on `block x 100000`: once a block's size is known, the
        # rest of the chain can be priced before it is built.
        least: dict[int, int] = {}  # by id(step): a block call's least size, read from its body once

        def expected(step: Step) -> int:
            if type(step) is LayerStep and not step.tensors:  # the commonest step: one layer
                return 1
            if not isinstance(step, BlockStep):
                return self.expected_size(step)
            if id(step) not in least:  # `unit x 300000` repeats one step object
                least[id(step)] = self.estimate.call(step.block, step.args, step.kwargs)
            return max(self.block_sizes.get(id(step.block), 1), least[id(step)])

        remaining = sum(expected(s) for s in steps)
        output: Output = tensor
        for position, step in enumerate(steps):
            if len(self.graph.nodes) + remaining > MAX_LAYERS:
                raise self.error(f"the network expands past {MAX_LAYERS:,} layers; that is not a network "
                                 "anyone can run (check the repeat counts)", scope.module, pos)
            guess = expected(step)
            head = position == 0 and pipe.source is None
            tensor = self.single(output, steps[position - 1] if position else None)
            output = self.apply_step(step, tensor, names, head, scope)
            remaining -= guess
            if expected(step) != guess:  # a block's size was just learnt
                remaining = sum(expected(s) for s in steps[position + 1:])
        return output

    def single(self, output: Output, made_by: Step | None) -> Tensor:
        """The one tensor a chain passes on to its next step."""
        if isinstance(output, Tensor):
            return output
        assert isinstance(made_by, SplitStep)
        raise self.error(f"{made_by.how} makes {len(output)} tensors and a chain passes on one: name them and "
                         f"index the tuple (`halves = x > {made_by.how}(...)`, then `halves[0] > ...`)",
                         made_by.module, made_by.pos)

    def expected_size(self, step: Step) -> int:
        """Layers a step is expected to make (blocks: their largest size so far,
        or the least the call can make, read from its body before it runs)."""
        if isinstance(step, LayerStep):
            return 1 + sum(self.expected_size(s) for pipe in step.tensors if isinstance(pipe, Pipe)
                           for s in pipe.steps)
        if isinstance(step, SplitStep):
            return 1
        if isinstance(step, BlockStep):
            least = self.estimate.call(step.block, step.args, step.kwargs)
            return max(self.block_sizes.get(id(step.block), 1), least)
        return sum(self.expected_size(s) for s in step.steps)

    @staticmethod
    def step_names(steps: list[Step], prefix: str, statement: str | None) -> list[str]:
        if len(steps) == 1:  # the commonest chain, one step: nothing to number
            step = steps[0]
            if step.name is not None:
                return [prefix + step.name]
            return [prefix + (statement if statement is not None else step.label)]
        base = prefix + (statement + "." if statement is not None else "")
        totals = Counter(s.label for s in steps if s.name is None)
        seen: Counter[str] = Counter()
        names = []
        for step in steps:
            if step.name is not None:
                names.append(prefix + step.name)
                continue
            seen[step.label] += 1
            numbered = step.label if totals[step.label] == 1 else f"{step.label}{seen[step.label]}"
            names.append(base + numbered)
        return names

    def apply_step(self, step: Step, tensor: Tensor, names: Iterator[str], head: bool, scope: Scope) -> Output:
        """Apply one step to `tensor`, naming what it makes from `names` (in
        the order of `unfolded`: a layer's inline chains first, then the layer)."""
        if isinstance(step, LayerStep):
            layer = step.layer
            given = tuple(self.apply_inline(t, names, scope) if isinstance(t, Pipe) else t for t in step.tensors)
            name = next(names)
            inputs = given if (head and given) else (tensor,) + given
            if not layer.arity.accepts(len(inputs)):
                raise self.error(f"{layer.kind} takes {layer.arity.describe()} input tensors, got {len(inputs)}",
                                 step.module, step.pos)
            node = self.add_node(name, layer, tuple(t.node for t in inputs), step.module, step.pos,
                                 explicit=step.name is not None)
            if step.shares is not None:
                self.share(node, step.shares.node, step.module, step.pos)
            return Tensor(node)
        name = next(names)
        if isinstance(step, GroupStep):
            prefix = self.claim_prefix(name, step.name is not None, scope.module, step.pos) + "."
            inner = Scope(prefix, scope.module, scope.file, scope.input, tensor, top=False)
            inner_names = iter(self.step_names(unfolded(step.steps), prefix, None))
            output: Output = tensor
            for position, sub in enumerate(step.steps):
                tensor = self.single(output, step.steps[position - 1] if position else None)
                output = self.apply_step(sub, tensor, inner_names, False, inner)
            if isinstance(output, Tensor):
                self.graph.aliases.setdefault(prefix[:-1], output.node)
            return output
        if isinstance(step, SplitStep):
            return self.split_channels(step, tensor, name, scope)
        return self.call_block(step, tensor, name)

    def apply_inline(self, pipe: Pipe, names: Iterator[str], scope: Scope) -> Tensor:
        """An inline chain given to a multi-input layer, `mul(d, d > gavgpool > ...)`:
        its layers are made first, named as steps of the statement."""
        assert pipe.source is not None
        output: Output = pipe.source
        for position, sub in enumerate(pipe.steps):
            tensor = self.single(output, pipe.steps[position - 1] if position else None)
            output = self.apply_step(sub, tensor, names, False, scope)
        return self.single(output, pipe.steps[-1] if pipe.steps else None)

    def check_pieces(self, step: SplitStep, count: int) -> None:
        """Refuse a cut into more slices than any network has layers, before making them."""
        if count + len(self.graph.nodes) > MAX_LAYERS:
            raise self.error(f"{step.how} would make {count:,} slices; the network expands past "
                             f"{MAX_LAYERS:,} layers", step.module, step.pos)

    def split_channels(self, step: SplitStep, tensor: Tensor, name: str, scope: Scope) -> tuple[Tensor, ...]:
        """chunk / split: one `slice` view per piece, named `name.0`, `name.1`, ...
        The pieces are cut from the channels the tensor has at the reference size,
        as torch.chunk and torch.split cut them."""
        channels = int(self.graph.reference_shapes[tensor.node][0])
        if isinstance(step.value, tuple):
            sizes = list(step.value)
            if sum(sizes) != channels:
                raise self.error(f"split sizes {step.value} add up to {sum(sizes):,}, but the tensor has "
                                 f"{channels:,} channels", step.module, step.pos)
            self.check_pieces(step, len(sizes))
        else:
            # torch.chunk(n): pieces of ceil(C/n) channels; torch.split(k): pieces of k
            size = -(-channels // step.value) if step.how == "chunk" else step.value
            whole, rest = divmod(channels, size)
            self.check_pieces(step, whole + (rest > 0))
            sizes = [size] * whole + ([rest] if rest else [])
        prefix = self.claim_prefix(name, step.name is not None, step.module, step.pos)
        pieces = []
        start = 0
        for i, size in enumerate(sizes):
            piece = self.make_layer("slice", [start, start + size], [], step.pos, scope)
            node = self.add_node(f"{prefix}.{i}", piece.layer, (tensor.node,), step.module, step.pos,
                                 explicit=False)
            pieces.append(Tensor(node))
            start += size
        return tuple(pieces)

    def call_block(self, step: BlockStep, tensor: Tensor, name: str) -> Tensor:
        block = step.block
        if any(caller is block for caller in self.call_stack):
            first = next(i for i, caller in enumerate(self.call_stack) if caller is block)
            cycle = " -> ".join([caller.name for caller in self.call_stack[first:]] + [block.name])
            raise self.error(f"block '{block.name}' calls itself ({cycle}); blocks cannot recurse",
                             step.module, step.pos)
        if len(self.call_stack) >= MAX_CALL_DEPTH:
            raise self.error(f"blocks nested deeper than {MAX_CALL_DEPTH}", step.module, step.pos)
        prefix = self.claim_prefix(name, step.name is not None, step.module, step.pos)
        before = len(self.graph.nodes)
        key = self.replay_key(step, tensor)
        done = self.replayed(key, prefix, tensor)
        output, args = done if done is not None else self.run_block(step, tensor, prefix, key)
        made = len(self.graph.nodes) - before
        self.block_sizes[id(block)] = max(made, self.block_sizes.get(id(block), 0))
        self.graph.aliases.setdefault(prefix, output.node)
        self.graph.blocks.append(BlockInstance(block.name, prefix, tensor.node, before, len(self.graph.nodes),
                                               output.node, args, len(self.call_stack)))
        if step.shares is not None:
            self.share_instance(block.name, before, step)
        return output

    def run_block(self, step: BlockStep, tensor: Tensor, prefix: str,
                  key: tuple[Any, ...] | None) -> tuple[Tensor, tuple[tuple[str, Any], ...]]:
        """Run a block's body for one instance: its output and the values its
        parameters took.  The second call with the same key also records what
        it made, for later calls to replay (graph/replay.py)."""
        block = step.block
        scope = Scope(prefix + ".", block.module, block.home, tensor, tensor)
        self.bind_arguments(step, scope)
        self.call_stack.append(block)
        before = len(self.graph.nodes)
        recording = key is not None and self.calls_by_key.get(key) == 1 and \
            replay.clean_prefix(self.graph, self.prefixes, prefix)
        claimed, aliases, blocks = len(self.claimed), len(self.graph.aliases), len(self.graph.blocks)
        try:
            for stmt in block.definition.body:
                self.run_statement(stmt, scope, {})
        finally:
            self.call_stack.pop()
        assert scope.current is not None
        args = tuple((p.name, _plain(scope.values.get(p.name))) for p in block.definition.params)
        if key is not None:
            self.calls_by_key[key] = self.calls_by_key.get(key, 0) + 1
        if recording and key is not None:
            made = replay.record(self.graph, prefix, before, tensor.node, self.claimed[claimed:], aliases,
                                 blocks, scope.current.node, args)
            if made is not None:
                self.records[key] = made
        return scope.current, args

    def replay_key(self, step: BlockStep, tensor: Tensor) -> tuple[Any, ...] | None:
        """What a block instance's layers depend on, if it may be replayed: the
        block, its plain arguments, its input's reference shape and layout, the
        blocks it is called from, and the state of the files' names."""
        if step.shares is not None or not all(replay.plain(v) for v in step.args) or \
                not all(replay.plain(v) for v in step.kwargs.values()):
            return None
        return (id(step.block), tuple(replay.typed(v) for v in step.args),
                tuple(sorted((k, replay.typed(v)) for k, v in step.kwargs.items())),
                self.graph.reference_shapes[tensor.node], self.graph.nodes[tensor.node].layout,
                tuple(id(caller) for caller in self.call_stack), self.names_version, self.too_small_at_reference)

    def replayed(self, key: tuple[Any, ...] | None, prefix: str,
                 tensor: Tensor) -> tuple[Tensor, tuple[tuple[str, Any], ...]] | None:
        """The instance made from its record (its output and the values its
        parameters took), or None if it has none or cannot use it."""
        made = self.records.get(key) if key is not None else None
        if made is None or len(self.graph.nodes) + len(made.nodes) > MAX_LAYERS:
            return None
        output = replay.replay(self.graph, self.prefixes, self.claimed, made, prefix, tensor.node)
        return None if output is None else (Tensor(output), made.args)

    def share(self, node: int, owner: int, module: ast.Module, pos: ast.Pos) -> None:
        """Layer `node` uses the weights of the layer that made `owner`: every
        array the two have in common, of one size, is counted once (at the
        owner); an array only the sharer has is its own."""
        graph = self.graph
        if graph.nodes[owner].layer is None:
            raise self.error(f"shares= names the input '{graph.nodes[owner].name}', which has no weights",
                             module, pos)
        while graph.nodes[owner].shares is not None:  # the first holder of the weights
            owner = graph.nodes[owner].shares  # type: ignore[assignment]
        mine, theirs = self.arrays_at_reference(node), self.arrays_at_reference(owner)
        common = set(mine) & set(theirs)
        if not common:
            raise self.error(f"'{graph.nodes[node].name}' has no weights in common with "
                             f"'{graph.nodes[owner].name}' to share", module, pos)
        for array in sorted(common):
            if mine[array] != theirs[array]:
                raise self.error(f"cannot share {array}: '{graph.nodes[node].name}' needs {mine[array]:,} "
                                 f"elements, '{graph.nodes[owner].name}' holds {theirs[array]:,}", module, pos)
        graph.nodes[node].shares = owner

    def arrays_at_reference(self, index: int) -> dict[str, int]:
        node = self.graph.nodes[index]
        assert node.layer is not None
        site = Site(node.layer, tuple(self.graph.reference_shapes[j] for j in node.inputs),
                    self.graph.reference_shapes[index])
        arrays = {name: f(site) for name, f in node.layer.learnable().items()}
        arrays.update({f"{name} (buffer)": f(site) for name, f in node.layer.buffers().items()})
        return arrays

    def instance_ending_at(self, node: int) -> BlockInstance | None:
        """The latest block instance whose output is `node`, if any."""
        blocks = self.graph.blocks
        for position in range(self.instances_indexed, len(blocks)):
            self.instance_at[blocks[position].output] = position
        self.instances_indexed = len(blocks)
        found = self.instance_at.get(node)
        return None if found is None else blocks[found]

    def share_instance(self, block: str, start: int, step: BlockStep) -> None:
        """A block call with `shares=t`: each of its layers uses the weights of
        the same layer of the earlier instance of that block whose output is t."""
        assert step.shares is not None
        earlier = self.instance_ending_at(step.shares.node)
        if earlier is None or earlier.block != block:
            raise self.error(f"shares= names the output of an earlier call of block '{block}' "
                             "(its weights are the ones to use)", step.module, step.pos)
        graph = self.graph
        mine = [i for i in range(start, len(graph.nodes)) if graph.nodes[i].layer is not None]
        theirs = [i for i in range(earlier.first, earlier.end) if graph.nodes[i].layer is not None]
        if [graph.nodes[i].kind for i in mine] != [graph.nodes[i].kind for i in theirs]:
            raise self.error(f"this call of '{block}' makes other layers than the call it shares weights "
                             "with (its arguments change its structure)", step.module, step.pos)
        for node, owner in zip(mine, theirs):
            if node == owner or not (graph.nodes[node].layer.learnable() or  # type: ignore[union-attr]
                                     graph.nodes[node].layer.buffers()):  # type: ignore[union-attr]
                continue
            self.share(node, owner, step.module, step.pos)

    def bind_arguments(self, step: BlockStep, scope: Scope) -> None:
        definition = step.block.definition
        params = definition.params
        if len(step.args) > len(params):
            raise self.error(f"block '{definition.name}' takes {len(params)} arguments, got {len(step.args)}",
                             step.module, step.pos)
        names = [p.name for p in params]
        for key in step.kwargs:
            if key not in names:
                raise self.error(f"block '{definition.name}' has no parameter '{key}'", step.module, step.pos,
                                 hint=suggest(key, names) or f"its parameters: {', '.join(names) or 'none'}")
        for i, param in enumerate(params):
            if i < len(step.args):
                if param.name in step.kwargs:
                    raise self.error(f"'{param.name}' is given twice", step.module, step.pos)
                value = step.args[i]
            elif param.name in step.kwargs:
                value = step.kwargs[param.name]
            elif param.default is not None:
                value = self.evaluate(param.default, scope)  # may use earlier parameters
            else:
                raise self.error(f"block '{definition.name}' needs a value for '{param.name}'",
                                 step.module, step.pos)
            scope.values[param.name] = value
            scope.defined_at[param.name] = param.pos.line

    def claim_prefix(self, name: str, explicit: bool, module: ast.Module, pos: ast.Pos) -> str:
        if name in self.prefixes or name in self.graph.index:
            if explicit:
                raise self.error(f"the name '{name}' is already used", module, pos)
            name = self.numbered(name)
        self.prefixes.add(name)
        self.claimed.append(name)
        return name

    def numbered(self, name: str) -> str:
        """`name_2`, `name_3`, ...: the first not yet taken by a layer or a prefix.
        Names are never given back, so the search for a name resumes where the
        last one for it ended: 100,000 bare `relu` lines cost linear time, not
        5 billion look-ups."""
        n = self._next_number.get(name, 2)
        while f"{name}_{n}" in self.prefixes or f"{name}_{n}" in self.graph.index:
            n += 1
        self._next_number[name] = n + 1
        return f"{name}_{n}"

    def add_node(self, name: str, layer: Layer | None, inputs: tuple[int, ...], module: ast.Module,
                 pos: ast.Pos, shape: Any = None, fixed: bool = False, explicit: bool = True,
                 layout_of_input: str = IMAGE) -> int:
        graph = self.graph
        if name in graph.index or name in self.prefixes:
            if explicit:
                other = graph.nodes[graph.index[name]].location if name in graph.index else None
                where = f" (first at line {other.line})" if other else ""
                raise self.error(f"the name '{name}' is already used{where}", module, pos)
            name = self.numbered(name)
        if len(graph.nodes) >= MAX_LAYERS:
            raise self.error(f"the network expands past {MAX_LAYERS:,} layers; that is not a network "
                             "anyone can run (check the repeat counts)", module, pos)
        number = len(graph.nodes)  # one int object for the index, the tensor and the inputs that read it
        graph.index[name] = number
        place = (module.path, pos.line, pos.column, pos.width)
        location = self.locations.get(place)
        if location is None:
            location = self.locations[place] = Location(*place)
        layout = (layout_of_input if layer is None else
                  graph.nodes[inputs[0]].layout if layer.layout == SAME else layer.layout)
        graph.nodes.append(Node(name, layer, inputs, location, shape, fixed, layout))
        graph.reference_shapes.append(shape if layer is None else self.reference_shape(number))
        return number

    def reference_shape(self, index: int) -> Shape:
        """The node's output at the spec's own input size, computed as the graph
        grows: it fixes each `fc`'s kernel (its weights cover its input at the
        reference size, as in MatConvNet) and lets `channels(t)` answer."""
        graph = self.graph
        node = graph.nodes[index]
        assert node.layer is not None
        inputs = [graph.reference_shapes[j] for j in node.inputs]
        bound = node.layer.bind_reference(inputs)
        if bound is not node.layer and self.too_small_at_reference:
            # its weights would be fixed by an input the spec's own size cannot give
            infer_shapes(graph, None)  # raises, naming the layer and the smallest size that works
        node.layer = bound
        try:
            return self.within_limits(node, node.layer.output_shape(inputs))
        except ShapeError as exc:
            if not exc.empty:
                raise shape_error(graph, index, inputs, exc, None, None) from None
        # The reference input is too small for this layer.  That is an error of
        # an analysis at that size, not of the spec (an analysis at a size that
        # works is fine); meanwhile keep the channel count, which no size changes.
        self.too_small_at_reference = True
        roomy = [(c, _ROOMY, _ROOMY) for c, _, _ in inputs]
        try:
            c, _, _ = node.layer.output_shape(roomy)
        except ShapeError as exc:
            raise shape_error(graph, index, list(inputs), exc, None, None) from None
        return self.within_limits(node, (c, _ROOMY, _ROOMY))

    def within_limits(self, node: Node, shape: Shape) -> Shape:
        """A tensor of more channels than any network has (a runaway of
        concats, say) is refused where it is made, before its figures grow."""
        if shape[0] > MAX_INT:
            raise self.graph.error(f"'{node.name}' would have {shape[0]:,} channels; a tensor is limited "
                                   f"to {MAX_INT:,}", node)
        return shape

def _plain(value: Any) -> Any:
    """A block argument as the graph keeps it: plain values as they are, a
    tensor (or anything else that is not a value) as None."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple) and all(isinstance(v, (bool, int, float, str, tuple)) for v in value):
        return value
    return None


def unfolded(steps: list[Step]) -> list[Step]:
    """The steps in the order they make layers: a layer's inline chain
    arguments (`mul(d, d > gavgpool > conv(8, 1) > sigmoid)`) before the
    layer itself, so a statement names them as steps of its own."""
    order: list[Step] = []
    for step in steps:
        if isinstance(step, LayerStep):
            for given in step.tensors:
                if isinstance(given, Pipe):
                    order.extend(unfolded(given.steps))
        order.append(step)
    return order


__all__ = ["Expander", "Scope"]
