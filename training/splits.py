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

import hashlib
from functools import lru_cache
from pathlib import Path

from .datasets import DATASETS, iter_pages

SPLITS = ("train", "dev", "test")
TEST_ONLY = "htmltotext"


def bucket(site: str) -> int:
    return int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 100


@lru_cache(maxsize=None)
def test_only_sites(root: Path = DATASETS) -> frozenset[str]:
    """The sites of htmltotext (empty when the datasets are absent)."""
    return frozenset(page.site for page in iter_pages(root, datasets=(TEST_ONLY,)))


def split_of_site(dataset: str, site: str, test_sites: frozenset[str] = frozenset()) -> str:
    if dataset == TEST_ONLY or site in test_sites:
        return "test"
    b = bucket(site)
    return "train" if b < 65 else "dev" if b < 80 else "test"


def split_of(page, root: Path = DATASETS) -> str:
    """``"train"``, ``"dev"`` or ``"test"`` for a ``training.datasets.Page``."""
    return split_of_site(page.dataset, page.site, test_only_sites(Path(root)))
