"""``CleanBatch``: clean the text column of a pandas batch, for any engine.

One callable class serves the three corpus engines unchanged:

* Ray Data builds it once per actor:
  ``ds.map_batches(CleanBatch, fn_constructor_kwargs={...}, batch_format="pandas",
  compute=ray.data.ActorPoolStrategy(size=N))`` (or ``concurrency=N``);
* Dask ships one instance to its workers:
  ``ddf.map_partitions(CleanBatch(...), meta=...)``;
* Spark feeds it an iterator of batches:
  ``df.mapInPandas(CleanBatch(...).map_iter, schema)``.

Decisions, written down once:

* **The model loads lazily**, on the first non-empty batch, once per instance
  (per Ray actor; per task on Dask and Spark, which unpickle the instance for
  each partition, about 4 ms). Pickling drops the loaded ``Cleaner``: only
  the parameters travel, and each worker loads the model from ``model``.
  ``model=None`` means the shipped model (or ``$NOISECUT_MODEL``) *as the
  worker sees it*; pass a ``Model`` object instead to ship the arrays with the
  instance to workers that do not have the files.
* **Missing text stays missing.** ``None``/``NaN``/``NA`` come back as the
  column's missing value, never as ``""``: an empty string means "every line
  was noise", a missing value means "there was no text". ``str`` values come
  back as ``str`` (``Cleaner.clean``); ``bytes`` values come back as ``bytes``
  (``Cleaner.clean_bytes``, byte for byte, invalid UTF-8 included). Any other
  type is an error naming the row.
* **Other columns are untouched**, and the input batch is never modified: the
  result is a new frame with the output column replaced or added (and the
  labels column, if asked for, added).
* **Site memory** (``site_memory``, the file ``noisecut sites`` writes) finds
  each record's site as ``noisecut clean`` does, by the host of its URL: the
  ``url_column`` of the batch. The file is checked when the instance is made
  (a missing, foreign or outdated file fails there, in the driver); only its
  path travels to the workers, each process loading it once
  (``loaded_memory``), however many tasks unpickle the instance there.
"""
from __future__ import annotations

import functools
import math
import os
import uuid
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from ..cleaner import Cleaner
from ..document import Document, encode
from ..errors import NoiseCutError
from ..io.records import TEXT_FIELD_DEFAULT
from ..labels import KEEP_DEFAULT, Label
from ..model import Model
from ..parallel import Output, clean_batch
from ..policy import PRESETS, THRESHOLD_DEFAULT, check_keep
from ..policy import check_threshold as check_threshold_value, is_flag
from ..sites import URL_FIELDS, SiteMemory
from ..sites import check_argument as check_site_memory

TEXT_COLUMN_DEFAULT = TEXT_FIELD_DEFAULT  # as ``noisecut clean --text-field``
URL_COLUMN_DEFAULT = URL_FIELDS[0]  # "url": a JSONL/Parquet record's field that names its site (``sites.site_of``)
MEMORIES_PER_PROCESS = 2  # site memories kept loaded in one process (8 MB each by default)


def parse_keep(keep: Iterable[Label | str] | str | None) -> frozenset[Label]:
    """Labels or label names (or ``"body,heading"``) as a frozenset of ``Label``; None is the default set."""
    if keep is None:
        return KEEP_DEFAULT
    try:
        return check_keep(keep)
    except (TypeError, ValueError) as error:
        raise NoiseCutError(str(error)) from None


def check_threshold(threshold: float | str) -> float | str:
    """A number from 0 to 1, or a preset name (``PRESETS``) that the ``Cleaner`` reads from its model."""
    if isinstance(threshold, str) and threshold in PRESETS:
        return threshold
    try:
        return check_threshold_value(threshold)
    except (TypeError, ValueError) as error:
        raise NoiseCutError(str(error)) from None


def site_memory_setting(site_memory: SiteMemory | str | os.PathLike | None) -> SiteMemory | str | None:
    """``site_memory`` as it travels to workers: a file as its absolute path (a worker may run
    elsewhere), loaded here first so that a missing, foreign or outdated file fails now, as with
    ``noisecut clean --site-memory``; a ``SiteMemory`` as it is. Wrong types raise ``Cleaner``'s TypeError."""
    check_site_memory(site_memory)
    if isinstance(site_memory, (str, os.PathLike)):
        site_memory = str(Path(site_memory).resolve())
        loaded_memory(site_memory)
    return site_memory


def loaded_memory(site_memory: SiteMemory | str | None) -> SiteMemory | None:
    """The ``SiteMemory`` of a ``site_memory_setting``. A file is loaded once per process, not once per
    instance: Dask and Spark unpickle a ``CleanBatch`` for every task, ``hf.clean_batch`` makes one per
    batch. A file changed since (its size or time) is loaded again."""
    if not isinstance(site_memory, str):
        return site_memory
    try:
        stat = os.stat(site_memory)
    except OSError:
        return SiteMemory.load(site_memory)  # its own error: no such site memory
    return _load_memory(site_memory, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=MEMORIES_PER_PROCESS)
def _load_memory(path: str, mtime_ns: int, size: int) -> SiteMemory:
    return SiteMemory.load(path)


def as_document(value: str | bytes, url=None) -> Document:
    """A record's text as the ``Document`` the ``Cleaner`` reads; ``url`` names its site for the site memory."""
    meta = {} if url is None or is_missing(url) else {URL_COLUMN_DEFAULT: url}
    return Document.from_text(value, meta=meta) if isinstance(value, str) else Document.from_bytes(value, meta=meta)


class LazyCleaner:
    """The settings of a ``Cleaner``, checked at once; the ``Cleaner`` itself loads on
    first use, once per instance, and is never pickled (only the settings travel to workers)."""

    def set_cleaner(self, model, keep, threshold, dedupe, site_memory=None) -> None:
        self.model = model
        self.keep = parse_keep(keep)
        self.threshold = check_threshold(threshold)
        if not is_flag(dedupe):
            raise NoiseCutError(f"dedupe takes True or False, not {dedupe!r}")
        self.dedupe = bool(dedupe)
        self.site_memory = site_memory_setting(site_memory)
        self._cleaner: Cleaner | None = None

    @property
    def cleaner(self) -> Cleaner:
        """The ``Cleaner``, loaded on first use (touch it to fail fast on a bad model)."""
        if self._cleaner is None:
            self._cleaner = Cleaner(self.model, keep=self.keep, threshold=self.threshold, dedupe=self.dedupe,
                                    site_memory=loaded_memory(self.site_memory))
        return self._cleaner

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_cleaner"] = None
        return state


class CleanBatch(LazyCleaner):
    """Clean ``batch[text_column]`` of a pandas DataFrame, its documents read by the model in batches.

    Parameters
    ----------
    model : str, Path, Model or None
        Model directory, a loaded ``Model``, or None for the shipped model.
    text_column : str
        The column holding the documents (``str`` or ``bytes`` values).
    output_column : str or None
        Where the cleaned text goes; None overwrites ``text_column``.
    keep : iterable of Label or label names, or a comma-separated string
        The labels whose lines are kept (the whole set, as in ``Cleaner``).
    threshold : float
        Keep a line when the probability of the kept labels reaches this.
    labels_column : str or None
        If set, also add this column: for each row, one label name per line
        of the input text (lines split at ``\\r\\n``, ``\\r`` or ``\\n``), None
        for blank lines; None for a row whose text is missing.
    dedupe : bool
        Drop later exact repeats of kept lines.
    site_memory : str, Path, SiteMemory or None
        The file ``noisecut sites`` writes (or a loaded ``noisecut.sites.SiteMemory``):
        drop lines that recur on most of their site's pages, as
        ``noisecut clean --site-memory`` does. A path travels to the workers,
        which need the file; a ``SiteMemory`` travels whole with every pickled copy.
    url_column : str
        The column holding each record's URL, whose host is its site for
        ``site_memory`` (a batch without it is refused; a missing URL: no site).

    Examples
    --------
    >>> import pandas as pd
    >>> clean = CleanBatch(model="models/mine", output_column="clean")   # doctest: +SKIP
    >>> clean(pd.DataFrame({"id": [1], "text": ["Home | News\\nA paragraph."]}))  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Model | str | None = None,
        text_column: str = TEXT_COLUMN_DEFAULT,
        output_column: str | None = None,
        keep: Iterable[Label | str] | str = KEEP_DEFAULT,
        threshold: float = THRESHOLD_DEFAULT,
        labels_column: str | None = None,
        dedupe: bool = True,
        site_memory: SiteMemory | str | os.PathLike | None = None,
        url_column: str = URL_COLUMN_DEFAULT,
    ):
        self.set_cleaner(model, keep, threshold, dedupe, site_memory)
        self.url_column = url_column
        self.text_column = text_column
        self.output_column = output_column or text_column
        self.labels_column = labels_column
        if labels_column is not None and labels_column in (text_column, self.output_column):
            raise NoiseCutError(f"labels_column {labels_column!r} must differ from the text and output columns")

    def __dask_tokenize__(self):
        # a saved Model is named by its digest; an unsaved one gets a token of its own
        model = (self.model.meta.get("sha256") or uuid.uuid4().hex) if isinstance(self.model, Model) else str(self.model)
        memory = uuid.uuid4().hex if isinstance(self.site_memory, SiteMemory) else self.site_memory
        return (type(self).__name__, model, self.text_column, self.output_column, sorted(self.keep),
                self.threshold, self.dedupe, self.labels_column, memory, self.url_column)

    def __repr__(self) -> str:
        keep = ",".join(sorted(label.value for label in self.keep))
        memory = "" if self.site_memory is None else f", site_memory={self.site_memory!r}, url_column={self.url_column!r}"
        return (f"CleanBatch(model={self.model!r}, text_column={self.text_column!r}, output_column={self.output_column!r}, "
                f"keep={keep!r}, threshold={self.threshold}, dedupe={self.dedupe}, labels_column={self.labels_column!r}{memory})")

    # -- cleaning ----------------------------------------------------------

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(batch, pd.DataFrame):  # Ray's default batches are dicts of arrays
            raise NoiseCutError(
                f"CleanBatch takes a pandas DataFrame, not {type(batch).__name__} "
                "(Ray Data: map_batches(..., batch_format='pandas'); Hugging Face datasets: noisecut.integrations.hf.clean_batch)"
            )
        if self.text_column not in batch.columns:
            raise NoiseCutError(f"no column {self.text_column!r} in the batch (columns: {', '.join(map(str, batch.columns))})")
        cleaned, labels = self.clean_column(batch[self.text_column], self.urls(batch))
        new = {self.output_column: cleaned}
        if self.labels_column is not None:
            new[self.labels_column] = pd.Series(labels, index=batch.index, dtype=object)
        out = batch.assign()  # a new frame: the input is not modified
        for name, values in new.items():  # not assign(**new): columns may be named by numbers (read_csv(header=None))
            out[name] = values
        return out

    def urls(self, columns) -> list | None:
        """Each record's URL, ``columns[url_column]`` of a DataFrame or a dict of columns, for the site memory
        (None without one; a batch without the column is refused: the memory would drop nothing, without a word)."""
        if self.site_memory is None:
            return None
        if self.url_column not in columns:
            names = ", ".join(map(str, columns.keys()))
            raise NoiseCutError(f"no column {self.url_column!r} in the batch (columns: {names}): the site memory finds "
                                "each record's site by its URL; name the column with url_column")
        return list(columns[self.url_column])

    def clean_column(self, column: pd.Series, urls: list | None = None) -> tuple[pd.Series, list]:
        """``clean_values`` of a Series: the cleaned Series (same index, its string dtype kept) and the labels."""
        cleaned, labels = self.clean_values(column.tolist(), list(column.index), urls)
        return pd.Series(cleaned, index=column.index, dtype=kept_dtype(column.dtype)), labels

    def clean_values(self, values: list, where: list | None = None, urls: list | None = None) -> tuple[list, list]:
        """``(cleaned, labels)`` for a list of cells, the model reading them in batches;
        labels are None unless ``labels_column`` is set. ``where``: the cells' index,
        for errors (None: a cell is named by its row number); ``urls``: each cell's record's URL
        (``urls``), for the site memory."""
        values = list(values)  # the caller's list stays as it was
        present = [i for i, value in enumerate(values) if not is_missing(value)]
        for i in present:
            if isinstance(values[i], (bytearray, memoryview)):  # as Cleaner.clean_bytes takes them (PySpark's binary values)
                values[i] = bytes(values[i])
            elif not isinstance(values[i], (str, bytes)):
                place = f"row {i}" if where is None else f"index {where[i]!r}"
                raise NoiseCutError(f"column {self.text_column!r}, {place}: expected str or bytes, got {type(values[i]).__name__}")
        cleaned, labels = list(values), [None] * len(values)
        if not present:  # no model loaded for an empty batch (``meta``)
            return cleaned, labels
        docs = [as_document(values[i], None if urls is None else urls[i]) for i in present]
        results = clean_batch(self.cleaner, docs, Output(labels=self.labels_column is not None))
        for i, doc, (text, line_labels) in zip(present, docs, results):
            cleaned[i] = text if isinstance(values[i], str) else encode(text, doc.encoding)  # as Cleaner.clean_bytes
            labels[i] = line_labels
        return cleaned, labels

    def map_iter(self, batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The iterator form Spark's ``mapInPandas`` wants: one cleaned frame per batch."""
        for batch in batches:
            yield self(batch)

    def meta(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The empty frame this returns for ``frame``'s columns: Dask's ``meta``.

        Accepts a pandas frame or anything with a pandas ``_meta`` (a Dask
        DataFrame). Never loads the model.
        """
        empty = getattr(frame, "_meta", frame).iloc[:0]
        return self(empty)

    def spark_schema(self, schema):
        """The Spark schema of the result, given the input's (for ``mapInPandas``)."""
        from pyspark.sql.types import ArrayType, StringType, StructField, StructType

        fields = list(schema.fields)
        names = [f.name for f in fields]
        text_type = fields[names.index(self.text_column)].dataType if self.text_column in names else StringType()
        if self.output_column not in names:
            fields.append(StructField(self.output_column, text_type, True))
        if self.labels_column is not None and self.labels_column not in names:
            fields.append(StructField(self.labels_column, ArrayType(StringType(), True), True))
        return StructType(fields)


def kept_dtype(dtype):
    """The dtype of a cleaned column: the text column's, if it is a pandas string dtype or an Arrow string
    or binary one (``dtype_backend="pyarrow"``); else object."""
    if isinstance(dtype, pd.StringDtype):
        return dtype
    arrow = getattr(dtype, "pyarrow_dtype", None)  # pd.ArrowDtype
    if arrow is not None:
        import pyarrow as pa

        if pa.types.is_string(arrow) or pa.types.is_large_string(arrow) or pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
            return dtype
    return object


def is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
