"""Every file archspec reads or writes goes through here (docs/threat-model.md).

Reading: only regular files, and never more than the limit's bytes, whatever
the file claims to be (a device such as /dev/zero, a pipe or a terminal is
refused before a byte is read; a file that grows while it is read is cut at
the limit).

Writing: to a temporary file in the destination's folder, then renamed over
the destination, so a run that is killed leaves the old file or the new
one, never half of one.  A failure to write is an ArchError naming the file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import ArchError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class NotARegularFile(OSError):
    """The path names a device, a pipe, a socket or a folder."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_limited(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes of a regular file (one more than the limit,
    so the caller can tell a file that is too large).  Raises OSError, and
    NotARegularFile for anything but a regular file."""
    # Non-blocking open: opening a pipe for reading would otherwise wait for a writer.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(_kind(mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        wanted = limit + 1
        while wanted > 0:
            chunk = os.read(fd, min(wanted, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _new_file_mode() -> int:
    """The permissions an ordinary write would give a new file (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Have `write` fill a temporary file beside `path`, then rename it to `path`.
    The temporary name keeps `path`'s suffix (matplotlib picks the format by it)."""
    path = Path(path)
    folder = path.parent
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else _new_file_mode()
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
        os.close(fd)
    except OSError as exc:
        raise ArchError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        write(Path(temporary))
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        raise ArchError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to `path` atomically."""
    def write(temporary: Path) -> None:
        temporary.write_text(text, encoding="utf-8")

    write_atomic(path, write)


def file_in(folder: Path, name: str) -> Path:
    """`folder / name`, refused unless it is a plain file name that stays in `folder`."""
    candidate = Path(folder) / name
    if (not name or name.startswith(".") or Path(name).name != name or "\x00" in name
            or candidate.resolve().parent != Path(folder).resolve()):
        raise ArchError(f"{name!r} cannot name a file in {folder}")
    return candidate


# What matplotlib writes, by suffix (it guesses the format from the name).
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def figure_format(path: Path, option: str) -> str:
    """The image format of a figure path, known before any work is done."""
    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise ArchError(f"cannot draw {path}: name a .png, .svg or .pdf file", argument=option)
    return FIGURE_FORMATS[suffix]


def save_figure(figure: object, path: Path, option: str, **options: object) -> None:
    """A matplotlib figure, written atomically in the format its suffix names."""
    chosen = figure_format(path, option)
    write_atomic(path, lambda temporary: figure.savefig(temporary, format=chosen, **options))  # type: ignore[attr-defined]
