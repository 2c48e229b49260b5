"""`archspec zoo`: the shipped models as a table or JSON (graph/zoo.py reads them)."""

from __future__ import annotations

import json

from ..graph.zoo import ZooEntry

SOURCE_WIDTH = 60  # characters of @source a table row shows (JSON has all of it)


def _short(text: str | None, width: int) -> str:
    if not text:
        return "-"
    first = text.split(";")[0].strip()  # the definition; the paper follows a `;`
    return first if len(first) <= width else first[:width - 3] + "..."


def render_zoo_table(entries: list[ZooEntry], where: str) -> str:
    rows = [(e.name, e.task or "-", e.folder, _short(e.source, SOURCE_WIDTH)) for e in entries]
    header = ("name", "task", "folder", "source")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [f"{header[0]:{widths[0]}}  {header[1]:{widths[1]}}  {header[2]:{widths[2]}}  {header[3]}",
             f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * widths[2]}  {'-' * len(header[3])}"]
    lines += [f"{a:{widths[0]}}  {b:{widths[1]}}  {c:{widths[2]}}  {d}" for a, b, c, d in rows]
    lines.append("")
    lines.append(f"{len(entries)} models in {where}; `archspec analyze NAME` reads one, and a spec imports a "
                 'library of the zoo as import "zoo:modern/lib/resnet.arch"')
    return "\n".join(lines) + "\n"


def render_zoo_json(entries: list[ZooEntry]) -> str:
    data = [{"name": e.name, "model": e.model, "task": e.task, "folder": e.folder, "source": e.source,
             "title": e.title} for e in entries]
    return json.dumps(data, indent=1) + "\n"
