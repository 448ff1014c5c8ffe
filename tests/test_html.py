"""HTML in (issue 16): pages, directories, stdin, records and WARC responses are rendered, then cleaned.

Every page here is generated in the test. The expected output is always the
renderer's own text (html_text or inscriptis called directly) cleaned as text,
so a page cleaned as markup, or rendered by anything else, fails.
"""
from __future__ import annotations

import builtins
import gzip
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from noisecut.cli import main
from noisecut.errors import NoiseCutError
from noisecut.io.files import RecordErrors
from noisecut.io.formats import format_from_name, input_format
from noisecut.io.html import decode_html, looks_like_html, meta_charset

html_text = pytest.importorskip("html_text")
inscriptis = pytest.importorskip("inscriptis")

from conftest import SHARED, needs_shared  # noqa: E402

BODY = [
    "The city council voted on Tuesday to build fourteen miles of protected cycle lanes, ending two years of debate.",
    "Work on the first stretch, along the river, will begin in September and should be finished by the spring.",
    "Opponents said the lanes would slow buses, but the transport committee found journey times would barely change.",
]
MARKUP = ("<p", "</", "<script", "var tracker", "color:")  # what must never reach the output


def page(title="Council approves new cycle lanes", body=BODY, charset="utf-8", head_extra="", doctype="<!DOCTYPE html>\n") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body)
    return (
        f"{doctype}<html lang=\"en\"><head>{meta}{head_extra}<title>{title} | Example News</title>\n"
        "<script>var tracker = '</p><p>not text';</script><style>p { color: red }</style></head>\n<body>\n"
        '<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>\n'
        f"<main><article><h1>{title}</h1>\n<p class=\"byline\">By Jane Smith | 12 March 2024</p>\n{paragraphs}\n</article></main>\n"
        "<footer><p>Share this article: Facebook Twitter Email</p><p>Copyright 2024 Example News. All rights reserved.</p></footer>\n"
        "</body></html>\n"
    )


def rendered(html: str, renderer: str = "html_text") -> str:
    """The renderer's text, as ``noisecut`` hands it to the cleaner (ending with a line break)."""
    text = html_text.extract_text(html) if renderer == "html_text" else inscriptis.get_text(html)
    return text if text.endswith("\n") else text + "\n"


@pytest.fixture
def run(model_dir):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, ["clean", "-m", str(model_dir), *map(str, args)], input=input, catch_exceptions=False)

    return invoke


def no_markup(text: str) -> bool:
    return not any(fragment in text for fragment in MARKUP)


def refused(result, message: str) -> bool:
    return result.exit_code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1 and result.stdout == ""


# ------------------------------------------------------------------ one page


@pytest.mark.parametrize("name", ["page.html", "page.htm", "page.HTML.gz", "page.xhtml"])
def test_html_page_is_rendered_then_cleaned(run, cleaner, tmp_path, name):
    html = page()
    path = tmp_path / name
    path.write_bytes(gzip.compress(html.encode()) if name.endswith(".gz") else html.encode())
    result = run(path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == cleaner.clean(rendered(html))
    assert BODY[0] in result.stdout and no_markup(result.stdout)
    assert "Home" not in result.stdout.splitlines()  # the menu, one line per item in the rendering, is dropped


def test_the_same_page_cleaned_as_text_is_not_what_html_input_gives(run, cleaner, tmp_path):
    """`-I text` is the way to clean markup as text; without it the page is rendered."""
    path = tmp_path / "page.html"
    path.write_text(page())
    as_text = run("-I", "text", path)
    assert as_text.exit_code == 0 and as_text.stdout == cleaner.clean(page())
    assert run(path).stdout != as_text.stdout


@pytest.mark.parametrize("renderer", ["html_text", "inscriptis"])
def test_renderer_option(run, cleaner, tmp_path, renderer):
    path = tmp_path / "page.html"
    path.write_text(page())
    result = run("--renderer", renderer, path)
    assert result.exit_code == 0 and result.stdout == cleaner.clean(rendered(page(), renderer))


def test_explain_shows_the_rendered_lines(run, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(page())
    result = run("--explain", path)
    assert result.exit_code == 0
    rows = result.stdout.splitlines()
    assert len(rows) == len(rendered(page()).splitlines())
    shown = [row[23:] for row in rows]  # the line after "+ label prob keep  "
    assert shown == rendered(page()).splitlines()
    assert no_markup(result.stdout)


def test_html_output_name_is_refused(run, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(page())
    result = run(path, "-o", tmp_path / "clean.html")
    assert refused(result, "the cleaned page is written as text, not HTML; name the output .txt or pass -O text")
    assert not (tmp_path / "clean.html").exists()
    assert run(path, "-o", tmp_path / "clean.html", "-O", "text").exit_code == 0


# ------------------------------------------------------------------ sniffing


@pytest.mark.parametrize("start", [
    "<!DOCTYPE html>", "<!doctype HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">", "<html>", "<HTML lang=en>",
    "\ufeff<!doctype html>", "\n\n   <html>", "<!-- saved from url=(0014)about:internet -->\n<!DOCTYPE html>",
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">',
])
def test_looks_like_html(start):
    assert looks_like_html((start + "<body><p>x</p></body></html>").encode())
    assert looks_like_html(start.lstrip("\ufeff").encode("utf-16"))  # with its BOM


@pytest.mark.parametrize("start", [
    "A page of text about the <html> element.", "<p>a fragment</p>", "<htmlish>", "{\"html\": \"<html>\"}",
    "<!-- a comment, then text -->\nplain text", "", '<?xml version="1.0"?><rss version="2.0">',
])
def test_does_not_look_like_html(start):
    assert not looks_like_html(start.encode())


def test_html_on_stdin(run, cleaner):
    html = "\ufeff  \n" + page()
    result = run(input=html.encode())
    assert result.exit_code == 0 and result.stdout == cleaner.clean(rendered(page()))
    assert no_markup(result.stdout)
    assert run("-I", "html", "-", input=page(doctype="")).stdout == cleaner.clean(rendered(page(doctype="")))


def test_html_in_a_text_file_or_an_unnamed_file_is_rendered(run, cleaner, tmp_path):
    for name in ("page.txt", "page", "page.txt.gz"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(page().encode()) if name.endswith(".gz") else page().encode())
        assert input_format(path) == "html"
        result = run(path)
        assert result.exit_code == 0 and result.stdout == cleaner.clean(rendered(page())), name


def test_format_from_name_knows_html():
    for name in ("a.html", "a.htm", "a.html.gz", "A.HTM.GZ", "a.xhtml", "a.shtml"):
        assert format_from_name(name) == "html", name
    for name in ("a.txt", "a.htmlx", "html", "a.html.txt"):
        assert format_from_name(name) != "html", name


# ------------------------------------------------------------------ directories


def test_html_directory_mirrors_to_txt_files(run, cleaner, tmp_path):
    src = tmp_path / "pages"
    (src / "sub").mkdir(parents=True)
    plain = "Menu | Home | Contact\n" + "\n".join(BODY) + "\nCopyright 2024 Example News\n"
    (src / "a.html").write_text(page())
    (src / "sub" / "b.htm.gz").write_bytes(gzip.compress(page(title="Library opens on Sundays").encode()))
    (src / "c.txt").write_text(plain)
    (src / "d.txt").write_text(page(title="Sniffed"))  # named .txt, but a page
    (src / "notes.rst").write_text("not read")
    out = tmp_path / "out"
    result = run(src, "-o", f"{out}/")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["a.txt", "c.txt", "d.txt", "sub/b.txt"]
    assert (out / "a.txt").read_text() == cleaner.clean(rendered(page()))
    assert (out / "sub" / "b.txt").read_text() == cleaner.clean(rendered(page(title="Library opens on Sundays")))
    assert (out / "c.txt").read_text() == cleaner.clean(plain)
    assert (out / "d.txt").read_text() == cleaner.clean(rendered(page(title="Sniffed")))
    assert all(no_markup(p.read_text()) for p in out.rglob("*.txt"))
    records = [json.loads(line) for line in run(src, "-O", "jsonl").stdout.splitlines()]
    assert [r["id"] for r in records] == ["a.html", "c.txt", "d.txt", "sub/b.htm.gz"]
    assert run(src, "-O", "jsonl", "-j", "2").stdout == run(src, "-O", "jsonl", "-j", "1").stdout  # rendered pages go to workers


def test_a_page_and_a_text_file_of_one_name_are_refused(run, tmp_path):
    src = tmp_path / "pages"
    src.mkdir()
    (src / "a.html").write_text(page())
    (src / "a.txt").write_text("\n".join(BODY) + "\n")
    out = tmp_path / "out"
    assert refused(run(src, "-o", f"{out}/"), f"{src}: both a.html and a.txt would be cleaned into a.txt; rename one")
    assert not out.exists()


def test_a_directory_of_only_html_files_is_not_empty(run, tmp_path):
    src = tmp_path / "pages"
    src.mkdir()
    (src / "a.html").write_text(page())
    assert run(src).exit_code == 0
    (src / "a.html").unlink()
    assert refused(run(src), "no .txt, .md or .html files in this directory; nothing to clean")


# ------------------------------------------------------------------ records


def test_html_field_in_jsonl(run, cleaner, tmp_path):
    pages = [page(), page(title="Library opens on Sundays", body=BODY[1:])]
    rows = [{"id": f"p{i}", "url": f"https://example.com/{i}", "html": html} for i, html in enumerate(pages)]
    src = tmp_path / "pages.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run(src, "--html-field", "html")
    assert result.exit_code == 0, result.stderr
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(r) for r in got] == [["id", "url", "html", "text"]] * 2  # the HTML passes through, the text is added
    assert [r["text"] for r in got] == [cleaner.clean(rendered(html)) for html in pages]
    assert [r["html"] for r in got] == pages
    # the text field named, and the HTML field replaced by its cleaned text
    named = [json.loads(line) for line in run(src, "--html-field", "html", "--text-field", "content").stdout.splitlines()]
    assert [r["content"] for r in named] == [r["text"] for r in got]
    replaced = [json.loads(line) for line in run(src, "--html-field", "html", "--text-field", "html").stdout.splitlines()]
    assert [list(r) for r in replaced] == [["id", "url", "html"]] * 2 and [r["html"] for r in replaced] == [r["text"] for r in got]


def test_html_field_errors(run, tmp_path):
    src = tmp_path / "pages.jsonl"
    src.write_text(json.dumps({"id": 1, "body": page()}) + "\n")
    assert refused(run(src, "--html-field", "html"), f"{src}: record 1: no 'html' field (fields: 'id', 'body'; choose one with --html-field)")
    text = tmp_path / "page.txt"
    text.write_text("\n".join(BODY))
    assert refused(run(text, "--html-field", "html"), "--html-field names a field of JSONL or Parquet records; none of the inputs is")


@pytest.mark.parametrize("binary", [False, True])
def test_html_column_in_parquet(run, cleaner, tmp_path, binary):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pages = [page(), page(title="Library opens on Sundays")]
    column = [p.encode() for p in pages] if binary else pages
    src, out = tmp_path / "pages.parquet", tmp_path / "clean.parquet"
    pq.write_table(pa.table({"url": ["https://example.com/0", "https://example.com/1"], "html": column}), src)
    result = run(src, "--html-field", "html", "-o", out)
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    assert table.column_names == ["url", "html", "text"]
    assert table.column("text").to_pylist() == [cleaner.clean(rendered(p)) for p in pages]
    assert table.column("html").to_pylist() == column


# ------------------------------------------------------------------ WARC


def write_warc(path: Path, responses) -> None:
    """``responses``: (url, content type or None, payload bytes) as HTTP response records."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for url, content_type, payload in responses:
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type)] if content_type else [], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http))


def test_warc_html_responses_are_rendered_and_cleaned(run, cleaner, tmp_path):
    pytest.importorskip("warcio")
    first, second = page(), page(title="Café crème for the council", charset=None)
    plain = "Menu | Home\n" + "\n".join(BODY) + "\n"
    src = tmp_path / "crawl.warc.gz"
    write_warc(src, [
        ("https://example.com/a", "text/html; charset=utf-8", first.encode()),
        ("https://example.com/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("https://example.com/b", "application/xhtml+xml; charset=iso-8859-1", second.encode("latin-1")),
        ("https://example.com/c", "text/plain", plain.encode()),
    ])
    result = run(src)
    assert result.exit_code == 0, result.stderr
    notice = result.stderr.splitlines()[0]
    assert notice == "left out 1 WARC records that are neither plain text nor HTML"
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["url"] for r in got] == ["https://example.com/a", "https://example.com/b", "https://example.com/c"]
    assert [r["text"] for r in got] == [cleaner.clean(rendered(first)), cleaner.clean(rendered(second)), cleaner.clean(plain)]
    assert all(no_markup(r["text"]) for r in got)
    wet = tmp_path / "clean.wet"
    assert run(src, "-o", wet).exit_code == 0
    from warcio.archiveiterator import ArchiveIterator

    with open(wet, "rb") as f:
        texts = [r.content_stream().read().decode() for r in ArchiveIterator(f) if r.rec_type == "conversion"]
    assert texts == [r["text"] for r in got]


def test_warc_response_without_a_content_type_is_html_when_it_starts_like_a_page(run, cleaner, tmp_path):
    pytest.importorskip("warcio")
    src = tmp_path / "crawl.warc"
    write_warc(src, [("https://example.com/a", None, page().encode()), ("https://example.com/b", None, b"\x00\x01binary")])
    result = run(src)
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [cleaner.clean(rendered(page()))]
    assert result.stderr.splitlines()[0] == "left out 1 WARC records that are neither plain text nor HTML"


# ------------------------------------------------------------------ charsets


def test_charset_from_the_meta_tag(run, cleaner, tmp_path):
    title = "Café crème and the naïve council"
    for meta in ('<meta charset="iso-8859-1">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'):
        html = page(title=title, charset=None, head_extra=meta)
        path = tmp_path / "latin.html"
        path.write_bytes(html.encode("cp1252"))
        assert decode_html(path.read_bytes()) == html
        result = run("--explain", path)
        assert title in result.stdout and "\ufffd" not in result.stdout


def test_charset_from_the_http_header_wins_over_the_meta_tag(run, tmp_path):
    pytest.importorskip("warcio")
    title = "Ελληνικά νέα για το δημοτικό συμβούλιο"
    html = page(title=title, charset="iso-8859-1")  # the page says Latin-1; the server says Greek
    src = tmp_path / "greek.warc"
    write_warc(src, [("https://example.gr/", "text/html; charset=iso-8859-7", html.encode("iso-8859-7"))])
    result = run("--explain", src)
    assert result.exit_code == 0 and title in result.stdout
    assert decode_html(html.encode("iso-8859-7"), "iso-8859-7") == html
    assert decode_html(html.encode("iso-8859-7")) != html  # the meta alone would get it wrong


@pytest.mark.parametrize("declared, data, expected", [
    (None, "naïve café".encode("utf-8"), "naïve café"),                          # undeclared UTF-8
    (None, "\ufeffnaïve".encode("utf-8"), "naïve"),                              # a BOM
    (None, "naïve".encode("utf-16"), "naïve"),                                    # a UTF-16 BOM
    ("iso-8859-1", "“naïve”".encode("cp1252"), "“naïve”"),                       # Latin-1 is read as cp1252, as browsers do
    ("gb2312", "中文新闻".encode("gb18030"), "中文新闻"),
    ("latin-1", "naïve café".encode("utf-8"), "naïve café"),                      # valid UTF-8 whatever it says
    ("no-such-charset", "naïve".encode("utf-8"), "naïve"),
    (None, ("Our “naïve” café, £5 – " * 20).encode("cp1252"), "Our “naïve” café, £5 – " * 20),  # undeclared, not UTF-8: cp1252
])
def test_decode_html(declared, data, expected):
    assert decode_html(data, declared) == expected


@pytest.mark.parametrize("charset", ["utf-32", "utf-16-le", "utf-32-be", "utf-7", "cp500"])
def test_a_charset_that_cannot_be_the_pages_is_ignored(run, tmp_path, charset):
    """A page whose (ASCII) markup declares UTF-32, UTF-7 or EBCDIC is not in it; decoding it so turned
    the whole page into mojibake. Browsers ignore such labels (WHATWG): so does noisecut, in the page and
    in an HTTP header."""
    text = "C++ tips: a+b-c = 1+2-3, and the café opens at nine."
    html = f'<!doctype html><html><head><meta charset="{charset}"><title>Tips</title></head><body><p>{text}</p></body></html>'
    assert decode_html(html.encode("utf-8")) == html
    assert decode_html(html.encode("cp1252")) == html  # not UTF-8: read as if undeclared
    assert decode_html(html.replace(charset, "utf-8").encode("utf-8"), charset) == html.replace(charset, "utf-8")
    assert meta_charset(html.encode()) is None
    src = tmp_path / "tips.html"
    src.write_bytes(html.encode("utf-8"))
    result = run("--explain", src)
    assert result.exit_code == 0 and text in result.stdout


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("text", ["The library opens on Sundays from next month, the council said on Tuesday.",
                                  "東京の図書館は日曜日も開館します: a long paragraph with a café in it."])
def test_a_wide_page_without_or_with_a_utf32_mark_is_read(run, tmp_path, encoding, text):
    """An ASCII page in UTF-16 without a byte-order mark is valid UTF-8 (a NUL between letters): read so, it
    rendered to nothing and `clean` printed nothing, status 0. UTF-32's mark was taken for UTF-16's."""
    html = f'<!doctype html><html><head><meta charset="utf-16"><title>Library</title></head><body><p>{text}</p></body></html>'
    assert decode_html(html.encode(encoding)) == html
    src = tmp_path / "wide.html"
    src.write_bytes(html.encode(encoding))
    result = run("--explain", src)
    assert result.exit_code == 0 and text in result.stdout
    assert decode_html(b"<p>a NUL \x00 or two \x00 in a page</p>" * 4) == "<p>a NUL \x00 or two \x00 in a page</p>" * 4


def test_meta_charset_only_in_the_first_bytes():
    assert meta_charset(b'<html><head><meta charset="koi8-r">') == "koi8-r"
    assert meta_charset(b"<html><head>" + b" " * 2000 + b'<meta charset="koi8-r">') is None


# ------------------------------------------------------------------ the extra


def test_missing_renderer_names_the_extra(run, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_html_text(name, *args, **kwargs):
        if name == "html_text":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_html_text)
    path = tmp_path / "page.html"
    path.write_text(page())
    out = tmp_path / "clean.txt"
    assert refused(run(path, "-o", out), "HTML input needs html-text: pip install 'noisecut[html]'")
    assert not out.exists()
    assert run("--renderer", "inscriptis", path).exit_code == 0  # the other renderer is still there
    # HTML met only while reading (a WARC response) stops the run the same way
    pytest.importorskip("warcio")
    src = tmp_path / "crawl.warc"
    write_warc(src, [("https://example.com/", "text/html", page().encode())])
    assert refused(run(src, "-o", tmp_path / "clean.jsonl"), "HTML input needs html-text: pip install 'noisecut[html]'")
    assert not (tmp_path / "clean.jsonl").exists()


def test_a_control_character_lxml_refuses_is_left_out(run, cleaner, tmp_path):
    """html_text raises on this page ("All strings must be XML compatible"); browsers show the page without it."""
    html = page(body=BODY[:2] + ['\x0b ' + BODY[2] + '<script src="/tools.js"></script>\n'])
    with pytest.raises(ValueError, match="XML compatible"):
        html_text.extract_text(html)
    path = tmp_path / "page.html"
    path.write_text(html)
    result = run(path)
    assert result.exit_code == 0 and result.stdout == cleaner.clean(rendered(html.replace("\x0b", " ")))
    assert BODY[2] in rendered(html.replace("\x0b", " "))


def test_a_page_the_renderer_fails_on_is_a_bad_record(tmp_path, monkeypatch):
    from noisecut.io import html as html_module
    from noisecut.io.jsonl import read_jsonl

    def broken(_):
        raise RuntimeError("boom")

    monkeypatch.setattr(html_module, "renderer", lambda name="html_text": broken)
    src = tmp_path / "pages.jsonl"
    src.write_text(json.dumps({"html": page()}) + "\n")
    with pytest.raises(NoiseCutError, match=r"pages.jsonl: record 1: HTML not rendered \(html_text: RuntimeError: boom\)"):
        list(read_jsonl(src, RecordErrors(), html_field="html"))
    errors = RecordErrors("skip", lambda message: None)
    assert list(read_jsonl(src, errors, html_field="html")) == [] and errors.skipped == 1


# ------------------------------------------------------------------ -j 2: pages rendered in the worker processes

# inscriptis refuses this page ("Unicode strings with encoding declaration are not supported"): a real renderer
# failure, which also happens in a worker process (a monkeypatched renderer would not reach one)
UNRENDERABLE = '<?xml\nversion="1.0" encoding="utf-8"?>\n'
BROKEN = 3  # the page the renderer fails on
PAGES_FOR_WORKERS = 70  # over parallel.IN_PROCESS_BELOW: -j 2 starts workers


def pages_input(kind: str, tmp_path: Path) -> tuple[Path, list[str], str]:
    """An input of ``kind`` holding generated pages, one of them unrenderable; its options; the report of that page."""
    from noisecut.parallel import IN_PROCESS_BELOW

    assert PAGES_FOR_WORKERS > IN_PROCESS_BELOW
    pages = [page(title=f"Council meeting number {n}", body=BODY[n % 3:] + BODY[:n % 3]) for n in range(PAGES_FOR_WORKERS)]
    pages[BROKEN] = UNRENDERABLE + pages[BROKEN]
    failure = "HTML not rendered (inscriptis: ValueError: Unicode strings with encoding declaration are not supported."
    if kind == "dir":
        src = tmp_path / "pages"
        src.mkdir()
        for n, html in enumerate(pages):
            (src / f"p{n:03d}.html").write_text(html)
        (src / "p001 notes.txt").write_text("Menu | Home\n" + "\n".join(BODY) + "\n")  # plain text among the pages
        return src, [], f"{src / f'p{BROKEN:03d}.html'}: record 1: {failure}"
    if kind == "jsonl":
        src = tmp_path / "pages.jsonl"
        lines = [json.dumps({"id": f"p{n}", "url": f"https://example.com/{n}", "html": html}) for n, html in enumerate(pages)]
        # a bad record read after the bad page (in the next chunk): the page is still the one reported
        lines.insert(PAGES_FOR_WORKERS - 2, "{not json")
        src.write_text("\n".join(lines) + "\n")
        return src, ["--html-field", "html", "--labels-field", "labels"], f"{src}: record {BROKEN + 1}: {failure}"
    pytest.importorskip("warcio")
    src = tmp_path / "crawl.warc.gz"
    write_warc(src, [(f"https://example.com/{n}", "text/html; charset=utf-8", html.encode()) for n, html in enumerate(pages)])
    return src, [], f"{src}: record {BROKEN + 2}: {failure}"  # record 1 is the warcinfo


def without_rate(stderr: str) -> list[str]:
    """The lines of stderr, sorted, the rate left out of the summary."""
    return sorted(re.sub(r", [0-9.]+ docs/s$", "", line) for line in stderr.splitlines())


@pytest.mark.parametrize("kind", ["dir", "jsonl", "warc"])
def test_two_workers_render_the_pages_and_give_the_output_of_one_process(run, tmp_path, monkeypatch, kind):
    """-j 2: the pages are rendered in the workers (the parent's renderer is broken for that run), and the output,
    the report of a page the renderer fails on and the records skipped are -j 1's, under both --on-error modes."""
    from noisecut.io import html as html_module

    src, options, report = pages_input(kind, tmp_path)
    args = [src, "--renderer", "inscriptis", *options]
    out = tmp_path / ("out/" if kind == "dir" else "out.jsonl")
    extra = [["--explain"]] if kind == "dir" else []

    def both(jobs: str) -> dict:
        got = {mode: run(*args, "--on-error", mode, "-j", jobs) for mode in ("stop", "skip")}
        got["extra"] = [run(*args, *more, "--on-error", "skip", "-j", jobs).stdout_bytes for more in extra]
        got["file stop"] = run(*args, "-o", out, "-j", jobs)
        got["file stop written"] = sorted(p.name for p in tmp_path.glob("out*/*")) if kind == "dir" else out.exists()
        got["file skip"] = run(*args, "-o", out, "--on-error", "skip", "-j", jobs)
        files = sorted(out.rglob("*")) if kind == "dir" else [out]
        got["file skip written"] = [(p.name, p.read_bytes()) for p in files]
        if kind == "dir":
            import shutil

            shutil.rmtree(out)
        else:
            out.unlink()
        return got

    one = both("1")

    def parent_renders(html, name="html_text"):
        raise AssertionError("a page was rendered in the parent process")

    monkeypatch.setattr(html_module, "render", parent_renders)
    two = both("2")
    for got in (one, two):
        for stopped in (got["stop"], got["file stop"]):
            assert stopped.exit_code == 1 and len(stopped.stderr.splitlines()) == 1 and stopped.stderr.startswith(f"Error: {report}")
        assert got["skip"].exit_code == 0 and f"skipped {report}" in got["skip"].stderr
        documents = PAGES_FOR_WORKERS + (0 if kind == "dir" else -1)  # a directory: a text file too
        assert got["skip"].stdout.strip() and f"cleaned {documents} documents" in got["skip"].stderr
    assert one["stop"].stderr == two["stop"].stderr and one["file stop"].stderr == two["file stop"].stderr
    assert one["stop"].stdout_bytes == two["stop"].stdout_bytes  # what came before the bad page
    assert one["skip"].stdout_bytes == two["skip"].stdout_bytes and one["extra"] == two["extra"]
    # the same notes: with -j 2 a page's comes when its results do, after notes of records read later
    assert without_rate(one["skip"].stderr) == without_rate(two["skip"].stderr)
    skipped = 2 if kind == "jsonl" else 1
    assert f", {skipped} record{'s' if skipped > 1 else ''} skipped" in two["skip"].stderr
    assert one["file stop written"] == two["file stop written"]  # nothing: not a file, nor a directory's files
    assert two["file stop written"] == ([] if kind == "dir" else False)
    assert one["file skip written"] == two["file skip written"]


# ------------------------------------------------------------------ real pages


def test_real_pages_equal_rendering_with_training_render_then_cleaning(tmp_path):
    """On test-split pages of ../shared/datasets, `noisecut clean -m default page.html` (the text model,
    default renderer) equals training/render.py's rendering of the page, cleaned as a text file."""
    needs_shared(SHARED / "datasets", "../shared/datasets")
    pytest.importorskip("trafilatura", reason="training/render.py needs the training extras")
    from training.datasets import iter_pages, read_html
    from training.render import render
    from training.splits import split_of

    from noisecut.io.html import RENDERER_DEFAULT

    pages = [p for p in iter_pages(datasets=("wcxb-dev", "dragnet_data", "l3s-gn1"), limit=12) if split_of(p) == "test"]
    pages = [p for dataset in ("wcxb-dev", "dragnet_data", "l3s-gn1") for p in [q for q in pages if q.dataset == dataset][:2]]
    assert len(pages) == 6
    runner = CliRunner()
    for p in pages:
        text = render(RENDERER_DEFAULT, read_html(p))
        assert text.strip(), p.id
        as_text = tmp_path / "page.txt"
        as_text.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        from_html = runner.invoke(main, ["clean", "-q", "-m", "default", str(p.html_path)], catch_exceptions=False)
        from_text = runner.invoke(main, ["clean", "-q", str(as_text)], catch_exceptions=False)
        assert from_html.exit_code == 0 and from_text.exit_code == 0
        assert from_html.stdout_bytes == from_text.stdout_bytes, p.id
        assert from_html.stdout.strip() and no_markup(from_html.stdout), p.id


# ------------------------------------------------------------------ markup features

MARKUP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Cycle lanes | Example News</title>
<script>var tracker = "The city council voted";</script></head><body>
<nav class="navbar"><a href="/">Home</a> <a href="/news">News</a></nav>
<main><article><div class="entry-content"><div><div>
<h1>Council approves new cycle lanes</h1>
<p>The city council voted on Tuesday to build fourteen miles of protected cycle lanes.</p>
<p>Read the <a href="/plan">full transport plan</a> here.</p>
<ul><li>First stretch along the river</li><li>Second stretch through the park</li></ul>
</div></div></div></article></main>
<aside class="related-posts"><a href="/a">Library opens on Sundays</a></aside>
<div id="comments">Jane wrote: great news for cyclists!</div>
<footer class="site-footer">Copyright 2024 Example News</footer>
</body></html>"""


def features_by_line(html: str, renderer: str) -> dict[str, dict[str, float]]:
    from noisecut.io.html import render
    from noisecut.markup import FEATURES, markup_features

    lines = render(html, renderer).splitlines()
    rows = markup_features(html, lines)
    assert rows.shape == (len(lines), len(FEATURES))
    return {line.strip().lstrip("*").strip(): dict(zip(FEATURES, map(float, row))) for line, row in zip(lines, rows) if line.strip()}


@pytest.mark.parametrize("renderer", ["html_text", "inscriptis"])
def test_markup_features_of_each_rendered_line(renderer):
    got = features_by_line(MARKUP_PAGE, renderer)
    assert all(f["found"] == 1.0 for f in got.values()), [line for line, f in got.items() if not f["found"]]
    body = got["The city council voted on Tuesday to build fourteen miles of protected cycle lanes."]
    assert body["link_density"] == 0 and body["in_main"] == 1 and body["word_entry"] == 1 and body["word_content"] == 1
    nav = got["Home News"]
    assert nav["link_density"] == 1 and nav["tag_nav"] == 1 and nav["word_nav"] == 1 and nav["in_main"] == 0
    linked = got["Read the full transport plan here."]
    assert linked["link_density"] == pytest.approx(len("fulltransportplan") / len("Readthefulltransportplanhere."))
    assert got["Council approves new cycle lanes"]["tag_heading"] == 1
    assert got["First stretch along the river"]["tag_li"] == 1
    assert got["Library opens on Sundays"]["tag_aside"] == 1 and got["Library opens on Sundays"]["word_related"] == 1
    assert got["Jane wrote: great news for cyclists!"]["word_comment"] == 1
    footer = got["Copyright 2024 Example News"]
    assert footer["tag_footer"] == 1 and footer["word_footer"] == 1 and footer["in_main"] == 0
    assert body["depth"] > nav["depth"]  # three divs deeper


def test_markup_features_find_lines_in_order_and_skip_scripts():
    from noisecut.markup import FEATURES, markup_features

    html = "<html><body><nav><a href='/'>Same words</a></nav><p>Same words</p></body></html>"
    rows = markup_features(html, ["Same words", "", "Same words", "not on the page"])
    link = FEATURES.index("link_density")
    assert rows[0, link] == 1 and rows[2, link] == 0  # the second "Same words" is the paragraph
    assert not rows[1].any() and not rows[3].any()  # blank, and not found: zeros, found 0
    script = markup_features(MARKUP_PAGE, ["The city council voted"])  # in the script and in the page
    assert script[0, FEATURES.index("in_main")] == 1


def test_repeat_columns_count_the_lines_of_a_blocks_kind():
    from noisecut.io.html import render
    from noisecut.markup import FEATURES, REPEAT_SCALE, markup_features

    paragraphs = [f"Paragraph {i} of the story tells at some length what the council decided and why." for i in range(3)]
    teasers = [f"Teaser {i}: another story" for i in range(8)]
    html = ("<html><body><article class='story'>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article>"
            + "<ul class='more'>" + "".join(f"<li class='card-{i}'><a href='/{i}'>" + (f"<span>{t}</span>" if i % 2 else
                                                                                      f"<b><em>{t}</em></b>") + "</a></li>"
                                             for i, t in enumerate(teasers)) + "</ul>"
            + "<footer><p>Copyright Example News</p></footer></body></html>")
    lines = render(html).splitlines()
    rows = markup_features(html, lines)
    got = {line.strip().lstrip("*").strip(): row for line, row in zip(lines, rows) if line.strip()}
    repeat_lines, repeat_share = FEATURES.index("repeat_lines"), FEATURES.index("repeat_share")
    chars = {line: len(line.replace(" ", "")) for line in got}
    total = sum(chars.values())
    # card-0 ... card-7 are one kind (digits dropped), and the link, span, b and em inside are climbed to the li
    for teaser in teasers:
        assert got[teaser][repeat_lines] == pytest.approx(np.log2(8) / REPEAT_SCALE)
        assert got[teaser][repeat_share] == pytest.approx(sum(chars[t] for t in teasers) / total)
    for paragraph in paragraphs:
        assert got[paragraph][repeat_lines] == pytest.approx(np.log2(3) / REPEAT_SCALE)
        assert got[paragraph][repeat_share] == pytest.approx(sum(chars[p] for p in paragraphs) / total)
    # a p in a footer is not a p in the article: its ancestors differ; alone of its kind it repeats nothing
    footer = got["Copyright Example News"]
    assert footer[repeat_lines] == 0 and footer[repeat_share] == pytest.approx(chars["Copyright Example News"] / total)


@pytest.mark.parametrize("tag", ["del", "ins", "tt"])
def test_a_lines_block_climbs_inline_tags_but_not_del_ins_tt(tag):
    """Which tags are climbed is part of markup version 2: the shipped HTML model was trained with del, ins and
    tt as blocks of their own."""
    from noisecut.markup import _etree, _Walk, parse

    html = f"<html><body><div class='price-3'><p><em>Now $5</em><{tag}>Was $9</{tag}></p></div></body></html>"
    walk = _Walk(parse(html), _etree())
    assert walk.signature_at(walk.text.index("Now")) == ("p", "div price", "body")
    assert walk.signature_at(walk.text.index("Was")) == (tag, "p", "div price")


def test_repeat_columns_cap_at_64_lines_and_skip_lines_not_found():
    from noisecut.markup import FEATURES, markup_features

    items = [f"Item number {i}" for i in range(100)]
    html = "<html><body><ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul><p>Closing words</p></body></html>"
    rows = markup_features(html, [*items, "not on the page", "Closing words"])
    repeat_lines, repeat_share = FEATURES.index("repeat_lines"), FEATURES.index("repeat_share")
    assert (rows[:100, repeat_lines] == 1).all()  # log2(100) / 6 > 1: capped
    assert rows[100, repeat_lines] == rows[100, repeat_share] == 0  # not found: counted nowhere
    item_chars = sum(len(item.replace(" ", "")) for item in items)
    assert rows[0, repeat_share] == pytest.approx(item_chars / (item_chars + len("Closingwords")))


def test_class_words():
    from noisecut.markup import class_words

    assert class_words("site-footer navbar") == {"footer", "nav"}
    assert "ad" not in class_words("header") and class_words("ads-slot") == {"ad"}
    assert class_words("commentList sidebar_right") == {"comment", "sidebar"}
    assert class_words("contentry-mainav AD") == {"content", "entry", "main", "nav", "ad"}  # overlapping words too


def class_words_by_token(value: str) -> set[str]:
    """The definition, a token and a word at a time: a word of three letters or more inside a token,
    a shorter one as the whole token or its plural."""
    from noisecut.markup import WORDS

    tokens = [t for t in re.split(r"[^0-9a-z]+", value.lower()) if t]
    return {w for t in tokens for w in WORDS if (w in t if len(w) > 2 else t in (w, w + "s"))}


# ------------------------------------------------------------------ damaged pages

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DAMAGE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PAGE_BYTES = page().encode()


@DAMAGE
@given(value=st.lists(st.sampled_from(["nav", "ad", "ads", "main", "entry", "content", "sidebar", "-", "_", " ", "x",
                                       "AD", "Ä", "K", "\u212a", "3", "advert", "headerbanner"]), max_size=12).map("".join))
def test_class_words_match_their_definition(value):
    from noisecut.markup import class_words

    assert class_words(value) == class_words_by_token(value)


@DAMAGE
@given(cut=st.integers(0, len(PAGE_BYTES)), insert=st.binary(max_size=40), at=st.integers(0, len(PAGE_BYTES)),
       text=st.text(max_size=40), charset=st.sampled_from([None, "utf-8", "iso-8859-1", "utf-16", "x-unknown", "gb2312", "\x00", "base64", "rot13"]))
@example(cut=len(PAGE_BYTES), insert=b"(\xb5/\xfd", at=0, text="", charset=None)  # zstd's magic first
def test_damaged_pages_give_a_document(tmp_path, cut, insert, at, text, charset):
    """Cut short, with stray bytes or any characters (controls, surrogates' UTF-8, NULs) inside, under any
    declared charset: a page always renders to one document, never an error."""
    from noisecut.io.files import GZIP_MAGIC, other_compression
    from noisecut.io.html import render_document
    from noisecut.io.text import read_html

    data = PAGE_BYTES[:at] + insert + text.encode("utf-8", "surrogatepass") + PAGE_BYTES[at:cut]
    doc = render_document(data, "page", http_charset=charset)
    assert all(isinstance(line, str) and "\n" not in line for line in doc.lines)
    if data.startswith(GZIP_MAGIC) or other_compression(data[:16]):
        return  # a file that opens like a compressed one is read as one (gzip) or refused (the others)
    path = tmp_path / "page.html"
    path.write_bytes(data)
    assert len(list(read_html(path, RecordErrors()))) == 1


def test_render_document_takes_bytes_or_str_and_says_so():
    """An int was AttributeError: 'int' object has no attribute 'startswith'; a bytearray renders as bytes do."""
    from noisecut.io.html import render_document

    with pytest.raises(TypeError, match="render_document\\(\\) takes the page as bytes or str, not int"):
        render_document(3)
    assert render_document(bytearray(PAGE_BYTES)).lines == render_document(PAGE_BYTES).lines
    assert render_document(memoryview(PAGE_BYTES)).lines == render_document(PAGE_BYTES).lines


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, len(MARKUP_PAGE)), spans=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 60)), min_size=1, max_size=4))
def test_a_lines_markup_row_is_the_mean_over_its_characters(cut, spans):
    """The running sums over the text's pieces give what a mean over every character of the spans gives."""
    from noisecut.markup import _etree, _Walk, parse

    root = parse(MARKUP_PAGE[:cut] + "</p></div>")
    if root is None:
        return
    walk = _Walk(root, _etree())
    size = len(walk.text)
    spans = [(start % size, min(size, start % size + length)) for start, length in spans] if size else []
    if not spans:
        return
    owners = np.repeat(np.asarray(walk.owners), [len(piece) for piece in walk.pieces])
    characters = np.concatenate([np.arange(start, end) for start, end in spans])
    np.testing.assert_allclose(walk.mean(spans), walk.matrix[owners[characters]].astype(np.float64).mean(axis=0), atol=1e-9)


@DAMAGE
@given(cut=st.integers(0, len(MARKUP_PAGE)), text=st.text(max_size=40), at=st.integers(0, len(MARKUP_PAGE)),
       lines=st.lists(st.text(max_size=30), max_size=5))
def test_markup_features_of_damaged_pages(cut, text, at, lines):
    from noisecut.io.html import render
    from noisecut.markup import FEATURES, markup_features

    html = MARKUP_PAGE[:at] + text + MARKUP_PAGE[at:cut]
    rendered_lines = render(html).splitlines() + lines
    rows = markup_features(html, rendered_lines)
    assert rows.shape == (len(rendered_lines), len(FEATURES)) and np.isfinite(rows).all()
    assert ((rows >= 0) & (rows <= 1)).all()
