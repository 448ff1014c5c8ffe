"""What site memory buys and costs (``noisecut/sites.py``).

    python -m training.site_memory_eval --corpus /tmp/corpus     # test/<dataset>/html_text/*.lines

The memory counts every page of the corpus by its site (the ``site`` of its
labeled file, as a crawl's URL host would give it). Each page is then cleaned
by the shipped model with and without the memory; scores are text-level F1
against the gold main content, averaged over pages, for pages of sites with
at least ``sites.MIN_PAGES`` pages (where the memory speaks) and for the
others (single pages: unchanged by construction). Also printed: pages per
second of counting, and of cleaning with the memory against without.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from noisecut.cleaner import Cleaner
from noisecut.labeled import read_all
from noisecut.policy import select
from noisecut.scoring import text_scores
from noisecut.sites import CONFIDENT, MIN_PAGES, SHARE_DEFAULT, SiteMemory, demote

from .adapt_eval import RENDERER, gold_of
from .datasets import DATASETS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.site_memory_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="corpus with <split>/<dataset>/html_text/")
    parser.add_argument("--split", default="test")
    parser.add_argument("--shares", default=f"{SHARE_DEFAULT}", help="comma-separated share thresholds to try")
    parser.add_argument("--confident", default=f"{CONFIDENT}", help="comma-separated confidence levels to try")
    parser.add_argument("--root", type=Path, default=DATASETS)
    args = parser.parse_args(argv)

    docs = read_all(sorted((args.corpus / args.split).glob(f"*/{RENDERER}/*.lines")))
    golds = {doc.meta["id"]: gold_of(doc, args.root) for doc in docs}
    pages = Counter(doc.meta.get("site") for doc in docs)
    start = time.perf_counter()
    memory = SiteMemory()
    for doc in docs:
        memory.add(doc.meta.get("site", ""), doc.doc.lines)
    counting = time.perf_counter() - start

    cleaner = Cleaner()
    start = time.perf_counter()
    decided = [decision for _, _, decision in cleaner._decide(doc.doc for doc in docs)]
    cleaning = time.perf_counter() - start
    start = time.perf_counter()
    shares = [memory.shares(doc.meta.get("site", ""), [doc.doc.lines[i] for i in content])
              for doc, (content, _, _, _) in zip(docs, decided)]
    looking_up = time.perf_counter() - start

    def f1(doc, content, keep_score, share=None, confident=None) -> float:
        texts = [doc.doc.lines[i] for i in content]
        if share is not None:
            keep_score = demote(keep_score, shares_of[doc.meta["id"]], share, confident)
        kept = select(texts, keep_score, cleaner.policy) if texts else []
        return text_scores("\n".join(t for t, k in zip(texts, kept) if k), golds[doc.meta["id"]]).f1

    shares_of = {doc.meta["id"]: s for doc, s in zip(docs, shares)}
    many = [i for i, doc in enumerate(docs) if pages[doc.meta.get("site")] >= MIN_PAGES]
    single = [i for i in range(len(docs)) if i not in set(many)]
    base = [f1(docs[i], d[0], d[2]) for i, d in enumerate(decided)]
    print(f"{len(docs)} {RENDERER} pages of the {args.split} split: {len(many)} on {sum(1 for n in pages.values() if n >= MIN_PAGES)} "
          f"sites with >= {MIN_PAGES} pages, {len(single)} on sites with fewer")
    print("| share | confident | F1, many pages per site | changed pages | F1, fewer pages | all |")
    print("|---|---|---|---|---|---|")
    print(f"| no memory | | {np.mean([base[i] for i in many]):.4f} | | {np.mean([base[i] for i in single]):.4f} | {np.mean(base):.4f} |")
    for share in map(float, args.shares.split(",")):
        for confident in map(float, args.confident.split(",")):
            with_memory = [f1(docs[i], d[0], d[2], share, confident) for i, d in enumerate(decided)]
            changed = sum(abs(a - b) > 1e-12 for a, b in zip(with_memory, base))
            print(f"| {share} | {confident} | {np.mean([with_memory[i] for i in many]):.4f} | {changed} | "
                  f"{np.mean([with_memory[i] for i in single]):.4f} | {np.mean(with_memory):.4f} |")
    print(f"\ncounting: {len(docs) / counting:.0f} pages/s; cleaning {len(docs) / cleaning:.0f} pages/s, "
          f"the memory's look-ups add {100 * looking_up / cleaning:.1f}%; memory {memory.counts.nbytes / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
