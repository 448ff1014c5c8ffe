"""Cleaning: split -> features -> probabilities -> select -> join.

``Cleaner`` loads a model once and reuses it; ``clean()`` uses a shared
``Cleaner`` over the shipped model.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .document import Document, encode, keep_with_blanks
from .labels import KEEP_DEFAULT, Label
from .model import Model
from .policy import THRESHOLD_DEFAULT, Policy, check_keep, check_threshold, select


@dataclass
class LineResult:
    """One line's verdict: what ``--explain`` prints."""

    index: int                # line number in the document, from 0
    text: str
    label: Label | None       # None for blank lines
    probability: float        # of ``label``
    keep_score: float         # probability mass of the kept labels
    kept: bool


class Cleaner:
    """Load a model once, clean many texts.

    >>> cleaner = Cleaner()                                       # doctest: +SKIP
    >>> cleaner.clean("Home | News | Sport\\nA long paragraph ...")  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Model | str | Path | None = None,
        keep: Iterable[Label | str] = KEEP_DEFAULT,
        threshold: float | str = THRESHOLD_DEFAULT,
        dedupe: bool = True,
        site_memory=None,
    ):
        """``model``: a ``Model``, a model directory, or None for the shipped model.
        ``keep``: the labels kept (``Label`` members or their names).
        ``threshold``: a number from 0 to 1, or a preset the model records
        (``"precision"``, ``"recall"``: see its model card).
        ``dedupe``: drop later exact repeats of kept lines.
        ``site_memory``: a ``sites.SiteMemory`` or its file (``noisecut sites``): drop lines that recur
        on most of their site's pages unless the model is confident (``sites.py``).
        Wrong types raise TypeError, wrong values ValueError, each naming what is allowed.
        """
        if not (model is None or isinstance(model, (Model, str, os.PathLike))):
            raise TypeError(f"model takes a Model, a model directory or None (the shipped model), not {type(model).__name__}")
        if not isinstance(dedupe, (bool, np.bool_)):
            raise TypeError(f"dedupe takes True or False, not {type(dedupe).__name__}")
        keep = check_keep(keep)
        self.model = model if isinstance(model, Model) else Model.load(model)
        self.policy = Policy(keep, check_threshold(threshold, self.model.meta.get("presets")), bool(dedupe))
        self._keep_columns = self.model.columns(self.policy.keep)
        if site_memory is not None and not hasattr(site_memory, "shares"):
            from .sites import SiteMemory

            site_memory = SiteMemory.load(site_memory)
        self.site_memory = site_memory

    def _decide(self, doc: Document) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
        """Content-line indices, their probabilities, keep scores and keep decisions."""
        content = doc.content_indices()
        texts = [doc.lines[i] for i in content]
        probabilities = self.model.predict_proba(texts)
        keep_score = probabilities[:, self._keep_columns].sum(axis=1)
        if self.site_memory is not None:
            from .sites import demote_document

            keep_score = demote_document(self.site_memory, doc, texts, keep_score)
        kept = select(texts, keep_score, self.policy) if texts else np.zeros(0, bool)
        return content, probabilities, keep_score, kept

    def clean_document(self, doc: Document) -> str:
        content, _, _, kept = self._decide(doc)
        return doc.join(keep_with_blanks(doc, [i for i, k in zip(content, kept) if k]))

    def clean(self, text: str) -> str:
        """The kept lines of ``text``, unchanged and in order."""
        return self.clean_document(Document.from_text(_text_argument(text, "clean")))

    def clean_bytes(self, data: bytes) -> bytes:
        """Like ``clean`` on raw bytes; invalid UTF-8 in kept lines comes back byte for byte."""
        return encode(self.clean_document(Document.from_bytes(_bytes_argument(data, "clean_bytes"))))

    def clean_many(self, texts: Iterable[str]) -> Iterator[str]:
        for text in texts:
            yield self.clean(text)

    def classify(self, text: str | Document) -> list[LineResult]:
        """Every line with its label, probability and whether it is kept.

        The label is the most probable one on the side of the decision: a
        kept line gets the best kept label, a dropped line the best other one.
        """
        doc = text if isinstance(text, Document) else Document.from_text(_text_argument(text, "classify"))
        content, probabilities, keep_score, kept = self._decide(doc)
        results = [LineResult(i, line, None, 0.0, 0.0, False) for i, line in enumerate(doc.lines)]
        on_keep_side = kept | (keep_score >= self.policy.threshold)
        in_keep = np.zeros(len(self.model.labels), dtype=bool)
        in_keep[self._keep_columns] = True
        masked = np.where(on_keep_side[:, None] == in_keep[None, :], probabilities, -1.0)
        best = masked.argmax(axis=1) if len(content) else []
        for row, i in enumerate(content):
            results[i] = LineResult(i, doc.lines[i], self.model.labels[best[row]], float(probabilities[row, best[row]]), float(keep_score[row]), False)
        for i in keep_with_blanks(doc, [i for i, k in zip(content, kept) if k]):
            results[i].kept = True
        return results

    def explain(self, data: bytes) -> bytes:
        """One row per line: verdict, label, probability, keep score, the line."""
        rows = []
        for r in self.classify(Document.from_bytes(_bytes_argument(data, "explain"))):
            mark = "+" if r.kept else "-"
            label = r.label.value if r.label else ""
            numbers = f"{r.probability:4.2f} {r.keep_score:4.2f}" if r.label else " " * 9
            rows.append(f"{mark} {label:<9} {numbers}  {r.text}\n")
        return encode("".join(rows))


def _text_argument(text, method: str) -> str:
    if isinstance(text, str):
        return text
    hint = "; for bytes use clean_bytes()" if isinstance(text, (bytes, bytearray, memoryview)) else ""
    raise TypeError(f"{method}() takes the text as a str, not {type(text).__name__}{hint}")


def _bytes_argument(data, method: str) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    hint = "; for str use clean()" if isinstance(data, str) else ""
    raise TypeError(f"{method}() takes the text as bytes, not {type(data).__name__}{hint}")


_default: Cleaner | None = None


def clean(text: str) -> str:
    """Clean ``text`` with the shipped model and default policy."""
    global _default
    if _default is None:
        _default = Cleaner()
    return _default.clean(text)
