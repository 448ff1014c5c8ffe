"""Structured records (JSONL rows, Parquet rows, WARC records) as documents and back.

A record becomes a ``Record``: a ``Document`` of its text field whose
``meta`` holds the record's other fields, untouched, and whose ``fields``
remembers where the text field sat, so the record is written back with its
fields in their original order and only the text changed. With an HTML
field (``--html-field``), the document is that field's page rendered to
text, and the cleaned text goes to the text field (added last when the
record has none); the HTML field is passed through like any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from ..document import Document

TEXT_FIELD_DEFAULT = "text"
TEXT_OPTION, HTML_OPTION = "--text-field", "--html-field"  # the options that name the fields, for messages


@dataclass
class Record(Document):
    """A document read from a record; ``fields`` is the record's field order, text field included."""

    fields: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: dict, text_field: str, source: str, number: int) -> "Record":
        """``record[text_field]`` (a str, checked by the caller) as a document; ``id`` is the record's ``id`` or ``source:number``."""
        meta = {key: value for key, value in record.items() if key != text_field}
        ident = record.get("id")
        ident = str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) else f"{source}:{number}"
        doc = cls.from_text(record[text_field], ident, meta)
        doc.fields = tuple(record)
        return doc

    @classmethod
    def to_render(cls, record: dict, text_field: str, source: str, number: int) -> "Record":
        """The document of a record whose text is to be rendered from its HTML field: its meta and fields, no lines yet."""
        doc = cls.from_record({**record, text_field: ""}, text_field, source, number)
        doc.fields = tuple(record)
        return doc


def type_name(value) -> str:
    """How a JSON or Arrow value's type reads in an error message."""
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), f"a {type(value).__name__}")


def text_problem(record, text_field: str, option: str = TEXT_OPTION) -> str | None:
    """Why ``record`` has no usable text, or None when ``record[text_field]`` is a str.

    ``option`` names the field's option (``--html-field``: bytes are a page too)."""
    if not isinstance(record, dict):
        return f"expected an object with a {text_field!r} field, got {type_name(record)}"
    if text_field not in record:
        fields = ", ".join(map(repr, record)) or "none"
        return f"no {text_field!r} field (fields: {fields}; choose one with {option})"
    value = record[text_field]
    if not isinstance(value, str) and not (option == HTML_OPTION and isinstance(value, bytes)):
        return f"{text_field!r} is {type_name(value)}, expected a string"
    return None


def read_record(record: dict, text_field: str, html_field: str | None, renderer: str, source: str, number: int, errors,
                render_later: bool = False):
    """The ``Record`` of a JSONL or Parquet row (its HTML rendered when ``html_field``; ``render_later``: a
    ``html.PendingPage`` of it), or None after telling ``errors``."""
    from .html import read_page

    problem = text_problem(record, html_field, HTML_OPTION) if html_field else text_problem(record, text_field)
    if problem:
        errors(source, number, problem)
        return None
    if not html_field:
        return Record.from_record(record, text_field, source, number)
    document = Record.to_render(record, text_field, source, number)
    return read_page(document, record[html_field], renderer, partial(errors, source, number), render_later)


def output_record(doc: Document, text: str, text_field: str, labels_field: str | None = None, labels: list | None = None) -> dict:
    """The record to write: ``doc.meta`` with ``text_field`` set to ``text`` where it was, plus the labels."""
    out = dict(doc.meta)
    out[text_field] = text
    order = getattr(doc, "fields", ())
    if text_field in order:
        out = {key: out[key] for key in order if key in out}
        out.update((key, value) for key, value in doc.meta.items() if key not in out)
    if labels_field:
        out[labels_field] = labels
    return out
