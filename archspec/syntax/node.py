"""The base of the syntax tree's node classes: frozen records, as frozen
dataclasses are, without generating code for each class.

`@dataclass(frozen=True)` writes and compiles five or six methods per class
(`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`):
for the tree's 28 classes that was about 15 ms of every command's start-up,
more than parsing a ResNet-50.  Here the methods are written once, on the
base, and read each class's fields from its annotations when the class is
made.  They behave as the dataclass ones did: positional or keyword
arguments with defaults, equality and hash by the fields' values (and class),
`Name(id='x', pos=...)` as repr, and no attribute can be set after `__init__`.
tests/test_syntax_nodes.py checks each of these.
"""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, dataclass_transform

_NO_DEFAULT = object()


@dataclass_transform(frozen_default=True, eq_default=True)
class SyntaxNode:
    """A frozen record whose fields are its class's annotations, in order."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = [name for name, annotation in inspect.get_annotations(cls).items()
                 if not str(annotation).startswith("ClassVar")]
        cls._fields = tuple(names)
        cls._defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        values = self.__dict__
        if not kwargs and len(args) == len(fields):  # the parser's way: every field, in order
            values.update(zip(fields, args))
            return
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments, got {len(args)}")
        values.update(zip(fields, args))
        for name in fields[len(args):]:
            value = kwargs.pop(name, self._defaults.get(name, _NO_DEFAULT))
            if value is _NO_DEFAULT:
                raise TypeError(f"{type(self).__name__}() needs a value for '{name}'")
            values[name] = value
        if kwargs:
            raise TypeError(f"{type(self).__name__}() has no field '{next(iter(kwargs))}'")

    def _values(self) -> tuple[Any, ...]:
        values = self.__dict__
        return tuple(values[name] for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self._values()))
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field '{name}'")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field '{name}'")
