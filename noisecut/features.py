"""Per-line features: documents in, one row of numbers per non-blank line out.

One function per feature family; each takes a :class:`Lines` view of a
batch of whole documents (their lines one after another, with document
offsets) and returns named columns, so a batch is a matrix and window
features are array shifts and cumulative sums that stop at document
boundaries, not loops over lines. Character statistics come from the
batch's code points at once (one lookup table holding every class as a
bit, ``np.add.reduceat`` per line); tokens are found on the code points too
(``re``'s ``\\w`` as a table) and made into strings by ``str.split``: per-line
and per-class Python calls, and the regex engine's per-character pace, cost
more than the arithmetic. A document's rows are the same whatever else is in
its batch: ``featurize(texts)`` is the batch of one.

Nothing here assumes a language: "function words" are the words a document
itself uses most, and the share of short words stands in for a stoplist.

Bump ``FEATURE_VERSION`` whenever a feature changes meaning or order: a model
trained on another version refuses to load.
"""
from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, count
from typing import Sequence

import numpy as np

from .batching import batches
from .views import plain_lines

FEATURE_VERSION = 2

TERMINAL = frozenset(".!?。！？؟…\"'”’»)")  # a line ending in one of these reads as a sentence
FREQUENT_WORDS = 20      # a document's most frequent words stand in for its function words
CONTENT_WORD_LENGTH = 4  # words this long or longer carry the topic
LONG_LINE_TOKENS = 12    # lines this long are likely body: the topic reference
WINDOWS = (1, 3, 10)     # context windows: mean over ±w lines
ONE_SIDED = 10           # and over the w lines before / after: where a section starts or ends
CUE_BUCKETS = 128        # hashed words: lexical cues ("reply", "advertisement") the model learns in any language

_NOT_WORD = re.compile(r"\W")
_URL = re.compile(r"://|www\.")
TOKENISE_CHARS = 1 << 20  # characters tokenised (or made code points) at a time: bounds a huge line's memory
FEATURE_LINES = 4_000     # lines featurised together: past this, larger groups stop paying (CPU caches)
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
_CLASS_BIT = {name: np.uint16(1 << i) for i, name in enumerate(_CLASS)}  # 16 classes at most
_CLASS_BITS = np.bitwise_or.reduce([np.where(_CLASS[name], bit, np.uint16(0)) for name, bit in _CLASS_BIT.items()])
_TERMINAL = np.zeros(0x10000, dtype=bool)
_TERMINAL[[ord(c) for c in TERMINAL]] = True
_BULLET = np.zeros(0x10000, dtype=bool)
_BULLET[[ord(c) for c in "-–—•*·>»|"]] = True


@functools.lru_cache(maxsize=1)  # built at first use (5 ms): not every import featurises
def _regex_classes() -> tuple[np.ndarray, np.ndarray]:
    """What ``re``'s ``\\w`` (``str.isalnum()`` or "_") and ``\\s`` (``str.isspace()``) match over
    the BMP, asked of ``re`` itself; unlike the looser classes above, these are exact."""
    bmp = np.arange(0x10000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")

    def matched(pattern: str) -> np.ndarray:
        marked = re.sub(pattern, lambda m: "\U00010000" * len(m.group()), bmp)  # an astral mark: no BMP character is one
        return _code_points(marked) == 0x10000

    return matched(r"\w+"), matched(r"\s+")


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _regex_word(code: np.ndarray) -> np.ndarray:
    """Which code points ``re``'s ``\\w`` matches."""
    word = _regex_classes()[0][code.astype(np.uint16)]  # astral code points wrap around: corrected next
    astral = np.flatnonzero(code > 0xFFFF)  # rare: asked one by one
    word[astral] = [chr(c).isalnum() for c in code[astral].tolist()]
    return word


def _pieces(text: str, size: int):
    """``text`` in consecutive pieces of about ``size`` characters, cut only where no token can continue."""
    start = 0
    while len(text) - start > size:
        cut = start + size
        boundary = _NOT_WORD.search(text, cut)
        if boundary is None:
            break
        yield text[start:boundary.start()]
        start = boundary.start()
    yield text[start:]


@dataclass
class Words:
    """The batch's tokens flattened: one entry per token occurrence.

    The vocabulary is the batch's: a word has one id in every document of it.
    """

    vocabulary: list[str]  # distinct tokens, in order of first occurrence
    ids: np.ndarray      # vocabulary index of each token
    owner: np.ndarray    # line index of each token
    length: np.ndarray   # characters in each token
    numeric: np.ndarray  # token is all digits
    keys: list[str]      # each line's tokens joined by one space: what makes two lines copies

    @classmethod
    def of(cls, lowered: str) -> "Words":
        """Tokens of ``lowered``, the batch's lines joined by "\\n" (never inside a token).

        Read ``TOKENISE_CHARS`` characters at a time, so that a huge line's
        tokens never all exist as Python strings at once."""
        first_use: dict[str, int] = {}  # each word's first position among the tokens
        position = np.int32 if len(lowered) < 2**31 else np.int64  # tokens are fewer than characters
        firsts, owners, keys, seen = [], [], [], 0
        open_line: list[str] = []  # the parts of the line the last piece ended inside
        for piece in _pieces(lowered, TOKENISE_CHARS):
            flat, owner, piece_keys = _tokens(piece)
            # one dict operation per token: a word's first position, which also orders the vocabulary
            firsts.append(np.fromiter(map(first_use.setdefault, flat, count(seen)), dtype=position, count=len(flat)))
            seen += len(flat)
            owners.append((owner + len(keys)).astype(np.int32))
            open_line.append(piece_keys[0])
            if len(piece_keys) > 1:
                keys.append(" ".join(filter(None, open_line)))
                keys.extend(piece_keys[1:-1])
                open_line = [piece_keys[-1]]
        keys.append(" ".join(filter(None, open_line)))
        first = np.concatenate(firsts)
        del firsts
        is_first = np.zeros(len(first), dtype=bool)
        is_first[first] = True
        ids = np.cumsum(is_first, dtype=np.int32)  # first uses so far ...
        ids -= 1
        ids = ids[first]  # ... at a word's first use: its vocabulary index
        owner = np.concatenate(owners)
        vocabulary = list(first_use)
        length = np.fromiter(map(len, vocabulary), dtype=np.int32, count=len(vocabulary))
        numeric = np.fromiter(map(str.isdigit, vocabulary), dtype=bool, count=len(vocabulary))
        return cls(vocabulary, ids, owner, length[ids], numeric[ids], keys)


def _tokens(text: str) -> tuple[list[str], np.ndarray, list[str]]:
    """The ``\\w+`` tokens of ``text`` (lines joined by "\\n"), the line each is on, and each
    line's tokens joined by one space.

    Found on the code points rather than by ``re.findall``: the regex engine
    spent more time per character than everything else in ``Words.of``. The
    text is cut down to its tokens, one space between two tokens of a line
    and the line breaks; ``str.split`` then makes the token strings.
    """
    code = _code_points(text)
    word = _regex_word(code)
    starts = np.flatnonzero(word & ~np.concatenate(([False], word[:-1])))
    owner = np.searchsorted(np.flatnonzero(code == 10), starts)  # line breaks before each token
    keep = word | (code == 10)
    keep[starts[1:][owner[1:] == owner[:-1]] - 1] = True  # the character before a token that follows another on its line ...
    kept, space = code[keep], ~word[keep]
    del code, word, keep  # a piece with no place to cut is one huge token: hold as little as possible
    space &= kept != 10
    kept[space] = 32  # ... becomes the one space between them
    kept = kept.tobytes().decode("utf-32-le", "surrogatepass")
    return kept.split(), owner, kept.split("\n")


@dataclass
class Lines:
    """The non-blank lines of a batch of documents, one document after another.

    Document d is lines ``offsets[d]:offsets[d + 1]``. Statistics over code
    points and tokens run over the whole batch at once; everything that looks
    past a line (repeats, topic, position, windows) stays inside the line's
    document, so a document's rows do not depend on the others in its batch.
    """

    texts: Sequence[str]
    offsets: np.ndarray

    @classmethod
    def of(cls, docs: Sequence[Sequence[str]]) -> "Lines":
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=offsets[1:])
        return cls(list(chain.from_iterable(map(plain_lines, docs))), offsets)  # Markdown as plain text (views.py)

    @property
    def n(self) -> int:
        return len(self.texts)

    @cached_property
    def doc(self) -> np.ndarray:
        """The document index of each line."""
        return np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))

    @cached_property
    def start(self) -> np.ndarray:
        """The first line of each line's document."""
        return self.offsets[self.doc]

    @cached_property
    def end(self) -> np.ndarray:
        """One past the last line of each line's document."""
        return self.offsets[self.doc + 1]

    @cached_property
    def stripped(self) -> list[str]:
        return [t.strip() or " " for t in self.texts]  # callers pass non-blank lines; never let one be empty

    @cached_property
    def joined(self) -> str:
        """The batch's stripped lines joined by "\\n"."""
        return "\n".join(self.stripped)

    @cached_property
    def words(self) -> Words:
        return Words.of(self.joined.lower())

    @cached_property
    def n_tokens(self) -> np.ndarray:
        return np.bincount(self.words.owner, minlength=self.n).astype(np.float64)

    @cached_property
    def first_token(self) -> np.ndarray:
        """Index into ``words`` of each line's first token (meaningless for a line without tokens)."""
        return np.cumsum(self.n_tokens.astype(np.int64)) - self.n_tokens.astype(np.int64)

    @cached_property
    def line_lengths(self) -> np.ndarray:
        return np.fromiter(map(len, self.stripped), dtype=np.int64, count=self.n)

    @cached_property
    def code(self) -> np.ndarray:
        """The batch's code points, lines concatenated without separators, astral ones as U+FFFF
        (an index into the class tables; 16 bits: a 50 MB line costs 100 MB here)."""
        text = "".join(self.stripped)
        bmp = np.empty(len(text), dtype=np.uint16)
        for start in range(0, len(text), TOKENISE_CHARS):  # 32-bit code points for a piece at a time only
            code = _code_points(text[start:start + TOKENISE_CHARS])
            np.minimum(code, 0xFFFF, out=bmp[start:start + len(code)], casting="unsafe")
        return bmp

    @cached_property
    def char_starts(self) -> np.ndarray:
        """Where each line's first code point is in ``code``."""
        return self.char_ends - self.line_lengths

    @cached_property
    def char_ends(self) -> np.ndarray:
        """One past each line's last code point in ``code``."""
        return np.cumsum(self.line_lengths)

    @cached_property
    def classes(self) -> np.ndarray:
        """Each code point's classes, as bits of ``_CLASS_BIT`` (16 bits per code point, like ``code``)."""
        return _CLASS_BITS[self.code]

    def is_(self, name: str) -> np.ndarray:
        """Code-point mask of a character class from ``_CLASS`` (a byte per code point).

        A bit test on ``classes``: one table lookup serves every class (a lookup per class cost twice the counting)."""
        return (self.classes & _CLASS_BIT[name]) != 0

    def before(self, mask: np.ndarray, edge: bool) -> np.ndarray:
        """mask[i - 1] on the same line; ``edge`` at a line's first code point."""
        out = np.empty_like(mask)
        out[1:] = mask[:-1]
        out[self.char_starts[self.char_starts < len(out)]] = edge
        return out

    def after(self, mask: np.ndarray, by: int = 1) -> np.ndarray:
        """mask[i + by] on the same line; False past the line's end."""
        out = np.zeros_like(mask)
        if by < len(mask):
            out[: len(mask) - by] = mask[by:]
        for back in range(1, by + 1):  # the last ``by`` code points of each line look past it
            tail = self.char_ends - back
            out[tail[tail >= self.char_starts]] = False
        return out

    def per_line(self, mask: np.ndarray) -> np.ndarray:
        """Count the True entries of a code-point mask per line."""
        sums = np.int32 if len(mask) < 2**31 else np.int64  # int32 sums run about 1.5x as fast
        return np.add.reduceat(mask, self.char_starts, dtype=sums).astype(np.float64)  # lines are never empty

    # -- lines within their documents --------------------------------------

    @cached_property
    def index(self) -> np.ndarray:
        """Each line's index in its document."""
        return np.arange(self.n) - self.start

    def per_doc_sum(self, values: np.ndarray) -> np.ndarray:
        """The sum of ``values`` over each line's document, per line."""
        return np.bincount(self.doc, weights=values, minlength=len(self.offsets) - 1)[self.doc]

    def sum_before(self, values: np.ndarray) -> np.ndarray:
        """The sum of ``values`` over the lines before each line in its document."""
        total = np.concatenate([[0.0], np.cumsum(values)])
        return total[:-1] - total[self.start]

    def window_means(self, rows: np.ndarray, windows: Sequence[tuple[int, int | None]]) -> list[np.ndarray]:
        """Means over lines i-width..i+ahead of the line's document, for each (width, ahead), along the last axis."""
        return window_means(rows, windows, self.start, self.end)

    def shift(self, values: np.ndarray, by: int) -> np.ndarray:
        """values[i - by] within the line's document, zeros past its edges."""
        return shift(values, by, self.start, self.end)


def _ids(keys: Sequence[str]) -> np.ndarray:
    """Each key's index among the distinct keys (in order of first occurrence)."""
    index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    return np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))


def _unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_index=True, return_inverse=True, return_counts=True)``, the same
    arrays in half the time: np.unique sorts stably to find first occurrences; an unstable sort
    and the smallest position in each run of equal keys find the same ones."""
    perm = np.argsort(keys)
    ordered = keys[perm]
    opens = np.ones(len(keys), dtype=bool)
    opens[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(opens)
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[perm] = np.cumsum(opens) - 1
    first = np.minimum.reduceat(perm, starts) if len(keys) else perm
    return ordered[starts], first, inverse, np.diff(np.append(starts, len(keys)))


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
    code, first, last = lines.code, lines.char_starts, lines.char_ends - 1
    end = lines.is_("sentence_end")
    sentence_ends = end & ~lines.after(end | ~lines.is_("space"))  # ". " or "." closing the line
    dots = (code[last] == 46) & (lines.line_lengths >= 3)
    dots[dots] &= (code[last[dots] - 1] == 46) & (code[last[dots] - 2] == 46)
    starts_digit = _first_char_is(lines, "isdigit")
    number = starts_digit | (code[first] == 44) | (code[first] == 46)  # only these can be numbers: test them alone
    for i in np.flatnonzero(number):
        number[i] = lines.stripped[i].replace(",", "").replace(".", "").isdigit()
    return {
        "ends_terminal": _TERMINAL[code[last]].astype(np.float64),
        "ends_colon": (code[last] == 58).astype(np.float64),
        "ends_ellipsis": (dots | (code[last] == 0x2026)).astype(np.float64),
        "starts_bullet": _BULLET[code[first]].astype(np.float64),
        "starts_digit": starts_digit.astype(np.float64),
        "starts_lower": _first_char_is(lines, "islower").astype(np.float64),
        "is_number": number.astype(np.float64),
        "sentences": np.log1p(lines.per_line(sentence_ends)),
        "commas": _safe_div(lines.per_line(lines.is_("comma")), lines.n_tokens),
    }


def _first_char_is(lines: Lines, method: str) -> np.ndarray:
    """``str.<method>`` of each line's first character (asked once per distinct character)."""
    test = getattr(str, method)
    distinct, where = np.unique(lines.code[lines.char_starts], return_inverse=True)
    out = np.fromiter(map(test, map(chr, distinct.tolist())), dtype=bool, count=len(distinct))[where.reshape(-1)]
    for i in np.flatnonzero(distinct[where.reshape(-1)] == 0xFFFF):  # astral (looked up as U+FFFF): ask with the real one
        out[i] = test(lines.stripped[i][0])
    return out


def patterns(lines: Lines) -> dict[str, np.ndarray]:
    """URLs, @handles, #hashtags, times, years, separators, copyright marks.

    Counted on code points rather than with regular expressions: a regex scan
    per pattern costs more than all the other features together.
    """
    code, per_line, is_ = lines.code, lines.per_line, lines.is_
    # one code-point mask at a time, dropped when counted: a huge line has a byte per code point in each
    digit = is_("digit")
    year = (code == 49) & lines.after(code == 57)  # "19.." or "20..", starting a number of four digits
    year |= (code == 50) & lines.after(code == 48)
    year &= digit
    year &= lines.before(~digit, True)
    year &= lines.after(digit, 3)
    year &= ~lines.after(digit, 4)
    years = per_line(year)
    del year
    times = per_line((code == 58) & lines.before(digit, False) & lines.after(digit))
    del digit
    tag = lines.before(is_("opener"), True) & lines.after(is_("word"))  # a word follows, nothing precedes
    handles, hashtags = per_line((code == 64) & tag), per_line((code == 35) & tag)
    del tag
    counts = {
        "urls": _urls(lines),
        "handles": handles,
        "hashtags": hashtags,
        "times": times,
        "years": years,
        "separators": per_line(is_("separator")),
        "copyright": per_line(is_("copyright")),
    }
    return {name: np.minimum(values, 3.0) for name, values in counts.items()}


def _urls(lines: Lines) -> np.ndarray:
    """Occurrences of "://" and "www." per line (a whole-batch test first: most have none)."""
    joined = lines.joined
    if "://" not in joined and "www." not in joined:
        return np.zeros(lines.n)
    starts = np.cumsum(lines.line_lengths + 1) - lines.line_lengths - 1  # of each line in ``joined``
    hits = np.fromiter((m.start() for m in _URL.finditer(joined)), dtype=np.int64)
    return np.bincount(np.searchsorted(starts, hits, side="right") - 1, minlength=lines.n).astype(np.float64)


def vocabulary(lines: Lines) -> dict[str, np.ndarray]:
    """Function-word density without a stoplist, and repetition inside the document."""
    n, words = lines.n, lines.words
    # a document's FREQUENT_WORDS most frequent words, ties to the word it used first
    if len(lines.offsets) == 2:  # one document: word ids are in order of first use already
        pair_of_token, uses = words.ids, np.bincount(words.ids, minlength=len(words.vocabulary))
        frequent = np.zeros(len(uses), dtype=bool)
        frequent[np.argsort(-uses, kind="stable")[:FREQUENT_WORDS]] = True
    else:
        pairs, first_use, pair_of_token, uses = _unique(lines.doc[words.owner] * max(len(words.vocabulary), 1) + words.ids)
        pair_doc = pairs // max(len(words.vocabulary), 1)
        order = np.lexsort((first_use, -uses, pair_doc))
        rank = np.arange(len(order)) - np.searchsorted(pair_doc[order], pair_doc[order])
        frequent = np.zeros(len(pairs), dtype=bool)
        frequent[order[rank < FREQUENT_WORDS]] = True
    _, first_copy, copy_of, copies = _unique(lines.doc * n + _ids(words.keys))
    return {
        **_template_repeats(lines),
        "short_word_share": _safe_div(np.bincount(words.owner, weights=words.length <= 3, minlength=n), lines.n_tokens),
        "frequent_word_share": _safe_div(np.bincount(words.owner, weights=frequent[pair_of_token], minlength=n), lines.n_tokens),
        "log_repeats": np.log1p((copies[copy_of] - 1).astype(np.float64)),
        "later_repeat": (first_copy[copy_of] != np.arange(n)).astype(np.float64),
    }


def _template_repeats(lines: Lines) -> dict[str, np.ndarray]:
    """How many other lines share this short line's template: its punctuation
    plus its first (or last) word. Comment headers ("Re: ... (Score:5, Funny)",
    "Anna says:"), bylines and teaser dates repeat with different names and
    numbers, which exact repeats miss."""
    words, n_tokens = lines.words, lines.n_tokens.astype(np.int64)
    short = (n_tokens > 0) & (n_tokens <= TEMPLATE_TOKENS)
    punct = np.zeros(lines.n, dtype=np.int64)
    punct[short] = _ids(_punctuation([lines.stripped[i] for i in np.flatnonzero(short)]))
    out = {}
    for name, token in (("first", lines.first_token), ("last", lines.first_token + n_tokens - 1)):
        repeats = np.zeros(lines.n)
        if short.any():
            word = words.ids[token[short]]
            doc_word = np.unique(lines.doc[short] * max(len(words.vocabulary), 1) + word, return_inverse=True)[1].reshape(-1)
            template = np.unique(doc_word * lines.n + punct[short], return_inverse=True)[1].reshape(-1)
            repeats[short] = np.bincount(template)[template] - 1
        out[f"log_template_{name}"] = np.log1p(repeats)
    return out


def _punctuation(texts: list[str]) -> list[str]:
    """Each text without its ``\\w`` and ``\\s`` characters (``re.sub(r"[\\w\\s]+", "", text)``; no text
    holds a "\\n"), all texts at once on their code points: a regex call per line cost more."""
    joined, kept = "\n".join(texts), []
    for start in range(0, len(joined), TOKENISE_CHARS):  # a character at a time, so any cut will do
        code = _code_points(joined[start:start + TOKENISE_CHARS])
        drop = _regex_word(code)
        drop |= _regex_classes()[1][code.astype(np.uint16)] & (code <= 0xFFFF) & (code != 10)
        kept.append(code[~drop].tobytes().decode("utf-32-le", "surrogatepass"))
    return "".join(kept).split("\n") if texts else []


def topic(lines: Lines) -> dict[str, np.ndarray]:
    """How much of a line's vocabulary the rest of the document shares.

    A fluent paragraph about another story shares few content words with the
    article around it; body paragraphs share many.
    """
    n, words = lines.n, lines.words
    size = max(len(words.vocabulary), 1)
    content = (words.length >= CONTENT_WORD_LENGTH) & ~words.numeric
    # one (line, word) pair per distinct content word of a line
    keys = np.sort(words.owner[content].astype(np.int64) * size + words.ids[content])  # sort + neighbour test: np.unique's hashing is slow on large documents
    pairs = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    owner, ids = pairs // size, pairs % size
    doc = lines.doc[owner]
    word_in_doc = np.unique(doc * size + ids, return_inverse=True)[1].reshape(-1)  # (document, word) pairs
    long_line = (lines.n_tokens >= LONG_LINE_TOKENS).astype(np.float64)
    in_lines = np.bincount(word_in_doc)  # lines of the document containing each word
    in_long = np.bincount(word_in_doc, weights=long_line[owner])
    elsewhere = in_lines[word_in_doc] > 1
    elsewhere_long = in_long[word_in_doc] - long_line[owner] > 0
    per_line = np.bincount(owner, minlength=n).astype(np.float64)
    # the first line with content words of each document: usually the headline
    first = np.full(len(lines.offsets) - 1, -1)
    opens = np.concatenate(([True], doc[1:] != doc[:-1])) if len(doc) else np.zeros(0, dtype=bool)
    first[doc[opens]] = owner[opens]
    in_first = np.zeros(len(in_lines), dtype=bool)
    in_first[word_in_doc[owner == first[doc]]] = True
    with_first = in_first[word_in_doc] & (owner != first[doc])
    return {
        "shared_words": _safe_div(np.bincount(owner, weights=elsewhere, minlength=n), per_line),
        "shared_with_long": _safe_div(np.bincount(owner, weights=elsewhere_long, minlength=n), per_line),
        "log_content_words": np.log1p(per_line),
        "title_overlap": _safe_div(np.bincount(owner, weights=with_first, minlength=n), per_line),
    }


def _cue_buckets(vocabulary: list[str]) -> np.ndarray:
    """Each word's bucket: CRC-32 of its UTF-8 modulo ``CUE_BUCKETS``, computed afresh for each
    batch (looking words up in a cache, ``lru_cache`` or dict, cost more than the CRC-32 itself)."""
    return np.fromiter((zlib.crc32(word.encode("utf-8", "surrogatepass")) % CUE_BUCKETS for word in vocabulary),
                       dtype=np.int64, count=len(vocabulary))


def cues(lines: Lines) -> dict[str, np.ndarray]:
    """The line's words hashed into ``CUE_BUCKETS`` columns, each the share of the line's tokens.

    Words like "reply", "share" or "advertisement" mark noise in short lines.
    Hashing (CRC-32, stable across processes) keeps the features independent
    of any word list or language: the model learns which buckets matter.
    """
    n, words = lines.n, lines.words
    bucket = _cue_buckets(words.vocabulary)
    # the table is mostly zeros: count each (bucket, line) pair that occurs and divide only those
    cell, counts = np.unique(bucket[words.ids] * n + words.owner, return_counts=True)
    table = np.zeros(CUE_BUCKETS * n)
    table[cell] = counts / np.maximum(lines.n_tokens, 1)[cell % n]
    table = table.reshape(CUE_BUCKETS, n)  # a row per bucket: columns of the matrix
    return {f"cue_{b}": table[b] for b in range(CUE_BUCKETS)}


def position(lines: Lines, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where the line sits: in the document and relative to its long, sentence-like core."""
    index = lines.index.astype(np.float64)
    size = (lines.end - lines.start).astype(np.float64)  # lines in the document
    chars = np.expm1(base["log_chars"])
    core = np.flatnonzero((lines.n_tokens >= LONG_LINE_TOKENS) & (base["ends_terminal"] > 0))
    line = np.arange(lines.n)
    padded = np.concatenate([[-1], core, [lines.n]])  # sentinels: no core line before, none after
    after = padded[np.searchsorted(core, line, side="left") + 1]  # the first core line at or after each line
    before = padded[np.searchsorted(core, line, side="right")]    # the last one at or before it
    has_after, has_before = after < lines.end, before >= lines.start  # ... in the line's document
    nearest = np.minimum(np.where(has_after, after - line, np.inf), np.where(has_before, line - before, np.inf))
    has_core = has_after | has_before
    return {
        "relative_position": index / np.maximum(size - 1, 1),
        "chars_before": lines.sum_before(chars) / np.maximum(lines.per_doc_sum(chars), 1),
        "log_from_start": np.log1p(index),
        "log_from_end": np.log1p(size - 1 - index),
        "log_lines": np.log1p(size),
        "before_core": (has_core & ~has_before).astype(np.float64),
        "after_core": (has_core & ~has_after).astype(np.float64),
        "log_core_distance": np.log1p(np.where(has_core, nearest, size)),
    }


def prose_blocks(lines: Lines, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The run of prose a line belongs to, measured against the document's others.

    An article is usually one long run of prose lines; comments and teasers
    are many short runs cut apart by headers, bylines and buttons. A block is
    a run of prose lines (``PROSE_TOKENS`` words or more, or ``PROSE_CHARS``
    characters for scripts without spaces) with at most ``gap`` other lines
    between two of them, inside one document.
    """
    n = lines.n
    chars = np.expm1(base["log_chars"])
    prose = (lines.n_tokens >= PROSE_TOKENS) | (chars >= PROSE_CHARS)
    weight = np.where(prose, chars, 0.0)
    out = {"prose_before": lines.sum_before(weight) / np.maximum(lines.per_doc_sum(weight), 1)}
    where = np.flatnonzero(prose)
    if not len(where):
        return {**out, **{f"block_share_gap{gap}": np.zeros(n) for gap in BLOCK_GAPS}}
    index = np.arange(n)
    previous = np.searchsorted(where, index, side="right") - 1  # the last prose line at or before each line
    has_previous, previous = previous >= 0, np.maximum(previous, 0)
    has_previous &= where[previous] >= lines.start  # ... of the same document
    following = np.minimum(previous + 1, len(where) - 1)
    new_doc = np.concatenate([[False], lines.doc[where[1:]] != lines.doc[where[:-1]]])
    for gap in BLOCK_GAPS:
        block = np.concatenate([[0], np.cumsum((np.diff(where) > gap + 1) | new_doc[1:])])
        sizes = np.bincount(block, weights=weight[where])
        block_doc = lines.doc[where[np.searchsorted(block, np.arange(len(sizes)))]]
        largest = np.zeros(len(lines.offsets) - 1)
        np.maximum.at(largest, block_doc, sizes)
        # a line is in a block if it is one of its prose lines or lies between two of them
        member = has_previous & ((where[previous] == index) | ((previous + 1 < len(where)) & (block[following] == block[previous])))
        out[f"block_share_gap{gap}"] = np.divide(sizes[block[previous]], largest[lines.doc], out=np.zeros(n), where=member)
    return out


# The per-line features whose neighbourhood is summarised by ``context``.
CONTEXT_OF = (
    "log_words", "ends_terminal", "short_word_share", "frequent_word_share", "shared_words",
    "digit_ratio", "capitalised_words", "urls", "starts_bullet", "punct_ratio", "times", "years",
    "log_template_first", "log_template_last",
)


def window_mean(values: np.ndarray, width: int, ahead: int | None = None) -> np.ndarray:
    """Mean over lines i-width..i+ahead (``ahead`` defaults to ``width``), along axis 0, clipped at the
    first and last rows (one document's lines)."""
    return window_means(values.T, [(width, ahead)])[0].T


def window_means(values: np.ndarray, windows: Sequence[tuple[int, int | None]],
                 start: np.ndarray | None = None, end: np.ndarray | None = None) -> list[np.ndarray]:
    """``window_mean`` for each (width, ahead) of ``windows``, but along the *last* axis (a row
    per feature, as the feature matrix is filled), all from one cumulative sum."""
    n = values.shape[-1]
    padded = np.zeros(values.shape[:-1] + (n + 1,))
    np.cumsum(values, axis=-1, out=padded[..., 1:])
    index = np.arange(n)
    means = []
    for width, ahead in windows:
        low = np.maximum(index - width, 0 if start is None else start)
        high = np.minimum(index + (width if ahead is None else ahead) + 1, n if end is None else end)
        means.append((padded[..., high] - padded[..., low]) / (high - low))
    return means


def shift(values: np.ndarray, by: int, start: np.ndarray | None = None, end: np.ndarray | None = None) -> np.ndarray:
    """values[i - by], zeros past the edges (by > 0: the previous lines) of each row's
    document: rows ``start[i]:end[i]`` (default: all rows are one document)."""
    if by == 0:
        return values.copy()
    out = np.zeros_like(values)
    if by > 0:
        out[by:] = values[:-by]
    elif by < 0:
        out[:by] = values[-by:]
    if start is not None and len(values):
        source = np.arange(len(values)) - by
        outside = (source < start) | (source >= end)
        out[outside] = 0
    return out


def context(lines: Lines, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same features on neighbouring lines: previous, next, centred and one-sided window means."""
    rows = np.array([base[name] for name in CONTEXT_OF])  # a row per feature: each a contiguous column of the matrix
    blocks = {"prev": lines.shift(rows.T, 1).T, "next": lines.shift(rows.T, -1).T}  # shift keeps the layout
    windows = {f"win{width}": (width, width) for width in WINDOWS}
    windows.update({f"back{ONE_SIDED}": (ONE_SIDED, 0), f"ahead{ONE_SIDED}": (0, ONE_SIDED)})
    blocks.update(zip(windows, lines.window_means(rows, list(windows.values()))))
    return {f"{kind}_{name}": block[j] for kind, block in blocks.items() for j, name in enumerate(CONTEXT_OF)}


def batch_feature_dict(docs: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    """All feature families for a batch of documents, each given as its non-blank lines; rows one document after another."""
    lines = Lines.of(docs)
    lines.words  # tokenised before the code-point arrays exist: a huge line's peaks do not add up
    base: dict[str, np.ndarray] = {}
    for family in (characters, shape, patterns, vocabulary, topic):
        base.update(family(lines))
    base.update(position(lines, base))
    base.update(prose_blocks(lines, base))
    base.update(context(lines, base))
    base.update(cues(lines))
    return base


def feature_dict(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """All feature families for the non-blank lines ``texts`` of one document."""
    return batch_feature_dict([texts])


def featurize_batch(docs: Sequence[Sequence[str]]) -> np.ndarray:
    """The feature matrix (lines x ``feature_names()``) of a batch of documents' non-blank
    lines, one document after another; each document's rows are those ``featurize`` gives it alone."""
    docs = [d for d in docs if len(d)]
    out = np.empty((len(feature_names()), sum(map(len, docs))))  # filled by rows, returned transposed: no strided writes
    start = 0
    for part in batches(docs, size=lambda d: (len(d), 0), lines=FEATURE_LINES):
        columns = batch_feature_dict(part).values()
        end = start + sum(map(len, part))
        for row, column in zip(out, columns):
            row[start:end] = column
        start = end
    return out.T


def featurize(texts: Sequence[str]) -> np.ndarray:
    """The feature matrix (lines x ``feature_names()``) of one document's non-blank lines."""
    return featurize_batch([texts])


@functools.lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    return tuple(feature_dict(["Feature names.", "Second line."]).keys())


def feature_names() -> list[str]:
    return list(_names())
