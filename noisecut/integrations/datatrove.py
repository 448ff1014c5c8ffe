"""datatrove: ``NoiseCutFormatter``, a pipeline step that cleans each document's text.

It sits where datatrove's formatters sit (it is a ``BaseFormatter``: it
rewrites ``doc.text``), after a reader or an extractor and before filters and
writers::

    LocalPipelineExecutor(pipeline=[
        JsonlReader("raw/"),                      # or WarcReader("crawl/"), Trafilatura()
        NoiseCutFormatter(exclusion_writer=JsonlWriter("empty/")),
        JsonlWriter("clean/"),
    ], tasks=4, workers=4).run()

Decisions, written down once:

* **Batched.** ``run`` takes the document stream in chunks of ``batch_size``
  and cleans each chunk with one ``Cleaner.clean_documents`` call, not one
  ``format`` call per document. ``format(text)`` still works, for datatrove
  code that calls it directly.
* **The model loads once per worker**, on the first chunk. datatrove pickles
  the pipeline to its workers; the loaded ``Cleaner`` is left out, only the
  parameters travel. ``model=None`` means the shipped model (or
  ``$NOISECUT_MODEL``) as the worker sees it; pass a loaded ``Model`` to ship
  its arrays with the step.
* **Each document keeps its id, metadata and media**; only ``text`` changes,
  to exactly what ``Cleaner.clean`` (and ``noisecut clean``) gives.
* **Site memory** (``site_memory``, the file ``noisecut sites`` writes): a
  document's site is the host of ``metadata[url_field]`` (``"url"``, where
  ``WarcReader`` and ``JsonlReader`` put a record's URL). A document without
  one is cleaned as without memory and counted as ``site_memory_no_url``.
  Only the file's path is pickled; each worker process loads it once.
* **Documents that come out empty** (no line kept) are dropped, as
  datatrove's filters drop: counted as ``dropped`` and ``dropped_empty``, and
  written, with their text *before* cleaning and ``metadata["filter_reason"]
  = "empty"``, to ``exclusion_writer`` if one is given. ``drop_empty=False``
  passes them on with ``text == ""``.
* **Stats** (per step, merged by the executor): ``total`` (documents in),
  ``forwarded``, ``dropped``, ``lines_kept`` and ``lines_dropped`` (non-blank
  lines, per document), ``chars_removed`` (per document), ``doc_len`` of the
  documents passed on, and the cleaning time per batch.
"""
from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

try:
    from datatrove.data import Document as DatatroveDocument
    from datatrove.data import DocumentsPipeline
    from datatrove.pipeline.formatters.base import BaseFormatter
    from datatrove.pipeline.writers.disk_base import DiskWriter
    from datatrove.utils.typeshelper import StatHints
except ImportError as error:  # the extra is missing: say which
    raise ImportError(f"{error}; the datatrove step needs noisecut's extra: pip install 'noisecut[datatrove]'") from error

from pathlib import Path

from ..batching import chunks
from ..document import Document, count_content_lines
from ..errors import NoiseCutError
from ..labels import KEEP_DEFAULT, Label
from ..model import Model
from ..policy import THRESHOLD_DEFAULT
from ..sites import SiteMemory
from .batch import URL_COLUMN_DEFAULT, LazyCleaner, as_document

BATCH_SIZE_DEFAULT = 64  # documents per clean_many call
EMPTY_REASON = "empty"


class NoiseCutFormatter(LazyCleaner, BaseFormatter):
    """Remove boilerplate lines from every ``Document``'s text, in chunks.

    Parameters
    ----------
    model : str, Path, Model or None
        Model directory, a loaded ``Model``, or None for the shipped model.
    keep : iterable of Label or label names, or a comma-separated string
        The labels whose lines are kept (the whole set, as in ``Cleaner``).
    threshold : float
        Keep a line when the probability of the kept labels reaches this.
    dedupe : bool
        Drop later exact repeats of kept lines.
    drop_empty : bool
        Drop documents with no line kept (default); False passes them on
        with empty text.
    exclusion_writer : datatrove DiskWriter or None
        Where dropped documents go, with their original text.
    batch_size : int
        Documents cleaned per ``Cleaner.clean_documents`` call.
    site_memory : str, Path, SiteMemory or None
        The file ``noisecut sites`` writes: drop lines that recur on most of
        their site's pages, as ``noisecut clean --site-memory`` does.
    url_field : str
        The metadata field holding each document's URL, for ``site_memory``.
    """

    name = "✂ noisecut"

    def __init__(
        self,
        model: Model | str | None = None,
        keep: Iterable[Label | str] | str = KEEP_DEFAULT,
        threshold: float = THRESHOLD_DEFAULT,
        dedupe: bool = True,
        drop_empty: bool = True,
        exclusion_writer: DiskWriter | None = None,
        batch_size: int = BATCH_SIZE_DEFAULT,
        site_memory: SiteMemory | str | Path | None = None,
        url_field: str = URL_COLUMN_DEFAULT,
    ):
        super().__init__()
        if not isinstance(batch_size, int) or batch_size < 1:
            raise NoiseCutError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.set_cleaner(model, keep, threshold, dedupe, site_memory)
        self.url_field = url_field
        self.drop_empty = bool(drop_empty)
        self.exclusion_writer = exclusion_writer
        self.batch_size = batch_size

    def format(self, text: str) -> str:
        """One text cleaned: what ``run`` does to each document, batch by batch."""
        return self.cleaner.clean(text)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data is None:
            return
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for batch in chunks(data, self.batch_size):
                for i, doc in enumerate(batch):
                    if not isinstance(doc.text, str):
                        raise NoiseCutError(f"document {doc.id!r} (batch item {i}): text is {type(doc.text).__name__}, expected str")
                with self.track_time("batch"):
                    cleaned = list(self.cleaner.clean_documents([self._document(doc) for doc in batch]))
                self.stat_update("batches")
                for doc, text in zip(batch, cleaned):
                    yield from self._pass_on(doc, text, writer, rank)

    def _document(self, doc: DatatroveDocument) -> Document:
        """The noisecut ``Document`` of ``doc``'s text, with its URL when there is a site memory."""
        if self.site_memory is None:
            return as_document(doc.text)
        url = doc.metadata.get(self.url_field)
        if not isinstance(url, str) or not url:
            self.stat_update("site_memory_no_url")
        return as_document(doc.text, url)

    def _pass_on(self, doc: DatatroveDocument, text: str, writer, rank: int) -> Iterator[DatatroveDocument]:
        """Record the stats of one cleaned document; yield it, or drop it if it came out empty."""
        self.stat_update(StatHints.total)
        kept = count_content_lines(text)
        self.stat_update("lines_kept", value=kept)
        self.stat_update("lines_dropped", value=count_content_lines(doc.text) - kept)
        self.stat_update("chars_removed", value=len(doc.text) - len(text))
        if text == "" and self.drop_empty:
            self.stat_update(StatHints.dropped, f"dropped_{EMPTY_REASON}")
            if writer is not None:
                doc.metadata["filter_reason"] = EMPTY_REASON
                writer.write(doc, rank)
            return
        doc.text = text
        self.stat_update(StatHints.forwarded)
        self.update_doc_stats(doc)
        yield doc
