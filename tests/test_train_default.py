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
