"""``noisecut clean`` on every format: round trips, -j, bad input as one line with no output left, pipes, Ctrl-C."""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from noisecut.cli import clean as clean_command
from noisecut.cli import main

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
BUILT = [
    "Home | News | Sport | Weather\nCouncil approves new cycle lanes\nBy Jane Smith | 12 March 2024\n\n"
    "The city council voted on Tuesday to build fourteen miles of protected cycle lanes, ending two years of debate.\n\n"
    "Work on the first stretch, along the river, will begin in September and should be finished by the spring.\n"
    "Share this article: Facebook Twitter Email\nAdvertisement\n",
    "Skip to content\n"
    "The library will open on Sundays from next month, the council said, after a campaign by parents and teachers.\n"
    "Opening hours on weekdays stay the same; the longer hours are paid for by savings in the transport budget.\n"
    "Copyright 2024 Example News. All rights reserved.",
    "\ufeffA paragraph in Windows line endings that is long enough to be read as the body of a short report.\r\n\r\n"
    "Menu | Home | Contact\r\n",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    return [p.read_text(encoding="utf-8") for p in found] + BUILT


@pytest.fixture
def run(model_dir):
    """``noisecut clean -m MODEL ARGS``; exceptions other than exits fail the test."""
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, ["clean", "-m", str(model_dir), *map(str, args)], input=input, catch_exceptions=False, prog_name="noisecut")

    return invoke


def rows_of(texts, n=None):
    n = n or len(texts)
    return [{"id": f"doc-{i}", "text": texts[i % len(texts)], "url": f"https://example.com/{i}", "tags": ["a", f"t{i}"]} for i in range(n)]


def write_jsonl(path: Path, rows) -> Path:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def read_jsonl(data: bytes) -> list[dict]:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.splitlines()]


def write_wet(path: Path, texts) -> None:
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=path.name.endswith(".gz"))
        for i, text in enumerate(texts):
            headers = {"WARC-Date": f"2021-04-07T10:{i:02d}:00Z", "Content-Type": "text/plain"}
            writer.write_record(writer.create_warc_record(f"https://example.com/{i}", "conversion", payload=io.BytesIO(text.encode()), warc_headers_dict=headers))


SUMMARY = r"cleaned \d+ documents?: kept \d+ of \d+ lines( \(\d+%\))?, \d+ records? skipped, [\d.]+ docs/s\n"


def only_summary(stderr: str, documents: int) -> bool:
    """Whether ``stderr`` is the closing summary of a run that wrote ``documents``, and nothing else."""
    return re.fullmatch(SUMMARY, stderr) is not None and stderr.startswith(f"cleaned {documents} document")


def contents(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# ------------------------------------------------------------------ round trips


def test_text_files_as_before(run, cleaner, texts, tmp_path):
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(text, encoding="utf-8", newline="")
    result = run(*paths)
    assert result.exit_code == 0 and only_summary(result.stderr, len(paths))
    assert result.stdout_bytes == b"".join(cleaner.clean_bytes(p.read_bytes()) for p in paths)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_jsonl_round_trip(run, cleaner, texts, tmp_path, suffix):
    rows = rows_of(texts)
    src, out = write_jsonl(tmp_path / f"in{suffix}", rows), tmp_path / f"out{suffix}"
    result = run(src, "-o", out, "--labels-field", "labels")
    assert result.exit_code == 0 and result.stdout == "" and only_summary(result.stderr, len(rows))
    got = read_jsonl(out.read_bytes())
    assert [r["id"] for r in got] == [r["id"] for r in rows]
    for row, new in zip(rows, got):
        assert list(new) == [*row, "labels"]
        assert (new["url"], new["tags"]) == (row["url"], row["tags"])
        assert new["text"] == cleaner.clean(row["text"])
        assert new["labels"] == [r.label.value if r.label else None for r in cleaner.classify(row["text"])]


def test_jsonl_from_stdin_to_stdout_with_another_text_field(run, cleaner, texts):
    data = "".join(json.dumps({"content": t, "n": i}) + "\n" for i, t in enumerate(texts))
    result = run("-I", "jsonl", "--text-field", "content", "-", input=data)
    assert result.exit_code == 0
    assert read_jsonl(result.stdout_bytes) == [{"content": cleaner.clean(t), "n": i} for i, t in enumerate(texts)]


def test_text_that_is_not_utf8_goes_to_parquet_with_replacement_characters(run, tmp_path):
    """Parquet strings are UTF-8: a Latin-1 text's bytes (kept byte for byte in text output) become U+FFFD."""
    pq = pytest.importorskip("pyarrow.parquet")
    src, out = tmp_path / "latin.txt", tmp_path / "out.parquet"
    src.write_bytes("Le caf\u00e9 du port ouvre \u00e0 sept heures.\n".encode("latin-1"))
    result = run(src, "-o", out, "-t", 0)
    assert result.exit_code == 0, result.stderr
    assert pq.read_table(out)["text"].to_pylist() == ["Le caf\ufffd du port ouvre \ufffd sept heures.\n"]
    assert run(src, "-t", 0).stdout_bytes == src.read_bytes()


def test_parquet_round_trip_and_to_stdout(run, cleaner, texts, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"n": list(range(len(texts))), "text": texts, "tags": [["x", str(i)] for i in range(len(texts))]})
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(table, src)
    assert run(src, "-o", out).exit_code == 0
    got = pq.read_table(out)
    assert got.schema.equals(table.schema, check_metadata=False)
    assert got["n"].to_pylist() == table["n"].to_pylist() and got["tags"].to_pylist() == table["tags"].to_pylist()
    assert got["text"].to_pylist() == [cleaner.clean(t) for t in texts]
    result = run(src)  # Parquet to stdout: JSONL
    assert read_jsonl(result.stdout_bytes) == got.to_pylist()


def test_directory_mirror(run, cleaner, texts, tmp_path):
    src, dst = tmp_path / "pages", tmp_path / "clean"
    (src / "sub").mkdir(parents=True)
    names = [f"{'sub/' if i % 2 else ''}{i}.txt" for i in range(len(texts))]
    for name, text in zip(names, texts):
        (src / name).write_text(text, encoding="utf-8", newline="")
    result = run(src, "-o", dst)
    assert result.exit_code == 0 and only_summary(result.stderr, len(names))
    for name, text in zip(names, texts):
        assert (dst / name).read_bytes() == cleaner.clean_bytes((src / name).read_bytes())
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*.txt")) == sorted(names)
    as_jsonl = read_jsonl(run(src, "-O", "jsonl").stdout_bytes)
    assert sorted(r["id"] for r in as_jsonl) == sorted(names)


def test_directory_reads_gzipped_text_files_and_writes_them_gzipped(run, cleaner, texts, tmp_path):
    # crawl dumps come as NAME.txt.gz: read, not skipped, and cleaned into a gzip'd file of the same name
    src, dst = tmp_path / "pages", tmp_path / "clean"
    src.mkdir()
    (src / "a.txt.gz").write_bytes(gzip.compress(texts[0].encode()))
    (src / "b.MD.GZ").write_bytes(gzip.compress(texts[1].encode()))
    (src / "c.txt").write_text(texts[2], encoding="utf-8", newline="")
    result = run(src, "-o", dst)
    assert result.exit_code == 0 and only_summary(result.stderr, 3)
    assert sorted(p.name for p in dst.iterdir()) == ["a.txt.gz", "b.MD.GZ", "c.txt"]
    assert gzip.decompress((dst / "a.txt.gz").read_bytes()).decode() == cleaner.clean(texts[0])
    assert gzip.decompress((dst / "b.MD.GZ").read_bytes()).decode() == cleaner.clean(texts[1])
    assert (dst / "c.txt").read_text(encoding="utf-8") == cleaner.clean(texts[2])


def test_wet_round_trip_and_to_jsonl(run, cleaner, texts, tmp_path):
    pytest.importorskip("warcio")
    from warcio.archiveiterator import ArchiveIterator

    src, out = tmp_path / "in.warc.wet.gz", tmp_path / "out.wet.gz"
    write_wet(src, texts)
    assert run(src, "-o", out).exit_code == 0
    with open(out, "rb") as f:
        records = [(r.rec_type, r.content_stream().read().decode()) for r in ArchiveIterator(f)]
    assert records == [("warcinfo", records[0][1])] + [("conversion", cleaner.clean(t)) for t in texts]
    got = read_jsonl(run(src).stdout_bytes)  # WET to stdout: JSONL
    assert [list(r) for r in got] == [["url", "warc-record-id", "date", "text"]] * len(texts)
    assert [(r["url"], r["date"], r["text"]) for r in got] == [(f"https://example.com/{i}", f"2021-04-07T10:{i:02d}:00Z", cleaner.clean(t)) for i, t in enumerate(texts)]


def test_warc_skips_records_that_are_neither_text_nor_html(run, cleaner, texts, tmp_path):
    pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    src = tmp_path / "crawl.warc.gz"
    with open(src, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i, text in enumerate(texts):
            for kind, body in (("image/png", b"\x89PNG\r\n\x1a\n"), ("text/plain; charset=utf-8", text.encode())):
                http = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(f"https://example.com/{i}", "response", payload=io.BytesIO(body), http_headers=http))
    result = run(src)
    assert [r["text"] for r in read_jsonl(result.stdout_bytes)] == [cleaner.clean(t) for t in texts]
    notice, summary = result.stderr.split("\n", 1)
    assert notice == f"left out {len(texts)} WARC records that are neither plain text nor HTML"
    assert only_summary(summary, len(texts))
    assert run(src, "-q").stderr == ""


# ------------------------------------------------------------------ -j


def test_jobs_two_equals_jobs_one_byte_for_byte(run, texts, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", rows_of(texts, 150))
    for jobs in (1, 2):
        assert run(src, "-o", tmp_path / f"j{jobs}.jsonl", "-j", jobs, "--labels-field", "labels").exit_code == 0
    assert (tmp_path / "j1.jsonl").read_bytes() == (tmp_path / "j2.jsonl").read_bytes()
    assert len(read_jsonl((tmp_path / "j2.jsonl").read_bytes())) == 150


# ------------------------------------------------------------------ bad input


def _jsonl_with(bad: bytes):
    def make(path: Path, texts):
        good = [json.dumps({"text": t}).encode() + b"\n" for t in texts[:2]]
        path.write_bytes(b"".join(good) + bad + b"\n" + good[0])

    return make


def _truncated_gzip(path: Path, texts):
    data = gzip.compress(b"".join(json.dumps({"text": f"{i} {t}"}).encode() + b"\n" for i, t in enumerate(texts * 20)))
    path.write_bytes(data[: len(data) // 2])


def _corrupt_parquet(path: Path, texts):
    path.write_bytes(b"PAR1 this is not really parquet")


def _truncated_wet(copies: int):
    """A WET file cut short; built from BUILT alone (not the seeds) so its size is what the test says."""
    def make(path: Path, texts):
        write_wet(path, [f"{i}: {text}" for i in range(copies) for text in BUILT])
        path.write_bytes(path.read_bytes()[:-40])

    return make


MALFORMED = [
    ("data.jsonl", _jsonl_with(b'{"text": "no end"'), r"data\.jsonl: record 3: invalid JSON \(.+\)"),
    ("data.jsonl", _jsonl_with(b'{"body": "x"}'), r"data\.jsonl: record 3: no 'text' field \(fields: 'body'; choose one with --text-field\)"),
    ("data.jsonl", _jsonl_with(b'{"text": ["a", "list"]}'), r"data\.jsonl: record 3: 'text' is a list, expected a string"),
    ("data.jsonl.gz", _truncated_gzip, r"data\.jsonl\.gz: record \d+: unreadable \(Compressed file ended before the end-of-stream marker was reached\)"),
    ("data.parquet", _corrupt_parquet, r"data\.parquet: not a readable Parquet file \(.+\)"),
    ("data.wet.gz", _truncated_wet(1), r"data\.wet\.gz: record \d+: unreadable \(.+\)"),
    ("data.wet.gz", _truncated_wet(100), r"data\.wet\.gz: record \d+: unreadable \(.+\)"),
]


@pytest.mark.parametrize("name, make, message", MALFORMED, ids=["invalid-json", "no-text-field", "text-not-string", "truncated-gzip", "corrupt-parquet", "truncated-small-wet", "truncated-large-wet"])
def test_malformed_input_is_one_line_and_no_output(run, texts, tmp_path, name, make, message):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    src = tmp_path / "in" / name
    make(src, texts)
    out = tmp_path / "out" / "clean.jsonl"
    result = run(src, "-o", out)
    assert result.exit_code == 1
    assert re.fullmatch(rf"Error: {re.escape(str(src.parent))}/{message}\n", result.stderr), result.stderr
    assert contents(tmp_path / "out") == []


ZSTD_START = b"\x28\xb5\x2f\xfd\x24\x05\x29\x00\x00"  # how a zstd frame starts


def test_zstd_input_is_refused_not_cleaned_as_text(run, texts, tmp_path):
    """A .jsonl.zst file (its name has no format noisecut knows) was read as text and its bytes written out."""
    src = tmp_path / "data.jsonl.zst"
    src.write_bytes(ZSTD_START + bytes(range(256)) * 4)
    (tmp_path / "out").mkdir()
    result = run(src, "-o", tmp_path / "out" / "clean.jsonl")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {src}: zstd-compressed; noisecut reads gzip or uncompressed input: "
                             "decompress it first (zstd -dc FILE), or pipe it in decompressed\n")
    assert contents(tmp_path / "out") == []
    piped = run("-", input=src.read_bytes())
    assert piped.exit_code == 1 and piped.stdout_bytes == b""
    assert piped.stderr.startswith("Error: stdin: zstd-compressed")


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
@pytest.mark.parametrize("jobs", [1, 2])
def test_input_from_a_pipe_path(run, cleaner, tmp_path, jobs):
    """`noisecut clean <(zcat page.txt.gz)`: the pipe has no position to count progress by (was "Error: Illegal seek")."""
    read, write = os.pipe()
    os.write(write, BUILT[0].encode())
    os.close(write)
    try:
        result = run("-q", "-j", jobs, f"/dev/fd/{read}", "-o", tmp_path / "clean.txt")
    finally:
        os.close(read)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "clean.txt").read_text() == cleaner.clean(BUILT[0])


def test_output_named_zst_is_refused(run, texts, tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", rows_of(texts, 3))
    result = run(src, "-o", tmp_path / "clean.jsonl.zst")
    assert result.exit_code == 1
    assert "clean.jsonl.zst: noisecut compresses its output with gzip only" in result.stderr
    assert not (tmp_path / "clean.jsonl.zst").exists()


def test_bad_record_late_under_jobs_leaves_no_output(run, texts, tmp_path):
    src = tmp_path / "data.jsonl"
    src.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows_of(texts, 200)) + b"{oops\n")
    (tmp_path / "out").mkdir()
    result = run(src, "-o", tmp_path / "out" / "clean.jsonl", "-j", 2)
    assert result.exit_code == 1 and "data.jsonl: record 201: invalid JSON" in result.stderr
    assert contents(tmp_path / "out") == []


def test_bad_directory_file_writes_nothing(run, texts, tmp_path):
    """--on-error stop writes nothing, in a directory too: the files cleaned before the bad one are not left."""
    src, dst = tmp_path / "pages", tmp_path / "clean"
    src.mkdir()
    (src / "a.txt").write_text(texts[0])
    (src / "b.txt").write_bytes(gzip.compress(texts[1].encode())[:-30])  # truncated gzip
    (src / "c.txt").write_text(texts[2])
    result = run(src, "-o", dst, "-j", 1)  # in order: a is written before b is read
    assert result.exit_code == 1 and f"{src / 'b.txt'}: record 1: unreadable" in result.stderr
    assert not dst.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["pages"]  # a was cleaned, not kept


def test_skip_logs_each_and_reports_the_count(run, cleaner, texts, tmp_path):
    src = tmp_path / "data.jsonl"
    good, bad = [json.dumps({"text": t}).encode() for t in texts], [b"{bad", b'{"text": 1}', b'{"other": "x"}']
    src.write_bytes(b"\n".join(good[:2] + bad + good[2:]) + b"\n")
    out = tmp_path / "out.jsonl"
    result = run(src, "-o", out, "--on-error", "skip")
    assert result.exit_code == 0
    log = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in log[:3]] == ["record 3", "record 4", "record 5"]
    assert all(line.startswith(f"skipped {src}: record") for line in log[:3])
    assert len(log) == 4 and only_summary(log[3] + "\n", len(texts)) and ", 3 records skipped," in log[3]
    assert run(src, "-o", out, "--on-error", "skip", "-q").stderr.splitlines()[3:] == ["skipped 3 records"]
    assert [r["text"] for r in read_jsonl(out.read_bytes())] == [cleaner.clean(t) for t in texts]


def test_output_equal_to_input_is_refused(run, texts, tmp_path):
    src = write_jsonl(tmp_path / "data.jsonl", rows_of(texts))
    before = src.read_bytes()
    os.link(src, tmp_path / "hardlink.jsonl")
    for output in (src, tmp_path / "." / "data.jsonl", tmp_path / "hardlink.jsonl"):
        result = run(src, "-o", output)
        assert result.exit_code == 1 and "output file is also an input" in result.stderr
    assert src.read_bytes() == before
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text(texts[0])
    for output in (pages, pages / "clean"):
        result = run(pages, "-o", output)
        assert result.exit_code == 1 and "inside the input directory" in result.stderr
    assert contents(pages) == ["a.txt"]


@pytest.mark.parametrize("args, message", [
    (["{page}", "--labels-field", "labels"], "--labels-field needs JSONL or Parquet output, not text"),
    (["{jsonl}", "--labels-field", "text", "-O", "jsonl"], "--labels-field text: the cleaned text goes in that field"),
    (["{jsonl}", "--explain", "-O", "jsonl"], "--explain prints a table per line; it cannot be written as jsonl"),
    (["{page}", "-O", "dir"], "directory output needs -o OUTDIR"),
    (["{page}", "-o", "{tmp}/out", "-O", "dir"], "directory output mirrors one input directory"),
    (["{jsonl}", "-o", "{tmp}/out/"], "out/: directory output mirrors one input directory; got"),  # a trailing / names a directory
    (["{jsonl}", "-O", "warc"], "WARC output is written as WET"),
    (["{tmp}/absent.jsonl"], "absent.jsonl: no such file"),
    (["{page}", "-I", "dir"], "not a directory"),
    (["{page}", "{jsonl}", "-", "-"], "stdin (-) can be read only once"),
])
def test_impossible_requests_are_one_line(run, texts, tmp_path, args, message):
    page = tmp_path / "page.txt"
    page.write_text(texts[0])
    jsonl = write_jsonl(tmp_path / "d.jsonl", rows_of(texts))
    result = run(*[a.format(page=page, jsonl=jsonl, tmp=tmp_path) for a in args])
    assert result.exit_code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1


def test_help_explains_every_option_with_an_example():
    result = CliRunner().invoke(main, ["clean", "--help"], prog_name="noisecut")
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:")[1].split("Options:")[0]
    for param in clean_command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        assert param.help, param.name
        names = param.opts + param.secondary_opts
        assert "E.g." in param.help or any(re.search(rf"\s{re.escape(n)}\b", examples) for n in names), param.name


# ------------------------------------------------------------------ processes: pipes and Ctrl-C


def _noisecut(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "noisecut.cli", "clean", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.parametrize("jobs", [1, 2])
def test_closed_pipe_exits_quietly(model_dir, texts, tmp_path, jobs):
    src = write_jsonl(tmp_path / "big.jsonl", rows_of(texts, 2000))
    proc = _noisecut("-m", model_dir, "-j", jobs, src)
    first = proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert json.loads(first)["id"] == "doc-0" and stderr == b""


@pytest.mark.parametrize("jobs,out_format,burst", [(1, "jsonl", 0), (1, "text", 0), (2, "jsonl", 70)],
                         ids=["jsonl", "text", "two-jobs-after-a-burst"])
def test_slow_input_comes_out_as_it_comes(run, model_dir, tmp_path, jobs, out_format, burst):
    """`tail -f crawl.jsonl | noisecut clean -I jsonl`: each record's output comes while stdin is still open,
    before the next record is written (nothing came before 32,000 lines had been read or stdin closed). The
    records are written by this test, each once the one before has come out, and the output is the file's.
    ``burst``: records written at once first, so that -j 2 starts its workers (64 came without a pause)."""
    import queue

    rows = rows_of(BUILT, burst + 3)  # short: each output smaller than stdout's buffer, which must be flushed
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # stdout as users have it
    proc = _noisecut("-m", model_dir, "-I", "jsonl", "-O", out_format, "-j", jobs, "-q", stdin=subprocess.PIPE, env=buffered)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in iter(proc.stdout.readline, b"")], daemon=True)
    reader.start()

    def send(rows_) -> None:
        proc.stdin.write(b"".join(json.dumps(row).encode() + b"\n" for row in rows_))
        proc.stdin.flush()

    def came() -> bytes:
        try:
            return lines.get(timeout=30)  # about a second; only a failure waits this out
        except queue.Empty:
            proc.kill()
            pytest.fail(f"no output 30 s after a record was written ({jobs} jobs, {out_format})")

    try:
        send(rows[:burst])
        got = [came() for _ in range(burst)]
        for row in rows[burst:]:
            send([row])
            got.append(came())
            if out_format == "jsonl":
                assert json.loads(got[-1])["id"] == row["id"]
        proc.stdin.close()
        reader.join(60)
        while not lines.empty():
            got.append(lines.get())
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        proc.kill()
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    assert b"".join(got) == run(src, "-O", out_format).stdout_bytes


# documents in a run that is stopped mid-way: enough that it cannot end before the signal, whatever the machine
# (5,000 took 1.6 s with two workers, and a run ended before a signal sent 0.5 s after its output appeared)
STOPPED_RUN_ROWS = 50_000


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _ended(pids: list[int], seconds: float = 10) -> bool:
    """Whether the processes ``pids`` have all ended within ``seconds``."""
    deadline = time.monotonic() + seconds
    while _running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _running(pids)


def _started(model_dir: Path, src: Path, target: Path, watch: Path, jobs: int, stderr, **popen) -> subprocess.Popen:
    """``noisecut clean -m MODEL_DIR SRC -o TARGET -j JOBS``, once it has written for a while (the temporary output
    has appeared in ``watch``)."""
    proc = subprocess.Popen([sys.executable, "-m", "noisecut.cli", "clean", "-m", str(model_dir), "-j", str(jobs), str(src),
                             "-o", str(target)], stdout=subprocess.DEVNULL, stderr=stderr, **popen)
    deadline = time.monotonic() + 60
    while not any(watch.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc


def _stopped_mid_run(model_dir: Path, src: Path, target: Path, watch: Path, jobs: int,
                     signum: int) -> tuple[subprocess.Popen, bytes, list[int]]:
    """``noisecut clean -m MODEL_DIR SRC -o TARGET -j JOBS`` sent ``signum`` once it has written for a while (the temporary
    output has appeared in ``watch``); what it returned, its stderr and its child processes then."""
    # as in a terminal: a test run started in the background (`cmd &`) ignores SIGINT, and the child would inherit that;
    # stderr to a file: workers left behind would hold a pipe open
    with open(watch.parent / "stderr.log", "w+b") as stderr:
        proc = _started(model_dir, src, target, watch, jobs, stderr, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(0.5)
        children = _children(proc.pid)
        assert proc.poll() is None, (watch.parent / "stderr.log").read_text()
        proc.send_signal(signum)
        proc.wait(timeout=60)
        stderr.seek(0)
        return proc, stderr.read(), children


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the processes from /proc")
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_leaves_no_output_and_no_workers(model_dir, texts, tmp_path, jobs, signum, status):
    """Ctrl-C or SIGTERM (a job scheduler, `timeout`, `kill`) mid-run: the temporary output removed, the
    workers gone, exit status 128 + the signal's number after one line on stderr."""
    src = write_jsonl(tmp_path / "big.jsonl", rows_of(texts, STOPPED_RUN_ROWS))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc, stderr, children = _stopped_mid_run(model_dir, src, out_dir / "clean.jsonl", out_dir, jobs, signum)
    assert proc.returncode == status, stderr
    assert stderr.decode().splitlines()[-1].startswith("Aborted!") and b"Traceback" not in stderr
    assert contents(out_dir) == []
    if jobs > 1:
        assert children  # the workers and multiprocessing's resource tracker
    assert _ended(children)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_second_signal_while_stopping_does_not_hang(model_dir, texts, tmp_path, signum):
    """An impatient second Ctrl-C just after the first broke off the pool's shutdown, and the process hung, its
    workers blocked writing results that nothing read any more. Now it waits for the shutdown, then stops."""
    src = write_jsonl(tmp_path / "big.jsonl", rows_of(texts, STOPPED_RUN_ROWS))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with open(tmp_path / "stderr.log", "w+b") as stderr:
        proc = _started(model_dir, src, out_dir / "clean.jsonl", out_dir, 2, stderr,
                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(0.5)
        children = _children(proc.pid)
        assert proc.poll() is None and children
        proc.send_signal(signum)
        time.sleep(0.005)
        try:
            proc.send_signal(signum)
        except ProcessLookupError:  # already gone
            pass
        try:
            status = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in [proc.pid, *_running(children)]:
                os.kill(pid, signal.SIGKILL)
            raise
    assert status in (128 + signum, -signum)  # exited, or the second signal's default action after the clean-up
    assert contents(out_dir) == []
    assert _ended(children)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_a_signal_to_the_whole_process_group(model_dir, texts, tmp_path, signum):
    """`timeout 60 noisecut clean ...` (SIGTERM) or a closed terminal (SIGHUP) signal the workers too. A worker
    killed while writing a result left the parent waiting for the rest of it (hung), and SIGHUP killed
    multiprocessing's resource tracker (a warning and tracebacks). Workers that ignored SIGTERM instead outlived a
    pool broken by one killed while it started, and the parent hung in the pool's shutdown (1 run in 3). Now the
    workers are in a session of their own: the signal reaches the parent alone, which shuts them down."""
    # the signal's default action in the child, as in a terminal: under `nohup` the test run ignores SIGHUP, and a
    # command that finds a signal ignored leaves it so
    src = write_jsonl(tmp_path / "big.jsonl", rows_of(texts, STOPPED_RUN_ROWS))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for attempt in range(3):  # the hang needed a worker caught writing
        with open(tmp_path / "stderr.log", "w+b") as stderr:
            proc = _started(model_dir, src, out_dir / "clean.jsonl", out_dir, 2, stderr,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL))
            time.sleep(0.3 + 0.2 * attempt)
            children = _children(proc.pid)
            assert proc.poll() is None and children
            os.killpg(proc.pid, signum)
            try:
                status = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise
            stderr.seek(0)
            message = stderr.read().decode()
        assert status == 128 + signum and message == f"Aborted! ({signal.Signals(signum).name})\n", message
        assert contents(out_dir) == []
        assert _ended(children)


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_leaves_no_directory_output(model_dir, texts, tmp_path, jobs):
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(STOPPED_RUN_ROWS // 5):
        (pages / f"p{i:05d}.txt").write_text(texts[i % len(texts)] + f"\nItem {i}\n")
    out_parent = tmp_path / "out"
    out_parent.mkdir()
    proc, stderr, _ = _stopped_mid_run(model_dir, pages, out_parent / "clean", out_parent, jobs, signal.SIGTERM)
    assert proc.returncode == 143, stderr
    assert contents(out_parent) == []  # neither clean/ nor its staging directory


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the processes from /proc")
def test_workers_end_when_their_parent_is_killed(model_dir, texts, tmp_path):
    """SIGKILL (the out-of-memory killer) leaves the parent no chance to shut its workers down: they end by
    themselves instead of waiting for work forever."""
    src = write_jsonl(tmp_path / "big.jsonl", rows_of(texts, STOPPED_RUN_ROWS))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc, _, children = _stopped_mid_run(model_dir, src, out_dir / "clean.jsonl", out_dir, 2, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL and children
    deadline = time.monotonic() + 20
    while _running(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftover = _running(children)
    for pid in leftover:  # not to leave them behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert leftover == []


def _on_a_terminal(args: list[str], stdout_too: bool) -> tuple[int, bytes, bytes]:
    """``noisecut clean ARGS`` with stderr (and stdout, ``stdout_too``) on a pseudo-terminal of 100 columns, the
    progress bar's delay 0: its exit status, what the terminal shows and what went to stdout when not there."""
    import fcntl
    import pty
    import struct
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    code = ("import sys; import noisecut.io.pipeline as p; p.PROGRESS_DELAY = 0; from noisecut.cli import main; "
            "main(sys.argv[1:], prog_name='noisecut')")
    proc = subprocess.Popen([sys.executable, "-c", code, "clean", *args], stdin=subprocess.DEVNULL, stderr=secondary,
                            stdout=secondary if stdout_too else subprocess.PIPE)
    os.close(secondary)
    piped = []  # read beside the terminal: neither may fill up while the other is waited on
    reader = None if stdout_too else threading.Thread(target=lambda: piped.append(proc.stdout.read()))
    if reader:
        reader.start()
    shown = b""
    while True:
        try:
            data = os.read(primary, 1 << 16)
        except OSError:  # the terminal's other side closed: the process ended
            break
        if not data:
            break
        shown += data
    os.close(primary)
    if reader:
        reader.join(timeout=60)
    return proc.wait(timeout=60), shown, b"".join(piped)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_progress_bar_on_a_terminal_only_beside_an_output_elsewhere(model_dir, texts, tmp_path):
    """The bar goes to stderr when it is a terminal, with -o or a pipe taking the output; not when the cleaned
    text itself is printed on the terminal (it would be drawn in among the output lines and stay there),
    never into the output, and never with -q."""
    src = write_jsonl(tmp_path / "a.jsonl", rows_of(texts, 150))
    code, shown, _ = _on_a_terminal(["-m", str(model_dir), "-j", "1", str(src), "-o", str(tmp_path / "out.jsonl")], False)
    assert code == 0 and b"100%|" in shown and b"cleaned 150 documents" in shown
    code, shown, piped = _on_a_terminal(["-m", str(model_dir), "-j", "1", str(src)], False)
    assert code == 0 and b"100%|" in shown and b"%|" not in piped and len(read_jsonl(piped)) == 150
    code, shown, _ = _on_a_terminal(["-m", str(model_dir), "-j", "1", str(src)], True)
    assert code == 0 and b"%|" not in shown and b"cleaned 150 documents" in shown and shown.count(b'"id": "doc-') == 150
    code, shown, _ = _on_a_terminal(["-q", "-m", str(model_dir), "-j", "1", str(src), "-o", str(tmp_path / "out.jsonl")], False)
    assert code == 0 and shown == b""


def _with_closed(fd: int, args: list, **kwargs) -> subprocess.CompletedProcess:
    """``noisecut clean ARGS`` started with file descriptor ``fd`` closed (`<&-`, `>&-`, `2>&-` in a shell; a daemon's)."""
    return subprocess.run([sys.executable, "-m", "noisecut.cli", "clean", *map(str, args)], capture_output=fd != 2,
                          stdout=subprocess.PIPE if fd == 2 else None, preexec_fn=lambda: os.close(fd), timeout=120, **kwargs)


def test_closed_stdin_or_stdout_is_one_error_line(model_dir, texts, tmp_path):
    src = write_jsonl(tmp_path / "a.jsonl", rows_of(texts))
    result = _with_closed(0, ["-m", model_dir])
    assert (result.returncode, result.stderr) == (1, b"Error: stdin is closed; name the input files, or give it input (< FILE)\n")
    result = _with_closed(1, ["-m", model_dir, src])
    assert (result.returncode, result.stderr) == (1, b"Error: stdout is closed; write to a file with -o FILE\n")
    assert _with_closed(1, ["-m", model_dir, src, "-o", tmp_path / "out.jsonl"]).returncode == 0
    assert len(read_jsonl((tmp_path / "out.jsonl").read_bytes())) == len(texts)


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_closed_stderr_puts_no_message_into_the_output(model_dir, texts, tmp_path, quiet):
    """Messages for stderr go nowhere when it is closed: print() and tqdm.write() would write them on stdout,
    into the cleaned records."""
    src = tmp_path / "a.jsonl"
    src.write_text("{not json\n" + "".join(json.dumps(row) + "\n" for row in rows_of(texts)))
    result = _with_closed(2, ["-m", model_dir, "--on-error", "skip", *quiet, src])
    assert result.returncode == 0
    assert [row["id"] for row in read_jsonl(result.stdout)] == [row["id"] for row in rows_of(texts)]


def test_bad_model_leaves_no_output(run, texts, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text(texts[0])
    result = CliRunner().invoke(main, ["clean", "-m", str(tmp_path / "no-model"), str(pages), "-o", str(tmp_path / "clean")])
    assert result.exit_code == 1 and "no such model" in result.stderr
    assert contents(tmp_path) == ["pages"]


# ------------------------------------------- nothing lost or merged without an error


def refused(result, message: str) -> bool:
    """Exit status 1, one line on stderr holding ``message``, nothing on stdout."""
    return result.exit_code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1 and result.stdout == ""


@pytest.mark.parametrize("compress", [False, True])
def test_jsonl_on_stdin_is_refused_unless_named(run, cleaner, texts, compress):
    data = "".join(json.dumps(row) + "\n" for row in rows_of(texts)).encode()
    data = gzip.compress(data) if compress else data
    result = run(input=data)
    assert refused(result, "stdin: its first line is a JSON object; pass -I jsonl to clean each record's text, or -I text")
    as_records = run("-I", "jsonl", "-q", input=data)
    assert [r["text"] for r in read_jsonl(as_records.stdout_bytes)] == [cleaner.clean(t) for t in texts]
    as_text = run("-I", "text", "-q", input=data)
    assert as_text.exit_code == 0 and as_text.stdout_bytes == cleaner.clean_bytes(gzip.decompress(data) if compress else data)


@pytest.mark.parametrize("compress", [False, True])
def test_a_warc_on_stdin_or_unnamed_is_refused_unless_named(run, cleaner, texts, tmp_path, compress):
    """`zcat crawl.warc.gz | noisecut clean` cleaned the whole WARC, headers and all, as one text (status 0)."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    src = tmp_path / "crawl"  # no suffix: its name says nothing
    with open(src, "wb") as f:
        writer = WARCWriter(f, gzip=compress)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.com/", "response", payload=io.BytesIO(texts[0].encode()), http_headers=http))
    data = src.read_bytes()
    message = "it starts like a WARC file; pass -I warc (or -I wet) to clean its records, or -I text to clean it as one text"
    assert refused(run(input=data), f"stdin: {message}")
    assert refused(run(src), f"{src}: {message}")
    as_records = run("-I", "warc", "-q", input=data)
    assert [r["text"] for r in read_jsonl(as_records.stdout_bytes)] == [cleaner.clean(texts[0])]


def test_stdin_text_that_mentions_braces_is_text(run, cleaner, texts):
    data = "\n\n{ not JSON, a brace in prose }\n" + texts[0]
    result = run("-q", input=data)
    assert result.exit_code == 0 and result.stdout == cleaner.clean(data)


def test_json_file_is_jsonl_and_an_unnamed_file_of_records_is_refused(run, cleaner, texts, tmp_path):
    rows = rows_of(texts)
    named = write_jsonl(tmp_path / "docs.json", rows)
    result = run(named, "-q")
    assert [r["text"] for r in read_jsonl(result.stdout_bytes)] == [cleaner.clean(t) for t in texts]
    unnamed = write_jsonl(tmp_path / "docs", rows)
    assert refused(run(unnamed), f"{unnamed}: its first line is a JSON object")


def test_one_format_guesser_for_every_entry_point():
    from noisecut.errors import NoiseCutError
    from noisecut.integrations.ray import _suffix_format
    from noisecut.io.formats import format_from_name

    for name in ("a.jsonl", "a.json", "a.ndjson.gz", "a.JSON", "a.parquet", "a.txt", "a.txt.gz", "README"):
        assert _suffix_format(Path(name)) == (format_from_name(name) or "text"), name
    with pytest.raises(NoiseCutError, match="html is not read with Ray Data here"):
        _suffix_format(Path("page.html"))


def test_ray_data_refuses_a_directory_without_files(tmp_path):
    pytest.importorskip("ray")
    from noisecut.errors import NoiseCutError
    from noisecut.integrations.ray import _guess_format

    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(NoiseCutError, match=r"^no files in .*empty; nothing to clean$"):
        _guess_format([tmp_path / "empty"])


def write_warcinfo_only(path: Path) -> None:
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))


@pytest.mark.parametrize("case", ["empty-directory", "empty-jsonl", "warcinfo-only", "every-record-skipped"])
def test_inputs_without_documents_are_an_error_with_no_output(run, tmp_path, case):
    (tmp_path / "out").mkdir()
    if case == "empty-directory":
        src = tmp_path / "pages"
        (src / "sub").mkdir(parents=True)
        (src / "notes.rst").write_text("not a text file noisecut reads in a directory\n")
        out, args, message = tmp_path / "out" / "clean", (), f"{src}: no .txt, .md or .html files in this directory"
    else:
        src = tmp_path / {"empty-jsonl": "d.jsonl", "warcinfo-only": "c.wet.gz", "every-record-skipped": "d.jsonl"}[case]
        if case == "warcinfo-only":
            write_warcinfo_only(src)
        else:
            src.write_bytes(b"\n" if case == "empty-jsonl" else b'{"body": "no text field"}\n')
        out, args, message = tmp_path / "out" / "clean.jsonl", ("--on-error", "skip"), f"no documents in {src}"
    result = run(src, "-o", out, *args)
    assert result.exit_code == 1 and message in result.stderr.splitlines()[-1]
    assert contents(tmp_path / "out") == []


def test_text_documents_in_one_output_never_merge(run, cleaner, tmp_path):
    body = ("The river path will close for repairs from Monday, the council said, and reopen in the spring "
            "after the new lighting is in place.")
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(f"Home | News | Sport\n{body}")  # no line break at the end
    second.write_text(f"{body.replace('Monday', 'Tuesday')}\nShare this\n")
    kept = [cleaner.clean(p.read_text()) for p in (first, second)]
    assert not kept[0].endswith("\n") and kept[0] and kept[1]  # the case that merged
    result = run(first, second, "-q")
    assert result.stdout == kept[0] + "\n" + kept[1]
    assert result.stdout.splitlines() == kept[0].splitlines() + kept[1].splitlines()
    assert run(first, "-q").stdout == kept[0]  # one document: byte for byte, no line break added


def test_explain_whatever_the_input_format(run, cleaner, texts, tmp_path):
    src = write_jsonl(tmp_path / "docs.jsonl", rows_of(texts))
    result = run(src, "--explain")
    assert result.exit_code == 0
    # each document's table after a line naming it
    assert result.stdout_bytes == b"".join(f"# doc-{i}\n".encode() + cleaner.explain(t.encode()) for i, t in enumerate(texts))
    assert re.fullmatch(rf"cleaned {len(texts)} documents: \d+ lines explained, 0 records skipped, [\d.]+ docs/s\n", result.stderr)


def test_summary_counts_documents_lines_and_skips(run, cleaner, texts, tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_bytes(b"".join(json.dumps({"text": t}).encode() + b"\n" for t in texts) + b"{broken\n")
    result = run(src, "-o", tmp_path / "out.jsonl", "--on-error", "skip")
    from noisecut.document import Document

    lines = sum(len(Document.from_text(t).content_indices()) for t in texts)
    kept = sum(1 for t in texts for line in cleaner.clean(t).splitlines() if line.strip())
    summary = result.stderr.splitlines()[-1]
    assert re.fullmatch(rf"cleaned {len(texts)} documents: kept {kept} of {lines} lines \({kept / lines:.0%}\), 1 record skipped, [\d.]+ docs/s", summary)
    assert run(src, "-o", tmp_path / "out.jsonl", "--on-error", "skip", "-q").stderr.splitlines() == [
        f"skipped {src}: record {len(texts) + 1}: invalid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        "skipped 1 record",
    ]
