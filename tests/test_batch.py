"""Batched inference: documents read together get the results they get alone."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from noisecut.batching import ReadAhead, batches, chunks, probabilities, windowed
from noisecut.cleaner import Cleaner
from noisecut.document import Document
from noisecut.features import feature_dict, featurize, featurize_batch
from noisecut.model import Model, default_model_dir
from noisecut.stages import MemberBlocks, SequenceStage, softmax, standardise

from texts import P1, P2, P3  # noqa: E402  (tests/ is on sys.path under pytest)

REPO = Path(__file__).resolve().parents[1]
SEEDS = next((p for p in (REPO.parent / "shared" / "seeds", REPO.parents[1] / "shared" / "seeds") if p.is_dir()), None)

pytestmark = pytest.mark.skipif(not (default_model_dir() / "model.json").exists(), reason="no shipped model")


def built_documents() -> list[str]:
    """Documents of every length, sharing lines with each other (menus, "Share")."""
    page = f"Home | News | Sport\nShare\n\n{P1}\n{P2}\n\nShare\n{P3}\nAdvertisement\n© 2024 The Paper"
    comments = "\n".join(f"Anna {i} says:\nGreat story, thanks for sharing number {i}!\nReply" for i in range(60))
    cjk = "首页 | 新闻\n市议会周二投票通过了公共图书馆的新预算，将延长周末开放时间，并为儿童阅读课程提供资金。\n分享"
    return ["", "\n\n", "One line.", "Share", page, page + "\n" + comments, cjk, f"{P1}\n" * 3, "Menu\n" * 40 + P2]


def mixed_documents() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] if SEEDS else []
    docs = built_documents()
    return [docs[i % len(docs)] if i % 2 else seed for i, seed in enumerate(seeds)] + docs


def non_blank(text: str) -> list[str]:
    doc = Document.from_text(text)
    return [doc.lines[i] for i in doc.content_indices()]


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.load()


def test_feature_rows_of_a_batch_are_each_documents_own():
    docs = [non_blank(t) for t in built_documents()]
    together = featurize_batch(docs)
    alone = np.vstack([featurize(d) for d in docs if d])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)


def test_repeats_and_windows_stop_at_document_boundaries():
    a, b = ["Share", P1, P2], ["Share", P3]
    batch = featurize_batch([a, b])
    names = list(feature_dict(a))
    share_in_b = batch[len(a)]
    assert share_in_b[names.index("log_repeats")] == 0.0 and share_in_b[names.index("later_repeat")] == 0.0
    assert share_in_b[names.index("prev_log_words")] == 0.0  # the line above it is in another document
    assert share_in_b[names.index("relative_position")] == 0.0


def test_batched_probabilities_equal_one_at_a_time(model):
    docs = [non_blank(t) for t in mixed_documents()]
    together = model.predict_proba_batch(docs)
    for texts, p in zip(docs, together):
        assert p.shape == (len(texts), len(model.labels))
        np.testing.assert_allclose(p, model.predict_proba(texts), rtol=0, atol=1e-6)


def dense_reference(stage: SequenceStage, x: np.ndarray) -> np.ndarray:
    """The unbatched path as it was: one document, the wide (block-diagonal) arrays, float64, PyTorch's GRU equations."""
    projected = np.maximum(standardise(x, stage.mean, stage.scale) @ stage.proj_w + stage.proj_b, 0)
    hidden, states = stage.hidden, []
    for d, lines in ((0, projected), (1, projected[::-1])):
        h, out = np.zeros(hidden), []
        for row in lines:
            gi, gh = row @ stage.ih_w[d] + stage.ih_b[d], h @ stage.hh_w[d] + stage.hh_b[d]
            r, z = (1 / (1 + np.exp(-(gi[:2 * hidden] + gh[:2 * hidden])))).reshape(2, hidden)
            n = np.tanh(gi[2 * hidden:] + r * gh[2 * hidden:])
            h = (1 - z) * n + z * h
            out.append(h)
        states.append(np.array(out) if d == 0 else np.array(out)[::-1])
    return softmax(np.hstack([projected, *states]) @ stage.out_w + stage.out_b)


def test_batched_stage_matches_the_dense_unbatched_gru():
    model = Model.load("fast")  # one standardisation for every member, as dense_reference reads it
    docs = [non_blank(t) for t in built_documents()]
    docs = [d for d in docs if d]
    together = model.predict_proba_batch(docs)
    for texts, p in zip(docs, together):
        np.testing.assert_allclose(p, dense_reference(model.sequence, featurize(texts)), rtol=0, atol=1e-5)


def test_members_of_an_averaged_stage_run_apart(model):
    if model.sequence is None:
        pytest.skip("the shipped model has no sequence stage")
    members = model.meta.get("estimator", {}).get("members") or []
    blocks = MemberBlocks.of(model.sequence)
    assert blocks.members == max(len(members), 1)
    assert blocks.recurrent_w.shape == (2 * blocks.members, blocks.hidden, 3 * blocks.hidden)


def _random_stage(rng, features=6, projection=4, hidden=3, classes=2) -> SequenceStage:
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    return SequenceStage(np.zeros(features), np.ones(features), r(features, projection), r(projection),
                         r(2, projection, 3 * hidden), r(2, 3 * hidden), r(2, hidden, 3 * hidden), r(2, 3 * hidden),
                         r(projection + 2 * hidden, classes), r(classes))


def test_member_blocks_of_random_stages():
    rng = np.random.default_rng(0)
    single = _random_stage(rng)
    assert MemberBlocks.of(single).members == 1
    averaged = SequenceStage.average([_random_stage(rng) for _ in range(3)])
    assert MemberBlocks.of(averaged).members == 3
    x = rng.normal(size=(9, 6))
    np.testing.assert_allclose(averaged.predict_proba(x), dense_reference(averaged, x), rtol=0, atol=1e-5)
    # three documents in one batch, each its own
    together = averaged.predict_proba(x, [0, 2, 2, 9])
    np.testing.assert_allclose(together[:2], dense_reference(averaged, x[:2]), rtol=0, atol=1e-5)
    np.testing.assert_allclose(together[2:], dense_reference(averaged, x[2:]), rtol=0, atol=1e-5)


def test_clean_many_equals_clean_one_at_a_time(model):
    cleaner = Cleaner(model)
    texts = mixed_documents()
    assert list(cleaner.clean_many(texts)) == [cleaner.clean(t) for t in texts]
    docs = [Document.from_text(t) for t in texts]
    assert [[(r.label, r.kept) for r in rs] for rs in cleaner.classify_many(docs)] == \
        [[(r.label, r.kept) for r in cleaner.classify(d)] for d in docs]


def test_clean_many_reads_one_batch_ahead(model):
    cleaner = Cleaner(model)
    read = []

    def stream():
        for i in range(50):
            read.append(i)
            yield f"{P1}\nItem {i}"

    out = cleaner.clean_many(stream())
    next(out)
    assert 0 < len(read) < 50 or len(read) == 50 and sum(len(P1) + 10 for _ in range(50)) < 4_000_000
    assert len(list(out)) == 49


def test_batches_keep_order_and_limits():
    docs = [Document.from_text("x\n" * n) for n in (3, 4, 10, 1, 1, 2)]
    groups = list(batches(docs, lines=6))
    assert [d for g in groups for d in g] == docs
    assert [[len(d) for d in g] for g in groups] == [[3], [4], [10], [1, 1, 2]]
    assert [[len(d) for d in g] for g in batches(docs, lines=100, chars=9)] == [[3, 4], [10], [1, 1, 2]]


def test_windows_cover_every_line_once(model):
    texts = non_blank(built_documents()[5])
    p = windowed(model, texts, window=40, overlap=10)
    assert p.shape == (len(texts), len(model.labels))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    short = probabilities(model, [texts[:30], texts], window=40, overlap=10)
    np.testing.assert_allclose(short[0], model.predict_proba(texts[:30]), atol=1e-6)
    np.testing.assert_allclose(short[1], p, atol=1e-6)
    with pytest.raises(ValueError, match="context"):
        windowed(model, texts, window=20, overlap=10)


@pytest.mark.skipif(SEEDS is None, reason="needs ../shared/seeds")
def test_windowed_pass_keeps_the_lines_of_the_whole_document_pass():
    """The five seed reports as one long real document: with model 4 (``-m fast``), windows of 100
    lines (25 of context on each side) keep the same lines as one pass over all of it. Smaller
    windows do not: a window's document-level features are its own (with 40-line windows 7 of 125
    lines flip; the default model flips 3 at 100 lines and 6 at 40), which is why real documents
    are windowed only past ``WINDOW_LINES`` (20,000 lines, ``benchmarks/windows.py``)."""
    from noisecut.policy import Policy, select

    model = Model.load("fast")

    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    texts = non_blank(text)
    assert len(texts) > 100
    columns = model.columns(Policy().keep)
    whole = model.predict_proba(texts)
    parts = windowed(model, texts, window=100, overlap=25)
    assert not np.allclose(parts, whole, atol=1e-3)  # the windows really saw less
    kept = select(texts, whole[:, columns].sum(axis=1), Policy())
    np.testing.assert_array_equal(select(texts, parts[:, columns].sum(axis=1), Policy()), kept)


def test_first_characters_beyond_the_basic_plane():
    """Line starts are tested with Python's own str methods, astral characters included."""
    lines = ["\U0001d7cf23 apples", "\U00010428 small deseret", "²", "Ⅻ chapter", "ñandú", "..."]
    names = list(feature_dict(lines))
    rows = featurize(lines)
    for row, line in zip(rows, lines):
        assert row[names.index("starts_digit")] == float(line[0].isdigit())
        assert row[names.index("starts_lower")] == float(line[0].islower())
        assert row[names.index("is_number")] == float(line.replace(",", "").replace(".", "").isdigit())
        assert row[names.index("ends_ellipsis")] == float(line.endswith(("...", "…")))


def test_documents_read_before_a_failing_one_still_come_out():
    def stream():
        yield Document.from_text("a")
        yield Document.from_text("b")
        raise OSError("unreadable")

    groups = batches(stream())
    assert [len(d) for d in next(groups)] == [1, 1]
    with pytest.raises(OSError, match="unreadable"):
        next(groups)


PAUSE = 30.0  # seconds a paused stream waits to be let go on: far beyond LINGER, so only a failure waits it out


def paused_stream(before: int, after: int) -> tuple[list[Document], object, threading.Event, threading.Event]:
    """``before`` documents, a pause until the event ``go_on`` is set (at most ``PAUSE`` seconds), ``after``
    more; ``resumed`` is set when the pause has ended. (The documents, the stream, go_on, resumed.)"""
    docs = [Document.from_text(f"Line {i}.") for i in range(before + after)]
    go_on, resumed = threading.Event(), threading.Event()

    def stream():
        yield from docs[:before]
        go_on.wait(PAUSE)
        resumed.set()
        yield from docs[before:]

    return docs, stream(), go_on, resumed


def test_a_pause_in_the_input_hands_the_batch_over():
    """A slow pipe: the documents read before a pause are a batch of their own, handed over ``LINGER``
    seconds into the pause (they waited for 32,000 lines or the end of the input)."""
    docs, stream, go_on, resumed = paused_stream(3, 2)
    with ReadAhead(stream) as read:
        groups = batches(read, arrived=read.wait)
        assert next(groups) == docs[:3] and not resumed.is_set()
        go_on.set()
        assert list(groups) == [docs[3:]]
    assert [len(g) for g in batches(docs, arrived=None)] == [5]  # without the check, as before


def test_chunks_hand_over_a_full_chunk_without_reading_on():
    """``parallel.clean_documents`` hands the rest of the input to the workers after a full first chunk: the
    chunk must not have read a document past it."""
    docs, stream, go_on, resumed = paused_stream(4, 1)
    first = next(chunks(stream, 4))  # the fifth document would wait for the pause to end
    assert first == docs[:4] and not resumed.is_set()
    go_on.set()


def test_read_ahead_keeps_order_errors_and_stops():
    def stream():
        yield from range(5)
        raise OSError("unreadable")

    read = ReadAhead(stream(), ahead=2)
    assert read.wait(PAUSE)
    got = []
    with pytest.raises(OSError, match="unreadable"):
        for item in read:
            got.append(item)
    assert got == [0, 1, 2, 3, 4] and list(read) == []
    endless = ReadAhead(iter(int, 1), ahead=2)  # zeros for ever: the thread waits for room
    assert next(endless) == 0
    endless.close()
    assert list(endless) == []
    endless._thread.join(PAUSE)
    assert not endless._thread.is_alive()


def test_window_stages_in_a_batch_read_each_documents_own_context(trained):
    """A two-stage window model's stage two reads neighbours' probabilities: never across documents."""
    window_model = trained[0]
    assert window_model.stage2 is not None
    docs = [non_blank(t) for t in built_documents()]
    for texts, p in zip(docs, window_model.predict_proba_batch(docs)):
        np.testing.assert_allclose(p, window_model.predict_proba(texts), rtol=0, atol=1e-12)
