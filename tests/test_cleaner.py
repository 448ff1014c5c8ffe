"""noisecut.cleaner (and the policy it applies): kept lines come out byte for byte, in order."""
from __future__ import annotations

import re

import numpy as np
import pytest

import noisecut
import noisecut.cleaner
from noisecut import Cleaner, Document
from noisecut.labels import KEEP_DEFAULT, Label
from noisecut.model import Model

from texts import P1, P2, P3  # noqa: E402
B1, B2, B3 = (p.encode() for p in (P1, P2, P3))
# the third paragraph as a Latin-1 scraper delivered it, with two stray bytes: not valid UTF-8
B3_LATIN1 = (
    b"The head librarian, Maria L\xf3pez, said the staff were delighted \xff\xfe and that the new hours "
    b"would start in the first week of March, after the building's heating is repaired."
)

PAGE = "\n".join([
    "Home | News | Local | Sport",
    "",
    "By Jane Smith | 12 March 2024, 10:32",
    "",
    P1,
    "",
    P2,
    "",
    P3,
    "",
    "Share",
    "Advertisement",
    "Related stories",
    "Bus fares to rise in April...",
    "© 2024 Example News. All rights reserved.",
]) + "\n"

ODD_INPUTS = {
    "lf": PAGE.encode(),
    "crlf": PAGE.replace("\n", "\r\n").encode(),
    "cr": PAGE.replace("\n", "\r").encode(),
    "mixed": b"Home | News\n" + B1 + b"\r\n\r\n" + B2 + b"\r" + B3 + b"\nShare",
    "bom-first-kept": b"\xef\xbb\xbf" + b"\n".join([B1, B2, B3]),
    "bom-first-dropped": b"\xef\xbb\xbf" + b"\n".join([b"Home | News | Sport", B1, B2, B3, b"Share"]),
    "tabs": b"\n".join([b"\t" + B1, B2 + b"\t", b"Name:\tValue", B3]),
    "form-feed": b"\n".join([B1 + b"\x0c", b"\x0c", B2 + b"\x0b" + B3, b"next\xe2\x80\xa8part \xc2\x85"]),
    "u2028": "\n".join([P1 + "\u2028" + P2, "Share", P3]).encode(),
    "nul": b"\n".join([B1.replace(b"library", b"lib\x00rary"), b"\x00", B2, B3]),
    "invalid-utf8-in-body": b"\n".join([b"Home | News | Sport", b"", B1, b"", B2, b"", B3_LATIN1, b"", b"Share"]),
    "invalid-utf8-everywhere": b"\xff\xfe\n" + B1 + b"\n\x80\x81\x82\n" + B2 + b"\n\xc3(",
    "very-long-line": b"\n".join([b"Home | News", B1 * 600, B2, B3]),
    "cjk-and-rtl": "\n".join([
        "首页 | 新闻 | 体育",
        "杭州新增二十条城市绿道，市民周末骑行更方便。市园林局表示，新绿道将连接主要公园和河道，全长超过八十公里。",
        "افتتاح أكبر محطة لتحلية المياه بالطاقة الشمسية في المنطقة، وتبلغ طاقتها مئة ألف متر مكعب يوميا.",
        "שתפו",
    ]).encode(),
    "emoji-and-zero-width": "\n".join([P1 + " 😀\u200b", "👍 Like \u200d Share", P2]).encode(),
    "duplicated-paragraph": "\n".join([P1, P2, P1, P3]).encode(),
    "single-line": B1,
    "single-line-newline": B1 + b"\n",
    "empty": b"",
    "one-newline": b"\n",
    "blank-lines": b"\n\n\n",
    "whitespace-only": b"  \t \n \r\n\x0c\n\xc2\xa0\n",
    "bom-only": b"\xef\xbb\xbf",
}

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _lines(data: bytes) -> list[bytes]:
    """Lines with their terminators, split independently of noisecut.document."""
    return _LINE.findall(data)


def _assert_kept_subsequence(out: bytes, data: bytes) -> None:
    """Every output line is an input line (terminator included), in input order."""
    bom = b"\xef\xbb\xbf"
    if out.startswith(bom):
        assert data.startswith(bom)
        out = out[len(bom):]
    elif data.startswith(bom):
        assert out == b""
    if data.startswith(bom):
        data = data[len(bom):]
    source = iter(_lines(data))
    for line in _lines(out):
        assert any(line == candidate for candidate in source), f"{line[:60]!r} is not a later input line"


@pytest.mark.parametrize("name", list(ODD_INPUTS))
def test_clean_bytes_keeps_input_lines_unchanged_and_in_order(cleaner, name):
    data = ODD_INPUTS[name]
    out = cleaner.clean_bytes(data)
    assert isinstance(out, bytes)
    _assert_kept_subsequence(out, data)


@pytest.mark.parametrize("name", list(ODD_INPUTS))
def test_clean_bytes_never_starts_or_ends_with_a_blank_line(cleaner, name):
    out = Document.from_bytes(cleaner.clean_bytes(ODD_INPUTS[name]))
    if out.lines:
        assert out.lines[0].strip() and out.lines[-1].strip()


def test_empty_and_blank_inputs_give_empty_output(cleaner):
    for name in ["empty", "one-newline", "blank-lines", "whitespace-only", "bom-only"]:
        assert cleaner.clean_bytes(ODD_INPUTS[name]) == b"", name
    assert cleaner.clean("") == ""


def test_article_paragraphs_are_kept_and_widgets_dropped(cleaner):
    out = cleaner.clean(PAGE)
    assert out == f"{P1}\n\n{P2}\n\n{P3}\n"


def test_invalid_utf8_inside_a_kept_paragraph_comes_back_byte_for_byte(cleaner):
    data = ODD_INPUTS["invalid-utf8-in-body"]
    out = cleaner.clean_bytes(data)
    assert out == b"\n".join([B1, b"", B2, b"", B3_LATIN1]) + b"\n"


def test_line_endings_are_preserved(cleaner):
    assert cleaner.clean_bytes(ODD_INPUTS["crlf"]) == f"{P1}\r\n\r\n{P2}\r\n\r\n{P3}\r\n".encode()
    assert cleaner.clean_bytes(ODD_INPUTS["cr"]) == f"{P1}\r\r{P2}\r\r{P3}\r".encode()


def test_bom_comes_back_in_front(cleaner):
    data = ODD_INPUTS["bom-first-dropped"]
    out = cleaner.clean_bytes(data)
    assert out.startswith(b"\xef\xbb\xbf" + B1)
    assert out.count(b"\xef\xbb\xbf") == 1
    assert cleaner.clean_bytes(ODD_INPUTS["bom-first-kept"]) == ODD_INPUTS["bom-first-kept"]


@pytest.mark.parametrize("inside", ["\f", "\u2028", "\x0b", "\x85"], ids=["form-feed", "line-separator", "vertical-tab", "next-line"])
def test_form_feed_and_line_separator_do_not_split_paragraphs(cleaner, inside):
    joined = P1 + inside + P2
    text = "\n".join([joined, "Share", P3])
    assert [r.text for r in cleaner.classify(text)] == [joined, "Share", P3]  # one line, one verdict
    assert joined in cleaner.clean(text).split("\n")


def test_very_long_line_survives(cleaner):
    out = cleaner.clean_bytes(ODD_INPUTS["very-long-line"])
    assert B1 * 600 + b"\n" in _lines(out)


def test_later_copy_of_a_kept_paragraph_is_dropped(cleaner, model):
    data = ODD_INPUTS["duplicated-paragraph"]
    assert cleaner.clean_bytes(data) == b"\n".join([B1, B2, B3])
    keep_all = Cleaner(model, dedupe=False)
    assert keep_all.clean_bytes(data) == data


def test_clean_text_and_bytes_agree(cleaner):
    for name, data in ODD_INPUTS.items():
        text = data.decode("utf-8", "surrogateescape")
        assert cleaner.clean(text).encode("utf-8", "surrogateescape") == cleaner.clean_bytes(data), name


def test_module_clean_uses_the_default_model(model_dir, model, monkeypatch):
    monkeypatch.setenv("NOISECUT_MODEL", str(model_dir))
    monkeypatch.setattr(noisecut.cleaner, "_default", None)
    assert noisecut.clean(PAGE) == Cleaner(model).clean(PAGE)
    assert noisecut.clean(PAGE) == Cleaner(model_dir).clean(PAGE)


def test_clean_many(cleaner):
    texts = [PAGE, "", P1]
    assert list(cleaner.clean_many(texts)) == [cleaner.clean(t) for t in texts]


def test_cleaner_from_a_path(model_dir):
    assert Cleaner(model_dir).clean(PAGE) == Cleaner(str(model_dir)).clean(PAGE)


# ------------------------------------------------------------ classify and explain


@pytest.mark.parametrize("name", list(ODD_INPUTS))
def test_classify_one_result_per_line(cleaner, name):
    data = ODD_INPUTS[name]
    doc = Document.from_bytes(data)
    results = cleaner.classify(doc)
    assert [r.index for r in results] == list(range(len(doc)))
    assert [r.text for r in results] == doc.lines
    for r in results:
        assert (r.label is None) == (not r.text.strip())
        if r.label is None:
            assert r.probability == 0.0 and r.keep_score == 0.0
        else:
            assert 0.0 <= r.probability <= 1.0 and 0.0 <= r.keep_score <= 1.0 + 1e-9
    kept = [r.index for r in results if r.kept]
    assert doc.join(kept) == cleaner.clean_document(doc)


def test_classify_text_or_document(cleaner):
    assert cleaner.classify(PAGE) == cleaner.classify(Document.from_text(PAGE))


def test_classify_labels_are_on_the_side_of_the_decision(cleaner):
    for r in cleaner.classify(PAGE):
        if r.label is None:
            continue
        if r.kept:
            assert r.label in KEEP_DEFAULT
        elif r.keep_score < 0.5:
            assert r.label not in KEEP_DEFAULT


@pytest.mark.parametrize("name", list(ODD_INPUTS))
def test_explain_has_one_row_per_line(cleaner, name):
    data = ODD_INPUTS[name]
    doc = Document.from_bytes(data)
    rows = cleaner.explain(data).split(b"\n")
    assert rows[-1] == b""
    rows = rows[:-1]
    assert len(rows) == len(doc)
    results = cleaner.classify(doc)
    for row, r in zip(rows, results):
        assert row[:1] == (b"+" if r.kept else b"-")
        assert row.endswith(r.text.encode("utf-8", "surrogateescape"))
        if r.label is not None:
            assert row.split()[1] == r.label.value.encode()


def test_explain_of_the_page(cleaner):
    rows = cleaner.explain(PAGE.encode()).decode().splitlines()
    assert rows[4].startswith("+ body ") and rows[4].endswith(P1)
    assert rows[0].startswith("- ") and rows[0].endswith("Home | News | Local | Sport")
    assert sum(row.startswith("+") for row in rows) == 5  # three paragraphs and the two blanks between


# ------------------------------------------------------------ the policy, with scripted probabilities


LABELS = (Label.BODY, Label.HEADING, Label.TITLE, Label.NAV, Label.SHARE)


class ScriptedModel(Model):
    """Probabilities looked up by line text: the policy's decisions without a trained model."""

    def __init__(self, table: dict[str, list[float]]):
        self.labels, self.meta = LABELS, {}  # no stages: predict_proba below replaces them
        self.table = table

    def predict_proba(self, texts):
        return np.array([self.table[t] for t in texts], dtype=np.float64).reshape(len(texts), len(LABELS))

    def predict_proba_batch(self, docs):
        return [self.predict_proba(texts) for texts in docs]


SCRIPT = {
    #                 body  head  title  nav  share
    "Strong body.": [0.95, 0.00, 0.00, 0.05, 0.00],
    "Weak body.": [0.40, 0.00, 0.00, 0.60, 0.00],
    "Headline": [0.05, 0.00, 0.90, 0.05, 0.00],
    "Tied body": [0.40, 0.20, 0.00, 0.40, 0.00],
    "Share": [0.30, 0.10, 0.00, 0.25, 0.35],
    "Menu": [0.02, 0.00, 0.00, 0.98, 0.00],
}


def _scripted(**policy) -> Cleaner:
    return Cleaner(ScriptedModel(SCRIPT), **policy)


def test_threshold_zero_keeps_every_non_blank_line():
    text = "Menu\n\nHeadline\nWeak body.\n\nShare\nStrong body."
    assert _scripted(threshold=0.0).clean(text) == text


def test_threshold_decides():
    text = "Menu\nStrong body.\nWeak body.\nTied body"
    assert _scripted().clean(text) == "Strong body.\nTied body"
    assert _scripted(threshold=0.4).clean(text) == "Strong body.\nWeak body.\nTied body"
    assert _scripted(threshold=0.9).clean(text) == "Strong body.\n"


def test_extra_kept_labels():
    text = "Headline\nStrong body.\nMenu"
    assert _scripted().clean(text) == "Strong body.\n"
    assert _scripted(keep=KEEP_DEFAULT | {Label.TITLE}).clean(text) == "Headline\nStrong body.\n"


def test_classify_picks_the_best_label_on_each_side():
    results = _scripted().classify("Tied body\nShare\nMenu")
    assert [(r.label, r.kept) for r in results] == [(Label.BODY, True), (Label.SHARE, False), (Label.NAV, False)]
    assert results[0].keep_score == pytest.approx(0.6)
    assert results[1].probability == pytest.approx(0.35)


def test_rescue_keeps_the_best_lines_of_a_document_without_clear_body():
    # nothing reaches 0.5, but "Share" (0.40) and "Weak body." (0.40) are the best: kept
    assert _scripted().clean("Menu\nShare\nWeak body.") == "Share\nWeak body."


def test_no_rescue_for_an_all_noise_document():
    cleaner = Cleaner(ScriptedModel({"Menu": SCRIPT["Menu"], "Login": [0.1, 0.0, 0.0, 0.9, 0.0]}))
    assert cleaner.clean("Menu\nLogin") == ""


def test_raising_the_threshold_never_keeps_more_lines():
    text = "Strong body.\nTied body\nMenu"
    kept = [len(_scripted(threshold=t).clean(text).splitlines()) for t in (0.5, 0.9, 0.95, 1.0)]
    assert kept == sorted(kept, reverse=True), kept


def test_dedupe_compares_stripped_lines():
    text = "Strong body.\n  Strong body.  \nMenu"
    cleaner = Cleaner(ScriptedModel({**SCRIPT, "  Strong body.  ": SCRIPT["Strong body."]}))
    assert cleaner.clean(text) == "Strong body.\n"


# ------------------------------------------------------------ arguments (issue 11, item 6)


@pytest.mark.parametrize("threshold", [2, -0.1, 1.5, float("nan"), "precison", "0.7"])
def test_a_threshold_outside_0_to_1_or_the_presets_is_refused(threshold):
    with pytest.raises(ValueError, match=r"number from 0 to 1 or a preset name \('precision', 'recall'\)"):
        _scripted(threshold=threshold)


@pytest.mark.parametrize("threshold", [None, True, [0.5], b"0.5"])
def test_a_threshold_that_is_not_a_number_is_a_type_error(threshold):
    with pytest.raises(TypeError, match="threshold takes a number from 0 to 1"):
        _scripted(threshold=threshold)


def test_thresholds_0_and_1_and_numpy_numbers_are_allowed():
    assert _scripted(threshold=np.float32(0.4)).policy.threshold == pytest.approx(0.4)
    assert _scripted(threshold=1).clean("Strong body.\nMenu") == ""
    assert _scripted(threshold=0).policy.threshold == 0.0


def test_a_misspelt_label_to_keep_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match=r"keep: unknown label 'titel' \(valid: body, heading, title, "):
        _scripted(keep={"body", "titel"})


def test_keep_refuses_labels_the_model_does_not_have(make_constant_model, monkeypatch):
    """keep={"share"} with a model without that label (the HTML model has 7 of the 12) kept none of its lines, silently."""
    model = make_constant_model({Label.BODY: 0.6, Label.NAV: 0.4})
    model.meta["name"] = "mine"
    with pytest.raises(ValueError, match=r"^keep: the model mine has no labels title, share, so it would keep none of "
                                         r"those lines; its labels: body, nav$"):
        Cleaner(model, keep={"body", "share", "title"})
    with pytest.raises(ValueError, match=r"the model mine has no label heading,"):
        Cleaner(model, keep="heading")  # nothing of it at all
    assert Cleaner(model).clean("A line.") == "A line."  # the default labels: those the model has
    with pytest.raises(ValueError, match=r"^keep: the model html has no label nav,"):
        Cleaner("html", keep={"body", "nav"})
    # with no model named HTML pages go to the HTML model, unless it lacks a kept label: then to the default one
    assert Cleaner().page_model.meta["name"] == "html"
    assert Cleaner(keep={"body", "legal"}).page_model.meta["name"] == "default"
    assert Cleaner("default", keep={"body", "legal"}).policy.keep == {Label.BODY, Label.LEGAL}
    with pytest.raises(ValueError, match=r"the model mine \(for HTML pages\) has no label title"):
        Cleaner("default", keep={"body", "title"}, page_model=model)


def test_keep_takes_label_members_and_names_alike():
    text = "Headline\nStrong body.\nMenu"
    by_member = _scripted(keep={Label.BODY, Label.HEADING, Label.TITLE})
    by_name = _scripted(keep=["body", "Heading", " title"])
    assert by_member.policy == by_name.policy
    assert by_name.clean(text) == "Headline\nStrong body.\n"
    assert _scripted(keep="body,title").policy.keep == {Label.BODY, Label.TITLE}


@pytest.mark.parametrize("keep, error", [(set(), ValueError), (None, TypeError), (3, TypeError), ({"body", 3}, TypeError),
                                         (b"body", TypeError), ({"body": True}, TypeError)])
def test_keep_that_names_no_labels_is_refused(keep, error):
    with pytest.raises(error, match="keep"):
        _scripted(keep=keep)


def test_model_and_dedupe_types_are_checked():
    with pytest.raises(TypeError, match="model takes a Model, a model directory or None"):
        Cleaner(3)
    with pytest.raises(TypeError, match="dedupe takes True or False"):
        _scripted(dedupe="no")
    with pytest.raises(TypeError, match="site_memory takes a SiteMemory, its file .* or None, not int"):
        _scripted(site_memory=3)  # np.load read 3 as a file descriptor: "Bad file descriptor"


@pytest.mark.parametrize("method, argument, hint", [
    ("clean", b"Strong body.", "for bytes use clean_bytes()"),
    ("clean", None, "not NoneType"),
    ("classify", 42, "not int"),
    ("clean_bytes", "Strong body.", "for str use clean()"),
    ("explain", None, "not NoneType"),
    ("explain", "Strong body.", "for str use classify(), or explain(text.encode())"),  # not clean(): no table
])
def test_text_of_the_wrong_type_says_what_to_pass(method, argument, hint):
    with pytest.raises(TypeError, match=f"{method}\\(\\) takes the text as .*{re.escape(hint)}"):
        getattr(_scripted(), method)(argument)


@pytest.mark.parametrize("one_text", ["Strong body.\nMore.", b"Strong body."])
def test_clean_many_refuses_one_text(one_text):
    with pytest.raises(TypeError, match="clean_many\\(\\) takes an iterable of texts, not one text"):
        _scripted().clean_many(one_text)


@pytest.mark.parametrize("texts, message", [
    (None, "clean_many() takes an iterable of texts (str), not NoneType"),
    (42, "clean_many() takes an iterable of texts (str), not int"),
    (["Strong body.", None], "clean_many() takes the text as a str, not NoneType (text 1, from 0)"),
    ((t for t in ["Strong body.", "Strong body.", 3.5]), "clean_many() takes the text as a str, not float (text 2, from 0)"),
])
def test_clean_many_says_which_text_is_not_one(texts, message):
    """A pipeline's generator of texts with a missing one: a TypeError naming it, not 'object is not iterable'."""
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        list(_scripted().clean_many(texts))


@pytest.mark.parametrize("method", ["clean_documents", "classify_many"])
@pytest.mark.parametrize("docs, message", [
    (["Strong body."], "takes noisecut.Document objects, not str (item 0, from 0); for texts use clean_many() or classify(), "
                       "or make one with Document.from_text()"),
    ([Document.from_text("Strong body."), None], "takes noisecut.Document objects, not NoneType (item 1, from 0)"),
    ("Strong body.", "takes an iterable of noisecut.Document objects, not one str; for texts use clean_many()"),
    (Document.from_text("Strong body."), "takes an iterable of noisecut.Document objects, not one Document; "
                                         "for one document use clean_document()"),
    (None, "takes an iterable of noisecut.Document objects, not NoneType"),
])
def test_document_methods_refuse_what_is_not_a_document(method, docs, message):
    """Not an AttributeError from deep in the batching ('str' object has no attribute 'lines')."""
    with pytest.raises(TypeError, match=f"^{re.escape(method + '() ' + message)}$"):
        list(getattr(_scripted(), method)(docs))


def test_clean_document_refuses_a_text():
    with pytest.raises(TypeError, match="^clean_document\\(\\) takes noisecut.Document objects, not str; for texts use clean_many"):
        _scripted().clean_document("Strong body.")


def test_a_cleaner_reused_from_threads_gives_what_it_gives_alone(cleaner):
    """One Cleaner shared by a thread pool (a web service, a pipeline's thread workers) over many calls."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"Home | News | Sport\nStory {i}: the council met on Tuesday and agreed the new library budget for the year.\n"
             f"Share this article\n{'More words here. ' * (i % 5)}\n" for i in range(40)]
    alone = [cleaner.clean(t) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        shared = list(pool.map(cleaner.clean, texts * 5))
        many = list(pool.map(lambda chunk: list(cleaner.clean_many(iter(chunk))), [texts[i:i + 7] for i in range(0, 40, 7)]))
    assert shared == alone * 5
    assert [t for chunk in many for t in chunk] == alone


def test_module_clean_refuses_none(constant_model_dir, monkeypatch):
    monkeypatch.setattr(noisecut.cleaner, "_default", Cleaner(constant_model_dir))
    with pytest.raises(TypeError, match="clean\\(\\) takes the text as a str, not NoneType"):
        noisecut.clean(None)


# ------------------------------------------------------------ threshold presets (issue 11, item 14)


def _with_presets(**presets) -> Model:
    model = ScriptedModel(SCRIPT)
    model.meta = {"presets": {**presets, "chosen_on": "a test"}}
    return model


def test_a_preset_name_uses_the_threshold_the_model_records():
    model = _with_presets(precision=0.9, recall=0.3)
    text = "Menu\nStrong body.\nWeak body.\nTied body"
    assert Cleaner(model, threshold="precision").policy.threshold == 0.9
    assert Cleaner(model, threshold="precision").clean(text) == "Strong body.\n"
    assert Cleaner(model, threshold="recall").clean(text) == "Strong body.\nWeak body.\nTied body"


def test_a_model_without_presets_refuses_a_preset_name():
    with pytest.raises(ValueError, match="the model records no 'recall' threshold preset"):
        _scripted(threshold="recall")


def test_the_shipped_model_records_both_presets():
    from noisecut.model import default_model_dir
    from noisecut.policy import PRESETS

    presets = Model.load(default_model_dir()).meta["presets"]
    assert presets["precision"] > 0.5 > presets["recall"]
    assert {name: Cleaner(threshold=name).policy.threshold for name in PRESETS} == {name: presets[name] for name in PRESETS}
    # chosen on dev with a twin that never saw it (the shipped model trained on dev too)
    assert "dev split" in presets["chosen_on"] and "trained on other data" in presets["chosen_on"]
