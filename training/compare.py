"""How far apart two models are on the same documents, with a confidence interval.

    python -m training.evaluate --split test --renderers html_text --model A --documents a.jsonl
    python -m training.evaluate --split test --renderers html_text --model B --documents b.jsonl
    python -m training.compare a.jsonl b.jsonl
    python -m training.compare b.jsonl b.jsonl --systems trafilatura_html,noisecut   # B against trafilatura
    python -m training.compare a0.jsonl,a1.jsonl b0.jsonl,b1.jsonl   # two seeds of each recipe: their mean per page

For each table row (overall, dataset, page type, language group, renderer):
the documents both files scored, the mean F1 of each model, the difference
(B - A) and its 95% interval from a bootstrap that resamples whole sites
(pages of one site err together, so resampling pages would understate the
spread). A difference whose interval holds 0 is not one these documents
can tell from chance; and the interval holds only the documents' chance,
not the training's: another seed of the same recipe moves a model too
(docs/experiments.md, The HTML model). So each side may be several files, comma-separated:
the folds of a cross-validation (each file its own pages) and the draws of
a recipe (seeds: the same pages again), each page's F1 the mean of its
draws; every page of a side must have the same number of draws.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from .evaluate import row_order

ROUNDS = 2000
SYSTEMS = "noisecut,noisecut"  # the system read from A's file, and from B's


def read_documents(paths: Path | Sequence[Path], system: str) -> dict[tuple[str, str], dict]:
    """(page, renderer) -> {"site", "rows", "f1"}: one model's F1 per document (``evaluate --documents``),
    the mean over the files that score it (draws of one recipe), which must be as many for every document
    (a fold missing from every draw is not seen: its pages are simply not compared)."""
    paths = [Path(paths)] if isinstance(paths, (str, Path)) else list(paths)
    if len(set(paths)) < len(paths):
        raise ValueError(f"{','.join(map(str, paths))}: a file given twice would count its pages twice")
    documents, draws = {}, defaultdict(list)
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                try:
                    record = json.loads(line)
                    key = (record["page"], record["renderer"])
                    documents.setdefault(key, {"site": record["site"], "rows": record["rows"]})
                    draws[key].append(float(record["f1"][system]))
                except (ValueError, KeyError, TypeError) as error:
                    raise ValueError(f"{path}: line {number}: not a document of training.evaluate --documents "
                                     f"with system {system!r} ({error!r})") from None
    counts = Counter(len(f1) for f1 in draws.values())
    if len(counts) > 1:
        fewest = min(counts)
        key = next(key for key, f1 in draws.items() if len(f1) == fewest)
        raise ValueError(f"{','.join(map(str, paths))}: {key[0]} ({key[1]}) is in {fewest} of the files, other documents in "
                         f"{max(counts)}: give every draw of the recipe on the same pages")
    for key, f1 in draws.items():
        documents[key]["f1"] = sum(f1) / len(f1)
    return documents


def site_bootstrap(a: np.ndarray, b: np.ndarray, sites: list[str], rounds: int = ROUNDS, seed: int = 0) -> tuple[float, float]:
    """95% interval of mean(b) - mean(a) over documents, resampling sites with replacement."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, site in enumerate(sites):
        index[site].append(i)
    groups = list(index.values())
    sums = np.array([(b[g] - a[g]).sum() for g in groups])
    counts = np.array([len(g) for g in groups])
    draws = np.random.default_rng(seed).integers(0, len(groups), size=(rounds, len(groups)))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def compare(a: dict, b: dict, rounds: int = ROUNDS) -> list[dict]:
    """One entry per table row: documents, mean F1 of each, the difference and its interval."""
    shared = sorted(a.keys() & b.keys())
    by_row: dict[str, list] = defaultdict(list)
    for key in shared:
        for row in a[key]["rows"]:
            by_row[row].append(key)
    table = []
    for row, keys in sorted(by_row.items(), key=lambda kv: row_order(kv[0])):
        fa, fb = np.array([a[k]["f1"] for k in keys]), np.array([b[k]["f1"] for k in keys])
        sites = [a[k]["site"] for k in keys]
        low, high = site_bootstrap(fa, fb, sites, rounds)
        table.append({"row": row, "documents": len(keys), "sites": len(set(sites)),
                      "a": float(fa.mean()), "b": float(fb.mean()), "difference": float((fb - fa).mean()),
                      "low": low, "high": high})
    return table


def file_list(value: str) -> list[Path]:
    return [Path(p) for p in value.split(",") if p]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=file_list, help="documents of model A (training.evaluate --documents); several files, "
                        "comma-separated: folds and draws (seeds) of one recipe, each page's F1 the mean of its draws")
    parser.add_argument("b", type=file_list, help="documents of model B, scored on the same split (files as for A)")
    parser.add_argument("--systems", default=SYSTEMS, metavar="A,B",
                        help=f"the system to read from each file (default {SYSTEMS}; the baselines too, e.g. trafilatura_html)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"bootstrap rounds (default {ROUNDS})")
    args = parser.parse_args(argv)
    systems = args.systems.split(",")
    if len(systems) != 2:
        parser.error(f"--systems takes two names, A's and B's, not {args.systems!r}")
    try:
        a, b = read_documents(args.a, systems[0]), read_documents(args.b, systems[1])
    except OSError as error:
        parser.error(f"{error.filename}: {error.strerror}")
    except ValueError as error:
        parser.error(str(error))
    table = compare(a, b, args.rounds)
    if not table:
        parser.error("the two files share no document: score both on the same split and renderers")
    print("| rows | docs | sites | A | B | B - A | 95% interval (sites resampled) |")
    print("|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['row']} | {r['documents']} | {r['sites']} | {r['a']:.3f} | {r['b']:.3f} | {r['difference']:+.3f} | "
              f"{r['low']:+.3f} to {r['high']:+.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
