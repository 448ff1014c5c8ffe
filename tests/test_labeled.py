"""noisecut.labeled: the ``*.lines`` format, its errors, and the repository's labeled files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from noisecut.document import Document
from noisecut.labeled import (
    LabeledDocument,
    LabeledFormatError,
    find,
    format,
    parse,
    read,
    read_all,
    write,
)
from noisecut.labels import LABELS, Label

REPO = Path(__file__).resolve().parent.parent
LABELED = REPO / "labeled"

SAMPLE = (
    "# id: en-news-99\n"
    "# lang: en\n"
    "# source: written\n"
    "nav\tHome | News | Sport | Weather\n"
    "title\tRiver levels fall as cleanup begins in flooded towns\n"
    "\n"
    "meta\tBy Ana Ruiz, 14 March 2024, 09:15\n"
    "body\tVolunteers began clearing mud from homes on Thursday as the river fell below its banks for the first time in a week.\n"
    "\n"
    "heading\tWhat happens next\n"
    "body\tThe council said it would publish a report on the defences before the summer.\n"
    "share\tShare\tTweet\tEmail\n"
    "legal\t© 2024 Example Gazette\n"
)


def test_parse_sample():
    labeled = parse(SAMPLE)
    assert labeled.meta == {"id": "en-news-99", "lang": "en", "source": "written"}
    assert labeled.id == "en-news-99"
    assert labeled.doc.id == "en-news-99"
    assert labeled.labels == [
        Label.NAV, Label.TITLE, None, Label.META, Label.BODY, None,
        Label.HEADING, Label.BODY, Label.SHARE, Label.LEGAL,
    ]
    assert labeled.doc.lines[0] == "Home | News | Sport | Weather"
    assert labeled.doc.lines[2] == ""
    assert len(labeled.doc.lines) == len(labeled.labels) == 10


def test_only_the_first_tab_separates():
    labeled = parse(SAMPLE)
    assert labeled.doc.lines[8] == "Share\tTweet\tEmail"


def test_text_is_kept_exactly_including_leading_and_trailing_spaces():
    labeled = parse("meta\t date 2021-04-07 World  \nbody\t\tindented by a tab.\n")
    assert labeled.doc.lines == [" date 2021-04-07 World  ", "\tindented by a tab."]


def test_format_parse_round_trip():
    labeled = parse(SAMPLE)
    assert format(labeled) == SAMPLE
    again = parse(format(labeled))
    assert again.doc.lines == labeled.doc.lines
    assert again.labels == labeled.labels
    assert again.meta == labeled.meta


def test_format_writes_blank_lines_and_metadata_first():
    doc = Document(["Headline", "", "Text of the story."], ["\n"] * 3)
    text = format(LabeledDocument(doc, [Label.TITLE, None, Label.BODY], {"id": "x", "lang": "fr"}))
    assert text == "# id: x\n# lang: fr\ntitle\tHeadline\n\nbody\tText of the story.\n"


def test_labels_are_case_and_space_insensitive():
    labeled = parse("BODY\tSome text.\n Nav \tHome\n")
    assert labeled.labels == [Label.BODY, Label.NAV]


def test_crlf_file():
    labeled = parse("# id: w\r\ntitle\tHeadline\r\n\r\nbody\tText.\r\n")
    assert labeled.meta == {"id": "w"}
    assert labeled.doc.lines == ["Headline", "", "Text."]
    assert labeled.labels == [Label.TITLE, None, Label.BODY]


def test_comments_are_not_lines_and_late_comments_are_not_metadata():
    labeled = parse(
        "# id: c\n"
        "# a comment without a colon\n"
        "body\tFirst paragraph.\n"
        "# lang: xx  (after the first labeled line: a comment only)\n"
        "body\tSecond paragraph.\n"
    )
    assert labeled.meta == {"id": "c"}
    assert labeled.doc.lines == ["First paragraph.", "Second paragraph."]


def test_metadata_value_may_contain_colons():
    labeled = parse("# source: https://example.com/a:b\nbody\tText.\n")
    assert labeled.meta["source"] == "https://example.com/a:b"


def test_comment_with_empty_key_is_ignored():
    assert parse("#: nothing\nbody\tText.\n").meta == {}


def test_document_lines_end_in_newlines():
    labeled = parse(SAMPLE)
    assert labeled.doc.ends == ["\n"] * len(labeled.doc.lines)


def test_final_newline_is_not_a_blank_line():
    assert parse("body\tText.\n").doc.lines == ["Text."]
    assert parse("body\tText.").doc.lines == ["Text."]


def test_round_trip_keeps_trailing_blank_lines():
    doc = Document(["Text of the story.", "", ""], ["\n", "\n", "\n"])
    labeled = LabeledDocument(doc, [Label.BODY, None, None], {})
    assert parse(format(labeled)).doc.lines == ["Text of the story.", "", ""]


def test_metadata_after_a_blank_line_before_the_first_labeled_line():
    labeled = parse("# id: m\n\n# lang: en\nbody\tText.\n")
    assert labeled.meta == {"id": "m", "lang": "en"}


def test_empty_file():
    labeled = parse("")
    assert labeled.doc.lines == [] and labeled.labels == [] and labeled.meta == {}


# ------------------------------------------------------------ errors


def _error(text: str, source: str = "page.lines") -> str:
    with pytest.raises(LabeledFormatError) as info:
        parse(text, source)
    return str(info.value)


def test_missing_tab_names_file_and_line():
    message = _error("# id: x\nbody\tFine.\n\nbody Missing the tab here\n")
    assert message.startswith("page.lines:4: ")
    assert "LABEL<TAB>TEXT" in message
    assert "body Missing the tab" in message


def test_unknown_label_names_file_line_and_valid_labels():
    message = _error("body\tFine.\nsidebar\tPopular this week\n")
    assert message.startswith("page.lines:2: ")
    assert "'sidebar'" in message
    for label in LABELS:
        assert label.value in message


@pytest.mark.parametrize("row", ["body\t", "body\t   ", "nav\t\t"])
def test_label_on_empty_text(row):
    message = _error(f"title\tHeadline\n{row}\n")
    assert message.startswith("page.lines:2: ")
    assert "empty" in message


def test_long_bad_row_is_shortened_in_the_message():
    message = _error("x" * 500 + "\n")
    assert len(message) < 120


def test_error_is_a_value_error():
    assert issubclass(LabeledFormatError, ValueError)


# ------------------------------------------------------------ files


def test_write_read_round_trip_with_invalid_bytes(tmp_path):
    raw = b"# lang: de\ntitle\tStra\xdfenbahn f\xe4hrt wieder\n\nbody\tDie Linie 4 f\xc3\xa4hrt ab Montag wieder.\n"
    path = tmp_path / "de-news-77.lines"
    path.write_bytes(raw)
    labeled = read(path)
    assert labeled.id == "de-news-77"  # id defaults to the file name
    assert labeled.meta["lang"] == "de"
    assert labeled.doc.lines[1] == ""
    out = tmp_path / "copy.lines"
    write(labeled, out)
    assert read(out).doc.lines == labeled.doc.lines
    assert out.read_bytes() == b"# lang: de\n# id: de-news-77\n" + raw[len(b"# lang: de\n"):]


def test_read_file_with_a_bom(tmp_path):
    text = "# id: bom\n# lang: en\ntitle\tHeadline\nbody\tText of the story.\n"
    path = tmp_path / "bom.lines"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    labeled = read(path)
    assert labeled.meta == parse(text).meta
    assert labeled.doc.lines == ["Headline", "Text of the story."]


def test_read_keeps_an_explicit_id(tmp_path):
    path = tmp_path / "file-name.lines"
    path.write_text("# id: explicit\nbody\tText.\n", encoding="utf-8")
    assert read(path).id == "explicit"


def test_read_error_names_the_file(tmp_path):
    path = tmp_path / "broken.lines"
    path.write_text("body\tok\nnonsense\tline\n", encoding="utf-8")
    with pytest.raises(LabeledFormatError, match=re.escape(f"{path}:2:")):
        read(path)


def test_read_missing_file(tmp_path):
    with pytest.raises(LabeledFormatError, match="cannot read"):
        read(tmp_path / "absent.lines")


def test_find_and_read_all(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.lines").write_text("body\tTwo.\n", encoding="utf-8")
    (tmp_path / "1.lines").write_text("body\tOne.\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not labeled", encoding="utf-8")
    assert [p.relative_to(tmp_path) for p in find([tmp_path])] == [Path("1.lines"), Path("b/2.lines")]
    assert [d.doc.lines for d in read_all([tmp_path])] == [["One."], ["Two."]]
    with pytest.raises(LabeledFormatError, match="no such file"):
        list(find([tmp_path / "missing"]))


# ------------------------------------------------------------ the repository's labeled files


def _repo_files() -> list[Path]:
    return sorted(LABELED.rglob("*.lines"))


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_wide_encoded_file_is_refused_with_its_encoding(tmp_path, encoding, name):
    """A .lines file saved as UTF-16 gave "unknown label '\\udcff\\udcfebody'"."""
    path = tmp_path / "doc.lines"
    path.write_bytes(SAMPLE.encode(encoding))
    with pytest.raises(LabeledFormatError, match=rf"^{re.escape(str(path))}: {name} \(its byte-order mark says so\); "
                                                 rf"labeled files are UTF-8: re-encode it \(iconv -f {name} -t UTF-8\)$"):
        read(path)
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.encode())  # UTF-8 with its mark is read
    assert read(path).doc.lines == parse(SAMPLE).doc.lines


def test_repository_has_labeled_files():
    assert len(_repo_files()) >= 5
    assert {p.parent.name for p in _repo_files()} >= {"seeds", "written"}


@pytest.mark.parametrize("path", _repo_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_repository_file_is_well_formed(path):
    labeled = read(path)
    assert set(label for label in labeled.labels if label is not None) <= set(LABELS)
    assert Label.NOISE not in labeled.labels  # hand labels always name the kind of noise
    assert {"id", "lang", "source"} <= set(labeled.meta)
    for line, label in zip(labeled.doc.lines, labeled.labels):
        assert (label is None) == (not line.strip())
    assert any(label == Label.BODY for label in labeled.labels)


def test_repository_ids_are_unique(labeled_docs):
    ids = [d.id for d in labeled_docs]
    assert len(ids) == len(set(ids))


def test_seed_labels_match_the_seed_texts(seeds_dir):
    from noisecut.document import Document

    seeds = sorted((LABELED / "seeds").glob("*.lines"))
    assert seeds
    for path in seeds:
        labeled = read(path)
        assert labeled.meta["source"].startswith("../shared/seeds/"), labeled.meta["source"]
        source = seeds_dir / Path(labeled.meta["source"]).name  # seeds_dir is ../shared/seeds or $NOISECUT_SHARED/seeds
        original = Document.from_bytes(source.read_bytes())
        assert labeled.doc.lines == original.lines, path
