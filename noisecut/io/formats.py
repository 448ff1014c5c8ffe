"""Which format a path holds or should get, and the reader or writer for it.

Formats: ``text`` (a file is a document), ``html`` (a file is a page,
rendered to text; read only), ``jsonl``, ``parquet``, ``wet`` and ``warc``
(read only; written as ``wet``), ``dir`` (a directory of ``.txt``, ``.md``
and ``.html`` files). Given explicitly, or inferred: a directory is ``dir``;
``.jsonl``, ``.ndjson``, ``.json``, ``.parquet``, ``.wet``, ``.warc``,
``.html``, ``.htm``, ``.xhtml``, ``.shtml`` (each but Parquet also with
``.gz``) name their format; ``.txt`` is ``text``. A ``.txt`` file, a file of
any other name and stdin are ``html`` when they start like a page
(``<!doctype html``, ``<html``), else ``text``; but a file of no known
name, or stdin, whose first non-blank line is a JSON object is refused as
ambiguous (``-I jsonl`` or ``-I text`` decides), and so is one that starts
``WARC/1.`` (``-I warc``). ``-I text`` cleans markup
as text.

``format_from_name`` is the one guesser every entry point uses (the CLI,
``clean_files``, ``clean_with_ray``).
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from ..document import Document
from ..errors import NoiseCutError
from .files import RecordErrors, head, input_name, is_stdio
from .html import RENDERER_DEFAULT, is_html_name, looks_like_html
from .records import TEXT_FIELD_DEFAULT

INPUT_FORMATS = ("text", "html", "jsonl", "parquet", "wet", "warc", "dir")
OUTPUT_FORMATS = ("text", "jsonl", "parquet", "wet", "dir")
RECORD_OUTPUTS = ("jsonl", "parquet")  # the outputs that can carry fields and labels
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".wet": "wet", ".warc": "warc", ".txt": "text"}


def format_from_name(path: str | Path) -> str | None:
    """The format a file name states (``data.jsonl.gz`` -> ``jsonl``), or None."""
    name = Path(str(path)).name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if is_html_name(name):
        return "html"
    if name.endswith(".gz"):
        name = name[:-3]
    return _SUFFIXES.get(Path(name).suffix)


def starts_with_json_object(data: bytes) -> bool:
    """Whether the first non-blank line of ``data`` is a JSON object (or, cut short by the end of ``data``, starts like one)."""
    line, newline, _ = data.removeprefix(b"\xef\xbb\xbf").lstrip().partition(b"\n")
    if not line.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return not newline and line.startswith(b'{"')


def check_one_text(path: str | Path, start: bytes, html: bool) -> None:
    """``noisecut label`` labels one document: refuse a file of records (by its name, or, named nothing
    and not a page, by a first line that is a JSON object), whose lines would be labeled as a text's."""
    named = None if is_stdio(path) else format_from_name(path)
    if named in ("jsonl", "parquet", "wet", "warc") or (not html and named is None and starts_with_json_object(start)):
        raise NoiseCutError(f"{path}: noisecut label reads one text or HTML page, and this holds records "
                            f"({named or 'JSON Lines'}); save one record's text to a file and label that")


def input_format(path: str | Path, given: str | None = None) -> str:
    """``given``, checked against what ``path`` is, or the format inferred from it."""
    is_dir = not is_stdio(path) and Path(path).is_dir()
    if given is None:
        if is_dir:
            return "dir"
        named = format_from_name(path)
        readable = is_stdio(path) or Path(path).is_file()
        if named not in (None, "text") or not readable:
            return named or "text"
        start = head(path)
        if looks_like_html(start):
            return "html"
        what = input_name(path)
        if named is None and starts_with_json_object(start):
            raise NoiseCutError(
                f"{what}: its first line is a JSON object; pass -I jsonl to clean each record's text, or -I text to clean it as one text"
            )
        if named is None and start.startswith(b"WARC/1."):
            raise NoiseCutError(
                f"{what}: it starts like a WARC file; pass -I warc (or -I wet) to clean its records, or -I text to clean it as one text"
            )
        return named or "text"
    if given == "dir" and not is_dir:
        raise NoiseCutError(f"{path}: not a directory (--input-format dir reads a directory of .txt, .md and .html files)")
    if given != "dir" and is_dir:
        raise NoiseCutError(f"{path}: is a directory (pass files, or --input-format dir)")
    if given == "parquet" and is_stdio(path):
        raise NoiseCutError("Parquet cannot be read from stdin (it is read from the end); pass the file")
    return given


def output_format(output: str | Path | None, given: str | None, inputs: Iterable[str], explain: bool = False) -> str:
    """``given``, else inferred from the output's name, else the natural output for the input formats.

    ``explain``: the ``--explain`` table is text whatever the inputs are.
    """
    inputs = {"text"} if explain else set(inputs)
    if given == "warc":
        raise NoiseCutError("WARC output is written as WET (conversion records): --output-format wet")
    if given:
        return given
    if not is_stdio(output):
        named = format_from_name(output)
        if named == "html":
            raise NoiseCutError(f"{output}: the cleaned page is written as text, not HTML; name the output .txt or pass -O text")
        if named:
            return "wet" if named == "warc" else named
        names_directory = str(output).endswith(("/", os.sep))
        if not explain and (names_directory or Path(output).is_dir() or inputs == {"dir"}):
            return "dir"
    if inputs <= {"text", "html", "dir"}:
        return "text"
    if inputs == {"parquet"} and not is_stdio(output):
        return "parquet"
    return "jsonl"  # records, WET/WARC, or a mix: JSONL keeps every field


def open_reader(path: str | Path, fmt: str, errors: RecordErrors, text_field: str = TEXT_FIELD_DEFAULT, warc_stats=None,
                renderer: str = RENDERER_DEFAULT, html_field: str | None = None, render_later: bool = False) -> Iterator[Document]:
    """The documents of one input; HTML is rendered by ``renderer``, records' ``html_field`` (if given) is HTML.

    ``render_later``: pages come as ``html.PendingPage``s, for ``parallel.clean_documents`` to render (in its workers)."""
    if fmt == "text":
        from .text import read_text

        return read_text(path, errors)
    if fmt == "html":
        from .text import read_html

        return read_html(path, errors, renderer, render_later)
    if fmt == "dir":
        from .text import read_directory

        return read_directory(path, errors, renderer, render_later)
    if fmt == "jsonl":
        from .jsonl import read_jsonl

        return read_jsonl(path, errors, text_field, html_field, renderer, render_later)
    if fmt == "parquet":
        from .parquet import read_parquet

        return read_parquet(path, errors, text_field, html_field, renderer, render_later)
    if fmt in ("wet", "warc"):
        from .warc import read_warc

        return read_warc(path, errors, warc_stats, renderer, render_later)
    raise ValueError(f"unknown input format {fmt!r}")


@contextmanager
def open_writer(output: str | Path | None, fmt: str, text_field: str = TEXT_FIELD_DEFAULT, labels_field: str | None = None, schema=None):
    """A context giving ``write(doc, text, labels=None)``; file outputs appear only when the block succeeds."""
    if fmt == "text":
        from .text import text_writer as writer

        args = (output,)
    elif fmt == "dir":
        from .text import directory_writer as writer

        args = (output,)
    elif fmt == "jsonl":
        from .jsonl import jsonl_writer as writer

        args = (output, text_field, labels_field)
    elif fmt == "parquet":
        from .parquet import parquet_writer as writer

        args = (output, text_field, labels_field, schema)
    elif fmt == "wet":
        from .warc import wet_writer as writer

        args = (output,)
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    with writer(*args) as write:
        yield write
