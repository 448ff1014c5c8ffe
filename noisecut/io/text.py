"""Plain text: a file is a document; a directory of ``.txt`` files mirrors into another.

Bytes are read and written as they are (``Document.from_bytes`` keeps
invalid UTF-8 byte for byte). A text file may be gzip'd; it is recognised by
its first bytes.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from ..document import Document, encode
from ..errors import NoiseCutError
from .files import READ_ERRORS, RecordErrors, atomic_open, open_input, open_output

TEXT_SUFFIX = ".txt"  # what a directory's documents are called

Write = Callable[..., None]  # write(doc, text, labels=None)


def read_text(path: str | Path, errors: RecordErrors) -> Iterator[Document]:
    """The whole file (``-``: stdin) as one document whose ``id`` is the path."""
    name = str(path)
    with open_input(path) as f:
        try:
            data = f.read()
        except READ_ERRORS as error:
            errors.unreadable(name, 1, f"unreadable ({error})")
            return
    yield Document.from_bytes(data, name, {"id": name})


def text_files(root: str | Path) -> Iterator[Path]:
    """The ``.txt`` files under ``root``, in a stable order; hidden files and directories are left out."""
    for parent, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(TEXT_SUFFIX) and not name.startswith("."):
                yield Path(parent) / name


def read_directory(root: str | Path, errors: RecordErrors) -> Iterator[Document]:
    """Each ``.txt`` file under ``root`` as a document whose ``id`` is its path relative to ``root`` (with ``/``)."""
    root = Path(root)
    for path in text_files(root):
        rel = path.relative_to(root).as_posix()
        for doc in read_text(path, errors):
            doc.id, doc.meta = rel, {"id": rel}
            yield doc


LINE_BREAK = b"\n"  # added between documents where one ends without a line break


@contextmanager
def text_writer(path: str | Path | None) -> Iterator[Write]:
    """Cleaned texts one after the other, to stdout or one file (gzip'd for a ``.gz`` name).

    Each document starts on a line of its own: when one ends without a line
    break and another follows, a ``\n`` goes between them, so no line of one
    merges with a line of the next. One document comes out byte for byte.
    """
    with open_output(path) as f:
        unfinished = False  # the last text written ended inside a line

        def write(doc: Document, text: str, labels: list | None = None) -> None:
            nonlocal unfinished
            data = encode(text)
            if not data:
                return
            if unfinished:
                f.write(LINE_BREAK)
            f.write(data)
            unfinished = not data.endswith((b"\n", b"\r"))

        yield write


@contextmanager
def directory_writer(root: str | Path) -> Iterator[Write]:
    """Each document to ``root/<doc.id>``, written atomically: a file is there whole or not at all."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise NoiseCutError(f"{root}: exists and is not a directory")

    def write(doc: Document, text: str, labels: list | None = None) -> None:
        rel = PurePosixPath(str(doc.id or ""))
        if not rel.parts or rel.is_absolute() or ".." in rel.parts:
            raise NoiseCutError(f"{doc.id!r}: not a relative file path; directory output needs directory input")
        target = root.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(target) as f:
            f.write(encode(text))

    yield write
    root.mkdir(parents=True, exist_ok=True)  # made by the first write, or now for an empty input
