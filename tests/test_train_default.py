"""training.train_default: --datasets keeps only the folders named; --extra, --weight and the teachers reach
training; training.distill_markup's targets."""
from pathlib import Path

from training.train_default import corpus_documents

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "fast"


def test_corpus_documents_keep_only_the_datasets_asked_for(tmp_path):
    for dataset in ("l3s-gn1", "wcxb-dev"):
        path = tmp_path / "train" / dataset / "html_text" / "a.lines"
        path.parent.mkdir(parents=True)
        path.write_text(f"body\tA page of {dataset} with one sentence.\n", encoding="utf-8")
    assert sorted(d.doc.lines[0].split()[3] for d in corpus_documents(tmp_path, ("train",))) == ["l3s-gn1", "wcxb-dev"]
    only = corpus_documents(tmp_path, ("train",), datasets={"l3s-gn1"})
    assert [d.doc.lines[0].split()[3] for d in only] == ["l3s-gn1"]


def test_extra_folders_and_dataset_weights_reach_training(tmp_path, monkeypatch):
    import pytest

    import noisecut.train
    from training import train_default

    corpus = tmp_path / "corpus"
    for dataset, site in (("l3s-gn1", "site3"), ("wcxb-dev", "site2")):  # train folds 0 and 1 of 2 (buckets 30, 42)
        path = corpus / "train" / dataset / "html_text" / "a.lines"
        path.parent.mkdir(parents=True)
        path.write_text(f"# dataset: {dataset}\n# site: {site}\n# renderer: html_text\nbody\tA page of {dataset} with one sentence.\n",
                        encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "p.lines").write_text("nav\tHome | Shop\nbody\tOur shop opens at nine on weekdays.\n", encoding="utf-8")
    seen = {}

    class Trained(Exception):
        pass

    def fake_fit(docs, weights, data_summary, teacher=None, distill=None, **_):
        seen.update(lines=[d.doc.lines[-1] for d in docs], weights=weights, summary=data_summary, teacher=teacher, distill=distill)
        raise Trained

    monkeypatch.setattr(noisecut.train, "fit", fake_fit)
    with pytest.raises(Trained):
        train_default.main(["--corpus", str(corpus), "--splits", "train", "--extra", f"{mine}=5",
                            "--weight", "wcxb-dev=2", "--output", str(tmp_path / "out")])
    weight_of = dict(zip(seen["lines"], seen["weights"]))
    assert weight_of["A page of wcxb-dev with one sentence."] == 2.0
    assert weight_of["A page of l3s-gn1 with one sentence."] == 1.0
    assert weight_of["Our shop opens at nine on weekdays."] == 5.0
    assert seen["summary"]["extra_folders"] == [{"folder": str(mine), "documents": 1, "weight": 5.0}]
    assert seen["teacher"] is None and seen["distill"] is None
    with pytest.raises(Trained):
        train_default.main(["--corpus", str(corpus), "--splits", "train", "--distill-from", str(SHIPPED), "--distill", "0.25"])
    assert seen["teacher"].meta["name"] == "fast" and seen["distill"] == 0.25
    with pytest.raises(Trained):
        train_default.main(["--corpus", str(corpus), "--splits", "train", "--leave-out-fold", "0/2"])
    assert seen["lines"][0] == "A page of wcxb-dev with one sentence." and seen["summary"]["left_out_fold"] == "0/2"
    assert "A page of l3s-gn1 with one sentence." not in seen["lines"]
    from training import distill_markup

    taught = []
    monkeypatch.setattr(distill_markup, "markup_teacher", lambda docs, pages, *args: taught.append(pages) or "teachers")
    with pytest.raises(Trained):
        train_default.main(["--corpus", str(corpus), "--splits", "train", "--distill-markup", "2"])
    assert taught == [[0, 1]] and seen["teacher"] == "teachers" and seen["distill"] == distill_markup.DISTILL
    assert seen["summary"]["distilled_from_markup"] == {"folds": 2, "documents": 2, "weight": distill_markup.DISTILL}
    for bad in (["--extra", str(tmp_path / "nowhere")], ["--extra", f"{mine}=heavy"], ["--weight", "cleaneval=2"],
                ["--distill", "0.5"], ["--distill-from", str(SHIPPED), "--distill", "2"], ["--distill-from", str(mine)],
                ["--distill-from", str(SHIPPED), "--window"], ["--leave-out-fold", "0/1"],
                ["--splits", "train,dev", "--leave-out-fold", "0/2"], ["--leave-out-fold", "0/2", "--distill-from", str(SHIPPED)],
                ["--distill-markup", "1"], ["--distill-markup", "2", "--window"],
                ["--distill-markup", "2", "--distill-from", str(SHIPPED)]):
        with pytest.raises(SystemExit) as stop:
            train_default.main(["--corpus", str(corpus), "--splits", "train", *bad])
        assert stop.value.code == 2
    assert not (tmp_path / "out").exists()


def test_short_crops_are_excerpts_that_start_at_or_just_before_a_line_to_keep():
    from noisecut.labeled import parse
    from noisecut.labels import KEEP_DEFAULT
    from training.train_default import short_crops

    rows = ["nav\tHome | News | Sport"] + [f"body\tParagraph {i} of the story, a full sentence." for i in range(30)]
    rows += ["", "related\tMore stories", "legal\t(c) 2025 Example"]
    page = parse("# site: example.com\n" + "\n".join(rows) + "\n")
    noise_only = parse("nav\tHome\nlegal\t(c) 2025\n")
    crops = short_crops([page] * 200 + [noise_only] * 50, share=0.5, seed=1)
    assert 60 < len(crops) < 140  # about half of the pages with a line to keep; none of the noise-only ones
    for crop in crops:
        start, end = map(int, crop.meta["crop"].split(":"))
        assert 3 <= len(crop.doc.lines) == end - start <= 15 and crop.doc.lines == page.doc.lines[start:end]
        assert crop.labels == page.labels[start:end] and crop.meta["site"] == "example.com"
        first_kept = next(i for i, label in enumerate(crop.labels) if label in KEEP_DEFAULT)
        assert first_kept <= 3 and crop.doc.ends[-1] == ""
    assert short_crops([page] * 20, share=0.0) == []


def test_distilling_from_markup_teachers_gates_and_targets_labels():
    """training.distill_markup: a teacher's probabilities stand where its keep decision agrees with the
    line's label, the label alone where it does not; hand-labeled pages (no markup) learn their labels."""
    import numpy as np

    from noisecut.labeled import parse
    from training.distill_markup import gate, label_targets

    keep = np.array([True, False])  # classes: body, noise
    p = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.8, 0.2]], dtype=np.float32)
    y = np.array([0, 0, 1, -1])  # body kept; body dropped by the teacher; noise dropped; unlabeled
    gated = gate(p, y, keep)
    np.testing.assert_allclose(gated, [[0.9, 0.1], [1, 0], [0.3, 0.7], [0.8, 0.2]])
    np.testing.assert_allclose(p[1], [0.4, 0.6])  # the teacher's own array is left as it was
    hand = parse("body\tThe library opens longer on Sundays.\n\nnoise\tShare this\n")
    np.testing.assert_array_equal(label_targets([hand], ["body", "noise"])[0], [[1, 0], [0, 1]])


def test_training_scripts_write_a_model_all_together(tmp_path, monkeypatch, make_constant_model):
    """train_default, train_html (and distill_markup through it) and average_models wrote model.npz,
    model.json and MODEL_CARD.md one by one: Ctrl-C between them left new arrays under the old digest, a model
    refused as changed. They save as `noisecut train` does, and refuse an output of other files before training."""
    import pytest

    import noisecut.card
    import noisecut.train
    from noisecut.labels import Label
    from noisecut.model import Model
    from training import average_models, train_default, train_html

    corpus = tmp_path / "corpus"
    page = corpus / "train" / "l3s-gn1" / "html_text" / "a.lines"
    page.parent.mkdir(parents=True)
    page.write_text("# site: site3\nbody\tA page of one sentence.\n", encoding="utf-8")
    output = make_constant_model({Label.BODY: 0.7, Label.NAV: 0.3}).save(tmp_path / "old")
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    trained = lambda *args, **kwargs: (make_constant_model({Label.BODY: 0.1, Label.NAV: 0.9}), {})  # noqa: E731
    monkeypatch.setattr(noisecut.train, "fit", trained)
    monkeypatch.setattr(train_html, "corpus_pages", lambda *args, **kwargs: ([page], 0))
    averaged = make_constant_model({Label.BODY: 0.1, Label.NAV: 0.9})
    averaged.meta["estimator"] = {"members": [{}, {}]}  # what average_models reports
    monkeypatch.setattr(average_models, "average_models", lambda *args: averaged)
    runs = {
        "train_default": lambda out: train_default.main(["--corpus", str(corpus), "--splits", "train", "--output", str(out)]),
        "train_html": lambda out: train_html.main(["--corpus", str(corpus), "--splits", "train", "--output", str(out)]),
        "average_models": lambda out: average_models.main([str(output), str(output), "--output", str(out)]),
    }

    def interrupted(meta):
        raise KeyboardInterrupt

    for name, run in runs.items():
        with monkeypatch.context() as patch:
            patch.setattr(noisecut.card, "model_card", interrupted)  # written after model.npz and model.json
            with pytest.raises(KeyboardInterrupt):
                run(output)
        assert {p.name: p.read_bytes() for p in output.iterdir()} == before, name
        assert Model.load(output).meta.get("name") is None, name  # still the old model, and it loads
        assert run(tmp_path / name) == 0 and Model.load(tmp_path / name).labels == (Label.BODY, Label.NAV)
        notes = tmp_path / f"{name}-notes"
        notes.mkdir()
        (notes / "todo.txt").write_text("mine\n", encoding="utf-8")
        with pytest.raises(SystemExit):
            run(notes)
        assert [p.name for p in notes.iterdir()] == ["todo.txt"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
