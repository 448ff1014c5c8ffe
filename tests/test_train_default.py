"""training.train_default: --datasets keeps only the folders named; --extra and --weight reach training."""
from training.train_default import corpus_documents


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
    for dataset in ("l3s-gn1", "wcxb-dev"):
        path = corpus / "train" / dataset / "html_text" / "a.lines"
        path.parent.mkdir(parents=True)
        path.write_text(f"# dataset: {dataset}\nbody\tA page of {dataset} with one sentence.\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "p.lines").write_text("nav\tHome | Shop\nbody\tOur shop opens at nine on weekdays.\n", encoding="utf-8")
    seen = {}

    class Trained(Exception):
        pass

    def fake_fit(docs, weights, data_summary, **_):
        seen.update(lines=[d.doc.lines[-1] for d in docs], weights=weights, summary=data_summary)
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
    for bad in (["--extra", str(tmp_path / "nowhere")], ["--extra", f"{mine}=heavy"], ["--weight", "cleaneval=2"]):
        with pytest.raises(SystemExit) as stop:
            train_default.main(["--corpus", str(corpus), "--splits", "train", *bad])
        assert stop.value.code == 2
    assert not (tmp_path / "out").exists()
