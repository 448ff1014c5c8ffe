"""Baselines the evaluation compares noisecut against.

Plain-text baselines take the scraped text (one paragraph per line) and return
the text they keep; HTML baselines take the page's HTML. All return ``""``
rather than raise on odd input (empty text, garbage HTML), so a benchmark run
never dies on one document. Training-only: imports jusText and trafilatura.
"""
from __future__ import annotations

import html as html_lib
import logging
import re
from typing import Callable

import justext
import trafilatura

from noisecut.document import Document

log = logging.getLogger(__name__)

# ISO 639-1 code -> jusText stoplist name. Languages without one (zh, ja, th,
# ...) run in jusText's language-independent mode (see _justext_paragraphs).
STOPLIST_BY_LANG: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
    "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ka": "Georgian",
    "kk": "Kazakh", "kn": "Kannada", "ko": "Korean", "ky": "Kyrgyz", "la": "Latin",
    "lb": "Luxembourgish", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ml": "Malayalam", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "nb": "Norwegian_Bokmal", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian_Nynorsk",
    "no": "Norwegian_Bokmal", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese",
}

# Characters lxml cannot take: C0 controls other than tab/newline/CR, and lone
# surrogates (invalid bytes decoded with surrogateescape).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _stoplist(lang: str) -> frozenset[str]:
    """jusText stoplist for an ISO code ("en", "pt-BR") or stoplist name; empty if none."""
    code = (lang or "").strip()
    name = STOPLIST_BY_LANG.get(code.lower().replace("_", "-").split("-")[0])
    if name is None and code in justext.get_stoplists():
        name = code
    return justext.get_stoplist(name) if name else frozenset()


def _justext_paragraphs(html: str, lang: str) -> list[str]:
    stoplist = _stoplist(lang)
    # jusText's documented language-independent mode: empty stoplist and both
    # stopword thresholds at 0 (what its CLI does for an empty stoplist).
    kwargs = {} if stoplist else {"stopwords_low": 0, "stopwords_high": 0}
    paragraphs = justext.justext(html, stoplist, **kwargs)
    return [p.text for p in paragraphs if not p.is_boilerplate]


def no_cleaning(text: str) -> str:
    """The input unchanged: the floor every cleaner should beat on precision."""
    return text or ""


def justext_text(text: str, lang: str = "en") -> str:
    """jusText on plain text: every non-blank line becomes one ``<p>``."""
    try:
        lines = [line.strip() for line in Document.from_text(_XML_INVALID.sub("", text or "")).lines]
        body = "".join(f"<p>{html_lib.escape(line)}</p>\n" for line in lines if line)
        if not body:
            return ""
        page = f"<html><head><meta charset=\"utf-8\"></head><body>\n{body}</body></html>"
        return "\n".join(_justext_paragraphs(page, lang))
    except Exception as exc:  # a baseline must not abort a benchmark run
        log.debug("justext_text failed: %r", exc)
        return ""


def justext_html(html: str, lang: str = "en") -> str:
    """jusText on the page's HTML (its defaults), good paragraphs joined by newlines."""
    try:
        html = _XML_INVALID.sub("", html or "")
        if not html.strip():
            return ""
        return "\n".join(_justext_paragraphs(html, lang))
    except Exception as exc:
        log.debug("justext_html failed: %r", exc)
        return ""


def trafilatura_html(html: str) -> str:
    """trafilatura's main text (defaults, without comments, with tables) as plain text."""
    try:
        html = _XML_INVALID.sub("", html or "")
        if not html.strip():
            return ""
        out = trafilatura.extract(
            html, include_comments=False, include_tables=True, output_format="txt"
        )
        return out or ""
    except Exception as exc:
        log.debug("trafilatura_html failed: %r", exc)
        return ""


# C4 line rules, line-level part only. Source: Raffel et al. 2020 (T5 paper,
# JMLR 21(140), sec. 2.2 "Colossal Clean Crawled Corpus") as implemented in
# TFDS c4_utils and in datatrove's C4QualityFilter (defaults):
#   - remove_citations: strip "[1]", "[edit]", "[citation needed]"
#   - filter_no_terminal_punct: keep only lines ending in . ? ! " ' (datatrove
#     adds the single quote to the paper's list), but not in "..."
#   - min_words_per_line = 3 (whitespace-separated words)
#   - max_word_length = 1000: drop lines with a longer word
#   - filter_javascript: drop lines mentioning "javascript"
#   - filter_policy: drop lines with one of C4_POLICY_SUBSTRINGS
# Document-level rules are off unless ``document_rules=True``: C4 drops the
# whole page for "lorem ipsum" or a curly bracket (and for fewer than 5
# sentences, which needs a sentence splitter and is left out here); by
# default a curly-bracket line is dropped on its own and lorem ipsum ignored.
# Lines are noisecut's lines (split at \r\n, \r, \n), not str.splitlines().
C4_END_PUNCTUATION = (".", "?", "!", '"', "'")
C4_ELLIPSIS = "..."
C4_MIN_WORDS_PER_LINE = 3
C4_MAX_WORD_LENGTH = 1000
C4_POLICY_SUBSTRINGS = (
    "terms of use", "privacy policy", "cookie policy",
    "uses cookies", "use of cookies", "use cookies",
)
C4_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")


def _c4_candidate(line: str) -> str | None:
    """Length, citation, punctuation and word-count rules (in datatrove's order)."""
    line = line.strip()
    words = line.split()  # counted before citations are removed, as in datatrove
    if any(len(word) > C4_MAX_WORD_LENGTH for word in words):
        return None
    line = C4_CITATION.sub("", line)
    if not line.endswith(C4_END_PUNCTUATION) or line.endswith(C4_ELLIPSIS):
        return None
    if len(words) < C4_MIN_WORDS_PER_LINE:
        return None
    return line


def c4_line(line: str) -> str | None:
    """The line as C4 keeps it (stripped, citations removed), or None if dropped."""
    line = _c4_candidate(line)
    if line is None:
        return None
    lower = line.lower()
    if "javascript" in lower or "{" in line:
        return None
    if any(phrase in lower for phrase in C4_POLICY_SUBSTRINGS):
        return None
    return line


def c4_rules(text: str, document_rules: bool = False) -> str:
    """The C4 line filter over noisecut's lines; ``document_rules`` adds its page drops.

    As in C4, "lorem ipsum" or "{" only condemn the page when they sit in a
    line that passed the punctuation and length rules.
    """
    try:
        kept = []
        for raw in Document.from_text(text or "").lines:
            if document_rules:
                candidate = _c4_candidate(raw)
                if candidate is not None and ("lorem ipsum" in candidate.lower() or "{" in candidate):
                    return ""
            line = c4_line(raw)
            if line is not None:
                kept.append(line)
        return "\n".join(kept)
    except Exception as exc:
        log.debug("c4_rules failed: %r", exc)
        return ""


BASELINES_TEXT: dict[str, Callable[[str], str]] = {
    "none": no_cleaning,
    "justext_text": justext_text,
    "c4_rules": c4_rules,
}
BASELINES_HTML: dict[str, Callable[[str], str]] = {
    "trafilatura_html": trafilatura_html,
    "justext_html": justext_html,
}
