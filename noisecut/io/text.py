"""Plain text: a file is a document; a directory of ``.txt``, ``.md`` (and ``.html``) files mirrors into another.

Bytes are read and written as they are (``Document.from_bytes`` keeps
invalid UTF-8 byte for byte). A text file may be gzip'd; it is recognised by
its first bytes. In a directory, ``NAME.txt.gz`` (``.md.gz`` ...) is read too
and cleaned into a gzip'd file of its own name. An HTML file is rendered to
text (``html.read_page``); in a directory output its cleaned text is ``NAME.txt``.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from ..document import ENCODING, Document, encode
from ..errors import NoiseCutError
from .files import READ_ERRORS, RecordErrors, atomic_directory, head, open_input, open_output
from .html import RENDERER_DEFAULT, PendingPage, is_html_file, is_html_name, read_page

TEXT_SUFFIX = ".txt"  # what an HTML page of a directory is cleaned into
TEXT_SUFFIXES = (TEXT_SUFFIX, ".md", ".markdown")  # a directory's text files (any case, each also .gz), cleaned into their own names

Write = Callable[..., None]  # write(doc, text, labels=None)


def _read_all(path: str | Path, errors: RecordErrors) -> bytes | None:
    with open_input(path) as f:
        try:
            return f.read()
        except READ_ERRORS as error:
            errors.unreadable(str(path), 1, f"unreadable ({error})")
            return None


def read_text(path: str | Path, errors: RecordErrors, id: str | None = None) -> Iterator[Document]:
    """The whole file (``-``: stdin) as one document whose ``id`` is the path (or ``id``)."""
    name = str(path)
    data = _read_all(path, errors)
    if data is not None:
        ident = name if id is None else id
        yield Document.from_bytes(data, ident, {"id": ident})


def read_html(path: str | Path, errors: RecordErrors, renderer: str = RENDERER_DEFAULT, render_later: bool = False,
              id: str | None = None) -> Iterator[Document | PendingPage]:
    """The page in the file (``-``: stdin), rendered to text (``render_later``: to be), as one document whose ``id`` is the path (or ``id``)."""
    name = str(path)
    data = _read_all(path, errors)
    if data is None:
        return
    ident = name if id is None else id
    doc = read_page(Document([], [], id=ident, meta={"id": ident}), data, renderer, partial(errors, name, 1), render_later)
    if doc is not None:
        yield doc


def is_text_name(name: str) -> bool:
    """Whether a directory's file name says text (``notes.txt``, ``README.md.gz``)."""
    return name.lower().removesuffix(".gz").endswith(TEXT_SUFFIXES)


def directory_files(root: str | Path) -> Iterator[Path]:
    """The text (``TEXT_SUFFIXES``) and HTML files under ``root``, in a stable order; hidden files and directories are left out."""
    for parent, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if (is_text_name(name) or is_html_name(name)) and not name.startswith("."):
                yield Path(parent) / name


def read_directory(root: str | Path, errors: RecordErrors, renderer: str = RENDERER_DEFAULT,
                   render_later: bool = False) -> Iterator[Document | PendingPage]:
    """Each file under ``root`` as a document whose ``id`` is its path relative to ``root`` (with ``/``).

    HTML files, and text files that start like a page, are rendered (``render_later``: to be)."""
    root = Path(root)
    for path in directory_files(root):
        rel = path.relative_to(root).as_posix()
        if is_html_file(path.name, head(path)):
            yield from read_html(path, errors, renderer, render_later, id=rel)
        else:
            yield from read_text(path, errors, id=rel)


def check_output_names(root: str | Path) -> None:
    """Refuse a directory where two files would be cleaned into one (``a.html`` and ``a.txt``)."""
    root, seen = Path(root), {}
    for path in directory_files(root):
        rel = path.relative_to(root).as_posix()
        name = output_name(PurePosixPath(rel))
        if seen.setdefault(name, rel) != rel:
            raise NoiseCutError(f"{root}: both {seen[name]} and {rel} would be cleaned into {name}; rename one")


def output_name(rel: PurePosixPath) -> PurePosixPath:
    """Where a directory document's cleaned text goes: its own name, or ``NAME.txt`` for an HTML page."""
    if not is_html_name(rel.name):
        return rel
    name = rel.name[:-3] if rel.name.lower().endswith(".gz") else rel.name
    return rel.with_name(name.rsplit(".", 1)[0] + TEXT_SUFFIX)




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
            if not text:
                return
            encoding = doc.encoding if doc is not None else ENCODING  # None: a text with no document (Ray's)
            if unfinished:
                f.write(encode("\n", encoding))
            f.write(encode(text, encoding))
            unfinished = not text.endswith(("\n", "\r"))

        yield write


@contextmanager
def directory_writer(root: str | Path) -> Iterator[Write]:
    """Each document to ``root/<doc.id>`` (an HTML page's to ``NAME.txt``; gzip'd for a ``.gz`` name), all
    or nothing (``files.atomic_directory``): after an error ``root`` is as it was."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise NoiseCutError(f"{root}: exists and is not a directory")
    with atomic_directory(root) as staging:

        def write(doc: Document, text: str, labels: list | None = None) -> None:
            rel = PurePosixPath(str(doc.id or ""))
            if not rel.parts or rel.is_absolute() or ".." in rel.parts:
                raise NoiseCutError(f"{doc.id!r}: not a relative file path; directory output needs directory input")
            target = staging.joinpath(*output_name(rel).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open_output(target) as f:  # NAME.txt.gz stays gzip'd
                f.write(encode(text, doc.encoding))

        yield write
