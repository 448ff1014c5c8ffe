"""Parquet via pyarrow: read in record batches, written in batches, other columns passed through.

Reading goes through ``ParquetFile.iter_batches``, so memory holds one batch
(and the row group it comes from), never the file. Writing collects rows
into batches and appends each with ``ParquetWriter``. When the input is
Parquet too, the output keeps its schema (column types and order); otherwise
the schema is inferred from the first batch. Record numbers count rows from 1.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import NoiseCutError
from .files import RecordErrors, open_output
from .html import RENDERER_DEFAULT
from .records import HTML_OPTION, TEXT_FIELD_DEFAULT, TEXT_OPTION, Record, output_record, read_record
from .text import Write

READ_BATCH_ROWS = 256        # rows per batch read
WRITE_BATCH_ROWS = 1024      # rows per batch (and row group) written ...
WRITE_BATCH_BYTES = 64 << 20  # ... or fewer, once their text reaches this size


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise NoiseCutError("Parquet needs pyarrow: pip install 'noisecut[formats]'") from None
    return pyarrow


def open_parquet(path: str | Path):
    """The ``ParquetFile``, or a one-line error when it is not one."""
    pa = _pyarrow()
    try:
        return pa.parquet.ParquetFile(path)
    except FileNotFoundError:
        raise NoiseCutError(f"{path}: no such file") from None
    except (pa.ArrowException, OSError, ValueError) as error:  # ValueError: a column name that is not UTF-8
        raise NoiseCutError(f"{path}: not a readable Parquet file ({error})") from None


def parquet_schema(path: str | Path, text_field: str = TEXT_FIELD_DEFAULT, html_field: str | None = None):
    """The file's Arrow schema, checked to hold a string column ``text_field`` (or a string or binary ``html_field``)."""
    pa = _pyarrow()
    schema = open_parquet(path).schema_arrow
    field, option = (html_field, HTML_OPTION) if html_field else (text_field, TEXT_OPTION)
    if field not in schema.names:
        raise NoiseCutError(f"{path}: no column {field!r} (columns: {', '.join(schema.names)}; choose one with {option})")
    kind = schema.field(field).type
    if pa.types.is_dictionary(kind):  # a categorical column (pandas' category dtype): its values are what count
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or (html_field and (pa.types.is_binary(kind) or pa.types.is_large_binary(kind)))):
        raise NoiseCutError(f"{path}: column {field!r} holds {kind}, expected strings")
    return schema


def read_parquet(path: str | Path, errors: RecordErrors, text_field: str = TEXT_FIELD_DEFAULT,
                 html_field: str | None = None, renderer: str = RENDERER_DEFAULT, render_later: bool = False) -> Iterator[Record]:
    """Each row as a ``Record`` of ``text_field`` (or of ``html_field`` rendered; ``render_later``: to be); a null text goes to ``errors``."""
    pa = _pyarrow()
    name = str(path)
    parquet_schema(path, text_field, html_field)
    number = 0
    try:
        for batch in open_parquet(path).iter_batches(batch_size=READ_BATCH_ROWS):
            for row in batch.to_pylist():
                number += 1
                record = read_record(row, text_field, html_field, renderer, name, number, errors, render_later)
                if record is not None:
                    yield record
    except (pa.ArrowException, OSError, OverflowError, ValueError) as error:
        # to_pylist raises OverflowError/ValueError for out-of-range dates and
        # UnicodeDecodeError (a ValueError) for strings that are not UTF-8
        errors.unreadable(name, number + 1, f"corrupt Parquet data ({error})")


@contextmanager
def parquet_writer(path: str | Path | None, text_field: str = TEXT_FIELD_DEFAULT, labels_field: str | None = None, schema=None) -> Iterator[Write]:
    """Rows appended in batches; ``schema`` (the input's) keeps column types, else the first batch decides."""
    pa = _pyarrow()
    if schema is not None and text_field not in schema.names:  # the text of an HTML column, added after the input's
        schema = schema.append(pa.field(text_field, pa.string()))
    if schema is not None and labels_field:
        labels_type = pa.list_(pa.string())
        if labels_field in schema.names:
            schema = schema.set(schema.get_field_index(labels_field), pa.field(labels_field, labels_type))
        else:
            schema = schema.append(pa.field(labels_field, labels_type))
    with open_output(path, compress=False) as f:
        batches = _Batches(pa, f, schema, text_field, labels_field)
        try:
            yield batches.add
            batches.close()
        except BaseException:
            batches.abandon()  # else the writer, collected later, writes to the closed file: a traceback on stderr
            raise


def valid_utf8(value):
    """A string as Parquet can hold it: invalid bytes of the input (kept as lone surrogates, which text and
    JSONL output write back as they were) become U+FFFD, since Parquet strings are UTF-8. Other values as
    they are."""
    if not isinstance(value, str) or value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class _Batches:
    """Rows collected until a batch is full, then appended as a table."""

    def __init__(self, pa, sink, schema, text_field: str, labels_field: str | None):
        self.pa, self.sink, self.schema = pa, sink, schema
        self.text_field, self.labels_field = text_field, labels_field
        self.rows: list[dict] = []
        self.size = 0
        self.written = 0
        self.writer = None

    def add(self, doc, text: str, labels: list | None = None) -> None:
        record = output_record(doc, text, self.text_field, self.labels_field, labels)
        self.rows.append({key: valid_utf8(value) for key, value in record.items()})
        self.size += len(text)
        if len(self.rows) >= WRITE_BATCH_ROWS or self.size >= WRITE_BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        pa = self.pa
        if self.schema is None and not self.rows:  # nothing at all to write: a table of just the text column
            self.schema = pa.schema([(self.text_field, pa.string())])
        self._check_fields()
        try:
            if self.schema is None:  # the columns of every row in the first batch, in order of appearance
                names = dict.fromkeys(key for row in self.rows for key in row)
                table = pa.Table.from_pydict({name: [row.get(name) for row in self.rows] for name in names})
            else:
                table = pa.Table.from_pylist(self.rows, schema=self.schema)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as error:
            first = self.written + 1
            raise NoiseCutError(
                f"cannot write records {first}-{first + len(self.rows) - 1} to Parquet: {error} "
                "(a Parquet column holds one type per field, set by the input's schema or the first records)"
            ) from None
        if self.writer is None:
            self.schema = table.schema
            self.writer = pa.parquet.ParquetWriter(self.sink, self.schema)
        if table.num_rows:
            self.writer.write_table(table)
        self.written += table.num_rows
        self.rows, self.size = [], 0

    def _check_fields(self) -> None:
        """Stop at a row with a field the columns lack (``from_pylist`` would drop it without a word)."""
        if self.schema is None:
            return
        names = set(self.schema.names)
        for number, row in enumerate(self.rows, self.written + 1):
            extra = [key for key in row if key not in names]
            if extra:
                raise NoiseCutError(
                    f"cannot write record {number} to Parquet: its field {extra[0]!r} is not one of the columns "
                    f"({', '.join(self.schema.names)}) that the input's schema or the first records set; write JSONL"
                )

    def abandon(self) -> None:
        """Close the writer of a file that will not be kept (after an error), quietly."""
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.close()
            except Exception:
                pass

    def close(self) -> None:
        if self.rows or self.writer is None:
            self.flush()
        self.writer.close()
