"""Plain files and streams: inputs opened (gzip or not), outputs written whole or not at all.

Every file output goes through ``atomic_open``: a temporary file beside the
target, renamed onto it only when writing finished. An error, Ctrl-C or a
crashed worker leaves the target as it was and no half-written file behind.
"""
from __future__ import annotations

import errno
import gzip
import io
import os
import shutil
import stat
import sys
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from ..errors import NoiseCutError

STDIO = "-"  # the path that means stdin or stdout
GZIP_MAGIC = b"\x1f\x8b"
GZIP_LEVEL = 6  # level 9 is several times slower for a few per cent
# compressions noisecut does not read, by their first bytes: (magic, name, the command that decompresses)
OTHER_COMPRESSIONS = ((b"\x28\xb5\x2f\xfd", "zstd", "zstd -dc"), (b"\xfd7zXZ\x00", "xz", "xz -dc"),
                      (b"BZh", "bzip2", "bzip2 -dc"), (b"\x04\x22\x4d\x18", "lz4", "lz4 -dc"))
# output names that ask for one of them (noisecut writes gzip only)
OTHER_COMPRESSION_SUFFIXES = (".zst", ".zstd", ".xz", ".bz2", ".lz4")
# what only writing raises (a full disk or quota, a file too large): named after the output
WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# what a damaged compressed stream raises while being read
READ_ERRORS = (EOFError, OSError, zlib.error)
HEAD_BYTES = 1 << 16  # how much of an input is read to guess its format


def is_stdio(path: str | Path | None) -> bool:
    return path is None or str(path) == STDIO


def input_name(path: str | Path | None) -> str:
    """What a message calls an input: its path, or "stdin"."""
    return "stdin" if is_stdio(path) else str(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """A temporary file beside ``path``, renamed onto it only if the block succeeds.

    On any exception (Ctrl-C included) the temporary file is removed and
    ``path`` is left as it was. The file gets the permissions a plain
    ``open`` would give it (``mkstemp`` alone would make it private): those
    of the file it replaces, else the umask's. A symbolic link is written
    through: its target is replaced, the link stays.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        error.filename = str(path)  # not the temporary name, which the user never gave
        raise
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException as error:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and error.filename is None and error.errno in WRITE_ERRNOS:
            error.filename = str(path)  # `No space left on device` alone did not say which output
        raise


@contextmanager
def atomic_directory(root: Path) -> Iterator[Path]:
    """A hidden directory beside ``root`` to write into; its files are moved into ``root`` (made if need be,
    other files left) only if the block succeeds. On any exception (Ctrl-C included) it is removed and
    ``root`` is left as it was."""
    with staging_directory(root) as staging:
        yield staging
        move_into(staging, root)


@contextmanager
def staging_directory(root: Path) -> Iterator[Path]:
    """A hidden directory beside ``root``, removed after the block whatever happens: what ``move_into``
    has not moved into ``root`` by then is dropped (``atomic_directory``; a caller that decides
    only at the end whether to keep what it wrote)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into(staging: Path, root: Path) -> list[Path]:
    """Move the files under ``staging`` to the same places under ``root`` (made if need be, other files left);
    returns where they went."""
    root.mkdir(exist_ok=True)
    moved = []
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            target = root / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(target)
    return moved


def log_line(message: str) -> None:
    """``message`` on stderr; nowhere when stderr is closed (`2>&-`), never on stdout, where ``print`` would put it."""
    if sys.stderr is not None:
        print(message, file=sys.stderr, flush=True)


def is_gzip_name(path: str | Path) -> bool:
    """Whether an output's name asks for gzip (``.gz``, any case, as the format guesser reads names)."""
    return Path(str(path)).name.lower().endswith(".gz")


def is_compressed_name(path: str | Path) -> bool:
    """Whether an output's name asks for any compression (``.gz``, ``.zst``, ...): the files ``label`` and
    ``sites`` write are not compressed, so such a name would be a lie."""
    return is_gzip_name(path) or Path(str(path)).name.lower().endswith(OTHER_COMPRESSION_SUFFIXES)


def check_output_file(path: Path) -> None:
    """Stop when the file ``path`` cannot be written where it is named."""
    if not path.parent.is_dir():
        raise NoiseCutError(f"{path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise NoiseCutError(f"{path}: is a directory (pass a file name, or --output-format dir)")
    if path.name.lower().endswith(OTHER_COMPRESSION_SUFFIXES):
        raise NoiseCutError(f"{path}: noisecut compresses its output with gzip only; name it .gz, "
                            "or write to stdout and pipe that to the compressor")


def is_stream(path: str | Path) -> bool:
    """Whether ``path`` names a stream to write into, not a file to replace: a device, a pipe or a socket
    (``/dev/null``, a FIFO), or anything under ``/dev`` (``/dev/stdout``, even when it leads to a file)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) or str(path).startswith("/dev/")


@contextmanager
def open_output(path: str | Path | None, compress: bool | None = None) -> Iterator[BinaryIO]:
    """stdout for ``None`` or ``-``, else an atomic file (a stream such as ``/dev/null`` or a FIFO: written
    into, not replaced); gzip when ``compress`` (default: a ``.gz`` name). What is written to stdout or
    a stream goes out at once (``_WrittenThrough``)."""
    if is_stdio(path):
        if sys.stdout is None:  # started with stdout closed (`>&-`)
            raise NoiseCutError("stdout is closed; write to a file with -o FILE")
        out = sys.stdout.buffer
        yield _WrittenThrough(out)
        out.flush()
        return
    path = Path(path)
    check_output_file(path)
    if compress is None:
        compress = is_gzip_name(path)
    stream = is_stream(path)
    with (open(path, "wb") if stream else atomic_open(path)) as f:
        if not compress:
            yield _WrittenThrough(f) if stream else f
            return
        # mtime=0: the same input gives the same bytes
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=GZIP_LEVEL, mtime=0, filename="") as z:
            yield z


class _WrittenThrough:
    """A stream flushed after every write: the program reading noisecut's output through a pipe gets each
    document as it is cleaned, not once a buffer fills (with a slow input, many seconds later)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def write(self, data) -> int:
        written = self._stream.write(data)
        self._stream.flush()
        return written

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def write_output(chunks: Iterable[bytes], path: str | Path | None) -> None:
    """Write byte chunks to ``path`` atomically, or to stdout when ``path`` is None or ``-``."""
    with open_output(path, compress=False) as f:
        for chunk in chunks:
            f.write(chunk)


class _Replay(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_stdin: tuple = (None, None)  # (sys.stdin.buffer, the stream that replays what head() read of it)


def _stdin_stream() -> BinaryIO:
    """stdin's bytes, replaying what ``head`` read; always with ``peek`` (to tell gzip by its first bytes)."""
    global _stdin
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        raise NoiseCutError("stdin is closed; name the input files, or give it input (< FILE)")
    source, stream = _stdin
    if source is not sys.stdin.buffer:
        stream = _own_reader(sys.stdin.buffer)
        if not hasattr(stream, "peek"):  # a BytesIO in place of stdin
            stream = io.BufferedReader(_Replay(b"", stream))
        _stdin = (sys.stdin.buffer, stream)
    return stream


def _own_reader(stdin: BinaryIO) -> BinaryIO:
    """A reader of stdin's file of our own, not ``sys.stdin.buffer``: documents are read by a thread
    (``batching.ReadAhead``) that may be blocked reading a pipe when the command ends, and Python's shutdown
    aborts ("could not acquire lock for <stdin>") when it finds ``sys.stdin``'s lock held by a thread."""
    try:
        fd = stdin.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a BytesIO), or closed
        return stdin
    return open(fd, "rb", closefd=False)


def head(path: str | Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of ``path``'s content (decompressed), without using them up.

    stdin is read once: what is read here is replayed by the next ``open_input("-")``.
    An unreadable start gives what could be read; the reader reports the error.
    """
    global _stdin
    if is_stdio(path):
        stream = _stdin_stream()
        start = stream.read(size)
        _stdin = (sys.stdin.buffer, io.BufferedReader(_Replay(start, stream)))
        if start[:2] != GZIP_MAGIC:
            return start
        return _gunzip_start(start)
    with open_input(path) as f:
        try:
            return f.read(size)
        except READ_ERRORS:
            return b""


def _gunzip_start(data: bytes) -> bytes:
    try:
        return zlib.decompressobj(wbits=31).decompress(data)
    except zlib.error:
        return b""


class ReadProgress:
    """Bytes of input files read so far (as stored: compressed bytes of a gzip'd file), for a progress bar."""

    def __init__(self):
        self.finished = 0    # bytes of the files already read to the end
        self.current = None  # the file being read

    def done(self) -> int:
        current = self.current
        try:
            return self.finished + (current.tell() if current is not None else 0)
        except (OSError, ValueError):  # closed between the check and tell()
            return self.finished

    def _opened(self, raw) -> None:
        self.current = raw

    def _closed(self, raw) -> None:
        if self.current is raw:
            try:
                self.finished += raw.tell()
            except OSError:  # a pipe (`noisecut clean <(zcat a.txt.gz)`) has no position
                pass
            self.current = None


_progress: ReadProgress | None = None  # set while ``reading_progress`` runs


def current_read_progress() -> ReadProgress:
    """The ``ReadProgress`` of the innermost ``reading_progress`` block (a fresh one outside any)."""
    return _progress or ReadProgress()


@contextmanager
def reading_progress() -> Iterator[ReadProgress]:
    """Count the bytes every ``open_input`` reads from files inside this block."""
    global _progress
    previous, _progress = _progress, ReadProgress()
    try:
        yield _progress
    finally:
        _progress = previous


@contextmanager
def open_input(path: str | Path) -> Iterator[BinaryIO]:
    """A binary stream over ``path`` (``-``: stdin), decompressed when it is gzip.

    gzip is recognised by its first bytes, not the name. A truncated or
    damaged gzip stream raises one of ``READ_ERRORS`` while it is read.
    """
    if is_stdio(path):
        raw, close = _stdin_stream(), False
    else:
        try:
            raw, close = open(path, "rb"), True
        except FileNotFoundError:
            raise NoiseCutError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise NoiseCutError(f"{path}: is a directory") from None
    progress = _progress if close else None
    if progress:
        progress._opened(raw)
    try:
        start = raw.peek(16) if hasattr(raw, "peek") else b""
        _check_compression(path, start)
        magic = start[:2]
        yield gzip.GzipFile(fileobj=raw, mode="rb") if magic == GZIP_MAGIC else raw
    finally:
        if close:
            if progress:
                progress._closed(raw)
            raw.close()


def other_compression(start: bytes) -> tuple[str, str] | None:
    """(name, command that decompresses) of the compression other than gzip that ``start`` opens, or None."""
    for magic, name, command in OTHER_COMPRESSIONS:
        if not start.startswith(magic):
            continue
        if name == "bzip2" and not (start[3:4].isdigit() and start[4:10] in (b"1AY&SY", b"\x17rE8P\x90")):
            continue
        if name == "lz4" and not (len(start) > 4 and start[4] >> 6 == 1):  # the frame's version bits: 01
            continue
        return name, command
    return None


def _check_compression(path: str | Path, start: bytes) -> None:
    """Refuse a stream compressed other than with gzip: read as it is, its bytes would be cleaned as text."""
    found = other_compression(start)
    if found:
        name, command = found
        what = input_name(path)
        raise NoiseCutError(f"{what}: {name}-compressed; noisecut reads gzip or uncompressed input: "
                            f"decompress it first ({command} FILE), or pipe it in decompressed")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (symbolic and hard links included)."""
    a, b = Path(a), Path(b)
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def inside(path: str | Path, directory: str | Path) -> bool:
    """Whether ``path`` is ``directory`` or lies somewhere under it."""
    path, directory = Path(path).resolve(), Path(directory).resolve()
    return path == directory or directory in path.parents


def check_not_an_input(output: str | Path | None, sources) -> None:
    """Stop before anything is read when writing ``output`` would overwrite an input: one of the files
    ``sources``, or something inside a directory among them."""
    if is_stdio(output):
        return
    for source in sources:
        if is_stdio(source):
            continue
        if Path(source).is_dir() and inside(output, source):
            raise NoiseCutError(f"{output}: output is inside the input directory {source}; write elsewhere")
        if same_file(source, output):
            raise NoiseCutError(f"{output}: output file is also an input; write elsewhere")


ON_ERROR_DEFAULT = "stop"


def one_line(text: str) -> str:
    """``text`` for a one-line message: line breaks a reader quoted from the input (a WARC header's
    ``\\r\\n``) shown as escapes."""
    return text.strip().replace("\r", "\\r").replace("\n", "\\n")


class RecordErrors:
    """What happens to a record that cannot be read: ``stop`` (raise) or ``skip`` (log and count).

    Messages name the file and the record: ``data.jsonl: record 17: invalid JSON (...)``.
    """

    MODES = ("stop", "skip")

    def __init__(self, on_error: str = ON_ERROR_DEFAULT, log: Callable[[str], None] | None = None):
        if on_error not in self.MODES:
            raise ValueError(f"on_error must be one of {self.MODES}, not {on_error!r}")
        self.on_error = on_error
        self.log = log or log_line
        self.skipped = 0

    def __call__(self, source: str | Path, record: int | None, reason: str) -> None:
        """A bad record (None: a whole document, e.g. a text file): raise, or log it and go on with the next one."""
        reason = one_line(reason)
        message = f"{source}: {reason}" if record is None else f"{source}: record {record}: {reason}"
        if self.on_error == "stop":
            raise NoiseCutError(message)
        self.skipped += 1
        self.log(f"skipped {message}")

    def unreadable(self, source: str | Path, record: int, reason: str) -> None:
        """The rest of a file cannot be read (truncated, corrupt): raise, or log and give up on the file."""
        reason = one_line(reason)
        if self.on_error == "stop":
            raise NoiseCutError(f"{source}: record {record}: {reason}")
        self.skipped += 1
        self.log(f"skipped {source} from record {record} on: {reason}")
