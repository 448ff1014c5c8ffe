"""NeMo Curator: ``NoiseCutStage`` (batched) and ``NoiseCutModifier`` (a ``DocumentModifier``).

For NeMo Curator 1.x, whose pipelines are ``ProcessingStage`` objects run on
Ray (``pip install 'noisecut[nemo]'``; Python 3.11 or later)::

    Pipeline(name="clean", stages=[
        JsonlReader("raw/"),
        NoiseCutStage(),                  # or Modify(NoiseCutModifier())
        JsonlWriter("clean/"),
    ]).run()

* ``NoiseCutStage`` takes a ``DocumentBatch`` and cleans its text column as
  ``CleanBatch`` cleans a pandas batch (the model reads the documents in
  batches); ``setup`` loads the model once per worker.
  Other columns are kept; documents stay, with ``""`` if every line was noise
  (``drop_empty=True`` drops them).
  ``site_memory`` (the file ``noisecut sites`` writes) finds each document's
  site by the host of its ``url_field``.
* ``NoiseCutModifier`` is the ``DocumentModifier`` form, for ``Modify``: one
  document per call (``Modify`` applies it row by row), model loaded on first use.
  It sees the text alone, no URL, so it takes no site memory: use ``NoiseCutStage``.

Both leave the loaded model out when pickled: only the parameters travel,
and each worker loads the model from ``model``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable

try:
    from nemo_curator.stages.base import ProcessingStage
    from nemo_curator.stages.text.modifiers.doc_modifier import DocumentModifier
    from nemo_curator.tasks import DocumentBatch
except ImportError as error:  # the extra is missing: say which
    raise ImportError(f"{error}; the NeMo Curator stages need noisecut's extra: pip install 'noisecut[nemo]'") from error

from ..cleaner import Cleaner
from ..errors import NoiseCutError
from ..labels import KEEP_DEFAULT, Label
from ..model import Model
from ..policy import THRESHOLD_DEFAULT
from ..sites import SiteMemory
from .batch import TEXT_COLUMN_DEFAULT, URL_COLUMN_DEFAULT, CleanBatch


@dataclass
class NoiseCutStage(ProcessingStage[DocumentBatch, DocumentBatch]):
    """Clean ``text_field`` of every ``DocumentBatch`` (``CleanBatch.clean_values``, batched).

    ``model``, ``keep``, ``threshold``, ``dedupe`` and ``site_memory`` are as for
    ``Cleaner`` (``keep`` may be label names; ``site_memory`` as for ``CleanBatch``:
    only its path is pickled, each worker loads it once); ``url_field`` holds each
    document's URL, for the site memory; ``output_field`` None overwrites
    ``text_field``; ``drop_empty`` drops the rows with no line kept.
    """

    model: Model | str | None = None
    text_field: str = TEXT_COLUMN_DEFAULT
    output_field: str | None = None
    keep: Iterable[Label | str] | str = KEEP_DEFAULT
    threshold: float = THRESHOLD_DEFAULT
    dedupe: bool = True
    drop_empty: bool = False
    name: str = "noisecut"
    site_memory: SiteMemory | str | None = None
    url_field: str = URL_COLUMN_DEFAULT

    def __post_init__(self):
        # validates the parameters now, in the driver; the model loads in setup()
        self._clean = CleanBatch(model=self.model, text_column=self.text_field, output_column=self.output_field,
                                 keep=self.keep, threshold=self.threshold, dedupe=self.dedupe,
                                 site_memory=self.site_memory, url_column=self.url_field)

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [self.text_field] + ([self.url_field] if self.site_memory is not None else [])

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [self._clean.output_column]

    def setup(self, worker_metadata=None) -> None:
        self._clean.cleaner  # noqa: B018  (loads the model, once per worker)

    def process(self, task: DocumentBatch) -> DocumentBatch:
        frame = task.to_pandas().copy()
        if self.text_field not in frame.columns:
            raise NoiseCutError(f"no column {self.text_field!r} in the batch (columns: {', '.join(map(str, frame.columns))})")
        cleaned, _ = self._clean.clean_values(frame[self.text_field].tolist(), urls=self._clean.urls(frame))
        frame[self._clean.output_column] = cleaned
        if self.drop_empty:
            frame = frame[[text != "" and text != b"" for text in cleaned]]
        # the task's own fields with the new data: a task_id where the release takes one (1.0 on), none where
        # NeMo Curator sets it itself (later releases refuse it)
        return dataclasses.replace(task, data=frame)


class NoiseCutModifier(DocumentModifier):
    """``Cleaner.clean`` as a NeMo Curator ``DocumentModifier``: ``Modify(NoiseCutModifier())``."""

    def __init__(self, model: Model | str | None = None, keep: Iterable[Label | str] | str = KEEP_DEFAULT,
                 threshold: float = THRESHOLD_DEFAULT, dedupe: bool = True):
        super().__init__()
        self._clean = CleanBatch(model=model, keep=keep, threshold=threshold, dedupe=dedupe)

    @property
    def cleaner(self) -> Cleaner:
        return self._clean.cleaner

    def modify_document(self, text: str) -> str:
        return self.cleaner.clean(text)
