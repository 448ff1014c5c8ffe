"""Markdown and text browsers' dumps as the model reads them: a link as its text, no heading, bold,
escape marks or link numbers.

Crawlers that feed RAG pipelines hand pages on as Markdown (html2text,
crawl4ai, Firecrawl, Jina Reader, MarkItDown). The model learned from plain
renderings, where a link is only its words; read raw, a body paragraph with
two links looks like a line of URLs and is dropped. The features read this
plain view of a Markdown document; what comes out is each line as it came in.

A document counts as Markdown when ``MARKDOWN_LINK_LINES`` of its lines hold
a ``[text](target)`` link; any other document is read as it is, so a
``# 6:`` comment counter or a ``____`` rule in plain text keeps its marks.

A text browser's dump as it comes (``lynx -dump`` without ``-nolist``) numbers
every link ("[12]Home"): numbers the model never saw, glued to the words it
knows. In a document where ``LINK_NUMBER_LINES`` lines hold one, the
features read each line without them.
"""
from __future__ import annotations

import re
from typing import Sequence

MARKDOWN_LINK_LINES = 2  # lines with a Markdown link that make a document Markdown

# Linear-time patterns (each repeat starts with a character the one before cannot match): a long line is one pass.
_TEXT = r"([^\[\]\n]*(?:\[[^\[\]\n]*\][^\[\]\n]*)*)"  # link text, one level of [brackets]: "[[1]](#cite)"
_TARGET = r"\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\)"       # (target), one level of (parentheses): "(/wiki/Foo_(bar))"
_IMAGE = re.compile(r"(?<!\\)!\[" + _TEXT + r"\]" + _TARGET)  # ![alt](src) -> alt, first: "[![Logo](src)](url)"
_LINK = re.compile(r"(?<!\\)\[" + _TEXT + r"\]" + _TARGET)    # [text](target) -> text
_HEADING = re.compile(r"^\s*#{1,6}\s+")                # "## Title" -> "Title"; "#1" and "#tag" stay
_BOLD = re.compile(r"\*\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*\*|(?<!\w)__(?=[^\s_])([^_\n]+?)(?<=[^\s_])__(?!\w)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")   # html2text's "1\." -> "1."
# A text browser's dump (lynx -dump) numbers every link, glued to its text: "[12]Home"
_LINK_NUMBER = re.compile(r"\[\d{1,5}\](?=\S)")
LINK_NUMBER_LINES = 5  # lines with a link number that make a document a text browser's dump


def is_markdown(lines: Sequence[str]) -> bool:
    """Whether at least ``MARKDOWN_LINK_LINES`` of ``lines`` hold a Markdown link."""
    return _at_least(MARKDOWN_LINK_LINES, lines, "](", _LINK)


def numbers_links(lines: Sequence[str]) -> bool:
    """Whether at least ``LINK_NUMBER_LINES`` of ``lines`` hold a text browser's link number ("[12]Home")."""
    return _at_least(LINK_NUMBER_LINES, lines, "]", _LINK_NUMBER)


def _at_least(count: int, lines: Sequence[str], mark: str, pattern: re.Pattern) -> bool:
    """Whether ``pattern`` is found on ``count`` of ``lines`` (searched only on lines holding ``mark``)."""
    found = 0
    for line in lines:
        if mark in line and pattern.search(line):
            found += 1
            if found >= count:
                return True
    return False


def plain_view(line: str) -> str:
    """``line`` without Markdown's link targets and marks; a line that would be left
    blank (an image without alt text) stays as it is."""
    view = line  # each pattern runs only where its mark is (most lines have one kind at most)
    if "](" in view:
        view = _LINK.sub(r"\1", _IMAGE.sub(r"\1", view) if "![" in view else view)
    if "#" in view:
        view = _HEADING.sub("", view)
    if "**" in view or "__" in view:
        view = _BOLD.sub(lambda bold: bold.group(1) or bold.group(2), view)
    if "\\" in view:
        view = _ESCAPE.sub(r"\1", view)
    return view if view.strip() else line


def plain_lines(lines: Sequence[str]) -> Sequence[str]:
    """A document's lines as the features read them: the plain view of each line of a
    Markdown document, each line of a text browser's dump without its link numbers, any
    other document's lines unchanged."""
    if is_markdown(lines):
        return [plain_view(line) for line in lines]
    if numbers_links(lines):
        return [_LINK_NUMBER.sub("", line) for line in lines]
    return lines
