"""Valid inputs of every reader format, and one call that reads any of them the way ``noisecut clean`` does.

Shared by ``tests/test_fuzz_readers.py`` (Hypothesis) and ``tests/fuzz/fuzz_readers.py``
(atheris): both mutate these seeds and check that reading either yields
documents or raises ``NoiseCutError`` with one line naming the file.
"""
from __future__ import annotations

import datetime
import gzip
import io
import json
from pathlib import Path

from noisecut.errors import NoiseCutError
from noisecut.io.files import RecordErrors

TEXTS = [
    "Home | News | Sport\nThe council voted on Tuesday to approve a new budget for the library.\n\nShare\n",
    "\ufeffA paragraph with a BOM, CRLF endings and accents: café, naïve.\r\nMenu | Contact\r\n",
    "中文句子。\nمرحبا بالعالم\n😀 \u200b zero width\n",
]

# format -> file suffix the seed is written with (the reader does not look at it; messages do)
SUFFIX = {
    "text": ".txt", "text.gz": ".txt.gz", "jsonl": ".jsonl", "jsonl.gz": ".jsonl.gz",
    "parquet": ".parquet", "wet": ".wet", "wet.gz": ".wet.gz", "warc": ".warc",
}
FORMATS = tuple(SUFFIX)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def jsonl_seed() -> bytes:
    rows = [{"id": i, "url": f"https://example.com/{i}", "text": t, "n": i * 1.5, "tags": ["a", None]} for i, t in enumerate(TEXTS)]
    return b"".join(json.dumps(r, ensure_ascii=i % 2 == 0).encode() + b"\n" for i, r in enumerate(rows)) + b"\n"


def parquet_seed(rich: bool = False) -> bytes:
    """Uncompressed, plain-encoded, small row groups: mutations land on values and page headers.

    ``rich`` adds timestamp, date and decimal columns (see the regression
    files: out-of-range values there crash the reader).
    """
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "id": pa.array(range(len(TEXTS)), pa.int64()),
        "text": pa.array(TEXTS, pa.string()),
        "score": pa.array([0.5, None, 2.0], pa.float64()),
        "tags": pa.array([["a"], [], None], pa.list_(pa.string())),
    }
    if rich:
        columns["when"] = pa.array([datetime.datetime(2024, 3, 12, 10, 32)] * len(TEXTS), pa.timestamp("us"))
        columns["day"] = pa.array([datetime.date(2024, 3, 12)] * len(TEXTS), pa.date32())
        columns["price"] = pa.array([decimal.Decimal("1.25")] * len(TEXTS), pa.decimal128(9, 2))
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink, compression="NONE", use_dictionary=False, row_group_size=2)
    return sink.getvalue()


def warc_seed(compress: bool, kind: str = "conversion") -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    sink = io.BytesIO()
    writer = WARCWriter(sink, gzip=compress)
    writer.write_record(writer.create_warcinfo_record("seed.warc", {"software": "noisecut fuzz seeds"}))
    for i, text in enumerate(TEXTS):
        date = {"WARC-Date": f"2021-04-07T10:{i:02d}:00Z"}
        if kind == "conversion":
            record = writer.create_warc_record(f"https://example.com/{i}", "conversion", payload=io.BytesIO(text.encode()),
                                               warc_headers_dict={**date, "Content-Type": "text/plain"})
        else:
            charset = ["utf-8", "iso-8859-1", "x-unknown"][i % 3]
            http = StatusAndHeaders("200 OK", [("Content-Type", f"text/plain; charset={charset}")], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"https://example.com/{i}", "response", payload=io.BytesIO(text.encode()),
                                               http_headers=http, warc_headers_dict=date)
        writer.write_record(record)
    return sink.getvalue()


def seed(fmt: str, rich: bool = False) -> bytes:
    """A valid file of format ``fmt`` (one of ``FORMATS``)."""
    if fmt == "text":
        return "".join(TEXTS).encode()
    if fmt == "text.gz":
        return _gzip("".join(TEXTS).encode())
    if fmt == "jsonl":
        return jsonl_seed()
    if fmt == "jsonl.gz":
        return _gzip(jsonl_seed())
    if fmt == "parquet":
        return parquet_seed(rich)
    if fmt in ("wet", "wet.gz"):
        return warc_seed(fmt.endswith(".gz"))
    if fmt == "warc":
        return warc_seed(False, "response")
    raise ValueError(fmt)


def reader(fmt: str):
    """The reader function for ``fmt``: (path, errors) -> documents."""
    base = fmt.split(".")[0]
    if base == "text":
        from noisecut.io.text import read_text
        return read_text
    if base == "jsonl":
        from noisecut.io.jsonl import read_jsonl
        return read_jsonl
    if base == "parquet":
        from noisecut.io.parquet import read_parquet
        return read_parquet
    from noisecut.io.warc import read_warc
    return read_warc


def read_all(fmt: str, path: Path, on_error: str = "stop", one_line: bool = True) -> list:
    """Every document of ``path``; a ``NoiseCutError`` is checked (names the file, one line) and re-raised."""
    errors = RecordErrors(on_error, log=lambda message: None)
    try:
        docs = list(reader(fmt)(path, errors))
    except NoiseCutError as error:
        message = str(error)
        assert message.startswith(f"{path}: "), f"message does not name the file: {message!r}"
        if one_line:
            assert "\n" not in message and "\r" not in message, f"message is not one line: {message!r}"
        raise
    for doc in docs:
        assert isinstance(doc.lines, list) and len(doc.lines) == len(doc.ends)
    return docs


def known_bug(error: BaseException) -> bool:
    """A crash already reported and saved under ``regressions/`` (replayed there as a strict xfail).

    The fuzzers pass over these so they look for new crashes. Delete a line
    when its bug is fixed.
    """
    return False  # every crash found so far is fixed; add a test here for a new one while it is open


def format_of(name: str) -> str:
    """The format a regression file is replayed as: the part of its name before the first ``-``."""
    fmt = name.split("-", 1)[0]
    if fmt not in SUFFIX:
        raise ValueError(f"{name}: regression files are named <format>-<what>.<ext>, format one of {', '.join(FORMATS)}")
    return fmt
