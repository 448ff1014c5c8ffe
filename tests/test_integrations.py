"""noisecut.integrations without a cluster: CleanBatch, pandas, scikit-learn.

The engines themselves (Ray, Dask, Spark) run in ``test_engines.py``.
"""
from __future__ import annotations

import codecs
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from click.testing import CliRunner

from noisecut import Cleaner, Label, NoiseCutError
from noisecut.cli import main
from noisecut.document import Document
from noisecut.integrations.batch import CleanBatch
from noisecut.model import Model
from noisecut.sites import MEMORY_VERSION, SiteMemory

from conftest import assert_site_memory_dropped_the_note

NOISE = [
    "Home | News | Sport | Weather | Contact",
    "Share on Facebook Share on Twitter",
    "Advertisement",
    "Related: Ten things you missed this week ...",
    "© 2021 Example News. All rights reserved. Privacy policy | Cookies",
    "Comments (0)",
]
BODY = [
    "The delegation-level talks between the two countries took place at the ministry on Wednesday morning.",
    "Officials said the ministers discussed trade, energy and regional security over several hours.",
    "Both sides agreed to meet again later this year to review progress on the agreements signed today.",
    "The visit is the first by a foreign minister of that country in nearly a decade, analysts noted.",
]


def documents(n: int = 12) -> list[str]:
    """Small scraped-looking documents: noise lines around body paragraphs, each a little different."""
    docs = []
    for i in range(n):
        body = [f"{BODY[(i + k) % len(BODY)]} (report {i}, part {k})" for k in range(3)]
        lines = [NOISE[i % len(NOISE)], "", f"Talks resume, day {i}", ""] + body + ["", NOISE[(i + 2) % len(NOISE)], NOISE[(i + 4) % len(NOISE)]]
        docs.append("\n".join(lines) + ("\n" if i % 2 else ""))
    return docs


@pytest.fixture(scope="module")
def docs() -> list[str]:
    return documents()


@pytest.fixture
def frame(docs) -> pd.DataFrame:
    return pd.DataFrame(
        {"id": range(len(docs)), "text": docs, "source": [f"site-{i % 3}" for i in range(len(docs))]},
        index=pd.Index([f"doc{i}" for i in range(len(docs))], name="key"),
    )


# -- CleanBatch ------------------------------------------------------------


def test_clean_batch_equals_cleaner_per_row_and_leaves_other_columns(model_dir, cleaner, frame):
    before = frame.copy(deep=True)
    out = CleanBatch(model=model_dir)(frame)
    assert out["text"].tolist() == [cleaner.clean(text) for text in frame["text"]]
    assert list(out.columns) == list(frame.columns)
    pd.testing.assert_index_equal(out.index, frame.index)
    pd.testing.assert_frame_equal(out.drop(columns="text"), frame.drop(columns="text"))
    pd.testing.assert_frame_equal(frame, before)  # the input batch is not modified
    assert any(a != b for a, b in zip(out["text"], frame["text"]))  # something was cleaned


def test_clean_batch_output_column_keeps_the_text(model_dir, cleaner, frame):
    out = CleanBatch(model=model_dir, output_column="clean")(frame)
    assert list(out.columns) == ["id", "text", "source", "clean"]
    assert out["text"].tolist() == frame["text"].tolist()
    assert out["clean"].tolist() == [cleaner.clean(text) for text in frame["text"]]


def test_clean_batch_policy_options_reach_the_cleaner(model, model_dir, frame):
    keep = {Label.BODY, Label.HEADING, Label.TITLE}
    reference = Cleaner(model, keep=keep, threshold=0.3, dedupe=False)
    out = CleanBatch(model=model_dir, keep="body, heading,title", threshold=0.3, dedupe=False)(frame)
    assert out["text"].tolist() == [reference.clean(text) for text in frame["text"]]
    assert CleanBatch(keep=["body", Label.TITLE]).keep == frozenset({Label.BODY, Label.TITLE})


@pytest.mark.parametrize("dtype", [object, "string"])
def test_clean_batch_leaves_missing_text_missing(model_dir, cleaner, dtype):
    frame = pd.DataFrame({"text": ["Home | News\nA body paragraph about the talks held today.", None, ""]}, dtype=dtype)
    out = CleanBatch(model=model_dir)(frame)
    assert out["text"].dtype == frame["text"].dtype
    assert out["text"].iloc[0] == cleaner.clean(frame["text"].iloc[0])
    assert pd.isna(out["text"].iloc[1])
    assert out["text"].iloc[2] == ""


@pytest.mark.parametrize("arrow_type", ["string", "large_string", "binary"])
def test_clean_batch_keeps_an_arrow_text_dtype(model_dir, cleaner, docs, arrow_type):
    """``read_parquet(..., dtype_backend="pyarrow")`` gives ``ArrowDtype`` columns: the cleaned column came
    back as object, for clean_series too (whose docstring promises the string dtype kept)."""
    pa = pytest.importorskip("pyarrow")
    from noisecut.integrations.pandas import clean_series

    dtype = pd.ArrowDtype(getattr(pa, arrow_type)())
    values = [docs[0], None] if "string" in arrow_type else [docs[0].encode(), None]
    series = pd.Series(values, dtype=dtype)
    out = CleanBatch(model=model_dir, output_column="clean")(series.to_frame("text"))
    assert out["clean"].dtype == dtype and out["text"].dtype == dtype
    clean = cleaner.clean if "string" in arrow_type else cleaner.clean_bytes
    assert out["clean"].iloc[0] == clean(values[0]) and pd.isna(out["clean"].iloc[1])
    assert clean_series(series, cleaner=cleaner).dtype == dtype


def test_clean_batch_nan_in_object_column(model_dir):
    out = CleanBatch(model=model_dir)(pd.DataFrame({"text": [np.nan, "Advertisement"]}))
    assert isinstance(out["text"].iloc[0], float) and np.isnan(out["text"].iloc[0])


def test_clean_batch_bytes_come_back_as_bytes_byte_for_byte(model_dir, cleaner, docs):
    raw = [docs[0].encode(), docs[1].replace("day 1", "d\xe9j\xe0").encode("latin-1")]  # the second is not UTF-8
    out = CleanBatch(model=model_dir)(pd.DataFrame({"text": raw}))
    assert out["text"].tolist() == [cleaner.clean_bytes(data) for data in raw]
    assert all(isinstance(value, bytes) for value in out["text"])


def test_clean_batch_gives_utf16_and_utf32_bytes_back_in_their_encoding(model_dir, cleaner, docs):
    """``Cleaner.clean_bytes`` writes a document read with a UTF-16 or UTF-32 byte-order mark back in that
    encoding; CleanBatch (and ``hf.clean_batch`` with it) gave those documents back as UTF-8."""
    from noisecut.integrations.hf import clean_batch

    raw = [docs[0].encode("utf-16"), docs[1].encode("utf-32"), "\ufeff".encode("utf-16-be") + docs[2].encode("utf-16-be"),
           docs[3].encode()]
    expected = [cleaner.clean_bytes(data) for data in raw]
    assert expected[0].startswith(codecs.BOM_UTF16) and expected[1].startswith(codecs.BOM_UTF32)  # what is promised
    assert CleanBatch(model=model_dir)(pd.DataFrame({"text": raw}))["text"].tolist() == expected
    assert clean_batch({"text": raw}, model=model_dir)["text"] == expected


def test_ray_output_decodes_wide_documents_in_their_encoding(tmp_path):
    """Text files read as bytes come back from CleanBatch in their own encoding: Ray's text output writes each
    in it, as ``noisecut clean -o`` does, and its JSONL output decodes it (not as UTF-8)."""
    from noisecut.integrations.ray import _decode_column, write_dataset

    texts = ["\ufeffA body paragraph.\n", "Another paragraph", "Caf\xe9 line.\n"]
    values = [texts[0].encode("utf-16-le"), texts[1].encode("utf-32"), texts[2].encode("utf-8") + b"\xff\n", None]

    class Batches:  # what write_dataset reads of a Ray Dataset
        def iter_batches(self, batch_format):
            assert batch_format == "pandas"
            yield pd.DataFrame({"text": values[:2]})
            yield pd.DataFrame({"text": values[2:]})

    write_dataset(Batches(), tmp_path / "out.txt", "text", "text", decode_bytes=True)
    assert (tmp_path / "out.txt").read_bytes() == (texts[0].encode("utf-16-le") + texts[1].encode("utf-32")
                                                    + b"\n" + values[2])  # the line break in the next document's encoding, as text_writer writes
    decoded = _decode_column(pd.DataFrame({"text": values}), "text")["text"].tolist()
    assert decoded[:3] == [texts[0], "\ufeff" + texts[1], texts[2] + "\ufffd\n"] and pd.isna(decoded[3])


def test_clean_batch_takes_bytearray_and_memoryview_as_clean_bytes_does(model_dir, cleaner, docs):
    """``Cleaner.clean_bytes`` takes them (and gives bytes); CleanBatch refused them. PySpark gives a
    ``BinaryType`` value as a bytearray."""
    from noisecut.integrations.hf import clean_batch

    raw = [bytearray(docs[0].encode()), memoryview(docs[1].encode("utf-16"))]
    expected = [cleaner.clean_bytes(data) for data in raw]
    out = CleanBatch(model=model_dir, output_column="clean", labels_column="labels")(pd.DataFrame({"text": raw}))
    assert out["clean"].tolist() == expected and all(type(value) is bytes for value in out["clean"])
    assert out["labels"].tolist() == [[r.label.value if r.label else None for r in cleaner.classify(Document.from_bytes(bytes(data)))]
                                      for data in raw]
    assert clean_batch({"text": raw}, model=model_dir)["text"] == expected


def test_clean_batch_labels_column(model_dir, cleaner, frame):
    out = CleanBatch(model=model_dir, labels_column="labels")(frame)
    assert out["text"].tolist() == [cleaner.clean(text) for text in frame["text"]]
    for text, labels in zip(frame["text"], out["labels"]):
        expected = [r.label.value if r.label else None for r in cleaner.classify(text)]
        assert labels == expected
        assert len(labels) == len(text.splitlines())


def test_clean_batch_labels_for_bytes_and_missing(model_dir, cleaner):
    frame = pd.DataFrame({"text": [b"Advertisement\n\nA body paragraph about the talks.", None]})
    out = CleanBatch(model=model_dir, output_column="clean", labels_column="labels")(frame)
    assert out["clean"].iloc[0] == cleaner.clean_bytes(frame["text"].iloc[0])
    assert len(out["labels"].iloc[0]) == 3 and out["labels"].iloc[0][1] is None
    assert out["labels"].iloc[1] is None


def test_clean_batch_empty_batch_does_not_load_the_model(frame):
    clean = CleanBatch(model="/no/such/model", output_column="clean", labels_column="labels")
    out = clean(frame.iloc[:0])
    assert list(out.columns) == ["id", "text", "source", "clean", "labels"] and len(out) == 0
    assert clean._cleaner is None
    assert clean.meta(frame).columns.tolist() == list(out.columns)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"keep": "body,boilerplate"}, "unknown label"),
        ({"keep": []}, "keep is empty"),
        ({"threshold": 1.5}, "a number from 0 to 1"),
        ({"threshold": "high"}, "a number"),
        ({"labels_column": "text"}, "must differ"),
        ({"dedupe": "no"}, "dedupe takes True or False, not 'no'"),  # bool("no") cleaned with dedupe on
        ({"dedupe": None}, "dedupe takes True or False"),
    ],
)
def test_clean_batch_rejects_bad_options(kwargs, message):
    with pytest.raises(NoiseCutError, match=message):
        CleanBatch(**kwargs)


def test_clean_batch_refuses_a_dict_batch_naming_the_pandas_format(model_dir, docs):
    with pytest.raises(NoiseCutError, match="batch_format='pandas'"):
        CleanBatch(model=str(model_dir))({"text": np.array(docs[:2], dtype=object)})


def test_hf_clean_batch_refuses_one_row_for_a_batch(model_dir):
    """``Dataset.map(clean_batch)`` without ``batched=True`` hands over one row: its text is not a list of texts."""
    from noisecut.integrations.hf import clean_batch

    row = {"text": "Home | News\nA body paragraph about the talks held today."}
    with pytest.raises(NoiseCutError, match="batched=True"):
        clean_batch(row, model=model_dir)
    assert clean_batch({"text": [row["text"]]}, model=model_dir)["text"] == [Cleaner(model_dir).clean(row["text"])]


def test_clean_batch_errors_name_the_column_and_row(model_dir):
    with pytest.raises(NoiseCutError, match="no column 'body'.*columns: id, text"):
        CleanBatch(model=model_dir, text_column="body")(pd.DataFrame({"id": [1], "text": ["x"]}))
    with pytest.raises(NoiseCutError, match="column 'text', index 'b': expected str or bytes, got int"):
        CleanBatch(model=model_dir)(pd.DataFrame({"text": ["fine", 7]}, index=["a", "b"]))
    with pytest.raises(NoiseCutError, match="no such model"):
        CleanBatch(model="/no/such/model")(pd.DataFrame({"text": ["x"]}))


def test_hf_clean_batch_one_row_with_a_missing_or_non_text_value_is_the_same_clear_error(model_dir):
    """Without ``batched=True``, a row whose text is None or a number was ``TypeError: 'NoneType' object is not
    iterable``; a batch handed over as one column (``input_columns``) was ``AttributeError: 'list' ... 'keys'``."""
    from noisecut.integrations.hf import clean_batch

    for value in (None, 7, 2.5):
        with pytest.raises(NoiseCutError, match=r"column 'text' holds one value .*batched=True"):
            clean_batch({"id": 1, "text": value}, model=model_dir)
    with pytest.raises(NoiseCutError, match="takes the batch as a dict of columns, not list.*input_columns"):
        clean_batch(["Home | News", "A body paragraph."], model=model_dir)


def test_clean_batch_takes_columns_that_are_not_named_by_strings(model_dir, cleaner, docs):
    """``pd.read_csv(header=None)`` names columns 0, 1, ...: ``batch.assign(**{0: ...})`` was
    ``TypeError: keywords must be strings``."""
    frame = pd.DataFrame({0: range(3), 1: docs[:3]})
    out = CleanBatch(model=model_dir, text_column=1, output_column=2, labels_column=3)(frame)
    assert list(out.columns) == [0, 1, 2, 3]
    assert out[2].tolist() == [cleaner.clean(text) for text in docs[:3]]
    assert out[1].tolist() == docs[:3] and out[0].tolist() == [0, 1, 2]
    overwritten = CleanBatch(model=model_dir, text_column=1)(frame)
    assert overwritten[1].tolist() == [cleaner.clean(text) for text in docs[:3]]
    assert frame[1].tolist() == docs[:3]  # the input is not modified


def test_clean_batch_pickles_without_the_model(model_dir, frame):
    clean = CleanBatch(model=model_dir, output_column="clean")
    expected = clean(frame)
    assert clean._cleaner is not None
    data = pickle.dumps(clean)
    assert len(data) < 2_000  # parameters only: the loaded model stays behind
    copy = pickle.loads(data)
    assert copy._cleaner is None
    pd.testing.assert_frame_equal(copy(frame), expected)
    assert clean._cleaner is not None  # pickling did not unload the original


def test_clean_batch_with_a_model_object_ships_the_arrays(model, model_dir, frame):
    clean = CleanBatch(model=model)
    copy = pickle.loads(pickle.dumps(clean))
    assert isinstance(copy.model, Model)
    pd.testing.assert_frame_equal(copy(frame), CleanBatch(model=model_dir)(frame))


def test_clean_batch_map_iter_is_the_spark_form(model_dir, frame):
    clean = CleanBatch(model=model_dir)
    parts = [frame.iloc[:5], frame.iloc[5:]]
    out = list(clean.map_iter(iter(parts)))
    assert len(out) == 2
    pd.testing.assert_frame_equal(pd.concat(out), clean(frame))


def test_clean_batch_dask_token_is_deterministic(model_dir, model):
    tokenize = pytest.importorskip("dask.base").tokenize
    assert tokenize(CleanBatch(model=str(model_dir))) == tokenize(CleanBatch(model=str(model_dir)))
    assert tokenize(CleanBatch(model=str(model_dir))) != tokenize(CleanBatch(model=str(model_dir), threshold=0.7))
    assert tokenize(CleanBatch(model=model)) == tokenize(CleanBatch(model=model))


def test_clean_batch_repr_names_its_parameters():
    text = repr(CleanBatch(model="m", output_column="clean", keep="title,body"))
    assert "model='m'" in text and "output_column='clean'" in text and "keep='body,title'" in text


# -- NeMo Curator's stage, against stand-ins for its classes (the real ones: test_frameworks.py) ----


def nemo_stand_ins(task_id_is_a_field: bool) -> dict:
    """The three names noisecut.integrations.nemo_curator imports, as modules to put in ``sys.modules``.
    NeMo Curator 1.0 to mid-2026 made ``task_id`` a required field of every task; later releases set it
    themselves (``init=False``)."""
    import dataclasses
    import types
    from typing import Generic, TypeVar

    In, Out = TypeVar("In"), TypeVar("Out")

    class ProcessingStage(Generic[In, Out]):
        pass

    class DocumentModifier:
        pass

    fields = [("dataset_name", str), ("data", object),
              ("_stage_perf", list, dataclasses.field(default_factory=list)),
              ("_metadata", dict, dataclasses.field(default_factory=dict))]
    task_id = ("task_id", str) if task_id_is_a_field else ("task_id", str, dataclasses.field(init=False, default=""))
    fields = [task_id] + fields if task_id_is_a_field else fields + [task_id]
    DocumentBatch = dataclasses.make_dataclass("DocumentBatch", fields, namespace={"to_pandas": lambda self: self.data})
    modules = {name: types.ModuleType(name) for name in (
        "nemo_curator", "nemo_curator.stages", "nemo_curator.stages.base", "nemo_curator.stages.text",
        "nemo_curator.stages.text.modifiers", "nemo_curator.stages.text.modifiers.doc_modifier", "nemo_curator.tasks")}
    modules["nemo_curator.stages.base"].ProcessingStage = ProcessingStage
    modules["nemo_curator.stages.text.modifiers.doc_modifier"].DocumentModifier = DocumentModifier
    modules["nemo_curator.tasks"].DocumentBatch = DocumentBatch
    return modules


def nemo_module(monkeypatch, task_id_is_a_field: bool = True):
    """noisecut.integrations.nemo_curator loaded against ``nemo_stand_ins`` (under another name: the real one stays)."""
    import importlib.util

    import noisecut.integrations as integrations

    for name, module in nemo_stand_ins(task_id_is_a_field).items():
        monkeypatch.setitem(sys.modules, name, module)
    name = "noisecut.integrations.nemo_curator_under_test"
    spec = importlib.util.spec_from_file_location(name, str(Path(integrations.__file__).with_name("nemo_curator.py")))
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("task_id_is_a_field", [True, False], ids=["task_id-field", "task_id-set-by-curator"])
def test_nemo_stage_passes_its_batch_on_under_either_task_api(monkeypatch, model_dir, cleaner, frame, task_id_is_a_field):
    """``process`` built its output with ``DocumentBatch(dataset_name=..., data=...)``: on the NeMo Curator
    releases whose tasks take a ``task_id`` that was ``TypeError: missing ... 'task_id'``."""
    module = nemo_module(monkeypatch, task_id_is_a_field)
    DocumentBatch = sys.modules["nemo_curator.tasks"].DocumentBatch

    given = dict(dataset_name="docs", data=frame, _metadata={"source": "x"})
    task = DocumentBatch(task_id="t1", **given) if task_id_is_a_field else DocumentBatch(**given)
    stage = module.NoiseCutStage(model=str(model_dir), output_field="clean")
    out = stage.process(task)
    assert isinstance(out, DocumentBatch) and out.dataset_name == "docs" and out._metadata == {"source": "x"}
    assert out.task_id == ("t1" if task_id_is_a_field else "")
    assert out.data["clean"].tolist() == [cleaner.clean(text) for text in frame["text"]]
    assert out.data["text"].tolist() == frame["text"].tolist() and task.data is frame  # the input batch is kept


# -- pandas ----------------------------------------------------------------


def test_clean_series_keeps_index_and_name(model_dir, cleaner, frame):
    from noisecut.integrations.pandas import clean_series

    series = frame["text"].rename("body")
    out = clean_series(series, model=model_dir)
    pd.testing.assert_index_equal(out.index, series.index)
    assert out.name == "body"
    assert out.tolist() == [cleaner.clean(text) for text in series]


def test_clean_series_reuses_a_cleaner_and_takes_options(model, cleaner, frame):
    from noisecut.integrations.pandas import clean_series

    assert clean_series(frame["text"], cleaner=cleaner).tolist() == [cleaner.clean(t) for t in frame["text"]]
    strict = Cleaner(model, threshold=0.9)
    assert clean_series(frame["text"], model=model, threshold=0.9).tolist() == [strict.clean(t) for t in frame["text"]]
    with pytest.raises(TypeError, match="either a cleaner or cleaner options"):
        clean_series(frame["text"], cleaner=cleaner, threshold=0.9)
    with pytest.raises(TypeError, match="pandas Series"):
        clean_series(list(frame["text"]))


def test_clean_series_refuses_batch_options_it_would_ignore(model_dir, cleaner, frame):
    """``output_column`` went to the internal CleanBatch and the uncleaned text came back without a word."""
    from noisecut.integrations.pandas import clean_series

    for option in ("output_column", "text_column", "labels_column"):
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{option}'.*model, keep, threshold, dedupe"):
            clean_series(frame["text"], model=model_dir, **{option: "clean"})
    with pytest.raises(TypeError, match="cleaner takes a noisecut Cleaner, not str"):
        clean_series(frame["text"], cleaner=str(model_dir))


def test_clean_series_errors_name_the_series(model_dir, cleaner, docs):
    from noisecut.integrations.pandas import clean_series

    with pytest.raises(NoiseCutError, match="column 'body', index 'b': expected str or bytes, got int"):
        clean_series(pd.Series([docs[0], 7], index=["a", "b"], name="body"), model=model_dir)
    numbered = pd.Series([docs[0], None], name=0)  # a column of pd.read_csv(header=None)
    out = clean_series(numbered, cleaner=cleaner)
    assert out.name == 0 and out.iloc[0] == cleaner.clean(docs[0]) and pd.isna(out.iloc[1])


def test_series_accessor(model_dir, cleaner, frame):
    import noisecut.integrations.pandas  # noqa: F401  (registers the accessor)

    out = frame["text"].noisecut.clean(model=model_dir)
    pd.testing.assert_index_equal(out.index, frame.index)
    assert out.tolist() == [cleaner.clean(text) for text in frame["text"]]
    assert frame["text"].noisecut.clean(cleaner=cleaner).tolist() == out.tolist()


# -- site memory (``noisecut sites``): CleanBatch, pandas, Hugging Face, NeMo Curator's stage ----------
# (datatrove: test_frameworks.py; Ray and Dask: test_engines.py)


def plain_and_remembered(clean, site_memory_file, **options) -> tuple[list, list]:
    """``clean(site_memory=None, **options)`` and ``clean(site_memory=site_memory_file, **options)``."""
    return clean(site_memory=None, **options), clean(site_memory=site_memory_file, **options)


def test_clean_batch_site_memory_drops_the_boilerplate_of_a_records_site(model_dir, model, site_frame, site_memory_file):
    def clean(**options):
        return CleanBatch(model=model_dir, output_column="clean", **options)(site_frame)["clean"].tolist()

    without, remembered = plain_and_remembered(clean, site_memory_file)
    assert_site_memory_dropped_the_note(without, remembered)
    # as the Python API cleans each record with its URL (and `noisecut clean --site-memory`, ``sites.site_of``)
    api = Cleaner(model, site_memory=site_memory_file)
    assert remembered == [api.clean_document(Document.from_text(text, meta={"url": url}))
                          for text, url in zip(site_frame["text"], site_frame["url"])]
    assert clean(site_memory=SiteMemory.load(site_memory_file)) == remembered  # a loaded memory
    linked = site_frame.rename(columns={"url": "link"})
    assert CleanBatch(model=model_dir, site_memory=site_memory_file, url_column="link")(linked)["text"].tolist() == remembered
    as_bytes = site_frame.assign(text=[text.encode() for text in site_frame["text"]])
    assert [b.decode() for b in CleanBatch(model=model_dir, site_memory=site_memory_file)(as_bytes)["text"]] == remembered


def test_clean_series_site_memory_takes_each_text_s_url(model_dir, site_frame, site_memory_file):
    from noisecut.integrations.pandas import clean_series

    texts, urls = site_frame["text"], site_frame["url"]
    without = clean_series(texts, model=model_dir).tolist()
    remembered = clean_series(texts, urls=urls, model=model_dir, site_memory=site_memory_file)
    assert_site_memory_dropped_the_note(without, remembered.tolist())
    assert remembered.name == "text" and remembered.index.equals(texts.index)
    assert texts.noisecut.clean(urls=urls, model=model_dir, site_memory=site_memory_file).tolist() == remembered.tolist()
    loaded = Cleaner(model_dir, site_memory=site_memory_file)
    assert clean_series(texts, cleaner=loaded, urls=urls).tolist() == remembered.tolist()
    with pytest.raises(TypeError, match="needs urls="):
        clean_series(texts, model=model_dir, site_memory=site_memory_file)
    with pytest.raises(TypeError, match="needs urls="):
        clean_series(texts, cleaner=loaded)
    with pytest.raises(NoiseCutError, match="urls must have the texts' index"):
        clean_series(texts, urls=urls.iloc[::-1].reset_index(drop=True).iloc[1:], cleaner=loaded)
    with pytest.raises(TypeError, match="urls takes a pandas Series"):
        clean_series(texts, urls=urls.tolist(), cleaner=loaded)


def test_hf_clean_batch_site_memory(model_dir, site_frame, site_memory_file):
    from noisecut.integrations.hf import clean_batch

    batch = {"url": site_frame["url"].tolist(), "text": site_frame["text"].tolist()}
    without, remembered = plain_and_remembered(lambda **options: clean_batch(batch, model=model_dir, **options)["text"],
                                               site_memory_file)
    assert_site_memory_dropped_the_note(without, remembered)
    linked = {"link": batch["url"], "text": batch["text"]}
    assert clean_batch(linked, model=model_dir, site_memory=site_memory_file, url_column="link")["text"] == remembered


def test_hf_clean_batch_reuses_its_cleaner_until_the_memory_file_changes(model_dir, site_frame, site_memory_file, tmp_path):
    from noisecut.integrations import hf
    from noisecut.integrations.hf import clean_batch

    batch = {"url": site_frame["url"].tolist(), "text": site_frame["text"].tolist()}
    copy = tmp_path / "sites.npz"
    copy.write_bytes(site_memory_file.read_bytes())
    remembered = clean_batch(batch, model=model_dir, site_memory=copy)["text"]
    cleaners = dict(hf._cleaners)
    assert clean_batch(batch, model=model_dir, site_memory=copy)["text"] == remembered
    assert hf._cleaners == cleaners  # the second batch was cleaned by the first one's Cleaner
    SiteMemory(width=64).save(copy)  # a memory of nothing: the next batch is cleaned as without one
    assert clean_batch(batch, model=model_dir, site_memory=copy)["text"] == clean_batch(batch, model=model_dir)["text"]


def test_nemo_stage_site_memory(monkeypatch, model_dir, site_frame, site_memory_file):
    module = nemo_module(monkeypatch)
    DocumentBatch = sys.modules["nemo_curator.tasks"].DocumentBatch

    def clean(**options):
        stage = module.NoiseCutStage(model=str(model_dir), output_field="clean", **options)
        return stage.process(DocumentBatch(task_id="t", dataset_name="docs", data=site_frame)).data["clean"].tolist()

    assert_site_memory_dropped_the_note(*plain_and_remembered(clean, site_memory_file))
    stage = module.NoiseCutStage(model=str(model_dir), site_memory=site_memory_file, url_field="link")
    assert stage.inputs() == (["data"], ["text", "link"])
    with pytest.raises(NoiseCutError, match="no column 'link'"):
        stage.process(DocumentBatch(task_id="t", dataset_name="docs", data=site_frame))


def other_memories(tmp_path, site_memory_file) -> dict:
    """A missing file, a file that is no site memory, and a site memory of another version."""
    (tmp_path / "notes.npz").write_text("not a sketch", encoding="utf-8")
    memory = SiteMemory.load(site_memory_file)
    np.savez_compressed(tmp_path / "future.npz", counts=memory.counts,
                        meta=np.array(json.dumps({"version": MEMORY_VERSION + 1, "width": memory.width})))
    return {"missing": tmp_path / "missing.npz", "foreign": tmp_path / "notes.npz", "version": tmp_path / "future.npz"}


MEMORY_ERRORS = {"missing": "missing.npz: no such site memory", "foreign": "notes.npz: not a site memory written by",
                 "version": f"future.npz: site memory version {MEMORY_VERSION + 1}, this noisecut reads {MEMORY_VERSION}"}


def integration_constructors(model_dir) -> dict:
    """Each integration taking ``site_memory``, made (not run) with it: the checks happen here, in the driver."""
    from noisecut.integrations.hf import clean_batch
    from noisecut.integrations.pandas import clean_series

    texts = pd.Series(["A line."])
    return {
        "CleanBatch": lambda memory: CleanBatch(model=model_dir, site_memory=memory),
        "clean_series": lambda memory: clean_series(texts, urls=texts, model=model_dir, site_memory=memory),
        "hf.clean_batch": lambda memory: clean_batch({"text": ["A line."], "url": [None]}, model=model_dir, site_memory=memory),
    }


def test_every_integration_checks_the_site_memory_as_the_cli_and_the_api_do(model_dir, site_memory_file, tmp_path):
    """A missing, foreign or outdated file: the CLI's NoiseCutError; a wrong type: the Cleaner's TypeError."""
    files = other_memories(tmp_path, site_memory_file)
    with pytest.raises(TypeError) as api_error:
        Cleaner(model_dir, site_memory=3)
    for name, make in integration_constructors(model_dir).items():
        for kind, path in files.items():
            with pytest.raises(NoiseCutError, match=re.escape(MEMORY_ERRORS[kind])):
                make(path)
            with pytest.raises(NoiseCutError, match=re.escape(MEMORY_ERRORS[kind])):
                make(str(path))
        with pytest.raises(TypeError) as error:
            make(3)
        assert str(error.value) == str(api_error.value) == "site_memory takes a SiteMemory, its file (noisecut sites) or None, not int", name
    result = CliRunner().invoke(main, ["clean", "--site-memory", str(files["version"]), "-"], input="x\n")
    assert MEMORY_ERRORS["version"] in result.stderr  # the message the integrations give


def test_clean_batch_site_memory_needs_the_url_column(model_dir, site_frame, site_memory_file):
    with pytest.raises(NoiseCutError, match=r"no column 'url' in the batch \(columns: text\).*url_column"):
        CleanBatch(model=model_dir, site_memory=site_memory_file)(site_frame[["text"]])
    without = CleanBatch(model=model_dir)(site_frame[["text"]])  # no memory: no URL needed
    assert without["text"].tolist() == CleanBatch(model=model_dir)(site_frame)["text"].tolist()


def test_clean_batch_site_memory_travels_as_its_path_and_loads_once_per_process(monkeypatch, model_dir, site_frame,
                                                                                  site_memory_file, tmp_path):
    """Dask and Spark unpickle the CleanBatch for every task, hf makes one per batch: the memory is loaded
    once in the process all the same (and again only if its file changes)."""
    from noisecut.integrations import batch

    loads, load = [], SiteMemory.load

    def counted(path):
        loads.append(path)
        return load(path)

    monkeypatch.setattr(SiteMemory, "load", counted)
    batch._load_memory.cache_clear()
    copy = tmp_path / "sites.npz"
    copy.write_bytes(site_memory_file.read_bytes())
    clean = CleanBatch(model=model_dir, site_memory=copy)
    data = pickle.dumps(clean)
    assert len(data) < 2_000 and str(copy) in repr(clean)  # the path, not the 8 MB of counts
    expected = clean(site_frame)
    for _ in range(3):  # three tasks, two batches each
        task = pickle.loads(data)
        pd.testing.assert_frame_equal(pd.concat([task(site_frame.iloc[:5]), task(site_frame.iloc[5:])]), expected)
    assert loads == [str(copy)]
    SiteMemory(width=64).save(copy)  # written again: read again
    pickle.loads(data)(site_frame)
    assert loads == [str(copy)] * 2


def test_clean_batch_site_memory_path_is_absolute_for_workers_elsewhere(monkeypatch, model_dir, site_memory_file):
    monkeypatch.chdir(site_memory_file.parent)
    clean = CleanBatch(model=model_dir, site_memory=site_memory_file.name)
    assert clean.site_memory == str(site_memory_file.resolve())


def test_importing_noisecut_loads_no_integration_dependency():
    code = (
        "import sys, noisecut, noisecut.integrations; "
        "heavy = [m for m in ('pandas', 'sklearn', 'ray', 'dask', 'pyspark') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_exports_of_the_integrations_package():
    import noisecut.integrations as integrations

    assert integrations.CleanBatch is CleanBatch
    assert "clean_with_ray" in dir(integrations)
    with pytest.raises(AttributeError):
        integrations.nothing_here  # noqa: B018


def test_ray_missing_is_a_clear_error(monkeypatch):
    from noisecut.integrations import ray as ray_integration

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(NoiseCutError, match=r"Ray is not installed: pip install 'noisecut\[ray\]'"):
        ray_integration.clean_with_ray(pd.DataFrame({"text": ["x"]}))


def test_clean_with_ray_checks_its_arguments_before_starting_ray(model_dir, tmp_path):
    ray = pytest.importorskip("ray")
    from noisecut.integrations.ray import clean_with_ray

    page = tmp_path / "page.txt"
    page.write_text("Advertisement\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "part-0.json").write_text("{}\n")
    cases = [
        (([tmp_path / "missing.txt"], tmp_path / "out.txt"), {}, "missing.txt: no such file"),
        (([], tmp_path / "out.txt"), {}, "no input files"),
        ((iter([page]), page), {}, "output is also an input"),
        (([page], tmp_path / "full"), {"output_format": "jsonl"}, "already exists"),
        (([page], tmp_path), {}, "is a directory"),
        (([page], tmp_path / "out.csv"), {"output_format": "csv"}, "not one of"),
        (([page],), {"model": tmp_path / "no-model"}, "no such model"),
        (([page],), {"threshold": 2}, "a number from 0 to 1"),
        (([page],), {"dedupe": "no"}, "dedupe takes True or False"),  # were checked in the actors, after Ray started
        (([page],), {"labels_column": "text"}, "labels_column 'text' must differ"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(NoiseCutError, match=message):
            clean_with_ray(*args, **{"model": model_dir, **kwargs})
    assert not ray.is_initialized()


def test_ray_format_guessing(tmp_path):
    from noisecut.integrations.ray import _guess_format, _output_format, actor_cpus

    (tmp_path / "a.jsonl.gz").write_bytes(b"")
    (tmp_path / "b.JSON").write_bytes(b"")
    assert _guess_format([tmp_path]) == "jsonl"
    assert _guess_format([tmp_path / "x.parquet"]) == "parquet"
    assert _guess_format([tmp_path / "page.txt", tmp_path / "page"]) == "text"
    with pytest.raises(NoiseCutError, match="mix formats"):
        _guess_format([tmp_path / "x.parquet", tmp_path / "y.jsonl"])
    assert _output_format(tmp_path / "out.parquet", None) == "parquet"
    assert _output_format(tmp_path / "out", "jsonl") == "jsonl"
    with pytest.raises(NoiseCutError, match="not one of"):
        _output_format(tmp_path / "out", "csv")
    assert actor_cpus(2, 2.0) == 0.5 and actor_cpus(4, 16.0) == 1.0 and actor_cpus(8, 8.0) == 7 / 8
    assert actor_cpus(1, 1.0) == 0.5


# -- scikit-learn ----------------------------------------------------------


@pytest.fixture
def transformer(model_dir):
    from noisecut.integrations.sklearn import NoiseCutTransformer

    return NoiseCutTransformer(model=str(model_dir))


def test_transformer_in_a_pipeline_before_tfidf(model_dir, cleaner, docs):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

    from noisecut.integrations.sklearn import NoiseCutTransformer

    pipe = Pipeline([("clean", NoiseCutTransformer(model=str(model_dir))), ("tfidf", TfidfVectorizer())])
    matrix = pipe.fit_transform(docs)
    direct = TfidfVectorizer().fit([cleaner.clean(text) for text in docs])
    assert pipe.named_steps["tfidf"].vocabulary_ == direct.vocabulary_
    assert matrix.shape == (len(docs), len(direct.vocabulary_))
    np.testing.assert_allclose(matrix.toarray(), direct.transform([cleaner.clean(t) for t in docs]).toarray())
    np.testing.assert_allclose(pipe.transform(docs[:3]).toarray(), matrix[:3].toarray())
    pipe.set_params(clean__threshold=0.55).fit(docs)  # grid-search style parameter access
    assert pipe.named_steps["clean"].cleaner_.policy.threshold == 0.55


def test_transformer_returns_cleaned_strings(transformer, cleaner, docs):
    assert transformer.fit(docs) is transformer
    out = transformer.transform(pd.Series(docs, index=range(100, 100 + len(docs))))
    assert out == [cleaner.clean(text) for text in docs]
    assert transformer.transform(np.array(docs[:2], dtype=object)) == out[:2]
    assert transformer.fit_transform(docs) == out
    assert transformer.fit_transform(text for text in docs) == out  # a generator is read once, not lost


def test_transformer_options(model_dir, model, docs):
    from noisecut.integrations.sklearn import NoiseCutTransformer

    reference = Cleaner(model, keep={Label.BODY, Label.TITLE}, threshold=0.2, dedupe=False)
    est = NoiseCutTransformer(model=str(model_dir), keep=["body", "title"], threshold=0.2, dedupe=False).fit(docs)
    assert est.transform(docs) == [reference.clean(text) for text in docs]


@pytest.mark.parametrize(
    "bad, message",
    [
        ("one document", "string object received"),
        (["fine", None], "Document 1 is a missing value"),
        (["fine", 3], "Document 1 is int"),
        (pd.DataFrame({"text": ["a"]}), "1-D iterable"),
        (np.array([["a", "b"]]), "1-D iterable"),
        (42, "iterable of texts"),
    ],
)
def test_transformer_rejects_what_vectorisers_reject(transformer, docs, bad, message):
    with pytest.raises(ValueError, match=message):
        transformer.fit(bad)
    fitted = transformer.fit(docs)
    with pytest.raises(ValueError, match=message):
        fitted.transform(bad)


def test_transformer_validates_parameters_in_fit_not_in_init(model_dir, docs):
    from noisecut.integrations.sklearn import NoiseCutTransformer

    est = NoiseCutTransformer(model=str(model_dir), threshold=2.0, keep="nonsense")  # stored, not checked
    with pytest.raises(ValueError, match="unknown label"):
        est.fit(docs)
    with pytest.raises(ValueError, match="a number from 0 to 1"):
        est.set_params(keep=None).fit(docs)
    with pytest.raises(NoiseCutError, match="no such model"):
        NoiseCutTransformer(model="/no/such/model").fit(docs)


@pytest.mark.parametrize("dedupe", ["no", 0, None])
def test_transformer_refuses_a_dedupe_that_is_not_a_bool(model_dir, docs, dedupe):
    """bool("no") is True: it cleaned with dedupe on, where Cleaner(dedupe="no") raises."""
    from noisecut.integrations.sklearn import NoiseCutTransformer

    with pytest.raises(ValueError, match="dedupe takes True or False"):
        NoiseCutTransformer(model=str(model_dir), dedupe=dedupe).fit(docs)
    est = NoiseCutTransformer(model=str(model_dir), dedupe=np.bool_(False)).fit(docs)
    assert est.transform(docs) == [Cleaner(str(model_dir), dedupe=False).clean(text) for text in docs]


def test_transformer_threshold_takes_the_model_s_presets(model_dir, docs):
    """As documented (a number, or a preset the model records): the preset resolves in fit, per model."""
    from noisecut.integrations.sklearn import NoiseCutTransformer
    from noisecut.model import model_dir as shipped, read_meta

    est = NoiseCutTransformer(model="fast", threshold="precision").fit(docs)
    assert est.get_params()["threshold"] == "precision"
    assert est.cleaner_.policy.threshold == read_meta(shipped("fast"))["presets"]["precision"]
    with pytest.raises(ValueError, match="records no 'recall' threshold preset"):
        NoiseCutTransformer(model=str(model_dir), threshold="recall").fit(docs)  # a model trained without presets


def test_transformer_refuses_a_markup_model_in_fit(docs):
    """The HTML model fitted, then failed on every document in transform (its texts are plain text)."""
    from noisecut.integrations.sklearn import NoiseCutTransformer

    est = NoiseCutTransformer(model="html")
    with pytest.raises(ValueError, match="reads HTML markup and NoiseCutTransformer cleans plain text"):
        est.fit(docs)
    assert not hasattr(est, "cleaner_")


def test_transformer_fit_transform_passes_fit_params_to_fit_as_sklearn_does(transformer, docs):
    """fit_transform(X, sample_weight=...) was silently ignored where fit(X, sample_weight=...) raises."""
    with pytest.raises(TypeError, match="sample_weight"):
        transformer.fit(docs, sample_weight=[1.0] * len(docs))
    with pytest.raises(TypeError, match="sample_weight"):
        transformer.fit_transform(docs, sample_weight=[1.0] * len(docs))


# scikit-learn's own checks that apply to a text-in, text-out transformer (see the class docstring)
APPLICABLE_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_transformers_unfitted",
]


@pytest.mark.parametrize("check_name", APPLICABLE_CHECKS)
def test_sklearn_estimator_checks(check_name):
    from sklearn.utils import estimator_checks

    from noisecut.integrations.sklearn import NoiseCutTransformer

    getattr(estimator_checks, check_name)("NoiseCutTransformer", NoiseCutTransformer())


def test_sklearn_tags_say_text_input():
    from sklearn.utils import get_tags

    from noisecut.integrations.sklearn import NoiseCutTransformer

    tags = get_tags(NoiseCutTransformer())
    assert tags.input_tags.string and not tags.input_tags.two_d_array and tags.requires_fit


# The data checks of check_estimator, rewritten with text input.


def test_transform_before_fit_raises_not_fitted(transformer, docs):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        transformer.transform(docs)


def test_fit_is_idempotent_and_does_not_mutate_parameters(transformer, docs):
    import joblib

    before = {k: joblib.hash(v) for k, v in transformer.get_params().items()}
    first = transformer.fit(docs).transform(docs)
    second = transformer.fit(docs[:2]).transform(docs)
    assert first == second
    assert {k: joblib.hash(v) for k, v in transformer.get_params().items()} == before


def test_clone_of_a_fitted_transformer_is_unfitted(transformer, docs):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    copy = clone(transformer.fit(docs))
    assert not hasattr(copy, "cleaner_")
    with pytest.raises(NotFittedError):
        copy.transform(docs)


def test_transform_is_subset_and_order_invariant(transformer, docs):
    full = transformer.fit(docs).transform(docs)
    assert transformer.transform(docs[3:7]) == full[3:7]
    order = np.random.RandomState(0).permutation(len(docs))
    assert transformer.transform([docs[i] for i in order]) == [full[i] for i in order]


def test_fitted_transformer_pickles_with_its_model(model_dir, docs, tmp_path):
    import shutil

    from noisecut.integrations.sklearn import NoiseCutTransformer

    moved = tmp_path / "model"
    shutil.copytree(model_dir, moved)
    est = NoiseCutTransformer(model=str(moved)).fit(docs)
    expected = est.transform(docs)
    data = pickle.dumps(est)
    shutil.rmtree(moved)  # a saved pipeline cleans without the model directory
    assert pickle.loads(data).transform(docs) == expected
