"""Site memory: per-site line counts in a fixed-size sketch, and the lines it drops."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from noisecut.cli import main
from noisecut.document import Document
from noisecut.errors import NoiseCutError
from noisecut.sites import MEMORY_VERSION, MIN_PAGES, SiteMemory, demote, normalise, site_of

from texts import SPONSOR, page, story


def test_normalise_ignores_case_digits_and_spacing():
    assert normalise("Photo 3 of 12") == normalise("photo 41 of  7 ") == "photo 0 of 0"
    assert normalise("© 2024 Coast Daily") == normalise("© 2025 COAST DAILY")
    assert normalise("Home") != normalise("House")


def test_site_is_the_url_host_else_the_directory():
    assert site_of(Document.from_text("x", "r1", {"url": "https://www.Coast-Daily.example/news/1"})) == "coast-daily.example"
    assert site_of(Document.from_text("x", "crawl:3", {"url": "not a url"})) == "."  # no host: the id's directory
    assert site_of(Document.from_text("x", "blogs/ana/post1.txt", {"id": "blogs/ana/post1.txt"})) == "blogs/ana"
    assert site_of(Document.from_text("x", None, {})) == ""


def test_counts_per_site_once_per_page():
    memory = SiteMemory(width=4096)
    for n in range(6):
        memory.add("coast.example", page(n).splitlines() + [SPONSOR])  # twice on a page: counted once
    memory.add("other.example", [SPONSOR, "Something else"])
    lines = ["Home | News | Sport", SPONSOR, "© 2031 Coast Daily", story(2)[1], "Never seen"]
    shares = memory.shares("coast.example", lines)
    assert memory.pages("coast.example") == 6
    assert shares[0] == shares[1] == 1.0
    assert shares[2] == 1.0  # digits are normalised: the footer's year does not matter
    assert shares[3] == pytest.approx(1 / 6) and shares[4] == 0.0
    assert memory.shares("other.example", lines).tolist() == [0.0] * 5  # one page: too few to say anything
    assert memory.stats["documents"] == 7


def test_a_site_with_few_pages_says_nothing():
    memory = SiteMemory(width=4096)
    for n in range(MIN_PAGES - 1):
        memory.add("small.example", page(n).splitlines())
    assert not memory.shares("small.example", page(0).splitlines()).any()
    memory.add("small.example", page(9).splitlines())
    assert memory.shares("small.example", [SPONSOR])[0] == 1.0


def test_demote_drops_boilerplate_unless_the_model_is_confident():
    keep = np.array([0.8, 0.95, 0.8, 0.2])
    shares = np.array([0.9, 0.9, 0.1, 0.9])
    assert demote(keep, shares, share=0.5, confident=0.9).tolist() == [0.0, 0.95, 0.8, 0.0]


def test_save_load_and_clear_errors(tmp_path):
    memory = SiteMemory(width=2048)
    for n in range(6):
        memory.add("coast.example", page(n).splitlines())
    memory.save(tmp_path / "m.npz")
    loaded = SiteMemory.load(tmp_path / "m.npz")
    assert loaded.width == 2048 and loaded.stats["documents"] == 6
    np.testing.assert_array_equal(loaded.shares("coast.example", [SPONSOR, "x"]), [1.0, 0.0])
    with pytest.raises(NoiseCutError, match="no such site memory"):
        SiteMemory.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a sketch")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:len(data) // 2])  # a copy cut short
    damaged = bytearray(data)
    start = data.index(b"counts.npy") + 200  # inside the compressed counts
    damaged[start:start + 200] = bytes(200)
    (tmp_path / "damaged.npz").write_bytes(bytes(damaged))
    np.savez_compressed(tmp_path / "listmeta.npz", meta=np.array(json.dumps([1, 2])), counts=loaded.counts)
    np.savez_compressed(tmp_path / "width.npz", meta=np.array(json.dumps({"version": MEMORY_VERSION, "width": 999})),
                        counts=loaded.counts)
    with pytest.raises(NoiseCutError, match=r"bad.npz: not a site memory written by `noisecut sites` \(not an .npz archive\)$"):
        SiteMemory.load(tmp_path / "bad.npz")  # not numpy's advice to load it as a pickle
    (tmp_path / "empty.npz").write_bytes(b"")
    for name in ("bad.npz", "empty.npz", "cut.npz", "damaged.npz", "listmeta.npz", "width.npz"):
        with pytest.raises(NoiseCutError, match="not a site memory written by `noisecut sites`"):
            SiteMemory.load(tmp_path / name)


@pytest.fixture
def crawl(tmp_path):
    path = tmp_path / "crawl.jsonl"
    records = [{"url": f"https://coast.example/news/{n}", "text": page(n)} for n in range(8)]
    records.append({"url": "https://elsewhere.example/a", "text": page(99)})
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_sites_then_clean_with_the_memory(crawl, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["sites", str(crawl), "-o", str(tmp_path / "sites.npz")])
    assert result.exit_code == 0, result.output
    assert "9 documents" in result.output
    plain = runner.invoke(main, ["clean", "-j", "1", "-q", str(crawl)])
    remembered = runner.invoke(main, ["clean", "-j", "1", "-q", "--site-memory", str(tmp_path / "sites.npz"), str(crawl)])
    assert plain.exit_code == 0 and remembered.exit_code == 0, remembered.output
    before = [json.loads(line)["text"] for line in plain.output.splitlines()]
    after = [json.loads(line)["text"] for line in remembered.output.splitlines()]
    assert all(SPONSOR in text for text in before)  # the model alone keeps the sponsor line
    assert not any(SPONSOR in text for text in after[:8])  # on every page of its site, it goes
    assert all(story(n)[1] in text and story(n)[2] in text for n, text in enumerate(after[:8]))  # the stories stay
    assert after[8] == before[8]  # the single page of another site is cleaned as without memory


def test_sites_errors(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["sites", str(empty), "-o", str(tmp_path / "s.npz")])
    assert result.exit_code == 1 and "no documents to count" in result.output
    result = CliRunner().invoke(main, ["clean", "--site-memory", str(tmp_path / "none.npz"), str(empty)])
    assert result.exit_code == 1 and "no such site memory (write one with `noisecut sites`)" in result.output


def test_sites_will_not_write_over_its_input_or_nowhere(crawl, tmp_path):
    before = crawl.read_bytes()
    result = CliRunner().invoke(main, ["sites", str(crawl), "-o", str(crawl)])
    assert result.exit_code == 1 and "output file is also an input; write elsewhere" in result.output
    assert crawl.read_bytes() == before
    result = CliRunner().invoke(main, ["sites", str(crawl), "-o", str(tmp_path / "none" / "s.npz")])
    assert result.exit_code == 1 and result.output == f"Error: {tmp_path / 'none' / 's.npz'}: directory {tmp_path / 'none'} does not exist\n"


@pytest.mark.parametrize("name", ["sites.gz", "sites.npz.zst", "SITES.NPZ.XZ"])
def test_sites_refuses_a_compressed_name(crawl, tmp_path, name):
    """.zst was told "name it .gz", and .gz got an .npz archive under its name."""
    out = tmp_path / name
    result = CliRunner().invoke(main, ["sites", str(crawl), "-o", str(out)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {out}: a site memory is an .npz archive, compressed already; name it .npz\n"
    assert list(tmp_path.iterdir()) == [crawl]


def test_site_memory_reaches_the_worker_processes(tmp_path):
    """-j 2 (workers start from 64 documents): each document's URL goes with its lines, so the
    workers find its site in the memory and clean as -j 1 does."""
    path = tmp_path / "crawl.jsonl"
    records = [{"url": f"https://coast.example/news/{n}", "text": page(n)} for n in range(70)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["sites", str(path), "-o", str(tmp_path / "sites.npz")]).exit_code == 0
    outputs = [runner.invoke(main, ["clean", "-q", "-j", jobs, "--site-memory", str(tmp_path / "sites.npz"), str(path)])
               for jobs in ("1", "2")]
    assert [r.exit_code for r in outputs] == [0, 0], outputs[1].output
    texts = [[json.loads(line)["text"] for line in r.output.splitlines()] for r in outputs]
    assert texts[0] == texts[1] and not any(SPONSOR in text for text in texts[1])


def test_sites_renders_html_records_as_clean_does(tmp_path):
    pytest.importorskip("html_text")
    from noisecut.io.html import render_document

    pages = ["<html><body>" + "".join(f"<p>{line}</p>" for line in page(n).splitlines()) + "</body></html>" for n in range(6)]
    crawl = tmp_path / "pages.jsonl"
    crawl.write_text("".join(json.dumps({"url": f"https://coast.example/{n}", "html": html}) + "\n"
                             for n, html in enumerate(pages)), encoding="utf-8")
    runner = CliRunner()
    without = runner.invoke(main, ["sites", str(crawl), "-o", str(tmp_path / "none.npz")])
    assert without.exit_code == 1 and "no 'text' field" in without.output
    result = runner.invoke(main, ["sites", "--html-field", "html", str(crawl), "-o", str(tmp_path / "sites.npz")])
    assert result.exit_code == 0, result.output
    memory = SiteMemory.load(tmp_path / "sites.npz")
    rendered = render_document(pages[0]).lines
    shares = dict(zip(rendered, memory.shares("coast.example", rendered)))
    assert shares[SPONSOR] == 1.0 and shares[story(0)[1]] == pytest.approx(1 / 6)


def test_a_text_files_site_is_its_directory_as_its_id_names_it(tmp_path):
    """As `noisecut sites --help` and the README say: `a` for DIR/a/p.txt when DIR is read, `DIR/a` when
    the file is; the memory of one applies to the same inputs."""
    from noisecut.sites import count_files

    for n in range(MIN_PAGES):
        (tmp_path / "pages" / "a").mkdir(parents=True, exist_ok=True)
        (tmp_path / "pages" / "a" / f"p{n}.txt").write_text(f"Home | News\nStory {n}\n")
    by_dir = count_files([tmp_path / "pages"])
    by_file = count_files(sorted((tmp_path / "pages" / "a").glob("*.txt")))
    assert by_dir.pages("a") == MIN_PAGES and by_dir.pages(str(tmp_path / "pages" / "a")) == 0
    assert by_file.pages(str(tmp_path / "pages" / "a")) == MIN_PAGES and by_file.pages("a") == 0


def _kept_rows(table: str) -> list[str]:
    """The text of the `+` rows of an --explain table (its notes left out)."""
    return [row[23:] for row in table.splitlines() if row.startswith("+")]


def test_explain_says_which_lines_the_site_memory_dropped(crawl, tmp_path):
    """A line the memory dropped showed the model's best dropped label and keep score 0.00, nothing saying
    the memory dropped it: its keep score reads `site`, and a note before the table counts such lines."""
    runner = CliRunner()
    assert runner.invoke(main, ["sites", str(crawl), "-o", str(tmp_path / "sites.npz")]).exit_code == 0
    explained = runner.invoke(main, ["clean", "-q", "-j", "1", "--explain", "--site-memory", str(tmp_path / "sites.npz"), str(crawl)])
    assert explained.exit_code == 0, explained.output
    tables = explained.stdout.split(f"# {crawl}:")[1:]
    first = tables[0].splitlines()
    assert first[1] == ("# site memory: dropped 1 line the model keeps, found on half or more of the site's pages "
                        "(keep score shown as site)")
    sponsor = next(row for row in first if row.endswith(SPONSOR))
    assert sponsor.startswith("- ") and sponsor[17:23] == "site  "
    assert all(row[17:21] != "site" for row in first[2:] if not row.endswith(SPONSOR))  # the others: a number
    assert "# site memory" not in tables[8]  # the single page of another site: as without memory
    cleaned = runner.invoke(main, ["clean", "-q", "-j", "1", "--site-memory", str(tmp_path / "sites.npz"), str(crawl)])
    texts = [json.loads(line)["text"] for line in cleaned.stdout.splitlines()]
    assert [_kept_rows(table) for table in tables] == [text.splitlines() for text in texts]  # the verdicts are clean's


def test_sites_summary_counts_documents_lines_and_skipped_records(crawl, tmp_path):
    """The summary said "1 documents", and left out the records --on-error skip skipped (clean's says them)."""
    runner = CliRunner()
    one = tmp_path / "one.txt"
    one.write_text(page(0), encoding="utf-8")
    result = runner.invoke(main, ["sites", str(one), "-o", str(tmp_path / "one.npz")])
    assert result.stderr == f"wrote {tmp_path / 'one.npz'} (1 document, 7 lines counted once per page, 0 records skipped)\n"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(crawl.read_text(encoding="utf-8") + "{bad\n" + page(1).replace("\n", " ") + "\n", encoding="utf-8")
    result = runner.invoke(main, ["sites", "--on-error", "skip", str(bad), "-o", str(tmp_path / "bad.npz")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"wrote {tmp_path / 'bad.npz'} (9 documents, 63 lines counted once per page, 2 records skipped)"
    assert SiteMemory.load(tmp_path / "bad.npz").stats == {"documents": 9, "lines": 63, "skipped": 2}


def test_clean_says_when_the_memory_knows_none_of_the_sites(tmp_path):
    """A memory counted one way and used another (the directory counted, its files cleaned one by one: the
    sites `a` and `DIR/a`) changed nothing without a word; a note says so (not when a site is known, nor with -q)."""
    for n in range(MIN_PAGES + 1):
        (tmp_path / "pages" / "a").mkdir(parents=True, exist_ok=True)
        (tmp_path / "pages" / "a" / f"p{n}.txt").write_text(page(n), encoding="utf-8")
    memory, runner = tmp_path / "sites.npz", CliRunner()
    assert runner.invoke(main, ["sites", str(tmp_path / "pages"), "-o", str(memory)]).exit_code == 0
    one = tmp_path / "pages" / "a" / "p0.txt"
    alone = runner.invoke(main, ["clean", "-j", "1", "--site-memory", str(memory), str(one)])
    assert alone.exit_code == 0 and SPONSOR in alone.stdout  # its site is `DIR/a`: the memory says nothing
    note = (f"{memory}: the site memory has none of these documents' sites (a record's url host, else its file's "
            f"directory as its id names it) with {MIN_PAGES} pages or more, so it dropped nothing; count the inputs "
            "with `noisecut sites` as you clean them")
    assert alone.stderr.splitlines()[0] == note
    assert note not in runner.invoke(main, ["clean", "-j", "1", "-q", "--site-memory", str(memory), str(one)]).stderr
    whole = runner.invoke(main, ["clean", "-j", "1", "--site-memory", str(memory), str(tmp_path / "pages"), "-o", str(tmp_path / "out")])
    assert whole.exit_code == 0 and note not in whole.stderr
    assert SPONSOR not in (tmp_path / "out" / "a" / "p0.txt").read_text(encoding="utf-8")
