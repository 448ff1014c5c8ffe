"""Label rendered lines by their overlap with the gold content.

Both sides are normalised (entities, NFKC, case, punctuation, whitespace) and
tokenised (words; CJK characters one by one). Gold tokens form one stream,
each token carrying the label of its gold block; its 3-gram shingles are
indexed. A rendered line is gold if enough of its tokens are covered by gold
shingles (short lines: if its tokens occur in the gold in sequence), with the
majority label of the gold tokens it hits; otherwise it is noise.

Order settles ambiguity. The gold reads roughly in page order, so the long,
unambiguous lines fix a monotone path through the gold (a longest increasing
run of their gold positions). A short or weak line is gold only where it fits
between its neighbours on that path, so "Share" in a menu is not pulled into
the body because the word occurs somewhere in the article; a line that
repeats gold already claimed by a line on the path (a teaser of the lead, the
headline in the <title>) is noise (a repeated title stays title).
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
STRONG_TOKENS = 6  # lines at least this long (and covered) anchor the path
SLACK = 2  # tokens of play when fitting a weak line between its neighbours
MAIN = frozenset({Label.BODY, Label.HEADING})  # what the quality number measures

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


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
        hits: dict[int, dict[int, int]] = defaultdict(dict)  # diagonal -> line token -> gold
        for j in range(len(words) - K + 1):
            for i in self.shingles.get(tuple(words[j:j + K]), ()):
                for k in range(K):
                    hits[i - j].setdefault(j + k, i + k)
        if not hits:
            return None
        positions: dict[int, int] = {}
        ranked = sorted(hits.items(), key=lambda item: -len(item[1]))
        for _, aligned in ranked:  # best diagonal first; others fill the gaps
            for j, i in aligned.items():
                positions.setdefault(j, i)
        best = len(ranked[0][1])
        alternatives = sorted((a for _, a in ranked if len(a) == best), key=lambda a: min(a.values()))
        main = ranked[0][1]
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
    """The longest run of matches whose gold start positions increase (patience sorting)."""
    tails: list[int] = []  # smallest start ending a run of each length
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(matches)
    for n, match in enumerate(matches):
        k = bisect.bisect_left(tails, match.start)
        if k == len(tails):
            tails.append(match.start)
            tail_index.append(n)
        else:
            tails[k] = match.start
            tail_index[k] = n
        previous[n] = tail_index[k - 1] if k else -1
    run, n = [], tail_index[-1] if tail_index else -1
    while n >= 0:
        run.append(matches[n])
        n = previous[n]
    return run[::-1]


def _fits(match: Match, low: int, high: int) -> dict[int, int] | None:
    """An alignment of ``match`` lying within gold positions [low - SLACK, high + SLACK), else None."""
    for positions in match.alternatives:
        if min(positions.values()) >= low - SLACK and max(positions.values()) < high + SLACK:
            return positions
    return None


def align(lines: list[str], blocks: list[tuple[str, Label]]) -> tuple[list[Label | None], float]:
    """One label per rendered line (None for blank lines) and the alignment quality:
    the share of the gold's body and heading tokens recovered by lines labeled body or heading."""
    gold = Gold(blocks)
    labels: list[Label | None] = [None if not line.strip() else Label.NOISE for line in lines]
    matches = []
    for index, line in enumerate(lines):
        words = tokens(line)
        match = gold.match(index, words) if words else None
        if match and match.coverage >= MIN_COVERAGE:
            matches.append(match)
    strong = [m for m in matches if m.size >= STRONG_TOKENS and len(m.alternatives) == 1]
    path = _increasing_run(strong)
    on_path = {m.line for m in path}
    strong_lines = {m.line for m in strong}
    claimed: set[int] = set()
    accepted: list[Match] = []
    for match in path:
        claimed.update(match.positions.values())
        accepted.append(match)
    path_lines = [m.line for m in path]
    for match in matches:
        if match.line in on_path:
            continue
        positions = set(match.positions.values())
        if match.line in strong_lines:  # reordered or repeated text: keep unless a repeat
            if len(positions & claimed) * 2 > len(positions):
                if _label_of(gold, match) == Label.TITLE:
                    labels[match.line] = Label.TITLE
                continue
        else:  # weak: must fit between its neighbours on the path
            k = bisect.bisect_left(path_lines, match.line)
            low = path[k - 1].end if k else 0
            high = path[k].start if k < len(path) else len(gold.tokens)
            positions = _fits(match, low, high)
            if positions is None or len(set(positions.values()) & claimed) * 2 > len(positions):
                continue
            match.positions = positions
            if len(positions) < MIN_COVERAGE * match.size:
                continue
        claimed.update(match.positions.values())
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
