import subprocess
import sys
from pathlib import Path

import pytest

from noisecut.labels import Label
from noisecut.scoring import (
    PRF,
    format_confusion,
    format_line_report,
    line_scores,
    mean_scores,
    prf,
    text_scores,
    tokens,
)

B, H, T, N, S, A = Label.BODY, Label.HEADING, Label.TITLE, Label.NAV, Label.SHARE, Label.AD


# ------------------------------------------------------------------ prf


def test_prf_counts():
    s = prf(tp=3, fp=1, fn=2)
    assert s.precision == pytest.approx(0.75)
    assert s.recall == pytest.approx(0.6)
    assert s.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert s.support == 5


def test_prf_conventions():
    assert prf(0, 0, 0) == PRF(1.0, 1.0, 1.0, 0)
    assert prf(0, 4, 0) == PRF(0.0, 0.0, 0.0, 0)  # nothing expected, something predicted
    assert prf(0, 0, 4) == PRF(0.0, 0.0, 0.0, 4)  # something expected, nothing predicted
    assert prf(0, 2, 3) == PRF(0.0, 0.0, 0.0, 3)  # both non-empty, no overlap


def test_mean_scores_is_macro_over_documents():
    m = mean_scores([PRF(1.0, 0.5, 2 / 3, 10), PRF(0.5, 1.0, 2 / 3, 30), PRF(0.0, 0.0, 0.0, 5)])
    assert m.precision == pytest.approx(0.5)
    assert m.recall == pytest.approx(0.5)
    assert m.f1 == pytest.approx(4 / 9)  # mean of the F1s, not F1 of the means
    assert m.support == 45
    with pytest.raises(ValueError):
        mean_scores([])


# ------------------------------------------------------------------ text level


def test_tokens_basic():
    assert tokens("Hello, World!  It's 3.14 -- foo_bar") == ["hello", "world", "it", "s", "3", "14", "foo_bar"]
    assert tokens("") == []
    assert tokens(" \n\t ,.;") == []


def test_tokens_nfkc_and_unicode():
    assert tokens("Ｆｕｌｌ ﬁne ÉCOLE Straße") == ["full", "fine", "école", "straße"]
    # combining marks stay inside the word (\w alone would split these)
    assert tokens("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    assert tokens("ภาษาไทย") == ["ภาษาไทย"]
    assert tokens("Привет, мир") == ["привет", "мир"]


def test_tokens_cjk_per_character():
    assert tokens("北京欢迎你。") == ["北", "京", "欢", "迎", "你"]
    assert tokens("東京タワーは高い") == ["東", "京", "タ", "ワ", "ー", "は", "高", "い"]
    assert tokens("서울 특별시") == ["서", "울", "특", "별", "시"]
    # mixed runs: Latin/digits stay whole, CJK splits
    assert tokens("iPhone15发布会 ok") == ["iphone15", "发", "布", "会", "ok"]


def test_text_scores_perfect_and_empty():
    assert text_scores("The cat sat.", "the CAT sat") == PRF(1.0, 1.0, 1.0, 3)
    assert text_scores("", "") == PRF(1.0, 1.0, 1.0, 0)
    assert text_scores("  ...  ", "") == PRF(1.0, 1.0, 1.0, 0)  # no tokens on either side
    assert text_scores("", "some gold text") == PRF(0.0, 0.0, 0.0, 3)
    assert text_scores("spurious text", "") == PRF(0.0, 0.0, 0.0, 0)


def test_text_scores_partial_overlap():
    # pred 4 tokens, gold 5 tokens, overlap {the, cat, sat} = 3
    s = text_scores("the cat sat Home", "the cat sat on mats")
    assert s.precision == pytest.approx(3 / 4)
    assert s.recall == pytest.approx(3 / 5)
    assert s.f1 == pytest.approx(2 * 3 / (4 + 5))
    assert s.support == 5


def test_text_scores_multiset_counts():
    # pred: a a a b ; gold: a b b c -> overlap min(3,1)+min(1,2) = 2
    s = text_scores("a a a b", "a b b c")
    assert (s.precision, s.recall, s.support) == (0.5, 0.5, 4)
    assert s.f1 == pytest.approx(0.5)
    # order does not matter
    assert text_scores("c b b a", "a b b c").f1 == 1.0


def test_text_scores_cjk():
    # gold 5 characters, pred has 3 of them plus 1 extra
    s = text_scores("北京你好", "北京欢迎你")
    assert s.precision == pytest.approx(3 / 4)
    assert s.recall == pytest.approx(3 / 5)


# ------------------------------------------------------------------ line level


GOLD = [T, B, B, B, N, N, S, H, B]
PRED = [B, B, B, N, N, B, S, H, B]


def test_line_scores_confusion_counts():
    c = line_scores(GOLD, PRED)["confusion"]
    assert list(c) == [B, H, T, N, S]  # present labels in LABELS order
    assert c[B] == {B: 3, H: 0, T: 0, N: 1, S: 0}
    assert c[T] == {B: 1, H: 0, T: 0, N: 0, S: 0}
    assert c[N] == {B: 1, H: 0, T: 0, N: 1, S: 0}
    assert c[H][H] == 1 and c[S][S] == 1
    assert sum(v for row in c.values() for v in row.values()) == len(GOLD)


def test_line_scores_per_label_and_accuracy():
    r = line_scores(GOLD, PRED)
    assert r["n"] == 9
    assert r["accuracy"] == pytest.approx(6 / 9)
    body = r["labels"][B]  # tp 3, fp 2 (title, nav), fn 1 (-> nav)
    assert (body.precision, body.recall, body.support) == (3 / 5, 3 / 4, 4)
    nav = r["labels"][N]  # tp 1, fp 1, fn 1
    assert (nav.precision, nav.recall, nav.f1, nav.support) == (0.5, 0.5, 0.5, 2)
    assert r["labels"][T] == PRF(0.0, 0.0, 0.0, 1)
    assert r["labels"][H] == PRF(1.0, 1.0, 1.0, 1)
    assert Label.AD not in r["labels"]
    macro = r["macro"]
    assert macro.f1 == pytest.approx((body.f1 + 1.0 + 0.0 + 0.5 + 1.0) / 5)
    assert macro.support == 9


def test_line_scores_keep_drop_aggregation():
    r = line_scores(GOLD, PRED)
    # gold keep (body/heading): idx 1,2,3,7,8 ; pred keep: idx 0,1,2,5,7,8
    # keep: tp = 1,2,7,8 = 4 ; fp = 0,5 = 2 ; fn = 3 = 1
    keep = r["keep"]
    assert (keep.precision, keep.recall, keep.support) == (4 / 6, 4 / 5, 5)
    # drop: tp = 4,6 = 2 ; fp = 3 = 1 ; fn = 0,5 = 2
    drop = r["drop"]
    assert (drop.precision, drop.recall, drop.support) == (2 / 3, 2 / 4, 4)


def test_line_scores_noise_kinds_confused_still_correct_drop():
    # nav predicted as ad: wrong label, right decision
    r = line_scores([N, A, B], [A, N, B])
    assert r["accuracy"] == pytest.approx(1 / 3)
    assert r["keep"] == PRF(1.0, 1.0, 1.0, 1)
    assert r["drop"] == PRF(1.0, 1.0, 1.0, 2)


def test_line_scores_custom_keep_and_strings():
    r = line_scores(["body", "title", "nav"], ["body", "body", "nav"], keep={B, T})
    assert r["keep"] == PRF(1.0, 1.0, 1.0, 2)
    assert r["accuracy"] == pytest.approx(2 / 3)


def test_line_scores_empty_and_mismatch():
    r = line_scores([], [])
    assert r["n"] == 0 and r["accuracy"] == 1.0
    assert r["keep"] == PRF(1.0, 1.0, 1.0, 0) and r["drop"] == PRF(1.0, 1.0, 1.0, 0)
    assert r["labels"] == {} and r["confusion"] == {}
    # all-noise document, cleaner drops everything: keep is vacuously perfect
    r = line_scores([N, N], [S, N])
    assert r["keep"] == PRF(1.0, 1.0, 1.0, 0)
    with pytest.raises(ValueError):
        line_scores([B], [B, N])
    with pytest.raises(ValueError):
        line_scores(["bogus"], ["body"])


def test_format_confusion_table():
    text = format_confusion(line_scores([B, N, N], [B, B, N])["confusion"])
    assert text.splitlines() == [
        "gold\\pred   body    nav",
        "body           1      0",
        "nav            1      1",
    ]


def test_format_line_report():
    r = line_scores(GOLD, PRED)
    text = format_line_report(r)
    lines = text.splitlines()
    assert lines[0].split() == ["label", "precision", "recall", "f1", "support"]
    body_row = next(line for line in lines if line.startswith("body "))
    assert body_row.split() == ["body", "0.6000", "0.7500", "0.6667", "4"]
    assert any(line.split()[:2] == ["accuracy", "0.6667"] for line in lines)
    assert "gold\\pred" in text
    # rows of the PRF table line up
    table = [line for line in lines[: lines.index("")] if not line.startswith(("-", "accuracy"))]
    assert len({len(line) for line in table}) == 1
    assert "gold\\pred" not in format_line_report(r, confusion=False)


def test_import_is_light():
    code = "import sys, noisecut.scoring; bad = {'justext', 'trafilatura', 'lxml'} & set(sys.modules); print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "set()"
