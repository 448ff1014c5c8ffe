#!/usr/bin/env python3
"""atheris harness for noisecut's input readers (not a pytest file: run it by hand).

Each input is one format byte (which reader) followed by the file's bytes.
Reading must either yield documents or raise ``NoiseCutError`` whose message
is one line naming the file, in both ``--on-error stop`` and ``skip`` modes;
anything else is a crash, and atheris saves the input as ``crash-*``. Crashes
already reported (``seeds.known_bug``) are passed over so a run finds new
ones; ``NOISECUT_FUZZ_ALL=1`` stops on those too.

    python3 tests/fuzz/fuzz_readers.py --seeds /tmp/readers-corpus      # write the seed corpus, then stop
    python3 tests/fuzz/fuzz_readers.py /tmp/readers-corpus -max_total_time=300 -rss_limit_mb=4096 \
        -artifact_prefix=/tmp/readers-crash-

Save a crash under ``tests/fuzz/regressions/`` without its format byte, named
``<format>-<what>.<ext>`` (``python3 tests/fuzz/fuzz_readers.py --export crash-... NAME``);
``tests/test_fuzz_readers.py`` replays every file there.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["noisecut", "warcio", "json", "gzip", "seeds"]):
    import seeds
    from noisecut.errors import NoiseCutError
    import noisecut.io.jsonl, noisecut.io.parquet, noisecut.io.text, noisecut.io.warc  # noqa: E401,F401

FORMATS = seeds.FORMATS
WORK = Path(tempfile.mkdtemp(prefix="noisecut-fuzz-"))


def split(data: bytes) -> tuple[str, bytes]:
    if not data:
        return FORMATS[0], b""
    return FORMATS[data[0] % len(FORMATS)], data[1:]


def one_input(data: bytes) -> None:
    fmt, body = split(data)
    path = WORK / ("input" + seeds.SUFFIX[fmt])
    path.write_bytes(body)
    for mode in ("stop", "skip"):
        try:
            seeds.read_all(fmt, path, mode)
        except NoiseCutError:
            pass
        except Exception as error:
            if os.environ.get("NOISECUT_FUZZ_ALL") == "1" or not seeds.known_bug(error):
                raise


def write_corpus(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i, fmt in enumerate(FORMATS):
        (directory / f"seed-{fmt}").write_bytes(bytes([i]) + seeds.seed(fmt, rich=True))
        (directory / f"seed-{fmt}-plain").write_bytes(bytes([i]) + seeds.seed(fmt))


def export(crash: Path, name: str) -> None:
    fmt, body = split(crash.read_bytes())
    if not name.startswith(fmt + "-"):
        name = f"{fmt}-{name}"
    target = Path(__file__).resolve().parent / "regressions" / (name + seeds.SUFFIX[fmt])
    target.write_bytes(body)
    print(target)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        write_corpus(Path(sys.argv[2]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--export":
        export(Path(sys.argv[2]), sys.argv[3])
        return
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
