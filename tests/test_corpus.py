"""The corpus builder: renderers, alignment to gold, splits, and a few real pages."""
from __future__ import annotations

import pytest

from noisecut.document import Document
from noisecut.labels import Label
from training.align import align, tokens
from training.datasets import DATASETS, Page, _cleaneval_blocks, _dragnet_blocks, host
from training.render import RENDERERS, render
from training.splits import split_of_site

B, N = Label.BODY, Label.NOISE
ARTICLE = [
    ("The council approved the new harbour budget on Tuesday after a long debate.", B),
    ("Opponents said the plan would raise fees for small fishing boats by a third.", B),
    ("Share your thoughts on the decision with the mayor's office before Friday.", B),
]


def labels_of(lines, blocks=ARTICLE):
    return align(lines, blocks)[0]


def test_body_and_noise():
    lines = ["Home | News | Sport", "", *(text for text, _ in ARTICLE), "Copyright 2024 Harbour Times"]
    labels, quality = align(lines, ARTICLE)
    assert labels == [N, None, B, B, B, N]
    assert quality == 1.0


def test_tolerates_entities_whitespace_punctuation():
    lines = [
        "  The council   approved the new harbour budget on Tuesday -- after a long debate  ",
        "Opponents said the plan would raise fees for small fishing boats by a third&#46;",
        "Share your thoughts on the decision with the mayor&#39;s office before Friday!!",
    ]
    assert labels_of(lines) == [B, B, B]
    assert tokens("Don&#39;t  STOP—now") == tokens("don't stop now")


def test_line_spanning_blocks_and_partial_lines():
    joined = ARTICLE[0][0] + " " + ARTICLE[1][0]
    half = "The council approved the new harbour budget"
    assert labels_of([joined, half + " [Advertisement]"]) == [B, N]  # the half is already claimed
    assert labels_of([half]) == [B]


def test_short_common_lines_stay_noise():
    lines = ["Share", "Home", *(text for text, _ in ARTICLE), "Share", "Tweet"]
    assert labels_of(lines) == [N, N, B, B, B, N, N]


def test_short_gold_lines_in_place_are_kept():
    blocks = [("Budget approved", Label.HEADING), *ARTICLE[:2], ("Why?", Label.HEADING), ARTICLE[2]]
    lines = ["Why?", "Budget approved", ARTICLE[0][0], ARTICLE[1][0], "Why?", ARTICLE[2][0], "Why?"]
    assert labels_of(lines, blocks) == [N, Label.HEADING, B, B, Label.HEADING, B, N]


def test_repeated_lead_is_noise():
    lines = [ARTICLE[0][0], "Related stories", *(text for text, _ in ARTICLE), ARTICLE[0][0]]
    assert labels_of(lines) == [N, N, B, B, B, N]


def test_fine_labels_are_kept():
    blocks = [("Harbour budget approved", Label.TITLE), *ARTICLE,
              ("Great news for the town, finally some progress on the pier", Label.COMMENTS)]
    lines = ["Harbour budget approved", *(t for t, _ in ARTICLE), "Great news for the town, finally some progress on the pier"]
    assert labels_of(lines, blocks) == [Label.TITLE, B, B, B, Label.COMMENTS]


def test_no_gold_means_all_noise():
    assert align(["a line", "", "another line"], []) == ([N, None, N], 0.0)


HTML = """<html><head><title>T</title><style>p{color:red}</style><script>var x = 1;</script></head>
<body><div><ul><li>Home</li><li>News</li></ul></div>
<h1>Harbour budget</h1><p>The council approved the &amp; budget.</p><p>Second <b>paragraph</b> here.</p>
</body></html>"""


@pytest.mark.parametrize("name", list(RENDERERS))
def test_renderers_one_paragraph_per_line(name):
    lines = [line.strip(" *") for line in Document.from_text(render(name, HTML)).lines if line.strip()]
    assert "The council approved the & budget." in lines
    assert "Second paragraph here." in lines
    assert "Harbour budget" in lines
    assert not any("color:red" in line or "var x" in line for line in lines)


@pytest.mark.parametrize("name", list(RENDERERS))
@pytest.mark.parametrize("html", ["", "<<<>>>", "\x00\x01garbage", "<p>" * 3000, "<html><body></body></html>"])
def test_renderers_never_raise(name, html):
    assert isinstance(render(name, html), str)


def test_gold_parsers():
    cleaneval = "URL: http://example.org/x\n\n<h>  A heading\n<p>First line of a\n   wrapped paragraph.\n<l>  * item\n"
    assert _cleaneval_blocks(cleaneval) == [("A heading", Label.HEADING),
                                            ("First line of a wrapped paragraph.", B), ("* item", B)]
    dragnet = "Body one.\nBody two.\n!@#$%^&*()   COMMENTS\nNice post.\n"
    assert _dragnet_blocks(dragnet) == [("Body one.", B), ("Body two.", B), ("Nice post.", Label.COMMENTS)]


def test_sites():
    assert host("http://news.bbc.co.uk/2/hi/x.stm") == "bbc.co.uk"
    assert host("https://www.nytimes.com/2017/a.html") == "nytimes.com"
    assert host("http://fakehost/test") == ""


def test_splits_deterministic_and_by_site():
    sites = [f"site{i}.com" for i in range(300)]
    first = {site: split_of_site("dragnet_data", site) for site in sites}
    assert first == {site: split_of_site("dragnet_data", site) for site in sites}
    assert set(first.values()) == {"train", "dev", "test"}
    for site in sites[:50]:  # one site, one side, whatever the dataset
        assert len({split_of_site(d, site) for d in ("dragnet_data", "l3s-gn1", "cleaneval-final")}) == 1
    assert split_of_site("htmltotext", "site0.com") == "test"
    assert split_of_site("dragnet_data", "wired.com", frozenset({"wired.com"})) == "test"


def test_real_pages():
    if not DATASETS.is_dir():
        pytest.skip(f"datasets not found at {DATASETS}")
    from training.datasets import gold_blocks, iter_pages, read_html
    from training.splits import split_of

    pages = list(iter_pages(datasets=("cleaneval-dev", "dragnet_data", "l3s-gn1"), limit=3))
    assert pages and all(isinstance(page, Page) and page.site for page in pages)
    by_site: dict[str, set[str]] = {}
    for page in pages:
        by_site.setdefault(page.site, set()).add(split_of(page))
        html = read_html(page)
        doc = Document.from_text(render("html_text", html))
        labels, quality = align(doc.lines, gold_blocks(page))
        assert len(labels) == len(doc.lines)
        if quality >= 0.5:
            assert B in labels and N in labels
    assert all(len(splits) == 1 for splits in by_site.values())


def test_training_reads_train_and_dev_but_never_test(tmp_path):
    from training.train_default import corpus_documents

    for split, page in (("train", "a"), ("dev", "b"), ("test", "c")):
        for renderer in ("inscriptis", "html_text"):
            path = tmp_path / split / "l3s-gn1" / renderer / f"{page}.lines"
            path.parent.mkdir(parents=True)
            path.write_text(f"body\tThe {split} story, as {renderer} renders it, has one sentence.\n", encoding="utf-8")
    docs = corpus_documents(tmp_path, renderers=1)
    assert sorted(d.doc.lines[0].split()[1] for d in docs) == ["dev", "train"]  # one rendering of each page
    assert len(corpus_documents(tmp_path, ("train",), renderers=2)) == 2
    with pytest.raises(ValueError, match="test split"):
        corpus_documents(tmp_path, ("train", "test"))
    with pytest.raises(ValueError, match="unknown corpus split"):
        corpus_documents(tmp_path, ("train", " dev"))


def test_evaluation_knows_which_splits_a_model_trained_on(tmp_path):
    from noisecut.model import Model
    from training.evaluate import main, trained_splits

    model = Model.load(None)
    model.meta["training"]["split"] = "train + dev (training/splits.py); test never seen"
    model.save(tmp_path / "m")
    assert trained_splits(tmp_path / "m") == {"train", "dev"}
    with pytest.raises(SystemExit):  # its dev scores would be recorded as results
        main(["--split", "dev", "--model", str(tmp_path / "m"), "--record"])
