"""noisecut.document: splitting lines, terminators, BOM, byte round trips, blank lines."""
from __future__ import annotations

import pytest

from noisecut.document import BOM, Document, encode, keep_with_blanks

PARAGRAPH = (
    "The regional council approved the new flood defence plan on Thursday, "
    "after residents of the lower town asked for higher walls along the river."
)


# ------------------------------------------------------------ splitting


@pytest.mark.parametrize(
    "text, lines, ends",
    [
        ("Home\nNews\nSport", ["Home", "News", "Sport"], ["\n", "\n", ""]),
        ("Home\nNews\n", ["Home", "News"], ["\n", "\n"]),
        ("Home\r\nNews\r\n", ["Home", "News"], ["\r\n", "\r\n"]),
        ("Home\rNews\rSport", ["Home", "News", "Sport"], ["\r", "\r", ""]),
        ("a\rb\r\nc\nd", ["a", "b", "c", "d"], ["\r", "\r\n", "\n", ""]),
        ("a\n\rb", ["a", "", "b"], ["\n", "\r", ""]),  # \n then \r are two breaks, not one
        ("a\r\r\nb", ["a", "", "b"], ["\r", "\r\n", ""]),
        ("a\n\n\nb\n", ["a", "", "", "b"], ["\n", "\n", "\n", "\n"]),
    ],
)
def test_splits_on_each_kind_of_line_break(text, lines, ends):
    doc = Document.from_text(text)
    assert doc.lines == lines
    assert doc.ends == ends
    assert doc.text() == text
    assert len(doc) == len(lines)


@pytest.mark.parametrize("inside", ["\f", "\v", "\u2028", "\u2029", "\x85", "\x1c", "\x1e", "\t"])
def test_only_cr_and_lf_break_lines(inside):
    # str.splitlines() would split at all of these; a document does not
    text = f"first part{inside}second part\nnext line"
    doc = Document.from_text(text)
    assert doc.lines == [f"first part{inside}second part", "next line"]
    assert doc.text() == text


def test_form_feed_stays_inside_its_line_and_counts_as_content():
    doc = Document.from_text("Page one ends here.\f\nPage two.")
    assert doc.lines == ["Page one ends here.\f", "Page two."]
    assert doc.content_indices() == [0, 1]


def test_tabs_are_kept_verbatim():
    text = "\tIndented paragraph\twith a tab inside.\t\nName:\tValue"
    doc = Document.from_text(text)
    assert doc.lines == ["\tIndented paragraph\twith a tab inside.\t", "Name:\tValue"]
    assert doc.text() == text


def test_very_long_line_is_one_line():
    long_line = PARAGRAPH * 2000  # ~290k characters, no break inside
    doc = Document.from_text("Header\n" + long_line + "\nFooter")
    assert len(doc) == 3
    assert doc.lines[1] == long_line


def test_nul_bytes_stay_inside_the_line():
    data = b"before\x00after\n\x00\n"
    doc = Document.from_bytes(data)
    assert doc.lines == ["before\x00after", "\x00"]
    assert doc.content_indices() == [0, 1]  # NUL is not whitespace
    assert encode(doc.text()) == data


# ------------------------------------------------------------ BOM


def test_bom_is_set_aside_and_restored():
    doc = Document.from_text(BOM + "Title\nBody text.\n")
    assert doc.bom is True
    assert doc.lines == ["Title", "Body text."]  # not part of the first line
    assert doc.text() == BOM + "Title\nBody text.\n"
    assert doc.join([1]) == BOM + "Body text.\n"  # in front of whatever is kept


def test_bom_from_bytes_round_trips():
    data = b"\xef\xbb\xbfTitle\r\nBody text."
    doc = Document.from_bytes(data)
    assert doc.bom and doc.lines == ["Title", "Body text."]
    assert encode(doc.text()) == data


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_with_a_byte_order_mark_is_decoded_and_written_back_in_its_encoding(encoding):
    data = (BOM + "Título\r\nBody text.\n").encode(encoding)
    doc = Document.from_bytes(data)
    assert doc.bom and doc.lines == ["Título", "Body text."] and doc.encoding == encoding
    assert encode(doc.text(), doc.encoding) == data
    assert encode(doc.join([1]), doc.encoding) == (BOM + "Body text.\n").encode(encoding)


def test_bom_is_not_written_when_nothing_is_kept():
    doc = Document.from_text(BOM + "Title\nBody")
    assert doc.join([]) == ""


def test_only_a_leading_bom_is_special():
    doc = Document.from_text("a\n" + BOM + "b")
    assert not doc.bom
    assert doc.lines == ["a", BOM + "b"]


def test_no_bom():
    assert Document.from_text("plain").bom is False


# ------------------------------------------------------------ bytes round trip


ODD_BYTES = [
    b"",
    b"plain ascii",
    b"caf\xc3\xa9 in UTF-8\n",
    b"caf\xe9 in Latin-1\r\nna\xefve\r\n",
    b"\xff\xfe\x00\x01 binary junk \x80\x81\n",
    b"truncated multibyte \xe2\x82\n",
    b"\xef\xbb\xbf\xef\xbb\xbfdouble BOM\n",
    b"mixed\rendings\r\nhere\nand\x0bthere\x0c\n\n\r\r\n",
    b"\xed\xa0\x80 encoded surrogate\n",  # invalid in UTF-8
    b"\xf0\x9f\x98\x80 emoji \xe2\x80\xa8 line separator",
    b"\n\n\n",
    b"   \t  ",
    "\ufefftwo\nlines \udbff".encode("utf-16-le", "surrogatepass"),  # a lone surrogate: not UTF-16 after all
    "\ufefftwo\r\nlines\n".encode("utf-32-be"),
]


@pytest.mark.parametrize("data", ODD_BYTES)
def test_bytes_round_trip_byte_for_byte(data):
    doc = Document.from_bytes(data)
    assert encode(doc.join(range(len(doc))), doc.encoding) == data


def test_invalid_utf8_survives_inside_a_line():
    doc = Document.from_bytes(b"Stra\xdfe und Pl\xe4tze\nok")
    assert len(doc) == 2
    assert encode(doc.lines[0]) == b"Stra\xdfe und Pl\xe4tze"


def test_join_keeps_each_lines_own_terminator():
    doc = Document.from_text("a\r\nb\rc\nd")
    assert doc.join([0, 2]) == "a\r\nc\n"
    assert doc.join([1, 3]) == "b\rd"  # the last line had no terminator
    assert doc.join([]) == ""


# ------------------------------------------------------------ empty documents


@pytest.mark.parametrize("text", ["", BOM])
def test_empty_document(text):
    doc = Document.from_text(text)
    assert doc.lines == [] and doc.ends == []
    assert doc.content_indices() == []
    assert doc.text() == ""


@pytest.mark.parametrize("text", [" ", "\n\n", " \t \r\n\f\n", "\u3000\n\xa0"])
def test_whitespace_only_document_has_no_content(text):
    doc = Document.from_text(text)
    assert doc.content_indices() == []
    assert keep_with_blanks(doc, []) == []
    assert doc.text() == text


@pytest.mark.parametrize("text", ["\n", "\r\n", "\r"])
def test_single_line_break_is_one_blank_line(text):
    # "\n\n" is two blank lines and round-trips; "\n" should be one blank line
    doc = Document.from_text(text)
    assert doc.lines == [""]
    assert doc.text() == text


def test_id_and_meta():
    meta = {"lang": "en"}
    doc = Document.from_text("x", id="doc-1", meta=meta)
    assert doc.id == "doc-1" and doc.meta == {"lang": "en"}
    meta["lang"] = "de"
    assert doc.meta == {"lang": "en"}  # copied, not shared


def test_content_indices_skip_blank_and_whitespace_lines():
    doc = Document.from_text("Title\n\n   \nBody.\n\t\nEnd")
    assert doc.content_indices() == [0, 3, 5]


# ------------------------------------------------------------ keep_with_blanks


ARTICLE = "\n".join([
    "Home | World | Sport",    # 0
    "",                        # 1
    "Floods close river road",  # 2
    "",                        # 3
    PARAGRAPH,                 # 4
    "",                        # 5
    "",                        # 6
    "Residents said the water rose within an hour.",  # 7
    "",                        # 8
    "Share this article",      # 9
    "",                        # 10
    "Comments (3)",            # 11
    "",                        # 12
])


def test_keep_with_blanks_keeps_blank_runs_between_kept_lines_only():
    doc = Document.from_text(ARTICLE)
    assert keep_with_blanks(doc, [4, 7]) == [4, 5, 6, 7]
    assert keep_with_blanks(doc, [2, 4, 7]) == [2, 3, 4, 5, 6, 7]
    # a dropped line in between takes its blank neighbours with it
    assert keep_with_blanks(doc, [4, 11]) == [4, 11]
    assert keep_with_blanks(doc, [0, 2]) == [0, 1, 2]


def test_keep_with_blanks_never_keeps_leading_or_trailing_blanks():
    doc = Document.from_text("\n\nOne.\n\nTwo.\n\n")
    assert keep_with_blanks(doc, [2, 4]) == [2, 3, 4]
    assert keep_with_blanks(doc, [4]) == [4]
    assert keep_with_blanks(doc, []) == []


def test_keep_with_blanks_whitespace_lines_count_as_blank():
    doc = Document.from_text("One.\n  \t\nTwo.")
    assert keep_with_blanks(doc, [0, 2]) == [0, 1, 2]
    assert doc.join(keep_with_blanks(doc, [0, 2])) == "One.\n  \t\nTwo."


def test_keep_with_blanks_output_is_sorted_and_ignores_order_of_input():
    doc = Document.from_text(ARTICLE)
    assert keep_with_blanks(doc, [7, 4, 2]) == [2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("method, argument, message", [
    ("from_text", None, "Document.from_text() takes the text as a str, not NoneType"),
    ("from_text", b"Body.", "Document.from_text() takes the text as a str, not bytes; for bytes use Document.from_bytes()"),
    ("from_text", 3, "Document.from_text() takes the text as a str, not int"),
    ("from_bytes", "Body.", "Document.from_bytes() takes the text as bytes, not str; for str use Document.from_text()"),
    ("from_bytes", None, "Document.from_bytes() takes the text as bytes, not NoneType"),
])
def test_wrong_types_say_what_to_pass(method, argument, message):
    """Not "'NoneType' object has no attribute 'startswith'" from inside."""
    with pytest.raises(TypeError) as raised:
        getattr(Document, method)(argument)
    assert str(raised.value) == message


def test_from_bytes_takes_a_bytearray_or_memoryview():
    assert Document.from_bytes(bytearray(b"A\nB\n")).lines == Document.from_bytes(memoryview(b"A\nB\n")).lines == ["A", "B"]
