"""Corpus-scale cleaning: inputs of any format -> cleaned documents -> one output.

``clean_files(CleanConfig(...))`` is what ``noisecut clean`` runs; its
steps are plain functions a Python user can chain differently:

    read (``open_reader``) -> clean (``parallel.clean_documents``) -> write (``open_writer``)

``clean_stream`` is the middle and the end: documents in, a writer fed in
input order, a progress bar on a terminal.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ..batching import ReadAhead
from ..document import Document, count_content_lines
from ..errors import NoiseCutError
from ..labels import KEEP_DEFAULT, Label
from ..model import MARKUP, model_dir, model_inputs, read_meta
from ..parallel import CleanerFactory, CleanerSpec, Output, clean_documents
from ..policy import THRESHOLD_DEFAULT
from .files import ON_ERROR_DEFAULT, STDIO, RecordErrors, check_not_an_input, current_read_progress, is_stdio, reading_progress
from .formats import RECORD_OUTPUTS, input_format, open_reader, open_writer, output_format
from .html import RENDERER_DEFAULT
from .records import TEXT_FIELD_DEFAULT

PROGRESS_DELAY = 1.0  # seconds before a progress bar appears: short runs show none


@dataclass
class CleanConfig:
    """Everything one ``noisecut clean`` run needs; the fields are its options' names."""

    files: Sequence[str | Path] = ()
    output: str | Path | None = None
    input_format: str | None = None
    output_format: str | None = None
    text_field: str = TEXT_FIELD_DEFAULT
    html_field: str | None = None      # records: this field holds HTML, rendered; the cleaned text goes to text_field
    renderer: str = RENDERER_DEFAULT   # what renders HTML inputs to text
    labels_field: str | None = None
    jobs: int | None = None            # None or 0: every core
    on_error: str = ON_ERROR_DEFAULT   # "stop" or "skip"
    quiet: bool = False
    model: str | Path | None = None
    keep: frozenset[Label] = field(default=KEEP_DEFAULT)
    threshold: float | str = THRESHOLD_DEFAULT  # or a preset's name: each model resolves it (``Cleaner``)
    no_dedupe: bool = False
    explain: bool = False
    engine: str = "local"              # or "ray": clean on a Ray cluster; reading and writing stay here
    address: str | None = None         # the Ray cluster (None: a running one if Ray finds one, else a new local one)
    site_memory: str | Path | None = None  # a file written by `noisecut sites` (``sites.py``)

    def cleaner(self) -> CleanerSpec:
        model = str(model_dir(self.model).resolve()) if self.model is not None else None  # `-m html`: the shipped one
        memory = str(Path(self.site_memory).resolve()) if self.site_memory is not None else None
        return CleanerSpec(model, frozenset(self.keep), self.threshold, not self.no_dedupe, memory)


@dataclass
class CleanStats:
    documents: int = 0   # written
    skipped: int = 0     # bad records left out (--on-error skip)
    not_text: int = 0    # WARC records that are neither plain text nor HTML
    seconds: float = 0.0
    lines: int = 0       # non-blank input lines
    kept: int | None = 0  # of which kept (None: not counted, for --explain)

    @property
    def rate(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0

    def count(self, doc: Document, cleaned: str | None) -> None:
        """One more document written: its non-blank lines, and those of its ``cleaned`` text (None: not counted)."""
        self.documents += 1
        self.lines += len(doc.content_indices())
        if cleaned is None or self.kept is None:
            self.kept = None
        else:
            self.kept += count_content_lines(cleaned)  # split as the input was

    def summary(self) -> str:
        """The one line ``noisecut clean`` ends with on stderr."""
        if self.kept is None:
            lines = f"{self.lines} lines explained"
        else:
            lines = f"kept {self.kept} of {self.lines} lines" + (f" ({self.kept / self.lines:.0%})" if self.lines else "")
        return (f"cleaned {_plural(self.documents, 'document')}: {lines}, "
                f"{_plural(self.skipped, 'record')} skipped, {self.rate:.1f} docs/s")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def clean_stream(
    docs: Iterable[Document],
    write: Callable[..., None],
    factory: CleanerFactory,
    jobs: int | None = 1,
    output: Output = Output(),
    progress: bool = False,
    stats: CleanStats | None = None,
    total_bytes: int | None = None,
    engine: Callable = clean_documents,
) -> int:
    """Clean ``docs`` and hand each to ``write(doc, text, labels)`` in input order; returns how many.

    ``factory`` builds the ``Cleaner`` (a ``CleanerSpec`` for ``jobs > 1``: it
    is sent to the workers). ``progress``: a bar on stderr when it is a
    terminal, over ``total_bytes`` of input files with an ETA when that is
    known (counted inside ``files.reading_progress``), else documents/s.
    ``stats`` counts documents and lines. ``engine``: ``clean_documents``, or
    one with its signature (``integrations.ray.ray_engine(...)``).
    """
    stats = stats if stats is not None else CleanStats()
    start = stats.documents
    with _progress(progress, total_bytes) as advance:
        for doc, text, labels in engine(docs, factory, jobs, output):
            write(doc, text, labels)
            stats.count(doc, None if output.explain else text)
            advance()
    return stats.documents - start


def clean_files(config: CleanConfig) -> CleanStats:
    """Read ``config.files``, clean them, write ``config.output``: the ``noisecut clean`` command."""
    started = time.perf_counter()
    sources = [str(source) for source in config.files] or [STDIO]
    _check_sources(sources)
    formats = [input_format(source, config.input_format) for source in sources]
    out_format = output_format(config.output, config.output_format, formats, config.explain)
    memory = _check(config, sources, formats, out_format)
    schema = _parquet_schema(sources, config.text_field, config.html_field) if out_format == "parquet" and set(formats) == {"parquet"} else None
    engine = clean_documents if config.engine == "local" else _ray_engine(config)

    from .warc import WarcStats

    errors, warc_stats, stats = RecordErrors(config.on_error, _log), WarcStats(), CleanStats()
    render_later = config.engine == "local"  # pages are rendered where they are cleaned: in the -j workers
    docs = chain.from_iterable(
        open_reader(source, fmt, errors, config.text_field, warc_stats, config.renderer, config.html_field, render_later)
        for source, fmt in zip(sources, formats)
    )
    if config.on_error == "skip" and MARKUP in model_inputs(read_meta(config.model)):
        docs = _pages_only(docs, errors)
    output = Output(labels=bool(config.labels_field), explain=config.explain)
    with reading_progress(), ReadAhead(docs) as docs:  # read by a thread: a slow input's documents come out as they come
        with open_writer(config.output, out_format, config.text_field, config.labels_field, schema) as write:
            if config.explain:
                write = _table_writer(write, several=len(sources) > 1 or not set(formats) <= {"text", "html"})
            if memory is not None:
                write, known = _site_counter(write, memory)
            clean_stream(docs, write, config.cleaner(), config.jobs, output, progress=not config.quiet and not _writes_to_terminal(config.output),
                         stats=stats, total_bytes=_input_bytes(sources, formats), engine=engine)
            if not stats.documents:  # inside the writer: no output file is left
                raise NoiseCutError(_no_documents(sources, errors.skipped, warc_stats.not_text))
    stats.skipped, stats.not_text, stats.seconds = errors.skipped, warc_stats.not_text, time.perf_counter() - started
    if memory is not None and not known() and not config.quiet:
        from ..sites import MIN_PAGES

        _log(f"{config.site_memory}: the site memory has none of these documents' sites (a record's url host, else its "
             f"file's directory as its id names it) with {MIN_PAGES} pages or more, so it dropped nothing; count the "
             "inputs with `noisecut sites` as you clean them")
    if stats.not_text and not config.quiet:
        _log(f"left out {stats.not_text} WARC records that are neither plain text nor HTML")
    if stats.skipped and config.quiet:
        _log(f"skipped {_plural(stats.skipped, 'record')}")
    if not config.quiet:
        _log(stats.summary())
    return stats


def _table_writer(write: Callable[..., None], several: bool) -> Callable[..., None]:
    """``--explain``: each document's table in UTF-8 whatever the input's encoding (a report, not its text),
    after a ``# ID`` line naming the document where the input holds several."""

    def write_table(doc: Document, table: str, labels=None) -> None:
        write(Document([], [], id=doc.id), (f"# {doc.id}\n" if several else "") + table)

    return write_table


def _site_counter(write: Callable[..., None], memory) -> tuple[Callable[..., None], Callable[[], int]]:
    """``write``, counting the documents whose site the ``memory`` knows (``MIN_PAGES`` or more):
    a memory counted another way than the inputs are read (other site keys) changes nothing."""
    from ..sites import MIN_PAGES, site_of

    known = [0]

    def counting(doc: Document, *args) -> None:
        known[0] += memory.pages(site_of(doc)) >= MIN_PAGES
        write(doc, *args)

    return counting, lambda: known[0]


def _pages_only(docs: Iterable[Document], errors: RecordErrors) -> Iterator[Document]:
    """A markup-reading model under ``--on-error skip``: a plain-text document is skipped like a bad record."""
    for doc in docs:
        if doc.html is None and doc.markup is None:
            errors(doc.id or STDIO, None, "plain text; the model reads HTML markup")
        else:
            yield doc


def _no_documents(sources: list[str], skipped: int, not_text: int) -> str:
    names = "stdin" if sources == [STDIO] else ", ".join(sources)
    why = []
    if skipped:
        why.append(f"{_plural(skipped, 'record')} skipped")
    if not_text:
        why.append(f"{not_text} WARC records neither plain text nor HTML")
    return f"no documents in {names}" + (f" ({', '.join(why)})" if why else "") + "; nothing written"


def _input_bytes(sources: list[str], formats: list[str]) -> int | None:
    """The bytes the inputs hold on disk, when every input is a file read through ``open_input``."""
    if any(is_stdio(source) for source in sources) or "parquet" in formats:
        return None
    from .text import directory_files

    return sum(
        sum(p.stat().st_size for p in directory_files(source)) if fmt == "dir" else Path(source).stat().st_size
        for source, fmt in zip(sources, formats)
    )


def _ray_engine(config: CleanConfig):
    from ..integrations.ray import ray_engine

    return ray_engine(address=config.address, quiet=config.quiet)


def _check_sources(sources: list[str]) -> None:
    if sources.count(STDIO) > 1:
        raise NoiseCutError("stdin (-) can be read only once")
    for source in sources:
        if not is_stdio(source) and not Path(source).exists():
            raise NoiseCutError(f"{source}: no such file")


def _check(config: CleanConfig, sources: list[str], formats: list[str], out_format: str):
    """Refuse what cannot work before reading or writing anything; the site memory, loaded (or None)."""
    output = config.output
    memory = None
    if config.site_memory is not None:
        from ..sites import SiteMemory

        memory = SiteMemory.load(config.site_memory)  # a missing or foreign file stops here, not in every worker
    if out_format == "dir":
        if is_stdio(output):
            raise NoiseCutError("directory output needs -o OUTDIR")
        if formats != ["dir"]:
            raise NoiseCutError(f"{output}: directory output mirrors one input directory; got {', '.join(sources)}")
        from .text import check_output_names

        check_output_names(sources[0])
    from .html import renderer
    from .text import directory_files

    for source, fmt in zip(sources, formats):
        if fmt == "dir" and next(directory_files(source), None) is None:
            raise NoiseCutError(f"{source}: no .txt, .md or .html files in this directory; nothing to clean")
    if config.html_field and not set(formats) & {"jsonl", "parquet"}:
        raise NoiseCutError("--html-field names a field of JSONL or Parquet records; none of the inputs is")
    if config.html_field or "html" in formats:
        renderer(config.renderer)  # a missing renderer stops here, before any output
    if config.explain and out_format != "text":
        raise NoiseCutError(f"--explain prints a table per line; it cannot be written as {out_format}")
    if config.labels_field and out_format not in RECORD_OUTPUTS:
        raise NoiseCutError(f"--labels-field needs JSONL or Parquet output, not {out_format}")
    if config.labels_field and config.labels_field in (config.text_field, config.html_field):
        raise NoiseCutError(f"--labels-field {config.labels_field}: the cleaned text goes in that field; "
                            "name another field for the labels")
    check_not_an_input(output, sources)
    return memory


def _parquet_schema(sources: list[str], text_field: str, html_field: str | None = None):
    """The input schema the Parquet output keeps; every input must share it."""
    from .parquet import parquet_schema

    first = parquet_schema(sources[0], text_field, html_field)
    for source in sources[1:]:
        if not parquet_schema(source, text_field, html_field).equals(first, check_metadata=False):
            raise NoiseCutError(f"{source}: its columns differ from {sources[0]}'s; write them to separate outputs")
    return first


def _writes_to_terminal(output: str | Path | None) -> bool:
    """Whether the cleaned text goes to a terminal (stdout left there): a progress bar on stderr, the same
    terminal most often, would be drawn in among the output lines and stay in them."""
    if str(output) == "/dev/tty":
        return True
    if not (is_stdio(output) or str(output) == "/dev/stdout"):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced, or closed
        return False


def _log(message: str) -> None:
    from tqdm import tqdm

    if sys.stderr is None:  # closed (`2>&-`): tqdm.write would put it on stdout
        return

    tqdm.write(message, file=sys.stderr)  # does not tear a progress bar


@contextmanager
def _progress(enabled: bool, total_bytes: int | None):
    """A function to call after each document: moves a bar on stderr (a terminal only), or does nothing."""
    if not enabled or sys.stderr is None or not sys.stderr.isatty():
        yield lambda: None
        return
    from tqdm import tqdm

    common = dict(delay=PROGRESS_DELAY, file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    if total_bytes:
        read = current_read_progress()
        with tqdm(total=total_bytes, unit="B", unit_scale=True, **common) as bar:
            def advance():
                bar.update(read.done() - bar.n)

            yield advance
        return
    with tqdm(unit=" docs", **common) as bar:
        yield bar.update
