"""Per-line features: a document in, one row of numbers per non-blank line out.

One function per feature family; each takes a :class:`Lines` view of the
whole document and returns named columns, so a document is a matrix and
window features are array shifts and cumulative sums, not loops over lines.
Character statistics come from the document's code points at once (class
lookup tables and ``np.bincount`` over a line-id array); only tokenisation
loops over lines, inside the regex engine.

Nothing here assumes a language: "function words" are the words a document
itself uses most, and the share of short words stands in for a stoplist.

Bump ``FEATURE_VERSION`` whenever a feature changes meaning or order: a model
trained on another version refuses to load.
"""
from __future__ import annotations

import functools
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Sequence

import numpy as np

FEATURE_VERSION = 2

TERMINAL = frozenset(".!?。！？؟…\"'”’»)")  # a line ending in one of these reads as a sentence
FREQUENT_WORDS = 20      # a document's most frequent words stand in for its function words
CONTENT_WORD_LENGTH = 4  # words this long or longer carry the topic
LONG_LINE_TOKENS = 12    # lines this long are likely body: the topic reference
WINDOWS = (1, 3, 10)     # context windows: mean over ±w lines
ONE_SIDED = 10           # and over the w lines before / after: where a section starts or ends
CUE_BUCKETS = 128        # hashed words: lexical cues ("reply", "advertisement") the model learns in any language

_WORD = re.compile(r"\w+")
_NOT_PUNCT = re.compile(r"[\w\s]+")
TEMPLATE_TOKENS = 15     # lines up to this long can be instances of a repeated template
PROSE_TOKENS, PROSE_CHARS = 8, 80  # a line of prose, for blocks
BLOCK_GAPS = (0, 2)      # blocks allowing 0 and 2 other lines between prose lines


def _class_tables() -> dict[str, np.ndarray]:
    """Boolean lookup tables over the Basic Multilingual Plane.

    Astral code points (emoji, rare ideographs) are looked up as U+FFFF, a symbol.
    """
    code = np.arange(0x10000)

    def chars(text: str) -> np.ndarray:
        return np.isin(code, [ord(c) for c in text])

    def span(low: int, high: int) -> np.ndarray:
        return (code >= low) & (code <= high)

    table = {
        "space": chars(" \t\f\v\xa0\u3000\u2009\u200a\u202f"),
        "digit": span(48, 57),
        "upper": span(65, 90) | span(0xC0, 0xDE) | span(0x391, 0x3A9) | span(0x410, 0x42F),
        "ascii_punct": span(33, 47) | span(58, 64) | span(91, 96) | span(123, 126),
        "symbol": span(0xA1, 0xBF) | span(0x2000, 0x2BFF) | span(0xE000, 0xF8FF) | span(0xFFF0, 0xFFFF),
        "cjk": span(0x3040, 0x30FF) | span(0x4E00, 0x9FFF) | span(0xAC00, 0xD7AF),
        "sentence_end": chars(".!?。！？؟"),
        "comma": chars(",，、;；"),
        "separator": chars("|»›·•"),
        "copyright": chars("©®™"),
        "opener": chars(" \t\xa0(\"'"),
    }
    table["word"] = table["digit"] | span(65, 90) | span(97, 122) | (code == 95) | ((code >= 0xC0) & ~table["symbol"])
    table["letter"] = ~(table["space"] | table["digit"] | table["ascii_punct"] | table["symbol"]) & (code > 32)
    return table


_CLASS = _class_tables()
_BIT = {name: np.uint16(1 << i) for i, name in enumerate(_CLASS)}
_BITS = np.zeros(0x10000, dtype=np.uint16)  # every class of a code point in one lookup
for _name, _table in _CLASS.items():
    _BITS[_table] |= _BIT[_name]
_TERMINAL = np.zeros(0x10000, dtype=bool)
_TERMINAL[[ord(c) for c in TERMINAL]] = True
_BULLET = np.zeros(0x10000, dtype=bool)
_BULLET[[ord(c) for c in "-–—•*·>»|"]] = True


@dataclass
class Words:
    """The document's tokens flattened: one entry per token occurrence."""

    vocabulary: list[str]  # the document's distinct tokens, in order of first occurrence
    ids: np.ndarray      # vocabulary index of each token
    owner: np.ndarray    # line index of each token
    length: np.ndarray   # characters in each token
    numeric: np.ndarray  # token is all digits
    counts: np.ndarray   # occurrences of each vocabulary entry

    @classmethod
    def of(cls, tokens: list[list[str]]) -> "Words":
        flat = list(chain.from_iterable(tokens))
        vocabulary = {word: i for i, word in enumerate(dict.fromkeys(flat))}
        ids = np.fromiter(map(vocabulary.__getitem__, flat), dtype=np.int64, count=len(flat))
        owner = np.repeat(np.arange(len(tokens)), [len(t) for t in tokens])
        length = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        numeric = np.fromiter(map(str.isdigit, flat), dtype=bool, count=len(flat))
        return cls(list(vocabulary), ids, owner, length, numeric, np.bincount(ids, minlength=len(vocabulary)))


@dataclass
class Lines:
    """The non-blank lines of one document, with tokens and code points computed once."""

    texts: Sequence[str]

    @cached_property
    def stripped(self) -> list[str]:
        return [t.strip() or " " for t in self.texts]  # callers pass non-blank lines; never let one be empty

    @cached_property
    def tokens(self) -> list[list[str]]:
        return [_WORD.findall(t.lower()) for t in self.stripped]

    @cached_property
    def n_tokens(self) -> np.ndarray:
        return np.array([len(t) for t in self.tokens], dtype=np.float64)

    @cached_property
    def words(self) -> Words:
        return Words.of(self.tokens)

    @cached_property
    def line_lengths(self) -> np.ndarray:
        return np.array([len(t) for t in self.stripped], dtype=np.int64)

    @cached_property
    def code(self) -> np.ndarray:
        """The document's code points, lines concatenated without separators."""
        return np.frombuffer("".join(self.stripped).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    @cached_property
    def line_of(self) -> np.ndarray:
        """The line index of each code point."""
        return np.repeat(np.arange(len(self.stripped)), self.line_lengths)

    @cached_property
    def _remaining(self) -> np.ndarray:
        """For each code point, how many code points follow it on its line."""
        ends = np.cumsum(self.line_lengths)
        return ends[self.line_of] - 1 - np.arange(len(self.code))

    @cached_property
    def _first(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.line_lengths)[:-1]])

    @cached_property
    def _bmp(self) -> np.ndarray:
        """The code points as indices into the class tables (astral ones as U+FFFF)."""
        return np.minimum(self.code, 0xFFFF)

    @cached_property
    def _bits(self) -> np.ndarray:
        return _BITS[self._bmp]

    def is_(self, name: str) -> np.ndarray:
        """Code-point mask of a character class from ``_CLASS``."""
        return (self._bits & _BIT[name]).astype(bool)

    @cached_property
    def _ends(self) -> np.ndarray:
        return np.cumsum(self.line_lengths)

    def before(self, mask: np.ndarray, edge: bool) -> np.ndarray:
        """mask[i - 1] on the same line; ``edge`` at a line's first code point."""
        out = np.empty_like(mask)
        out[1:] = mask[:-1]
        out[self._first[self._first < len(out)]] = edge
        return out

    def after(self, mask: np.ndarray, by: int = 1) -> np.ndarray:
        """mask[i + by] on the same line; False past the line's end."""
        out = np.zeros_like(mask)
        if by < len(mask):
            out[: len(mask) - by] = mask[by:]
        return out & (self._remaining >= by)

    def per_line(self, mask: np.ndarray) -> np.ndarray:
        """Count the True entries of a code-point mask per line."""
        return np.bincount(self.line_of[mask], minlength=len(self.texts)).astype(np.float64)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a / np.maximum(b, 1)


def characters(lines: Lines) -> dict[str, np.ndarray]:
    """Length, word count and character-class ratios."""
    per_line, is_ = lines.per_line, lines.is_
    space, upper = is_("space"), is_("upper")
    word_start = ~space & lines.before(space, True)
    length = lines.line_lengths.astype(np.float64)
    letters = per_line(is_("letter"))
    words = per_line(word_start)
    return {
        "log_chars": np.log1p(length),
        "log_words": np.log1p(words),
        "mean_word_length": np.minimum(_safe_div(letters, words), 30.0) / 10,
        "digit_ratio": _safe_div(per_line(is_("digit")), length),
        "upper_ratio": _safe_div(per_line(upper), letters),
        "punct_ratio": _safe_div(per_line(is_("ascii_punct")), length),
        "symbol_ratio": _safe_div(per_line(is_("symbol")), length),
        "cjk_ratio": _safe_div(per_line(is_("cjk")), length),
        "capitalised_words": _safe_div(per_line(word_start & upper), words),
    }


def shape(lines: Lines) -> dict[str, np.ndarray]:
    """How the line begins and ends: sentence punctuation, bullets, teasers, counters."""
    s = lines.stripped
    end = lines.is_("sentence_end")
    sentence_ends = end & ~lines.after(end | ~lines.is_("space"))  # ". " or "." closing the line
    return {
        "ends_terminal": _TERMINAL[lines._bmp[lines._ends - 1]].astype(np.float64),
        "ends_colon": (lines.code[lines._ends - 1] == 58).astype(np.float64),
        "ends_ellipsis": np.array([t.endswith(("...", "…")) for t in s], dtype=np.float64),
        "starts_bullet": _BULLET[lines._bmp[lines._ends - lines.line_lengths]].astype(np.float64),
        "starts_digit": np.array([t[0].isdigit() for t in s], dtype=np.float64),
        "starts_lower": np.array([t[0].islower() for t in s], dtype=np.float64),
        "is_number": np.array([t.replace(",", "").replace(".", "").isdigit() for t in s], dtype=np.float64),
        "sentences": np.log1p(lines.per_line(sentence_ends)),
        "commas": _safe_div(lines.per_line(lines.is_("comma")), lines.n_tokens),
    }


def patterns(lines: Lines) -> dict[str, np.ndarray]:
    """URLs, @handles, #hashtags, times, years, separators, copyright marks.

    Counted on code points rather than with regular expressions: a regex scan
    per pattern costs more than all the other features together.
    """
    code, per_line, is_ = lines.code, lines.per_line, lines.is_
    digit, word = is_("digit"), is_("word")
    after_opener = lines.before(is_("opener"), True)
    number_start = digit & lines.before(~digit, True)
    year = number_start & (((code == 49) & lines.after(code == 57)) | ((code == 50) & lines.after(code == 48)))
    four_digits = lines.after(digit, 3) & ~lines.after(digit, 4)
    counts = {
        "urls": _urls(lines.stripped),
        "handles": per_line((code == 64) & after_opener & lines.after(word)),
        "hashtags": per_line((code == 35) & after_opener & lines.after(word)),
        "times": per_line((code == 58) & lines.before(digit, False) & lines.after(digit)),
        "years": per_line(year & four_digits),
        "separators": per_line(is_("separator")),
        "copyright": per_line(is_("copyright")),
    }
    return {name: np.minimum(values, 3.0) for name, values in counts.items()}


def _urls(stripped: Sequence[str]) -> np.ndarray:
    """Occurrences of "://" and "www." per line (a whole-document test first: most have none)."""
    joined = "\n".join(stripped)
    if "://" not in joined and "www." not in joined:
        return np.zeros(len(stripped))
    return np.array([t.count("://") + t.count("www.") for t in stripped], dtype=np.float64)


def vocabulary(lines: Lines) -> dict[str, np.ndarray]:
    """Function-word density without a stoplist, and repetition inside the document."""
    n, words = len(lines.texts), lines.words
    frequent = np.zeros(len(words.counts), dtype=bool)
    frequent[np.argsort(-words.counts, kind="stable")[:FREQUENT_WORDS]] = True
    normalised = [" ".join(toks) for toks in lines.tokens]
    first_index = {key: i for i, key in reversed(list(enumerate(normalised)))}
    copies = Counter(normalised)
    return {
        **_template_repeats(lines),
        "short_word_share": _safe_div(np.bincount(words.owner, weights=words.length <= 3, minlength=n), lines.n_tokens),
        "frequent_word_share": _safe_div(np.bincount(words.owner, weights=frequent[words.ids], minlength=n), lines.n_tokens),
        "log_repeats": np.log1p(np.array([copies[key] - 1 for key in normalised], dtype=np.float64)),
        "later_repeat": np.array([first_index[key] != i for i, key in enumerate(normalised)], dtype=np.float64),
    }


def _template_repeats(lines: Lines) -> dict[str, np.ndarray]:
    """How many other lines share this short line's template: its punctuation
    plus its first (or last) word. Comment headers ("Re: ... (Score:5, Funny)",
    "Anna says:"), bylines and teaser dates repeat with different names and
    numbers, which exact repeats miss."""
    keys_first, keys_last = [], []
    for i, (text, toks) in enumerate(zip(lines.stripped, lines.tokens)):
        if 0 < len(toks) <= TEMPLATE_TOKENS:
            punct = _NOT_PUNCT.sub("", text)
            keys_first.append((toks[0], punct))
            keys_last.append((toks[-1], punct))
        else:
            keys_first.append(i)  # unique: never a repeat
            keys_last.append(i)

    def repeats(keys: list) -> np.ndarray:
        counts = Counter(keys)
        return np.log1p(np.array([counts[k] - 1 for k in keys], dtype=np.float64))

    return {"log_template_first": repeats(keys_first), "log_template_last": repeats(keys_last)}


def topic(lines: Lines) -> dict[str, np.ndarray]:
    """How much of a line's vocabulary the rest of the document shares.

    A fluent paragraph about another story shares few content words with the
    article around it; body paragraphs share many.
    """
    n, words = len(lines.texts), lines.words
    content = (words.length >= CONTENT_WORD_LENGTH) & ~words.numeric
    # one (line, word) pair per distinct content word of a line
    keys = np.sort(words.owner[content] * len(words.counts) + words.ids[content])  # sort + neighbour test: np.unique's hashing is slow on large documents
    pairs = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    owner, ids = pairs // max(len(words.counts), 1), pairs % max(len(words.counts), 1)
    long_line = (lines.n_tokens >= LONG_LINE_TOKENS).astype(np.float64)
    in_lines = np.bincount(ids, minlength=len(words.counts))  # lines containing each word
    in_long = np.bincount(ids, weights=long_line[owner], minlength=len(words.counts))
    elsewhere = in_lines[ids] > 1
    elsewhere_long = in_long[ids] - long_line[owner] > 0
    per_line = np.bincount(owner, minlength=n).astype(np.float64)
    first = owner[0] if len(owner) else 0  # the first line with content words: usually the headline
    in_first = np.zeros(len(words.counts), dtype=bool)
    in_first[ids[owner == first]] = True
    with_first = in_first[ids] & (owner != first)
    return {
        "shared_words": _safe_div(np.bincount(owner, weights=elsewhere, minlength=n), per_line),
        "shared_with_long": _safe_div(np.bincount(owner, weights=elsewhere_long, minlength=n), per_line),
        "log_content_words": np.log1p(per_line),
        "title_overlap": _safe_div(np.bincount(owner, weights=with_first, minlength=n), per_line),
    }


@functools.lru_cache(maxsize=1 << 16)  # words recur across documents: hash each once
def _cue_bucket(word: str) -> int:
    return zlib.crc32(word.encode("utf-8", "surrogatepass")) % CUE_BUCKETS


def cues(lines: Lines) -> dict[str, np.ndarray]:
    """The line's words hashed into ``CUE_BUCKETS`` columns, each the share of the line's tokens.

    Words like "reply", "share" or "advertisement" mark noise in short lines.
    Hashing (CRC-32, stable across processes) keeps the features independent
    of any word list or language: the model learns which buckets matter.
    """
    n, words = len(lines.texts), lines.words
    bucket = np.fromiter(map(_cue_bucket, words.vocabulary), dtype=np.int64, count=len(words.vocabulary))
    table = np.bincount(words.owner * CUE_BUCKETS + bucket[words.ids], minlength=n * CUE_BUCKETS)
    table = table.reshape(n, CUE_BUCKETS) / np.maximum(lines.n_tokens, 1)[:, None]
    return {f"cue_{b}": table[:, b] for b in range(CUE_BUCKETS)}


def position(lines: Lines, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where the line sits: in the document and relative to its long, sentence-like core."""
    n = len(lines.texts)
    index = np.arange(n, dtype=np.float64)
    chars = np.expm1(base["log_chars"])
    before = np.cumsum(chars) - chars
    core = np.flatnonzero((lines.n_tokens >= LONG_LINE_TOKENS) & (base["ends_terminal"] > 0))
    if len(core):
        nearest = _nearest(index, core)
        before_core, after_core = index < core[0], index > core[-1]
    else:
        nearest, before_core, after_core = np.full(n, n), np.zeros(n), np.zeros(n)
    return {
        "relative_position": index / max(n - 1, 1),
        "chars_before": before / max(chars.sum(), 1),
        "log_from_start": np.log1p(index),
        "log_from_end": np.log1p(n - 1 - index),
        "log_lines": np.full(n, np.log1p(n)),
        "before_core": before_core.astype(np.float64),
        "after_core": after_core.astype(np.float64),
        "log_core_distance": np.log1p(nearest),
    }


def prose_blocks(lines: Lines, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The run of prose a line belongs to, measured against the document's others.

    An article is usually one long run of prose lines; comments and teasers
    are many short runs cut apart by headers, bylines and buttons. A block is
    a run of prose lines (``PROSE_TOKENS`` words or more, or ``PROSE_CHARS``
    characters for scripts without spaces) with at most ``gap`` other lines
    between two of them.
    """
    n = len(lines.texts)
    chars = np.expm1(base["log_chars"])
    prose = (lines.n_tokens >= PROSE_TOKENS) | (chars >= PROSE_CHARS)
    weight = np.where(prose, chars, 0.0)
    out = {"prose_before": (np.cumsum(weight) - weight) / max(weight.sum(), 1)}
    where = np.flatnonzero(prose)
    if not len(where):
        return {**out, **{f"block_share_gap{gap}": np.zeros(n) for gap in BLOCK_GAPS}}
    index = np.arange(n)
    previous = np.searchsorted(where, index, side="right") - 1  # the last prose line at or before each line
    has_previous, previous = previous >= 0, np.maximum(previous, 0)
    following = np.minimum(previous + 1, len(where) - 1)
    for gap in BLOCK_GAPS:
        block = np.concatenate([[0], np.cumsum(np.diff(where) > gap + 1)])
        sizes = np.bincount(block, weights=weight[where])
        # a line is in a block if it is one of its prose lines or lies between two of them
        member = has_previous & ((where[previous] == index) | ((previous + 1 < len(where)) & (block[following] == block[previous])))
        out[f"block_share_gap{gap}"] = np.where(member, sizes[block[previous]] / sizes.max(), 0.0)
    return out


def _nearest(index: np.ndarray, core: np.ndarray) -> np.ndarray:
    """Distance from each line to the nearest core line."""
    right = np.clip(np.searchsorted(core, index), 0, len(core) - 1)
    left = np.clip(right - 1, 0, len(core) - 1)
    return np.minimum(np.abs(core[right] - index), np.abs(core[left] - index))


# The per-line features whose neighbourhood is summarised by ``context``.
CONTEXT_OF = (
    "log_words", "ends_terminal", "short_word_share", "frequent_word_share", "shared_words",
    "digit_ratio", "capitalised_words", "urls", "starts_bullet", "punct_ratio", "times", "years",
    "log_template_first", "log_template_last",
)


def window_mean(values: np.ndarray, width: int, ahead: int | None = None) -> np.ndarray:
    """Mean over lines i-width..i+ahead (``ahead`` defaults to ``width``; clipped
    at the document's edges), along axis 0."""
    n = len(values)
    padded = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
    index = np.arange(n)
    low, high = np.maximum(index - width, 0), np.minimum(index + (width if ahead is None else ahead) + 1, n)
    span = (high - low).reshape((-1,) + (1,) * (values.ndim - 1))
    return (padded[high] - padded[low]) / span


def shift(values: np.ndarray, by: int) -> np.ndarray:
    """values[i - by], padded with zeros at the edges (by > 0: the previous lines)."""
    if by == 0:
        return values.copy()
    out = np.zeros_like(values)
    if by > 0:
        out[by:] = values[:-by]
    elif by < 0:
        out[:by] = values[-by:]
    return out


def context(base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same features on neighbouring lines: previous, next, centred and one-sided window means."""
    values = np.column_stack([base[name] for name in CONTEXT_OF])
    blocks = {"prev": shift(values, 1), "next": shift(values, -1)}
    blocks.update({f"win{width}": window_mean(values, width) for width in WINDOWS})
    blocks.update({f"back{ONE_SIDED}": window_mean(values, ONE_SIDED, 0), f"ahead{ONE_SIDED}": window_mean(values, 0, ONE_SIDED)})
    return {f"{kind}_{name}": block[:, j] for kind, block in blocks.items() for j, name in enumerate(CONTEXT_OF)}


def feature_dict(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """All feature families for the non-blank lines ``texts`` of one document."""
    lines = Lines(texts)
    base: dict[str, np.ndarray] = {}
    for family in (characters, shape, patterns, vocabulary, topic):
        base.update(family(lines))
    base.update(position(lines, base))
    base.update(prose_blocks(lines, base))
    base.update(context(base))
    base.update(cues(lines))
    return base


def featurize(texts: Sequence[str]) -> np.ndarray:
    """The feature matrix (lines x ``feature_names()``) of one document's non-blank lines."""
    if not texts:
        return np.zeros((0, len(feature_names())))
    return np.column_stack(list(feature_dict(texts).values()))


@functools.lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    return tuple(feature_dict(["Feature names.", "Second line."]).keys())


def feature_names() -> list[str]:
    return list(_names())
