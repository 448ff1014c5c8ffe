"""Common Crawl WET and WARC files via warcio.

Read: WET ``conversion`` records (the extracted text), and in a WARC the
``response`` and ``resource`` records whose content type is ``text/plain``
(cleaned as they are) or HTML (rendered to text by ``html.read_page``,
in the charset of the HTTP header, else of the page's ``<meta>``; without a
Content-Type, a payload that starts like a page). Other records (images,
scripts, PDFs ...) are skipped and counted. Each document's ``meta`` is ``url``, ``warc-record-id``
and ``date``; its ``id`` is the record id.

Write: WET, a ``warcinfo`` record then one ``conversion`` record per document
with the cleaned text, ``WARC-Refers-To`` the record it came from. A
``.gz`` name gives the usual one gzip member per record.

warcio alone reads a truncated file without complaint, so the gzip layer is
Python's (which raises on a truncated stream) and each record's length is
checked against its header. A read error is kept aside and warcio sees the
end of the file there (``_Counting``), so every record before the damage is
read; the record it cuts and the rest are reported unreadable.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from email.message import Message
from functools import partial
from pathlib import Path
from typing import Iterator

from .. import __version__
from ..document import Document, encode
from ..errors import NoiseCutError
from .files import READ_ERRORS, RecordErrors, is_gzip_name, is_stdio, open_input, open_output
from .html import HTML_MEDIA_TYPES, RENDERER_DEFAULT, PendingPage, looks_like_html, read_page
from .text import Write

TEXT_TYPES = ("text/plain",)  # the payloads cleaned as they are
UNDECLARED = ""  # the media type of a response without a Content-Type
CONVERSION = "conversion"
TEXT_RECORDS = ("response", "resource")


def _warcio():
    try:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed
        from warcio.warcwriter import WARCWriter
    except ImportError:
        raise NoiseCutError("WARC and WET need warcio: pip install 'noisecut[formats]'") from None
    return ArchiveIterator, ArchiveLoadFailed, WARCWriter


class _Truncated(Exception):
    """A record whose payload ends before its Content-Length (``missing`` bytes short)."""

    def __init__(self, missing: int):
        self.missing = missing


class _Counting(io.RawIOBase):
    """Counts the bytes read, to tell a complete file from one cut short. A read error (a damaged gzip
    stream) is kept in ``error`` and read as the end of the file: an exception here would also lose what
    the buffered reader above had read before it."""

    def __init__(self, stream):
        # read1: one read below (GzipFile's own buffer would also lose a whole read's data to an error)
        self.read = getattr(stream, "read1", stream.read)
        self.total, self.error = 0, None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.error is not None:
            return 0
        try:
            data = self.read(len(buffer))
        except READ_ERRORS as error:
            self.error = error
            return 0
        buffer[: len(data)] = data
        self.total += len(data)
        return len(data)


def _declared_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    message = Message()
    message["content-type"] = content_type or "text/plain"
    return message.get_content_charset()


def _charset(content_type: str | None) -> str:
    charset = _declared_charset(content_type) or "utf-8"
    try:
        "".encode(charset)
    except (LookupError, ValueError):  # unknown codec, or a name with a NUL in it
        return "utf-8"
    return charset


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


class WarcStats:
    """What a WARC reader left out by design (not errors): records that are neither plain text nor HTML."""

    def __init__(self):
        self.not_text = 0


def read_warc(path: str | Path, errors: RecordErrors, stats: WarcStats | None = None,
              renderer: str = RENDERER_DEFAULT, render_later: bool = False) -> Iterator[Document]:
    """The text and HTML records of a WET or WARC file (plain or gzip'd, stdin too) as documents (``render_later``: HTML as ``html.PendingPage``s)."""
    ArchiveIterator, ArchiveLoadFailed, _ = _warcio()
    name = str(path)
    stats = stats or WarcStats()
    number = 0
    with open_input(path) as f:
        counted = _Counting(f)
        records = ArchiveIterator(io.BufferedReader(counted), no_record_parse=False)
        cut, at = None, None  # why the file ends early, and the record it ends in (default: after the last read)
        try:
            for number, record in enumerate(records, 1):
                if record.format != "warc":  # warcio reads a line of a few words as an ARC header
                    cut, at = "not a WARC record (no WARC/1.x header: an ARC file, or not an archive)", number
                    break
                if record.rec_headers.get_header("Content-Length") is None:  # headers cut short: the rest is lost
                    cut, at = "truncated record (its headers end without a Content-Length)", number
                    break
                try:
                    doc = _document(record, name, number, errors, stats, renderer, render_later)
                except _Truncated as short:
                    if counted.error is not None:  # the stream broke inside this record
                        at = number
                        break
                    errors(name, number, f"truncated: the last {short.missing} bytes of the record are missing")
                    continue
                if doc is not None:
                    yield doc
            else:
                if counted.total > records.offset:
                    cut = f"truncated record at byte {records.offset}"
        except ArchiveLoadFailed as error:
            cut = f"not a WARC record ({error})"
        except AttributeError:  # warcio, on a response record without a target URI
            cut = "truncated or damaged record (a response without WARC-Target-URI)"
        except READ_ERRORS as error:
            cut = f"unreadable ({error})"
        if counted.error is not None:  # a read error outranks what warcio made of the stream's early end
            cut = f"unreadable ({counted.error})"
        if cut:
            errors.unreadable(name, at or number + 1, cut)


def _document(record, name: str, number: int, errors: RecordErrors, stats: WarcStats, renderer: str,
              render_later: bool = False) -> Document | PendingPage | None:
    headers = record.rec_headers
    if record.rec_type == CONVERSION:
        content_type, media = headers.get_header("Content-Type"), TEXT_TYPES[0]
    elif record.rec_type in TEXT_RECORDS:
        content_type = record.http_headers.get_header("Content-Type") if record.http_headers else headers.get_header("Content-Type")
        media = _media_type(content_type)
        if media not in TEXT_TYPES + HTML_MEDIA_TYPES + (UNDECLARED,):
            stats.not_text += 1
            return None
    else:  # warcinfo, request, metadata, revisit: nothing to clean
        return None
    try:
        payload = _payload(record)
    except _Undecoded as error:
        errors(name, number, str(error))
        return None
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise _Truncated(missing)
    if media == UNDECLARED:  # no Content-Type: HTML when it starts like a page, else left out
        if not looks_like_html(payload):
            stats.not_text += 1
            return None
        media = HTML_MEDIA_TYPES[0]
    record_id = headers.get_header("WARC-Record-ID")
    meta = {"url": headers.get_header("WARC-Target-URI"), "warc-record-id": record_id, "date": headers.get_header("WARC-Date")}
    if media in HTML_MEDIA_TYPES:
        document = Document([], [], id=record_id or f"{name}:{number}", meta=meta)
        return read_page(document, payload, renderer, partial(errors, name, number), render_later, _declared_charset(content_type))
    charset = _charset(content_type)  # UTF-8 keeps invalid bytes byte for byte; others are converted
    text = payload.decode(charset, "surrogateescape" if charset == "utf-8" else "replace")
    return Document.from_text(text, record_id or f"{name}:{number}", meta)


class _Undecoded(Exception):
    """A payload whose Content-Encoding cannot be undone here (a bad record, not the end of the file)."""


def _payload(record) -> bytes:
    """The record's payload, its HTTP Content-Encoding undone. Brotli (``br``) is undone here: warcio's
    decoder fails on brotli 1.1 and later (``'brotli.Decompressor' object has no attribute 'unused_data'``),
    and without brotli it would hand on the compressed bytes as the page. As warcio does for gzip, a body
    that does not decompress is taken as sent uncompressed."""
    headers = record.http_headers
    if headers is None or (headers.get_header("Content-Encoding") or "").strip().lower() != "br":
        return record.content_stream().read()
    from warcio.bufferedreaders import ChunkedDataReader

    chunked = headers.get_header("Transfer-Encoding") == "chunked"  # as warcio's content_stream tells
    body = (ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream).read()
    try:
        import brotli
    except ImportError:
        raise _Undecoded("its payload is compressed with Content-Encoding br, which needs brotli: pip install brotli") from None
    try:
        return brotli.decompress(body)
    except brotli.error:
        return body


@contextmanager
def wet_writer(path: str | Path | None) -> Iterator[Write]:
    """A WET file: a ``warcinfo`` record, then one ``conversion`` record per document."""
    _, _, WARCWriter = _warcio()
    compress = not is_stdio(path) and is_gzip_name(path)
    with open_output(path, compress=False) as f:
        writer = WARCWriter(f, gzip=compress)
        filename = "-" if is_stdio(path) else Path(path).name
        writer.write_record(writer.create_warcinfo_record(filename, {"software": f"noisecut {__version__}", "description": "text cleaned by noisecut"}))

        def write(doc: Document, text: str, labels: list | None = None) -> None:
            headers = {"Content-Type": "text/plain"}
            meta = doc.meta or {}
            if meta.get("date"):
                headers["WARC-Date"] = str(meta["date"])
            if meta.get("warc-record-id"):
                headers["WARC-Refers-To"] = str(meta["warc-record-id"])
            url = meta.get("url")
            record = writer.create_warc_record(str(url) if url else None, CONVERSION, payload=io.BytesIO(encode(text)), warc_headers_dict=headers)
            writer.write_record(record)

        yield write
