"""Evaluation of a model on labeled documents (``noisecut evaluate``).

Two views of the same documents:

* text level, the metric of the README's results table: each document is
  cleaned, and the cleaned text is scored against the text of its lines
  labeled with a kept label (bag-of-tokens precision/recall/F1,
  ``scoring.text_scores``), averaged over documents;
* line level, from ``sklearn.metrics``: per-label precision/recall/F1 (the
  macro average over the labels that have gold lines), the keep/drop
  decision, and a confusion matrix.

Imports scikit-learn (and pandas for the confusion table) when it runs; the
cleaning path never imports this module.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .cleaner import Cleaner
from .errors import NoiseCutError
from .labeled import LabeledDocument, find, read_with_page_rows
from .labels import KEEP_DEFAULT, LABELS, Label
from .policy import THRESHOLD_DEFAULT
from .scoring import PRF, mean_scores, text_scores


@dataclass
class Evaluation:
    documents: int
    text: PRF                   # mean over documents of the text-level scores
    gold: list[Label]           # one per labeled content line, in document order
    predicted: list[Label]
    keep: frozenset[Label]
    thresholds: tuple[float, ...]  # of the models that cleaned the documents (a preset is each model's own)
    kept: list[bool] = field(default_factory=list)  # per labeled line: kept by the cleaning (a repeat is not)
    lacking: dict[str, tuple[Label, ...]] = field(default_factory=dict)  # model name: the kept labels it has not


def evaluate_labeled(model=None, paths: Iterable[str | Path] = (), keep=KEEP_DEFAULT,
                     threshold: float | str = THRESHOLD_DEFAULT) -> Evaluation:
    """Clean and classify every labeled document under ``paths`` with ``model`` (default: the shipped one)."""
    cleaner = Cleaner(model, keep=keep, threshold=threshold)
    docs = []
    for path in find(paths):
        labeled = read_with_page_rows(path)
        labeled.doc.id = str(path)  # what an error about the document names: the file (not its `# id`)
        if any(label is not None for label in labeled.labels):
            docs.append(labeled)
    if not docs:
        raise NoiseCutError("no labeled lines to evaluate on (expected *.lines files)")
    gold, predicted, kept, scores = [], [], [], []
    for labeled, results in zip(docs, cleaner.classify_many(labeled.doc for labeled in docs)):
        scores.append(text_scores(*cleaned_and_gold_text(labeled, results, cleaner.policy.keep)))
        for result, label in zip(results, labeled.labels):
            if label is not None and result.label is not None:
                gold.append(label)
                predicted.append(result.label)
                kept.append(result.kept)
    thresholds = tuple(sorted({cleaner.policy_for(labeled.doc).threshold for labeled in docs}))
    return Evaluation(len(docs), mean_scores(scores), gold, predicted, cleaner.policy.keep, thresholds, kept,
                      _lacking(cleaner, docs))


def _lacking(cleaner: Cleaner, docs: list[LabeledDocument]) -> dict[str, tuple[Label, ...]]:
    """For each model that cleaned some of ``docs``, the kept labels it does not have: the gold lines with those
    labels count, and that model keeps none of them as such. Only default ones (``KEEP_DEFAULT``, for a model
    trained without headings): ``Cleaner`` refuses any other label a model lacks."""
    lacking = {}
    for model in {id(m): m for m in (cleaner.model_for(labeled.doc) for labeled in docs)}.values():
        missing = tuple(label for label in LABELS if label in cleaner.policy.keep and label not in model.labels)
        if missing:
            lacking[model.meta.get("name") or "given"] = missing
    return lacking


def cleaned_and_gold_text(labeled: LabeledDocument, results, keep: frozenset[Label]) -> tuple[str, str]:
    """The kept lines' text, and the text of the lines labeled with a ``keep`` label."""
    cleaned = "\n".join(r.text for r in results if r.kept)
    gold = "\n".join(line for line, label in zip(labeled.doc.lines, labeled.labels) if label in keep)
    return cleaned, gold


def keep_scores(gold: Sequence[Label], predicted: Sequence[Label], keep: frozenset[Label] = KEEP_DEFAULT,
                positive: bool = True, kept: Sequence[bool] | None = None) -> PRF:
    """Precision/recall/F1 of the keep decision (``positive=False``: of the drop decision), per line.
    ``kept``: the decisions, when given (a later repeat of a kept line is dropped though its label is
    on the keep side); else the side of each ``predicted`` label."""
    from sklearn.metrics import precision_recall_fscore_support

    g = [label in keep for label in gold]
    p = [label in keep for label in predicted] if kept is None else [bool(k) for k in kept]
    precision, recall, f1, _ = precision_recall_fscore_support(g, p, average="binary", pos_label=positive,
                                                               zero_division=0.0)
    return PRF(float(precision), float(recall), float(f1), sum(v == positive for v in g))


def thresholds_note(thresholds: tuple[float, ...]) -> str:
    if len(thresholds) == 1:
        return f"threshold {thresholds[0]:g}"
    return f"thresholds {', '.join(f'{t:g}' for t in thresholds)}: each model's own"


def format_report(evaluation: Evaluation) -> str:
    """Text level first (the README's metric), then sklearn's per-label report, keep/drop and the confusion table."""
    import pandas as pd
    from sklearn.metrics import classification_report, confusion_matrix

    e = evaluation
    present = set(e.gold)
    with_gold = [label.value for label in LABELS if label in present]
    shown = [label.value for label in LABELS if label in present or label in set(e.predicted)]
    gold, predicted = [label.value for label in e.gold], [label.value for label in e.predicted]
    text = e.text
    out = [
        f"text level (bag-of-tokens, mean over {e.documents} document{'' if e.documents == 1 else 's'}; kept labels: "
        f"{', '.join(sorted(label.value for label in e.keep))}; {thresholds_note(e.thresholds)})",
        f"  precision {text.precision:.4f}  recall {text.recall:.4f}  f1 {text.f1:.4f}",
        *(f"  the model {name} has no label {', '.join(label.value for label in labels)}: it keeps no line as one"
          for name, labels in e.lacking.items()),
        "",
        f"line level ({len(gold)} labeled lines; macro average over the {len(with_gold)} labels with gold lines)",
        classification_report(gold, predicted, labels=with_gold, digits=4, zero_division=0.0).rstrip(),
        "",
    ]
    for name, positive in (("keep", True), ("drop", False)):
        s = keep_scores(e.gold, e.predicted, e.keep, positive, e.kept or None)
        out.append(f"{name:>12}  {s.precision:>9.4f} {s.recall:>9.4f} {s.f1:>9.4f} {s.support:>9d}")
    with warnings.catch_warnings():  # one label alone: sklearn warns about a shape that `labels` already fixes
        warnings.simplefilter("ignore", UserWarning)
        matrix = confusion_matrix(gold, predicted, labels=shown)
    table = pd.DataFrame(matrix, index=shown, columns=pd.Index(shown, name="gold\\pred"))
    out += ["", "confusion (gold rows, predicted columns)", table.to_string()]
    return "\n".join(out)
