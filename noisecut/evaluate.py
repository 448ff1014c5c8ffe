"""Line-level evaluation of a model on labeled documents (``noisecut evaluate``)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .cleaner import Cleaner
from .labeled import read_all
from .labels import KEEP_DEFAULT, Label
from .policy import THRESHOLD_DEFAULT
from .scoring import line_scores


def labeled_predictions(cleaner: Cleaner, docs) -> tuple[list[Label], list[Label]]:
    """Gold and predicted labels of every labeled line of ``docs``, in order."""
    gold, predicted = [], []
    for labeled in docs:
        for result, label in zip(cleaner.classify(labeled.doc), labeled.labels):
            if label is not None and result.label is not None:
                gold.append(label)
                predicted.append(result.label)
    return gold, predicted


def evaluate_labeled(model, paths: Iterable[str | Path], keep=KEEP_DEFAULT, threshold: float = THRESHOLD_DEFAULT) -> dict:
    cleaner = Cleaner(model, keep=keep, threshold=threshold)
    gold, predicted = labeled_predictions(cleaner, read_all(paths))
    return line_scores(gold, predicted, keep=frozenset(keep))
