"""datatrove and Hugging Face ``datasets``: the real libraries, on the seed pages.

The examples of docs/pipelines.md ("Corpus builders") run as written, in a
subprocess, in a temporary directory laid out like the repository's
(``../shared/seeds`` beside the working directory); their outputs are then
compared with ``noisecut clean`` on the same records. The other tests drive
the same libraries in this process.
"""
from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from noisecut.cleaner import Cleaner
from noisecut.cli import main
from noisecut.document import Document
from noisecut.errors import NoiseCutError

from conftest import assert_site_memory_dropped_the_note

try:
    import datatrove  # noqa: F401
    from datatrove.data import Document as DatatroveDocument
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import JsonlReader, WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    from noisecut.integrations.datatrove import NoiseCutFormatter
except ImportError:
    datatrove = None
try:
    import datasets

    from noisecut.integrations.hf import clean_batch
except ImportError:
    datasets = None
try:
    from nemo_curator.tasks import DocumentBatch

    from noisecut.integrations.nemo_curator import NoiseCutModifier, NoiseCutStage
except ImportError:
    DocumentBatch = None

REPO = Path(__file__).resolve().parents[1]
LABELED = REPO / "labeled"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
DOCS = REPO / "docs" / "pipelines.md"
CORPUS_PART = "# Corpus builders"
WIDGET_LABELS = {"share", "ad", "comments", "nav"}

needs_seeds = pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is absent")
needs_datatrove = pytest.mark.skipif(datatrove is None, reason="datatrove is not installed (noisecut[datatrove])")
needs_datasets = pytest.mark.skipif(datasets is None, reason="datasets is not installed (noisecut[hf])")
needs_nemo = pytest.mark.skipif(DocumentBatch is None, reason="nemo-curator is not installed (noisecut[nemo])")


# -- helpers ---------------------------------------------------------------


def corpus_examples(*sections: str) -> str:
    """The setup block of the "Corpus builders" part of docs/pipelines.md and the blocks of ``sections``, as one script."""
    text = DOCS.read_text(encoding="utf-8")
    part = text[text.index(CORPUS_PART):]
    chunks = re.split(r"^## ", part, flags=re.M)  # chunks[0]: the part's introduction, with the setup block
    chosen = [chunks[0]] + [c for c in chunks[1:] if c.split("\n", 1)[0].strip() in sections]
    assert len(chosen) == len(sections) + 1, f"docs/pipelines.md has no section among {sections}"
    return "\n".join(block for chunk in chosen for block in re.findall(r"```python\n(.*?)```", chunk, flags=re.S))


def run_examples(root: Path, *sections: str) -> Path:
    """Run the examples of ``sections`` as written in ``root/run``, beside ``root/shared/seeds``; return ``root/run``."""
    (root / "shared").mkdir()
    (root / "shared" / "seeds").symlink_to(SHARED_SEEDS)
    run = root / "run"
    run.mkdir()
    script = run / "examples.py"
    script.write_text(corpus_examples(*sections), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HOME=str(root / "hf"), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(script)], cwd=run, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return run


def noisecut_clean(*inputs: Path, output: Path) -> dict[str, dict]:
    """``noisecut clean INPUTS -o OUTPUT`` (JSONL), its records by id."""
    result = CliRunner().invoke(main, ["clean", "-q", "-j", "1", *map(str, inputs), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return {record["id"]: record for record in read_jsonl(output)}


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_folder(folder: Path) -> dict[str, dict]:
    """Every record datatrove's ``JsonlWriter`` wrote in ``folder``, by id."""
    return {record["id"]: record for path in sorted(folder.glob("*.jsonl.gz")) for record in read_jsonl(path)}


def widget_text() -> str:
    """The seeds' short widget lines (Share, Advertisement, Comments, ...) as one document."""
    lines = []
    for path in sorted((LABELED / "seeds").glob("*.lines")):
        for line in path.read_text(encoding="utf-8").splitlines():
            label, _, text = line.partition("\t")
            if label in WIDGET_LABELS and len(text) < 20:
                lines.append(text)
    assert lines
    return "\n".join(lines) + "\n"


def seed_records() -> list[dict]:
    """One record per seed page, a widgets-only record and a blank one."""
    records = [{"id": p.stem, "text": p.read_text(encoding="utf-8"), "source": "seeds"} for p in sorted(SHARED_SEEDS.glob("*.txt"))]
    records.append({"id": "widgets", "text": widget_text(), "source": "labeled"})
    records.append({"id": "blank", "text": "\n \n", "source": "made"})
    return records


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run_pipeline(pipeline: list, logs: Path, tasks: int = 1, workers: int = 1):
    return LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=str(logs)).run()


@pytest.fixture(scope="module")
def cleaner():
    return Cleaner()  # the shipped model, as the examples use


# -- the docs examples, as written -----------------------------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """The datatrove and datasets examples, run as written; their working directory."""
    if not SHARED_SEEDS.is_dir() or datatrove is None or datasets is None:
        pytest.skip("needs ../shared/seeds, datatrove and datasets")
    return run_examples(tmp_path_factory.mktemp("docs"), "datatrove", "Hugging Face datasets")


@needs_seeds
@needs_datatrove
def test_datatrove_example_writes_what_noisecut_clean_writes(examples, cleaner):
    reference = noisecut_clean(*sorted((examples / "docs").glob("*.jsonl")), output=examples / "reference.jsonl")
    assert len(reference) == 5
    written = read_folder(examples / "noisecut-clean")
    assert written  # both workers wrote
    assert {i for i, r in reference.items() if r["text"]} == set(written)
    for id_, record in written.items():
        assert record["text"] == reference[id_]["text"]
        assert record["metadata"]["source"] == "seeds"  # other fields travel in metadata
    # the merged stats of the two tasks count what was cleaned
    stats = json.loads((examples / "noisecut-logs" / "stats.json").read_text())
    step = next(s for s in stats if "noisecut" in s["name"])["stats"]
    originals = {p.stem: p.read_text(encoding="utf-8") for p in SHARED_SEEDS.glob("*.txt")}
    assert step["total"] == 5 and step["forwarded"] == len(written)
    assert step["chars_removed"]["total"] == sum(len(originals[i]) - len(r["text"]) for i, r in reference.items())
    verdicts = [r for text in originals.values() for r in cleaner.classify(text) if r.label is not None]
    assert step["lines_kept"]["total"] == sum(r.kept for r in verdicts)
    assert step["lines_dropped"]["total"] == sum(not r.kept for r in verdicts)
    assert step["lines_dropped"]["total"] > 0


@needs_seeds
@needs_datatrove
def test_warc_example_cleans_what_the_extractor_gives(examples, tmp_path):
    # the same WARC through the extractor alone, then noisecut clean on its output
    run_pipeline([WarcReader(str(examples / "crawl")), Trafilatura(favour_precision=True, timeout=10), JsonlWriter(str(tmp_path / "extracted"))],
                 tmp_path / "logs")
    extracted = read_folder(tmp_path / "extracted")
    assert len(extracted) == 5
    records = [{"id": id_, "text": r["text"]} for id_, r in extracted.items()]
    reference = noisecut_clean(write_jsonl(tmp_path / "extracted.jsonl", records), output=tmp_path / "reference.jsonl")
    written = read_folder(examples / "crawl-clean")
    assert set(written) == {i for i, r in reference.items() if r["text"]}
    for id_, record in written.items():
        assert record["text"] == reference[id_]["text"]
        assert record["metadata"]["url"].startswith("https://example.com/")
    assert any(written[i]["text"] != extracted[i]["text"] for i in written)  # noisecut removed lines


@needs_seeds
@needs_datasets
def test_hf_example_writes_what_noisecut_clean_writes(examples, cleaner):
    reference = noisecut_clean(*sorted((examples / "docs").glob("*.jsonl")), output=examples / "reference-hf.jsonl")
    rows = read_jsonl(examples / "hf-clean.jsonl")
    assert sorted(r["id"] for r in rows) == sorted(reference)
    for row in rows:
        assert row["clean"] == reference[row["id"]]["text"]
        assert row["text"] == (SHARED_SEEDS / f"{row['id']}.txt").read_text(encoding="utf-8")  # the input column is kept
        assert row["source"] == "seeds"
        labels = [r.label.value if r.label else None for r in cleaner.classify(row["text"])]
        assert row["line_labels"] == labels


# -- datatrove, in this process ---------------------------------------------


@needs_seeds
@needs_datatrove
def test_empty_documents_are_dropped_counted_and_written_to_the_exclusion_writer(tmp_path):
    records = seed_records()
    source = write_jsonl(tmp_path / "in.jsonl", records)
    reference = noisecut_clean(source, output=tmp_path / "reference.jsonl")
    empty = {i for i, r in reference.items() if r["text"] == ""}
    assert "blank" in empty
    stats = run_pipeline([JsonlReader(str(source)), NoiseCutFormatter(exclusion_writer=JsonlWriter(str(tmp_path / "empty")), batch_size=3),
                          JsonlWriter(str(tmp_path / "clean"))], tmp_path / "logs")
    written, excluded = read_folder(tmp_path / "clean"), read_folder(tmp_path / "empty")
    assert set(written) == set(reference) - empty
    assert set(excluded) == empty
    originals = {r["id"]: r["text"] for r in records}
    for id_, record in excluded.items():
        assert record["text"] == originals[id_]  # written as it came in
        assert record["metadata"]["filter_reason"] == "empty"
    step = stats.stats[1].stats
    assert step["dropped"].total == step["dropped_empty"].total == len(empty)
    assert step["forwarded"].total == len(written)
    assert step["batches"].total == 3  # 7 documents in chunks of 3


@needs_seeds
@needs_datatrove
def test_drop_empty_false_passes_empty_documents_on(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", seed_records())
    reference = noisecut_clean(source, output=tmp_path / "reference.jsonl")
    run_pipeline([JsonlReader(str(source)), NoiseCutFormatter(drop_empty=False), JsonlWriter(str(tmp_path / "clean"))], tmp_path / "logs")
    written = read_folder(tmp_path / "clean")
    # datatrove's JsonlWriter leaves out empty fields, so an empty text has no "text"
    assert {i: r.get("text", "") for i, r in written.items()} == {i: r["text"] for i, r in reference.items()}


def count_clean_documents_calls(monkeypatch) -> list[int]:
    """Record the number of documents of every ``Cleaner.clean_documents`` call (the list fills as calls come)."""
    calls = []
    original = Cleaner.clean_documents

    def counting(self, docs):
        docs = list(docs)
        calls.append(len(docs))
        return original(self, docs)

    monkeypatch.setattr(Cleaner, "clean_documents", counting)
    return calls


@needs_seeds
@needs_datatrove
def test_formatter_cleans_in_chunks_through_clean_documents(monkeypatch):
    calls = count_clean_documents_calls(monkeypatch)
    step = NoiseCutFormatter(batch_size=2)
    docs = [DatatroveDocument(text=r["text"], id=r["id"], metadata={"n": n}) for n, r in enumerate(seed_records()[:5])]
    out = list(step.run(iter(docs)))
    assert calls == [2, 2, 1]
    assert [d.metadata["n"] for d in out] == list(range(5))  # same objects, same order, metadata kept
    assert [d.text for d in out] == [step.cleaner.clean(r["text"]) for r in seed_records()[:5]]


@needs_datatrove
def test_formatter_pickles_without_its_model(cleaner):
    import dill

    step = NoiseCutFormatter(threshold=0.7, keep="body,heading,title")
    assert step.cleaner is not None  # loaded
    for dumps, loads in ((pickle.dumps, pickle.loads), (dill.dumps, dill.loads)):
        copy = loads(dumps(step))
        assert copy._cleaner is None
        assert (copy.threshold, copy.keep) == (0.7, step.keep)
        assert copy.format("Share\nThe ministers met on Wednesday and discussed trade.\n") == step.format(
            "Share\nThe ministers met on Wednesday and discussed trade.\n")


@needs_datatrove
def test_formatter_rejects_bad_parameters_and_non_text():
    with pytest.raises(NoiseCutError, match="threshold"):
        NoiseCutFormatter(threshold=2)
    with pytest.raises(NoiseCutError, match="batch_size"):
        NoiseCutFormatter(batch_size=0)
    with pytest.raises(NoiseCutError, match="keep"):
        NoiseCutFormatter(keep="bogus")
    with pytest.raises(NoiseCutError, match="'d1'.*NoneType"):
        list(NoiseCutFormatter().run(iter([DatatroveDocument(text=None, id="d1")])))


@needs_datatrove
def test_formatter_site_memory_drops_the_boilerplate_of_a_documents_site(model_dir, site_frame, site_memory_file, tmp_path):
    """``JsonlReader`` puts a record's url in ``metadata["url"]``: the formatter finds its site there and
    writes what ``noisecut clean --site-memory`` writes."""
    import dill

    records = [{"id": f"r{i}", "url": url if isinstance(url, str) else None, "text": text}  # None, not pandas' NaN
               for i, (url, text) in enumerate(zip(site_frame["url"], site_frame["text"]))]
    source = write_jsonl(tmp_path / "crawl.jsonl", records)

    def clean(**options) -> list[str]:
        name = "remembered" if options.get("site_memory") else "plain"
        stats = run_pipeline([JsonlReader(str(source)), NoiseCutFormatter(model=str(model_dir), **options),
                              JsonlWriter(str(tmp_path / name))], tmp_path / f"{name}-logs")
        clean.no_url = stats.stats[1].stats["site_memory_no_url"].total if options.get("site_memory") else None
        return [record["text"] for _, record in sorted(read_folder(tmp_path / name).items(), key=lambda item: int(item[0][1:]))]

    without, remembered = clean(), clean(site_memory=site_memory_file)
    assert_site_memory_dropped_the_note(without, remembered)
    assert clean.no_url == 1  # the record with no URL, counted
    cli = CliRunner().invoke(main, ["clean", "-q", "-j", "1", "-m", str(model_dir), "--site-memory", str(site_memory_file), str(source)])
    assert [json.loads(line)["text"] for line in cli.stdout.splitlines()] == remembered

    step = NoiseCutFormatter(model=str(model_dir), site_memory=site_memory_file, url_field="link")
    docs = [DatatroveDocument(text=r["text"], id=r["id"], metadata={"link": r["url"]}) for r in records]
    data = dill.dumps(step)
    assert len(data) < 4_000  # the memory's path, not its counts
    assert [doc.text for doc in dill.loads(data).run(iter(docs))] == remembered
    with pytest.raises(TypeError, match="site_memory takes a SiteMemory, its file"):
        NoiseCutFormatter(site_memory=3)
    with pytest.raises(NoiseCutError, match="no such site memory"):
        NoiseCutFormatter(site_memory=tmp_path / "missing.npz")


# -- Hugging Face datasets, in this process ---------------------------------


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """Keep the datasets' cache files in the test's directory."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path


@needs_seeds
@needs_datasets
def test_clean_batch_with_num_proc_and_streaming_equals_noisecut_clean(hf_cache, cleaner):
    records = seed_records()
    source = write_jsonl(hf_cache / "in.jsonl", records)
    reference = noisecut_clean(source, output=hf_cache / "reference.jsonl")
    expected = [reference[r["id"]]["text"] for r in records]
    ds = datasets.load_dataset("json", data_files=str(source), split="train", cache_dir=str(hf_cache / "hf-cache"))
    parallel = ds.map(clean_batch, batched=True, batch_size=3, num_proc=2, fn_kwargs={"output_column": "clean"})
    assert parallel.column_names == ["id", "text", "source", "clean"]
    assert parallel["clean"] == expected
    assert parallel["text"] == [r["text"] for r in records]
    stream = datasets.load_dataset("json", data_files=str(source), split="train", streaming=True)
    rows = list(stream.map(clean_batch, batched=True, batch_size=3))
    assert [r["text"] for r in rows] == expected
    assert [(r["id"], r["source"]) for r in rows] == [(r["id"], r["source"]) for r in records]


@needs_seeds
@needs_datasets
def test_clean_batch_labels_column_gives_one_label_per_line(cleaner):
    records = seed_records()
    ds = datasets.Dataset.from_list(records)
    out = ds.map(clean_batch, batched=True, fn_kwargs={"output_column": "clean", "labels_column": "labels"})
    for record, row in zip(records, out):
        verdicts = cleaner.classify(record["text"])
        assert row["labels"] == [r.label.value if r.label else None for r in verdicts]
        assert len(row["labels"]) == len(Document.from_text(record["text"]))
        assert row["clean"] == cleaner.clean(record["text"])


@needs_seeds
@needs_datasets
def test_clean_batch_keeps_missing_values_and_bytes(cleaner):
    text = (SHARED_SEEDS / "002_575c0a324aa6f853.txt").read_text(encoding="utf-8")
    data = text.encode("utf-8").replace(b"Share", b"Sh\xffre")  # invalid UTF-8 in a line
    ds = datasets.Dataset.from_dict({"text": [text, None], "raw": [data, None]})
    out = ds.map(clean_batch, batched=True).map(clean_batch, batched=True, fn_kwargs={"text_column": "raw"})
    assert out["text"] == [cleaner.clean(text), None]
    assert out["raw"] == [cleaner.clean_bytes(data), None]


@needs_datasets
def test_clean_batch_new_columns_after_a_batch_of_missing_texts_need_features_as_documented(cleaner):
    """docs/pipelines.md: a first batch of missing texts leaves a new column typed null, and ``features=``
    types it."""
    from datasets import Features, Value

    text = "Advertisement\nA body paragraph about the talks held on Wednesday at the ministry.\n"
    ds = datasets.Dataset.from_dict({"id": [1, 2, 3], "text": [None, None, text]})
    options = {"output_column": "clean", "labels_column": "line_labels"}
    with pytest.raises(TypeError, match="Couldn't write column 'clean': its type in this file is null"):
        ds.map(clean_batch, batched=True, batch_size=2, fn_kwargs=options, keep_in_memory=True)
    listing = getattr(datasets, "List", datasets.Sequence)
    features = Features({**ds.features, "clean": Value("string"), "line_labels": listing(Value("string"))})
    out = ds.map(clean_batch, batched=True, batch_size=2, fn_kwargs=options, features=features, keep_in_memory=True)
    assert out["clean"] == [None, None, cleaner.clean(text)]
    assert out["line_labels"] == [None, None, [r.label.value if r.label else None for r in cleaner.classify(text)]]


@needs_datasets
def test_clean_batch_errors_name_the_column_and_row():
    with pytest.raises(NoiseCutError, match="no column 'body'"):
        clean_batch({"text": ["a"]}, text_column="body")
    with pytest.raises(NoiseCutError, match="column 'text', row 1: expected str or bytes, got int"):
        clean_batch({"text": ["a", 3]})
    with pytest.raises(NoiseCutError, match="column 'text', row 1: expected str or bytes, got int"):
        clean_batch({"text": ["a", 3]}, labels_column="labels")  # the labels path names the row the same way
    with pytest.raises(NoiseCutError, match="labels_column"):
        clean_batch({"text": ["a"]}, labels_column="text")


# -- NeMo Curator (where noisecut[nemo] is installed) -----------------------


@needs_seeds
@needs_nemo
def test_nemo_example_writes_what_noisecut_clean_writes(tmp_path):
    run = run_examples(tmp_path, "NeMo Curator")
    reference = noisecut_clean(*sorted((run / "docs").glob("*.jsonl")), output=tmp_path / "reference.jsonl")
    rows = [row for path in sorted((run / "curator-clean").glob("*.jsonl")) for row in read_jsonl(path)]
    assert sorted(r["id"] for r in rows) == sorted(reference)
    for row in rows:
        assert row["clean"] == reference[row["id"]]["text"]
        assert row["text"] == (SHARED_SEEDS / f"{row['id']}.txt").read_text(encoding="utf-8")
        assert row["source"] == "seeds"


@needs_seeds
@needs_nemo
def test_nemo_stage_cleans_each_batch_in_one_call_and_drops_empty_on_request(monkeypatch):
    import pandas as pd
    from nemo_curator.stages.text.modifiers import Modify

    calls = count_clean_documents_calls(monkeypatch)
    records = seed_records()
    frame = pd.DataFrame(records)
    batch = DocumentBatch(dataset_name="seeds", data=frame)
    expected = [Cleaner().clean(r["text"]) for r in records]

    stage = NoiseCutStage(output_field="clean")
    stage.setup()
    out = stage.process(batch).to_pandas()
    assert calls == [len(records)]
    assert out["clean"].tolist() == expected
    assert out["text"].tolist() == frame["text"].tolist() and out["id"].tolist() == frame["id"].tolist()

    dropping = NoiseCutStage(drop_empty=True)
    kept = dropping.process(batch).to_pandas()
    assert kept["id"].tolist() == [r["id"] for r, text in zip(records, expected) if text]
    assert "blank" not in kept["id"].tolist()

    modified = Modify(NoiseCutModifier(), input_fields="text").process(batch).to_pandas()
    assert modified["text"].tolist() == expected

    copy = pickle.loads(pickle.dumps(stage))
    assert copy._clean._cleaner is None and copy.output_field == "clean"
