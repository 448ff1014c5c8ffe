"""Documents and lines: text in, lines out, kept lines back out unchanged.

A document is plain text with one paragraph per line. Lines end at ``\\r\\n``,
``\\r`` or ``\\n`` (nothing else: form feeds, vertical tabs and Unicode line
separators stay inside their line). Each line keeps its own terminator, so
joining the kept lines reproduces them exactly as they came in.

Bytes are decoded as UTF-8 with ``surrogateescape``: invalid bytes become lone
surrogates that encode back to the same bytes, so non-UTF-8 input round-trips
byte for byte. A leading UTF-8 byte-order mark is set aside and written back
in front of the cleaned text. Text that starts with a UTF-16 or UTF-32
byte-order mark, decodes in that encoding and has a line break there is read
in it and written back in it, mark included (``Document.encoding``); other
bytes after such a mark (binary data, one line) are read as UTF-8.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Sequence

BOM = "\ufeff"
ENCODING = "utf-8"
ERRORS = "surrogateescape"  # invalid bytes round-trip as lone surrogates
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
# byte-order marks of the wide encodings; UTF-32's before UTF-16's, whose little-endian mark begins UTF-32's
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
             (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass
class Document:
    """A text split into lines, each with the terminator it had."""

    lines: list[str]
    ends: list[str]
    bom: bool = False
    id: str | None = None
    meta: dict = field(default_factory=dict)
    # the page the lines were rendered from (``io.html.render_document``): a markup-reading model
    # computes its markup rows from it; None for plain text
    html: str | None = field(default=None, repr=False, compare=False)
    # what the markup says about each line, precomputed (one row per line; ``markup.py``): the training corpus
    markup: object = field(default=None, repr=False, compare=False)
    encoding: str = field(default=ENCODING, compare=False)  # of the bytes it was read from: written back in it

    @classmethod
    def from_text(cls, text: str, id: str | None = None, meta: dict | None = None) -> "Document":
        if not isinstance(text, str):
            hint = "; for bytes use Document.from_bytes()" if isinstance(text, (bytes, bytearray, memoryview)) else ""
            raise TypeError(f"Document.from_text() takes the text as a str, not {type(text).__name__}{hint}")
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
        if not text:
            return cls([], [], bom, id, dict(meta or {}))
        parts = _LINE_BREAK.split(text)
        lines, ends = parts[0::2], parts[1::2] + [""]
        if lines[-1] == "":  # text ended with a line break: no line after it
            lines.pop()
            ends.pop()
        return cls(lines, ends, bom, id, dict(meta or {}))

    @classmethod
    def from_bytes(cls, data: bytes, id: str | None = None, meta: dict | None = None) -> "Document":
        if not isinstance(data, (bytes, bytearray, memoryview)):
            hint = "; for str use Document.from_text()" if isinstance(data, str) else ""
            raise TypeError(f"Document.from_bytes() takes the text as bytes, not {type(data).__name__}{hint}")
        data = bytes(data)
        for bom, encoding in WIDE_BOMS:
            if data.startswith(bom):
                try:
                    text = data.decode(encoding)  # the mark decodes to BOM
                except UnicodeDecodeError:
                    break
                if not _LINE_BREAK.search(text):  # binary data that happens to decode: read as UTF-8 below
                    break
                doc = cls.from_text(text, id, meta)
                doc.encoding = encoding
                return doc
        return cls.from_text(data.decode(ENCODING, ERRORS), id, meta)

    def __len__(self) -> int:
        return len(self.lines)

    def content_indices(self) -> list[int]:
        """Indices of the non-blank lines: the lines that get a label."""
        return [i for i, line in enumerate(self.lines) if line.strip()]

    def text(self) -> str:
        return self.join(range(len(self.lines)))

    def join(self, keep: Sequence[int]) -> str:
        """The kept lines (indices into ``lines``) with their own terminators.

        The last kept line keeps its terminator unless it was the document's
        last line; a BOM the input had comes back in front.
        """
        out = "".join(self.lines[i] + self.ends[i] for i in keep)
        return (BOM + out) if self.bom and out else out


def count_content_lines(text: str) -> int:
    """How many non-blank lines ``text`` has, split as ``Document`` splits (the lines that get a label)."""
    return len(Document.from_text(text).content_indices())


def keep_with_blanks(doc: Document, keep_content: Sequence[int]) -> list[int]:
    """Add back the blank lines that sit between two kept lines.

    Paragraph spacing inside kept text survives; blank runs next to dropped
    lines disappear with them.
    """
    kept = set(keep_content)
    out: list[int] = []
    previous_kept = False  # was the last non-blank line kept?
    pending: list[int] = []  # blank lines since the last non-blank line
    for i, line in enumerate(doc.lines):
        if not line.strip():
            pending.append(i)
            continue
        if i in kept:
            if previous_kept:
                out.extend(pending)
            out.append(i)
        previous_kept = i in kept
        pending = []
    return out


def encode(text: str, encoding: str = ENCODING) -> bytes:
    """``text`` as bytes in ``encoding`` (a ``Document``'s): invalid UTF-8 it was read with comes back as it was."""
    return text.encode(encoding, ERRORS if encoding == ENCODING else "strict")
