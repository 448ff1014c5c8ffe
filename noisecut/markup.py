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
``found`` 0. Two columns look at the page as a whole: how many of its found
lines start in a block of the same kind as the line's, and what share of the
page's found text those lines hold. A line's block is the nearest element
around its first character whose tag is not in ``INLINE_TAGS``; its kind is
the tag and the runs of ASCII letters in the class attribute (so digits
split and drop out) of the block and of its two ancestors. Needs lxml
(``noisecut[html]``).

A model that reads these (``Model.reads_markup``) gets them beside the text
features of each non-blank line (``document_markup``): computed from the
page a document was rendered from (``Document.html``), or read precomputed
(``Document.markup``: the training corpus, ``training/build_markup.py``).
``MARKUP_VERSION`` changes whenever a row would come out differently.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
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
# what encloses each character, averaged over a line's characters (``_Walk``)
ELEMENT_FEATURES = ("found", "link_density", "depth", "in_main", *(f"tag_{t}" for t in TAGS),
                    *(f"word_{w}" for w in WORDS))
# how many of the page's lines sit in a block of the line's kind, and their share of its text (``_repeats``)
FEATURES = (*ELEMENT_FEATURES, "repeat_lines", "repeat_share")
MARKUP_VERSION = 2
DEPTH_SCALE = 32.0  # depth is given as depth / DEPTH_SCALE (most text sits 5-25 elements deep)
REPEAT_SCALE = 6.0  # repeat_lines is log2(lines of the kind) / REPEAT_SCALE, at most 1 (64 lines)
# climbed to find a line's block: the element whose kind is compared. ``del``, ``ins`` and ``tt`` are left out on
# purpose: the rows ``models/html`` was trained on treat them as blocks, and a change to this list changes rows,
# so it needs a new MARKUP_VERSION
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "big", "br", "cite", "code", "em", "font", "i", "img", "kbd", "label", "mark", "q",
    "s", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
})

_BLANK = re.compile(r"\s+")
_LIST_MARKER = re.compile(r"^\s*(?:[*+o\u2022-]|\d+\.|[a-z]\.)\s+")  # bullets and numbers inscriptis writes
_COLUMNS = re.compile(r"\s{2,}")  # inscriptis lays table cells side by side
_TOKEN = re.compile(r"[^0-9a-z]+")
_NOT_LETTERS = re.compile(r"[^a-z]+")  # splits a class value into its kind's words: card-3 and card-4 are one kind
# every WORD of three letters or more inside a lowercased class/id value, overlapping ones too (none is a prefix
# of another, so each start matches at most one); these are letters only, so a match never crosses a token
_LONG_WORDS = re.compile("(?=(" + "|".join(re.escape(w) for w in WORDS if len(w) > 2) + "))")
_SHORT_WORDS = tuple(w for w in WORDS if len(w) <= 2)


def _etree():
    try:
        from lxml import etree
    except ImportError:
        raise NoiseCutError("markup features need lxml: pip install 'noisecut[html]'") from None
    return etree


_COLUMN = {name: i for i, name in enumerate(FEATURES)}
_FOUND, _DEPTH, _LINK, _MAIN = (_COLUMN[name] for name in ("found", "depth", "link_density", "in_main"))
_REPEAT_LINES, _REPEAT_SHARE = _COLUMN["repeat_lines"], _COLUMN["repeat_share"]


def class_words(value: str) -> set[str]:
    """The ``WORDS`` a class or id attribute value holds (``"site-footer navbar"`` -> footer, nav)."""
    value = value.lower()
    found = set(_LONG_WORDS.findall(value))
    for word in _SHORT_WORDS:
        if word in value:
            found.update(word for token in _TOKEN.split(value) if token in (word, word + "s"))
    return found


@lru_cache(maxsize=4096)  # pages repeat their tags and class names on every item of a list
def _own_columns(tag: str, link: bool, role: str, attributes: str) -> tuple[int, ...]:
    """The columns an element sets for its own text and everything inside it (depth and ``found`` aside)."""
    columns = [_LINK] if tag == "a" and link else []
    if tag in MAIN_TAGS or role in MAIN_ROLES:
        columns.append(_MAIN)
    column = _COLUMN.get(f"tag_{'heading' if tag in HEADINGS else tag}")
    if column is not None:
        columns.append(column)
    return (*columns, *(_COLUMN[f"word_{word}"] for word in sorted(class_words(attributes))))


@lru_cache(maxsize=4096)
def _element_kind(tag: str, classes: str) -> str:
    """An element's kind: its tag and the runs of ASCII letters in its class attribute, sorted and deduplicated
    (``li card item`` for ``<li class="item card-3">``)."""
    return " ".join((tag, *sorted(set(_NOT_LETTERS.split(classes.lower())) - {""})))


class _Walk:
    """The page's text without blank space, and for each of its pieces the row of what encloses it."""

    def __init__(self, root, etree):
        self.parents: list[int] = []       # per enclosing context (an element): its parent's index, -1 for the root
        self.depths: list[int] = []
        self.own: list[tuple[int, ...]] = []  # the columns the element itself sets
        self.tag_classes: list[tuple[str, str]] = []  # the element's tag and class attribute (``_element_kind``)
        self.blocks: list[int] = []        # the nearest enclosing element not in INLINE_TAGS: itself, or a root
        self.pieces: list[str] = []        # the text in page order, a piece per element text or tail
        self.owners: list[int] = []        # the context of each piece
        self._walk(root, etree)
        # blank space out of every piece in one pass, empty ones dropped; a piece never holds NUL (libxml2 reads a
        # raw NUL or &#0; as U+FFFD), so NUL keeps the pieces apart
        squeezed = _BLANK.sub("", "\0".join(self.pieces)).split("\0") if self.pieces else []
        assert len(squeezed) == len(self.owners), "a NUL inside the page's text"
        kept = [i for i, piece in enumerate(squeezed) if piece]
        self.pieces, self.owners = [squeezed[i] for i in kept], [self.owners[i] for i in kept]
        self.text = "".join(self.pieces)
        self.matrix = self._rows()
        lengths = np.fromiter((len(p) for p in self.pieces), dtype=np.int64, count=len(self.pieces))
        self.piece_ends = np.cumsum(lengths)
        self.piece_rows = self.matrix[np.asarray(self.owners, dtype=np.int64)].astype(np.float64)
        # sum over the characters of pieces 0..k-1 of their rows: a span's sum is a difference plus its two ends
        self.piece_sums = np.vstack([np.zeros((1, len(ELEMENT_FEATURES))),
                                     np.cumsum(self.piece_rows * lengths[:, None], axis=0)])

    def _rows(self) -> np.ndarray:
        """Each context's row: its own columns and those of every element around it, its depth."""
        n = len(self.parents)
        rows = np.zeros((n, len(ELEMENT_FEATURES)), np.float32)
        if not n:
            return rows
        counts = np.fromiter(map(len, self.own), dtype=np.int64, count=n)
        rows[np.repeat(np.arange(n), counts), np.fromiter((c for cs in self.own for c in cs), dtype=np.int64,
                                                          count=int(counts.sum()))] = 1.0
        parents, depths = np.asarray(self.parents, dtype=np.int64), np.asarray(self.depths, dtype=np.int64)
        for depth in range(1, int(depths.max()) + 1):  # parents sit one level up, done the round before
            at = np.flatnonzero(depths == depth)
            rows[at] = np.maximum(rows[at], rows[parents[at]])
        rows[:, _FOUND] = 1.0
        rows[:, _DEPTH] = depths / DEPTH_SCALE
        return rows

    def mean(self, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """The mean row over the characters of ``spans`` (start, end in ``text``)."""
        total, size = np.zeros(len(ELEMENT_FEATURES)), 0
        for start, end in spans:
            first, last = np.searchsorted(self.piece_ends, [start, end - 1], side="right")
            if first == last:
                total += self.piece_rows[first] * (end - start)
            else:
                total += (self.piece_rows[first] * (self.piece_ends[first] - start)
                          + self.piece_sums[last] - self.piece_sums[first + 1]
                          + self.piece_rows[last] * (end - self.piece_ends[last - 1]))
            size += end - start
        return total / size

    def signature_at(self, position: int) -> tuple[str, ...]:
        """The kinds of the block around the character at ``position`` in ``text`` and of its two ancestors: lines
        whose blocks have one signature are counted together."""
        context = self.blocks[self.owners[int(np.searchsorted(self.piece_ends, position, side="right"))]]
        kinds = []
        while context >= 0 and len(kinds) < 3:
            kinds.append(_element_kind(*self.tag_classes[context]))
            context = self.parents[context]
        return tuple(kinds)

    def _add(self, text: str | None, context: int) -> None:
        if text:
            self.pieces.append(text)
            self.owners.append(context)

    def _walk(self, root, etree) -> None:
        stack: list[int] = []  # context index of each open element
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, element in walker:
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions (their tails are lost with them; rare)
            if event == "start":
                tag = element.tag.lower()
                if tag in SKIP_TAGS:  # its end event still comes, and adds its tail
                    walker.skip_subtree()
                    stack.append(stack[-1])
                    continue
                get = element.get
                classes = get("class") or ""
                self.own.append(_own_columns(tag, get("href") is not None, (get("role") or "").lower(),
                                             f"{classes} {get('id') or ''}"))
                parent, context = stack[-1] if stack else -1, len(self.parents)
                self.tag_classes.append((tag, classes))
                self.blocks.append(self.blocks[parent] if tag in INLINE_TAGS and parent >= 0 else context)
                self.parents.append(parent)
                self.depths.append(len(stack))
                stack.append(context)
                self._add(element.text, stack[-1])
            else:
                stack.pop()
                if stack and element is not root:
                    self._add(element.tail, stack[-1])


def parse(html: str):
    """The page's lxml tree (None for a page without markup lxml can read)."""
    etree = _etree()
    if not html or not html.strip():
        return None
    # lxml.etree's own parser: lxml.html's builds the same tree but calls back into Python for every element
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        return etree.fromstring(html.encode("utf-8", "replace"), parser=parser)  # None for an empty document
    except (etree.ParserError, ValueError):
        return None


def markup_features(html: str, lines: Sequence[str]) -> np.ndarray:
    """One row of ``FEATURES`` per line of the page's rendering (float32, ``len(lines) x len(FEATURES)``)."""
    out = np.zeros((len(lines), len(FEATURES)), np.float32)
    root = parse(html)
    if root is None:
        return out
    etree = _etree()
    walk = _Walk(root, etree)
    cursor = 0
    found = []  # (line, its first character in walk.text, its characters found)
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
        out[i, :len(ELEMENT_FEATURES)] = walk.mean(spans)
        found.append((i, spans[0][0], sum(end - start for start, end in spans)))
    _repeats(walk, found, out)
    return out


def _repeats(walk: _Walk, found: list[tuple[int, int, int]], out: np.ndarray) -> None:
    """Fill ``repeat_lines`` and ``repeat_share`` of the found lines: a list of teasers, cards or links is many
    lines of one kind holding little of the page's text, an article's paragraphs a few kinds holding most of it."""
    if not found:
        return
    signatures = [walk.signature_at(first) for _, first, _ in found]
    lines_of, chars_of = Counter(signatures), Counter()
    for signature, (_, _, chars) in zip(signatures, found):
        chars_of[signature] += chars
    total = sum(chars_of.values())
    for signature, (i, _, _) in zip(signatures, found):
        out[i, _REPEAT_LINES] = min(1.0, np.log2(lines_of[signature]) / REPEAT_SCALE)
        out[i, _REPEAT_SHARE] = chars_of[signature] / total


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


ROWS_SUFFIX = f".markup.v{MARKUP_VERSION}.npy"  # the version in the name: rows of another version are never read


def rows_path(lines_path) -> Path:
    """Where the markup rows of a labeled ``NAME.lines`` file (a rendered page) sit: beside it."""
    lines_path = Path(lines_path)
    return lines_path.with_name(lines_path.name.removesuffix(".lines") + ROWS_SUFFIX)


def write_rows(lines_path, html: str, lines: Sequence[str]) -> np.ndarray:
    """The page's markup rows for the lines of its labeled file, written beside it (``rows_path``)."""
    from .io.files import atomic_open  # not at the top: noisecut.io imports the model, which imports this module

    rows = markup_features(html, lines).astype(np.float32)
    with atomic_open(rows_path(lines_path)) as f:
        np.save(f, rows, allow_pickle=False)
    return rows


def read_rows(lines_path, n_lines: int) -> np.ndarray | None:
    """The markup rows beside a labeled file of ``n_lines`` lines; None when there are none (text, not a page)."""
    path = rows_path(lines_path)
    if not path.exists():
        return None
    rows = np.load(path, allow_pickle=False)
    if rows.shape != (n_lines, len(FEATURES)):
        raise NoiseCutError(f"{path}: {rows.shape} markup rows for {n_lines} lines of {len(FEATURES)} features; "
                            "write them again (noisecut import-gold, or python -m training.build_markup --force)")
    return rows


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
