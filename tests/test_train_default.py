"""training.train_default's corpus reader: --datasets keeps only the folders named."""
from training.train_default import corpus_documents


def test_corpus_documents_keep_only_the_datasets_asked_for(tmp_path):
    for dataset in ("l3s-gn1", "wcxb-dev"):
        path = tmp_path / "train" / dataset / "html_text" / "a.lines"
        path.parent.mkdir(parents=True)
        path.write_text(f"body\tA page of {dataset} with one sentence.\n", encoding="utf-8")
    assert sorted(d.doc.lines[0].split()[3] for d in corpus_documents(tmp_path, ("train",))) == ["l3s-gn1", "wcxb-dev"]
    only = corpus_documents(tmp_path, ("train",), datasets={"l3s-gn1"})
    assert [d.doc.lines[0].split()[3] for d in only] == ["l3s-gn1"]
