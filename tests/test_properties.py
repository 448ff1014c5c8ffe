"""Properties of cleaning that hold for any input, checked with Hypothesis, plus hostile inputs.

For every input (arbitrary bytes included: invalid UTF-8, NUL, ``\\r``,
``\\r\\n``, BOM, form feeds, emoji, RTL, CJK, zero-width characters):

* nothing raises;
* the output is the input's lines, a subsequence of them, each byte for byte
  with its own terminator (a BOM the input had comes back in front);
* cleaning is deterministic;
* ``classify`` gives one result per line, and its kept lines are the cleaned text;
* ``noisecut clean`` on stdin writes exactly what ``Cleaner.clean_bytes`` returns;

and, so that a cleaner dropping (or keeping) everything cannot pass:

* threshold 0 without dedupe returns every line from the first non-blank one
  to the last, byte for byte;
* above the default threshold (where the never-empty rescue is off), raising
  the threshold keeps a subset of what a lower one kept, and keeping more
  labels keeps a superset;
* with the shipped model, cleaning its own output again keeps every line it
  was confident about (keep score >= ``CONFIDENT``).

Example counts are bounded so the file runs in seconds. The two very large
inputs (a 50 MB line, a million lines) run at full size only with
``NOISECUT_STRESS=1`` (each takes 20-40 s and GBs of memory); by default they
run at 2 MB and 50,000 lines, which exercises the same code paths.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from noisecut import Cleaner
from noisecut.cli import main
from noisecut.io.files import other_compression
from noisecut.document import Document
from noisecut.labels import LABELS
from noisecut.policy import THRESHOLD_DEFAULT

BOM = b"\xef\xbb\xbf"
_BREAK = re.compile(rb"(\r\n|\r|\n)")
STRESS = os.environ.get("NOISECUT_STRESS") == "1"

API = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLI = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- helpers ------------------------------------------------------------------


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data``, each with its own terminator, split exactly as ``Document`` splits text."""
    if not data:
        return []
    parts = _BREAK.split(data)
    out = [line + end for line, end in zip(parts[0::2], parts[1::2] + [b""])]
    if out[-1] == b"":
        out.pop()
    return out


def segments(data: bytes) -> tuple[bool, list[bytes]]:
    """(had a BOM, its lines): a leading BOM is set aside, as ``Document.from_bytes`` does."""
    bom = data.startswith(BOM)
    return bom, split_lines(data[len(BOM):] if bom else data)


def is_subsequence(part: list, whole: list) -> bool:
    """Whether ``part`` is ``whole`` with some items left out (order kept). Linear time."""
    items = iter(whole)
    return all(any(x == y for y in items) for x in part)


def assert_kept_lines_of(output: bytes, data: bytes) -> None:
    """``output`` is a subsequence of ``data``'s lines, byte for byte, with the BOM rule."""
    bom, lines = segments(data)
    if output and bom:
        assert output.startswith(BOM), "the input's BOM did not come back in front"
        output = output[len(BOM):]
    kept = split_lines(output)
    assert is_subsequence(kept, lines), f"output lines are not a subsequence of the input lines:\n{kept[:5]!r}\n{lines[:5]!r}"


# -- strategies ----------------------------------------------------------------

WORDS = (
    "the council voted on tuesday to approve a new budget for public library which will extend opening hours "
    "weekends and fund programme of reading classes children members said money would come from savings in "
    "transport department that had been asking longer more than three years river bridge repair school"
).split()
MENU = ["Home", "News", "Sport", "Weather", "Contact", "About us", "Login", "Share", "Tweet", "Advertisement",
        "Related stories", "Next »", "« Prev", "Subscribe", "© 2024 Example News", "Cookie settings", "Menu"]
SPECIALS = [
    "\x00", "\r", "\r\n", "\n", "\ufeff", "\x0c", "\x0b", "\t", "\x85", "\u2028", "\u2029",
    "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "\u200b", "\u200c", "\u200d", "\u2060", "\u200e", "\u200f", "\u202e",
    "مرحبا بالعالم، هذه فقرة عربية.", "שלום עולם", "你好，世界。这是一个中文句子。", "こんにちは世界", "한국어 문장입니다.",
    "e\u0301", "\U0001d54f", "\ufffd", "\xa0", "\u3000",
]
BAD_BYTES = [b"\xff", b"\xfe", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82", b"\xf0\x9f\x98"]


@st.composite
def sentence(draw) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=8, max_size=40))
    return " ".join(words).capitalize() + draw(st.sampled_from([".", "!", "?", ",", ""]))


menu_line = st.lists(st.sampled_from(MENU), min_size=1, max_size=6).map(lambda items: " | ".join(items))
special = st.sampled_from(SPECIALS)
text_line = st.one_of(sentence(), menu_line, special, st.text(max_size=40), st.just(""), st.just("   "))
line_end = st.sampled_from(["\n", "\r\n", "\r", "\n\n", ""])


@st.composite
def documents_text(draw) -> str:
    """Realistic lines (sentences, menus) mixed with special characters, any terminators."""
    parts = draw(st.lists(st.tuples(text_line, st.lists(special, max_size=2), line_end), max_size=25))
    prefix = draw(st.sampled_from(["", "\ufeff"]))
    return prefix + "".join(line + "".join(extra) + end for line, extra, end in parts)


@st.composite
def documents_bytes(draw) -> bytes:
    """``documents_text`` encoded, with raw junk (invalid UTF-8, arbitrary bytes) spliced in."""
    text = draw(documents_text()).encode("utf-8", "surrogatepass")
    pieces = draw(st.lists(st.one_of(st.sampled_from(BAD_BYTES), st.binary(max_size=30)), max_size=6))
    for piece in pieces:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + piece + text[at:]
    return text


any_bytes = st.one_of(documents_bytes(), st.binary(max_size=400))
# what a pipe may carry as text: input that opens with gzip's magic bytes is read
# as gzip by the CLI (and refused when it is not), whatever -I says of the format;
# input that opens like zstd, xz, bzip2 or lz4 is refused
stdin_bytes = any_bytes.filter(lambda data: not data.startswith(b"\x1f\x8b") and other_compression(data[:16]) is None)
any_text = st.one_of(documents_text(), st.text(max_size=300), st.text(st.characters(codec=None), max_size=200))


# -- the cleaning API ------------------------------------------------------------


@API
@given(data=any_bytes)
def test_clean_bytes_keeps_a_subsequence_of_lines_byte_for_byte(cleaner, data):
    out = cleaner.clean_bytes(data)
    assert isinstance(out, bytes)
    assert_kept_lines_of(out, data)
    assert cleaner.clean_bytes(data) == out, "not deterministic"
    text = data.decode("utf-8", "surrogateescape")
    assert cleaner.clean(text).encode("utf-8", "surrogateescape") == out, "clean and clean_bytes disagree"


@API
@given(text=any_text)
def test_clean_text_keeps_a_subsequence_of_lines(cleaner, text):
    out = cleaner.clean(text)
    assert isinstance(out, str)
    enc = lambda s: s.encode("utf-8", "surrogatepass")  # noqa: E731 (lone surrogates from st.characters)
    assert_kept_lines_of(enc(out), enc(text))
    assert cleaner.clean(text) == out, "not deterministic"


@API
@given(data=any_bytes)
def test_classify_gives_one_result_per_line_and_agrees_with_clean(cleaner, data):
    text = data.decode("utf-8", "surrogateescape")
    doc = Document.from_text(text)
    results = cleaner.classify(text)
    assert [r.index for r in results] == list(range(len(doc.lines)))
    assert [r.text for r in results] == doc.lines
    for r in results:
        if r.text.strip():
            assert r.label is not None
            assert 0.0 <= r.probability <= 1.0 + 1e-9 and 0.0 <= r.keep_score <= 1.0 + 1e-9
        else:
            assert r.label is None
    assert doc.join([r.index for r in results if r.kept]) == cleaner.clean(text)
    # --explain: one row per line (a line holds no \r or \n, so rows split cleanly)
    rows = cleaner.explain(data).split(b"\n")
    assert rows[-1] == b"" and len(rows) - 1 == len(doc.lines)


@settings(API, max_examples=50)
@given(data=any_bytes, threshold=st.sampled_from([0.0, 0.3, 0.9, 1.0]), dedupe=st.booleans())
def test_every_policy_keeps_a_subsequence(model, data, threshold, dedupe):
    assert_kept_lines_of(Cleaner(model, threshold=threshold, dedupe=dedupe).clean_bytes(data), data)


def content_span(data: bytes) -> bytes:
    """``data``'s lines from its first non-blank line to its last, byte for byte (BOM in front): all of it but blank edges."""
    bom, lines = segments(data)
    blank = [not line.decode("utf-8", "surrogateescape").strip() for line in lines]
    if all(blank):
        return b""
    first, last = blank.index(False), len(blank) - 1 - blank[::-1].index(False)
    return (BOM if bom else b"") + b"".join(lines[first:last + 1])


def kept_lines(cleaner: Cleaner, text: str) -> set[int]:
    return {r.index for r in cleaner.classify(text) if r.kept and r.text.strip()}


def kept_texts(cleaner: Cleaner, text: str) -> set[str]:
    return {r.text.strip() for r in cleaner.classify(text) if r.kept and r.text.strip()}


@API
@given(data=any_bytes)
def test_threshold_zero_without_dedupe_keeps_every_line(model, data):
    out = Cleaner(model, threshold=0.0, dedupe=False).clean_bytes(data)
    assert out == content_span(data)


def test_content_span_of_a_page():
    """The reference of the property above, worked out by hand."""
    assert content_span(b"\n \nHome\r\n\nBody\n\t\n") == b"Home\r\n\nBody\n"
    assert content_span(BOM + b"\nA\rB") == BOM + b"A\rB"
    assert content_span(b" \n\t") == b""


# above the default threshold the rescue (keep the best lines of an all-noise page) is off;
# below it, a stricter threshold can rescue lines a looser one did not keep, by design
strict_threshold = st.floats(THRESHOLD_DEFAULT + 0.01, 0.99)
label_sets = st.sets(st.sampled_from(sorted(LABELS, key=lambda label: label.value)), min_size=1)


@settings(API, max_examples=60)
@given(text=documents_text(), low=st.floats(0.0, 0.99), high=strict_threshold)
def test_raising_the_threshold_keeps_a_subset(model, text, low, high):
    low, high = sorted((low, high))  # high stays above the default threshold
    looser, stricter = (Cleaner(model, threshold=t, dedupe=False) for t in (low, high))
    assert kept_lines(stricter, text) <= kept_lines(looser, text)
    # with dedupe the copy kept may move, but the kept texts still shrink
    looser, stricter = (Cleaner(model, threshold=t) for t in (low, high))
    assert kept_texts(stricter, text) <= kept_texts(looser, text)


@settings(API, max_examples=60)
@given(text=documents_text(), fewer=label_sets, more=label_sets, threshold=strict_threshold)
def test_keeping_more_labels_keeps_a_superset(model, text, fewer, more, threshold):
    fewer, more = (labels & set(model.labels) for labels in (fewer, fewer | more))  # a label it lacks is refused
    assume(fewer)
    narrow, wide = (Cleaner(model, keep=keep, threshold=threshold, dedupe=False) for keep in (fewer, more))
    assert kept_lines(narrow, text) <= kept_lines(wide, text)
    narrow, wide = (Cleaner(model, keep=keep, threshold=threshold) for keep in (fewer, more))
    assert kept_texts(narrow, text) <= kept_texts(wide, text)


def test_keeping_every_label_keeps_every_line_and_certainty_none(model):
    text = page(P1, "", P2)
    everything = Cleaner(model, keep=model.labels, threshold=0.999, dedupe=False)
    assert kept_lines(everything, text) == {i for i, line in enumerate(text.splitlines()) if line.strip()}
    certain = Cleaner(model, threshold=1.0)  # above the default: no rescue
    assert max(r.keep_score for r in certain.classify(text)) < 1.0  # the small session model is never certain
    assert certain.clean(text) == ""


CONFIDENT = 0.9  # keep score of a line the model is sure about


@pytest.fixture(scope="module")
def shipped_cleaner():
    return Cleaner()


@settings(API, max_examples=60)
@given(text=documents_text())
def test_recleaning_keeps_the_confident_lines(shipped_cleaner, text):
    """Cleaning its own output again keeps every line the shipped model was sure of (context changes, the verdict does not)."""
    first = shipped_cleaner.classify(text)
    sure = [r.text for r in first if r.kept and r.keep_score >= CONFIDENT]
    out = shipped_cleaner.clean(text)
    again = shipped_cleaner.clean(out)
    assert sure == [line for line in Document.from_text(again).lines if line in set(sure)]


def test_recleaning_a_news_page_changes_nothing(shipped_cleaner):
    """On a page the shipped model reads confidently, cleaning is idempotent outright."""
    text = page(P1, "", P2, "", P3)
    out = shipped_cleaner.clean(text)
    assert P1 in out and P2 in out and P3 in out and "Advertisement" not in out
    assert shipped_cleaner.clean(out) == out


# -- the command line -------------------------------------------------------------


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@CLI
@given(data=stdin_bytes)
def test_cli_clean_stdin_writes_what_the_api_returns(runner, model_dir, cleaner, data):
    result = runner.invoke(main, ["clean", "-q", "-j", "1", "-I", "text", "-m", str(model_dir)], input=data, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == cleaner.clean_bytes(data)
    assert_kept_lines_of(result.stdout_bytes, data)


@settings(CLI, max_examples=25)
@given(data=stdin_bytes)
def test_cli_explain_stdin_never_fails(runner, model_dir, cleaner, data):
    result = runner.invoke(main, ["clean", "-q", "-j", "1", "-I", "text", "--explain", "-m", str(model_dir)], input=data, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == cleaner.explain(data)


# -- hostile inputs, once each ------------------------------------------------------

from texts import P1, P2, P3  # noqa: E402
MENU_LINES = [
    "Home | News | Local | Sport | Weather", "Login", "Subscribe", "Menu", "Search",
    "Share", "Tweet", "Email", "Advertisement", "Related stories", "Next »", "© 2024 Example News. All rights reserved.",
]


@pytest.fixture(scope="module")
def full_cleaner(labeled_docs, fit_fast):
    """A model trained with the default settings (what ``noisecut train`` ships), for the "body survives" checks.

    The session model (16 hidden units) is made small for speed; decorating the
    menu lines around a paragraph with emoji or zero-width spaces is enough to
    tip it into dropping the paragraph, while the default-size model keeps it.
    """
    model, _ = fit_fast(labeled_docs)
    return Cleaner(model)


def page(*body: str, decoration: str = "") -> str:
    menu = [m + decoration for m in MENU_LINES]
    return "\n".join(menu[:6] + list(body) + menu[6:]) + "\n"


@pytest.mark.parametrize("data", [
    b"", b"\n", b"\r\n", b"\r", b"\n\n\n", b"   \t  \n \x0c \n", BOM, BOM + b"\n", b"\x00", b"\x00" * 1000,
    b"\x00\n\x00\r\n\x00\r", bytes(range(256)), bytes(range(256)) * 40, b"\xff\xfe\xfd" * 100,
    b"\xc3\x28\n\xa0\xa1\n\xe2\x28\xa1\n\xf0\x28\x8c\xbc\n", b"\xed\xa0\x80\xed\xbf\xbf\n",
    b"a\rb\nc\r\nd\n\re\r\r\nf", b"\x0c\x0b\x1c\x1d\x1e\x85\n", "\u2028\u2029\x85".encode() * 50,
    "\u200b\u200c\u200d\u2060\ufeff\n".encode() * 20, "😀👍🏽👨‍👩‍👧🇫🇷\n".encode() * 20, ("\u202e" + P1 + "\n").encode(),
], ids=lambda d: repr(d[:16]))
def test_hostile_small_inputs(cleaner, data):
    out = cleaner.clean_bytes(data)
    assert_kept_lines_of(out, data)
    text = data.decode("utf-8", "surrogateescape")
    lines = Document.from_bytes(data).lines
    results = cleaner.classify(text)
    assert [r.text for r in results] == lines
    assert all((r.label is None) == (not r.text.strip()) for r in results)
    assert Document.from_bytes(data).join([r.index for r in results if r.kept]).encode("utf-8", "surrogateescape") == out
    rows = cleaner.explain(data).split(b"\n")
    assert rows[-1] == b"" and len(rows) - 1 == len(lines)
    assert all(row[:2] in (b"+ ", b"- ") for row in rows[:-1])


def test_whitespace_only_comes_out_empty(cleaner):
    for data in (b" ", b"\t\t\n", b"\n \n\t\n", b"\r\n \r\n"):
        assert cleaner.clean_bytes(data) == b""


def test_deeply_repeated_lines(cleaner):
    data = (P1 + "\n").encode() * 2000 + b"Home | News\n" * 2000
    out = cleaner.clean_bytes(data)
    assert_kept_lines_of(out, data)
    assert out.count(P1.encode()) == 1  # the paragraph is kept; its later exact repeats are dropped
    assert b"Home | News" not in out
    undeduped = Cleaner(cleaner.model, dedupe=False).clean_bytes(data)
    assert_kept_lines_of(undeduped, data)
    assert undeduped.count(P1.encode()) > 1000  # without dedupe the repeats stay


@pytest.mark.parametrize("decoration", ["", " \x00", " \u200b", " 😀", " \udcff"], ids=["plain", "nul", "zwsp", "emoji", "badbyte"])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_body_paragraph_between_menus_is_kept(full_cleaner, decoration, ending):
    text = page(P1, "", P2, decoration=decoration).replace("\n", ending)
    data = text.encode("utf-8", "surrogateescape")
    out = full_cleaner.clean_bytes(data)
    assert_kept_lines_of(out, data)
    assert P1.encode() in out and P2.encode() in out
    assert b"Advertisement" not in out


@pytest.mark.parametrize("body", [
    "مجلس المدينة صوّت يوم الثلاثاء على ميزانية جديدة للمكتبة العامة، ستمدد ساعات العمل في عطلة نهاية الأسبوع وتموّل دروس القراءة للأطفال.",
    "市议会周二投票通过了公共图书馆的新预算，将延长周末开放时间，并为儿童阅读课程提供资金。议员们表示，这笔钱将来自交通部门的节余。",
    "Der Stadtrat hat am Dienstag einen neuen Haushalt für die öffentliche Bibliothek beschlossen, der längere Öffnungszeiten am Wochenende finanziert.",
], ids=["arabic", "chinese", "german"])
def test_non_latin_paragraph_between_menus_survives(full_cleaner, body):
    text = page(body, "", P1)
    out = full_cleaner.clean(text)
    assert_kept_lines_of(out.encode(), text.encode())
    assert P1 in out
    assert body in out


# -- very large inputs: run once -------------------------------------------------------

_LARGE = textwrap.dedent("""
    import json, resource, sys, time
    from noisecut import Cleaner
    kind, size, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cleaner = Cleaner(model)
    if kind == "line":
        unit = b"The quick brown fox jumps over the lazy dog near the river bank. "
        data = unit * (size // len(unit))
    else:
        data = b"".join(b"item %d\\n" % (i % 1000) if i % 7 else b"ok\\n" for i in range(size))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    out = cleaner.clean_bytes(data)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.buffer.write(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "before_mb": before / 1024, "in": len(data), "out": len(out)}).encode() + b"\\n")
    if kind == "line":
        assert out in (b"", data), "a single line comes back whole or not at all"
    else:
        lines, kept = data.splitlines(keepends=True), out.splitlines(keepends=True)
        it = iter(lines)
        assert all(any(x == y for y in it) for x in kept), "not a subsequence"
""")


def _run_large(kind: str, size: int, model_dir: Path) -> dict:
    """Clean one large input in a fresh process (its peak memory is its own) and return its stats."""
    proc = subprocess.run([sys.executable, "-c", _LARGE, kind, str(size), str(model_dir)], capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    return json.loads(proc.stdout.decode().splitlines()[-1])


def test_one_huge_line(model_dir):
    """A single 50 MB line (2 MB by default) completes, comes back whole or not at all, in bounded memory."""
    size = 50_000_000 if STRESS else 2_000_000
    stats = _run_large("line", size, model_dir)
    # measured: ~36 bytes of peak memory per input byte (50 MB -> ~1.8-2.5 GB); fail well past that
    assert stats["peak_mb"] - stats["before_mb"] < max(64, 60 * size / 2**20), stats


def test_a_million_short_lines(model_dir):
    """A million short lines (50,000 by default): completes, output a subsequence of the lines."""
    size = 1_000_000 if STRESS else 50_000
    stats = _run_large("lines", size, model_dir)
    # measured: ~5.5 KB of peak memory per line (1M lines -> ~5.5 GB); fail well past that
    assert stats["peak_mb"] - stats["before_mb"] < 8 * size / 1024 + 64, stats


# -- the model loads and cleans without pickle (SECURITY.md) ----------------------------


def test_loading_and_cleaning_never_unpickles(model_dir, monkeypatch):
    """``Cleaner(model_dir)`` reads npz (allow_pickle=False) and JSON only: no pickle, no joblib, even with estimator.joblib beside them."""
    import noisecut.model

    assert (model_dir / "estimator.joblib").exists()  # the session model has one: it must be ignored

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used on the cleaning path")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(pickle, "_Unpickler", refuse, raising=False)
    if "joblib" in sys.modules:
        monkeypatch.setattr(sys.modules["joblib"], "load", refuse)
    cleaner = Cleaner(model_dir)
    out = cleaner.clean(page(P1, "", P2))
    assert P1 in out
    assert noisecut.model.ESTIMATOR == "estimator.joblib"


@pytest.mark.parametrize("kind", ["window stages", "shipped sequence model"])
def test_cleaning_path_does_not_import_pickle_loaders_in_a_fresh_process(model_dir, kind):
    """In a fresh interpreter, loading and cleaning imports neither joblib, scikit-learn nor PyTorch, and never calls pickle."""
    from noisecut.model import default_model_dir

    model_dir = model_dir if kind == "window stages" else default_model_dir()
    code = textwrap.dedent(f"""
        import pickle, sys
        def refuse(*a, **k):
            raise SystemExit("pickle called")
        pickle.load = pickle.loads = pickle.Unpickler = refuse
        from noisecut import Cleaner
        Cleaner({str(model_dir)!r}).clean("Home | News\\nA sentence of body text that goes on for a while, with words.\\n")
        bad = [m for m in ("joblib", "sklearn", "torch") if m in sys.modules]
        if bad:
            raise SystemExit("imported " + ", ".join(bad))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_npz_holding_a_pickle_is_refused(model_dir, tmp_path):
    """An object array (which only pickle can store) in model.npz is refused, even with a matching SHA-256."""
    import hashlib
    import shutil

    import numpy as np

    from noisecut.errors import NoiseCutError
    from noisecut.model import Model

    bad = tmp_path / "bad"
    shutil.copytree(model_dir, bad)
    with np.load(bad / "model.npz") as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["stage1.mean"] = np.array([object()] * 3, dtype=object)
    with open(bad / "model.npz", "wb") as f:
        np.savez(f, **arrays)
    meta = json.loads((bad / "model.json").read_text())
    meta["sha256"] = hashlib.sha256((bad / "model.npz").read_bytes()).hexdigest()
    (bad / "model.json").write_text(json.dumps(meta))
    with pytest.raises(NoiseCutError, match="unreadable model"):
        Model.load(bad)


def test_changed_model_file_is_refused(model_dir, tmp_path):
    import shutil

    from noisecut.errors import NoiseCutError
    from noisecut.model import Model

    bad = tmp_path / "changed"
    shutil.copytree(model_dir, bad)
    data = bytearray((bad / "model.npz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (bad / "model.npz").write_bytes(bytes(data))
    with pytest.raises(NoiseCutError, match="SHA-256"):
        Model.load(bad)


def test_estimators_need_trust(model_dir):
    from noisecut.errors import NoiseCutError
    from noisecut.train import load_estimators

    with pytest.raises(NoiseCutError, match="pickle"):
        load_estimators(model_dir)
    assert "stage1" in load_estimators(model_dir, trust=True)
