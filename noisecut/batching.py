"""What the model reads at once: documents in batches, huge documents in windows.

The model runs fastest over many documents together (one feature pass, one
GRU step for every document's next line; ``Model.predict_proba_batch``), and
each document's result is the one it gets alone. Two limits keep memory
bounded whatever the input:

* ``batches`` groups a stream of documents, in order, into lists of at most
  ``BATCH_LINES`` lines and ``BATCH_CHARS`` characters (a document over
  either limit is a batch by itself). It reads the stream lazily: one batch
  of documents is held at a time (and what ``ReadAhead`` has read ahead).
* ``probabilities`` sorts a batch's documents by length and hands them to the
  model in groups of about ``MODEL_LINES`` lines: a GRU step costs about
  20 µs of numpy calls however few documents it advances, so documents of
  similar length go together (fewer steps), and groups stay small enough
  for the CPU caches (larger ones ran slower, in spite of fewer steps).
* ``probabilities`` runs a document of more than ``WINDOW_LINES`` non-blank
  lines in overlapping windows of that many lines, each read as a document of
  its own, and keeps every line's result from the window where it is
  furthest from an edge (at least ``WINDOW_OVERLAP`` lines of context on
  each side), so memory stays bounded. Only documents that long can come
  out differently from a whole-document pass, and they do: the
  document-level features (position, repeats, shared words) see the window,
  not the whole document, and the GRU can carry a state over thousands of
  lines (``benchmarks/windows.py``: 400 test-split pages joined into one
  document of 30,000 lines, 118 lines kept or dropped otherwise than by the
  whole-document pass, which keeps 843).

``chunks`` cuts a stream into lists of a fixed number of items: the tasks
that ``-j`` workers, Ray actors and the datatrove step each clean as one
batch.

Input that comes slowly (``tail -f crawl.jsonl | noisecut clean -I jsonl``, a
crawler piping a record a second) must not wait for a full batch: its
cleaned documents would appear minutes after they were read. So the command
reads through ``ReadAhead``, a thread that reads up to ``READ_AHEAD``
documents ahead of the cleaning and can say whether the next one has come
(``wait``). ``batches`` and ``chunks`` given that check hand a batch over
when the next document has not come ``LINGER`` seconds after the batch's
first one, and ``parallel.in_order`` collects the ``-j`` results in flight
when it has not come within ``LINGER``: slow input is cleaned a few
documents at a time, fast input (a file, a fast pipe: the next document is
there within that time) in full batches as before. Each document's result
does not depend on the batch it is in, so the output is the same either way.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Generic, Iterable, Iterator, Sequence, TypeVar

import numpy as np

BATCH_LINES = 32_000        # lines read at once, sorted by length into groups for the model
BATCH_CHARS = 8_000_000     # characters read at once: memory for long lines
MODEL_LINES = 8_000         # lines the model reads at once
WINDOW_LINES = 20_000       # a document with more non-blank lines than this runs in windows
WINDOW_OVERLAP = 1_000      # lines of context a window adds on each side of the lines it decides
LINGER = 0.2                # seconds a batch waits for the input's next document before it is cleaned as it is
READ_AHEAD = 64             # documents ``ReadAhead`` reads ahead of the cleaning (memory: at most this many more)

T = TypeVar("T")


Arrived = Callable[[float], bool]  # ``ReadAhead.wait``: whether the next item has come within that many seconds
_END = object()


def batches(docs: Iterable[T], size=lambda doc: (len(doc.lines), sum(map(len, doc.lines))),
            lines: int = BATCH_LINES, chars: int = BATCH_CHARS, arrived: Arrived | None = None) -> Iterator[list[T]]:
    """Consecutive documents grouped while their ``size`` (lines, characters) stays within the limits.

    A batch is handed over as soon as it is full, or when the next document would not fit.
    ``arrived`` (an input that can pause, ``ReadAhead.wait``): also when the next document has
    not come ``LINGER`` seconds after the batch's first one. If reading the next document fails,
    the documents read before it still come out (as a last, smaller batch) before the error
    does: whatever was read whole gets cleaned and written."""
    batch: list[T] = []
    used_lines = used_chars = 0
    started = 0.0
    docs = iter(docs)
    try:
        while True:
            if batch and arrived is not None and not arrived(max(0.0, started + LINGER - time.monotonic())):
                yield batch
                batch, used_lines, used_chars = [], 0, 0
            doc = next(docs, _END)
            if doc is _END:
                break
            n_lines, n_chars = size(doc)
            if batch and (used_lines + n_lines > lines or used_chars + n_chars > chars):
                yield batch
                batch, used_lines, used_chars = [], 0, 0
            if not batch:
                started = time.monotonic()
            batch.append(doc)
            used_lines, used_chars = used_lines + n_lines, used_chars + n_chars
            if used_lines >= lines or used_chars >= chars:  # full: the next document is not read for it
                yield batch
                batch, used_lines, used_chars = [], 0, 0
    except Exception:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def chunks(items: Iterable[T], size: int, arrived: Arrived | None = None) -> Iterator[list[T]]:
    """Consecutive items in lists of ``size`` (the last one shorter; shorter ones too where an
    input that can pause, ``arrived``, pauses): the tasks sent to workers.

    ``batches`` counting items, so the items read before a reading error come out before it."""
    return batches(items, size=lambda _: (1, 0), lines=size, arrived=arrived)


class ReadAhead(Generic[T]):
    """``items``, read by a thread of their own up to ``ahead`` items before they are asked for, so that
    the reader can ask whether the next one has come (``wait``) instead of blocking on a slow pipe.

    An error raised reading comes in its place, after the items read before it. ``close`` stops the
    thread; one blocked reading a pipe that sends nothing more is a daemon, gone when the program ends
    (why ``io.files`` reads stdin through a reader of its own: Python's shutdown aborts when it finds
    ``sys.stdin``'s lock held by such a thread)."""

    def __init__(self, items: Iterable[T], ahead: int = READ_AHEAD):
        self._queue: queue.Queue = queue.Queue(ahead)
        self._next = None     # (item, error) taken from the queue by ``wait``, not yet handed on
        self._done = False    # the end, or an error, was handed on
        self._stopped = False
        self._thread = threading.Thread(target=self._read, args=(items,), name="noisecut-read-ahead", daemon=True)
        self._thread.start()

    def _read(self, items: Iterable[T]) -> None:
        try:
            for item in items:
                self._queue.put((item, None))
                if self._stopped:
                    return
        except BaseException as error:  # handed on to the reader, where it is raised
            self._queue.put((None, error))
            return
        self._queue.put((_END, None))

    def wait(self, timeout: float) -> bool:
        """Whether the next item (or the end, or an error) has come within ``timeout`` seconds."""
        if self._next is None and not self._done:
            try:
                self._next = self._queue.get(timeout=timeout)
            except queue.Empty:
                return False
        return True

    def __iter__(self) -> "ReadAhead[T]":
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item, error = self._next if self._next is not None else self._queue.get()
        self._next = None
        if error is not None or item is _END:
            self._done = True
            if error is not None:
                raise error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop reading: the thread ends after the item it is reading (a blocked one at the program's end)."""
        self._stopped = self._done = True
        try:
            while True:  # room for the item being read: the thread puts it, sees ``_stopped`` and ends
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def __enter__(self) -> "ReadAhead[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def arrival(items) -> Arrived | None:
    """``items.wait`` for a ``ReadAhead``: the check ``batches``, ``chunks`` and ``parallel.in_order`` take; else None."""
    return items.wait if isinstance(items, ReadAhead) else None


def probabilities(model, docs: Sequence[Sequence[str]], window: int = WINDOW_LINES,
                  overlap: int = WINDOW_OVERLAP, lines: int = MODEL_LINES,
                  markup: Sequence[np.ndarray] | None = None, routes: Sequence[bool] | None = None) -> list[np.ndarray]:
    """``model.predict_proba_batch`` of each document (its non-blank lines), in the order given:
    longest first in groups of about ``lines`` lines, those longer than ``window`` in windows.
    ``markup``: each document's markup rows, for a model that reads them. ``routes``: for a model
    with a site expert, which documents it recognises, when the caller knows (else found here, once)."""
    if routes is None and getattr(model, "site", None) is not None:
        routes = model.routes(docs)
    out: list[np.ndarray] = [None] * len(docs)  # type: ignore[list-item]
    longest_first = sorted(range(len(docs)), key=lambda i: len(docs[i]), reverse=True)
    for i in longest_first:
        if len(docs[i]) > window:
            out[i] = windowed(model, docs[i], window, overlap, None if markup is None else markup[i],
                              None if routes is None else bool(routes[i]))
    rest = [i for i in longest_first if len(docs[i]) <= window]
    for group in batches(rest, size=lambda i: (len(docs[i]), 0), lines=lines):
        texts = [docs[i] for i in group]
        extra = {} if markup is None else {"markup": [markup[i] for i in group]}
        if routes is not None:
            extra["routes"] = [routes[i] for i in group]
        given = model.predict_proba_batch(texts, **extra)
        for i, p in zip(group, given):
            out[i] = p
    return out


def windowed(model, texts: Sequence[str], window: int = WINDOW_LINES, overlap: int = WINDOW_OVERLAP,
             markup: np.ndarray | None = None, recognised: bool | None = None) -> np.ndarray:
    """Probabilities for one long document, ``window`` lines at a time (see the module's docstring).
    ``recognised``: for a model with a site expert, whether it recognises the document, when known."""
    if window <= 2 * overlap:
        raise ValueError(f"a window of {window} lines cannot hold {overlap} lines of context on each side")
    step = window - 2 * overlap  # the lines each window decides
    # a model with a site expert routes the document as a whole, not window by window
    routed = {}
    if getattr(model, "site", None) is not None:
        routed = {"routes": model.routes([texts]) if recognised is None else [recognised]}
    parts = []
    for decided in range(0, len(texts), step):
        low = max(0, min(decided - overlap, len(texts) - window))
        high = min(len(texts), low + window)
        window_texts = [texts[low:high]]
        p = model.predict_proba_batch(window_texts, **routed, **({} if markup is None else {"markup": [markup[low:high]]}))[0]
        parts.append(p[decided - low:min(decided + step, len(texts)) - low])
    return np.vstack(parts)
