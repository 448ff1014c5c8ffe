"""The site gate's routing on a corpus split, without training: which pages a ``--from`` model would
send through its tuned weights.

    python -m training.site_gate_check --split dev     # a check of the rule on sites it was not chosen on

A site expert's fingerprint depends on the labeled pages alone (``sites.fingerprint``), so the
routing needs no fine-tuning. Every site with at least ``--min-pages`` pages in one dataset is a
column, as in ``training.adapt_eval``: five of its pages (the same seeded draw) make the
fingerprint; the script counts its other pages routed to the expert, and every page of the other
sites routed to it (false routes).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from noisecut.labeled import read_all
from noisecut.model import SiteExpert
from noisecut.sites import site_fingerprint

from .adapt_eval import LABELED_PAGES, MIN_PAGES, RENDERER, column_of, content_lines, site_columns
from .build_corpus import DEFAULT_OUT


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--split", default="dev", choices=("train", "dev", "test"))
    parser.add_argument("--min-pages", type=int, default=MIN_PAGES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    docs = read_all(sorted((args.corpus / args.split).glob(f"*/{RENDERER}/*.lines")))
    columns = site_columns(docs, args.min_pages, LABELED_PAGES, args.seed)
    if not columns:
        parser.error(f"no site with {args.min_pages} or more pages in {args.corpus / args.split}")
    held = routed = false = checks = 0
    for site, (labeled, rest) in columns.items():
        expert = SiteExpert(None, site_fingerprint(labeled))  # routing reads the fingerprint only: no tuned stage
        others = [d for d in docs if column_of(d) != site]
        site_routed = sum(expert.recognises(content_lines(d)) for d in rest)
        site_false = sum(expert.recognises(content_lines(d)) for d in others)
        print(f"{site}: {site_routed}/{len(rest)} held-out pages routed, {site_false}/{len(others)} other pages "
              f"(fingerprint {len(expert.fingerprint)} lines)")
        held, routed, false, checks = held + len(rest), routed + site_routed, false + site_false, checks + len(others)
    print(f"{len(columns)} sites: {routed}/{held} held-out pages routed; {false}/{checks} false routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
