"""training.evaluate's rows: page types, language groups, the older seven, wcxb's snippet rates."""
import pytest

pytest.importorskip("trafilatura")  # the baselines are training extras
from training import evaluate  # noqa: E402


def test_snippets_are_found_between_word_boundaries_whitespace_and_case_folded():
    text = evaluate._folded("Welcome HOME,  dear\nreader. Homemade bread.")
    assert evaluate.snippet_found("home", text)
    assert evaluate.snippet_found("dear reader", text)  # a line break counts as a space
    assert not evaluate.snippet_found("Homema", text)  # inside a longer word
    assert not evaluate.snippet_found("Login", text)
    assert not evaluate.snippet_found("  ", text)


def test_snippet_counts_count_with_found_and_without_absent():
    meta = {"with": ["the body sentence", "a missing sentence"], "without": ["Login", "Home"]}
    assert evaluate.snippet_counts("Home\nthe body sentence", meta) == [1, 2, 1, 2]
    assert evaluate.snippet_counts("", {"with": ["x"]}) == [0, 1, 0, 0]


def stopped(main, argv, capsys) -> str:
    """What ``main(argv)`` says as it stops with a usage error (exit 2)."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


def test_an_unknown_renderer_stops_the_run_with_the_known_ones_named(capsys):
    err = stopped(evaluate.main, ["--renderers", "html_text,html_txt", "--limit", "1"], capsys)
    assert "unknown renderer(s) html_txt: use inscriptis" in err


def test_record_refuses_renderers_kept_out_of_training(capsys):
    err = stopped(evaluate.main, ["--renderers", "html_text,markdown", "--record"], capsys)
    assert "--record writes the test table of the corpus renderers; leave out --renderers markdown" in err


def test_a_renderer_whose_program_is_missing_stops_the_run_with_its_package_named(capsys, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    err = stopped(evaluate.main, ["--renderers", "html_text,lynx,lynx_refs", "--limit", "1"], capsys)
    assert "renderer(s) lynx, lynx_refs need a program that is not installed (Debian: apt-get install lynx)" in err


def test_presets_name_an_unknown_renderer(capsys):
    from training import presets

    assert "unknown renderer(s) inscripts" in stopped(presets.main, ["--renderers", "inscripts"], capsys)


def test_language_groups():
    assert [evaluate.language_group(code) for code in ("en", "EN-us", "zh", "zh-Hans", "de", "", "ja")] == \
        ["English", "English", "Chinese", "Chinese", "other", "other", "other"]


def record(dataset, lang="en", page_type="", f1=1.0, snippets=None, renderer="r"):
    score = {"precision": f1, "recall": f1, "f1": f1, "support": 1}
    return {"page": f"{dataset}/p", "dataset": dataset, "lang": lang, "renderer": renderer, "page_type": page_type,
            "scores": {"noisecut": score}, "line_pairs": [("body", "body")], "snippets": snippets or {}}


def test_rows_cover_overall_older_seven_dataset_type_language_and_renderer():
    records = [record("dragnet_data", f1=0.8), record("wcxb-dev", page_type="forum", f1=0.4,
                                                     snippets={"noisecut": [1, 2, 3, 4]}),
               record("magic-html", lang="zh", page_type="article", f1=0.6, snippets={})]
    table = evaluate.summarize(records)
    assert list(table)[:2] == [evaluate.OVERALL, evaluate.OLDER]
    assert table[evaluate.OVERALL]["documents"] == 3 and table[evaluate.OLDER]["documents"] == 1
    assert table[evaluate.OLDER]["noisecut"]["f1"] == pytest.approx(0.8)
    assert table[evaluate.OVERALL]["noisecut"]["f1"] == pytest.approx(0.6)
    assert table["type:wcxb-dev/forum"]["noisecut"]["f1"] == pytest.approx(0.4)
    assert table["language:Chinese"]["documents"] == 1 and table["language:English"]["documents"] == 2
    assert "type:dragnet_data/" not in " ".join(table)
    rates = table["dataset:wcxb-dev"]["snippets"]["noisecut"]
    assert (rates["with_found"], rates["without_absent"]) == (0.5, 0.75)
    assert "snippets" not in table["dataset:dragnet_data"]
    assert "type:wcxb-dev/forum" in evaluate.format_table(table).split("snippets")[1]


def test_snippet_rates_pool_snippets_over_documents():
    rates = evaluate.snippet_rates([{"s": [1, 1, 0, 0]}, {"s": [0, 3, 2, 2]}])["s"]
    assert rates == {"with_found": 0.25, "without_absent": 1.0, "with": 4, "without": 2}
    assert evaluate.snippet_rates([{"s": [0, 0, 0, 0]}])["s"]["with_found"] is None


def test_recorded_scores_reach_the_card_and_leave_the_arrays_alone(tmp_path, constant_model_dir):
    import shutil

    directory = tmp_path / "m"
    shutil.copytree(constant_model_dir, directory)
    arrays = (directory / "model.npz").read_bytes()
    table = evaluate.summarize([record("wcxb-dev", page_type="forum", f1=0.5, snippets={"noisecut": [1, 2, 1, 1]})])
    evaluate.record_scores(directory, "test", table)
    card = (directory / "MODEL_CARD.md").read_text()
    assert "## Results on the test split" in card and "| type:wcxb-dev/forum | 1 | 0.500 |" in card
    assert "| type:wcxb-dev/forum | 0.500 / 1.000 |" in card
    assert (directory / "model.npz").read_bytes() == arrays


def test_model_card_shows_recorded_reports_as_sections():
    from noisecut.card import model_card

    card = model_card({"name": "m", "reports": {"Calibration (dev split)": "| bin | lines |\n|---|---|\n| 0.0-0.1 | 3 |\n"}})
    assert "\n## Calibration (dev split)\n\n| bin | lines |\n|---|---|\n| 0.0-0.1 | 3 |\n" in card
    assert card.index("## Held-out scores") < card.index("## Calibration") < card.index("## Use")


def test_compare_reads_what_evaluate_writes_and_resamples_whole_sites(tmp_path):
    from training import compare

    def documents(name, f1_of_site):
        records = []
        for site in ("one.com", "two.com"):
            for i in range(4):
                r = record("dragnet_data", f1=f1_of_site[site])
                r.update(page=f"dragnet_data/{site}-{i}", site=site)
                records.append(r)
        evaluate.write_documents(records, tmp_path / name)
        return compare.read_documents(tmp_path / name, "noisecut")

    a = documents("a.jsonl", {"one.com": 0.8, "two.com": 0.8})
    b = documents("b.jsonl", {"one.com": 1.0, "two.com": 0.8})  # one site gains 0.2, the other nothing
    rows = {r["row"]: r for r in compare.compare(a, b)}
    overall = rows[evaluate.OVERALL]
    assert (overall["documents"], overall["sites"]) == (8, 2)
    assert overall["difference"] == pytest.approx(0.1)
    # whole sites are drawn: two.com twice (a quarter of the draws) gives 0, one.com twice 0.2
    assert (overall["low"], overall["high"]) == (pytest.approx(0.0), pytest.approx(0.2))
    c = documents("c.jsonl", {"one.com": 0.9, "two.com": 0.9})  # the same gain everywhere: no spread
    steady = {r["row"]: r for r in compare.compare(a, c)}[evaluate.OVERALL]
    assert (steady["low"], steady["high"]) == (pytest.approx(0.1), pytest.approx(0.1))
    with pytest.raises(ValueError, match="line 1: .*system 'trafilatura_html'"):
        compare.read_documents(tmp_path / "a.jsonl", "trafilatura_html")


def test_compare_averages_the_draws_of_a_recipe_over_its_folds(tmp_path):
    from training import compare

    def fold(name, sites, f1):
        records = [dict(record("dragnet_data", f1=f1), page=f"dragnet_data/{site}", site=site) for site in sites]
        evaluate.write_documents(records, tmp_path / name)
        return tmp_path / name

    folds = (("one.com", "two.com"), ("three.com",))
    seed0 = [fold(f"s0-{k}.jsonl", sites, 0.7) for k, sites in enumerate(folds)]
    seed1 = [fold(f"s1-{k}.jsonl", sites, 0.9) for k, sites in enumerate(folds)]
    both = compare.read_documents(seed0 + seed1, "noisecut")
    assert sorted(page for page, _ in both) == ["dragnet_data/one.com", "dragnet_data/three.com", "dragnet_data/two.com"]
    assert all(d["f1"] == pytest.approx(0.8) for d in both.values())
    with pytest.raises(ValueError, match="dragnet_data/three.com .* in 1 of the files, other documents in 2"):
        compare.read_documents(seed0 + seed1[:1], "noisecut")  # seed 1 scored on one fold only
    with pytest.raises(ValueError, match="given twice"):
        compare.read_documents(seed0 + seed0[:1], "noisecut")
    assert compare.main([",".join(map(str, seed0)), ",".join(map(str, seed0 + seed1))]) == 0
