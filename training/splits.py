"""Train/dev/test by site: deterministic, and one site never on two sides.

The bucket of a page is ``sha1(site) mod 100``: 0-64 train, 65-79 dev,
80-99 test. ``site`` is the registrable domain (``training.datasets.find_site``),
hashed without the dataset's name so that a site present in several datasets
(bbc.co.uk, nytimes.com, blogspot.com ...) lands on one side everywhere.
All of ``htmltotext`` is test (the multilingual check set, not for tuning),
and so is every page of a site that htmltotext has (wired.com, vox.com ...).
See SPLITS.md.
"""
from __future__ import annotations

import argparse
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .datasets import DATASETS, iter_pages

SPLITS = ("train", "dev", "test")
TEST_ONLY = "htmltotext"
TRAIN_BUCKETS, TEST_FROM = 65, 80  # buckets 0-64 are train, 65-79 dev, 80-99 test
UNKNOWN = "unknown"  # a model card's split when what a model trained on is not known


# Sites that the hand-written suffix rule used before the public suffix list named
# differently: it cut these at a public suffix (il.us, bc.ca ...) or, for .yu (gone
# from the list), one label further. Their pages keep the bucket of the old name, so
# no page of the older datasets changed split (tests/test_corpus.py checks them all).
OLD_SITE_NAMES = {
    "cps.k12.il.us": "il.us", "gov.bc.ca": "bc.ca", "sphere.bc.ca": "bc.ca", "beenleigss.qld.edu.au": "qld.edu.au",
    "childrensabilityfund.ab.ca": "ab.ca", "nyc.ny.us": "ny.us", "state.ny.us": "ny.us", "pacific.wa.us": "wa.us",
    "dfait-maeci.gc.ca": "gc.ca", "state.sc.us": "sc.us", "state.fl.us": "fl.us", "dpi.qld.gov.au": "qld.gov.au",
    "parliament.tas.gov.au": "tas.gov.au", "revenuesa.sa.gov.au": "sa.gov.au", "org.yu": "shd.org.yu",
    "treasury.govt.nz": "govt.nz", "un.kiev.ua": "kiev.ua",
}


def bucket(site: str) -> int:
    """0-99 from the site's name (its old name where ``OLD_SITE_NAMES`` has one)."""
    site = OLD_SITE_NAMES.get(site, site)
    return int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 100


@lru_cache(maxsize=None)
def test_only_sites(root: Path = DATASETS) -> frozenset[str]:
    """The sites of htmltotext (empty when the datasets are absent)."""
    return frozenset(page.site for page in iter_pages(root, datasets=(TEST_ONLY,)))


def split_of_site(dataset: str, site: str, test_sites: frozenset[str] = frozenset()) -> str:
    if dataset == TEST_ONLY or site in test_sites:
        return "test"
    b = bucket(site)
    return "train" if b < TRAIN_BUCKETS else "dev" if b < TEST_FROM else "test"


def split_of(page, root: Path = DATASETS) -> str:
    """``"train"``, ``"dev"`` or ``"test"`` for a ``training.datasets.Page``."""
    return split_of_site(page.dataset, page.site, test_only_sites(Path(root)))


def recorded_splits(record: str) -> set[str]:
    """The splits a model card's ``split`` names ("train + dev (training/splits.py); test never seen")."""
    return set(record.split(" (")[0].split(" + ")) & set(SPLITS)


def split_record(splits) -> str:
    """``recorded_splits``' inverse: what a model card says it trained on."""
    return f"{' + '.join(s for s in SPLITS if s in set(splits))} (training/splits.py); test never seen"


def averaged_split_record(trainings: list[dict]) -> dict:
    """What an average of models trained on ``trainings`` (their cards' ``training``) has seen: every
    split any of them trained on, and a fold of the train split all of them left out. A model whose
    split is not recorded (nor that of the models it averages) makes it ``UNKNOWN``."""
    trainings = [with_split(t) for t in trainings]
    if any(t.get("split", UNKNOWN) == UNKNOWN for t in trainings):
        return {"split": UNKNOWN}
    out = {"split": split_record(set().union(*(recorded_splits(t["split"]) for t in trainings)))}
    folds = {t.get("left_out_fold") for t in trainings}
    if len(folds) == 1 and None not in folds:
        out["left_out_fold"] = folds.pop()
    return out


def with_split(training: dict) -> dict:
    """A card's ``training``; for an average whose card predates its own ``split``, with the split
    (and fold) its models' cards say."""
    if "split" in training or "averaged_models" not in training:
        return training
    return {**training, **averaged_split_record([s["training"] for s in training["averaged_models"]])}


def train_fold(site: str, folds: int) -> int:
    """Which of ``folds`` parts of the train split a train site is in: its bucket range cut into
    ``folds`` runs (2 folds: buckets 0-32 and 33-64). Cross-validation on the train split trains with
    one fold left out and scores that fold: many more pages than dev to choose a recipe on."""
    return bucket(site) * folds // TRAIN_BUCKETS


class Fold(NamedTuple):
    """Fold ``k`` of ``n`` of the train split (``k`` counted from 0), written ``K/N``."""
    k: int
    n: int

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"

    def holds(self, site: str) -> bool:
        return train_fold(site, self.n) == self.k


def fold_arg(value: str) -> Fold:
    """A ``Fold`` from the command line's ``K/N``."""
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: give a fold as K/N, e.g. 0/2") from None
    if not 2 <= n <= TRAIN_BUCKETS:
        raise argparse.ArgumentTypeError(f"{value!r}: N, the number of folds, is 2 to {TRAIN_BUCKETS}")
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"{value!r}: K counts from 0 to N-1")
    return Fold(k, n)


def add_leave_out_fold(parser: argparse.ArgumentParser) -> None:
    """A trainer's ``--leave-out-fold K/N`` (see ``leave_out_fold``); check it with ``check_leave_out_fold``."""
    parser.add_argument("--leave-out-fold", type=fold_arg, default=None, metavar="K/N",
                        help="cross-validation: leave out the train sites of fold K of N, K from 0 (with --splits "
                             "train; score them with evaluate --split train --fold K/N)")


def check_leave_out_fold(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.leave_out_fold and args.splits != "train":
        parser.error("--leave-out-fold cuts the train split: use it with --splits train")


def leave_out_fold(docs: list, fold: Fold | None) -> list:
    """The corpus documents (``LabeledDocument``s of the train split) whose site is not in ``fold``
    (all of them without one)."""
    return docs if fold is None else [d for d in docs if not fold.holds(d.meta["site"])]
