"""The HTML model (issue 16 part 3): a sequence model reading the markup beside the text.

A tiny model is trained here the way ``models/html`` is: a generated corpus
(pages, their html_text rendering labeled by construction), its markup rows
written by ``training.build_markup``, trained by ``training.train_html
--markup``. On its pages the body and the related stories are sentences of
one generator in one random order, so only the markup (``<article>`` or
``<aside class="related">``) tells them apart.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
html_text = pytest.importorskip("html_text")
pytest.importorskip("lxml")

from noisecut import Cleaner  # noqa: E402
from noisecut.batching import probabilities  # noqa: E402
from noisecut.cli import main  # noqa: E402
from noisecut.document import Document  # noqa: E402
from noisecut.errors import NoiseCutError  # noqa: E402
from noisecut.io.html import render_document  # noqa: E402
from noisecut.labeled import LabeledDocument, write as write_labeled  # noqa: E402
from noisecut.labels import Label  # noqa: E402
from noisecut.markup import FEATURES, MARKUP_VERSION, PLAIN_TEXT, document_markup  # noqa: E402
from noisecut.model import Model, model_dir  # noqa: E402
from noisecut.parallel import payload  # noqa: E402

WORDS = ("river council school market winter station garden harbour museum bridge library street village "
         "teacher farmer doctor worker driver family budget season weather island forest valley castle "
         "opened closed built moved grew raised planned counted visited repaired painted crossed").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(14, 24))]
    return " ".join(words).capitalize() + "."


def page(article: list[str], aside: list[str], article_first: bool) -> str:
    """A page: a menu, the article and a related-stories box (in either order), a footer."""
    body = "<main><article>" + "".join(f"<p>{p}</p>" for p in article) + "</article></main>"
    related = '<aside class="related">' + "".join(f"<p>{p}</p>" for p in aside) + "</aside>"
    middle = body + related if article_first else related + body
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head><body>'
            '<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>'
            f"{middle}<footer><p>Copyright 2024 Example News</p></footer></body></html>")


def random_page(rng: random.Random) -> tuple[str, list[str], list[str]]:
    article = [sentence(rng) for _ in range(rng.randint(2, 4))]
    aside = [sentence(rng) for _ in range(rng.randint(2, 4))]
    return page(article, aside, rng.random() < 0.5), article, aside


def labeled(html: str, article: list[str], aside: list[str], site: str) -> LabeledDocument:
    doc = Document.from_text(html_text.extract_text(html))
    labels = []
    for line in doc.lines:
        text = line.strip()
        labels.append(None if not text else Label.BODY if text in article else Label.RELATED if text in aside
                      else Label.LEGAL if text.startswith("Copyright") else Label.NAV)
    return LabeledDocument(doc, labels, {"site": site})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    """A datasets root (``gen/input``, ``gen/GoldStandard``) and its labeled corpus with markup rows."""
    from training import build_markup

    root, corpus = tmp_path_factory.mktemp("datasets"), tmp_path_factory.mktemp("corpus")
    rng = random.Random(7)
    for number in range(48):
        html, article, aside = random_page(rng)
        name = f"p{number:02d}"
        (root / "gen" / "input").mkdir(parents=True, exist_ok=True)
        (root / "gen" / "GoldStandard").mkdir(parents=True, exist_ok=True)
        (root / "gen" / "input" / f"{name}.html").write_text(html, encoding="utf-8")
        (root / "gen" / "GoldStandard" / f"{name}.txt").write_text("\n".join(article) + "\n", encoding="utf-8")
        folder = corpus / "train" / "gen" / "html_text"
        folder.mkdir(parents=True, exist_ok=True)
        write_labeled(labeled(html, article, aside, f"site{number % 8}"), folder / f"{name}.lines")
    assert build_markup.main(["--corpus", str(corpus), "--datasets-root", str(root), "--splits", "train"]) == 0
    return root, corpus


@pytest.fixture(scope="module")
def html_model_dir(corpus, tmp_path_factory) -> Path:
    from training import train_html

    output = tmp_path_factory.mktemp("models") / "tiny-html"
    assert train_html.main(["--corpus", str(corpus[1]), "--markup", "--splits", "train", "--output", str(output)]) == 0
    return output


@pytest.fixture(scope="module")
def html_model(html_model_dir) -> Model:
    return Model.load(html_model_dir)


def fresh_pages(count: int, seed: int = 99) -> list[tuple[str, list[str], list[str]]]:
    rng = random.Random(seed)
    return [random_page(rng) for _ in range(count)]


# ------------------------------------------------------------------ corpus and training


def test_build_markup_writes_one_row_per_line_beside_each_lines_file(corpus):
    from noisecut.markup import rows_path

    path = next((corpus[1] / "train" / "gen" / "html_text").glob("*.lines"))
    rows = np.load(rows_path(path))
    lines = [line for line in path.read_text(encoding="utf-8").split("\n")[:-1] if not line.startswith("#")]
    assert rows.dtype == np.float32 and rows.shape == (len(lines), len(FEATURES))
    home = next(i for i, line in enumerate(lines) if line.endswith("\tHome"))
    body = next(i for i, line in enumerate(lines) if line.startswith("body\t"))
    assert rows[home, FEATURES.index("link_density")] == 1 and rows[home, FEATURES.index("tag_nav")] == 1
    assert rows[body, FEATURES.index("in_main")] == 1 and rows[body, FEATURES.index("link_density")] == 0


def test_evaluate_scores_the_line_labels_ceiling_beside_noisecut(corpus):
    """The ceiling column keeps exactly the lines the aligned gold keeps: on these pages, the gold itself."""
    from training import evaluate
    from training.datasets import iter_pages

    evaluate._init(None, evaluate.KEEP_DEFAULT, evaluate.THRESHOLD_DEFAULT)
    records = [r for page in iter_pages(corpus[0], ["gen"], limit=3) for r in evaluate.score_page((page, ("html_text",), False))]
    assert len(records) == 3
    for record in records:
        scores = record["scores"]
        assert scores[evaluate.CEILING]["f1"] == pytest.approx(1.0)
        assert scores["none"]["precision"] < 1.0  # the menu, the related stories and the footer: not gold
    table = evaluate.format_table(evaluate.summarize(records))
    header = table.splitlines()[0]
    assert header.index("c4_rules") < header.index(evaluate.CEILING) < header.index("noisecut line keep F1")  # last system


def test_error_and_reliability_reports_read_the_pages_markup_rows(corpus, html_model_dir):
    """training.calibration (and training.errors, which reads its output) give the HTML model each
    html_text rendering's markup rows, as `noisecut evaluate` does, and the text model the lines alone."""
    from training import calibration

    pages = calibration.classify_split(corpus[1], "train", html_model_dir, jobs=1)
    text = calibration.classify_split(corpus[1], "train", None, jobs=1)
    assert len(pages) == len(text) == 48 and [d.lines for d in pages] == [d.lines for d in text]
    keep = next(d for d in pages if d.kept.any())
    assert set(keep.gold[i] for i in np.flatnonzero(keep.kept)) <= {Label.BODY, Label.TITLE, Label.HEADING}


def test_cross_validation_leaves_a_fold_of_the_train_sites_out(corpus, tmp_path):
    from training import train_html

    output = tmp_path / "fold0"
    assert train_html.main(["--corpus", str(corpus[1]), "--markup", "--splits", "train", "--leave-out-fold", "0/2",
                            "--output", str(output)]) == 0
    training = Model.load(output).meta["training"]
    assert training["left_out_fold"] == "0/2" and "--leave-out-fold 0/2" in training["recipe"]
    # the fixture's 48 pages cycle through site0..site7; sites 3, 5 and 7 (buckets 30, 28, 2) are fold 0 of 2
    assert sum(training["corpus_documents"].values()) == 48 - 3 * 6


def test_html_model_records_what_it_reads_and_round_trips(html_model_dir, html_model, tmp_path):
    meta = json.loads((html_model_dir / "model.json").read_text())
    assert meta["inputs"] == ["text", "markup"] and meta["markup_version"] == MARKUP_VERSION
    assert meta["markup_features"] == list(FEATURES) and "test" not in meta["training"]["split"].split(" (")[0]
    assert html_model.reads_markup and html_model.sequence.inputs > len(FEATURES)
    assert "| inputs | text features and markup features (markup version" in (html_model_dir / "MODEL_CARD.md").read_text()
    html, _, _ = fresh_pages(1)[0]
    doc = render_document(html)
    content = doc.content_indices()
    texts, markup = [doc.lines[i] for i in content], document_markup(doc, content)
    html_model.save(tmp_path / "again")
    again = Model.load(tmp_path / "again")
    np.testing.assert_array_equal(again.predict_proba(texts, markup), html_model.predict_proba(texts, markup))


def test_only_the_markup_tells_the_article_from_the_related_stories(html_model):
    """Two pages with the same rendered text: the article and the related box trade places in the markup."""
    cleaner = Cleaner(html_model)
    right = wrong = 0
    for _, first, second in fresh_pages(6):
        one, other = page(first, second, True), page(second, first, False)  # same text, same order
        assert html_text.extract_text(one) == html_text.extract_text(other)
        for html, article, aside in ((one, first, second), (other, second, first)):
            kept = cleaner.clean_document(render_document(html)).splitlines()
            right += sum(p in kept for p in article) + sum(p not in kept for p in aside)
            wrong += sum(p not in kept for p in article) + sum(p in kept for p in aside)
    assert right >= 0.9 * (right + wrong), (right, wrong)


def test_batched_probabilities_equal_one_document_at_a_time(html_model):
    docs = [render_document(html) for html, _, _ in fresh_pages(7, seed=5)]
    docs.insert(3, render_document("<html><body></body></html>"))  # an empty page shares the batch
    contents = [doc.content_indices() for doc in docs]
    texts = [[doc.lines[i] for i in content] for doc, content in zip(docs, contents)]
    markup = [document_markup(doc, content) for doc, content in zip(docs, contents)]
    together = html_model.predict_proba_batch(texts, markup)
    grouped = probabilities(html_model, texts, lines=20, markup=markup)  # several groups, longest first
    for t, m, p, g in zip(texts, markup, together, grouped):
        alone = html_model.predict_proba(t, m)
        np.testing.assert_allclose(p, alone, atol=1e-6)
        np.testing.assert_allclose(g, alone, atol=1e-6)
    cleaner = Cleaner(html_model)
    assert list(cleaner.clean_documents(docs)) == [cleaner.clean_document(doc) for doc in docs]


def test_long_documents_in_windows_read_their_own_markup_rows(html_model):
    """A document longer than the window runs in windows: each window gets the rows of its own lines."""
    html = page([sentence(random.Random(n)) for n in range(30)], [sentence(random.Random(100 + n)) for n in range(30)], True)
    doc = render_document(html)
    content = doc.content_indices()
    texts, markup = [doc.lines[i] for i in content], document_markup(doc, content)
    windowed = probabilities(html_model, [texts], window=30, overlap=10, markup=[markup])[0]
    whole = html_model.predict_proba(texts, markup)
    keep = html_model.columns(frozenset({Label.BODY, Label.HEADING}))
    assert ((windowed[:, keep].sum(1) >= 0.5) == (whole[:, keep].sum(1) >= 0.5)).mean() >= 0.9
    with pytest.raises(ValueError, match="markup"):
        probabilities(html_model, [texts], window=30, overlap=10)


def test_workers_get_the_page_with_the_lines(html_model_dir, tmp_path):
    """-j 2: a markup model's documents go to the worker processes with their page; the
    output is -j 1's. (Pages go with the lines only for such a model: ``parallel.payload``.)"""
    pages = tmp_path / "pages"
    pages.mkdir()
    for n, (html, _, _) in enumerate(fresh_pages(70, seed=11)):  # over IN_PROCESS_BELOW: workers start
        (pages / f"p{n:02d}.html").write_text(html, encoding="utf-8")
    runner = CliRunner()
    outputs = [runner.invoke(main, ["clean", "-q", "-m", str(html_model_dir), "-j", jobs, str(pages)], catch_exceptions=False)
               for jobs in ("1", "2")]
    assert [r.exit_code for r in outputs] == [0, 0], outputs[1].stderr
    assert outputs[0].stdout == outputs[1].stdout and outputs[0].stdout.strip()
    doc = render_document(fresh_pages(1, seed=11)[0][0])
    assert payload(doc)[3] is None and payload(doc, with_html=True)[3] == doc.html


# ------------------------------------------------------------------ the command line


def test_clean_an_html_page_with_the_html_model(html_model_dir, tmp_path):
    html, article, aside = fresh_pages(1, seed=3)[0]
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "-m", str(html_model_dir), str(tmp_path / "page.html")], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    kept = result.stdout.splitlines()
    assert all(p in kept for p in article) and not any(p in kept for p in aside)
    assert "Home" not in kept and "<p>" not in result.stdout


def test_every_html_input_reaches_the_html_model_with_its_page(html_model_dir, html_model, tmp_path):
    """A directory, a JSONL HTML field and WARC responses: each page cleaned as the library cleans it."""
    pages = fresh_pages(3, seed=21)
    cleaner = Cleaner(html_model)
    expected = [cleaner.clean_document(render_document(html)) for html, _, _ in pages]
    assert all(article[0] in text and aside[0] not in text for text, (_, article, aside) in zip(expected, pages))
    runner = CliRunner()

    def clean(*args):
        result = runner.invoke(main, ["clean", "-q", "-m", str(html_model_dir), *map(str, args)], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result

    folder = tmp_path / "site"
    folder.mkdir()
    for number, (html, _, _) in enumerate(pages):
        (folder / f"p{number}.html").write_text(html, encoding="utf-8")
    clean(folder, "-o", tmp_path / "out")
    assert [(tmp_path / "out" / f"p{n}.txt").read_text(encoding="utf-8") for n in range(3)] == expected
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_text("".join(json.dumps({"id": n, "html": html}) + "\n" for n, (html, _, _) in enumerate(pages)))
    assert [json.loads(line)["text"] for line in clean(jsonl, "--html-field", "html").stdout.splitlines()] == expected
    pytest.importorskip("warcio")
    from test_html import write_warc

    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, [(f"https://example.com/{n}", "text/html; charset=utf-8", html.encode()) for n, (html, _, _) in enumerate(pages)])
    assert [json.loads(line)["text"] for line in clean(warc).stdout.splitlines()] == expected


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_the_html_model_refuses_plain_text_naming_the_fix(html_model_dir, tmp_path, where):
    text = "\n".join(BODY_TEXT) + "\n"
    (tmp_path / "page.txt").write_text(text, encoding="utf-8")
    args = ["clean", "-m", str(html_model_dir)] + ([str(tmp_path / "page.txt")] if where == "file" else [])
    result = CliRunner().invoke(main, args, input=text if where == "stdin" else None, catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout == ""
    (message,) = result.stderr.splitlines()
    assert "reads HTML markup and this input is plain text" in message and "-m default" in message
    with pytest.raises(NoiseCutError, match="plain text"):
        Cleaner(html_model_dir).clean(text)


def test_evaluating_the_html_model_on_plain_text_names_the_file(html_model_dir, tmp_path):
    labeled = tmp_path / "page.lines"
    labeled.write_text("".join(f"body\t{line}\n" for line in BODY_TEXT), encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "-m", str(html_model_dir), str(labeled)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {labeled}: the model ") and "reads HTML markup" in result.stderr


def test_on_error_skip_leaves_plain_text_out_and_cleans_the_pages(html_model_dir, html_model, tmp_path):
    html, article, _ = fresh_pages(1)[0]
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.html").write_text(html, encoding="utf-8")
    (folder / "b.txt").write_text("\n".join(BODY_TEXT) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "-m", str(html_model_dir), "--on-error", "skip", str(folder)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == Cleaner(html_model_dir).clean_document(render_document(html))
    assert "skipped b.txt: plain text; the model reads HTML markup" in result.stderr and "1 record skipped" in result.stderr


BODY_TEXT = ["The council voted on Tuesday to build fourteen miles of protected cycle lanes after two years of debate."]


def test_the_text_model_on_html_never_computes_markup(cleaner, tmp_path, monkeypatch):
    """The default (text) model on HTML input: the text-only path, as before the HTML model."""
    import noisecut.markup

    def refuse(*args, **kwargs):
        raise AssertionError("the text model computed markup features")

    monkeypatch.setattr(noisecut.markup, "markup_features", refuse)
    html, article, _ = fresh_pages(1, seed=4)[0]
    doc = render_document(html)
    assert not cleaner.model.reads_markup
    assert cleaner.clean_document(doc) == cleaner.clean(html_text.extract_text(html) + "\n")


def test_a_model_whose_inputs_do_not_fit_is_refused(html_model_dir, tmp_path):
    import shutil

    changed = tmp_path / "changed"
    shutil.copytree(html_model_dir, changed)
    meta = json.loads((changed / "model.json").read_text())
    meta["inputs"] = ["text"]  # the arrays still read the markup columns
    (changed / "model.json").write_text(json.dumps(meta))
    with pytest.raises(NoiseCutError, match=r"inputs, this noisecut computes \d+ for a model reading text; retrain"):
        Model.load(changed)
    meta["inputs"], meta["markup_version"] = ["text", "markup"], MARKUP_VERSION + 1
    (changed / "model.json").write_text(json.dumps(meta))
    with pytest.raises(NoiseCutError, match="markup feature version"):
        Model.load(changed)


def test_fine_tuning_a_markup_model_is_refused(html_model_dir, corpus, tmp_path):
    lines = next((corpus[1] / "train" / "gen" / "html_text").glob("*.lines"))
    result = CliRunner().invoke(main, ["train", "--from", str(html_model_dir), "-o", str(tmp_path / "out"), str(lines)],
                                catch_exceptions=False)
    assert result.exit_code == 1 and "--from fine-tunes a text model; this one reads HTML markup" in result.stderr
    assert "tune the text model instead (--from fast, the default)" in result.stderr


def test_shipped_models_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert model_dir("default") == model_dir(None) == model_dir("accurate")  # -m accurate: the default's old name
    assert model_dir("fast") == Path(__file__).resolve().parents[1] / "models" / "fast"
    shipped = Path(__file__).resolve().parents[1] / "models" / "html"
    if (shipped / "model.json").exists():
        assert model_dir("html") == shipped and Model.load("html").reads_markup
    else:
        with pytest.raises(NoiseCutError, match="no 'html' model ships with this noisecut"):
            model_dir("html")
    (tmp_path / "html").mkdir()  # a folder of pages named html does not hide the shipped model
    if (shipped / "model.json").exists():
        assert model_dir("html") == shipped
    (tmp_path / "html" / "model.json").write_text("{}", encoding="utf-8")  # a model directory of that name wins
    assert model_dir("html") == Path("html")


SHIPPED_HTML = Path(__file__).resolve().parents[1] / "models" / "html"
needs_shipped_html = pytest.mark.skipif(not (SHIPPED_HTML / "model.json").exists(), reason="no models/html in this checkout")


def test_shipped_models_by_name_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    html, article, aside = fresh_pages(1, seed=8)[0]
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    runner = CliRunner()
    named = runner.invoke(main, ["clean", "-q", "-m", "default", "page.html"], catch_exceptions=False)
    assert named.exit_code == 0 and named.stdout == Cleaner("default").clean_document(render_document(html))
    result = runner.invoke(main, ["clean", "-q", "-m", "html", "page.html"], catch_exceptions=False)
    if (SHIPPED_HTML / "model.json").exists():
        assert result.exit_code == 0 and article[0] in result.stdout
    else:
        assert result.exit_code == 1 and "no 'html' model ships with this noisecut" in result.stderr


def probabilities_of(cleaner: Cleaner, doc: Document) -> list[float]:
    return [r.keep_score for r in cleaner.classify(doc) if r.label is not None]


@needs_shipped_html
def test_with_no_model_named_pages_go_to_the_html_model_and_text_to_the_default(monkeypatch):
    """``Cleaner()``: a document rendered from a page gets the shipped HTML model's verdicts, a text the
    default model's, also in one batch; ``-m default`` (or any named model) reads both as text did before."""
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    html, article, _ = fresh_pages(1, seed=5)[0]
    page, text = render_document(html), Document.from_text("\n".join(BODY_TEXT) + "\nShare this article\n")
    auto, shipped_html, default = Cleaner(), Cleaner("html"), Cleaner("default")
    assert auto.page_model.reads_markup and not auto.model.reads_markup and auto.needs_pages
    assert probabilities_of(auto, page) == probabilities_of(shipped_html, page) != probabilities_of(default, page)
    assert probabilities_of(auto, text) == probabilities_of(default, text)
    assert list(auto.clean_documents([page, text, page])) == [shipped_html.clean_document(page), default.clean_document(text),
                                                               shipped_html.clean_document(page)]
    assert not default.needs_pages and probabilities_of(default, page) == probabilities_of(Cleaner(page_model="default"), page)


@needs_shipped_html
def test_the_html_model_is_loaded_for_the_first_page_only(monkeypatch):
    import noisecut.cleaner

    loads = []
    real = noisecut.cleaner.shipped_page_model
    monkeypatch.setattr(noisecut.cleaner, "shipped_page_model", lambda: loads.append(1) or real())
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    cleaner = Cleaner()
    cleaner.clean("\n".join(BODY_TEXT) + "\n")
    assert loads == []
    pages = [render_document(html) for html, _, _ in fresh_pages(2, seed=7)]
    assert list(cleaner.clean_documents(pages)) == list(Cleaner("html").clean_documents(pages)) and loads == [1]


@needs_shipped_html
def test_a_preset_is_each_models_own_with_no_model_named(tmp_path, monkeypatch):
    """`--precision`/`--recall` with no -m: pages get the HTML model's preset threshold, text the default model's."""
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    html_presets, text_presets = Model.load("html").meta["presets"], Model.load("default").meta["presets"]
    for preset in ("precision", "recall"):
        auto = Cleaner(threshold=preset)
        assert auto._page_route().policy.threshold == html_presets[preset] != text_presets[preset] == auto.policy.threshold
    html = fresh_pages(1, seed=9)[0][0]  # a page the HTML model cleans differently at the text model's preset
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    text = "Home | News\n" + "\n".join(BODY_TEXT) + "\n"
    (tmp_path / "page.txt").write_text(text, encoding="utf-8")
    runner = CliRunner()
    page_out = runner.invoke(main, ["clean", "-q", "--precision", str(tmp_path / "page.html")], catch_exceptions=False)
    text_out = runner.invoke(main, ["clean", "-q", "--precision", str(tmp_path / "page.txt")], catch_exceptions=False)
    page = render_document(html)
    assert page_out.stdout == Cleaner("html", threshold=html_presets["precision"]).clean_document(page)
    assert page_out.stdout != Cleaner("html", threshold=text_presets["precision"]).clean_document(page)
    assert text_out.stdout == Cleaner("default", threshold=text_presets["precision"]).clean(text)


def test_a_model_named_by_noisecut_model_cleans_pages_and_text_alike(model_dir, model, monkeypatch):
    monkeypatch.setenv("NOISECUT_MODEL", str(model_dir))
    page = render_document(fresh_pages(1, seed=6)[0][0])
    cleaner = Cleaner()
    assert cleaner.page_model is cleaner.model and not cleaner.needs_pages
    assert cleaner.clean_document(page) == Cleaner(model).clean_document(page)


@needs_shipped_html
def test_a_mixed_directory_with_no_model_named_in_one_process_and_in_workers(tmp_path, monkeypatch):
    """Pages through the HTML model and text files through the default one, -j 1 and -j 2 alike
    (the workers get each page with its lines)."""
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    folder = tmp_path / "mixed"
    folder.mkdir()
    pages = fresh_pages(70, seed=12)  # over IN_PROCESS_BELOW: workers start
    for n, (html, _, _) in enumerate(pages):
        (folder / f"p{n:02d}.html").write_text(html, encoding="utf-8")
    text = "Home | News | Sport\n" + "\n".join(BODY_TEXT) + "\n"
    (folder / "notes.txt").write_text(text, encoding="utf-8")
    runner = CliRunner()
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = runner.invoke(main, ["clean", "-q", "-j", jobs, str(folder), "-o", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert (out / "p00.txt").read_text(encoding="utf-8") == Cleaner("html").clean_document(render_document(pages[0][0]))
        assert (out / "notes.txt").read_text(encoding="utf-8") == Cleaner("default").clean(text)
    assert sorted(p.read_bytes() for p in (tmp_path / "out1").iterdir()) == sorted(p.read_bytes() for p in (tmp_path / "out2").iterdir())


def test_plain_text_message_is_documented():
    root = Path(__file__).resolve().parents[1]
    fixed = PLAIN_TEXT.split("{model}")[1].split(";")[0]
    assert fixed in (root / "docs" / "troubleshooting.md").read_text() and fixed in (root / "README.md").read_text()


@needs_shipped_html
def test_evaluate_scores_imported_pages_as_clean_does(tmp_path, monkeypatch):
    """import-gold writes the markup rows of each html_text rendering beside its labeled file; `noisecut
    evaluate` with no -m then scores those pages with the HTML model, as `noisecut clean page.html` cleans
    them, and `-m default` with the text model."""
    pytest.importorskip("trafilatura", reason="import-gold runs training/ with the training extras")
    from noisecut.evaluate import evaluate_labeled, format_report
    from noisecut.markup import rows_path

    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    site = tmp_path / "my-pages" / "site"
    (site / "input").mkdir(parents=True)
    (site / "GoldStandard").mkdir()
    pages = fresh_pages(3, seed=31)
    for n, (html, article, _) in enumerate(pages):
        (site / "input" / f"p{n}.html").write_text(html, encoding="utf-8")
        (site / "GoldStandard" / f"p{n}.txt").write_text("\n".join(article) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import-gold", str(tmp_path / "my-pages"), "-o", str(tmp_path / "mine"), "--split",
                                       "none", "--gold-format", "plain", "--renderers", "html_text,inscriptis", "-j", "1"])
    assert result.exit_code == 0, result.output
    html_text_files = sorted((tmp_path / "mine" / "site" / "html_text").glob("*.lines"))
    assert len(html_text_files) == 3 and all(rows_path(p).exists() for p in html_text_files)
    assert not list((tmp_path / "mine" / "site" / "inscriptis").glob("*.npy"))  # the HTML model reads html_text's
    folder = tmp_path / "mine" / "site" / "html_text"
    # each model's own precision preset tells which one cleaned (on pages this clean the two may agree line by line)
    auto, html_model, text_model = (evaluate_labeled(m, [folder], threshold="precision") for m in (None, "html", "default"))
    assert auto.thresholds == html_model.thresholds != text_model.thresholds
    assert auto.predicted == html_model.predicted and auto.text == html_model.text
    # pages (html_text, with rows) and text (inscriptis) together: each model's own precision preset, and the
    # report's header names both
    mixed = evaluate_labeled(None, [tmp_path / "mine" / "site"], threshold="precision")
    presets = {Model.load(name).meta["presets"]["precision"] for name in ("html", "default")}
    assert mixed.thresholds == tuple(sorted(presets)) and len(presets) == 2
    assert f"thresholds {', '.join(f'{t:g}' for t in sorted(presets))}: each model's own" in format_report(mixed)
    assert evaluate_labeled("default", [tmp_path / "mine" / "site"], threshold="precision").thresholds == (
        Model.load("default").meta["presets"]["precision"],)
    for path in html_text_files:
        rows_path(path).unlink()
    no_rows = evaluate_labeled(None, [folder], threshold="precision")  # no rows: text, the text model
    assert no_rows.thresholds == text_model.thresholds and no_rows.predicted == text_model.predicted
    np.save(rows_path(html_text_files[0]), np.zeros((2, len(FEATURES)), np.float32))
    with pytest.raises(NoiseCutError, match="markup rows for .* lines"):
        evaluate_labeled(None, [folder])
