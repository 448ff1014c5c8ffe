"""Ray: clean documents on a cluster.

* ``ray_engine``: what ``noisecut clean --engine ray [--address ADDRESS]``
  runs. Ray actors clean; reading and writing are the local engine's, so the
  output is the same as without ``--engine ray``.
* ``clean_with_ray``: Ray Data for Python users: read a corpus, clean it with
  ``CleanBatch``, write it with Ray's writers (the rules below).

Ray is an optional extra (``pip install 'noisecut[ray]'``); it is imported
only when these functions run.

Inputs (``input_format``, else guessed from the file names by
``noisecut.io.formats.format_from_name``, as ``noisecut clean`` does):

* ``jsonl``: ``*.jsonl``/``*.json``/``*.ndjson`` (optionally ``.gz``), one
  document per record, text in ``text_column`` (``ray.data.read_json``);
* ``parquet``: ``*.parquet`` (``ray.data.read_parquet``);
* ``text``: any other file is one document, read whole as bytes
  (``ray.data.read_binary_files``, with a ``path`` column). Not
  ``read_text``: that makes a row of every line, and a line alone cannot be
  classified without its neighbours. Kept lines come back byte for byte;
* a pandas DataFrame, or a ``ray.data.Dataset`` as it is.

Outputs (``output_format``, else from ``output``'s suffix): ``parquet`` or
``jsonl`` write a directory of files (Ray's writers, one or more files per
block); ``text`` writes one file holding the cleaned documents one after the
other in input order, like ``noisecut clean -o``, written whole or not at all
(for a Dataset you pass, in the order its context gives: set
``ds.context.execution_options.preserve_order = True`` first).
JSON cannot carry raw bytes, so documents read as ``text`` are decoded as
UTF-8 (invalid bytes replaced), or as the UTF-16 or UTF-32 their byte-order
mark names, for ``jsonl`` output; ``parquet`` keeps them as bytes, ``text``
writes each in its own encoding, as ``noisecut clean -o`` does.
"""
from __future__ import annotations

import functools
import itertools
import logging
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable

from ..document import ENCODING, WIDE_BOMS
from ..errors import NoiseCutError
from ..io.formats import format_from_name
from ..labels import KEEP_DEFAULT, Label
from ..model import Model
from ..policy import THRESHOLD_DEFAULT
from ..sites import SiteMemory
from .batch import TEXT_COLUMN_DEFAULT, URL_COLUMN_DEFAULT, CleanBatch, check_threshold, loaded_memory, parse_keep

FORMATS = ("jsonl", "parquet", "text")


def clean_with_ray(
    source,
    output: str | Path | None = None,
    *,
    model: Model | str | Path | None = None,
    keep: Iterable[Label | str] | str = KEEP_DEFAULT,
    threshold: float = THRESHOLD_DEFAULT,
    dedupe: bool = True,
    text_column: str = TEXT_COLUMN_DEFAULT,
    output_column: str | None = None,
    labels_column: str | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    address: str | None = None,
    concurrency: int | None = None,
    batch_size: int | None = None,
    site_memory: SiteMemory | str | Path | None = None,
    url_column: str = URL_COLUMN_DEFAULT,
):
    """Clean ``source`` with Ray Data; return the cleaned Dataset, or write it to ``output``.

    Parameters
    ----------
    source : path, list of paths, pandas.DataFrame or ray.data.Dataset
        Files or directories (see the module docstring for formats).
    output : path or None
        Where to write; None returns the (lazy) cleaned ``ray.data.Dataset``.
    model, keep, threshold, dedupe, text_column, output_column, labels_column
        As for ``CleanBatch``. The model is loaded here, in the driver, so a
        bad model fails before any work starts, and the arrays travel to the
        workers with the actors: workers need noisecut but not the model files.
    input_format, output_format : "jsonl", "parquet", "text" or None
        None guesses from the suffixes.
    address : str or None
        A Ray cluster to connect to (``"auto"``, ``"ray://host:10001"``);
        None connects to the cluster this process already uses, else to a
        local one (``ray.init()`` rules: ``$RAY_ADDRESS``, a ``ray start``
        cluster, else a new local cluster that lives as long as this process).
    concurrency : int or None
        Number of cleaning actors (each loads the model once); None lets Ray
        scale the pool between 1 and the cluster's CPUs. Either way the pool
        leaves a CPU for Ray's read and write tasks (``actor_cpus``).
    batch_size : int or None
        Documents per batch (Ray's default when None).
    site_memory, url_column
        As for ``CleanBatch``: the file ``noisecut sites`` writes, and the
        column of each record's URL (JSONL and Parquet records, DataFrames;
        text files have none). Like the model, the memory is loaded here and
        travels to the actors with them: workers do not need the file.

    Returns
    -------
    ray.data.Dataset when ``output`` is None, else ``output`` as a Path.
    """
    ray = _import_ray()
    keep, threshold = parse_keep(keep), check_threshold(threshold)
    options = dict(text_column=text_column, output_column=output_column, keep=keep, threshold=threshold,
                   dedupe=dedupe, labels_column=labels_column)
    site_memory = loaded_memory(CleanBatch(**options, site_memory=site_memory, url_column=url_column).site_memory)
    options.update(site_memory=site_memory, url_column=url_column)  # checked here: an actor's error comes after Ray has started
    if output is not None:
        output = Path(output)
        output_format = _output_format(output, output_format)
        _check_output(output, output_format)
    paths = _paths(source)
    if paths is not None:
        _check_inputs(paths)
        source = paths  # a generator of paths is read once
    if output is not None and any(output.resolve() == path.resolve() for path in paths or []):
        raise NoiseCutError(f"{output}: output is also an input; write elsewhere")
    if not isinstance(model, Model):
        model = Model.load(model)
    connect(address)
    cpus = ray.cluster_resources().get("CPU", 1.0)
    pool_size = concurrency or max(1, int(cpus))
    ds, raw_bytes = read_dataset(source, text_column=text_column, input_format=input_format, blocks=2 * pool_size)
    schema = ds.schema() if site_memory is not None else None
    if schema is not None and url_column not in schema.names:
        where = "text files have none, so clean them with `noisecut clean --site-memory`" if raw_bytes else "name the column with url_column"
        raise NoiseCutError(f"no column {url_column!r} in the input (columns: {', '.join(schema.names)}): the site memory "
                            f"finds each record's site by its URL; {where}")
    if output_format == "text" and not isinstance(source, ray.data.Dataset):
        ds.context.execution_options.preserve_order = True  # a snapshot read_dataset made: ours to change
    cleaned = ds.map_batches(
        CleanBatch,
        fn_constructor_kwargs=dict(model=model, **options),
        batch_format="pandas",
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=concurrency) if concurrency else ray.data.ActorPoolStrategy(min_size=1, max_size=pool_size),
        num_cpus=actor_cpus(pool_size, cpus),
    )
    if output is None:
        return cleaned
    try:
        write_dataset(cleaned, output, output_format, output_column or text_column, decode_bytes=raw_bytes)
    except Exception as error:  # a NoiseCutError raised in a worker arrives wrapped by Ray
        _raise_user_error(error)
    return output


def ray_engine(address: str | None = None, quiet: bool = False):
    """An engine for ``noisecut.io.clean_stream``: the documents are cleaned by Ray actors.

    This is ``noisecut clean --engine ray``. Reading and writing stay in this
    process, with the readers and writers of the local engine, so both
    engines take the same inputs and write the same output, byte for byte;
    Ray does the cleaning. ``jobs`` is the number of actors,
    each holding one ``Cleaner`` (None or 0: one per CPU of the cluster).
    The model is loaded here and its arrays travel to the actors, so the
    cluster's machines need noisecut but not the model files; so does the
    site memory (``spec.site_memory``), put in Ray's object store once and
    taken by each actor once, as ``clean_with_ray`` ships it. Each document
    takes its id and URL to its actor (``parallel.payload``): its site there
    is the one the local engine finds. At most ``CHUNKS_PER_WORKER`` chunks
    per actor are in flight: memory stays bounded and results come back in
    input order. An input that can pause (``batching.ReadAhead``, as
    ``noisecut clean`` reads) is sent and collected as the local engine's
    ``-j`` workers have it: slow input comes out as it comes. ``quiet``
    keeps Ray's own log lines off stderr.
    """
    from ..batching import arrival, chunks
    from ..parallel import CHUNK_DOCS, CHUNKS_PER_WORKER, clean_payloads, in_order, payload

    ray = _import_ray()

    class _Cleaning:
        def __init__(self, model, page_model, other_text_model, keep, threshold, dedupe, site_memory):
            from ..cleaner import Cleaner

            self.cleaner = Cleaner(model, keep=keep, threshold=threshold, dedupe=dedupe, page_model=page_model,
                                   other_text_model=other_text_model, site_memory=site_memory)

        def clean(self, payloads, output):
            return clean_payloads(self.cleaner, payloads, output)

    def engine(docs, spec, jobs, output):
        cleaner = spec()  # a bad model, or site memory, fails before Ray starts
        arrived = arrival(docs)  # an input that can pause: output keeps up with it
        docs = iter(docs)
        connect(address, quiet)
        cpus = ray.cluster_resources().get("CPU", 1.0)
        size = jobs or max(1, int(cpus))
        Actor = ray.remote(num_cpus=min(1.0, cpus / size))(_Cleaning)  # more actors than CPUs still fit
        model_ref = ray.put(cleaner.model)
        # the models a site expert hands other sites' pages and text to come from here too
        page_model_ref, other_text_ref = (None if other is cleaner.model else ray.put(other)
                                          for other in (cleaner.page_model, cleaner.other_text_model))
        memory_ref = None if cleaner.site_memory is None else ray.put(cleaner.site_memory)  # loaded by spec()
        pool = [Actor.remote(model_ref, page_model_ref, other_text_ref, spec.keep, spec.threshold, spec.dedupe, memory_ref)
                for _ in range(size)]
        actors = itertools.cycle(pool)
        try:
            yield from in_order(chunks(docs, CHUNK_DOCS, arrived),
                                lambda batch: next(actors).clean.remote([payload(d, cleaner.needs_pages) for d in batch], output),
                                functools.partial(_ray_results, ray), size * CHUNKS_PER_WORKER, arrived)
        finally:
            for actor in pool:
                ray.kill(actor)

    return engine


def _ray_results(ray, batch, ref):
    from ..parallel import finished

    try:
        results = ray.get(ref)
    except ray.exceptions.RayActorError:
        raise NoiseCutError(
            f"a Ray actor died while cleaning documents {batch[0].id} to {batch[-1].id} (killed, or out of memory?)"
        ) from None
    except ray.exceptions.RayError as error:
        _raise_user_error(error)
    yield from finished(batch, results)


def actor_cpus(concurrency: int, cluster_cpus: float) -> float:
    """CPUs each cleaning actor reserves: 1, or less so that Ray's read and write tasks still fit.

    Actors that hold every CPU leave none for the read and write tasks, and the
    dataset hangs (ray-project/ray#44687). A pool of ``concurrency`` actors
    therefore reserves at most all CPUs but one (half of them on a 1-CPU
    cluster); the actors still run one batch at a time each.
    """
    spare = max(cluster_cpus - 1.0, cluster_cpus / 2.0)
    return min(1.0, spare / concurrency)


def connect(address: str | None = None, quiet: bool = False) -> None:
    """Join the Ray cluster at ``address``, unless this process is already in one; ``quiet``: no Ray log lines."""
    ray = _import_ray()
    if not ray.is_initialized():
        if quiet:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR, include_dashboard=False)
        else:
            ray.init(address=address)


def read_dataset(source, *, text_column: str = TEXT_COLUMN_DEFAULT, input_format: str | None = None, blocks: int | None = None):
    """``(dataset, raw_bytes)`` for ``source``; ``raw_bytes`` when the texts are bytes (text files).

    ``blocks`` splits a DataFrame into that many blocks (at most one per row),
    so that several actors share it; files are split by Ray.
    """
    ray = _import_ray()
    if isinstance(source, ray.data.Dataset):
        return source, False
    if _is_dataframe(source):
        if text_column not in source.columns:
            raise NoiseCutError(f"no column {text_column!r} in the DataFrame (columns: {', '.join(map(str, source.columns))})")
        return ray.data.from_pandas(_split(source, blocks or 1)), False
    paths = _paths(source)
    _check_inputs(paths)
    fmt = input_format or _guess_format(paths)
    if fmt not in FORMATS:
        raise NoiseCutError(f"input format {fmt!r} is not one of {', '.join(FORMATS)}")
    names = [str(p) for p in paths]
    if fmt == "text":
        ds = ray.data.read_binary_files(names, include_paths=True)
        return ds.rename_columns({"bytes": text_column}), True
    ds = ray.data.read_json(names) if fmt == "jsonl" else ray.data.read_parquet(names)
    if text_column not in ds.schema().names:
        raise NoiseCutError(f"no column {text_column!r} in {paths[0]} (columns: {', '.join(ds.schema().names)})")
    return ds, False


def write_dataset(ds, output: Path, output_format: str, column: str, decode_bytes: bool = False) -> None:
    """Write ``ds`` as a directory of Parquet or JSONL files, or ``column`` as one text file."""
    if output_format == "text":
        from ..io.text import text_writer

        with text_writer(output) as write:  # as `noisecut clean -o`: each document starts on a line of its own
            for batch in ds.iter_batches(batch_format="pandas"):
                for value in batch[column].tolist():
                    if isinstance(value, bytes):  # in its own encoding, as the local engine writes it
                        value, encoding = decoded(value, "surrogateescape")
                        write(SimpleNamespace(encoding=encoding), value)
                    elif isinstance(value, str):
                        write(None, value)
        return
    _check_output(output, output_format)
    if output_format == "parquet":
        ds.write_parquet(str(output))
        return
    if decode_bytes:
        ds = ds.map_batches(_decode_column, fn_kwargs={"column": column}, batch_format="pandas")
    ds.write_json(str(output))


def _check_inputs(paths: list[Path]) -> None:
    if not paths:
        raise NoiseCutError("no input files")
    for path in paths:
        if not path.exists():
            raise NoiseCutError(f"{path}: no such file or directory")


def _check_output(output: Path, output_format: str) -> None:
    if output_format == "text":
        if output.is_dir():
            raise NoiseCutError(f"{output}: is a directory; text output is one file (or name a jsonl/parquet output format)")
    elif output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise NoiseCutError(f"{output}: already exists; {output_format} output goes to a new or empty directory")


def _decode_column(batch, column: str):
    decode = lambda v: decoded(v, "replace")[0] if isinstance(v, bytes) else v  # noqa: E731
    return batch.assign(**{column: [decode(v) for v in batch[column].tolist()]})


def decoded(data: bytes, errors: str) -> tuple[str, str]:
    """A cleaned document's bytes as ``(text, encoding)``. ``CleanBatch`` gives a document read with a UTF-16
    or UTF-32 byte-order mark back in that encoding, mark first (``Cleaner.clean_bytes``); anything else is
    UTF-8, invalid bytes handled by ``errors``. The mark stays in the text, as a UTF-8 one does."""
    for bom, encoding in WIDE_BOMS:  # UTF-32 first: its little-endian mark starts like UTF-16's
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    return data.decode(ENCODING, errors), ENCODING


def _guess_format(paths: list[Path]) -> str:
    files = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith((".", "_")))
        else:
            files.append(path)
    if not files:
        raise NoiseCutError(f"no files in {', '.join(map(str, paths))}; nothing to clean")
    formats = {_suffix_format(p) for p in files}
    if len(formats) > 1:
        raise NoiseCutError(f"inputs mix formats ({', '.join(sorted(formats))}); pass one format at a time")
    return formats.pop()


def _suffix_format(path: Path) -> str:
    """The format ``noisecut clean`` guesses for ``path`` (``io.formats.format_from_name``), if Ray Data reads it here."""
    fmt = format_from_name(path) or "text"
    if fmt not in FORMATS:
        raise NoiseCutError(f"{path}: {fmt} is not read with Ray Data here; use noisecut clean --engine ray, which reads it like the local engine")
    return fmt


def _output_format(output: Path, output_format: str | None) -> str:
    fmt = output_format or _suffix_format(output)
    if fmt not in FORMATS:
        raise NoiseCutError(f"output format {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def _paths(source) -> list[Path] | None:
    """The input paths ``source`` names (None for a DataFrame or a Dataset)."""
    if isinstance(source, (str, Path)):
        return [Path(source)]
    if _is_dataframe(source) or type(source).__module__.startswith("ray."):
        return None
    return [Path(p) for p in source]


def _split(frame, blocks: int) -> list:
    """``frame`` in up to ``blocks`` consecutive slices (``from_pandas``'s own split breaks on pandas 3)."""
    n = max(1, min(len(frame), blocks))
    bounds = [len(frame) * i // n for i in range(n + 1)]
    return [frame.iloc[a:b] for a, b in zip(bounds, bounds[1:])]


def _is_dataframe(obj) -> bool:
    return type(obj).__module__.startswith("pandas") and type(obj).__name__ == "DataFrame"


def _user_error(error: BaseException) -> BaseException:
    """The NoiseCutError a worker raised, out of the Ray error around it (else ``error``).

    Ray re-raises a worker's exception as a ``RayTaskError`` whose message
    holds the remote traceback, not the exception object: the last
    ``NoiseCutError: ...`` line of that message is the user's error.
    """
    seen = error
    while seen is not None:
        if isinstance(seen, NoiseCutError):
            return seen
        seen = seen.__cause__
    found = _WRAPPED_ERROR.findall(str(error))
    return NoiseCutError(found[-1]) if found else error


def _raise_user_error(error: BaseException):
    """Raise the NoiseCutError a worker raised (``_user_error``) on its own, else ``error`` as it is."""
    user_error = _user_error(error)
    if user_error is error:
        raise error
    raise user_error from None


_WRAPPED_ERROR = re.compile(r"^(?:noisecut\.errors\.)?NoiseCutError: (.*)$", re.MULTILINE)


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise NoiseCutError("Ray is not installed: pip install 'noisecut[ray]'") from None
    return ray
