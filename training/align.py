"""Label rendered lines by their overlap with the gold content.

Both sides are normalised (entities, NFKC, case, punctuation, whitespace) and
tokenised (words; CJK characters one by one). Gold tokens form one stream,
each token carrying the label of its gold block; its 3-gram shingles are
indexed. A rendered line is gold if enough of its tokens are covered by gold
shingles (short lines: if its tokens occur in the gold in sequence), with the
majority label of the gold tokens it hits; otherwise it is noise.

Order settles ambiguity. The gold reads roughly in page order, so the lines
that align to one place in the gold fix a monotone path through it (the
heaviest run of lines whose gold positions increase). Any other line is gold
only where it fits, in order, between its neighbours on that path, so "Share"
in a menu is not pulled into the body because the word occurs somewhere in the
article. A line that repeats gold already claimed by another line (a teaser of
the lead, the headline in the <title>) is noise; a repeated title stays title. Where
both could take the same gold in the same gap of the path, a line that is all
gold takes it from the line fitted just before it that only partly is
("Headline - Site" in the <title>, then the headline).
Long lines off the path that align to unclaimed gold are kept (reordered text).
"""
from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from noisecut.labels import Label

K = 3  # shingle size
MIN_COVERAGE = 0.5  # share of a line's tokens that must be covered by gold shingles
STRONG_TOKENS = 6  # off the path, lines this long with one place in the gold are kept (reordered text)
SLACK = 2  # tokens of play when fitting a weak line between its neighbours
MAIN = frozenset({Label.BODY, Label.HEADING})  # what the quality number measures

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_LIST_MARK = re.compile(r"^\s*\d{1,3}[.)]\s+")  # "2. Subversive": renderers number <ol> items


def tokens(text: str) -> list[str]:
    """Normalised word tokens: entities decoded, NFKC, lowercase, punctuation dropped."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).lower()
    return _TOKEN.findall(text)


@dataclass
class Match:
    """Where one rendered line sits in the gold."""

    line: int  # index into the rendered lines
    size: int  # tokens in the line
    positions: dict[int, int]  # line token -> gold token it is aligned to
    start: int  # gold position of the best alignment's first token
    end: int  # gold position after its last token
    alternatives: list[dict[int, int]]  # equally good alignments (repeated gold text)

    @property
    def coverage(self) -> float:
        return len(self.positions) / self.size


class Gold:
    """The gold token stream with its labels and a shingle index."""

    def __init__(self, blocks: list[tuple[str, Label]]):
        self.tokens: list[str] = []
        self.labels: list[Label] = []
        for text, label in blocks:
            words = tokens(text)
            self.tokens += words
            self.labels += [label] * len(words)
        self.shingles: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i in range(len(self.tokens) - K + 1):
            self.shingles[tuple(self.tokens[i:i + K])].append(i)
        self.words: dict[str, list[int]] = defaultdict(list)
        for i, word in enumerate(self.tokens):
            self.words[word].append(i)

    def match(self, index: int, words: list[str]) -> Match | None:
        if len(words) < K:
            return self._match_short(index, words)
        hits: dict[int, list[int]] = defaultdict(list)  # diagonal (gold - line) -> line shingle starts
        for j in range(len(words) - K + 1):
            for i in self.shingles.get(tuple(words[j:j + K]), ()):
                hits[i - j].append(j)
        # a diagonal with a single shingle is a chance hit ("one of the") unless the line is that short
        least = 1 if len(words) <= 5 else 2
        ranked = sorted((item for item in hits.items() if len(item[1]) >= least), key=lambda item: -len(item[1]))
        if not ranked:
            return None
        diagonals = [{j + k: d + j + k for j in starts for k in range(K)} for d, starts in ranked]
        positions: dict[int, int] = {}
        for aligned in diagonals:  # best diagonal first; others fill the gaps
            for j, i in aligned.items():
                positions.setdefault(j, i)
        best = len(ranked[0][1])
        alternatives = sorted((a for a, (_, s) in zip(diagonals, ranked) if len(s) == best),
                              key=lambda a: min(a.values()))
        main = diagonals[0]
        return Match(index, len(words), positions, min(main.values()), max(main.values()) + 1, alternatives)

    def _match_short(self, index: int, words: list[str]) -> Match | None:
        if not words:
            return None
        starts = tuple(i for i in self.words.get(words[0], ()) if self.tokens[i:i + len(words)] == words)
        if not starts:
            return None
        alternatives = [{j: start + j for j in range(len(words))} for start in starts]
        return Match(index, len(words), alternatives[0], starts[0], starts[0] + len(words), alternatives)


def _increasing_run(matches: list[Match]) -> list[Match]:
    """The heaviest run of matches (weight: contiguously aligned tokens) whose gold starts strictly increase.

    A Fenwick tree over the start positions holds, for each prefix, the best run so far.
    """
    starts = sorted({m.start for m in matches})
    rank = {start: r + 1 for r, start in enumerate(starts)}
    tree: list[tuple[int, int]] = [(0, -1)] * (len(starts) + 1)  # (weight, index of last match)
    previous: list[int] = []
    best = (0, -1)
    for n, match in enumerate(matches):
        r, prefix = rank[match.start] - 1, (0, -1)
        while r > 0:  # best run ending before this start
            prefix = max(prefix, tree[r])
            r -= r & -r
        previous.append(prefix[1])
        entry = (prefix[0] + match.end - match.start, n)
        best = max(best, entry)
        r = rank[match.start]
        while r <= len(starts):
            tree[r] = max(tree[r], entry)
            r += r & -r
    run, n = [], best[1]
    while n >= 0:
        run.append(matches[n])
        n = previous[n]
    return run[::-1]


def _fits(match: Match, low: int, high: int, claimed: set[int]) -> dict[int, int] | None:
    """The first alignment of ``match`` inside gold positions [low - SLACK, high + SLACK)
    that is not mostly claimed by other lines, else None."""
    for positions in match.alternatives:
        inside = min(positions.values()) >= low - SLACK and max(positions.values()) < high + SLACK
        if inside and len(set(positions.values()) & claimed) * 2 <= len(positions):
            return positions
    return None


def _all_of(match: Match, partial: Match) -> dict[int, int] | None:
    """``match``'s alignment to exactly the gold ``partial`` took, if ``match`` is all gold and ``partial``
    has words beyond it ("Headline - Site" in the <title>, then the headline), else None."""
    if partial.coverage == 1 or match.coverage < 1:
        return None
    taken = set(partial.positions.values())
    if len(taken) != match.size:
        return None
    return next((a for a in match.alternatives if set(a.values()) == taken), None)


def align(lines: list[str], blocks: list[tuple[str, Label]] | Gold) -> tuple[list[Label | None], float]:
    """One label per rendered line (None for blank lines) and the alignment quality:
    the share of the gold's body and heading tokens recovered by lines labeled body or heading.

    ``blocks`` may be a prebuilt ``Gold`` (to align several renderings of one page)."""
    gold = blocks if isinstance(blocks, Gold) else Gold(blocks)
    labels: list[Label | None] = [None if not line.strip() else Label.NOISE for line in lines]
    matches = []
    for index, line in enumerate(lines):
        words = tokens(_LIST_MARK.sub("", line))
        match = gold.match(index, words) if words else None
        if match and match.coverage >= MIN_COVERAGE:
            matches.append(match)
    # anchors: lines with one place in the gold, aligned there contiguously for the most part
    anchors = [m for m in matches if m.size >= K and len(m.alternatives) == 1
               and m.end - m.start >= MIN_COVERAGE * m.size]
    path = _increasing_run(anchors)
    on_path = {m.line for m in path}
    claimed = {i for m in path for i in m.positions.values()}
    accepted = list(path)
    # other short or ambiguous lines: in order, between their neighbours on the path
    path_lines = [m.line for m in path]
    last: dict[int, tuple[Match, int]] = {}  # gap between path lines -> the last line fitted there, its gold end
    rest = []
    for match in matches:
        if match.line in on_path:
            continue
        if match.size >= STRONG_TOKENS and len(match.alternatives) == 1:
            rest.append(match)
            continue
        k = bisect.bisect_left(path_lines, match.line)
        previous, low = last.get(k, (None, path[k - 1].end if k else 0))
        high = path[k].start if k < len(path) else len(gold.tokens)
        exact = _all_of(match, previous) if previous else None
        if exact is not None:  # the line that is all gold takes it from the one before that only partly is
            accepted.remove(previous)
            match.positions = exact
            accepted.append(match)
            last[k] = (match, low)
            continue
        positions = _fits(match, low, high, claimed)
        if positions is None or len(positions) < MIN_COVERAGE * match.size:
            continue
        match.positions = positions
        claimed.update(positions.values())
        accepted.append(match)
        last[k] = (match, max(positions.values()) + 1)
    # long lines off the path: reordered text is kept, repeats of claimed text are not
    for match in rest:
        positions = set(match.positions.values())
        if len(positions & claimed) * 2 > len(positions):
            if _label_of(gold, match) == Label.TITLE:
                labels[match.line] = Label.TITLE
            continue
        claimed.update(positions)
        accepted.append(match)
    for match in accepted:
        labels[match.line] = _label_of(gold, match)
    return labels, _quality(gold, accepted, labels)


def _label_of(gold: Gold, match: Match) -> Label:
    return Counter(gold.labels[i] for i in match.positions.values()).most_common(1)[0][0]


def _quality(gold: Gold, accepted: list[Match], labels: list[Label | None]) -> float:
    main = {i for i, label in enumerate(gold.labels) if label in MAIN}
    if not main:
        return 0.0
    found = {i for m in accepted if labels[m.line] in MAIN for i in m.positions.values()}
    return len(found & main) / len(main)
