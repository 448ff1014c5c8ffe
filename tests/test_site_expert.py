"""A fine-tuned model is a site expert: its tuned stage cleans the pages of its site, the base stage every other page."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from noisecut import Cleaner
from noisecut.batching import probabilities
from noisecut.cleaner import explain_table
from noisecut.cli import main
from noisecut.document import Document
from noisecut.features import feature_names
from noisecut.labeled import parse, write
from noisecut.labels import LABELS
from noisecut.model import ARRAYS, Model, SiteExpert
from noisecut.parallel import CleanerSpec, Output, clean_documents
from noisecut.sites import site_fingerprint
from noisecut.stages import SequenceStage

PLACES = ["library", "swimming pool", "bus depot", "market hall", "park", "museum", "school", "harbour"]
# each site's template: menus, footers, share rows (lines of 12 characters or more, as a fingerprint keeps)
GAZETTE = ["Harbourside Gazette: news, sport and what's on", "Sign up for the Harbourside newsletter",
           "Share this story with your friends", "© 2025 Harbourside Gazette. All rights reserved."]
COURIER = ["The Millbrook Courier front page", "Sign up for the Harbourside newsletter",  # one line in common
           "Follow the Courier on every platform", "Millbrook Courier Ltd, registered in England"]


def page(template: list[str], number: int) -> list[tuple[str, str]]:
    """A page of a made-up local news site: (label, line) rows, the template around the story."""
    place = PLACES[number % len(PLACES)]
    return [("nav", template[0]),
            ("title", f"Council backs plan for the {place}"),
            ("body", f"The council voted on Tuesday to spend more on the {place}, after a year of talks with residents."),
            ("body", f"Work on the {place} is due to start in March, once contracts have been signed ({number})."),
            ("legal", template[1]), ("share", template[2]), ("legal", template[3])]


def text_of(rows) -> list[str]:
    return [line for _, line in rows]


def labeled(rows, number: int):
    return parse(f"# id: p{number}\n" + "".join(f"{label}\t{line}\n" for label, line in rows))


def random_stage(seed: int, projection: int = 6, hidden: int = 4) -> SequenceStage:
    rng = np.random.default_rng(seed)
    n, c = len(feature_names()), len(LABELS)
    return SequenceStage(np.zeros(n), np.ones(n), rng.normal(scale=0.3, size=(n, projection)), rng.normal(size=projection),
                         rng.normal(size=(2, projection, 3 * hidden)), rng.normal(size=(2, 3 * hidden)),
                         rng.normal(size=(2, hidden, 3 * hidden)), rng.normal(size=(2, 3 * hidden)),
                         rng.normal(size=(projection + 2 * hidden, c)), rng.normal(size=c))


def test_renderings_of_one_page_count_as_one_page_in_the_fingerprint():
    from noisecut.sites import line_hashes

    def rendering(number: int, renderer: str):
        rows = page(GAZETTE, number)
        return parse(f"# id: p{number}/{renderer}\n# dataset: gazette\n# name: p{number}\n"
                     + "".join(f"{label}\t{line}\n" for label, line in rows))

    two_pages = [rendering(n, r) for n in range(2) for r in ("html_text", "inscriptis")]
    np.testing.assert_array_equal(site_fingerprint(two_pages), line_hashes(GAZETTE))  # not each page's own story
    one_page = [rendering(0, r) for r in ("html_text", "inscriptis")]  # one page: its noise lines, as a single rendering
    np.testing.assert_array_equal(site_fingerprint(one_page), site_fingerprint(one_page[:1]))


@pytest.fixture(scope="module")
def stages():
    base = random_stage(0)
    tuned = random_stage(0)
    tuned.out_b = tuned.out_b + np.random.default_rng(1).normal(scale=3.0, size=len(LABELS))  # clearly another answer
    return base, tuned


@pytest.fixture(scope="module")
def models(stages):
    """(base model, tuned-everywhere model, routed model), the routed one fingerprinting five Gazette pages."""
    base, tuned = stages
    fingerprint = site_fingerprint([labeled(page(GAZETTE, n), n) for n in range(5)])
    return (Model(LABELS, sequence=base), Model(LABELS, sequence=tuned),
            Model(LABELS, sequence=base, site=SiteExpert(tuned, fingerprint)))


def test_the_fingerprint_is_the_template_the_pages_share():
    five = [labeled(page(GAZETTE, n), n) for n in range(5)]
    from noisecut.sites import line_hashes

    np.testing.assert_array_equal(site_fingerprint(five), line_hashes(GAZETTE))  # story lines differ from page to page
    one = site_fingerprint(five[:1])  # a single page: its lines labeled as noise
    np.testing.assert_array_equal(one, line_hashes(GAZETTE + ["Council backs plan for the library"]))
    from noisecut.sites import fingerprint

    pages = [text_of(page(GAZETTE, n))[:6 if n < 2 else 7] + ["Home", "About us"] for n in range(5)]
    np.testing.assert_array_equal(fingerprint(pages), line_hashes(GAZETTE))  # "Home", "About us": on many sites
    np.testing.assert_array_equal(fingerprint(pages, size=3), line_hashes(GAZETTE[:3]))  # the last is on 3 pages, not 5


def test_other_sites_get_the_base_model_exactly_and_the_site_the_tuned_stage(models):
    base, everywhere, routed = models
    courier, gazette = text_of(page(COURIER, 9)), text_of(page(GAZETTE, 7))  # pages the fingerprint never saw
    assert routed.site.shared_lines(courier) == 1 and not routed.site.recognises(courier)
    np.testing.assert_array_equal(routed.predict_proba(courier), base.predict_proba(courier))
    np.testing.assert_array_equal(routed.predict_proba(gazette), everywhere.predict_proba(gazette))
    assert np.abs(everywhere.predict_proba(courier) - base.predict_proba(courier)).max() > 0.05  # the stages differ
    # in one batch, each document as alone
    together = routed.predict_proba_batch([courier, gazette, [], courier[:3]])
    np.testing.assert_allclose(together[0], base.predict_proba(courier), atol=1e-6)
    np.testing.assert_allclose(together[1], everywhere.predict_proba(gazette), atol=1e-6)
    assert together[2].shape == (0, len(LABELS))
    assert routed.routes([courier, gazette, [], GAZETTE[:2]]).tolist() == [False, True, False, True]


def test_a_saved_site_expert_loads_and_routes_the_same(models, tmp_path):
    _, _, routed = models
    routed.save(tmp_path / "m")
    loaded = Model.load(tmp_path / "m")
    assert loaded.meta["site_gate"]["fingerprint_lines"] == len(GAZETTE) and "site.sequence" in loaded.meta["layers"]
    assert loaded.site.fingerprint.dtype == np.uint64
    np.testing.assert_array_equal(loaded.site.fingerprint, routed.site.fingerprint)
    assert "fingerprint" in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    for rows in (page(COURIER, 9), page(GAZETTE, 7)):
        np.testing.assert_array_equal(loaded.predict_proba(text_of(rows)), routed.predict_proba(text_of(rows)))


def test_a_model_without_a_site_expert_loads_and_cleans_as_before(models, tmp_path):
    base, _, _ = models
    base.save(tmp_path / "old")
    with np.load(tmp_path / "old" / ARRAYS) as npz:
        assert not [key for key in npz.files if key.startswith("site.")]
    loaded = Model.load(tmp_path / "old")
    assert loaded.site is None and "site_gate" not in loaded.meta and not loaded.routes([GAZETTE]).any()
    text = "\n".join(text_of(page(GAZETTE, 7)))
    assert Cleaner(loaded).classify(text) == Cleaner(base).classify(text)


def test_batched_windowed_and_parallel_cleaning_route_as_one_document_alone(models, tmp_path):
    base, everywhere, routed = models
    routed.save(tmp_path / "m")
    docs = [Document.from_text("\n".join(text_of(page(GAZETTE if n % 3 else COURIER, n))), f"d{n}") for n in range(70)]
    cleaner = Cleaner(tmp_path / "m")
    alone = [explain_table(cleaner.classify(doc)) for doc in docs]
    expected = [explain_table(Cleaner(everywhere if n % 3 else base).classify(doc)) for n, doc in enumerate(docs)]
    assert alone == expected
    assert [explain_table(r) for r in cleaner.classify_many(docs)] == alone
    pooled = clean_documents(docs, CleanerSpec(str(tmp_path / "m")), jobs=2, output=Output(explain=True), chunk=8)
    notes = [f"# site expert {'used: this page has 4' if n % 3 else 'not used: this page has 1'} of its 4 fingerprint lines "
             "(it needs 2)\n" for n in range(len(docs))]  # --explain says which stage cleaned the page
    assert [text for _, text, _ in pooled] == [note + table for note, table in zip(notes, alone)]
    assert Cleaner(base).site_note(docs[0]) is None
    no_template = Model(base.labels, sequence=base.sequence, site=SiteExpert(everywhere.sequence, []))
    assert Cleaner(no_template).site_note(docs[0]) == ("site expert not used: its labeled pages share no lines, "
                                                       "so no page is recognised as theirs")
    assert cleaner.explain("\n".join(text_of(page(GAZETTE, 1))).encode()).decode() == notes[1] + alone[1]
    # a document read in windows is routed as a whole: its template lines are all in its last window
    story = text_of(page(GAZETTE, 1))[1:4] * 30
    long = story + GAZETTE
    windowed = probabilities(routed, [long], window=40, overlap=10)[0]
    np.testing.assert_allclose(windowed, probabilities(everywhere, [long], window=40, overlap=10)[0], atol=1e-6)


def test_cli_from_routes_by_default_and_everywhere_applies_the_tuned_stage_to_every_page(stages, tmp_path):
    pytest.importorskip("torch")
    base, _ = stages
    Model(LABELS, sequence=base, meta={"name": "base"}).save(tmp_path / "base")
    (tmp_path / "pages").mkdir()
    for n in range(5):
        write(labeled(page(GAZETTE, n), n), tmp_path / "pages" / f"p{n}.lines")
    tuning = ["--anchor", "0", "--tune", "all"]  # the same tuning both ways
    runs, runs_output = {}, {}
    for name, extra in (("routed", []), ("everywhere", ["--everywhere"])):
        result = CliRunner().invoke(main, ["train", "--from", str(tmp_path / "base"), *tuning, *extra,
                                           "-o", str(tmp_path / name), str(tmp_path / "pages")])
        assert result.exit_code == 0, result.output
        runs[name], runs_output[name] = Model.load(tmp_path / name), result.output
    routed, everywhere = runs["routed"], runs["everywhere"]
    assert f"used on pages sharing 2 of the {len(GAZETTE)} lines your pages have in common" in runs_output["routed"]
    assert everywhere.site is None and "site_gate" not in everywhere.meta
    np.testing.assert_array_equal(routed.sequence.out_w, base.out_w)  # the base stage, as it was
    np.testing.assert_allclose(everywhere.sequence.out_w, routed.site.sequence.out_w, atol=1e-6)
    courier, gazette = text_of(page(COURIER, 9)), text_of(page(GAZETTE, 7))
    base_model = Model.load(tmp_path / "base")
    np.testing.assert_array_equal(routed.predict_proba(courier), base_model.predict_proba(courier))
    np.testing.assert_allclose(routed.predict_proba(gazette), everywhere.predict_proba(gazette), atol=1e-6)
    assert np.abs(everywhere.predict_proba(courier) - base_model.predict_proba(courier)).max() > 1e-4  # tuned on every page
    # tuned further on another site's pages: the same base stage, an expert for both sites
    (tmp_path / "more").mkdir()
    for n in range(3):
        write(labeled(page(COURIER, n), n), tmp_path / "more" / f"q{n}.lines")
    result = CliRunner().invoke(main, ["train", "--from", str(tmp_path / "routed"), "-o", str(tmp_path / "both"),
                                       str(tmp_path / "more")])
    assert result.exit_code == 0, result.output
    both = Model.load(tmp_path / "both")
    np.testing.assert_array_equal(both.sequence.out_w, base.out_w)
    assert both.routes([courier, gazette]).tolist() == [True, True]


def test_cli_from_says_when_the_pages_share_too_few_lines_for_any_page_to_be_recognised(stages, tmp_path):
    pytest.importorskip("torch")
    base, _ = stages
    Model(LABELS, sequence=base, meta={"name": "base"}).save(tmp_path / "base")
    (tmp_path / "pages").mkdir()
    # one page: its noise lines of 12 characters or more are the fingerprint, here one
    rows = [("nav", "Menu"), ("body", "The council voted on Tuesday to spend more on the library."),
            ("body", "Work is due to start in March, once contracts have been signed."),
            ("share", "Share this story with your friends")]
    write(labeled(rows, 0), tmp_path / "pages" / "p0.lines")
    result = CliRunner().invoke(main, ["train", "--from", str(tmp_path / "base"), "-o", str(tmp_path / "tuned"),
                                       str(tmp_path / "pages")])
    assert result.exit_code == 0, result.output
    assert "your pages share 1 of the 2 lines a page needs to be recognised, so no page will use the tuned weights" in result.output
    tuned = Cleaner(Model.load(tmp_path / "tuned"))
    assert tuned.site_note(Document.from_text("\n".join(text_of(rows)))).startswith("site expert not used")


def test_cli_everywhere_needs_from(tmp_path):
    result = CliRunner().invoke(main, ["train", "--everywhere", "-o", str(tmp_path / "m"), str(tmp_path)])
    assert result.exit_code == 2 and "--everywhere applies a --from model's tuned weights; add --from MODEL" in result.output


def test_site_gate_check_counts_routed_and_false_routes(tmp_path, capsys):
    from training import site_gate_check

    folder = tmp_path / "dev" / "blogs" / "html_text"
    folder.mkdir(parents=True)
    template = ["nav\tHome | Archive | About the author of this blog", "legal\tAll words on this blog (c) 2025 River Notes"]
    for n in range(8):
        (folder / f"river-{n}.lines").write_text(
            f"# id: river-{n}\n# dataset: blogs\n# site: river.example\n{template[0]}\n"
            f"body\tEntry {n}: the river rose {n + 2} feet overnight and the ferry stopped running.\n{template[1]}\n",
            encoding="utf-8")
    for n in range(3):
        (folder / f"other-{n}.lines").write_text(
            f"# id: other-{n}\n# dataset: blogs\n# site: other{n}.example\nnav\tHome | Shop | Contact us today\n"
            f"body\tA shop page number {n} about garden tools and seeds for the spring.\n", encoding="utf-8")
    assert site_gate_check.main(["--corpus", str(tmp_path), "--split", "dev"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 sites: 3/3 held-out pages routed; 0/3 false routes"


def html_page(template: list[str], number: int) -> str:
    """``page`` as an HTML page: the template in a header and a footer, the story in an article."""
    rows = page(template, number)
    story = "".join(f"<h1>{line}</h1>" if label == "title" else f"<p>{line}</p>" for label, line in rows[1:3 + 1])
    footer = "".join(f"<p>{line}</p>" for _, line in rows[4:])
    return (f"<!doctype html><html><head><title>{rows[1][1]}</title></head><body><header><nav><a href='/'>{rows[0][1]}</a>"
            f"</nav></header><main><article>{story}</article></main><footer>{footer}</footer></body></html>")


def test_a_site_expert_leaves_other_sites_pages_to_the_html_model(models, tmp_path, monkeypatch):
    """Named as the model, a site expert cleans its site's pages (HTML or text) itself, and other sites' text
    with its base stage; other sites' pages go to the shipped HTML model, as with no model named."""
    pytest.importorskip("html_text")
    pytest.importorskip("lxml")
    from noisecut.io.html import render_document
    from noisecut.model import shipped_model_dir

    try:
        shipped_model_dir("html")
    except Exception:
        pytest.skip("this install has no HTML model")
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    base, everywhere, routed = models
    routed.save(tmp_path / "expert")
    gazette, courier = render_document(html_page(GAZETTE, 7)), render_document(html_page(COURIER, 9))
    assert GAZETTE[0] in gazette.lines and routed.site.recognises(gazette.lines) and not routed.site.recognises(courier.lines)
    expert, html = Cleaner(tmp_path / "expert"), Cleaner("html")
    assert expert.needs_pages and expert.page_model.reads_markup
    assert expert.classify(gazette) == Cleaner(everywhere).classify(gazette)  # its site: the tuned stage, as text
    assert expert.classify(courier) == html.classify(courier) != Cleaner(base).classify(courier)
    courier_text = Document.from_text("\n".join(courier.lines))  # the same lines as text: the base stage
    assert expert.classify(courier_text) == Cleaner(base).classify(courier_text)
    assert list(expert.clean_documents([courier, gazette, courier_text])) == [
        html.clean_document(courier), Cleaner(everywhere).clean_document(gazette), Cleaner(base).clean_document(courier_text)]
    assert expert.site_note(courier) == ("site expert not used: this page has 1 of its 4 fingerprint lines (it needs 2); "
                                         "the HTML model cleans it")
    no_template = Model(base.labels, sequence=base.sequence, site=SiteExpert(everywhere.sequence, []))
    assert Cleaner(no_template).site_note(courier) == ("site expert not used: its labeled pages share no lines, so no page "
                                                       "is recognised as theirs; the HTML model cleans it")
    # both models given (as Ray's actors get them), and $NOISECUT_MODEL naming the expert, do the same
    both = Cleaner(Model.load(tmp_path / "expert"), page_model=expert.page_model)
    assert [both.classify(d) for d in (courier, gazette)] == [html.classify(courier), Cleaner(everywhere).classify(gazette)]
    monkeypatch.setenv("NOISECUT_MODEL", str(tmp_path / "expert"))
    assert Cleaner().classify(courier) == html.classify(courier)
    # -j 1 and -j 2 (the workers get the pages)
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(70):  # over IN_PROCESS_BELOW: workers start
        (folder / f"p{n:02d}.html").write_text(html_page(COURIER if n % 2 else GAZETTE, n), encoding="utf-8")
    cleaned = {}
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["clean", "-q", "-j", jobs, str(folder), "-o", str(tmp_path / f"out{jobs}")])
        assert result.exit_code == 0, result.output
        cleaned[jobs] = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / f"out{jobs}").iterdir()}
    assert cleaned["1"] == cleaned["2"]
    assert cleaned["1"]["p01.txt"] == html.clean_document(render_document(html_page(COURIER, 1)))
    assert cleaned["1"]["p02.txt"] == Cleaner(everywhere).clean_document(render_document(html_page(GAZETTE, 2)))


def expert_tuned_from_fast(tuned: SequenceStage) -> Model:
    """A site expert as `train --from` makes it with no model named: `-m fast`'s stage as its base, ``tuned`` for
    the Gazette's pages (skips where this install has no -m fast)."""
    from noisecut.model import shipped_model_dir

    try:
        fast = Model.load(shipped_model_dir("fast"))
    except Exception:
        pytest.skip("this install has no -m fast")
    fingerprint = site_fingerprint([labeled(page(GAZETTE, n), n) for n in range(5)])
    return Model(fast.labels, sequence=fast.sequence, site=SiteExpert(tuned, fingerprint),
                 meta={"training": {"fine_tuned_from": {"name": "fast", "sha256": fast.meta["sha256"]}}})


def test_a_site_expert_tuned_from_the_fast_model_leaves_other_text_to_the_default_model(stages, tmp_path, monkeypatch):
    """`train --from` tunes `-m fast` unless told otherwise; other sites' text then goes to the shipped default
    model (as with no model named), which cleans it better than the expert's base. An expert tuned from any
    other base keeps that base for other text (the test above)."""
    monkeypatch.delenv("NOISECUT_MODEL", raising=False)
    _, tuned = stages
    expert = expert_tuned_from_fast(tuned)
    expert.save(tmp_path / "expert")
    gazette, courier = ("\n".join(text_of(page(t, 7))) for t in (GAZETTE, COURIER))
    cleaner, default = Cleaner(tmp_path / "expert"), Cleaner("default")
    assert cleaner.other_text_model.meta["sha256"] == default.model.meta["sha256"]
    assert cleaner.classify(courier) == default.classify(courier) != Cleaner("fast").classify(courier)
    assert cleaner.classify(gazette) == Cleaner(Model(LABELS, sequence=tuned)).classify(gazette)  # its site: tuned
    assert cleaner.explain(courier.encode()).decode().splitlines()[0] == (
        "# site expert not used: this page has 1 of its 4 fingerprint lines (it needs 2); the default model cleans it")
    monkeypatch.setenv("NOISECUT_MODEL", str(tmp_path / "expert"))  # named by $NOISECUT_MODEL: the same
    assert Cleaner().classify(courier) == default.classify(courier)
    monkeypatch.delenv("NOISECUT_MODEL")
    # as Ray's actors get it, and in -j 2 workers
    given = Cleaner(Model.load(tmp_path / "expert"), other_text_model=cleaner.other_text_model)
    assert given.classify(courier) == default.classify(courier)
    docs = [Document.from_text("\n".join(text_of(page(GAZETTE if n % 2 else COURIER, n))), f"d{n}") for n in range(70)]
    pooled = clean_documents(docs, CleanerSpec(str(tmp_path / "expert")), jobs=2, output=Output(), chunk=8)
    assert [text for _, text, _ in pooled] == list(cleaner.clean_documents(docs))
    assert cleaner.clean_document(docs[0]) == default.clean_document(docs[0])
    # tuned from another base: that base cleans other text
    expert.meta["training"]["fine_tuned_from"]["sha256"] = "0" * 64
    assert Cleaner(expert).classify(courier) == Cleaner("fast").classify(courier)
