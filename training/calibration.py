"""Reliability of the keep probability: predicted keep score against observed body share.

    python -m training.calibration --split dev                  # the shipped model
    python -m training.calibration --split dev --model DIR

Reads the labeled corpus (``training.build_corpus``) of one split, runs the
model on every document (every page as each renderer gave it) and puts each
gold-labeled line in a bin by its keep score (the probability mass of the
kept labels, ``body`` and ``heading``). A calibrated model's lines with keep
score about 0.7 are body about 70% of the time. Tables: all documents mixed
across datasets, page types and languages, then the seven older folders and
the four newer ones apart, then the expected calibration error per dataset,
page type and language group. The shipped model trains on the dev split:
its reliability table is the test split's.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from noisecut.cleaner import Cleaner
from noisecut.labeled import read_with_page_rows
from noisecut.labels import KEEP_DEFAULT, Label

from .build_corpus import DEFAULT_OUT
from .datasets import NAMES
from .evaluate import language_group

BINS = 10  # equal-width bins of the keep score


@dataclass
class Classified:
    """One corpus document after the model: gold labels, keep scores, decisions (content lines only)."""

    meta: dict
    lines: list[str]
    gold: list[Label]
    keep_score: np.ndarray
    kept: np.ndarray

    @property
    def observed(self) -> np.ndarray:
        return np.array([label in KEEP_DEFAULT for label in self.gold], bool)


_cleaner: Cleaner | None = None


def _init(model, threshold):
    global _cleaner
    _cleaner = Cleaner(model or "default", threshold=threshold)  # one model for every document: the text model unless named


def _classify(path: Path) -> Classified | None:
    labeled = read_with_page_rows(path)  # an html_text rendering with its markup rows: what the HTML model reads
    results = _cleaner.classify(labeled.doc)
    rows = [(r, gold) for r, gold in zip(results, labeled.labels) if gold is not None and r.label is not None]
    if not rows:
        return None
    return Classified(labeled.meta, [r.text for r, _ in rows], [g for _, g in rows],
                      np.array([r.keep_score for r, _ in rows]), np.array([r.kept for r, _ in rows], bool))


def classify_split(corpus: Path = DEFAULT_OUT, split: str = "dev", model=None, threshold: float = 0.5,
                   renderers=None, jobs: int = 2) -> list[Classified]:
    """Every document of one corpus split, run through the model."""
    paths = sorted(Path(corpus).expanduser().glob(f"{split}/*/*/*.lines"))
    if renderers:
        paths = [p for p in paths if p.parent.name in renderers]
    if not paths:
        raise FileNotFoundError(f"no {split} documents under {corpus}: run python -m training.build_corpus")
    with Pool(jobs, initializer=_init, initargs=(model, threshold)) as pool:
        return [doc for doc in pool.imap(_classify, paths, chunksize=8) if doc is not None]


def reliability(scores: np.ndarray, observed: np.ndarray, bins: int = BINS) -> list[dict]:
    """Per bin of the keep score: lines, mean keep score, observed body share."""
    index = np.minimum((scores * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        table.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "lines": n,
                      "predicted": float(scores[mask].mean()) if n else None,
                      "observed": float(observed[mask].mean()) if n else None})
    return table


def expected_calibration_error(table: list[dict]) -> float:
    total = sum(row["lines"] for row in table)
    return sum(row["lines"] * abs(row["predicted"] - row["observed"]) for row in table if row["lines"]) / total


def group_names(meta: dict) -> list[str]:
    """The groups a document counts in (as in ``training.evaluate``'s rows)."""
    dataset = meta.get("dataset", "")
    names = ["all", "older seven" if dataset in NAMES else "newer four",
             f"dataset:{dataset}", f"language:{language_group(meta.get('lang', ''))}"]
    if meta.get("page_type"):
        names.append(f"type:{dataset}/{meta['page_type']}")
    return names


def grouped(docs: list[Classified]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    parts = defaultdict(list)
    for doc in docs:
        for name in group_names(doc.meta):
            parts[name].append(doc)
    return {name: (np.concatenate([d.keep_score for d in group]), np.concatenate([d.observed for d in group]))
            for name, group in parts.items()}


def format_reliability(title: str, table: list[dict]) -> str:
    out = [f"{title} (ECE {expected_calibration_error(table):.3f})", "",
           "| keep score | lines | mean keep score | observed body share |", "|---|---:|---:|---:|"]
    for row in table:
        if row["lines"]:
            out.append(f"| {row['bin']} | {row['lines']} | {row['predicted']:.3f} | {row['observed']:.3f} |")
    return "\n".join(out)


def report(docs: list[Classified], bins: int = BINS) -> str:
    groups = grouped(docs)
    out = []
    for name in ("all", *sorted((n for n in groups if n.startswith(("older", "newer"))), reverse=True)):
        out += [format_reliability(f"{name}: {len([d for d in docs if name == 'all' or name in group_names(d.meta)])} documents",
                                   reliability(*groups[name], bins)), ""]
    out += ["| group | lines | mean keep score | body share | ECE |", "|---|---:|---:|---:|---:|"]
    for name in sorted(n for n in groups if ":" in n):
        scores, observed = groups[name]
        ece = expected_calibration_error(reliability(scores, observed, bins))
        out.append(f"| {name} | {len(scores)} | {scores.mean():.3f} | {observed.mean():.3f} | {ece:.3f} |")
    return "\n".join(out)


def split_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """The options of a script that runs the model over one corpus split (``classified``)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=("train", "dev", "test"))
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--renderers", default=None, help="comma-separated (default: every renderer in the corpus)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    return parser


def classified(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[Classified]:
    """``classify_split`` as ``split_parser``'s options ask; a missing corpus is a usage error."""
    try:
        return classify_split(args.corpus, args.split, args.model,
                              renderers=args.renderers and args.renderers.split(","), jobs=args.jobs)
    except FileNotFoundError as error:
        parser.error(str(error))


def main(argv=None) -> int:
    parser = split_parser("python -m training.calibration", __doc__)
    parser.add_argument("--bins", type=int, default=BINS)
    parser.add_argument("--record", action="store_true", help="write the tables into the model's card (model.json's reports)")
    args = parser.parse_args(argv)
    docs = classified(parser, args)
    text = report(docs, args.bins)
    print(text)
    if args.record:
        record(args.model, args.split, len(docs), text)
    return 0


def record(directory, split: str, documents: int, text: str) -> None:
    """Keep the tables with the model (its card's reports); ``model.npz`` is left alone."""
    from noisecut.model import Model, default_model_dir

    directory = directory or default_model_dir()
    model = Model.load(directory)
    model.meta.setdefault("reports", {})[f"Calibration on the {split} split"] = (
        f"`python -m training.calibration --split {split}`: {documents} corpus documents (pages x renderers); "
        "every gold-labeled line binned by its keep score (P(body) + P(heading)) against the share of "
        "those lines the gold keeps. ECE: the lines-weighted mean gap between the two.\n\n" + text)
    model.save_meta(directory)


if __name__ == "__main__":
    sys.exit(main())
