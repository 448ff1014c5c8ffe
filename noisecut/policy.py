"""Which lines survive: the kept labels, the threshold, duplicates, never-empty.

A line is kept when the probability mass of the kept labels reaches the
threshold. Later exact repeats of a kept line are dropped (a headline or
standfirst printed twice). If nothing reaches the threshold but some line
looks like body at least ``RESCUE_FLOOR``, the lines within ``RESCUE_RATIO``
of the best one are kept: a document with a clear body never comes out empty.
The rescue applies at the default threshold or below; a stricter threshold
asks for precision and gets exactly what clears it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .labels import KEEP_DEFAULT, Label

THRESHOLD_DEFAULT = 0.5  # keep a line when P(kept labels) >= this
RESCUE_FLOOR = 0.15      # below this, an all-noise document may come out empty
RESCUE_RATIO = 0.6       # rescued lines score at least this share of the best line


@dataclass(frozen=True)
class Policy:
    keep: frozenset[Label] = field(default=KEEP_DEFAULT)
    threshold: float = THRESHOLD_DEFAULT
    dedupe: bool = True


def select(texts: Sequence[str], keep_score: np.ndarray, policy: Policy) -> np.ndarray:
    """Boolean mask over the non-blank lines ``texts``: which to keep."""
    kept = keep_score >= policy.threshold
    rescue = policy.threshold <= THRESHOLD_DEFAULT and len(keep_score) and keep_score.max() >= RESCUE_FLOOR
    if rescue and not kept.any():
        kept = keep_score >= RESCUE_RATIO * keep_score.max()
    if policy.dedupe:
        seen: set[str] = set()
        for i in np.flatnonzero(kept):
            key = texts[i].strip()
            if key in seen:
                kept[i] = False
            seen.add(key)
    return kept
