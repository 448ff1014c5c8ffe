"""noisecut.features: shape and finiteness on odd text, specific features, array helpers."""
from __future__ import annotations

import re
import zlib
from itertools import chain

import numpy as np
import pytest

from noisecut import features
from noisecut.features import (
    CONTEXT_OF,
    CUE_BUCKETS,
    ONE_SIDED,
    TOKENISE_CHARS,
    WINDOWS,
    Lines,
    Words,
    feature_dict,
    feature_names,
    featurize,
    featurize_batch,
    shift,
    window_mean,
    window_means,
)
from noisecut.labeled import LabeledDocument, parse

ARTICLE = [
    "Library to open on weekends after council vote",
    "The city council voted on Tuesday to approve a new budget for the public library, which will extend "
    "opening hours on weekends and fund reading classes for children.",
    "Council members said the library budget would come from savings in the transport department, and that "
    "the library had asked for longer weekend hours for years.",
    "The head librarian said the staff were delighted and that the new weekend opening hours at the library "
    "would start in March, once the council releases the budget.",
    "Parents welcomed the council decision, saying the library reading classes for children had been full "
    "every weekend since the programme began.",
]
OFF_TOPIC = (
    "Meanwhile, the striker scored twice in the second half as United overcame a stubborn defence to reach "
    "the cup final at a packed stadium on Saturday evening."
)
TWEET = (
    "Great talks today with @SMQureshiPTI and #Lavrov in #Islamabad https://t.co/AbC123 "
    "www.example.com 10:30 AM, April 7, 2021"
)

ODD_LINES = [
    "杭州新增二十条城市绿道 市民周末骑行更方便",                     # CJK
    "افتتاح أكبر محطة لتحلية المياه بالطاقة الشمسية في المنطقة.",   # Arabic, RTL
    "שלום עולם, זה טקסט בעברית עם סימני פיסוק.",                      # Hebrew, RTL
    "Emoji line 😀🎉👍 with a flag 🇷🇺 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",                  # astral code points
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffand\u2060word joiner",  # zero-width characters
    "lone \udcff\udc80 surrogates from invalid bytes \ud83d",           # lone surrogates
    "\x00 NUL \x00 and control \x07 characters",
    "form\x0cfeed\x0bvertical\u2028separator",
    "—",                                                                # punctuation only, no tokens
    "|",
    "12",
]


def _assert_sane(x: np.ndarray, n: int) -> None:
    assert x.shape == (n, len(feature_names()))
    assert x.dtype == np.float64
    assert np.isfinite(x).all()


# ------------------------------------------------------------ shape


def test_feature_names_are_unique_and_match_columns():
    names = feature_names()
    assert len(names) == len(set(names))
    assert list(feature_dict(ARTICLE)) == names
    assert featurize(ARTICLE).shape == (len(ARTICLE), len(names))


def test_context_features_are_named_for_each_window():
    names = set(feature_names())
    for base in CONTEXT_OF:
        assert base in names
        for kind in ["prev", "next", *(f"win{w}" for w in WINDOWS), f"back{ONE_SIDED}", f"ahead{ONE_SIDED}"]:
            assert f"{kind}_{base}" in names


def test_no_lines():
    assert featurize([]).shape == (0, len(feature_names()))


def test_odd_lines_together():
    _assert_sane(featurize(ODD_LINES), len(ODD_LINES))


@pytest.mark.parametrize("line", ODD_LINES + ["x" * 100_000, ("word " * 20_000).strip()])
def test_odd_line_alone(line):
    _assert_sane(featurize([line]), 1)


def test_hundred_thousand_character_line_among_others():
    texts = ["Home | News", "a" * 100_000, ARTICLE[1]]
    x = featurize(texts)
    _assert_sane(x, 3)
    d = feature_dict(texts)
    assert d["log_chars"][1] == pytest.approx(np.log1p(100_000))


def test_whitespace_is_stripped_before_measuring():
    d = feature_dict(["   Share   ", "Share"])
    assert d["log_chars"][0] == d["log_chars"][1] == pytest.approx(np.log1p(5))


def test_script_ratios():
    d = feature_dict(ODD_LINES[:4])
    assert d["cjk_ratio"][0] > 0.8
    assert d["cjk_ratio"][1] == d["cjk_ratio"][2] == 0.0
    assert d["symbol_ratio"][3] > 0  # emoji count as symbols
    assert d["ends_terminal"][1] == 1.0 and d["ends_terminal"][2] == 1.0


_FEATURIZE_IN_A_PROCESS = """
import sys
from noisecut.features import featurize
sys.stdout.write(featurize(eval(sys.stdin.read())).tobytes().hex())
"""


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_same_rows_in_another_process_whatever_the_hash_seed(hash_seed):
    """Features are a function of the text alone: no salted str hashing (the cue buckets), no state left by earlier calls."""
    import os
    import subprocess
    import sys

    texts = ARTICLE + [OFF_TOPIC, TWEET] + ODD_LINES
    featurize(["Home | News", "Share"] * 50)  # earlier calls, other documents: must leave nothing behind
    here = featurize(texts)
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run([sys.executable, "-c", _FEATURIZE_IN_A_PROCESS], input=repr(texts), capture_output=True,
                          text=True, env=env, timeout=120, encoding="utf-8", errors="surrogatepass")
    assert proc.returncode == 0, proc.stderr
    there = np.frombuffer(bytes.fromhex(proc.stdout), dtype=np.float64).reshape(here.shape)
    np.testing.assert_array_equal(here, there)


# ------------------------------------------------------------ specific features


def test_ends_terminal():
    d = feature_dict(["Share", ARTICLE[1], "Read more...", "Was it good?", 'He said "yes."', "Menu:"])
    assert list(d["ends_terminal"]) == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert d["ends_ellipsis"][2] == 1.0
    assert d["ends_colon"][5] == 1.0


def test_tweet_patterns():
    d = feature_dict(["Share", TWEET, ARTICLE[1]])
    assert d["handles"][1] == 1
    assert d["hashtags"][1] == 2
    assert d["urls"][1] == 2  # https:// and www.
    assert d["times"][1] == 1  # 10:30
    assert d["years"][1] == 1  # 2021
    for name in ["handles", "hashtags", "urls", "times", "years"]:
        assert d[name][0] == 0 and d[name][2] == 0, name


def test_handles_and_hashtags_need_a_word_start():
    d = feature_dict(["mail me at someone@example.com or see item#3", "@ # alone"])
    assert d["handles"][0] == 0 and d["hashtags"][0] == 0
    assert d["handles"][1] == 0 and d["hashtags"][1] == 0


def test_years_and_times_are_not_fooled_by_other_numbers():
    d = feature_dict(["Call 12345 or 3021, room 190, score 2 : 1", "In 1999 and 2024, at 09:15."])
    assert d["years"][0] == 0
    assert d["times"][0] == 0
    assert d["years"][1] == 2
    assert d["times"][1] == 1


def test_pattern_counts_are_capped():
    d = feature_dict(["#a #b #c #d #e #f", "x"])
    assert d["hashtags"][0] == 3.0


def test_copyright_and_separators():
    d = feature_dict(["© 2024 Example News Ltd. All rights reserved.", "Home | News » Sport"])
    assert d["copyright"][0] == 1
    assert d["separators"][1] == 2


def test_starts_bullet_digit_lower_and_is_number():
    d = feature_dict(["- item", "3 ways to cook", "and then", "1,234", "Normal line."])
    assert list(d["starts_bullet"]) == [1, 0, 0, 0, 0]
    assert list(d["starts_digit"]) == [0, 1, 0, 1, 0]
    assert list(d["starts_lower"]) == [0, 0, 1, 0, 0]
    assert list(d["is_number"]) == [0, 0, 0, 1, 0]


def test_later_repeat_marks_only_later_copies():
    texts = ["Advertisement", ARTICLE[1], "Advertisement", ARTICLE[2], "Advertisement"]
    d = feature_dict(texts)
    assert list(d["later_repeat"]) == [0, 0, 1, 0, 1]
    assert d["log_repeats"][0] == d["log_repeats"][2] == pytest.approx(np.log(3))
    assert d["log_repeats"][1] == 0


def _cue_row(d: dict, i: int) -> np.ndarray:
    return np.array([d[f"cue_{b}"][i] for b in range(CUE_BUCKETS)])


def test_cues_hash_the_same_word_to_the_same_column_in_any_document():
    one = feature_dict(["Reply", ARTICLE[1]])
    other = feature_dict([ARTICLE[2], OFF_TOPIC, "reply"])
    np.testing.assert_array_equal(_cue_row(one, 0), _cue_row(other, 2))  # case-folded, position-free
    assert _cue_row(one, 0).sum() == 1.0  # one word: its whole share in one bucket
    row = _cue_row(one, 1)
    assert row.sum() == pytest.approx(1.0) and np.count_nonzero(row) > 5  # a paragraph spreads over many


def test_cue_buckets_are_the_crc32_of_each_word():
    import zlib

    words = ["reply", "share", "advertisement", "😀", "lone\udc80"]
    assert features._cue_buckets(words).tolist() == [zlib.crc32(w.encode("utf-8", "surrogatepass")) % CUE_BUCKETS for w in words]


def test_template_repeats_see_comment_headers_with_different_names():
    texts = ["Anna says:", ARTICLE[1], "Ben says:", ARTICLE[2], "Chris says:", "Anna", "Chris says"]
    d = feature_dict(texts)
    assert list(d["log_template_last"]) == pytest.approx([np.log(3), 0, np.log(3), 0, np.log(3), 0, 0])
    assert d["log_template_first"][0] == 0  # different names, different first words
    assert d["log_template_first"][1] == 0  # long lines are never template repeats


def test_block_share_tells_the_article_run_from_short_comment_runs():
    comment = "I think this is a good decision and the council should have done it years ago."
    texts = ["Menu", *ARTICLE[1:], "Share", "Reply", "Anna says:", comment, "Reply", "Ben says:", comment + " Indeed."]
    d = feature_dict(texts)
    article = d["block_share_gap0"][1:len(ARTICLE)]
    assert list(article) == [1.0] * (len(ARTICLE) - 1)           # the largest run
    assert d["block_share_gap0"][0] == 0 and d["block_share_gap0"][len(ARTICLE)] == 0  # not prose, not between
    assert 0 < d["block_share_gap0"][-1] < 0.25                  # a lone comment is a small run
    assert d["block_share_gap2"][-4] == d["block_share_gap2"][-1]  # two lines apart: one run with gap 2
    assert d["prose_before"][1] == 0 and d["prose_before"][-1] > 0.8


def test_shared_words_separates_off_topic_paragraph():
    d = feature_dict(ARTICLE + [OFF_TOPIC])
    shared = d["shared_words"]
    assert shared[-1] == 0.0  # the football paragraph shares no content word
    assert min(shared[1:-1]) >= 0.3  # every library paragraph shares many
    assert d["title_overlap"][-1] == 0.0
    assert min(d["title_overlap"][1:-1]) > 0


def test_single_line_document():
    d = feature_dict(["Only one line in this document."])
    assert d["shared_words"][0] == 0.0
    assert d["relative_position"][0] == 0.0
    assert d["log_lines"][0] == pytest.approx(np.log1p(1))


def test_position_features():
    texts = ["Menu", *ARTICLE[1:], "Footer"]
    d = feature_dict(texts)
    np.testing.assert_allclose(d["relative_position"], np.linspace(0, 1, len(texts)))
    assert d["before_core"][0] == 1.0 and d["after_core"][-1] == 1.0
    assert d["before_core"][1:].sum() == 0 and d["after_core"][:-1].sum() == 0


def test_prev_and_next_context_columns():
    texts = ["Share", ARTICLE[1], "Home"]
    d = feature_dict(texts)
    assert list(d["prev_ends_terminal"]) == [0.0, 0.0, 1.0]
    assert list(d["next_ends_terminal"]) == [1.0, 0.0, 0.0]
    assert d["win1_ends_terminal"][0] == pytest.approx(0.5)
    assert d["win1_ends_terminal"][1] == pytest.approx(1 / 3)


# ------------------------------------------------------------ other documents do not matter


def _labeled(lines: list[str], id: str) -> LabeledDocument:
    return parse("".join(f"body\t{line}\n" for line in lines), id)


def test_rows_of_a_document_do_not_depend_on_other_documents():
    from noisecut.train import TrainingSet

    a = _labeled(ARTICLE, "a")
    b = _labeled([OFF_TOPIC, TWEET, "Share"], "b")
    c = _labeled(ODD_LINES, "c")
    first = TrainingSet.from_documents([a, b, c])
    second = TrainingSet.from_documents([c, b, a])
    alone = featurize(ARTICLE)
    np.testing.assert_array_equal(first.x[first.document == 0], alone)
    np.testing.assert_array_equal(second.x[second.document == 2], alone)
    np.testing.assert_array_equal(first.x[first.document == 1], second.x[second.document == 1])


# ------------------------------------------------------------ tokeniser

TRICKY_WORDS = [
    "İstanbul ıi ßẞ ﬁne ǅemal",                   # lowering changes the length; "i̇" has a combining dot (not \\w)
    "snake_case __init__ x_1 ٣٤ Ⅻ² ½ ௰",           # "_" and numeric characters are \\w
    "tabs\tand\x1cfile\x1dseparators\x85next\u2028line\u3000wide",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀emoji😀 𠀋ideograph 𝟘𝟙",              # astral word and non-word characters
    "tag\U000e0041\U000e0020\U000e0009chars",           # astral, neither word nor space: "A", " ", "\\t" in the low 16 bits
    "  spaced   out  ,  words  ",
    "...",
]


def test_regex_class_tables_cover_the_bmp_exactly():
    word, space = features._regex_classes()
    chars = [chr(c) for c in range(0x10000)]
    assert word.tolist() == [c.isalnum() or c == "_" for c in chars]
    assert space.tolist() == [c.isspace() for c in chars]


def _regex_words(lowered: str):
    """``Words.of`` the plain way: ``re.findall(r"\\w+")`` on each line, a dict for the word ids."""
    tokens = [re.findall(r"\w+", line) for line in lowered.split("\n")]
    vocabulary = list(dict.fromkeys(chain.from_iterable(tokens)))
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = [index[word] for word in chain.from_iterable(tokens)]
    owner = [line for line, words in enumerate(tokens) for _ in words]
    return vocabulary, ids, owner, [" ".join(words) for words in tokens]


def _assert_words_are_regex_words(lines, monkeypatch, piece):
    monkeypatch.setattr(features, "TOKENISE_CHARS", piece)
    lowered = Lines.of([lines]).joined.lower()
    words = Words.of(lowered)
    vocabulary, ids, owner, keys = _regex_words(lowered)
    assert words.vocabulary == vocabulary
    assert words.ids.tolist() == ids
    assert words.owner.tolist() == owner
    assert words.keys == keys
    assert words.length.tolist() == [len(vocabulary[i]) for i in ids]
    assert words.numeric.tolist() == [vocabulary[i].isdigit() for i in ids]


@pytest.mark.parametrize("piece", [TOKENISE_CHARS, 7, 1])  # small pieces: lines cut across pieces
def test_tokens_are_the_regex_words(monkeypatch, piece):
    """The tokeniser works on code points; it must find exactly ``re``'s ``\\w+`` tokens."""
    _assert_words_are_regex_words(ARTICLE + [OFF_TOPIC, TWEET] + ODD_LINES + TRICKY_WORDS, monkeypatch, piece)


def test_tokens_of_the_seeds_are_the_regex_words(seeds_dir, monkeypatch):
    for path in sorted(seeds_dir.glob("*.txt")):
        lines = [line for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines() if line.strip()]
        _assert_words_are_regex_words(lines, monkeypatch, 1000)


@pytest.mark.parametrize("piece", [TOKENISE_CHARS, 3])
def test_template_punctuation_is_the_regex_sub(monkeypatch, piece):
    """Template punctuation is cut out on code points; it must be ``re.sub(r"[\\w\\s]+", "")`` of each line."""
    monkeypatch.setattr(features, "TOKENISE_CHARS", piece)
    lines = ARTICLE + [OFF_TOPIC, TWEET, "Re: Hello (Score:5, Funny)", "", "\uffff\U0001f600", "\x1c\x85"] + ODD_LINES + TRICKY_WORDS
    assert features._punctuation(lines) == [re.sub(r"[\w\s]+", "", line) for line in lines]
    assert features._punctuation([]) == []


def test_unique_is_numpy_unique():
    """``_unique`` finds first occurrences with an unstable sort; it must give ``np.unique``'s four arrays."""
    rng = np.random.default_rng(0)
    for keys in [np.zeros(0, dtype=np.int64), np.array([7]), rng.integers(0, 3, 200), rng.integers(0, 5000, 20000)]:
        expected = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        for got, want in zip(features._unique(keys), expected):
            np.testing.assert_array_equal(got, want.reshape(-1))


# ------------------------------------------------------------ window and shift helpers


def test_window_mean_exact_values():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(window_mean(values, 1), [1.5, 2.0, 3.0, 4.0, 4.5])
    np.testing.assert_allclose(window_mean(values, 2), [2.0, 2.5, 3.0, 3.5, 4.0])
    np.testing.assert_allclose(window_mean(values, 0), values)
    np.testing.assert_allclose(window_mean(values, 10), [3.0] * 5)


def test_window_mean_one_sided():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(window_mean(values, 2, 0), [1.0, 1.5, 2.0, 3.0, 4.0])  # lines i-2..i
    np.testing.assert_allclose(window_mean(values, 0, 2), [2.0, 3.0, 4.0, 4.5, 5.0])  # lines i..i+2


def test_window_mean_two_dimensional():
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    np.testing.assert_allclose(window_mean(values, 1), [[1.5, 15.0], [2.0, 20.0], [2.5, 25.0]])


def test_window_mean_single_row():
    np.testing.assert_allclose(window_mean(np.array([[7.0, 8.0]]), 3), [[7.0, 8.0]])


def test_window_means_along_rows_are_the_plain_means_within_each_document():
    rng = np.random.default_rng(1)
    values = rng.random((3, 12))  # a row per feature, as ``context`` computes them
    start = np.repeat([0, 5], [5, 7])
    end = np.repeat([5, 12], [5, 7])
    windows = [(1, 1), (3, None), (10, 0), (0, 10)]
    for (width, ahead), means in zip(windows, window_means(values, windows, start, end)):
        ahead = width if ahead is None else ahead
        plain = [values[:, max(i - width, start[i]):min(i + ahead + 1, end[i])].mean(axis=1) for i in range(12)]
        np.testing.assert_allclose(means, np.array(plain).T)


def test_shift_exact_values():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(shift(values, 1), [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(shift(values, 2), [0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(shift(values, -1), [2.0, 3.0, 4.0, 0.0])
    np.testing.assert_array_equal(shift(values, 5), [0.0] * 4)
    np.testing.assert_array_equal(shift(values, -5), [0.0] * 4)


def test_shift_by_zero_is_identity():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(shift(values, 0), values)


def test_shift_two_dimensional_rows():
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(shift(values, 1), [[0.0, 0.0], [1.0, 2.0]])
    np.testing.assert_array_equal(shift(values, -1), [[3.0, 4.0], [0.0, 0.0]])


# ------------------------------------------------------------ values worked out by hand
# A four-line page. Tokens (lower-cased \w+ runs):
#   0 "Hello World, Mr. Smith!"            hello world mr smith                        (23 chars)
#   1 "Call 555 0199 now"                  call 555 0199 now                           (17 chars)
#   2 CORE (16 tokens, ends with ".")      the council said the library will open every weekend
#                                          from march and the library staff agree
#   3 "The library opens in March."        the library opens in march                  (27 chars)
# 23 distinct words; the 20 most frequent (ties in order of first use) are the(4), library(3),
# march(2), then the 17 once-used words up to "staff": "agree", "opens" and "in" are left out.
CORE = "The council said the library will open every weekend from March, and the library staff agree."
HAND = ["Hello World, Mr. Smith!", "Call 555 0199 now", CORE, "The library opens in March."]


@pytest.fixture(scope="module")
def hand():
    return feature_dict(HAND)


def test_word_counts_and_lengths(hand):
    # words are runs after a space; letters exclude digits, spaces and punctuation
    np.testing.assert_allclose(hand["log_words"], np.log1p([4, 4, 16, 5]))
    assert hand["mean_word_length"][0] == pytest.approx(17 / 4 / 10)   # Hello World Mr Smith: 17 letters
    assert hand["mean_word_length"][1] == pytest.approx(7 / 4 / 10)    # Call now: 7 letters over 4 words
    assert hand["mean_word_length"][3] == pytest.approx(22 / 5 / 10)
    assert feature_dict(["x" * 45])["mean_word_length"][0] == 3.0      # capped at 30 letters a word


def test_digit_upper_and_punctuation_ratios(hand):
    assert list(hand["digit_ratio"][[0, 1, 3]]) == pytest.approx([0, 7 / 17, 0])
    assert list(hand["upper_ratio"][[0, 1, 3]]) == pytest.approx([4 / 17, 1 / 7, 2 / 22])  # of the letters
    assert list(hand["punct_ratio"][[0, 1, 3]]) == pytest.approx([3 / 23, 0, 1 / 27])      # of all characters
    assert list(hand["capitalised_words"][[0, 1, 3]]) == pytest.approx([4 / 4, 1 / 4, 2 / 5])
    assert hand["capitalised_words"][2] == pytest.approx(2 / 16)  # The, March


def test_sentences_and_commas(hand):
    # a sentence end is . ! ? followed by a space or the line's end: "Mr. " counts
    np.testing.assert_allclose(hand["sentences"], np.log1p([2, 0, 1, 1]))
    assert list(hand["commas"]) == pytest.approx([1 / 4, 0, 1 / 16, 0])  # per token
    assert feature_dict(["1.5 and 2.5"])["sentences"][0] == 0.0  # a decimal point is not a sentence end


def test_short_and_frequent_word_shares(hand):
    # short: three characters or fewer (mr; 555, now; the x3, and; the, in)
    assert list(hand["short_word_share"]) == pytest.approx([1 / 4, 2 / 4, 4 / 16, 2 / 5])
    # frequent: among the document's 20 most used words (not: agree, opens, in)
    assert list(hand["frequent_word_share"]) == pytest.approx([1, 1, 15 / 16, 3 / 5])


def test_content_words_and_words_shared_with_long_lines(hand):
    # content words: 4+ characters, not numbers, counted once per line
    # (hello world smith; call; council said library will open every weekend from march staff agree; library opens march)
    np.testing.assert_allclose(hand["log_content_words"], np.log1p([3, 1, 11, 3]))
    # shared with another line of 12+ tokens: only the core is long, and it has no other long line
    assert list(hand["shared_with_long"]) == pytest.approx([0, 0, 0, 2 / 3])  # library, march; not opens


def test_position_in_characters_and_lines(hand):
    total = 23 + 17 + len(CORE) + 27
    assert list(hand["chars_before"]) == pytest.approx([0, 23 / total, 40 / total, (40 + len(CORE)) / total])
    np.testing.assert_allclose(hand["log_from_start"], np.log1p([0, 1, 2, 3]))
    np.testing.assert_allclose(hand["log_from_end"], np.log1p([3, 2, 1, 0]))
    np.testing.assert_allclose(hand["log_core_distance"], np.log1p([2, 1, 0, 1]))  # the core is line 2
    # no core line (12+ tokens ending a sentence): the distance is the line count
    np.testing.assert_allclose(feature_dict(HAND[:2] + HAND[3:])["log_core_distance"], np.log1p([3, 3, 3]))


def test_small_pieces_give_the_same_feature_matrix(monkeypatch):
    """Tokens, code points and template punctuation are made a piece at a time (bounding a huge line's
    memory); pieces that cut lines and words anywhere must give exactly the whole batch's matrix."""
    docs = [ARTICLE + [OFF_TOPIC, TWEET], ODD_LINES + TRICKY_WORDS + ARTICLE[:2]]
    whole = featurize_batch(docs)
    monkeypatch.setattr(features, "TOKENISE_CHARS", 7)
    np.testing.assert_array_equal(featurize_batch(docs), whole)


def test_cue_table_is_the_share_of_each_lines_tokens_in_each_bucket():
    lines = Lines.of([ARTICLE + [OFF_TOPIC, TWEET] + TRICKY_WORDS])
    words, table = lines.words, features.cues(lines)
    buckets = [zlib.crc32(w.encode("utf-8", "surrogatepass")) % CUE_BUCKETS for w in words.vocabulary]
    for line in range(lines.n):
        tokens = [buckets[i] for i, owner in zip(words.ids, words.owner) if owner == line]
        for b in range(features.CUE_BUCKETS):
            assert table[f"cue_{b}"][line] == (tokens.count(b) / len(tokens) if tokens else 0.0)
