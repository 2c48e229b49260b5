"""The syntax tree's nodes behave as the frozen dataclasses they replaced
(archspec/syntax/node.py): each behaviour is compared with a frozen dataclass
of the same fields, defined here."""

from __future__ import annotations

import dataclasses

import pytest

from archspec.syntax import tree
from archspec.syntax.parser import parse


@dataclasses.dataclass(frozen=True)
class PosAsDataclass:
    line: int
    column: int
    width: int = 1


@dataclasses.dataclass(frozen=True)
class NameAsDataclass:
    id: str
    pos: PosAsDataclass


def test_construction_defaults_and_repr() -> None:
    for args, kwargs in (((3, 7), {}), ((3, 7, 2), {}), ((3,), {"column": 7}), ((), {"line": 3, "column": 7, "width": 4})):
        ours, theirs = tree.Pos(*args, **kwargs), PosAsDataclass(*args, **kwargs)
        assert repr(ours) == repr(theirs).replace("PosAsDataclass", "Pos")
        assert (ours.line, ours.column, ours.width) == (theirs.line, theirs.column, theirs.width)
    assert repr(tree.Module("a.arch", "relu\n")) == "Module(path='a.arch', source='relu\\n', statements=())"


def test_wrong_arguments_are_refused_as_a_dataclass_refuses_them() -> None:
    for args, kwargs in (((1,), {}), ((1, 2, 3, 4), {}), ((1, 2), {"depth": 3}), ((1, 2), {"line": 1})):
        with pytest.raises(TypeError):
            PosAsDataclass(*args, **kwargs)
        with pytest.raises(TypeError):
            tree.Pos(*args, **kwargs)


def test_equality_and_hash_by_value_and_class() -> None:
    pos = tree.Pos(1, 2)
    assert pos == tree.Pos(1, 2, 1) and hash(pos) == hash(tree.Pos(1, 2, 1))
    assert hash(pos) == hash(PosAsDataclass(1, 2))  # a dataclass hashes the tuple of its fields
    assert pos != tree.Pos(1, 3)
    assert tree.Name("x", pos) == tree.Name("x", tree.Pos(1, 2))
    assert tree.Name("x", pos) != tree.String("x", pos)  # same fields, another class
    assert tree.Number(1, pos) == tree.Number(1.0, pos)  # as the dataclass: 1 == 1.0
    assert (pos == PosAsDataclass(1, 2)) is False
    assert len({tree.Name("x", pos), tree.Name("x", tree.Pos(1, 2))}) == 1


def test_nodes_are_frozen() -> None:
    name = tree.Name("x", tree.Pos(1, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        name.id = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del name.pos  # type: ignore[misc]
    assert name.id == "x"


def test_every_node_class_has_its_annotated_fields() -> None:
    module = parse("model m\n@task classification\nparam w = 2\ninput 3 x 8 x 8\n"
                   "block b(c=1) {\n  conv(c, 3) > relu as r\n}\nx = b(c=w) x 2 > (relu ? w > 1 : bn)[0]\n", "m.arch")
    seen = set()

    def walk(node: object) -> None:
        if isinstance(node, tuple):
            for item in node:
                walk(item)
        elif isinstance(node, tree.SyntaxNode):
            seen.add(type(node).__name__)
            assert type(node)._fields == tuple(type(node).__annotations__)
            for field in type(node)._fields:
                walk(getattr(node, field))

    walk(module)
    assert {"Module", "ModelDecl", "MetaDecl", "ParamDecl", "InputDecl", "BlockDef", "BlockParam", "Assign",
            "Bare", "Call", "Keyword", "Name", "Number", "Repeat", "Named", "Chain", "Pos"} <= seen
