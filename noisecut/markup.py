"""What the markup says about each rendered line: the extra inputs of a markup-reading model (``models/html``).

Plain text loses what the page knew: how much of a line sits inside links
(link density, the classic boilerplate signal), which structural elements
enclose it (``nav``, ``footer``, ``aside`` ...), the words of their class and
id attributes (``sidebar``, ``comment``, ``share``, ``related`` ...), how deep
it sits in the DOM, and whether it is inside ``<main>``/``<article>``.

``markup_features(html, lines)`` gives one row per line of the page's
rendering (html_text or inscriptis, ``io.html.render``): each line is found
in the page's text by its non-blank characters (renderers differ mostly in
where they put blank space), in order from the previous line on, and its
row is the mean over its characters of what encloses each. A line not found
whole is looked up without a list marker (``* ``, ``1. ``), then column by
column (inscriptis lays table cells side by side). A line not found at all
(blank, or text the walk below does not see) gets a row of zeros with
``found`` 0. Needs lxml (``noisecut[html]``).

A model that reads these (``Model.reads_markup``) gets them beside the text
features of each non-blank line (``document_markup``): computed from the
page a document was rendered from (``Document.html``), or read precomputed
(``Document.markup``: the training corpus, ``training/build_markup.py``).
``MARKUP_VERSION`` changes whenever a row would come out differently.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import numpy as np

from .errors import NoiseCutError

SKIP_TAGS = frozenset({"script", "style", "template"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# structural elements whose share of a line's characters is a feature ("heading": h1-h6)
TAGS = ("nav", "header", "footer", "aside", "form", "li", "table", "heading", "figure", "blockquote", "button")
MAIN_TAGS = frozenset({"main", "article"})
MAIN_ROLES = frozenset({"main", "article"})
# class/id words: a token (split at anything but letters and digits) matches a word it contains;
# two-letter words match only themselves or their plural (``ad``, ``ads``, not ``header``)
WORDS = (
    "nav", "menu", "header", "footer", "sidebar", "comment", "share", "social", "related", "ad", "advert",
    "sponsor", "promo", "banner", "breadcrumb", "cookie", "newsletter", "subscribe", "widget", "popup",
    "login", "search", "pagination", "copyright", "author", "byline", "date", "caption", "tags",
    "content", "article", "post", "story", "body", "main", "entry",
)
FEATURES = ("found", "link_density", "depth", "in_main", *(f"tag_{t}" for t in TAGS), *(f"word_{w}" for w in WORDS))
MARKUP_VERSION = 1
DEPTH_SCALE = 32.0  # depth is given as depth / DEPTH_SCALE (most text sits 5-25 elements deep)

_BLANK = re.compile(r"\s+")
_LIST_MARKER = re.compile(r"^\s*(?:[*+o\u2022-]|\d+\.|[a-z]\.)\s+")  # bullets and numbers inscriptis writes
_COLUMNS = re.compile(r"\s{2,}")  # inscriptis lays table cells side by side
_TOKEN = re.compile(r"[^0-9a-z]+")


def _lxml():
    try:
        import lxml.html
        from lxml import etree
    except ImportError:
        raise NoiseCutError("markup features need lxml: pip install 'noisecut[html]'") from None
    return lxml.html, etree


_COLUMN = {name: i for i, name in enumerate(FEATURES)}
_FOUND, _DEPTH, _LINK, _MAIN = (_COLUMN[name] for name in ("found", "depth", "link_density", "in_main"))


@lru_cache(maxsize=4096)  # pages repeat their class names on every item of a list
def _word_columns(value: str) -> tuple[int, ...]:
    return tuple(_COLUMN[f"word_{word}"] for word in sorted(class_words(value)))


def class_words(value: str) -> set[str]:
    """The ``WORDS`` a class or id attribute value holds (``"site-footer navbar"`` -> footer, nav)."""
    found = set()
    for token in _TOKEN.split(value.lower()):
        if not token:
            continue
        for word in WORDS:
            if (word in token) if len(word) > 2 else token in (word, word + "s"):
                found.add(word)
    return found


class _Walk:
    """The page's text without blank space, and for each character the row of what encloses it."""

    def __init__(self, root, etree):
        self.rows: list[np.ndarray] = []   # one per enclosing context (an element and its ancestors)
        self.pieces: list[str] = []
        self.owners: list[int] = []        # the context of each piece
        self._walk(root, etree)
        self.text = "".join(self.pieces)
        lengths = np.fromiter((len(p) for p in self.pieces), dtype=np.int64, count=len(self.pieces))
        self.char_rows = np.repeat(np.asarray(self.owners, dtype=np.int64), lengths)
        self.matrix = np.vstack(self.rows) if self.rows else np.zeros((0, len(FEATURES)), np.float32)

    def _context(self, element, parent: np.ndarray | None, depth: int) -> np.ndarray:
        row = np.zeros(len(FEATURES), np.float32) if parent is None else parent.copy()
        tag = element.tag.lower()
        row[_FOUND] = 1.0
        row[_DEPTH] = depth / DEPTH_SCALE
        if tag == "a" and element.get("href") is not None:
            row[_LINK] = 1.0
        if tag in MAIN_TAGS or (element.get("role") or "").lower() in MAIN_ROLES:
            row[_MAIN] = 1.0
        column = _COLUMN.get(f"tag_{'heading' if tag in HEADINGS else tag}")
        if column is not None:
            row[column] = 1.0
        attributes = element.get("class"), element.get("id")
        if any(attributes):
            row[list(_word_columns(f"{attributes[0] or ''} {attributes[1] or ''}"))] = 1.0
        self.rows.append(row)
        return row

    def _add(self, text: str | None, context: int) -> None:
        if text:
            squeezed = _BLANK.sub("", text)
            if squeezed:
                self.pieces.append(squeezed)
                self.owners.append(context)

    def _walk(self, root, etree) -> None:
        stack: list[int] = []  # context index of each open element
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, element in walker:
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions (their tails are lost with them; rare)
            if event == "start":
                if element.tag.lower() in SKIP_TAGS:  # its end event still comes, and adds its tail
                    walker.skip_subtree()
                    stack.append(stack[-1])
                    continue
                parent = self.rows[stack[-1]] if stack else None
                self._context(element, parent, len(stack))
                stack.append(len(self.rows) - 1)
                self._add(element.text, stack[-1])
            else:
                stack.pop()
                if stack and element is not root:
                    self._add(element.tail, stack[-1])


def parse(html: str):
    """The page's lxml tree (None for a page without markup lxml can read)."""
    lxml_html, etree = _lxml()
    if not html or not html.strip():
        return None
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        return lxml_html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None


def markup_features(html: str, lines: Sequence[str]) -> np.ndarray:
    """One row of ``FEATURES`` per line of the page's rendering (float32, ``len(lines) x len(FEATURES)``)."""
    out = np.zeros((len(lines), len(FEATURES)), np.float32)
    root = parse(html)
    if root is None:
        return out
    _, etree = _lxml()
    walk = _Walk(root, etree)
    cursor = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        unmarked = _LIST_MARKER.sub("", line)
        for parts in ([line], [unmarked], _COLUMNS.split(unmarked.strip())):
            spans, cursor_after = _find(walk.text, parts, cursor)
            if spans:
                break
        if not spans:
            continue
        cursor = cursor_after
        rows = np.concatenate([walk.char_rows[start:end] for start, end in spans])
        out[i] = walk.matrix[rows].mean(axis=0)
    return out


def document_markup(doc, content: Sequence[int], model_name: str = "") -> np.ndarray:
    """The markup rows (``content`` x ``FEATURES``) of a document's lines ``content`` (its non-blank ones).

    From ``doc.markup`` when precomputed, else from the page ``doc.html``; a document
    without either (plain text) is an error naming the fix."""
    rows = doc.markup
    if rows is None:
        if doc.html is None:
            raise NoiseCutError(PLAIN_TEXT.format(what=doc.id or "input", model=f"{model_name} " if model_name else ""))
        rows = markup_features(doc.html, doc.lines)
    rows = np.asarray(rows, dtype=np.float32)
    if rows.shape != (len(doc.lines), len(FEATURES)):
        raise ValueError(f"{doc.id or 'document'}: {rows.shape} markup rows for {len(doc.lines)} lines of {len(FEATURES)} features")
    return rows[np.asarray(content, dtype=np.int64)]


PLAIN_TEXT = ("{what}: the model {model}reads HTML markup and this input is plain text; "
              "give it the HTML page, or clean text with the default model (-m default)")


def _find(text: str, parts: Sequence[str], cursor: int) -> tuple[list[tuple[int, int]], int]:
    """Where the non-blank characters of each of ``parts`` are in ``text``: from ``cursor`` on, else anywhere.

    All parts must be found (else no spans); returns the spans and the cursor after the last in-order one."""
    spans = []
    for part in parts:
        key = _BLANK.sub("", part)
        if not key:
            continue
        start = text.find(key, cursor)
        if start >= 0:
            cursor = start + len(key)
        else:
            start = text.find(key)  # out of order (a renderer moved it): anywhere
            if start < 0:
                return [], cursor
        spans.append((start, start + len(key)))
    return spans, cursor
