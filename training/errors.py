"""Which noise the model keeps: false-keep lines bucketed by kind and by position.

    python -m training.errors --split dev                 # the shipped model
    python -m training.errors --split dev --model DIR --examples 5

A false keep is a line the gold does not keep (not ``body``/``heading``)
that the model keeps. Its position is taken against the page's body span
(the first to the last gold body line): before it, inside it, after it, or
on a page without body. Its kind is the first of these that fits (issue 13's
(a)-(d); most corpora only say "not body", so the text and the position
decide where the gold label does not):

* ``comments``: gold ``comments``, or after the body with a comment cue
  ("reply", "says:", "wrote:", "N comments" ...);
* ``caption``: a caption or credit cue (photo, image, credit, Getty,
  Reuters, AP, AFP, ©, "Photograph:" ...) in a line under ``CAPTION_WORDS``
  words, or in a gold ``meta`` line;
* ``legal``: gold ``legal``, or outside the body with a legal, newsletter
  or fine-print cue (privacy, terms, ©, affiliate, subscribe, offer ...);
* ``teaser``: gold ``related``/``unrelated``, or prose outside the body
  (``TEASER_WORDS`` words or more, a CJK character counting half a word):
  another story's headline and summary;
* ``edge``: a short line outside the body within ``EDGE_LINES`` lines of
  it: section heads, "read also", newsletter prompts, bylines;
* ``inside``: any other line inside the body span (inline promos, stray
  labels); ``outside``: any other line outside it.

Counts are lines and tokens (``training.align.tokens``: words, CJK
characters one by one); tokens are what costs text-level precision.
``--examples`` prints lines of the split to the terminal for reading; they
are dataset text: never commit them.
"""
from __future__ import annotations

import random
import re
import sys
from collections import Counter, defaultdict

from noisecut.labels import KEEP_DEFAULT, Label

from .align import tokens
from .calibration import Classified, classified, group_names, split_parser

KINDS = ("teaser", "caption", "edge", "comments", "legal", "inside", "outside")
POSITIONS = ("before", "inside", "after", "no body")
TEASER_WORDS = 10  # words: a line outside the body this long is prose, not a label
CAPTION_WORDS = 25  # words: a caption or credit is shorter (a bio that mentions photos is not one)
EDGE_LINES = 5     # a short line this close to the body's first or last line is at its edge

COMMENT_CUE = re.compile(r"\b(repl(y|ies)|says:|said:|wrote:|comments?\b|commented|responses?|"
                         r"\d+ (minutes?|hours?|days?|weeks?|months?|years?) ago|log ?in to|sign in to|upvote|"
                         r"permalink|report abuse)|回复|评论|楼主|沙发", re.I)
LEGAL_CUE = re.compile(r"\b(privacy|terms (of|and) (use|service)|cookies?|copyright|all rights reserved|trademarks?|"
                       r"permission|disclaimer|affiliate|commission|recaptcha|subscribe|newsletter|sign up|"
                       r"unsubscribe|terms apply|eligible|offer (valid|available)|apr)\b|©|®|†|版权|隐私|免责", re.I)
CAPTION_CUE = re.compile(r"\b(photo(graph)?s?|image|picture|pictured|credit|getty|reuters|ap photo|afp|"
                         r"shutterstock|istock|illustration|caption|courtesy|file photo|via)\b|©|图片|图为|摄", re.I)


def position(index: int, body: list[int]) -> str:
    if not body:
        return "no body"
    return "before" if index < body[0] else "after" if index > body[-1] else "inside"


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def words(text: str) -> float:
    """Word tokens, a CJK character counting half a word (Chinese words average about two)."""
    toks = tokens(text)
    cjk = sum(1 for t in toks if _CJK_CHAR.fullmatch(t))
    return len(toks) - cjk / 2


def kind(text: str, gold: Label, where: str, index: int, body: list[int]) -> str:
    """The bucket of one false-keep line (see the module's docstring)."""
    n = words(text)
    outside = where != "inside"
    if gold == Label.COMMENTS or (where == "after" and COMMENT_CUE.search(text)):
        return "comments"
    if CAPTION_CUE.search(text) and (gold == Label.META or n < CAPTION_WORDS):
        return "caption"
    if gold == Label.LEGAL or (outside and LEGAL_CUE.search(text)):
        return "legal"
    if gold in (Label.RELATED, Label.UNRELATED) or (outside and n >= TEASER_WORDS):
        return "teaser"
    if outside and body and min(abs(index - body[0]), abs(index - body[-1])) <= EDGE_LINES:
        return "edge"
    return "inside" if not outside else "outside"


def false_keeps(doc: Classified):
    """(kind, position, gold label, tokens, text) of every false-keep line of a document."""
    observed = doc.observed
    body = [i for i, keep in enumerate(observed) if keep]
    for i, (text, gold, kept) in enumerate(zip(doc.lines, doc.gold, doc.kept)):
        if kept and gold not in KEEP_DEFAULT:
            where = position(i, body)
            yield kind(text, gold, where, i, body), where, gold, len(tokens(text)), text


def tally(docs: list[Classified]) -> dict:
    """Counts of false keeps (lines, tokens) by kind x position, by kind x group, by gold label;
    and the kept tokens per group, against which the false-keep tokens are a share."""
    lines, toks = Counter(), Counter()
    by_group, kept_tokens, gold_labels = defaultdict(Counter), Counter(), Counter()
    for doc in docs:
        groups = group_names(doc.meta)
        for group in groups:
            kept_tokens[group] += sum(len(tokens(t)) for t, k in zip(doc.lines, doc.kept) if k)
        for kind_, where, gold, n, _ in false_keeps(doc):
            lines[(kind_, where)] += 1
            toks[(kind_, where)] += n
            gold_labels[(kind_, gold.value)] += 1
            for group in groups:
                by_group[group][kind_] += n
    return {"lines": lines, "tokens": toks, "by_group": by_group, "kept_tokens": kept_tokens, "gold": gold_labels}


def format_tally(t: dict) -> str:
    out = ["False keeps by kind and position: lines (tokens)", "",
           "| kind | " + " | ".join(POSITIONS) + " | all lines | all tokens |", "|---|" + "---:|" * (len(POSITIONS) + 2)]
    for k in KINDS:
        cells = [f"{t['lines'][(k, p)]} ({t['tokens'][(k, p)]})" for p in POSITIONS]
        out.append(f"| {k} | " + " | ".join(cells) +
                   f" | {sum(t['lines'][(k, p)] for p in POSITIONS)} | {sum(t['tokens'][(k, p)] for p in POSITIONS)} |")
    out += ["", "False-keep tokens per group, as a share of the tokens the model keeps there", "",
            "| group | kept tokens | " + " | ".join(KINDS) + " | all |", "|---|---:|" + "---:|" * (len(KINDS) + 1)]
    for group in sorted(t["by_group"], key=lambda g: (":" in g, g)):
        kept = t["kept_tokens"][group] or 1
        counts = t["by_group"][group]
        cells = [f"{counts[k] / kept:.3f}" for k in KINDS]
        out.append(f"| {group} | {t['kept_tokens'][group]} | " + " | ".join(cells) + f" | {sum(counts.values()) / kept:.3f} |")
    out += ["", "Gold labels of the false keeps (lines): " +
            ", ".join(f"{k}/{g} {n}" for (k, g), n in sorted(t["gold"].items(), key=lambda kv: -kv[1]))]
    return "\n".join(out)


def examples(docs: list[Classified], per_kind: int, seed: int = 0) -> str:
    """``per_kind`` false-keep lines of each kind, from documents drawn at random (``seed``)."""
    shown, out = Counter(), []
    for doc in random.Random(seed).sample(docs, len(docs)):
        for kind_, where, gold, _, text in false_keeps(doc):
            if shown[kind_] < per_kind:
                shown[kind_] += 1
                out.append(f"{kind_}\t{where}\t{gold.value}\t{doc.meta.get('id', '')}\t{text[:160]}")
    return "\n".join(sorted(out))


def main(argv=None) -> int:
    parser = split_parser("python -m training.errors", __doc__)
    parser.add_argument("--examples", type=int, default=0, metavar="N", help="print N false-keep lines per kind (dataset text: do not commit)")
    args = parser.parse_args(argv)
    docs = classified(parser, args)
    print(format_tally(tally(docs)))
    if args.examples:
        print("\n" + examples(docs, args.examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
