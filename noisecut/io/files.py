"""Plain files and streams, written whole or not at all."""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator


@contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """A temporary file beside ``path``, renamed onto it only if the block succeeds.

    On any exception (Ctrl-C included) the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_output(chunks: Iterable[bytes], path: str | Path | None) -> None:
    """Write byte chunks to ``path`` atomically, or to stdout when ``path`` is None or ``-``."""
    if path is None or str(path) == "-":
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        return
    with atomic_open(path) as f:
        for chunk in chunks:
            f.write(chunk)
