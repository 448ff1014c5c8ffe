"""Hugging Face ``datasets``: ``clean_batch``, a batched map function.

::

    from noisecut.integrations.hf import clean_batch

    cleaned = dataset.map(clean_batch, batched=True, num_proc=4,
                          fn_kwargs={"output_column": "clean", "labels_column": "line_labels"})

It works the same on a ``Dataset`` (with or without ``num_proc``) and on a
streaming ``IterableDataset``. It returns only the columns it writes, which
``map`` merges into the batch: every other column is kept as it was.

Decisions, written down once:

* **Batched.** The texts of a batch are cleaned together, as ``CleanBatch``
  cleans a pandas batch (``CleanBatch.clean_values``: the model reads them in
  batches). With ``labels_column`` the same pass gives the labels.
* **The model loads once per process** and is reused for every batch with
  the same model and policy (``map`` with ``num_proc`` runs the function in
  worker processes: each loads it once).
* **Site memory** (``site_memory``, the file ``noisecut sites`` writes) finds
  each row's site by the host of its ``url_column``; the file is loaded once
  per process (``batch.loaded_memory``), not once per batch.
* **Values follow ``CleanBatch``**: ``str`` in, ``str`` out (exactly
  ``Cleaner.clean``, what ``noisecut clean`` writes); ``bytes`` in,
  ``bytes`` out; ``None`` stays ``None`` (an empty string means every line was
  noise); anything else raises ``NoiseCutError`` naming the column and row.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..cleaner import Cleaner
from ..errors import NoiseCutError
from ..labels import KEEP_DEFAULT, Label
from ..model import Model
from ..policy import THRESHOLD_DEFAULT
from ..sites import SiteMemory
from .batch import TEXT_COLUMN_DEFAULT, URL_COLUMN_DEFAULT, CleanBatch, loaded_memory

_cleaners: dict[tuple, Cleaner] = {}  # one per model and policy, per process


def clean_batch(
    batch: dict,
    text_column: str = TEXT_COLUMN_DEFAULT,
    output_column: str | None = None,
    labels_column: str | None = None,
    model: Model | str | Path | None = None,
    keep: Iterable[Label | str] | str = KEEP_DEFAULT,
    threshold: float = THRESHOLD_DEFAULT,
    dedupe: bool = True,
    site_memory: SiteMemory | str | Path | None = None,
    url_column: str = URL_COLUMN_DEFAULT,
) -> dict:
    """The cleaned ``batch[text_column]`` as ``{output_column: [...]}`` (plus the labels column).

    Parameters
    ----------
    batch : dict of lists
        What ``Dataset.map(..., batched=True)`` passes.
    text_column : str
        The column holding the documents (``str`` or ``bytes`` values).
    output_column : str or None
        Where the cleaned text goes; None overwrites ``text_column``.
    labels_column : str or None
        If set, also add this column: for each row, one label name per line
        of the input text, None for blank lines; None for a missing text.
    model, keep, threshold, dedupe, site_memory
        As for ``Cleaner`` (``keep`` may also be label names or
        ``"body,heading"``).
    url_column : str
        The column holding each row's URL, for ``site_memory`` (as ``CleanBatch``).
    """
    clean = CleanBatch(model=model, text_column=text_column, output_column=output_column, keep=keep,
                       threshold=threshold, labels_column=labels_column, dedupe=dedupe, site_memory=site_memory,
                       url_column=url_column)
    if not hasattr(batch, "keys"):  # map(..., input_columns=...) hands over the columns themselves
        raise NoiseCutError(f"clean_batch takes the batch as a dict of columns, not {type(batch).__name__}: "
                            "call Dataset.map(clean_batch, batched=True) without input_columns (text_column names the column)")
    if text_column not in batch:
        raise NoiseCutError(f"no column {text_column!r} in the batch (columns: {', '.join(map(str, batch.keys()))})")
    values = batch[text_column]
    if isinstance(values, (str, bytes)):  # one row, not a batch: listing it would split the characters
        raise NoiseCutError(f"column {text_column!r} holds one text, not a batch of them: "
                            "call Dataset.map(clean_batch, batched=True)")
    if not hasattr(values, "__iter__"):  # one row's None or number
        raise NoiseCutError(f"column {text_column!r} holds one value ({type(values).__name__}), not a batch of them: "
                            "call Dataset.map(clean_batch, batched=True)")
    clean._cleaner = _cleaner(clean)
    cleaned, labels = clean.clean_values(list(values), urls=clean.urls(batch))
    if labels_column is None:
        return {clean.output_column: cleaned}
    return {clean.output_column: cleaned, labels_column: labels}


def _cleaner(clean: CleanBatch) -> Cleaner:
    """This process's ``Cleaner`` for ``clean``'s model and policy, loaded on first use."""
    # a Model object is its own key: the cached Cleaner holds it, so its id is not reused
    model = ("object", id(clean.model)) if isinstance(clean.model, Model) else ("path", str(clean.model) if clean.model is not None else None)
    # the memory this process holds for the file (a rewritten file is a new one), held by the cached Cleaner too
    memory = id(loaded_memory(clean.site_memory))
    key = (model, clean.keep, clean.threshold, clean.dedupe, memory)
    if key not in _cleaners:
        _cleaners[key] = clean.cleaner
    return _cleaners[key]
