"""JSON Lines: one JSON object per line, the text in one field, other fields passed through.

Read line by line (plain or gzip'd, stdin too), so a file of any size
streams in bounded memory. Record numbers in messages are line numbers;
blank lines are allowed and skipped.
"""
from __future__ import annotations

import datetime
import decimal
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .files import READ_ERRORS, RecordErrors, open_input, open_output
from .html import RENDERER_DEFAULT
from .records import TEXT_FIELD_DEFAULT, Record, output_record, read_record
from .text import Write

BOM = b"\xef\xbb\xbf"


def read_jsonl(path: str | Path, errors: RecordErrors, text_field: str = TEXT_FIELD_DEFAULT,
               html_field: str | None = None, renderer: str = RENDERER_DEFAULT, render_later: bool = False) -> Iterator[Record]:
    """Each line's object as a ``Record`` of ``text_field`` (or of ``html_field`` rendered; ``render_later``: to be); bad lines go to ``errors``."""
    name = str(path)
    with open_input(path) as f:
        number = 0
        try:
            for number, line in enumerate(f, 1):
                if number == 1 and line.startswith(BOM):
                    line = line[len(BOM):]
                if not line.strip():
                    continue
                record = _parse(line, name, number, errors)
                if record is not None:
                    record = read_record(record, text_field, html_field, renderer, name, number, errors, render_later)
                if record is not None:
                    yield record
        except READ_ERRORS as error:
            errors.unreadable(name, number + 1, f"unreadable ({error})")


def _parse(line: bytes, name: str, number: int, errors: RecordErrors):
    try:
        record = json.loads(line)
    except UnicodeDecodeError as error:
        errors(name, number, f"not UTF-8 ({error.reason} at byte {error.start})")
        return None
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        errors(name, number, f"invalid JSON ({error})")
        return None
    return record


def _json_default(value):
    """Values a Parquet or WARC source can hold that JSON has no type for."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, datetime.timedelta)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "surrogateescape")
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def dumps(record: dict) -> bytes:
    """One JSON line, UTF-8; strings that UTF-8 cannot hold (lone surrogates) are written as escapes."""
    try:
        return (json.dumps(record, ensure_ascii=False, default=_json_default) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record, ensure_ascii=True, default=_json_default) + "\n").encode("ascii")


@contextmanager
def jsonl_writer(path: str | Path | None, text_field: str = TEXT_FIELD_DEFAULT, labels_field: str | None = None) -> Iterator[Write]:
    """One line per document: its record with ``text_field`` cleaned (and ``labels_field`` added)."""
    with open_output(path) as f:
        def write(doc, text: str, labels: list | None = None) -> None:
            f.write(dumps(output_record(doc, text, text_field, labels_field, labels)))

        yield write
