"""Fuzzing the input readers: damaged files give documents or one clean NoiseCutError, never a traceback.

Every reader of ``noisecut.io`` (text, gzip'd text, JSONL, gzip'd JSONL,
Parquet, WET, gzip'd WET, WARC) gets valid seed files (``tests/fuzz/seeds.py``)
with bits flipped, bytes inserted or replaced, cut short, or replaced
by random bytes. Reading must either yield documents or raise
``NoiseCutError`` whose message is one line starting with the file's name,
in ``--on-error stop`` and ``skip`` mode alike.

``tests/fuzz/fuzz_readers.py`` is the atheris harness for the same check;
every input it (or anyone) found to crash a reader is saved under
``tests/fuzz/regressions/`` and replayed here.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")
pytest.importorskip("warcio")

sys.path.insert(0, str(Path(__file__).resolve().parent / "fuzz"))
import seeds  # noqa: E402  (tests/fuzz/seeds.py)

from noisecut.errors import NoiseCutError  # noqa: E402

REGRESSIONS = Path(__file__).resolve().parent / "fuzz" / "regressions"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Regression files that still crash a reader; each is a reported bug. Remove the entry when it is fixed
# (the strict xfail turns into a failure as soon as the file reads cleanly).
KNOWN_BUGS: dict[str, str] = {}  # regression file name -> open bug; empty: every saved crash is fixed


SEEDS = {fmt: seeds.seed(fmt) for fmt in seeds.FORMATS}


def check(fmt: str, path: Path, every_crash: bool = False) -> None:
    """Read in both modes: documents, or a one-line NoiseCutError naming the file (checked by ``read_all``).

    The Hypothesis tests pass over crashes already reported (``seeds.known_bug``,
    each pinned by a regression file and a strict xfail) so they look for new
    ones; the regression replays count every crash.
    """
    for mode in ("stop", "skip"):
        try:
            seeds.read_all(fmt, path, mode, one_line=True)
        except NoiseCutError:
            pass
        except Exception as error:
            if every_crash or not seeds.known_bug(error):
                raise


# -- mutations -----------------------------------------------------------------


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """``data`` with a few edits: bit flips, byte replacement, insertion, deletion, truncation."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "byte", "insert", "delete", "truncate", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x0A, 0x0D, 0x22, 0x7B, 0x5B, 0x80, 0x7F]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "repeat" and data:
            data[at:at] = data[at:at + draw(st.integers(1, 64))]
    return bytes(data)


@pytest.mark.parametrize("fmt", seeds.FORMATS)
def test_seed_files_read_cleanly(tmp_path, fmt):
    path = tmp_path / ("seed" + seeds.SUFFIX[fmt])
    path.write_bytes(SEEDS[fmt])
    docs = seeds.read_all(fmt, path)
    expected = ["".join(seeds.TEXTS)] if fmt.startswith("text") else seeds.TEXTS
    if fmt == "warc":  # the second response claims iso-8859-1 for UTF-8 bytes: read as Latin-1, as it says
        expected = [expected[0], expected[1].encode().decode("latin-1"), expected[2]]
    assert [d.text() for d in docs] == expected


@pytest.mark.parametrize("fmt", seeds.FORMATS)
@FUZZ
@given(data=st.data())
def test_mutated_files(tmp_path, fmt, data):
    body = data.draw(mutated(SEEDS[fmt]), label="file")
    path = tmp_path / ("input" + seeds.SUFFIX[fmt])
    path.write_bytes(body)
    check(fmt, path)


@pytest.mark.parametrize("fmt", ["jsonl.gz", "text.gz", "wet.gz"])
@FUZZ
@given(data=st.data())
def test_gzip_of_mutated_content(tmp_path, fmt, data):
    """Damage under a valid gzip layer, so it reaches the format's own parser."""
    body = data.draw(mutated(gzip.decompress(SEEDS[fmt])), label="content")
    path = tmp_path / ("input" + seeds.SUFFIX[fmt])
    path.write_bytes(gzip.compress(body, mtime=0))
    check(fmt, path)


@pytest.mark.parametrize("fmt", seeds.FORMATS)
@settings(FUZZ, max_examples=15)
@given(body=st.one_of(st.binary(max_size=300), st.binary(max_size=40).map(lambda b: b"\x1f\x8b" + b),
                      st.binary(max_size=60).map(lambda b: b"PAR1" + b + b"PAR1"),
                      st.binary(max_size=60).map(lambda b: b"WARC/1.0\r\n" + b)))
def test_random_bytes(tmp_path, fmt, body):
    path = tmp_path / ("input" + seeds.SUFFIX[fmt])
    path.write_bytes(body)
    check(fmt, path)


@settings(FUZZ, max_examples=60)
@given(line=st.one_of(
    st.binary(max_size=80),
    st.text(max_size=60).map(str.encode),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
                 lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["text", "id", "x"]), inner, max_size=3)),
                 max_leaves=8).map(lambda v: json.dumps(v).encode()),
))
def test_jsonl_arbitrary_lines(tmp_path, line):
    """One arbitrary line (bytes, text, any JSON value) between two good records."""
    path = tmp_path / "input.jsonl"
    path.write_bytes(b'{"text": "a"}\n' + line + b'\n{"text": "b"}\n')
    check("jsonl", path)


def test_error_names_file_and_record(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "a"}\n{"text": \n')
    with pytest.raises(NoiseCutError, match=rf"^{path}: record 2: invalid JSON"):
        seeds.read_all("jsonl", path)


# -- regression inputs (found by the atheris harness or by hand) --------------------------


def regression_cases():
    for path in sorted(REGRESSIONS.iterdir()) if REGRESSIONS.is_dir() else []:
        if path.name.startswith(".") or path.is_dir():
            continue
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[path.name])] if path.name in KNOWN_BUGS else []
        yield pytest.param(path, id=path.name, marks=marks)


@pytest.mark.parametrize("path", list(regression_cases()))
def test_regression_inputs(tmp_path, path):
    fmt = seeds.format_of(path.name)
    copy = tmp_path / path.name  # read a copy: the messages name it, and nothing writes next to the repository
    copy.write_bytes(path.read_bytes())
    check(fmt, copy, every_crash=True)


def test_every_known_bug_has_its_file():
    assert set(KNOWN_BUGS) <= {p.name for p in REGRESSIONS.iterdir()}
