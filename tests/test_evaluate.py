"""noisecut.evaluate and `noisecut evaluate`: text-level scores first, sklearn's line-level report, the shipped model by default."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from noisecut.cli import main
from noisecut.evaluate import evaluate_labeled, format_report, keep_scores
from noisecut.labels import KEEP_DEFAULT, Label
from noisecut.model import Model
from noisecut.scoring import PRF

# Every line of the constant model scores body 0.9: everything is kept, every label predicted is body.
LABELED = "body\tone two three\nnav\tfour five\n\nbody\tsix seven\n"


@pytest.fixture
def labeled(tmp_path):
    path = tmp_path / "doc.lines"
    path.write_text(LABELED, encoding="utf-8")
    return path


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False, prog_name="noisecut")


class ScriptedModel(Model):
    """Labels looked up by line text."""

    def __init__(self, table: dict[str, Label]):
        self.labels, self.meta, self.table = (Label.BODY, Label.NAV, Label.SHARE), {}, table

    def predict_proba(self, texts):
        return np.array([[1.0 if self.table[t] == label else 0.0 for label in self.labels] for t in texts]).reshape(-1, 3)

    def predict_proba_batch(self, docs):
        return [self.predict_proba(texts) for texts in docs]


def test_text_level_scores_the_cleaned_text_against_the_lines_labeled_to_keep(labeled, constant_model_dir):
    e = evaluate_labeled(constant_model_dir, [labeled])
    # kept: all 7 tokens; gold (body lines): 5 tokens, all kept
    assert (e.text.precision, e.text.recall) == (pytest.approx(5 / 7), 1.0)
    assert e.documents == 1 and e.gold == [Label.BODY, Label.NAV, Label.BODY] and e.predicted == [Label.BODY] * 3


def test_macro_average_leaves_out_labels_with_no_gold_lines(tmp_path):
    path = tmp_path / "doc.lines"
    path.write_text("body\tA paragraph.\nnav\tHome\n", encoding="utf-8")
    model = ScriptedModel({"A paragraph.": Label.BODY, "Home": Label.SHARE})  # share: predicted, never gold
    report = format_report(evaluate_labeled(model, [path]))
    table = report.split("confusion (")[0]
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.strip()}
    assert "share" not in rows and rows["nav"][:3] == ["0.0000"] * 3
    assert rows["body"][:3] == ["1.0000"] * 3
    macro = next(line for line in report.splitlines() if line.strip().startswith("macro avg")).split()
    assert macro[2:5] == ["0.5000"] * 3  # mean over body (1) and nav (0), not share


def test_keep_scores_count_the_decision_not_the_label():
    g = [Label.TITLE, Label.BODY, Label.BODY, Label.BODY, Label.NAV, Label.NAV, Label.SHARE, Label.HEADING, Label.BODY]
    p = [Label.BODY, Label.BODY, Label.BODY, Label.NAV, Label.NAV, Label.BODY, Label.AD, Label.HEADING, Label.BODY]
    # keep: tp = 1,2,7,8 ; fp = 0,5 ; fn = 3.  drop: tp = 4,6 ; fp = 3 ; fn = 0,5
    assert keep_scores(g, p) == PRF(4 / 6, 4 / 5, pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5)), 5)
    drop = keep_scores(g, p, positive=False)
    assert (drop.precision, drop.recall, drop.support) == (2 / 3, 2 / 4, 4)
    assert keep_scores(g, p, KEEP_DEFAULT | {Label.TITLE}).recall == pytest.approx(5 / 6)


def test_line_report_is_sklearns(labeled, constant_model_dir):
    from sklearn.metrics import classification_report

    e = evaluate_labeled(constant_model_dir, [labeled])
    expected = classification_report(["body", "nav", "body"], ["body"] * 3, labels=["body", "nav"], digits=4, zero_division=0.0)
    assert expected.rstrip() in format_report(e)


def test_cli_evaluate_uses_the_shipped_model_without_m(run, labeled, constant_model_dir, monkeypatch):
    monkeypatch.setenv("NOISECUT_MODEL", str(constant_model_dir))
    result = run("evaluate", labeled)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("text level (bag-of-tokens, mean over 1 document;")
    assert lines[1].split() == ["precision", "0.7143", "recall", "1.0000", "f1", "0.8333"]
    assert "gold\\pred" in result.stdout and "macro avg" in result.stdout
    assert run("evaluate", "-m", constant_model_dir, labeled).stdout == result.stdout


def test_cli_evaluate_takes_the_presets(run, labeled, constant_model_dir, tmp_path):
    model_dir = shutil.copytree(constant_model_dir, tmp_path / "m")
    model = Model.load(model_dir)
    model.meta["presets"] = {"precision": 0.95, "recall": 0.05}
    model.save_meta(model_dir)
    precise = run("evaluate", "-m", model_dir, "--precision", labeled)
    assert precise.exit_code == 0, precise.stderr
    assert "threshold 0.95" in precise.stdout.splitlines()[0]
    assert precise.stdout.splitlines()[1].split()[1:4:2] == ["0.0000", "0.0000"]  # 0.9 < 0.95: nothing kept


def test_cli_evaluate_old_positional_model_is_a_clear_error(run, labeled, constant_model_dir):
    result = run("evaluate", constant_model_dir, labeled)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Error: {constant_model_dir} is a model directory; the model is an option now: "
        f"noisecut evaluate -m {constant_model_dir} LABELED..."]


def test_cli_evaluate_missing_model(run, labeled, tmp_path):
    result = run("evaluate", "-m", tmp_path / "none", labeled)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "no such model" in result.stderr


def test_cli_evaluate_malformed_labeled_file(run, constant_model_dir, tmp_path):
    bad = tmp_path / "tabless.lines"
    bad.write_text("body\tFine.\nbody without a tab\n", encoding="utf-8")
    result = run("evaluate", "-m", constant_model_dir, bad)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:2:") and "LABEL<TAB>TEXT" in result.stderr


def test_cli_evaluate_refuses_files_without_labels(run, constant_model_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("evaluate", "-m", constant_model_dir, empty)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no labeled lines to evaluate on (expected *.lines files)"


def test_keep_and_drop_count_what_was_kept(tmp_path, constant_model_dir):
    """A later repeat of a kept line is dropped (dedupe): its label stays on the keep side, but the keep/drop
    rows counted the label, so they said every body line was kept while the text level lost the repeat."""
    path = tmp_path / "doc.lines"
    path.write_text(LABELED + "body\tone two three\n", encoding="utf-8")
    e = evaluate_labeled(constant_model_dir, [path])
    assert e.predicted == [Label.BODY] * 4 and e.kept == [True, True, True, False]
    assert e.text.recall == pytest.approx(5 / 8)  # the repeat's tokens are missing from the cleaned text
    rows = {line.split()[0]: line.split()[1:] for line in format_report(e).splitlines()
            if line.split()[:1] in (["keep"], ["drop"])}
    assert rows["keep"] == ["0.6667", "0.6667", "0.6667", "3"]  # kept: 2 of the 3 body lines, and the nav line
    assert rows["drop"] == ["0.0000", "0.0000", "0.0000", "1"]  # dropped: a body line


def test_cli_evaluate_names_the_file_a_markup_model_cannot_read(run, tmp_path):
    """A labeled file without markup rows given to the HTML model: the error named its `# id` (an import-gold
    id such as dragnet_data/100/inscriptis, which is no file), not the file to leave out."""
    path = tmp_path / "100.lines"
    path.write_text("# id: dragnet_data/100/inscriptis\n" + LABELED, encoding="utf-8")
    result = run("evaluate", "-m", "html", path)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"Error: {path}: the model html reads HTML markup and this input is plain text; "
                             "give it the HTML page, or clean text with the default model (-m default)\n")


def test_report_says_which_kept_labels_the_model_lacks(tmp_path):
    """A model trained without headings keeps the default labels it has: the report says which it lacks, as its
    gold lines count and none can be kept. A label asked for beyond the defaults that it lacks (--keep legal
    with the HTML model, 7 of the 12) is refused: recall fell with nothing saying why."""
    path = tmp_path / "doc.lines"
    path.write_text("body\tA paragraph.\nheading\tCopyright Example News\nnav\tHome\n", encoding="utf-8")
    model = ScriptedModel({"A paragraph.": Label.BODY, "Copyright Example News": Label.NAV, "Home": Label.NAV})
    model.meta = {"name": "scripted"}
    e = evaluate_labeled(model, [path])
    assert e.text.recall == pytest.approx(2 / 5)
    lines = format_report(e).splitlines()
    assert lines[2] == "  the model scripted has no label heading: it keeps no line as one"
    assert lines[3] == ""
    assert "has no label" not in format_report(evaluate_labeled(model, [path], keep={Label.BODY, Label.NAV}))
    with pytest.raises(ValueError, match="the model scripted has no label legal"):
        evaluate_labeled(model, [path], keep=KEEP_DEFAULT | {Label.LEGAL})
