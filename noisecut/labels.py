"""The label set: body, headings inside the body, and the kinds of noise.

Definitions and examples live in ``labeled/GUIDE.md``; this module is the one
place the names are spelled.
"""
from __future__ import annotations

import enum


class Label(str, enum.Enum):
    BODY = "body"            # paragraphs of the main text, list items and quotes inside it
    HEADING = "heading"      # a section heading inside the main text
    TITLE = "title"          # the document's headline (and its repeats)
    META = "meta"            # bylines, datelines, timestamps, section labels, captions
    NAV = "nav"              # menus, breadcrumbs, pagination, "skip to content"
    SHARE = "share"          # share/social widgets, embedded posts and their attributions
    AD = "ad"                # ads, sponsored content, promos, "Advertisement"
    RELATED = "related"      # related/recent/popular story lists, teasers, sidebars
    COMMENTS = "comments"    # user comments, comment counters and forms
    LEGAL = "legal"          # copyright, cookie, privacy, subscribe/newsletter notices
    UNRELATED = "unrelated"  # a well-formed item that belongs to another story
    NOISE = "noise"          # boilerplate of unknown kind (corpora that only say "not body")

    def __str__(self) -> str:
        return self.value


LABELS: tuple[Label, ...] = tuple(Label)
KEEP_DEFAULT: frozenset[Label] = frozenset({Label.BODY, Label.HEADING})


def parse_label(name: str) -> Label:
    """``"body"`` -> ``Label.BODY``; raises ValueError naming the valid labels."""
    try:
        return Label(name.strip().lower())
    except ValueError:
        valid = ", ".join(label.value for label in LABELS)
        raise ValueError(f"unknown label {name!r} (valid: {valid})") from None
