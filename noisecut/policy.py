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

import numbers
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from .labels import KEEP_DEFAULT, LABELS, Label, parse_label

THRESHOLD_DEFAULT = 0.5  # keep a line when P(kept labels) >= this
RESCUE_FLOOR = 0.15      # below this, an all-noise document may come out empty
RESCUE_RATIO = 0.6       # rescued lines score at least this share of the best line
# Named thresholds a model may record in its model.json ("presets"), chosen on
# the dev split by training/presets.py: best text-level F0.5 and F2.
PRESETS = ("precision", "recall")


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


def check_keep(keep: Iterable[Label | str] | Label | str) -> frozenset[Label]:
    """Labels or label names (a collection, one label, or ``"body,heading"``) as a frozenset of ``Label``.

    Raises TypeError for anything else and ValueError for an unknown name or an empty set.
    """
    allowed = "keep takes labels: Label members or names such as {'body', 'heading', 'title'}"
    if isinstance(keep, Label):
        keep = [keep]
    elif isinstance(keep, str):
        keep = [name for name in keep.split(",") if name.strip()]
    elif isinstance(keep, (bytes, Mapping)) or not isinstance(keep, Iterable):
        raise TypeError(f"{allowed}, not {type(keep).__name__}")
    labels = set()
    for item in keep:
        if not isinstance(item, str):  # Label is a str too
            raise TypeError(f"{allowed}, not {type(item).__name__} {item!r}")
        try:
            labels.add(item if isinstance(item, Label) else parse_label(item))
        except ValueError as error:
            raise ValueError(f"keep: {error}") from None
    if not labels:
        raise ValueError(f"keep is empty: nothing would be kept ({allowed})")
    return frozenset(labels)


def check_known(keep: frozenset[Label], labels: Sequence[Label], model: str) -> None:
    """Refuse kept labels that the model ``model`` (its name, for the message) does not have: it would keep
    none of their lines, silently. The default labels (``KEEP_DEFAULT``) are kept where the model has them (a
    model trained without headings has none), as long as the model has one kept label."""
    missing = missing_labels(keep, labels)
    if missing:
        raise ValueError(f"keep: the model {model} has no label{'s' * (len(missing) > 1)} {', '.join(label.value for label in missing)}, "
                         f"so it would keep none of those lines; its labels: {', '.join(label.value for label in labels)}")


def missing_labels(keep: frozenset[Label], labels: Sequence[Label]) -> list[Label]:
    """The kept labels a model with ``labels`` lacks: those beyond ``KEEP_DEFAULT``, or every one when it has none."""
    missing = [label for label in LABELS if label in keep - KEEP_DEFAULT and label not in labels]
    if not missing and not keep & set(labels):
        missing = [label for label in LABELS if label in keep]
    return missing


def is_flag(value) -> bool:
    """Whether ``value`` is a bool (numpy's too): ``dedupe`` is checked with it, since ``bool("no")`` is True."""
    return isinstance(value, (bool, np.bool_))


def check_threshold(threshold: float | str, presets: Mapping[str, float] | None = None) -> float:
    """A number from 0 to 1, or the name of a preset the model records (``PRESETS``), as a float."""
    allowed = f"threshold takes a number from 0 to 1 or a preset name ({', '.join(map(repr, PRESETS))})"
    if isinstance(threshold, str):
        if threshold not in PRESETS:
            raise ValueError(f"{allowed}, not {threshold!r}")
        if not presets or threshold not in presets:
            raise ValueError(f"the model records no {threshold!r} threshold preset (see training/presets.py); pass a number from 0 to 1")
        name, threshold = threshold, presets[threshold]
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.0 <= threshold <= 1.0:
            raise ValueError(f"the model's {name!r} threshold preset is {threshold!r}, not a number from 0 to 1; pass a number")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"{allowed}, not {type(threshold).__name__}")
    if not 0.0 <= threshold <= 1.0:  # NaN fails too
        raise ValueError(f"{allowed}, not {threshold!r}")
    return float(threshold)
