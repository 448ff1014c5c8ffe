"""What both trainers read from labeled documents: the labeled rows, the
group a document is held out by, and the summary of labels a model records.

The window stages (``train.py``) and the sequence stage
(``train_sequence.py``) both build on this module; neither imports the other's
internals, and ``train.py`` imports ``train_sequence`` only to dispatch to it.
"""
from __future__ import annotations

from typing import Sequence

from .errors import NoiseCutError
from .labeled import LabeledDocument
from .labels import Label, parse_label


def labeled_rows(labeled: LabeledDocument) -> list[int]:
    """The non-blank lines that carry a label: the rows a model learns from."""
    return [i for i in labeled.doc.content_indices() if labeled.labels[i] is not None]


def training_group(labeled: LabeledDocument, number: int) -> str:
    """What held-out folds split by: the site, else the document."""
    return labeled.meta.get("site") or labeled.id or str(number)


def label_classes(summary: dict) -> list[str]:
    """The labels of a ``label_summary``, in ``Label`` order: the output columns of a model trained on them."""
    return sorted(summary["labels"], key=lambda v: list(Label).index(parse_label(v)))


def label_summary(docs: Sequence[LabeledDocument]) -> dict:
    """Documents, labeled lines and lines per label: what a model was trained on."""
    counts: dict[str, int] = {}
    documents = 0
    for labeled in docs:
        values = [labeled.labels[i].value for i in labeled_rows(labeled)]
        documents += bool(values)
        for value in values:
            counts[value] = counts.get(value, 0) + 1
    if not counts:
        raise NoiseCutError("no labeled lines to train on")
    return {"documents": documents, "lines": sum(counts.values()), "labels": dict(sorted(counts.items()))}


def trainable_summary(docs: Sequence[LabeledDocument]) -> dict:
    """``label_summary`` of documents a new model can learn from: lines of two labels or more (a model of
    one label keeps or drops everything). Both trainers check it; the CLI does before it says it trains."""
    summary = label_summary(docs)
    if len(summary["labels"]) < 2:
        raise NoiseCutError(f"training needs lines of at least two labels; these have only {next(iter(summary['labels']))!r}")
    return summary
