import subprocess
import sys
from pathlib import Path

import pytest

from noisecut.scoring import PRF, mean_scores, prf, text_scores, tokens


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


def test_import_is_light():
    code = "import sys, noisecut.scoring; bad = {'justext', 'trafilatura', 'lxml'} & set(sys.modules); print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "set()"


def test_scoring_keeps_only_what_sklearn_lacks():
    """Line-level scores come from sklearn.metrics (noisecut/evaluate.py); scoring.py is the text-level metric (item 15)."""
    import noisecut.scoring

    public = {name for name in vars(noisecut.scoring) if not name.startswith("_")
              and getattr(vars(noisecut.scoring)[name], "__module__", None) == "noisecut.scoring"}
    assert public == {"PRF", "prf", "mean_scores", "tokens", "text_scores"}


def test_cleaning_never_imports_sklearn(constant_model_dir):
    code = ("import sys, noisecut; c = noisecut.Cleaner(sys.argv[1]); c.clean('Home | News\\nA paragraph of text.'); "
            "c.classify('Menu'); c.explain(b'Menu'); print(sorted(m for m in ('sklearn', 'scipy', 'pandas', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(constant_model_dir)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"
