"""Text broken inside its paragraphs read as paragraphs: the model decides once per paragraph, not per piece.

The model learned lines that are whole paragraphs. Two kinds of text break them:

- Hard-wrapped text. Text dumps of web pages (``w3m -dump``, ``lynx -dump``, html2text's default
  Markdown, mail archives) break every paragraph at a fixed column; read line by line, a wrapped
  paragraph is a run of fragments that look like nothing it has seen. A document counts as
  hard-wrapped when many of its lines that have spaces (that a wrapper could break) end just short
  of one column, at different widths, and few go past it; then a line continues the one before it
  when the two are adjacent, it does not start like a list item, and its first word would not have
  fitted on the line before (the wrapper broke there because it had to). See ``paragraph_of``.
- Text split at inline tags. BeautifulSoup's ``get_text("\\n")`` ends a line at every tag, so a
  link or a bold word inside a sentence stands on a line of its own, and the sentence goes on on
  the next line with a comma or a full stop. See ``fragments_of``.

The model reads each paragraph as one line; every line of it gets the paragraph's verdict, and the
lines come out as they came in.
"""
from __future__ import annotations

import re
from itertools import repeat
from typing import Sequence

import numpy as np

WRAPPED_SHARE = 0.3   # of a document's lines at least half the column wide, this share must end near it
WRAPPED_LINES = 4     # and at least this many
NEAR = 12             # columns short of the column that still count as "near" it
MIN_COLUMN = 60       # narrower "columns" are lists of short lines (a blogroll), not wrapped text
MAX_COLUMN = 250      # wider lines are past any column a text is wrapped at
DISTINCT_ENDS = 3     # wrapped lines end at this many different widths near the column at least
EDGE = 0.5            # breakable lines past the column, at most this share of those near it
# East Asian wide and full-width characters (Unicode's W and F, nearly): CJK, kana, Hangul, full-width forms, emoji
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                   "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00016fe0-\U00018cff"
                   "\U0001b000-\U0001b2ff\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd]")
_BULLET = re.compile(r"\s*(?:[-*+•·◦▪‣–]|\d{1,3}[.)]|[a-zA-Z][.)]|\[\d+\])\s")


def width(line: str) -> int:
    """Columns ``line`` takes in a terminal (wide East Asian characters take two), past
    ``MAX_COLUMN`` roughly (a line that long is past any column: its wide characters are not counted)."""
    if line.isascii() or len(line) > MAX_COLUMN:
        return len(line)
    return len(line) + len(_WIDE.findall(line))


def paragraph_of(content: Sequence[int], lines: Sequence[str]) -> np.ndarray | None:
    """The paragraph of each of a document's non-blank ``lines`` (at line numbers ``content``), numbered
    from 0; None when the document is not hard-wrapped (each line is its own paragraph)."""
    n = len(lines)
    if n < WRAPPED_LINES:
        return None
    # (map over str methods: this runs on every document, wrapped or not)
    trimmed = list(map(str.rstrip, lines))
    widths = np.fromiter(map(len, trimmed), dtype=np.int64, count=n)
    # only lines a wrapper could break tell the column: a URL or a row of dashes is as wide as it is
    breakable = np.fromiter(map(str.count, map(str.strip, trimmed), repeat(" ")), dtype=np.int64, count=n) >= 2
    wide = np.zeros(n, dtype=bool)  # lines with wide characters: breakable anywhere
    for i in np.flatnonzero(~np.fromiter(map(str.isascii, trimmed), dtype=bool, count=n)):
        if _WIDE.search(trimmed[i]):  # most non-ASCII lines (curly quotes, accents) have no wide character
            widths[i] = width(trimmed[i])
            wide[i] = True
    breakable |= wide
    column, near, over = _column(widths[breakable])
    if near < max(WRAPPED_LINES, WRAPPED_SHARE * np.count_nonzero(widths >= column // 2)) or over > EDGE * near:
        return None
    # words fill a column to different ends; one line repeated, or table rows, end at one (text in a script
    # without spaces fills it exactly: its lines are left out of this)
    ends = widths[breakable & ~wide & (widths <= column) & (widths >= column - NEAR)]
    if len(ends) >= max(WRAPPED_LINES, near / 2) and len(np.unique(ends)) < DISTINCT_ENDS:
        return None
    adjacent = _adjacent(content)
    continues = np.zeros(n, dtype=bool)
    for i in range(1, n):
        line = lines[i]
        if not adjacent[i - 1] or _BULLET.match(line):  # a blank line or a list item: a new paragraph
            continue
        if not breakable[i - 1] or widths[i - 1] > column or _indent(line) < _indent(lines[i - 1]) - 4:
            continue  # the line before was not wrapped here, or this one starts further out: something new
        word = line.split(None, 1)[0]
        continues[i] = widths[i - 1] + 1 + width(word) > column  # the word had no room: a wrap, not a break
    return _numbered(continues)


# a line that starts with one of these continues the sentence of the line before it (renderers that end a
# line at every tag, BeautifulSoup's get_text("\n") among them, split "the <a>report</a>, he said" in three)
_CLOSING = frozenset(",.;:!?)]}”’")
_OPENING = frozenset("([{“‘")  # ... and a line that ends with one of these is glued to the next without a space
FRAGMENT_LINES = 3      # a document split at inline tags has at least this many lines starting with _CLOSING
FRAGMENT_SHARE = 0.01   # and at least this share of its lines
INLINE_WIDTH = 80       # an inline element (a link, a bold phrase) on a line of its own is at most this long
_SENTENCE_END = frozenset(".!?:")  # a colon ends what comes before a list: its items start anew


def fragments_of(content: Sequence[int], lines: Sequence[str]) -> np.ndarray | None:
    """The paragraph of each line, numbered from 0, for a document split at inline tags (at least
    ``FRAGMENT_LINES`` and ``FRAGMENT_SHARE`` of its lines start with closing punctuation); None for
    any other document. A line continues the one before it when no blank line parts them and it
    starts with closing punctuation or, after a line that ends no sentence, it starts with a lowercase
    word, follows a piece that ends in a comma (", or"), or is short and the next line starts with
    closing punctuation (a link between two pieces of its sentence)."""
    n = len(lines)
    first = [line.lstrip()[:1] for line in lines]
    closing = np.fromiter((c in _CLOSING for c in first), dtype=bool, count=n)
    if closing.sum() < max(FRAGMENT_LINES, FRAGMENT_SHARE * n):
        return None
    last = [line.rstrip()[-1:] for line in lines]
    adjacent = _adjacent(content)
    continues = np.zeros(n, dtype=bool)
    for i in range(1, n):
        if not adjacent[i - 1]:
            continue
        if closing[i]:
            continues[i] = True
        elif last[i - 1] not in _SENTENCE_END:
            after_comma = closing[i - 1] and (last[i - 1] in ",;" or last[i - 1].islower())
            inline = i + 1 < n and closing[i + 1] and adjacent[i] and len(lines[i].strip()) <= INLINE_WIDTH
            continues[i] = first[i].islower() or after_comma or inline
    return _numbered(continues)


def paragraphs_of(content: Sequence[int], lines: Sequence[str]) -> np.ndarray | None:
    """The paragraph of each line when a renderer broke paragraphs into lines (hard-wrapped, or split at
    inline tags), else None."""
    paragraph = paragraph_of(content, lines)
    return paragraph if paragraph is not None else fragments_of(content, lines)


def _column(widths: np.ndarray) -> tuple[int, int, int]:
    """The column breakable lines of these ``widths`` look wrapped at: many end just short of it, few
    go past it. With how many end near it (within ``NEAR``) and how many past it."""
    if not len(widths) or widths.max() < MIN_COLUMN:
        return MIN_COLUMN, 0, 0
    widths = np.minimum(widths, MAX_COLUMN + 1)  # a line of 50 MB is one more line past every column
    ends = np.cumsum(np.bincount(widths, minlength=widths.max() + 1))
    columns = np.arange(MIN_COLUMN, min(widths.max(), MAX_COLUMN) + 1)
    near = ends[columns] - ends[columns - NEAR - 1]
    over = len(widths) - ends[columns]
    best = int(np.argmax(near - 2 * over))
    return int(columns[best]), int(near[best]), int(over[best])


def joined(lines: Sequence[str], paragraph: np.ndarray) -> list[str]:
    """Each paragraph's lines as one line (``paragraph``: ``paragraphs_of``'s numbers)."""
    texts: list[str] = []
    for i, line in enumerate(lines):
        line = line.strip()
        if i == 0 or paragraph[i] != paragraph[i - 1]:
            texts.append(line)
        else:  # text in a script without spaces, or before closing punctuation: glue it back without a space
            previous = texts[-1]
            glue = (_wide(previous[-1:]) and _wide(line[:1])) or line[:1] in _CLOSING or previous[-1:] in _OPENING
            texts[-1] = previous + ("" if glue else " ") + line
    return texts


def _adjacent(content: Sequence[int]) -> np.ndarray:
    """``[i - 1]``: no blank line between non-blank lines ``i - 1`` and ``i`` (at line numbers ``content``)."""
    return np.diff(np.asarray(content)) == 1


def _numbered(continues: np.ndarray) -> np.ndarray | None:
    """Paragraph numbers from 0, a new one at each line that does not continue the one before; None
    when every line is a paragraph of its own."""
    return np.cumsum(~continues) - 1 if continues.any() else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _wide(character: str) -> bool:
    return bool(_WIDE.match(character))
