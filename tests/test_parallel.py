"""noisecut.parallel: the same output with one process or several, in order, bounded, and failing cleanly."""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest

from noisecut import Cleaner
from noisecut.document import Document
from noisecut.errors import NoiseCutError
from noisecut.io.jsonl import jsonl_writer
from noisecut.io.pipeline import clean_stream
from conftest import cleaned_around_a_pause
from noisecut.parallel import (
    CHUNK_DOCS,
    CHUNKS_PER_WORKER,
    IN_PROCESS_BELOW,
    CleanerSpec,
    Output,
    available_cores,
    clean_documents,
    clean_one,
)

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
BUILT = [
    "Home | News | Sport\nCouncil approves cycle lanes\n\n"
    "The city council voted on Tuesday to build fourteen miles of protected cycle lanes, ending two years of debate.\n"
    "Share this article: Facebook Twitter Email\n",
    "The library will open on Sundays from next month, the council said, after a campaign by parents and teachers.\n"
    "Copyright 2024 Example News. All rights reserved.",
    "",
]
POISON = "POISONED LINE"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    return [p.read_text(encoding="utf-8") for p in found] + BUILT


def corpus(texts, n: int) -> list[Document]:
    """``n`` documents cycling through ``texts``, each with its own id and a varied line."""
    return [Document.from_text(f"{texts[i % len(texts)]}\nItem {i}: " + "word " * (i % 7), f"doc-{i}", {"n": i}) for i in range(n)]


class PoisonedCleaner(Cleaner):
    """Fails on a document holding ``POISON``: by raising, or by killing its process."""

    die = False

    def clean_documents(self, docs):
        for doc in docs:
            if any(POISON in line for line in doc.lines):
                if self.die:
                    os._exit(3)
                raise RuntimeError("poisoned document")
        return super().clean_documents(docs)


@dataclass(frozen=True)
class PoisonedSpec(CleanerSpec):
    die: bool = False

    def __call__(self):
        cleaner = PoisonedCleaner(self.model)
        cleaner.die = self.die
        return cleaner


# ------------------------------------------------------------------ one document


def test_clean_one_text_matches_cleaner(cleaner, texts):
    for text in texts:
        doc = Document.from_text(text)
        assert clean_one(cleaner, doc) == (cleaner.clean(text), None)


def test_clean_one_labels_come_from_classify(cleaner, texts):
    for text in texts:
        doc = Document.from_text(text)
        cleaned, labels = clean_one(cleaner, doc, Output(labels=True))
        assert cleaned == cleaner.clean(text)  # one classify pass gives the same text
        assert labels == [r.label.value if r.label else None for r in cleaner.classify(text)]
        assert len(labels) == len(doc.lines)


def test_clean_one_explain(cleaner, texts):
    doc = Document.from_text(texts[0])
    text, labels = clean_one(cleaner, doc, Output(explain=True))
    assert text.encode("utf-8", "surrogateescape") == cleaner.explain(texts[0].encode()) and labels is None


# ------------------------------------------------------------------ many documents


def test_spec_builds_a_cleaner_and_pickles(model_dir):
    spec = CleanerSpec(str(model_dir), threshold=0.7, dedupe=False)
    assert pickle.loads(pickle.dumps(spec)) == spec
    cleaner = spec()
    assert cleaner.policy.threshold == 0.7 and cleaner.policy.dedupe is False


def test_bad_model_fails_before_any_worker(tmp_path):
    with pytest.raises(NoiseCutError, match="no such model"):
        list(clean_documents(iter([]), CleanerSpec(str(tmp_path / "none")), jobs=2))


def test_available_cores():
    assert available_cores() >= 1


def test_two_workers_give_the_same_results_in_order(model_dir, texts):
    docs = corpus(texts, 2 * IN_PROCESS_BELOW)
    spec = CleanerSpec(str(model_dir))
    one = [(d.id, text, labels) for d, text, labels in clean_documents(docs, spec, jobs=1, output=Output(labels=True))]
    two = [(d.id, text, labels) for d, text, labels in clean_documents(docs, spec, jobs=2, output=Output(labels=True), chunk=5)]
    assert two == one
    assert [ident for ident, _, _ in two] == [d.id for d in docs]


def test_small_inputs_stay_in_process(model_dir, texts, monkeypatch):
    import noisecut.parallel as parallel

    def no_pool(*args, **kwargs):
        raise AssertionError("started workers for a small input")

    monkeypatch.setattr(parallel, "_pooled", no_pool)
    docs = corpus(texts, IN_PROCESS_BELOW - 1)
    assert len(list(clean_documents(docs, CleanerSpec(str(model_dir)), jobs=4))) == len(docs)


def test_input_is_read_ahead_boundedly(model_dir, texts):
    pulled = 0

    def stream():
        nonlocal pulled
        for doc in corpus(texts, 300):
            pulled += 1
            yield doc

    results = clean_documents(stream(), CleanerSpec(str(model_dir)), jobs=2)
    next(results)
    window = (2 * CHUNKS_PER_WORKER + 1) * CHUNK_DOCS
    assert pulled <= max(IN_PROCESS_BELOW, window) + CHUNK_DOCS
    assert sum(1 for _ in results) == 299


@pytest.mark.parametrize("jobs,before", [(1, 5), (2, 5), (2, IN_PROCESS_BELOW + CHUNK_DOCS + 5)],
                         ids=["one-job", "two-jobs-here", "two-jobs-in-workers"])
def test_documents_read_before_a_pause_come_out_before_it_ends(model_dir, texts, jobs, before):
    """A slow pipe (``tail -f``, a crawler piping a record a second): the documents read before the input
    pauses are cleaned and handed on during the pause, in order, as they would have been without it; with
    -j 2, here while documents come slowly, or by the workers once they come fast. Before, they waited for
    a full batch (32,000 lines; -j 2: 64 documents, and as many chunks as the workers had in flight)."""
    docs = corpus(texts, before + 3)
    spec = CleanerSpec(str(model_dir))
    expected = [(d.id, text) for d, text, _ in clean_documents(docs, spec, jobs=1)]
    assert cleaned_around_a_pause(lambda read: clean_documents(read, spec, jobs=jobs), docs, before) == expected


@pytest.mark.parametrize("read", [10, IN_PROCESS_BELOW + 2 * CHUNK_DOCS + 5], ids=["before-workers", "in-workers"])
def test_documents_read_before_a_reading_error_come_out_first(model_dir, texts, read):
    """A reader that fails after ``read`` documents (a bad record under --on-error stop): with -j 2 as with
    -j 1, those documents are cleaned and handed on in order, then the error comes."""
    docs = corpus(texts, read)

    def stream():
        yield from docs
        raise NoiseCutError("data.jsonl: record 99: invalid JSON")

    spec = CleanerSpec(str(model_dir))
    for jobs in (1, 2):
        got = []
        with pytest.raises(NoiseCutError, match="record 99: invalid JSON"):
            for doc, text, _ in clean_documents(stream(), spec, jobs=jobs):
                got.append((doc.id, text))
        assert got == [(d.id, text) for d, text, _ in clean_documents(docs, spec, jobs=1)], jobs


@pytest.mark.parametrize("die", [False, True], ids=["worker-raises", "worker-dies"])
def test_failing_worker_leaves_no_output(model_dir, texts, tmp_path, die):
    docs = corpus(texts, 2 * IN_PROCESS_BELOW)
    docs[100] = Document.from_text(f"A normal line.\n{POISON}\n", "poisoned")
    out = tmp_path / "out.jsonl"
    expected = (NoiseCutError, "a worker process died while cleaning documents") if die else (RuntimeError, "poisoned document")
    with pytest.raises(expected[0], match=expected[1]):
        with jsonl_writer(out) as write:
            clean_stream(docs, write, PoisonedSpec(str(model_dir), die=die), jobs=2)
    assert list(tmp_path.iterdir()) == []


def test_clean_stream_feeds_the_writer_in_order(model_dir, texts):
    docs = corpus(texts, 10)
    seen = []
    count = clean_stream(docs, lambda doc, text, labels: seen.append((doc.id, text)), CleanerSpec(str(model_dir)))
    cleaner = Cleaner(model_dir)
    assert count == 10 and seen == [(d.id, cleaner.clean_document(d)) for d in docs]
