"""Cleaning many documents: in this process, or across worker processes.

``clean_documents`` turns a stream of documents into a stream of
``(document, cleaned text, labels)`` in input order. With ``jobs > 1`` it
runs a pool of worker processes (started with ``spawn``, so it behaves the
same on every platform and never forks a process that holds threads); each
worker builds its ``Cleaner`` once, in the pool initializer, from a
picklable factory (``CleanerSpec``).

Memory stays bounded: documents go out in chunks of ``CHUNK_DOCS`` and at
most ``jobs * CHUNKS_PER_WORKER + 1`` chunks are in flight; the next chunk is
read only when the oldest one's results have been handed on. (A plain
``Pool.imap`` would read the whole input ahead, and a ``Pool`` whose worker
is killed waits forever; ``ProcessPoolExecutor`` reports a dead worker as
``BrokenProcessPool``.)

Workers ignore Ctrl-C and leave the terminal's process group (a session of their own), so that only the
parent gets Ctrl-C, SIGTERM and SIGHUP sent to the group (a terminal, `timeout`): the command turns SIGTERM and
SIGHUP into an exception, ``cli.Terminated``, stops, and shuts the pool down, a second signal waiting until it
has. (A worker killed while it writes a result leaves half a message that the pool waits for the rest of; a
worker that ignored SIGTERM instead would outlive a broken pool, which ends its workers with SIGTERM.) A worker
whose parent dies without shutting it down (SIGKILL) exits by itself; the workers of a broken pool are killed.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain
from multiprocessing.connection import wait
from typing import Callable, Iterable, Iterator, Optional

from .batching import LINGER, Arrived, arrival, batches, chunks
from .cleaner import Cleaner, explain_table
from .document import Document
from .errors import NoiseCutError
from .labels import KEEP_DEFAULT, Label
from .policy import THRESHOLD_DEFAULT
from .sites import URL_FIELDS

CHUNK_DOCS = 64          # documents per task sent to a worker: the worker cleans them as one batch
CHUNKS_PER_WORKER = 2    # tasks queued per worker, so none waits for the next
IN_PROCESS_BELOW = 64    # fewer documents than this are cleaned without starting workers
PARENT_GONE = 70         # a worker's exit status when its parent died first

Labels = Optional[list]  # one label name per line, None for blank lines
Result = tuple[str, Labels]
CleanerFactory = Callable[[], Cleaner]


@dataclass(frozen=True)
class CleanerSpec:
    """How to build a ``Cleaner``: the model directory and the policy. Picklable; calling it builds one."""

    model: str | None = None
    keep: frozenset[Label] = KEEP_DEFAULT
    threshold: float | str = THRESHOLD_DEFAULT  # or a preset's name: each model resolves it (``Cleaner``)
    dedupe: bool = True
    site_memory: str | None = None  # a file written by `noisecut sites`

    def __call__(self) -> Cleaner:
        return Cleaner(self.model, keep=self.keep, threshold=self.threshold, dedupe=self.dedupe,
                       site_memory=self.site_memory)


@dataclass(frozen=True)
class Output:
    """What to compute per document besides the cleaned text."""

    labels: bool = False   # the per-line labels (``Cleaner.classify``)
    explain: bool = False  # the ``--explain`` table instead of the cleaned text


def clean_one(cleaner: Cleaner, doc: Document, output: Output = Output()) -> Result:
    """The cleaned text of ``doc`` (or its explanation) and, if asked, its per-line labels."""
    return clean_batch(cleaner, [doc], output)[0]


def clean_batch(cleaner: Cleaner, docs: list[Document], output: Output = Output()) -> list[Result]:
    """``clean_one`` of each document, the model reading them together (``noisecut.batching``)."""
    if not (output.explain or output.labels):
        return [(text, None) for text in cleaner.clean_documents(docs)]
    out = []
    for doc, results in zip(docs, cleaner.classify_many(docs)):  # one pass gives both: the kept lines are the cleaned text
        if output.explain:
            out.append((explain_table(results, cleaner.site_note(doc)), None))
        else:
            out.append((doc.join([r.index for r in results if r.kept]), [r.label.value if r.label else None for r in results]))
    return out


def available_cores() -> int:
    """The cores this process may run on (``os.cpu_count()`` where affinity is unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def clean_documents(
    docs: Iterable[Document],
    factory: CleanerFactory,
    jobs: int | None = 1,
    output: Output = Output(),
    chunk: int = CHUNK_DOCS,
) -> Iterator[tuple[Document, str, Labels]]:
    """``(doc, cleaned, labels)`` for each document, in order; ``jobs`` None or 0: every core.

    The factory is called once here first (a bad model fails before any
    worker starts) and once in each worker. Pages still to be rendered
    (``io.html.PendingPage``) are rendered where they are cleaned: here, or
    in the workers; one the renderer fails on is reported in its place in
    the input and left out. If reading the next document fails, the
    documents read before it are cleaned and handed on before the error.
    """
    jobs = jobs or available_cores()
    cleaner = factory()
    arrived = arrival(docs)  # an input that can pause (``batching.ReadAhead``): output keeps up with it
    docs = iter(docs)
    if jobs == 1:
        yield from _here(cleaner, docs, output, arrived)
        return
    # workers start once IN_PROCESS_BELOW documents come without a pause: a smaller input, or one that
    # comes slowly, is cleaned here (starting workers would take longer than cleaning it)
    for head in chunks(docs, IN_PROCESS_BELOW, arrived):  # a reading error comes after the documents read before it
        if len(head) < IN_PROCESS_BELOW:
            yield from _here(cleaner, head, output)
            continue
        with_html = cleaner.needs_pages  # pages go to the workers only for a model of their own or one reading markup
        del cleaner
        yield from _pooled(chain(head, docs), factory, jobs, output, chunk, with_html, arrived)
        return


def _here(cleaner: Cleaner, docs: Iterable[Document], output: Output, arrived: Arrived | None = None) -> Iterator[tuple[Document, str, Labels]]:
    """``clean_documents`` in this process, a batch at a time."""
    from .io.html import render_pages

    for batch in batches(render_pages(docs), arrived=arrived):
        for doc, result in zip(batch, clean_batch(cleaner, batch, output)):
            yield (doc, *result)


# -- the worker side ----------------------------------------------------------

_cleaner: Cleaner | None = None  # each worker's own, built once by the initializer


def _init_worker(factory: CleanerFactory) -> None:
    global _cleaner
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's to handle: it shuts the workers down
    if hasattr(os, "setsid"):
        os.setsid()  # out of the terminal's process group: what is sent to the group reaches the parent alone
    _exit_with_parent()
    _cleaner = factory()


def _exit_with_parent() -> None:
    """End this worker when the process that started it is gone (SIGKILL, the out-of-memory killer): it
    would otherwise wait for work forever, since it holds its task queue's write end itself."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        wait([parent.sentinel])  # readable once the parent's end of the pipe is closed: it exited
        os._exit(PARENT_GONE)

    threading.Thread(target=watch, name="noisecut-parent-watch", daemon=True).start()


def _clean_chunk(payloads: list[tuple], output: Output) -> list[tuple]:
    return clean_payloads(_cleaner, payloads, output)


def clean_payloads(cleaner: Cleaner, payloads: list[tuple], output: Output) -> list[tuple[str | None, Labels, object]]:
    """``clean_batch`` of documents sent to a worker as ``payload``s (here, or to a Ray actor): ``(text, labels, rendered)`` each.

    A page sent to be rendered is rendered here: ``rendered`` is a ``Document`` of its lines
    (the parent's ``PendingPage.finish`` takes them as they are), or the renderer's
    ``UnrenderableHTML`` (then text and labels are None); None for a document sent as lines."""
    from .io.html import UnrenderableHTML, render_document

    docs, rendered = [], []
    for lines, ends, bom, html, id, site, renderer in payloads:
        if renderer is None:
            doc = Document(lines, ends, bom, id=id, meta=site, html=html)
        else:
            try:
                doc = render_document(html, id, site, renderer)
            except UnrenderableHTML as error:
                rendered.append(error)
                continue
        docs.append(doc)
        rendered.append(None if renderer is None else Document(doc.lines, doc.ends, doc.bom))  # the lines, not the page again
    results = iter(clean_batch(cleaner, docs, output))
    return [(None, None, r) if isinstance(r, UnrenderableHTML) else (*next(results), r) for r in rendered]


# -- the parent side ----------------------------------------------------------

def payload(doc: Document, with_html: bool = False) -> tuple:
    """What a worker needs of ``doc`` to clean it (its page too, ``with_html``, for a model that reads
    markup; its id and URL fields: an error message names it, site memory finds its site,
    ``sites.site_of``); the rest of ``meta`` stays with the parent. A ``PendingPage`` goes as its
    page and renderer, rendered by the worker."""
    from .io.html import PendingPage

    site = {field: doc.meta[field] for field in URL_FIELDS if field in (doc.meta or {})}
    if isinstance(doc, PendingPage):
        return None, None, None, doc.html, doc.id, site, doc.renderer
    return doc.lines, doc.ends, doc.bom, doc.html if with_html else None, doc.id, site, None


def _pooled(docs: Iterator[Document], factory: CleanerFactory, jobs: int, output: Output, chunk: int,
            with_html: bool = False, arrived: Arrived | None = None) -> Iterator[tuple[Document, str, Labels]]:
    context = multiprocessing.get_context("spawn")
    _start_resource_tracker()
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(factory,))
    try:
        yield from in_order(chunks(docs, chunk, arrived), lambda batch: pool.submit(_clean_chunk, [payload(d, with_html) for d in batch], output),
                            lambda batch, future: _results(batch, future, pool), jobs * CHUNKS_PER_WORKER + 1, arrived)
    finally:
        with _signals_deferred():
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends, then take effect as they would have. Around the pool's
    shutdown: a second Ctrl-C there (the first one stops the run) broke it off, and the process hung, a worker
    blocked writing a result that nothing read any more. (A worker is not ended instead: killed while it
    writes a result, it leaves half a message that the pool waits for the rest of.) Only in the main thread,
    where Python runs signal handlers; a signal ignored stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler not in (signal.SIG_IGN, None):
            previous[signum] = signal.signal(signum, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)  # its own handler now: KeyboardInterrupt, the command's, or the default


def in_order(batches: Iterator[list], submit: Callable, collect: Callable, window: int,
             arrived: Arrived | None = None) -> Iterator:
    """``collect(batch, submit(batch))`` for each of ``batches``, in input order, with at most ``window``
    batches submitted and not collected (bounded memory). A reading error comes after the results of what
    was read before it (a page there that the renderer failed on is reported first). Both engines use it.
    ``arrived`` (an input that can pause, ``batching.ReadAhead.wait``): when the next document has not
    come within ``LINGER`` seconds, the batches in flight are collected before waiting on for it. (Not at
    once: a chunk takes what the reading thread had read ahead, which may not have read the next one
    yet, and collecting everything then leaves the workers idle.)"""
    in_flight: deque = deque()
    while True:
        if in_flight and arrived is not None and not arrived(LINGER):
            while in_flight:
                yield from collect(*in_flight.popleft())
        try:
            batch = next(batches, None)
        except Exception:
            while in_flight:
                yield from collect(*in_flight.popleft())
            raise
        if batch is None:
            break
        in_flight.append((batch, submit(batch)))
        if len(in_flight) >= window:
            yield from collect(*in_flight.popleft())
    while in_flight:
        yield from collect(*in_flight.popleft())


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, if it is not running yet, with SIGHUP blocked, as multiprocessing
    blocks SIGINT and SIGTERM for it: a terminal closing would kill it, and it would be started again with a
    warning and a traceback per pool lock."""
    from multiprocessing import resource_tracker

    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or not hasattr(signal, "pthread_sigmask"):
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {hangup})
    try:
        resource_tracker.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """SIGKILL the workers of a broken pool: one blocked on a queue a dead worker left locked would never take
    the pool's request to stop."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):  # already gone, or closed
            pass


def _results(batch: list[Document], future, pool: ProcessPoolExecutor | None = None) -> Iterator[tuple[Document, str, Labels]]:
    try:
        results = future.result()
    except BrokenProcessPool:
        if pool is not None:
            _kill_workers(pool)
        raise NoiseCutError(
            f"a worker process died while cleaning documents {batch[0].id} to {batch[-1].id} "
            "(killed, or out of memory?)"
        ) from None
    yield from finished(batch, results)


def finished(batch: list, results: list[tuple]) -> Iterator[tuple[Document, str, Labels]]:
    """A chunk's documents with the results ``clean_payloads`` gave them; a page rendered by the worker gets
    its lines here, one the renderer failed on is reported (``PendingPage.finish``) and left out."""
    for doc, (text, labels, rendered) in zip(batch, results):
        if rendered is not None:
            doc = doc.finish(rendered)
            if doc is None:
                continue
        yield doc, text, labels
