"""noisecut.io: each format's reader and writer, format inference, atomic outputs, bad records.

Real text: the shared seed documents when present, else documents built here,
plus edge cases (CRLF, BOM, blank lines, no final newline, empty).
"""
from __future__ import annotations

import datetime
import gzip
import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from noisecut.document import Document
from noisecut.errors import NoiseCutError
from noisecut.io.files import RecordErrors, atomic_open, inside, open_input, open_output, same_file
from noisecut.io.formats import format_from_name, input_format, output_format
from noisecut.io.jsonl import dumps, jsonl_writer, read_jsonl
from noisecut.io.records import output_record
from noisecut.io.text import directory_writer, read_directory, read_text, text_writer
from noisecut.parallel import Output, clean_one

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
BUILT = [
    "Home | News | Sport | Weather\n"
    "Council approves new cycle lanes\n"
    "By Jane Smith | 12 March 2024\n"
    "\n"
    "The city council voted on Tuesday to build fourteen miles of protected cycle lanes, ending two years of debate.\n"
    "\n"
    "Work on the first stretch, along the river, will begin in September and should be finished by the spring.\n"
    "Share this article: Facebook Twitter Email\n"
    "Advertisement\n",
    "Skip to content\n"
    "The library will open on Sundays from next month, the council said, after a campaign by parents and teachers.\n"
    "Opening hours on weekdays stay the same; the longer hours are paid for by savings in the transport budget.\n"
    "Copyright 2024 Example News. All rights reserved.",
]
EDGE = [
    "",
    "\n\n",
    "\ufeffA byte-order mark starts this paragraph, which is long enough to read as the body of a report.\r\n"
    "Menu | Home | Contact\r\n"
    "\r\n"
    "A second paragraph after a blank line, in Windows line endings, with accents: café, naïve, Zürich.\r\n",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    return [p.read_text(encoding="utf-8") for p in found] + BUILT + EDGE


def records(texts) -> list[dict]:
    """One record per text, the text field in the middle to check field order survives."""
    return [
        {"id": f"doc-{i}", "url": f"https://example.com/{i}", "text": text, "tags": ["news", f"n{i}"], "score": i / 2, "extra": None}
        for i, text in enumerate(texts)
    ]


def write_jsonl(path: Path, rows, compress: bool = False) -> Path:
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def read_lines(path: Path) -> list[dict]:
    with open_input(path) as f:
        return [json.loads(line) for line in f]


def no_leftovers(directory: Path) -> list[str]:
    """Temporary files an atomic write left behind (there must be none)."""
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ text


def test_text_file_is_one_document_kept_byte_for_byte(tmp_path, cleaner):
    data = "\ufeffFirst paragraph.\r\nSecond\rthird\n".encode() + b"invalid \xff\xfe bytes\n"
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    [doc] = list(read_text(path, RecordErrors()))
    assert doc.id == str(path) and doc.meta == {"id": str(path)}
    assert doc.text().encode("utf-8", "surrogateescape") == data
    out = tmp_path / "out.txt"
    with text_writer(out) as write:
        write(doc, cleaner.clean_document(doc))
    assert out.read_bytes() == cleaner.clean_bytes(data)


def test_text_files_round_trip_in_order(tmp_path, cleaner, texts):
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(text, encoding="utf-8", newline="")
    out = tmp_path / "all.txt.gz"
    with text_writer(out) as write:
        for path in paths:
            for doc in read_text(path, RecordErrors()):
                write(doc, cleaner.clean_document(doc))
    expected = b"".join(cleaner.clean_bytes(p.read_bytes()) for p in paths)
    assert gzip.decompress(out.read_bytes()) == expected


def test_gzip_text_is_read_by_its_bytes_not_its_name(tmp_path):
    path = tmp_path / "page.data"
    path.write_bytes(gzip.compress(BUILT[0].encode()))
    [doc] = read_text(path, RecordErrors())
    assert doc.text() == BUILT[0]


# ------------------------------------------------------------------ directory


def test_directory_mirrors_txt_files_at_the_same_relative_paths(tmp_path, cleaner, texts):
    src, dst = tmp_path / "in", tmp_path / "out"
    (src / "a" / "b").mkdir(parents=True)
    (src / ".hidden").mkdir()
    expected = {}
    for i, text in enumerate(texts):
        rel = ["x.txt", "a/y.txt", "a/b/z.txt"][i % 3].replace(".txt", f"{i}.txt")
        (src / rel).write_text(text, encoding="utf-8", newline="")
        expected[rel] = cleaner.clean(text).encode("utf-8")
    (src / "notes.rst").write_text("not a text file noisecut reads")
    (src / ".draft.txt").write_text("hidden")
    (src / ".hidden" / "h.txt").write_text("hidden")
    docs = list(read_directory(src, RecordErrors()))
    assert [d.id for d in docs] == [d.id for d in read_directory(src, RecordErrors())]  # a stable order
    assert {d.id for d in docs} == set(expected)
    assert all(d.meta == {"id": d.id} for d in docs)
    with directory_writer(dst) as write:
        for doc in docs:
            write(doc, cleaner.clean_document(doc))
    written = {p.relative_to(dst).as_posix(): p.read_bytes() for p in dst.rglob("*") if p.is_file()}
    assert written == expected


def test_directory_writer_refuses_paths_outside_it(tmp_path):
    with pytest.raises(NoiseCutError, match="not a relative file path"):
        with directory_writer(tmp_path / "out") as write:
            write(Document.from_text("x", "../escape.txt"), "x")
    assert not (tmp_path / "escape.txt").exists()


def test_directory_writer_writes_all_or_nothing(tmp_path):
    """An error after some files were written (a bad record further on, Ctrl-C) leaves the output directory
    as it was, without its staging directory; success adds the files beside what was there."""
    class Boom(Exception):
        pass

    out = tmp_path / "out"
    (out / "old").mkdir(parents=True)
    (out / "old" / "mine.txt").write_text("kept from before")
    with pytest.raises(Boom):
        with directory_writer(out) as write:
            write(Document.from_text("a", "done.txt"), "kept\n")
            write(Document.from_text("b", "sub/page.html"), "kept too\n")
            raise Boom
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["out", "out/old", "out/old/mine.txt"]
    with directory_writer(out) as write:
        write(Document.from_text("a", "done.txt"), "kept\n")
        write(Document.from_text("b", "sub/page.html"), "kept too\n")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "out/done.txt", "out/old/mine.txt", "out/sub/page.txt"]
    assert (out / "sub" / "page.txt").read_text() == "kept too\n" and len(list(tmp_path.iterdir())) == 1


# ------------------------------------------------------------------ JSONL


@pytest.mark.parametrize("compress", [False, True])
def test_jsonl_round_trip_keeps_fields_order_and_records(tmp_path, cleaner, texts, compress):
    rows = records(texts)
    src = write_jsonl(tmp_path / ("in.jsonl.gz" if compress else "in.jsonl"), rows, compress)
    out = tmp_path / ("out.jsonl.gz" if compress else "out.jsonl")
    with jsonl_writer(out) as write:
        for doc in read_jsonl(src, RecordErrors()):
            write(doc, cleaner.clean_document(doc))
    if compress:
        assert out.read_bytes()[:2] == b"\x1f\x8b"
    got = read_lines(out)
    assert len(got) == len(rows)
    for row, new in zip(rows, got):
        assert list(new) == list(row)  # same fields, same order
        assert {k: v for k, v in new.items() if k != "text"} == {k: v for k, v in row.items() if k != "text"}
        assert new["text"] == cleaner.clean(row["text"])


def test_jsonl_documents_carry_id_and_other_fields(tmp_path, texts):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": texts[0], "id": 7, "lang": "en"}, {"text": texts[1], "lang": "de"}])
    first, second = read_jsonl(src, RecordErrors())
    assert (first.id, first.meta) == ("7", {"id": 7, "lang": "en"})
    assert (second.id, second.meta) == (f"{src}:2", {"lang": "de"})
    assert first.text() == texts[0]


def test_jsonl_other_text_field(tmp_path, cleaner, texts):
    src = write_jsonl(tmp_path / "in.jsonl", [{"content": t, "text": "not this one"} for t in texts[:2]])
    out = tmp_path / "out.jsonl"
    with jsonl_writer(out, text_field="content") as write:
        for doc in read_jsonl(src, RecordErrors(), text_field="content"):
            write(doc, cleaner.clean_document(doc))
    assert [r["content"] for r in read_lines(out)] == [cleaner.clean(t) for t in texts[:2]]
    assert {r["text"] for r in read_lines(out)} == {"not this one"}


def test_jsonl_labels_field_has_one_label_per_line(tmp_path, cleaner, texts):
    src = write_jsonl(tmp_path / "in.jsonl", records(texts))
    out = tmp_path / "out.jsonl"
    with jsonl_writer(out, labels_field="labels") as write:
        for doc in read_jsonl(src, RecordErrors()):
            write(doc, *clean_one(cleaner, doc, Output(labels=True)))
    for row, text in zip(read_lines(out), texts):
        doc = Document.from_text(text)
        assert len(row["labels"]) == len(doc.lines)
        results = cleaner.classify(text)
        assert row["labels"] == [r.label.value if r.label else None for r in results]
        assert [label is None for label in row["labels"]] == [not line.strip() for line in doc.lines]
        assert row["text"] == cleaner.clean(text)
        assert list(row)[-1] == "labels"


def test_jsonl_bom_blank_lines_and_crlf(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"text": "one"}\r\n\r\n   \n{"text": "two"}')
    assert [d.text() for d in read_jsonl(src, RecordErrors())] == ["one", "two"]


def test_jsonl_writes_lone_surrogates_as_escapes():
    line = dumps({"text": "a \ud800 b", "other": "é"})
    assert json.loads(line) == {"text": "a \ud800 b", "other": "é"}


BAD_LINES = [
    (b'{"text": "unfinished"\n', r"record 2: invalid JSON \(Expecting"),
    (b'{"body": "no text"}\n', r"record 2: no 'text' field \(fields: 'body'"),
    (b'{"text": 17}\n', r"record 2: 'text' is a number, expected a string"),
    (b'{"text": null}\n', r"record 2: 'text' is null, expected a string"),
    (b'["text"]\n', r"record 2: expected an object with a 'text' field, got a list"),
    (b'{"text": "caf\xe9"}\n', r"record 2: not UTF-8"),
]


@pytest.mark.parametrize("bad, message", BAD_LINES)
def test_jsonl_bad_record_stops_with_file_and_record(tmp_path, bad, message):
    src = tmp_path / "data.jsonl"
    src.write_bytes(b'{"text": "fine"}\n' + bad + b'{"text": "after"}\n')
    with pytest.raises(NoiseCutError, match=f"^{src}: {message}"):
        list(read_jsonl(src, RecordErrors()))


def test_jsonl_bad_records_skipped_and_counted(tmp_path):
    src = tmp_path / "data.jsonl"
    src.write_bytes(b'{"text": "a"}\n' + b"".join(bad for bad, _ in BAD_LINES) + b'{"text": "b"}\n')
    logged = []
    errors = RecordErrors("skip", logged.append)
    assert [d.text() for d in read_jsonl(src, errors)] == ["a", "b"]
    assert errors.skipped == len(BAD_LINES) == len(logged)
    assert logged[0].startswith(f"skipped {src}: record 2: invalid JSON")


def test_truncated_gzip_jsonl(tmp_path):
    data = gzip.compress(b"".join(json.dumps({"text": f"record {i} " + "x" * 200}).encode() + b"\n" for i in range(400)), mtime=0)
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(data[: len(data) // 2])
    with pytest.raises(NoiseCutError, match=rf"^{src}: record \d+: unreadable \(Compressed file ended"):
        list(read_jsonl(src, RecordErrors()))
    logged = []
    errors = RecordErrors("skip", logged.append)
    docs = list(read_jsonl(src, errors))
    assert 0 < len(docs) < 400 and errors.skipped == 1
    assert [d.text() for d in docs] == [f"record {i} " + "x" * 200 for i in range(len(docs))]
    assert f"from record {len(docs) + 1} on" in logged[0]


# compressed by another tool than gzip: the bytes each starts with, as zstd, xz, bzip2 and lz4 write them
OTHER_COMPRESSED = {
    "zstd": b"\x28\xb5\x2f\xfd\x24\x05\x29\x00\x00",
    "xz": b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46",
    "bzip2": b"BZh91AY&SY\x8a\x02\x1c\x0b",
    "lz4": b"\x04\x22\x4d\x18\x64\x40\xa7",
}


@pytest.mark.parametrize("name", sorted(OTHER_COMPRESSED))
@pytest.mark.parametrize("reader", [read_text, read_jsonl])
def test_input_compressed_other_than_gzip_is_refused_not_cleaned_as_text(tmp_path, name, reader):
    src = tmp_path / "data.jsonl.x"
    src.write_bytes(OTHER_COMPRESSED[name] + bytes(range(256)))
    with pytest.raises(NoiseCutError, match=rf"^{src}: {name}-compressed; noisecut reads gzip"):
        list(reader(src, RecordErrors("skip")))


def test_text_starting_like_a_bzip2_name_is_text(tmp_path):
    src = tmp_path / "page.txt"
    src.write_bytes(b"BZh is how a bzip2 file starts.\n")
    [doc] = read_text(src, RecordErrors())
    assert doc.text() == "BZh is how a bzip2 file starts.\n"


@pytest.mark.parametrize("suffix", [".zst", ".xz", ".bz2", ".lz4"])
def test_output_named_for_another_compression_is_refused(tmp_path, suffix):
    out = tmp_path / f"clean.jsonl{suffix}"
    with pytest.raises(NoiseCutError, match="compresses its output with gzip only"):
        with open_output(out):
            pass
    assert not out.exists() and not no_leftovers(tmp_path)


# ------------------------------------------------------------------ Parquet


pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def parquet_table(texts):
    n = len(texts)
    return pa.table({
        "id": pa.array(range(n), pa.int32()),
        "text": pa.array(texts, pa.large_string()),
        "when": pa.array([datetime.datetime(2021, 4, 7, 10, i % 60) for i in range(n)], pa.timestamp("ms")),
        "tags": pa.array([["a", str(i)] for i in range(n)], pa.list_(pa.string())),
        "note": pa.array([None if i % 2 else f"n{i}" for i in range(n)], pa.string()),
    })


@pytest.fixture
def small_batches(monkeypatch):
    """Several read and write batches even for a handful of rows."""
    from noisecut.io import parquet

    monkeypatch.setattr(parquet, "READ_BATCH_ROWS", 3)
    monkeypatch.setattr(parquet, "WRITE_BATCH_ROWS", 4)


def test_parquet_round_trip_keeps_schema_and_columns(tmp_path, cleaner, texts, small_batches):
    from noisecut.io.parquet import parquet_schema, parquet_writer, read_parquet

    table = parquet_table(texts)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(table, src, row_group_size=5)
    with parquet_writer(out, schema=parquet_schema(src)) as write:
        for doc in read_parquet(src, RecordErrors()):
            write(doc, cleaner.clean_document(doc))
    got = pq.read_table(out)
    assert got.schema.equals(table.schema, check_metadata=False)
    for name in ("id", "when", "tags", "note"):
        assert got[name].to_pylist() == table[name].to_pylist()
    assert got["text"].to_pylist() == [cleaner.clean(t) for t in texts]
    assert pq.ParquetFile(out).metadata.num_row_groups > 1  # written in batches


def test_parquet_labels_column(tmp_path, cleaner, texts):
    from noisecut.io.parquet import parquet_schema, parquet_writer, read_parquet

    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(parquet_table(texts), src)
    with parquet_writer(out, labels_field="labels", schema=parquet_schema(src)) as write:
        for doc in read_parquet(src, RecordErrors()):
            write(doc, *clean_one(cleaner, doc, Output(labels=True)))
    got = pq.read_table(out)
    assert got.schema.field("labels").type == pa.list_(pa.string())
    for labels, text in zip(got["labels"].to_pylist(), texts):
        assert labels == [r.label.value if r.label else None for r in cleaner.classify(text)]


def test_parquet_from_other_records_infers_schema(tmp_path, cleaner, texts, small_batches):
    from noisecut.io.parquet import parquet_writer

    src, out = write_jsonl(tmp_path / "in.jsonl", records(texts)), tmp_path / "out.parquet"
    with parquet_writer(out) as write:
        for doc in read_jsonl(src, RecordErrors()):
            write(doc, cleaner.clean_document(doc))
    got = pq.read_table(out).to_pylist()
    assert [r["text"] for r in got] == [cleaner.clean(t) for t in texts]
    assert [r["url"] for r in got] == [r["url"] for r in records(texts)]
    assert list(got[0]) == list(records(texts)[0])


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_parquet_failure_after_a_batch_is_written_leaves_no_traceback(tmp_path, small_batches):
    """An error after the first batch left the ParquetWriter open: collected, it wrote into the closed file
    and printed "Exception ignored ... ValueError: write to closed file" under the error line."""
    import gc

    from noisecut.io.parquet import parquet_writer

    out = tmp_path / "out.parquet"
    with pytest.raises(KeyboardInterrupt):
        with parquet_writer(out) as write:
            for i in range(6):
                write(Document.from_text("x", meta={"id": i}), "x")
            raise KeyboardInterrupt
    gc.collect()
    assert not out.exists() and no_leftovers(tmp_path) == []


def test_parquet_fields_that_do_not_fit_are_one_clear_error(tmp_path):
    from noisecut.io.parquet import parquet_writer

    out = tmp_path / "out.parquet"
    with pytest.raises(NoiseCutError, match=r"cannot write records 1-2 to Parquet: .*one type per field"):
        with parquet_writer(out) as write:
            write(Document.from_text("a", meta={"n": 1}), "a")
            write(Document.from_text("b", meta={"n": "two"}), "b")
    assert not out.exists() and no_leftovers(tmp_path) == []


def test_parquet_from_records_keeps_a_field_the_first_record_lacks(tmp_path):
    """JSONL to Parquet dropped every field the first record did not have, without a word."""
    from noisecut.io.parquet import parquet_writer

    out = tmp_path / "out.parquet"
    with parquet_writer(out) as write:
        write(Document.from_text("a", meta={"id": 1}), "a")
        write(Document.from_text("b", meta={"id": 2, "extra": "kept"}), "b")
    assert pq.read_table(out).to_pylist() == [{"id": 1, "text": "a", "extra": None}, {"id": 2, "text": "b", "extra": "kept"}]


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # "Exception ignored in: ParquetWriter.__del__"
def test_parquet_field_new_after_the_first_batch_is_one_clear_error(tmp_path, small_batches):
    from noisecut.io.parquet import parquet_writer

    out = tmp_path / "out.parquet"
    with pytest.raises(NoiseCutError, match=r"^cannot write record 6 to Parquet: its field 'extra' is not one of the "
                                             r"columns \(id, text\) that the input's schema or the first records set; write JSONL$"):
        with parquet_writer(out) as write:
            for i in range(8):
                write(Document.from_text("x", meta={"id": i, **({"extra": "late"} if i == 5 else {})}), "x")
    assert not out.exists() and no_leftovers(tmp_path) == []


def test_parquet_integer_too_large_is_one_clear_error(tmp_path):
    """An id of 10**30 from JSONL raised OverflowError (a traceback) instead of the one-line message."""
    from noisecut.io.parquet import parquet_writer

    out = tmp_path / "out.parquet"
    with pytest.raises(NoiseCutError, match=r"^cannot write records 1-1 to Parquet: .*one type per field"):
        with parquet_writer(out) as write:
            write(Document.from_text("a", meta={"id": 10**30}), "a")
    assert not out.exists() and no_leftovers(tmp_path) == []


def test_parquet_empty_output_is_a_valid_file(tmp_path):
    from noisecut.io.parquet import parquet_writer

    out = tmp_path / "empty.parquet"
    with parquet_writer(out):
        pass
    assert pq.read_table(out).column_names == ["text"]


def test_parquet_null_text_is_a_bad_record(tmp_path):
    from noisecut.io.parquet import read_parquet

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["fine", None, "after"]}), src)
    with pytest.raises(NoiseCutError, match=f"^{src}: record 2: 'text' is null"):
        list(read_parquet(src, RecordErrors()))
    errors = RecordErrors("skip", lambda message: None)
    assert [d.text() for d in read_parquet(src, errors)] == ["fine", "after"] and errors.skipped == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_parquet_is_one_clear_error(tmp_path, texts, damage):
    from noisecut.io.parquet import read_parquet

    src = tmp_path / "data.parquet"
    pq.write_table(parquet_table(texts), src)
    src.write_bytes(b"this is not parquet" if damage == "garbage" else src.read_bytes()[:200])
    with pytest.raises(NoiseCutError, match=f"^{src}: not a readable Parquet file"):
        list(read_parquet(src, RecordErrors()))


def test_parquet_text_column_checked(tmp_path):
    from noisecut.io.parquet import read_parquet

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"body": ["x"], "n": [1]}), src)
    with pytest.raises(NoiseCutError, match=r"no column 'text' \(columns: body, n"):
        list(read_parquet(src, RecordErrors()))
    with pytest.raises(NoiseCutError, match="column 'n' holds int64, expected strings"):
        list(read_parquet(src, RecordErrors(), text_field="n"))


def test_a_categorical_parquet_text_column_is_strings(tmp_path, model_dir, cleaner, texts):
    """pandas writes a category column as a dictionary of strings: it was refused as 'holds
    dictionary<values=string, ...>, expected strings'. Cleaned, it keeps its type."""
    pd = pytest.importorskip("pandas")
    from click.testing import CliRunner

    from noisecut.cli import main

    src, out = tmp_path / "cat.parquet", tmp_path / "out.parquet"
    pd.DataFrame({"id": range(len(texts)), "text": pd.Categorical(texts)}).to_parquet(src)
    result = CliRunner().invoke(main, ["clean", "-m", str(model_dir), "-j", "1", "-q", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column("text").to_pylist() == [cleaner.clean(t) for t in texts]
    assert pa.types.is_dictionary(table.schema.field("text").type)


# ------------------------------------------------------------------ WET / WARC


warcio = pytest.importorskip("warcio")


def make_warc(path: Path, texts, compress: bool = True, kind: str = "conversion") -> list[str]:
    """A WET (conversion records) or WARC (text/plain and image/png responses); returns the text records' ids."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    ids = []
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for i, text in enumerate(texts):
            date = {"WARC-Date": f"2021-04-07T10:{i:02d}:00Z"}
            if kind == "conversion":
                record = writer.create_warc_record(f"https://example.com/{i}", "conversion", payload=io.BytesIO(text.encode()), warc_headers_dict={**date, "Content-Type": "text/plain"})
            else:
                image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(f"https://example.com/{i}.png", "response", payload=io.BytesIO(b"\x89PNG\r\n\x1a\n"), http_headers=image, warc_headers_dict=date))
                plain = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=utf-8")], protocol="HTTP/1.1")
                record = writer.create_warc_record(f"https://example.com/{i}", "response", payload=io.BytesIO(text.encode()), http_headers=plain, warc_headers_dict=date)
            writer.write_record(record)
            ids.append(record.rec_headers.get_header("WARC-Record-ID"))
    return ids


@pytest.mark.parametrize("compress", [True, False])
def test_wet_round_trip(tmp_path, cleaner, texts, compress):
    from warcio.archiveiterator import ArchiveIterator

    from noisecut.io.warc import read_warc, wet_writer

    src, out = tmp_path / ("in.wet.gz" if compress else "in.wet"), tmp_path / "out.wet.gz"
    ids = make_warc(src, texts, compress)
    docs = list(read_warc(src, RecordErrors()))
    assert [d.text() for d in docs] == texts
    assert [d.meta for d in docs] == [{"url": f"https://example.com/{i}", "warc-record-id": ids[i], "date": f"2021-04-07T10:{i:02d}:00Z"} for i in range(len(texts))]
    assert [d.id for d in docs] == ids
    with wet_writer(out) as write:
        for doc in docs:
            write(doc, cleaner.clean_document(doc))
    with open(out, "rb") as f:
        written = [(r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(f)]
    assert written[0][0] == "warcinfo"
    assert [content.decode() for _, _, content in written[1:]] == [cleaner.clean(t) for t in texts]
    for (kind, headers, _), doc in zip(written[1:], docs):
        assert kind == "conversion"
        assert headers.get_header("WARC-Refers-To") == doc.meta["warc-record-id"]
        assert headers.get_header("WARC-Target-URI") == doc.meta["url"]
        assert headers.get_header("WARC-Date") == doc.meta["date"]


def test_warc_reads_plain_text_responses_and_counts_the_rest(tmp_path, texts):
    from noisecut.io.warc import WarcStats, read_warc

    src = tmp_path / "crawl.warc.gz"
    make_warc(src, texts[:3], kind="response")
    stats = WarcStats()
    docs = list(read_warc(src, RecordErrors(), stats))
    assert [d.text() for d in docs] == texts[:3]
    assert stats.not_text == 3


def test_warc_response_charset(tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from noisecut.io.warc import read_warc

    src = tmp_path / "latin.warc"
    with open(src, "wb") as f:
        writer = WARCWriter(f, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=iso-8859-1")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.com/", "response", payload=io.BytesIO("Café crème\n".encode("latin-1")), http_headers=http))
    assert [d.text() for d in read_warc(src, RecordErrors())] == ["Café crème\n"]


# self-contained (not the seeds): a small file is read in one block, a large one in many
TRUNCATION_SIZES = {"small": BUILT + EDGE, "large": [f"{i}: {text}" for i in range(60) for text in BUILT]}


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("cut", [10, 120, 400])
@pytest.mark.parametrize("size", TRUNCATION_SIZES)
def test_truncated_warc_is_an_error_not_silence(tmp_path, compress, cut, size):
    from noisecut.io.warc import read_warc

    texts = TRUNCATION_SIZES[size]
    src = tmp_path / ("cut.wet.gz" if compress else "cut.wet")
    make_warc(src, texts, compress)
    src.write_bytes(src.read_bytes()[:-cut])
    with pytest.raises(NoiseCutError, match=rf"^{src}: record \d+: (unreadable|truncated)"):
        list(read_warc(src, RecordErrors()))
    errors = RecordErrors("skip", lambda message: None)
    docs = list(read_warc(src, errors))
    assert errors.skipped == 1 and [d.text() for d in docs] == texts[: len(docs)]


@pytest.mark.parametrize("at", [0.3, 0.5, 0.9])
def test_a_cut_gzipped_warc_keeps_every_record_before_the_cut(tmp_path, at):
    """Each record is its own gzip member: the members before the cut are whole and are read, and the
    error names the record the cut falls in."""
    from warcio.archiveiterator import ArchiveIterator

    from noisecut.io.warc import read_warc

    texts = TRUNCATION_SIZES["large"][:40]
    src = tmp_path / "cut.wet.gz"
    make_warc(src, texts)
    with open(src, "rb") as f:
        records = ArchiveIterator(f)
        starts = [records.get_record_offset() for _ in records]  # record 1 is the warcinfo
    data = src.read_bytes()
    k = next(i for i, start in enumerate(starts) if start > at * len(data)) - 1  # the record the cut falls in
    src.write_bytes(data[: (starts[k] + starts[k + 1]) // 2])
    with pytest.raises(NoiseCutError, match=rf"^{src}: record {k + 1}: unreadable"):
        list(read_warc(src, RecordErrors()))
    logged = []
    docs = list(read_warc(src, RecordErrors("skip", logged.append)))
    assert [d.text() for d in docs] == texts[: k - 1]
    assert logged == [f"skipped {src} from record {k + 1} on: unreadable (Compressed file ended before the "
                      "end-of-stream marker was reached)"]


def test_not_a_warc(tmp_path):
    from noisecut.io.warc import read_warc

    src = tmp_path / "x.warc"
    src.write_text("hello\nthis is not a WARC file\n")
    with pytest.raises(NoiseCutError, match=rf"^{src}: record 1: not a WARC record"):
        list(read_warc(src, RecordErrors()))


def _br_warc(path: Path, pages: list[bytes], chunked: bool = False) -> None:
    """A WARC of HTML responses sent with Content-Encoding: br (each page as given: compressed or not)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=False)
        for i, body in enumerate(pages):
            headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "br")]
            if chunked:
                headers.append(("Transfer-Encoding", "chunked"))
                body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"https://example.com/{i}", "response", payload=io.BytesIO(body), http_headers=http))


@pytest.mark.parametrize("chunked", [False, True])
def test_a_brotli_encoded_response_is_decoded(tmp_path, chunked):
    """warcio's brotli decoder fails on brotli 1.1+ ('brotli.Decompressor' object has no attribute
    'unused_data'): the first br response ended the file, its records and all after it lost."""
    brotli = pytest.importorskip("brotli")
    from noisecut.io.warc import read_warc

    pages = [f"<html><body><p>Harbour page {i}: café crème at nine.</p></body></html>".encode() for i in range(3)]
    src = tmp_path / "br.warc"
    _br_warc(src, [brotli.compress(pages[0]), b"<html><body><p>sent as is</p></body></html>", brotli.compress(pages[2])], chunked)
    docs = list(read_warc(src, RecordErrors()))
    assert [d.text() for d in docs] == ["Harbour page 0: café crème at nine.\n", "sent as is\n", "Harbour page 2: café crème at nine.\n"]


def test_a_brotli_response_without_brotli_is_a_bad_record(tmp_path, monkeypatch):
    """Without brotli the compressed bytes were cleaned as the page."""
    brotli = pytest.importorskip("brotli")
    from noisecut.io.warc import read_warc

    src = tmp_path / "br.warc"
    _br_warc(src, [brotli.compress(b"<html><body><p>one</p></body></html>"), brotli.compress(b"<html><body><p>two</p></body></html>")])
    monkeypatch.setitem(sys.modules, "brotli", None)
    with pytest.raises(NoiseCutError, match=rf"^{src}: record 1: its payload is compressed with Content-Encoding br, which needs brotli"):
        list(read_warc(src, RecordErrors()))
    logged = []
    assert list(read_warc(src, RecordErrors("skip", logged.append))) == [] and len(logged) == 2


@pytest.mark.parametrize("first_line", ["this is not a warc file", "http://example.com/ 1.2.3.4 20240101 text/html 120"])
def test_text_or_an_arc_file_is_not_a_warc_not_a_truncated_one(tmp_path, first_line):
    """warcio reads a first line of a few words as an ARC header: that file is not a WARC (it was reported
    as a truncated record, sending the user to download it again)."""
    from noisecut.io.warc import read_warc

    src = tmp_path / "x.warc"
    src.write_text(f"{first_line}\n" * 5)
    with pytest.raises(NoiseCutError, match=rf"^{src}: record 1: not a WARC record \(no WARC/1.x header: an ARC file"):
        list(read_warc(src, RecordErrors()))


def test_a_record_cut_inside_its_headers_is_named_truncated(tmp_path, texts):
    """Cut before its WARC-Target-URI, a response record made warcio fail with an AttributeError, reported
    as `unreadable ('NoneType' object has no attribute 'startswith')`."""
    from noisecut.io.warc import read_warc

    src = tmp_path / "cut.warc"
    make_warc(src, texts[:3], compress=False, kind="response")
    data = src.read_bytes()
    last = data.rindex(b"WARC/1.")
    src.write_bytes(data[: data.index(b"WARC-Target-URI", last)])
    with pytest.raises(NoiseCutError, match=rf"^{src}: record \d+: truncated or damaged record \(a response without WARC-Target-URI\)$"):
        list(read_warc(src, RecordErrors()))
    logged = []
    docs = list(read_warc(src, RecordErrors("skip", logged.append)))
    assert [d.text() for d in docs] == texts[:2] and len(logged) == 1


def test_a_damaged_warc_record_is_reported_on_one_line(tmp_path, texts):
    """warcio quotes the bad header line with its CRLF; the message stays one line, skipped or not."""
    from noisecut.io.warc import read_warc

    src = tmp_path / "x.warc"
    make_warc(src, texts[:3], compress=False)
    data = src.read_bytes()
    third = data.index(b"WARC/1.", data.index(b"WARC/1.", data.index(b"WARC/1.") + 1) + 1)
    src.write_bytes(data[:third] + b"XXXX" + data[third + 4:])
    with pytest.raises(NoiseCutError, match=rf"^{src}: record 3: not a WARC record \(.*XXXX/1.\d\\r\\n\)$"):
        list(read_warc(src, RecordErrors()))
    logged = []
    docs = list(read_warc(src, RecordErrors("skip", logged.append)))
    assert [d.text() for d in docs] == texts[:1] and len(logged) == 1 and "\n" not in logged[0]
    assert logged[0].startswith(f"skipped {src} from record 3 on: not a WARC record")


# ------------------------------------------------------------------ formats


@pytest.mark.parametrize("name, fmt", [
    ("a.jsonl", "jsonl"), ("a.JSONL.gz", "jsonl"), ("a.ndjson", "jsonl"), ("a.parquet", "parquet"),
    ("CC-MAIN-1.warc.wet.gz", "wet"), ("a.wet", "wet"), ("a.warc.gz", "warc"), ("a.txt", "text"),
    ("a.txt.gz", "text"), ("a.md", None), ("a", None), ("a.gz", None), ("a.parquet.gz", None),
])
def test_format_from_name(name, fmt):
    assert format_from_name(name) == fmt


def test_input_format(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"A page of plain text.\n")))
    assert input_format(tmp_path) == "dir"
    assert input_format(tmp_path / "page.html") == "html" and input_format(tmp_path / "notes.md") == "text"
    assert input_format("-") == "text" and input_format("-", "jsonl") == "jsonl"
    with pytest.raises(NoiseCutError, match="is a directory"):
        input_format(tmp_path, "jsonl")
    with pytest.raises(NoiseCutError, match="not a directory"):
        input_format(tmp_path / "a.txt", "dir")
    with pytest.raises(NoiseCutError, match="stdin"):
        input_format("-", "parquet")


@pytest.mark.parametrize("output, given, inputs, expected", [
    (None, None, ["text"], "text"),
    (None, None, ["jsonl"], "jsonl"),
    (None, None, ["parquet"], "jsonl"),        # Parquet to stdout: JSONL
    ("out", None, ["parquet"], "parquet"),
    (None, None, ["wet"], "jsonl"),
    (None, None, ["warc", "text"], "jsonl"),
    ("out.wet.gz", None, ["jsonl"], "wet"),
    ("out.warc.gz", None, ["wet"], "wet"),
    ("out.parquet", None, ["jsonl"], "parquet"),
    ("out.txt", None, ["dir"], "text"),
    ("out", None, ["dir"], "dir"),
    (None, None, ["dir"], "text"),
    ("out.jsonl", "text", ["jsonl"], "text"),  # given wins
])
def test_output_format(output, given, inputs, expected):
    assert output_format(output, given, inputs) == expected


def test_warc_is_written_as_wet():
    with pytest.raises(NoiseCutError, match="--output-format wet"):
        output_format("x", "warc", ["wet"])


def test_output_record_puts_text_back_in_place():
    doc = Document.from_text("old", "1", {"a": 1, "b": 2})
    assert list(output_record(doc, "new", "text")) == ["a", "b", "text"]
    doc.fields = ("a", "text", "b")
    assert output_record(doc, "new", "text", "labels", ["body"]) == {"a": 1, "text": "new", "b": 2, "labels": ["body"]}
    assert list(output_record(doc, "new", "text")) == ["a", "text", "b"]


# ------------------------------------------------------------------ files


def test_atomic_open_writes_whole_or_nothing(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"before")
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target) as f:
            f.write(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"before" and no_leftovers(tmp_path) == []
    with atomic_open(target) as f:
        f.write(b"after")
    assert target.read_bytes() == b"after" and no_leftovers(tmp_path) == []


def test_atomic_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        with atomic_open(tmp_path / "out.txt") as f:
            f.write(b"x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644


def test_atomic_open_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    """A private output (0600) became world-readable (0644) when noisecut wrote it again."""
    target = tmp_path / "private.jsonl"
    target.write_bytes(b"before")
    target.chmod(0o600)
    with open_output(target) as f:
        f.write(b"after")
    assert target.read_bytes() == b"after" and stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_output_to_a_named_pipe_is_written_into_not_replaced(tmp_path):
    """-o FIFO (or /dev/null, /dev/stdout) was replaced by a regular file by the atomic rename: the reader got nothing."""
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    with open_output(fifo) as f:
        f.write(b'{"text": "x"}\n')
    reader.join(10)
    assert got == [b'{"text": "x"}\n']
    assert stat.S_ISFIFO(fifo.stat().st_mode) and no_leftovers(tmp_path) == []


def test_atomic_open_writes_through_a_symbolic_link(tmp_path):
    """-o latest.jsonl, a link to runs/1.jsonl: the link was replaced by a file and its target left as it was."""
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "1.jsonl", tmp_path / "latest.jsonl"
    target.write_bytes(b"before")
    link.symlink_to(Path("runs") / "1.jsonl")
    with open_output(link) as f:
        f.write(b"after")
    assert link.is_symlink() and target.read_bytes() == b"after"
    assert no_leftovers(tmp_path) == [] and no_leftovers(tmp_path / "runs") == []


def test_write_errors_name_the_output_not_the_temporary_file(tmp_path, monkeypatch):
    """A full disk said only "No space left on device"; an unwritable directory named ".out.txt.x1y2.tmp"."""
    import errno
    import tempfile

    target = tmp_path / "out.jsonl"
    target.write_bytes(b"before")
    with pytest.raises(OSError) as raised:
        with atomic_open(target) as f:
            f.write(b"half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert raised.value.filename == str(target) and target.read_bytes() == b"before" and no_leftovers(tmp_path) == []

    def refused(prefix, suffix, dir):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.path.join(dir, prefix + "x1y2" + suffix))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(PermissionError) as raised:
        with atomic_open(tmp_path / "new.txt"):
            pass
    assert raised.value.filename == str(tmp_path / "new.txt")


def test_gzip_output_is_reproducible(tmp_path):
    outputs = []
    for name in ("a.jsonl.gz", "b.jsonl.gz"):
        with open_output(tmp_path / name) as f:
            f.write(b'{"text": "x"}\n')
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and gzip.decompress(outputs[0]) == b'{"text": "x"}\n'


def test_open_output_needs_an_existing_directory(tmp_path):
    with pytest.raises(NoiseCutError, match="does not exist"):
        with open_output(tmp_path / "missing" / "out.jsonl"):
            pass


def test_same_file_and_inside(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("{}")
    os.link(a, tmp_path / "hard.jsonl")
    (tmp_path / "sym.jsonl").symlink_to(a)
    assert same_file(a, tmp_path / "hard.jsonl") and same_file(a, tmp_path / "sym.jsonl")
    assert same_file(a, tmp_path / "." / "a.jsonl") and not same_file(a, tmp_path / "b.jsonl")
    assert inside(tmp_path / "x" / "y", tmp_path) and inside(tmp_path, tmp_path)
    assert not inside(tmp_path.parent, tmp_path)


def test_record_errors_modes():
    with pytest.raises(NoiseCutError, match="^f.jsonl: record 3: why$"):
        RecordErrors()("f.jsonl", 3, "why")
    logged = []
    errors = RecordErrors("skip", logged.append)
    errors("f.jsonl", 3, "why")
    errors.unreadable("f.jsonl", 9, "cut short")
    assert errors.skipped == 2
    assert logged == ["skipped f.jsonl: record 3: why", "skipped f.jsonl from record 9 on: cut short"]
    with pytest.raises(ValueError):
        RecordErrors("ignore")


def test_read_progress_counts_the_bytes_of_each_file(tmp_path, texts):
    from noisecut.io.files import reading_progress

    first = write_jsonl(tmp_path / "a.jsonl.gz", records(texts), compress=True)
    second = tmp_path / "b.txt"
    second.write_text(texts[0], encoding="utf-8")
    with reading_progress() as progress:
        assert progress.done() == 0
        for _ in read_jsonl(first, RecordErrors()):
            pass
        assert progress.done() == first.stat().st_size  # stored bytes, not decompressed ones
        list(read_text(second, RecordErrors()))
        assert progress.done() == first.stat().st_size + second.stat().st_size


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_has_a_total_for_files(tmp_path, texts, cleaner, monkeypatch):
    from noisecut.io import pipeline

    src = write_jsonl(tmp_path / "a.jsonl", records(texts))
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(pipeline, "PROGRESS_DELAY", 0)
    written = []
    total = pipeline._input_bytes([str(src)], ["jsonl"])
    assert total == src.stat().st_size
    from noisecut.io.files import reading_progress

    with reading_progress():
        pipeline.clean_stream(read_jsonl(src, RecordErrors()), lambda doc, text, labels: written.append(text),
                              lambda: cleaner, progress=True, total_bytes=total)
    assert len(written) == len(texts)
    from tqdm import tqdm

    size = tqdm.format_sizeof(total)
    bar = terminal.getvalue().split("\r")[-1]
    assert bar.startswith("100%") and f" {size}/{size} " in bar, bar


def test_tqdm_is_a_base_dependency():
    import configparser

    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    base = [line.split(">")[0].strip() for line in setup["options"]["install_requires"].split("\n") if line.strip()]
    assert "tqdm" in base
