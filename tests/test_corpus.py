"""The corpus builder: renderers, alignment to gold, splits, and a few real pages."""
from __future__ import annotations

from pathlib import Path

import pytest

from noisecut.document import Document
from noisecut.labels import Label
from training.align import align, tokens
from training.datasets import (DATASETS, NAMES, OLDER_ENCODINGS, Page, cleaneval_gold, dragnet_gold, decode,
                               fix_mojibake, host, iter_pages)
from conftest import needs_programs
from training.render import HELD_OUT_RENDERERS, PROGRAMS, RENDERERS, render
from training.splits import OLD_SITE_NAMES, split_of_site

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


def test_headline_in_the_title_gives_way_to_the_headline():
    # the headline's words recur in the gold, so neither line is an anchor; the line that is all gold takes it
    headline = "Benefits of spiritual partnership"
    blocks = [(headline, Label.HEADING), ("Benefits of spiritual partnership are the goals you can reach for, "
                                          "and the benefits of spiritual partnership last.", B), *ARTICLE]
    lines = [f"{headline} - Paulo's Blog", "Home", headline, *(text for text, _ in blocks[1:])]
    assert labels_of(lines, blocks) == [N, N, Label.HEADING, B, B, B, B]


def test_a_line_keeps_its_gold_when_lines_fitted_after_it_move_on():
    # every paragraph twice in the gold (so no anchors): the menu-and-paragraph line is fitted, then the
    # next paragraph; the first paragraph's own line further down takes the gold's second copy, and does
    # not leave the first copy to nobody
    first, second = ARTICLE[0][0], ARTICLE[1][0]
    blocks = [(first, B), (second, B), (first, B), (second, B)]
    lines = [f"Home News {first}", second, "Related", first]
    assert labels_of(lines, blocks) == [B, B, N, B]


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


def test_held_out_renderers_write_the_text_their_own_way():
    needs_programs(*set(PROGRAMS.values()))
    lines = {name: [line.strip() for line in render(name, HTML).splitlines() if line.strip()] for name in HELD_OUT_RENDERERS}
    for name, rendered in lines.items():
        assert "The council approved the & budget." in rendered, name
        assert not any("color:red" in line or "var x" in line for line in rendered), name
    assert "• Home" in lines["resiliparse"] and "Second paragraph here." in lines["resiliparse"]
    assert lines["bs4"][-3:] == ["Second", "paragraph", "here."]  # a line at every tag, inline ones too
    assert "# Harbour budget" in lines["markdown"] and "Second **paragraph** here." in lines["markdown"]
    assert "Home" not in lines["resiliparse_main"]  # an extractor's main content: the menu is cut already


def test_lynx_refs_renders_a_page_the_same_every_time():
    """lynx names a relative link's address after its own temporary directory; the renderer drops it."""
    needs_programs("lynx")
    page = '<p>See <a href="about">about us</a> and <a href="https://example.org/a">this</a>.</p>'
    first = render("lynx_refs", page)
    assert first == render("lynx_refs", page)
    assert "[1]about us" in first and "1. file:///about" in first and "2. https://example.org/a" in first


def test_an_unknown_renderer_is_named_not_rendered_empty():
    with pytest.raises(ValueError, match="unknown renderer 'typo'"):
        render("typo", HTML)


@pytest.mark.parametrize("name", list(RENDERERS) + list(HELD_OUT_RENDERERS))
@pytest.mark.parametrize("html", ["", "<<<>>>", "\x00\x01garbage", "<p>" * 3000, "<html><body></body></html>"])
def test_renderers_never_raise(name, html):
    if name in PROGRAMS:
        needs_programs(PROGRAMS[name])
    assert isinstance(render(name, html), str)


def test_gold_parsers():
    cleaneval = "URL: http://example.org/x\n\n<h>  A heading\n<p>First line of a\n   wrapped paragraph.\n<l>  * item\n"
    assert cleaneval_gold(cleaneval) == [("A heading", Label.HEADING),
                                            ("First line of a wrapped paragraph.", B), ("* item", B)]
    dragnet = "Body one.\nBody two.\n!@#$%^&*()   COMMENTS\nNice post.\n"
    assert dragnet_gold(dragnet) == [("Body one.", B), ("Body two.", B), ("Nice post.", Label.COMMENTS)]


def test_sites():
    assert host("http://news.bbc.co.uk/2/hi/x.stm") == "bbc.co.uk"
    assert host("https://www.nytimes.com/2017/a.html") == "nytimes.com"
    assert host("http://fakehost/test") == ""
    assert host("http://10.0.0.1/x") == ""
    # the public suffix list, not a guess: ny.us and gov.bc.ca are suffixes, blogs stay one site
    assert host("http://www.state.ny.us/governor/") == "state.ny.us"
    assert host("https://www2.gov.bc.ca/gov/content") == "gov.bc.ca"
    assert host("https://www.city.kawasaki.jp/") == "city.kawasaki.jp"
    assert host("https://someone.blogspot.com/2008/01/post.html") == "blogspot.com"
    assert host("https://zh.wikipedia.org/wiki/x") == "wikipedia.org"


def test_decoding():
    german = "Grüße aus Köln – „Zitat“"
    assert decode(german.encode("utf-8"), OLDER_ENCODINGS) == german
    assert decode(german.encode("cp1252"), OLDER_ENCODINGS) == german
    assert decode("\ufeff".encode("utf-16-le") + german.encode("utf-16-le")) == german
    chinese = "中文网页正文抽取：新闻、博客和论坛页面的正文。"
    assert decode(chinese.encode("gb18030"), ("gb18030",)) == chinese
    broken = chinese.encode("gb18030") + b"\xff" + chinese.encode("gb18030")  # a byte no charset here decodes
    assert decode(broken, ("gb18030",)) == chinese + "\ufffd" + chinese  # still the documented charset
    # no documented encoding: charset_normalizer guesses (Shift JIS here, not cp1252 gibberish)
    japanese = "日本語のテキストです。ウェブページの本文を抽出します。" * 3
    assert decode(japanese.encode("shift_jis")) == japanese


def test_mojibake_repair():
    assert fix_mojibake("donâ€™t stop") == "don’t stop"
    # partly broken text: the whole text does not round-trip through cp1252, ftfy repairs the pieces
    assert fix_mojibake("Café says donâ€™t, naÃ¯vely") == "Café says don’t, naïvely"
    assert fix_mojibake("Plain English, no accents.") == "Plain English, no accents."
    assert fix_mojibake("communityÂ¹s") == "communityÂ¹s"  # no sign of UTF-8 read as cp1252: left as the page has it


# --- the rules before the public suffix list and ftfy, kept to check that nothing moved ---

def legacy_host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        name = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    labels = name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return ""
    second_level = {"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or", "go"}
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in second_level and len(labels) > 2 else 2
    return ".".join(labels[-keep:])


def legacy_gold(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", "replace")
    else:
        for encoding in ("utf-8-sig", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                pass
    if "â€" not in text and "Ã" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def legacy_split(dataset: str, site: str, test_sites: frozenset) -> str:
    import hashlib

    if dataset == "htmltotext" or site in test_sites:
        return "test"
    b = int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if b < 65 else "dev" if b < 80 else "test"


@pytest.fixture(scope="module")
def older_pages():
    if not DATASETS.is_dir():
        pytest.skip(f"datasets not found at {DATASETS}")
    return list(iter_pages(datasets=NAMES))


def test_older_pages_keep_their_split(older_pages, monkeypatch):
    import training.datasets as datasets
    from training.splits import split_of

    pages = older_pages
    assert len(pages) > 2900
    monkeypatch.setattr(datasets, "host", legacy_host)
    old_sites = {page.id: datasets.find_site(page) for page in pages}
    monkeypatch.undo()
    old_test_sites = frozenset(old_sites[page.id] for page in pages if page.dataset == "htmltotext")
    moved = [(page.id, old_sites[page.id], page.site) for page in pages
             if legacy_split(page.dataset, old_sites[page.id], old_test_sites) != split_of(page)]
    assert moved == []
    renamed = {page.site for page in pages if page.site != old_sites[page.id]}
    assert renamed == set(OLD_SITE_NAMES)  # every pinned name is needed, and no other site changed


def test_older_golds_change_only_where_mojibake_was_repaired(older_pages):
    from training.datasets import read_gold
    from training.gate import sample

    old_golds = {page.id: legacy_gold(page.gold_path.read_bytes()) for page in older_pages}
    changed = {page.id for page in older_pages if read_gold(page) != old_golds[page.id]}
    # only where ftfy repaired mojibake that the old whole-text round trip could not
    assert all("â€" in old_golds[page_id] or "Ã" in old_golds[page_id] for page_id in changed)
    assert len(changed) < 30
    assert not changed & {page.id for page in sample()}  # the quality gate's golds are untouched


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


def test_train_folds_cut_the_train_buckets_into_runs(monkeypatch):
    import argparse

    from training import splits

    monkeypatch.setattr(splits, "bucket", int)  # a site named after its bucket
    assert [splits.train_fold(str(b), 2) for b in (0, 32, 33, 64)] == [0, 0, 1, 1]  # as README and SPLITS.md say
    assert [splits.train_fold(str(b), 3) for b in (0, 21, 22, 43, 44, 64)] == [0, 0, 1, 1, 2, 2]
    assert splits.Fold(1, 2).holds("40") and not splits.Fold(1, 2).holds("20")
    assert splits.fold_arg("1/3") == splits.Fold(1, 3) and str(splits.Fold(1, 3)) == "1/3"
    for bad in ("2/2", "-1/2", "0/1", "0/0", "0/66", "1", "a/b"):
        with pytest.raises(argparse.ArgumentTypeError):
            splits.fold_arg(bad)


def test_model_cards_name_the_splits_and_fold_they_trained_on():
    from training.splits import UNKNOWN, averaged_split_record, recorded_splits, split_record

    for seen in (["train"], ["dev"], ["train", "dev"], ["dev", "train"]):
        assert recorded_splits(split_record(seen)) == set(seen)
    assert split_record(["dev", "train"]) == "train + dev (training/splits.py); test never seen"
    fold = {"split": split_record(["train"]), "left_out_fold": "1/2"}
    both = {"split": split_record(["train", "dev"])}
    assert averaged_split_record([fold, both]) == both  # an average has seen what any of its models saw
    assert averaged_split_record([fold, dict(fold)]) == fold  # and leaves out a fold all of them left out
    assert averaged_split_record([fold, {"averaged_models": [{"training": both}]}]) == both  # averages of averages
    assert averaged_split_record([fold, {"documents": 3}]) == {"split": UNKNOWN}  # a model that names no split


def test_evaluation_knows_a_left_out_fold_is_held_out(tmp_path, capsys):
    from noisecut.model import Model
    from training.evaluate import held_out, main
    from training.splits import Fold, UNKNOWN

    model = Model.load(None)
    model.meta["training"].update(split="train (training/splits.py); test never seen", left_out_fold="1/2")
    model.save(tmp_path / "m")
    assert held_out("train", tmp_path / "m", Fold(1, 2)) and held_out("dev", tmp_path / "m")
    assert not held_out("train", tmp_path / "m", Fold(0, 2)) and not held_out("train", tmp_path / "m")
    model.meta["training"]["split"] = UNKNOWN
    model.save(tmp_path / "m")
    assert not held_out("test", tmp_path / "m") and not held_out("train", tmp_path / "m", Fold(1, 2))
    # models/default averages three models whose cards say train + dev; its own card names no split
    averaged = Path(__file__).resolve().parent.parent / "models" / "default"
    assert not held_out("dev", averaged) and held_out("test", averaged)
    for bad in (["--split", "dev", "--fold", "1/2"], ["--split", "train", "--fold", "1/2", "--record"]):
        with pytest.raises(SystemExit):  # a fold is part of the train split, and its scores no test figures
            main([*bad, "--model", str(tmp_path / "m")])
        assert "--fold scores part of the train split" in capsys.readouterr().err


def test_evaluation_knows_which_splits_a_model_trained_on(tmp_path):
    from noisecut.model import Model
    from training.evaluate import main, trained_splits

    model = Model.load(None)
    model.meta["training"]["split"] = "train + dev (training/splits.py); test never seen"
    model.save(tmp_path / "m")
    assert trained_splits(tmp_path / "m") == {"train", "dev"}
    with pytest.raises(SystemExit):  # its dev scores would be recorded as results
        main(["--split", "dev", "--model", str(tmp_path / "m"), "--record"])


# --- the eleven folders: registry, gzip, meta.jsonl, encodings, discussions ---

FORUM_POSTS = [
    "Has anyone replaced the rear brake pads on a 2019 touring bike without removing the wheel?",
    "Yes, if the caliper is post mount you can slide the old pads out from the top after taking the pin out.",
    "Thanks, that worked. The pin was seized, a drop of penetrating oil and ten minutes did it.",
    'Off topic: the old board showed "Ã¤" instead of "ä" in every post, glad that is fixed.',
]
ARTICLE_TEXT = ARTICLE[0][0] + "\n" + ARTICLE[1][0]
COMMENT = "Great news for the town, finally some progress on the pier after all these years."


def page_html(paragraphs, url=None):
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (f"<html><head><title>Page</title>{canonical}</head><body><ul><li>Home</li><li>Forums</li>"
            f"<li>Log in</li></ul>{body}<div>Terms | Privacy | Contact us</div></body></html>")


def write_page(root, dataset, name, html: bytes, gold: bytes, gz=False, meta=None):
    import gzip
    import json

    (root / dataset / "input").mkdir(parents=True, exist_ok=True)
    (root / dataset / "GoldStandard").mkdir(parents=True, exist_ok=True)
    path = root / dataset / "input" / (name + (".html.gz" if gz else ".html"))
    path.write_bytes(gzip.compress(html) if gz else html)
    (root / dataset / "GoldStandard" / f"{name}.txt").write_bytes(gold)
    if meta is not None:
        with open(root / dataset / "meta.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"name": name, **meta}) + "\n")


def test_registry_names_every_folder_and_format():
    from training.datasets import ALL_NAMES, GOLD_FORMATS, REGISTRY, dataset_of

    assert set(REGISTRY) == set(ALL_NAMES) and len(ALL_NAMES) == 11
    assert all(spec.gold_format in GOLD_FORMATS for spec in REGISTRY.values())
    # chosen by the table, never by the folder's name
    assert dataset_of("my-cleaneval-copy").gold_format == "plain"
    assert dataset_of("dragnet_data").gold_format == "dragnet"
    assert dataset_of("chinese-cwce").encodings == ("gb18030",)


@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """Three synthetic folders: a gzipped forum set with meta.jsonl, a GB18030 set, a Dragnet-style set."""
    from training import datasets

    monkeypatch.setitem(datasets.REGISTRY, "tiny-forums", datasets.Dataset("tiny-forums", "wcxb"))
    monkeypatch.setitem(datasets.REGISTRY, "tiny-gb", datasets.Dataset("tiny-gb", "plain", ("gb18030",)))
    monkeypatch.setitem(datasets.REGISTRY, "tiny-news", datasets.Dataset("tiny-news", "dragnet"))
    root = tmp_path / "data"
    thread = page_html(FORUM_POSTS).encode("utf-8")
    write_page(root, "tiny-forums", "0001", thread, "\n\n".join(FORUM_POSTS).encode("utf-8"), gz=True,
               meta={"url": "https://forum.bikes.example.co.uk/t/123", "language": "en", "page_type": "forum",
                     "with": [FORUM_POSTS[1][:40]], "without": ["Privacy"]})
    chinese = ["中文网页正文抽取：新闻、博客和论坛页面的正文在这里。", "第二段落说明这是一个测试页面，用来检查编码。"]
    write_page(root, "tiny-gb", "a", page_html(chinese).replace("<head>", '<head><meta charset="gb2312">').encode("gb18030"),
               "\n".join(chinese).encode("utf-8"), meta={"url": None, "language": "zh"})
    news = page_html([ARTICLE[0][0], ARTICLE[1][0], COMMENT], url="https://www.harbourtimes.example.com/budget")
    write_page(root, "tiny-news", "n1", news.encode("utf-8"),
               f"{ARTICLE_TEXT}\n!@#$%^&*()  COMMENTS\n{COMMENT}\n".encode("utf-8"))
    return root


def test_pages_from_gzip_meta_and_declared_encodings(tiny_root):
    from training.datasets import gold_blocks, read_gold, read_html

    forum, = iter_pages(tiny_root, ("tiny-forums",))
    assert (forum.name, forum.site, forum.lang, forum.page_type) == ("0001", "example.co.uk", "en", "forum")
    assert forum.meta["without"] == ["Privacy"]
    assert FORUM_POSTS[2] in read_html(forum)
    assert FORUM_POSTS[3] in read_gold(forum)  # a clean UTF-8 gold that quotes mojibake is not "repaired"
    chinese, = iter_pages(tiny_root, ("tiny-gb",))
    assert chinese.lang == "zh" and chinese.site == "tiny-gb:a"  # no URL anywhere: the page is its own site
    assert "中文网页正文抽取" in read_html(chinese)
    assert [label for _, label in gold_blocks(chinese)] == [B, B]


def test_discussion_posts_are_body_comments_under_an_article_are_comments(tiny_root, tmp_path):
    from noisecut.labeled import read
    from training.build_corpus import build

    out = tmp_path / "corpus"
    summary = build(out, ["lxml_blocks"], ["tiny-forums", "tiny-gb", "tiny-news"], jobs=1, root=tiny_root)
    assert summary["documents"] == 3 and not summary["skipped"]
    by_type = summary["documents_per_split_page_type_language"]
    assert sum(by_type[split].get("forum/en", 0) for split in by_type) == 1
    assert sum(by_type[split].get("-/zh", 0) for split in by_type) == 1
    docs = {path.parent.parent.name: read(path) for path in out.glob("*/*/*/*.lines")}
    forum = docs["tiny-forums"]
    assert forum.meta["page_type"] == "forum" and forum.meta["lang"] == "en"
    assert forum.meta["snippets"] == "1 with, 1 without"
    kept = {line: label for line, label in zip(forum.doc.lines, forum.labels) if label is not None}
    assert all(kept[post] == B for post in FORUM_POSTS)  # a thread's posts are its main content
    assert kept["Home"] == N and kept["Terms | Privacy | Contact us"] == N
    news = docs["tiny-news"]
    kept = {line: label for line, label in zip(news.doc.lines, news.labels) if label is not None}
    assert kept[ARTICLE[0][0]] == B and kept[COMMENT] == Label.COMMENTS
    assert docs["tiny-gb"].meta["lang"] == "zh" and "page_type" not in docs["tiny-gb"].meta



def test_build_corpus_that_writes_nothing_says_so_and_fails(tiny_root, tmp_path, monkeypatch, capsys):
    """A run that wrote no document leaves the corpus and its summary.json as they were, but said
    `details in OUT/summary.json` (the last build's, or none) and exited 0."""
    import functools

    import training.build_corpus as build_corpus

    out = tmp_path / "corpus"
    monkeypatch.setattr(build_corpus, "build", functools.partial(build_corpus.build, root=tiny_root))
    argv = ["--out", str(out), "--renderers", "lxml_blocks", "--datasets", "tiny-news", "-j", "1"]
    assert build_corpus.main(argv) == 0
    assert f"details in {out / 'summary.json'}" in capsys.readouterr().out
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(build_corpus, "render", lambda renderer, html: "")  # every rendering empty: all skipped
    assert build_corpus.main(argv) == 1
    printed = capsys.readouterr()
    assert "summary.json" not in printed.out
    assert "skipped tiny-news/n1/lxml_blocks: empty rendering" in printed.err
    assert f"build_corpus: error: wrote no document (1 page renderings skipped); {out} is as the last build left it" in printed.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


NEWER = ("wcxb-dev", "magic-html", "chinese-cwce", "googletrends-2017")


@pytest.mark.parametrize("dataset", NEWER)
def test_newer_folders(dataset):
    if not (DATASETS / dataset).is_dir():
        pytest.skip(f"{dataset} not found under {DATASETS}")
    from training.datasets import gold_blocks, read_html

    pages = list(iter_pages(datasets=(dataset,), limit=4))
    assert len(pages) == 4
    for page in pages:
        assert page.lang and page.meta["name"] == page.name
        assert page.site and ":" not in page.site or not page.meta.get("url")
        blocks = gold_blocks(page)
        assert blocks and {label for _, label in blocks} == {B}  # plain-text golds: every line is main content
        text = Document.from_text(render("html_text", read_html(page)))
        assert align(text.lines, blocks)[1] >= 0.5
    if dataset in ("wcxb-dev", "magic-html"):
        assert all(page.page_type for page in pages)


def test_every_site_on_one_side_across_all_folders(older_pages):
    from training.splits import split_of

    newer = [page for name in NEWER if (DATASETS / name).is_dir() for page in iter_pages(datasets=(name,))]
    sides: dict[str, set[str]] = {}
    for page in older_pages + newer:
        sides.setdefault(page.site, set()).add(split_of(page))
    assert newer and all(len(s) == 1 for s in sides.values())
    # the same page twice (datasets README): one side, or the test split would score a training page
    split = {page.id: split_of(page) for page in newer}
    for first, second in (("wcxb-dev/0463", "wcxb-dev/3035"), ("wcxb-dev/0670", "wcxb-dev/2863"),
                          ("magic-html/article-201807fb8181", "magic-html/article-8b007155e6d3"),
                          ("magic-html/forum-cd66147a62b6", "magic-html/forum-0f5b479e1d93")):
        assert split[first] == split[second]
    forum_types = {page.page_type for page in newer if page.dataset == "wcxb-dev"}
    assert {"article", "forum", "listing", "product"} <= forum_types


def _my_site(tmp_path):
    """One folder named after a site, its golds written the CleanEval way."""
    root = tmp_path / "my-pages"
    for n in range(3):
        html = page_html([f"Harbour news {n}", ARTICLE[0][0], ARTICLE[1][0]], url=f"https://harbour.example.org/{n}")
        html = html.replace(f"<p>Harbour news {n}</p>", f"<h2>Harbour news {n}</h2>")
        gold = f"URL: https://harbour.example.org/{n}\n<h>Harbour news {n}\n\n<p>{ARTICLE[0][0]}\n\n<p>{ARTICLE[1][0]}\n"
        write_page(root, "harbour-times", f"p{n}", html.encode("utf-8"), gold.encode("utf-8"))
    return root


def test_import_gold_split_none_and_an_explicit_gold_format(tmp_path):
    from click.testing import CliRunner

    from noisecut.cli import main
    from noisecut.labeled import read

    root, out = _my_site(tmp_path), tmp_path / "mine"
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(out), "--renderers", "lxml_blocks",
                                       "--split", "none", "--gold-format", "cleaneval", "-j", "1"])
    assert result.exit_code == 0, result.output
    written = sorted(out.glob("*/*/*.lines"))
    assert [p.relative_to(out).parts[:2] for p in written] == [("harbour-times", "lxml_blocks")] * 3  # no split folder
    labeled = read(written[0])
    by_line = {line: label for line, label in zip(labeled.doc.lines, labeled.labels) if label is not None}
    assert by_line["Harbour news 0"] == Label.HEADING  # the <h> marker is understood in a folder named after the site
    assert by_line[ARTICLE[0][0]] == B and by_line["Home"] == N
    assert not any(line.startswith("URL:") for line in labeled.doc.lines)
    # read as plain text, the same golds make the URL line and the heading marker part of the body's text
    plain = tmp_path / "plain"
    assert CliRunner().invoke(main, ["import-gold", str(root), "-o", str(plain), "--renderers", "lxml_blocks",
                                     "--split", "none", "-j", "1"]).exit_code == 0
    labeled = read(sorted(plain.glob("*/*/*.lines"))[0])
    assert dict(zip(labeled.doc.lines, labeled.labels))["Harbour news 0"] != Label.HEADING


def test_import_gold_default_split_is_by_site_and_unknown_formats_are_refused(tmp_path):
    from click.testing import CliRunner

    from noisecut.cli import main
    from training.datasets import GOLD_FORMATS

    root, out = _my_site(tmp_path), tmp_path / "mine"
    assert CliRunner().invoke(main, ["import-gold", str(root), "-o", str(out), "--renderers", "lxml_blocks",
                                     "-j", "1"]).exit_code == 0
    (split,) = {p.relative_to(out).parts[0] for p in out.glob("*/*/*/*.lines")}
    assert split in ("train", "dev", "test")  # one site: one split folder
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(out), "--gold-format", "html", "-j", "1"])
    assert result.exit_code == 1 and "unknown gold format 'html': use one of plain, cleaneval" in result.output
    help_text = " ".join(CliRunner().invoke(main, ["import-gold", "--help"]).output.split())
    assert all(name in help_text for name in GOLD_FORMATS)


def test_import_gold_names_the_renderings_it_skips(tmp_path):
    from click.testing import CliRunner

    from noisecut.cli import main

    root = _my_site(tmp_path)
    write_page(root, "harbour-times", "empty", page_html(["Harbour news 9"]).encode("utf-8"), b"")
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(tmp_path / "out"), "--renderers",
                                       "lxml_blocks", "--split", "none", "--gold-format", "plain", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped harbour-times/empty/lxml_blocks: gold has no body" in result.stderr
    assert "wrote 3 labeled documents" in result.stderr and "(1 renderings skipped)" in result.stderr


def test_import_gold_names_the_pages_without_gold_and_fails_when_nothing_is_written(tmp_path):
    """A page whose gold file has another name was left out silently; when no page had its gold (or every
    rendering was skipped) the run wrote 0 documents and exited 0."""
    from click.testing import CliRunner

    from noisecut.cli import main

    root = _my_site(tmp_path)
    (root / "harbour-times" / "input" / "orphan.html").write_text(page_html(["Harbour news 7", ARTICLE[0][0]]))
    args = ["--renderers", "lxml_blocks", "--split", "none", "--gold-format", "cleaneval", "-j", "1"]
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 0, result.output
    assert ("left out 1 pages without a gold file (input/NAME.html needs GoldStandard/NAME.txt): "
            "harbour-times/input/orphan.html") in result.stderr
    assert "wrote 3 labeled documents" in result.stderr
    for gold in (root / "harbour-times" / "GoldStandard").glob("p*.txt"):  # the golds renamed: none matches
        gold.rename(gold.with_name("gold-" + gold.name))
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(tmp_path / "none"), *args])
    assert result.exit_code == 1
    assert "left out 4 pages without a gold file" in result.stderr
    assert result.stderr.splitlines()[-1] == f"Error: no labeled documents written to {tmp_path / 'none'}: no page has a gold file"
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 1 and len(list((tmp_path / "out").glob("*/*/*.lines"))) == 3  # the last import stays
    empty = tmp_path / "empty-golds"
    write_page(empty, "site", "a", page_html(["Harbour news 1", ARTICLE[0][0]]).encode("utf-8"), b"")
    result = CliRunner().invoke(main, ["import-gold", str(empty), "-o", str(tmp_path / "skipped"), "--renderers", "lxml_blocks",
                                       "--split", "none", "--gold-format", "plain", "-j", "1"])
    assert result.exit_code == 1 and "skipped site/a/lxml_blocks: gold has no body" in result.stderr
    assert result.stderr.splitlines()[-1].endswith("every rendering was skipped (see above)")


def test_import_gold_names_a_root_without_collection_folders(tmp_path):
    """A ROOT that is itself one collection (input/ directly in it) is the likely mistake:
    the message says what ROOT holds, not that the benchmark folders are missing."""
    from click.testing import CliRunner

    from noisecut.cli import main

    collection = _my_site(tmp_path) / "harbour-times"
    result = CliRunner().invoke(main, ["import-gold", str(collection), "-o", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 1
    assert f"{collection}: none of its folders has an input/ directory; ROOT holds one folder per collection" in result.output
    assert "cleaneval" not in result.output


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--limit", "-1"]])
def test_import_gold_refuses_counts_below_one_as_an_option_error(tmp_path, option):
    from click.testing import CliRunner

    from noisecut.cli import main

    result = CliRunner().invoke(main, ["import-gold", str(_my_site(tmp_path)), "-o", str(tmp_path / "out"), *option])
    assert result.exit_code == 2 and f"Invalid value for '{option[0]}'" in result.output


def test_import_gold_lists_take_spaces_and_a_trailing_comma(tmp_path):
    """--renderers "lxml_blocks, inscriptis" and --datasets "harbour-times," were 'unknown renderer or dataset
    folder:' naming " inscriptis" or nothing at all."""
    from click.testing import CliRunner

    from noisecut.cli import main

    root, out = _my_site(tmp_path), tmp_path / "mine"
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(out), "--renderers", "lxml_blocks, inscriptis,",
                                       "--datasets", "harbour-times,", "--split", "none", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert sorted({p.parent.name for p in out.glob("harbour-times/*/*.lines")}) == ["inscriptis", "lxml_blocks"]
    result = CliRunner().invoke(main, ["import-gold", str(root), "-o", str(out), "--renderers", "lxml_blocks,bogus,"])
    assert result.exit_code == 1 and result.stderr.strip() == "Error: unknown renderer or dataset folder: bogus"


def test_import_gold_replaces_the_last_import_whole_or_not_at_all(tmp_path, monkeypatch):
    """A run that imported nothing overwrote summary.json with zero counts; one that failed half-way left the
    pages it had written mixed into the last import; a truncated page.html.gz aborted the run with a bare
    `Aborted!`; a re-import (--limit, fewer --renderers) left the last import's other pages to be trained on."""
    import gzip

    from click.testing import CliRunner

    import training.build_corpus
    from noisecut.cli import main

    root, out = _my_site(tmp_path), tmp_path / "mine"
    args = ["--split", "none", "--gold-format", "cleaneval", "-j", "1"]

    def imported(*more):
        return CliRunner().invoke(main, ["import-gold", str(root), "-o", str(out), *args, *more])

    def files():
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    assert imported("--renderers", "lxml_blocks,html_text").exit_code == 0
    (out / "harbour-times" / "page.lines").write_text("body\tLabeled by hand.\n", encoding="utf-8")  # not import-gold's
    before = files()
    assert len([name for name in before if name.endswith(".lines")]) == 7 and "summary.json" in before

    real_render = training.build_corpus.render

    def failing(renderer, html):  # the workers are forked: they see it
        if "Harbour news 2" in html:
            raise OSError(28, "No space left on device")
        return real_render(renderer, html)

    with monkeypatch.context() as patch:
        patch.setattr(training.build_corpus, "render", failing)
        result = imported("--renderers", "lxml_blocks,html_text")
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert files() == before  # nothing of the failed run, and no staging beside it
    assert {p.name for p in tmp_path.iterdir()} == {"my-pages", "mine"}
    for gold in (root / "harbour-times" / "GoldStandard").glob("p*.txt"):  # no page has its gold: nothing imported
        gold.rename(gold.with_name("gold-" + gold.name))
    assert imported("--renderers", "lxml_blocks").exit_code == 1
    assert files() == before
    for gold in (root / "harbour-times" / "GoldStandard").glob("gold-*.txt"):
        gold.rename(gold.with_name(gold.name.removeprefix("gold-")))

    # a truncated page is skipped by name; the re-import (one renderer, two pages) replaces the last one
    truncated = gzip.compress(page_html(["Harbour news 0", ARTICLE[0][0]]).encode("utf-8"))[:30]
    write_page(root, "harbour-times", "p0", truncated, (root / "harbour-times" / "GoldStandard" / "p0.txt").read_bytes())
    (root / "harbour-times" / "input" / "p0.html").unlink()
    (root / "harbour-times" / "input" / "p0.html.gz").write_bytes(truncated)
    result = imported("--renderers", "lxml_blocks", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "skipped harbour-times/p0/lxml_blocks: unreadable" in result.stderr
    after = files()
    assert sorted(name for name in after if name.endswith(".lines")) == ["harbour-times/lxml_blocks/p1.lines",
                                                                        "harbour-times/page.lines"]
    assert after["harbour-times/page.lines"] == before["harbour-times/page.lines"]
    assert not [name for name in after if name.endswith(".npy")]  # the html_text rows went with their pages
    assert b'"documents": 1' in after["summary.json"]
