"""training.errors: the kind and position of a false-keep line; training.calibration's bins."""
import numpy as np
import pytest

pytest.importorskip("trafilatura")  # training extras
from noisecut.labels import Label  # noqa: E402
from training import calibration, errors  # noqa: E402

BODY = [3, 4, 5, 6]  # gold body lines of a 12-line page


@pytest.mark.parametrize("text, gold, index, expected", [
    ("Reply", Label.NOISE, 8, "comments"),                        # a comment cue after the body
    ("Great article, thanks!", Label.COMMENTS, 9, "comments"),    # the gold says comments
    ("Reply", Label.NOISE, 1, "edge"),                            # the same word before the body is not a comment
    ("Photo: Jane Doe / Getty Images", Label.NOISE, 5, "caption"),
    ("A fox in the snow. (Reuters)", Label.NOISE, 0, "caption"),
    ("Markets rally again Stocks rose for a third day as investors bet on lower rates", Label.NOISE, 0, "teaser"),
    ("Sport", Label.RELATED, 11, "teaser"),                        # the gold says related
    ("Read also", Label.NOISE, 7, "edge"),
    ("Newsletter", Label.NOISE, 11, "legal"),
    ("We respect your privacy. This site is protected by reCAPTCHA and the Google terms apply.", Label.NOISE, 9, "legal"),
    ("We respect your privacy as the body says", Label.NOISE, 4, "inside"),    # cues count outside the body only
    ("Menu", Label.NOISE, 0, "edge"),
    ("Advertisement", Label.NOISE, 5, "inside"),
])
def test_kinds(text, gold, index, expected):
    assert errors.kind(text, gold, errors.position(index, BODY), index, BODY) == expected


def test_far_short_lines_are_outside_and_positions_follow_the_body_span():
    assert errors.kind("Menu", Label.NOISE, "before", 0, [20, 30]) == "outside"
    assert [errors.position(i, BODY) for i in (0, 3, 5, 6, 7)] == ["before", "inside", "inside", "inside", "after"]
    assert errors.position(0, []) == "no body"


def test_cjk_characters_count_half_a_word():
    assert errors.words("中国股民一定要活下来") == 5
    assert errors.words("two words") == 2


def test_false_keeps_are_kept_lines_the_gold_drops():
    doc = calibration.Classified({}, ["Home", "Body one.", "Body two.", "Share this"],
                                 [Label.NAV, Label.BODY, Label.BODY, Label.SHARE],
                                 np.array([0.8, 0.9, 0.9, 0.2]), np.array([True, True, True, False]))
    assert [(k, w, g) for k, w, g, _, _ in errors.false_keeps(doc)] == [("edge", "before", Label.NAV)]


def test_reliability_bins_and_calibration_error():
    scores = np.array([0.05, 0.15, 0.95, 0.95, 1.0])
    observed = np.array([False, True, True, False, True])
    table = calibration.reliability(scores, observed, bins=10)
    assert [row["lines"] for row in table] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]  # 1.0 falls in the last bin
    assert table[9]["observed"] == pytest.approx(2 / 3) and table[9]["predicted"] == pytest.approx(2.9 / 3)
    expected = (0.05 + 0.85 + 3 * abs(2.9 / 3 - 2 / 3)) / 5
    assert calibration.expected_calibration_error(table) == pytest.approx(expected)


def test_groups_split_older_and_newer_folders():
    assert "older seven" in calibration.group_names({"dataset": "l3s-gn1", "lang": "en"})
    names = calibration.group_names({"dataset": "magic-html", "lang": "zh", "page_type": "forum"})
    assert {"newer four", "language:Chinese", "type:magic-html/forum"} <= set(names)


@pytest.mark.parametrize("module", [errors, calibration])
def test_a_missing_corpus_is_one_line_and_a_non_zero_exit(module, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        module.main(["--corpus", str(tmp_path), "--split", "dev"])
    assert exit_.value.code == 2
    assert f"no dev documents under {tmp_path}: run python -m training.build_corpus" in capsys.readouterr().err
