"""Markdown as the model reads it: a link as its text, no heading, bold or escape marks.

Crawlers that feed RAG pipelines hand pages on as Markdown (html2text,
crawl4ai, Firecrawl, Jina Reader, MarkItDown). The model learned from plain
renderings, where a link is only its words; read raw, a body paragraph with
two links looks like a line of URLs and is dropped. The features read this
plain view of a Markdown document; what comes out is each line as it came in.

A document counts as Markdown when ``MARKDOWN_LINK_LINES`` of its lines hold
a ``[text](target)`` link; any other document is read as it is, so a
``# 6:`` comment counter or a ``____`` rule in plain text keeps its marks.
"""
from __future__ import annotations

import re
from typing import Sequence

MARKDOWN_LINK_LINES = 2  # lines with a Markdown link that make a document Markdown

_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")    # [text](target) and ![alt](target) -> text, alt
_HEADING = re.compile(r"^\s*#{1,6}\s+")                # "## Title" -> "Title"; "#1" and "#tag" stay
_BOLD = re.compile(r"(\*\*|__)(?=[^\s*_])(.+?)(?<=[^\s*_])\1")  # **text**, __text__ -> text
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")  # html2text's "1\." -> "1."


def is_markdown(lines: Sequence[str]) -> bool:
    """Whether at least ``MARKDOWN_LINK_LINES`` of ``lines`` hold a Markdown link."""
    found = 0
    for line in lines:
        if "](" in line and _LINK.search(line):
            found += 1
            if found >= MARKDOWN_LINK_LINES:
                return True
    return False


def plain_view(line: str) -> str:
    """``line`` without Markdown's link targets and marks; a line that would be left
    blank (an image alone) stays as it is."""
    view = _ESCAPE.sub(r"\1", _BOLD.sub(r"\2", _HEADING.sub("", _LINK.sub(r"\1", line))))
    return view if view.strip() else line


def plain_lines(lines: Sequence[str]) -> Sequence[str]:
    """A document's lines as the features read them: the plain view of each line of a
    Markdown document, any other document's lines unchanged."""
    return [plain_view(line) for line in lines] if is_markdown(lines) else lines
