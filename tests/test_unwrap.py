"""Text broken inside paragraphs, hard-wrapped (w3m, lynx, html2text's defaults) or split at inline tags
(BeautifulSoup's get_text("\\n")): read a paragraph at a time, written back as it came."""
import textwrap

import pytest

import noisecut.unwrap
from noisecut.cleaner import Cleaner
from noisecut.document import Document
from noisecut.unwrap import fragments_of, joined, paragraph_of

from conftest import mean_f1, rendered_test_pages
from texts import P1, P2, P3

P4 = ("Readers who want to help can join the friends of the library, who raise money for new books every "
      "autumn with a sale in the town hall, and who are looking for volunteers to run the weekend reading "
      "classes from next year.")
BLOCKS = [
    "Home   News   Sport   Weather   What's on   Contact",
    "Library to open longer at weekends",
    P1, P2, P3, P4,
    "Share on Facebook   Share on X   Email",
    "© 2026 The Example Gazette. All rights reserved.",
]


def dump(blocks, width=80, indent=""):
    """Blocks as a text browser dumps them: each wrapped at ``width`` columns, a blank line between."""
    return "\n\n".join(textwrap.fill(block, width, initial_indent=indent, subsequent_indent=indent)
                       for block in blocks) + "\n"


def wrapped_paragraphs(text):
    """``text``'s non-blank lines, their line numbers and ``paragraph_of`` them."""
    doc = Document.from_text(text)
    content = doc.content_indices()
    lines = [doc.lines[i] for i in content]
    return lines, content, paragraph_of(content, lines)


def read_as_paragraphs(text):
    lines, _, paragraph = wrapped_paragraphs(text)
    return None if paragraph is None else joined(lines, paragraph)


@pytest.mark.parametrize("width, indent", [(80, ""), (78, ""), (77, "   "), (72, "")])
def test_wrapped_paragraphs_are_read_whole(width, indent):
    assert read_as_paragraphs(dump(BLOCKS, width, indent)) == BLOCKS


def test_a_line_of_a_megabyte_does_not_hide_the_wrapping_around_it():
    huge = "é" * 1_000_000
    assert read_as_paragraphs(dump(BLOCKS[:4]) + "\n" + huge + "\n\n" + dump(BLOCKS[4:])) == BLOCKS[:4] + [huge] + BLOCKS[4:]


def test_lines_that_are_paragraphs_already_are_read_as_they_are():
    assert read_as_paragraphs("\n".join(BLOCKS)) is None
    assert read_as_paragraphs(dump(BLOCKS, 400)) is None  # nothing reaches the column: nothing was wrapped
    assert read_as_paragraphs("\n".join([P1] * 50 + ["Home | News"])) is None  # one line many times is not a column


def test_a_list_of_short_lines_is_not_wrapped_text():
    blogroll = ["Notify me of new posts by email.", "What does this mean?", "Jules Crittenden",
                "Lone Liberal in The Dirty South", "Pax Romano", "Homeschooling Mamma", "Adopt A Platoon"]
    assert read_as_paragraphs("\n".join(blogroll * 3)) is None


def test_list_items_and_lines_without_room_to_spare_start_new_paragraphs():
    items = ["Related: the bus fares rise in April and the night buses stop running on the eastern routes",
             "Related: the swimming pool closes for repairs"]
    text = dump(BLOCKS[2:4]) + "\n" + "\n".join(
        textwrap.fill(item, 80, initial_indent="  * ", subsequent_indent="    ") for item in items) + "\n"
    assert read_as_paragraphs(text) == BLOCKS[2:4] + ["* " + items[0], "* " + items[1]]


def test_text_without_spaces_is_joined_without_them():
    story = "市议会周二投票通过了公共图书馆的新预算，周末开放时间将延长，并为儿童开设阅读课程。" * 4
    lines = [story[i:i + 40] for i in range(0, len(story), 40)]  # 40 wide characters fill 80 columns
    text = "\n".join(lines) + "\n\n" + dump([P1, P2])
    assert read_as_paragraphs(text) == [story, P1, P2]
    alone = "\n".join(lines) + "\n\n" + "\n".join(lines[1:])  # every line fills the 80 columns exactly
    assert read_as_paragraphs(alone) == [story, story[40:]]


def test_each_line_of_a_wrapped_page_gets_the_verdict_of_its_paragraph():
    cleaner = Cleaner()
    wrapped = dump(BLOCKS)
    results = cleaner.classify(wrapped)
    whole = [r for r in cleaner.classify("\n".join(BLOCKS)) if r.label is not None]  # one paragraph per line
    _, content, paragraph_numbers = wrapped_paragraphs(wrapped)
    assert paragraph_numbers[-1] + 1 == len(whole)
    for i, number in zip(content, paragraph_numbers):
        paragraph = whole[number]
        assert (results[i].kept, results[i].label) == (paragraph.kept, paragraph.label)
        assert results[i].keep_score == pytest.approx(paragraph.keep_score, abs=1e-6)
    kept = cleaner.clean(wrapped)
    assert kept == "".join(line for r, line in zip(results, wrapped.splitlines(keepends=True)) if r.kept)  # as they came
    assert P4 in " ".join(kept.split()) and "Share on Facebook" not in kept


# -- split at inline tags ------------------------------------------------------

SPLIT = [  # a page as BeautifulSoup's get_text("\n", strip=True) gives it: a line at every tag, inline ones too
    "Home", "News", "Sport",
    "Library to open longer at weekends",
    P1,
    "Readers who want to help can join the", "friends of the library", ", who raise money for new books every autumn "
    "with a sale in the", "town hall", ", and who are looking for volunteers to run the weekend reading classes from next year.",
    "The council also named", "Ana Ruiz", ",", "Tom Berg", ", and", "Lea Voss", "to the library board.",
    "What the new hours mean:", "Saturday", ": open until eight in the evening.", "Sunday", ": open from ten.",
    P2,
    "Share", "Email",
]


def test_sentences_split_at_inline_tags_are_read_whole():
    content = list(range(len(SPLIT)))
    assert joined(SPLIT, fragments_of(content, SPLIT)) == [
        "Home", "News", "Sport", "Library to open longer at weekends", P1, P4,
        "The council also named Ana Ruiz, Tom Berg, and Lea Voss to the library board.",
        "What the new hours mean:", "Saturday: open until eight in the evening.", "Sunday: open from ten.",
        P2, "Share", "Email"]


def test_a_page_with_a_line_or_two_that_start_with_punctuation_is_not_split_text():
    lines = BLOCKS[:3] + ["(Updated at noon.)", "... and more on Monday", "read the full report"] + BLOCKS[3:]
    assert fragments_of(range(len(lines)), lines) is None  # two such lines: a page is split text from three


def test_pieces_parted_by_a_blank_line_stay_apart():
    content = list(range(len(SPLIT)))
    content[7:] = [i + 1 for i in content[7:]]  # a blank line between "friends of the library" and ", who raise ..."
    assert joined(SPLIT, fragments_of(content, SPLIT))[5:7] == [
        "Readers who want to help can join the friends of the library",
        ", who raise money for new books every autumn with a sale in the town hall, and who are looking for "
        "volunteers to run the weekend reading classes from next year."]


def test_each_piece_of_a_split_sentence_gets_the_verdict_of_its_sentence():
    results = Cleaner().classify("\n".join(SPLIT) + "\n")
    paragraph = fragments_of(range(len(SPLIT)), SPLIT)
    for i in range(1, len(SPLIT)):
        if paragraph[i] == paragraph[i - 1]:
            assert (results[i].label, results[i].kept) == (results[i - 1].label, results[i - 1].kept)
            assert results[i].keep_score == pytest.approx(results[i - 1].keep_score, abs=1e-6)
    assert all(r.kept for r in results[5:10]) and not any(r.kept for r in results[-2:])


@pytest.mark.parametrize("renderer, package, count, reading, margin", [
    # html2text's defaults, wrapped at 78 columns: 0.812 against 0.772 when written
    ("markdown_wrapped", "html2text", 30, "paragraph_of", 0.02),
    # BeautifulSoup's get_text("\n"): 0.905 against 0.891 when written (a page gains or loses up to 0.6, so
    # fewer pages would not tell)
    ("bs4", "bs4", 100, "fragments_of", 0.005),
])
def test_real_pages_clean_better_read_as_paragraphs(renderer, package, count, reading, margin, monkeypatch):
    """Test-split pages of Dragnet as ``renderer`` breaks their paragraphs: read a paragraph at a time,
    the text-level F1 against the gold is higher than line by line (``reading`` switched off)."""
    pytest.importorskip(package, reason=f"the {renderer} renderer is a training extra")
    pages = rendered_test_pages(renderer, "dragnet_data", count)
    as_paragraphs = mean_f1(pages)
    monkeypatch.setattr(noisecut.unwrap, reading, lambda content, lines: None)
    line_by_line = mean_f1(pages)
    assert as_paragraphs > line_by_line + margin, (as_paragraphs, line_by_line)
