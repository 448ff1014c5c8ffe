"""Text-level scores: bag-of-tokens precision/recall/F1 of a cleaned text against the gold.

This is the metric of the README's results table, behind ``noisecut
evaluate``, ``training/evaluate.py``, sequence training's epoch choice and the
CI quality gate. Line-level scores (per label, keep/drop, confusion) are
``sklearn.metrics``'s, in ``noisecut/evaluate.py``; scikit-learn has no
text-level metric, so this module keeps it. It imports only the standard
library.

``text_scores(pred_text, gold_text)`` is bag-of-tokens precision, recall
and F1: both texts become multisets of tokens (``tokens``: NFKC, lower
case, Unicode ``\\w+`` words with their combining marks, and one token per
character inside runs of CJK ideographs, kana and hangul, so unsegmented
Chinese or Japanese still scores sensibly); the overlap is the multiset
intersection, precision = overlap / |pred|, recall = overlap / |gold|.
This is the order-insensitive token-overlap measure long used for
boilerplate removal and main-content extraction (e.g. Dragnet's
bag-of-words evaluation, Peters & Lecocq 2013). Bevendorff et al. (2023,
"An Empirical Comparison of Web Content Extraction Algorithms") report
ROUGE-LSum instead, an order-aware token LCS; for a cleaner that only
drops whole lines and keeps their order the two are close, and bag-of-
tokens needs no alignment. Corpus figures are macro averages over
documents (``mean_scores``), as in that benchmark.

Conventions: if nothing was predicted and nothing was expected, precision =
recall = F1 = 1; if exactly one side is empty, all three are 0. ``support``
is the number of gold tokens.
"""
from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int  # gold count (tokens; lines where evaluate.py reports keep/drop)

    def as_dict(self) -> dict:
        return asdict(self)


def prf(tp: int, fp: int, fn: int) -> PRF:
    """Precision, recall and F1 from counts, with the empty-side conventions."""
    predicted, gold = tp + fp, tp + fn
    if predicted == 0 and gold == 0:
        return PRF(1.0, 1.0, 1.0, 0)
    if predicted == 0 or gold == 0:
        return PRF(0.0, 0.0, 0.0, gold)
    p, r = tp / predicted, tp / gold
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f1, gold)


def mean_scores(scores: Iterable[PRF]) -> PRF:
    """Macro average over documents: the mean of each of P, R and F1.

    F1 is the mean of the per-document F1s, not the harmonic mean of the
    averaged P and R. ``support`` is the total. Raises ValueError when empty.
    """
    scores = list(scores)
    if not scores:
        raise ValueError("mean_scores() needs at least one score")
    n = len(scores)
    return PRF(
        sum(s.precision for s in scores) / n,
        sum(s.recall for s in scores) / n,
        sum(s.f1 for s in scores) / n,
        sum(s.support for s in scores),
    )


# ---------------------------------------------------------------- text level

# Scripts written without spaces between words: each character is a token.
_CJK = (
    "\u1100-\u11ff"          # Hangul Jamo
    "\u3005-\u3007"          # 々 〆 〇
    "\u3040-\u30ff"          # Hiragana, Katakana
    "\u3130-\u318f"          # Hangul Compatibility Jamo
    "\u31f0-\u31ff"          # Katakana Phonetic Extensions
    "\u3400-\u4dbf"          # CJK Extension A
    "\u4e00-\u9fff"          # CJK Unified Ideographs
    "\ua960-\ua97f"          # Hangul Jamo Extended-A
    "\uac00-\ud7af"          # Hangul Syllables
    "\ud7b0-\ud7ff"          # Hangul Jamo Extended-B
    "\uf900-\ufaff"          # CJK Compatibility Ideographs
    "\uff66-\uff9f"          # Halfwidth Katakana (NFKC maps most away)
    "\U00020000-\U0003134f"  # CJK Extensions B-G, Compatibility Supplement
)
_HAS_CJK = re.compile(f"[{_CJK}]")


@functools.lru_cache(maxsize=None)
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    """Word and CJK-split patterns; built on first use (scans planes 0, 1 and 14 once)."""
    marks: list[str] = []
    start = prev = None
    code_points = [*range(0x20000), *range(0xE0000, 0xE1000), sys.maxunicode + 1]
    for cp in code_points:
        is_mark = cp <= sys.maxunicode and unicodedata.category(chr(cp)).startswith("M")
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            marks.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
            start = None
        prev = cp
    mark_class = "".join(marks)
    # \w misses combining marks (Devanagari vowel signs, Thai vowels, Arabic
    # harakat...), so a word is a run of \w and marks.
    word = re.compile(f"[\\w{mark_class}]+")
    cjk_split = re.compile(f"[{_CJK}][{mark_class}]*|[^{_CJK}]+")
    return word, cjk_split


def tokens(text: str) -> list[str]:
    """NFKC, lower-cased word tokens; CJK runs split into single characters.

    >>> tokens("Hello, World! 北京欢迎你 ok")
    ['hello', 'world', '北', '京', '欢', '迎', '你', 'ok']
    """
    word, cjk_split = _patterns()
    out: list[str] = []
    for tok in word.findall(unicodedata.normalize("NFKC", text).lower()):
        if _HAS_CJK.search(tok):
            out.extend(cjk_split.findall(tok))
        else:
            out.append(tok)
    return out


def text_scores(pred_text: str, gold_text: str) -> PRF:
    """Bag-of-tokens precision/recall/F1 of a cleaned text against the gold text."""
    pred, gold = Counter(tokens(pred_text)), Counter(tokens(gold_text))
    tp = sum((pred & gold).values())
    return prf(tp, sum(pred.values()) - tp, sum(gold.values()) - tp)
