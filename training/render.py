"""HTML -> plain text, one paragraph per line, the way upstream tools do it.

Each renderer takes an HTML string and returns plain text. They never raise
on a page: a page a renderer cannot handle comes back as "" (and is skipped upstream).
``html_blocks`` is also used to read gold standards that are HTML.

``RENDERERS`` build the corpus the models train on. ``HELD_OUT_RENDERERS``
are never trained on: ``training.evaluate --renderers bs4,markdown,resiliparse``
measures how a model carries over to text made by tools it has not seen.
``markdown_wrapped``, ``w3m``, ``lynx`` and ``lynx_refs`` hard-wrap paragraphs at 78-80
columns; the last three run a program (``PROGRAMS``: the Debian packages ``w3m``, ``lynx``).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from copy import deepcopy
from typing import Callable, Iterable

import html_text
import inscriptis
import lxml.html
from lxml import etree
from trafilatura.baseline import basic_cleaning  # trafilatura's own page cleaning

from noisecut.document import Document

BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol option p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
SKIP_TAGS = frozenset("script style template svg head iframe object".split())
_SPACES = re.compile(r"\s+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # lxml refuses these
# trafilatura.html2txt joins the whole page on one line; these are the block
# elements where its own text walker puts the spaces we turn into line breaks
_TRAFILATURA_BLOCKS = tuple(
    "section hr ul aside table header summary blockquote th pre li figcaption p dl h5 ol dt h3 nav "
    "address dd footer td h4 form figure tr h1 div article main h6 br h2".split()
)


def parse_html(html: str):
    """An lxml tree of the page (None if lxml cannot make one)."""
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)


def html_blocks(
    root,
    label_of: Callable[[etree._Element, object], object] = lambda element, label: label,
    label: object = None,
    skip: Iterable[str] = SKIP_TAGS,
) -> list[tuple[str, object]]:
    """Texts of the block-level runs under ``root`` in document order, each with a label.

    ``label_of(element, inherited)`` gives the label of an element's text (its
    children inherit it); a new block starts at every block-level tag and
    wherever the label changes. Whitespace is collapsed inside a block.
    """
    skip = frozenset(skip)
    blocks: list[tuple[str, object]] = []
    run: list[str] = []
    run_label = [label]

    def add(text: str | None, text_label: object) -> None:
        if not text:
            return
        if text_label != run_label[0]:
            flush()
            run_label[0] = text_label
        run.append(text)

    def flush() -> None:
        text = _SPACES.sub(" ", "".join(run)).strip()
        if text:
            blocks.append((text, run_label[0]))
        run.clear()

    labels = [label]
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if event == "start":
            if tag is None or tag in skip:
                walker.skip_subtree()
                labels.append(labels[-1])
                continue
            if tag in BLOCK_TAGS:
                flush()
            labels.append(label_of(element, labels[-1]))
            add(element.text, labels[-1])
        else:
            labels.pop()
            if tag in BLOCK_TAGS:
                flush()
            if element is not root:
                add(element.tail, labels[-1])
    flush()
    return blocks


def _lines(texts: Iterable[str]) -> str:
    return "\n".join(line for line in (_SPACES.sub(" ", t).strip() for t in texts) if line)


def render_inscriptis(html: str) -> str:
    return inscriptis.get_text(html)


def render_html_text(html: str) -> str:
    return html_text.extract_text(html)


def render_trafilatura_full(html: str) -> str:
    """trafilatura.html2txt (the whole page after trafilatura's basic cleaning),
    with a line break at each block element instead of the space it puts there."""
    tree = parse_html(html)  # trafilatura.load_html rejects pages that do not start like HTML
    if tree is None:
        return ""
    body = tree.find(".//body")
    body = deepcopy(body if body is not None else tree)
    body = basic_cleaning(body)
    for element in body.iter(*_TRAFILATURA_BLOCKS):
        element.text = "\n" + _NOT_XML.sub(" ", element.text or "")
        element.tail = "\n" + _NOT_XML.sub(" ", element.tail or "")
    return _lines(body.text_content().split("\n"))


def render_lxml_blocks(html: str) -> str:
    """The text of each block-level element of <body>, one per line."""
    tree = parse_html(html)
    if tree is None:
        return ""
    body = tree.find(".//body")
    return _lines(text for text, _ in html_blocks(body if body is not None else tree))


RENDERERS: dict[str, Callable[[str], str]] = {
    "inscriptis": render_inscriptis,
    "html_text": render_html_text,
    "trafilatura_full": render_trafilatura_full,
    "lxml_blocks": render_lxml_blocks,
}


def render_resiliparse(html: str) -> str:
    """resiliparse's plain text of the whole page (DCLM's extractor, without its main-content step)."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=False)


def render_resiliparse_main(html: str) -> str:
    """resiliparse's main content (``main_content=True``, as DCLM extracts it): text another tool already cut."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True)


def render_trafilatura(html: str) -> str:
    """trafilatura's main text, the trafilatura baseline's call (FineWeb extracts with trafilatura too, with
    settings of its own): text another tool already cut, as a pipeline that cleans after extracting hands it on."""
    from .baselines import trafilatura_html

    return trafilatura_html(html)


def render_bs4(html: str) -> str:
    """BeautifulSoup's ``get_text("\\n")``, as naive scrapers do: a line at every tag, inline ones too."""
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():  # a page served as XHTML is parsed as HTML, as a scraper would
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    for element in soup(["script", "style", "noscript", "template"]):
        element.decompose()
    return soup.get_text("\n", strip=True)


def _html2text(html: str, wrap: bool) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.ignore_images = True
    if not wrap:
        converter.body_width = 0
    return converter.handle(html)


def render_markdown(html: str) -> str:
    """html2text's Markdown (links as ``[text](url)``, no images, no wrapping), as RAG crawlers hand it on."""
    return _html2text(html, wrap=False)


def render_markdown_wrapped(html: str) -> str:
    """html2text as it comes (its defaults): Markdown with every paragraph wrapped at 78 columns."""
    return _html2text(html, wrap=True)


def _dump(command: list[str], html: str) -> str:
    done = subprocess.run(command, input=html.encode("utf-8", "surrogatepass"), capture_output=True, timeout=60)
    return done.stdout.decode("utf-8", "replace")


def render_w3m(html: str) -> str:
    """w3m's text dump: paragraphs hard-wrapped at 80 columns, blank lines between blocks."""
    return _dump(["w3m", "-dump", "-T", "text/html", "-I", "UTF-8", "-O", "UTF-8", "-cols", "80"], html)


def render_lynx(html: str) -> str:
    """lynx's text dump without its link list: hard-wrapped at 80 columns, indented."""
    return _lynx(html, "-nolist")


def render_lynx_refs(html: str) -> str:
    """lynx's text dump as it comes: each link numbered ("[12]Home"), the References list at the end.
    lynx reads the page from a temporary directory of its own, so a relative link's address names it
    ("file:///tmp/lynxXXXXa1B2c3/about"): that part is dropped, so a page renders the same every time."""
    return _LYNX_TEMPORARY.sub("file:///", _lynx(html))


_LYNX_TEMPORARY = re.compile(r"file://(?:localhost)?/\S*?/lynxXXXX\w+/")


def _lynx(html: str, *options: str) -> str:
    return _dump(["lynx", "-dump", "-stdin", *options, "-width", "80", "-assume_charset=utf-8",
                  "-display_charset=utf-8"], html)


PROGRAMS = {"w3m": "w3m", "lynx": "lynx", "lynx_refs": "lynx"}  # renderers that run a program: its name

HELD_OUT_RENDERERS: dict[str, Callable[[str], str]] = {
    "resiliparse": render_resiliparse,
    "bs4": render_bs4,
    "markdown": render_markdown,
    "markdown_wrapped": render_markdown_wrapped,
    "w3m": render_w3m,
    "lynx": render_lynx,
    "lynx_refs": render_lynx_refs,
    "resiliparse_main": render_resiliparse_main,
    "trafilatura": render_trafilatura,
}


ALL_RENDERERS = {**RENDERERS, **HELD_OUT_RENDERERS}


def renderer_names(text: str) -> list[str]:
    """``--renderers``' argparse type: comma-separated names, each one of ``ALL_RENDERERS``."""
    names = text.split(",")
    unknown = [name for name in names if name not in ALL_RENDERERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown renderer(s) {', '.join(unknown)}: use {', '.join(RENDERERS)} "
                                         f"or, never trained on, {', '.join(HELD_OUT_RENDERERS)}")
    missing = [name for name in names if name in PROGRAMS and shutil.which(PROGRAMS[name]) is None]
    if missing:
        programs = " ".join(sorted({PROGRAMS[name] for name in missing}))
        raise argparse.ArgumentTypeError(f"renderer(s) {', '.join(missing)} need a program that is not installed "
                                         f"(Debian: apt-get install {programs})")
    return names


def render(name: str, html: str) -> str:
    """Run one renderer; a page it fails on gives "" (a missing package or an unknown name raises)."""
    function = ALL_RENDERERS.get(name)
    if function is None:
        raise ValueError(f"unknown renderer {name!r}")
    try:
        return function(html) or ""
    except (ImportError, FileNotFoundError):  # a missing package or program is not a page the renderer fails on
        raise
    except Exception:  # noqa: BLE001 - third-party parsers on arbitrary HTML
        return ""


def rendered_document(name: str, html: str) -> Document:
    """The page rendered by one renderer as the document noisecut cleans; it keeps the page, for a
    model that reads its markup (``models/html``), as ``noisecut.io.html.render_document`` does."""
    doc = Document.from_text(render(name, html))
    doc.html = html
    return doc
