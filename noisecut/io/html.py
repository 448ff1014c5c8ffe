"""HTML in: a page's bytes -> its text, one block per line, rendered by a maintained renderer.

Every reader that meets HTML (an ``.html`` file, a directory of them, HTML
sniffed on stdin or in a text file, an HTML field of JSONL/Parquet records,
the HTML responses of a WARC file) goes through ``read_page``: the
bytes are decoded as a browser would (``decode_html``), rendered to lines
by ``html_text`` (the default: the shipped model scores best on its
rendering, see the README's results) or ``inscriptis``, the two renderers
the training corpus is built with (``training/render.py``), and the lines
are cleaned like any text. The renderers come with ``noisecut[html]``.

Asked to render later (``noisecut clean`` does), a reader hands a page on
decoded but not rendered, as a ``PendingPage``: ``parallel.clean_documents``
renders it where it cleans it, in the ``-j`` worker processes when there
are several, so rendering scales with them.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..document import Document
from ..errors import NoiseCutError

RENDERERS = ("html_text", "inscriptis")
RENDERER_DEFAULT = "html_text"
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")  # each also with .gz
HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")
META_PRESCAN_BYTES = 1024  # how far browsers look for <meta charset> (WHATWG "prescan")
FALLBACK_ENCODING = "cp1252"  # browsers' default for undeclared pages that are not UTF-8 (western locales)
# charset_normalizer guesses that tell little apart on a page with a few accented letters: read as cp1252
_LATIN_GUESSES = frozenset({"iso8859-1", "iso8859-15", "iso8859-2", "cp1250", "cp1252", "mac-roman"})
MISSING_EXTRA = "HTML input needs {package}: pip install 'noisecut[html]'"

# UTF-32's before UTF-16's: UTF-32-LE's mark starts with UTF-16-LE's
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# what may come before the doctype: "<!-- saved from url=... -->", an XHTML page's "<?xml ...?>"
_PROLOGUE = re.compile(rb"\s*(<!--.*?-->|<\?xml[^>]*>)", re.S)
_HTML_START = re.compile(rb"\s*<(!doctype\s+html|html[\s>])", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:\-]+)", re.I)
# what lxml refuses in a string ("All strings must be XML compatible"): lone surrogates (invalid bytes a
# reader kept) always; control characters and U+FFFE/U+FFFF only where the renderer fails on them
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")
_PAGE_BREAK = re.compile("[\x0b\x0c]")  # vertical tab, form feed: blank space in HTML
_ASCII_PROBE = bytes(range(0x20, 0x7f)) + b"\t\n\r"  # what a declared charset must read as ASCII
# WHATWG encoding labels whose Python codec differs: browsers read these as a superset
_SUPERSETS = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "l1": "cp1252",
    "ascii": "cp1252", "us-ascii": "cp1252", "iso-8859-9": "cp1254", "latin5": "cp1254",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "tis-620": "cp874", "iso-8859-11": "cp874",
    # a page that says UTF-16 in its own markup is readable ASCII, so it is not UTF-16
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8",
}


def is_html_name(name: str) -> bool:
    """Whether a file name says HTML (``page.html``, ``page.htm.gz``)."""
    name = name.lower().removesuffix(".gz")
    return name.endswith(HTML_SUFFIXES)


def looks_like_html(data: bytes) -> bool:
    """Whether ``data`` starts like an HTML page: ``<!doctype html`` or ``<html`` after a BOM, blank space, comments and an XML declaration."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):]
            if encoding != "utf-8":
                data = data[:2048].decode(encoding, "ignore").encode("utf-8")
            break
    position = 0
    while True:
        prologue = _PROLOGUE.match(data, position)
        if not prologue:
            break
        position = prologue.end()
    return _HTML_START.match(data, position) is not None


def is_html_file(name: str, start: bytes) -> bool:
    """Whether a file is a page: by its name, else by its first bytes (``start``)."""
    return is_html_name(name) or looks_like_html(start)


def _codec(label: str | bytes | None) -> str | None:
    """The Python codec for a charset label, None when it is not one."""
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = (label or "").strip().strip("\"'").lower()
    if not label:
        return None
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
        b"a".decode(name, "replace")  # LookupError for codecs that are not text encodings (base64, zlib, rot13)
    except (LookupError, ValueError):  # ValueError: a name with a NUL in it
        return None
    return name


def _ascii_compatible(name: str) -> bool:
    """Whether the codec reads ASCII as ASCII: a charset declared in the page's (ASCII) markup or over HTTP
    can be honoured only then; browsers know none of the others (UTF-7, UTF-32, EBCDIC)."""
    try:
        return _ASCII_PROBE.decode(name) == _ASCII_PROBE.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


def _declared(label: str | bytes | None) -> str | None:
    """The codec of a declared charset, None when it is not one or cannot be the page's (``_ascii_compatible``)."""
    name = _codec(label)
    return name if name is not None and _ascii_compatible(name) else None


def meta_charset(data: bytes) -> str | None:
    """The charset a ``<meta charset>`` or ``<meta http-equiv content="...; charset=">`` declares in the page's first bytes."""
    found = _META_CHARSET.search(data[:META_PRESCAN_BYTES])
    return _declared(found.group(1)) if found else None


def decode_html(data: bytes, http_charset: str | None = None) -> str:
    """The page's text, with the encoding a browser would pick, but for one case.

    A byte-order mark first (UTF-16 without one: by its NUL bytes), then the charset of the HTTP header
    (``http_charset``, from a WARC response), then the page's ``<meta>``
    charset (a charset that does not read ASCII as ASCII, such as UTF-32 or
    UTF-7, is not the page's: ignored); undeclared: UTF-8, else charset_normalizer's guess (when
    installed; a Latin single-byte guess is read as cp1252), else cp1252.
    The case: bytes that are valid UTF-8 with non-ASCII characters are
    UTF-8 whatever the page declares. Saved pages are often re-encoded
    and keep their old ``<meta>`` (22 of the 982 test-split pages of
    ../shared/datasets), while text in another charset is almost never
    valid UTF-8.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    wide = _utf16_without_bom(data)
    if wide:
        return data.decode(wide, "replace")
    try:
        text = data.decode("utf-8")
        if not text.isascii():
            return text
    except UnicodeDecodeError:
        text = None
    declared = _declared(http_charset) or meta_charset(data)
    if declared:
        return data.decode(declared, "replace")
    if text is not None:
        return text
    return data.decode(_guess(data), "replace")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 by its NUL bytes when the page has no byte-order mark: its markup is ASCII, every other byte
    of it NUL (valid UTF-8 too, so it was read as UTF-8 with a NUL between letters, and rendered to nothing)."""
    sample = data[:META_PRESCAN_BYTES]
    half = len(sample) // 2
    if half < 8:
        return None
    even, odd = sample[0:2 * half:2].count(0), sample[1:2 * half:2].count(0)
    if odd >= 0.6 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.6 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def _guess(data: bytes) -> str:
    try:
        import charset_normalizer
    except ImportError:
        return FALLBACK_ENCODING
    best = charset_normalizer.from_bytes(data).best()
    guess = _codec(best.encoding) if best is not None else None
    return FALLBACK_ENCODING if guess is None or guess in _LATIN_GUESSES else guess


def renderer(name: str = RENDERER_DEFAULT) -> Callable[[str], str]:
    """The function rendering an HTML string to text; a one-line error naming the extra when it is not installed."""
    if name == "html_text":
        try:
            import html_text
        except ImportError:
            raise NoiseCutError(MISSING_EXTRA.format(package="html-text")) from None
        return html_text.extract_text
    if name == "inscriptis":
        try:
            import inscriptis
        except ImportError:
            raise NoiseCutError(MISSING_EXTRA.format(package="inscriptis")) from None
        return inscriptis.get_text
    raise ValueError(f"unknown renderer {name!r} (one of {', '.join(RENDERERS)})")


class UnrenderableHTML(ValueError):
    """The renderer failed on a page (readers report it as a bad record)."""


def render(html: str, name: str = RENDERER_DEFAULT) -> str:
    """The page's text as the renderer writes it, ending with a line break (none for a page without text)."""
    to_text = renderer(name)
    html = _SURROGATE.sub("\ufffd", html)
    if not html.strip():
        return ""
    try:
        text = _attempt(to_text, html, name)
    except UnrenderableHTML:  # lxml fails on some control characters: again without them (browsers show none)
        text = _attempt(to_text, _PAGE_BREAK.sub(" ", _CONTROL.sub("", html)), name)
    return text + "\n" if text and not text.endswith("\n") else text


def _attempt(to_text: Callable[[str], str], html: str, name: str) -> str:
    try:
        return to_text(html)
    except Exception as error:  # noqa: BLE001 - third-party parsers on arbitrary pages
        raise UnrenderableHTML(f"HTML not rendered ({name}: {type(error).__name__}: {error})") from None


def render_document(page: bytes | str, id: str | None = None, meta: dict | None = None,
                    renderer_name: str = RENDERER_DEFAULT, http_charset: str | None = None) -> Document:
    """A page (bytes: decoded by ``decode_html``) rendered to a ``Document`` of its lines.

    The document keeps the page (``Document.html``) for a model that reads the markup
    (``markup.py``); the default text model never looks at it."""
    if isinstance(page, (bytearray, memoryview)):
        page = bytes(page)
    if not isinstance(page, (str, bytes)):  # an int was AttributeError: no attribute 'startswith'
        raise TypeError(f"render_document() takes the page as bytes or str, not {type(page).__name__}")
    html = page if isinstance(page, str) else decode_html(page, http_charset)
    doc = Document.from_text(render(html, renderer_name), id, meta)
    doc.html = html
    return doc


@dataclass
class PendingPage:
    """A page read but not rendered yet: what a reader gives for a page with ``render_later``.

    ``document`` is what it becomes (its id and meta, a record's fields; no
    lines yet); ``report`` tells the reader's ``RecordErrors`` when the renderer
    fails. ``parallel.clean_documents`` renders it: in this process
    (``render_pages``), or in a worker process with ``jobs > 1``, where
    rendering costs about as much as cleaning.
    """

    document: Document
    html: str
    renderer: str
    report: Callable[[str], None]

    @property
    def id(self) -> str | None:
        return self.document.id

    @property
    def meta(self) -> dict:
        return self.document.meta

    def render(self) -> Document | None:
        """Rendered here: the document, or None once the renderer's failure is reported."""
        try:
            rendered = render_document(self.html, renderer_name=self.renderer)
        except UnrenderableHTML as error:
            rendered = error
        return self.finish(rendered)

    def finish(self, rendered: Document | UnrenderableHTML) -> Document | None:
        """The document with the lines of the page ``rendered`` (here or in a worker: ``render_document``);
        None after reporting the renderer's error."""
        if isinstance(rendered, UnrenderableHTML):
            self.report(str(rendered))
            return None
        doc = self.document
        doc.lines, doc.ends, doc.bom, doc.html = rendered.lines, rendered.ends, rendered.bom, self.html
        return doc


def read_page(document: Document, page: bytes | str, renderer_name: str, report: Callable[[str], None],
              render_later: bool = False, http_charset: str | None = None) -> Document | PendingPage | None:
    """What a reader gives for a page: ``document`` (id and meta, no lines) with the lines ``page`` renders to,
    or None once ``report`` is told the renderer failed; ``render_later``: a ``PendingPage``, rendered by the cleaning.

    Bytes are decoded here (``decode_html``, ``http_charset``: a WARC response's); rendering is the expensive part."""
    html = page if isinstance(page, str) else decode_html(page, http_charset)
    pending = PendingPage(document, html, renderer_name, report)
    return pending if render_later else pending.render()


def render_pages(docs: Iterable[Document | PendingPage]) -> Iterator[Document]:
    """The documents in order, each ``PendingPage`` rendered here as it comes (one the renderer fails on is reported and left out)."""
    for doc in docs:
        if isinstance(doc, PendingPage):
            doc = doc.render()
        if doc is not None:
            yield doc
