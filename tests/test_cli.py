"""The ``noisecut`` command: clean, train, evaluate, label; errors as one line, never a traceback."""
from __future__ import annotations

import gzip
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from noisecut import Cleaner, __version__
from noisecut.cli import main
from noisecut.features import FEATURE_VERSION
from noisecut.document import Document
from noisecut.labeled import parse, read_all
from noisecut.labels import KEEP_DEFAULT, LABELS, Label
from noisecut.model import ARRAYS, CARD, ESTIMATOR, META

REPO = Path(__file__).resolve().parent.parent
from texts import P1, P2, P3  # noqa: E402
PAGE = "\n".join([
    "Home | News | Local | Sport",
    "By Jane Smith | 12 March 2024, 10:32",
    "",
    P1,
    "",
    P2,
    "",
    P3,
    "",
    "Share",
    "Advertisement",
    "Related stories",
    "Bus fares to rise in April...",
    "© 2024 Example News. All rights reserved.",
]) + "\n"
CLEAN_PAGE = f"{P1}\n\n{P2}\n\n{P3}\n"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False, prog_name="noisecut")

    return invoke


@pytest.fixture
def page(tmp_path) -> Path:
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.encode())
    return path


def _non_blank(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    rest = iter(big)
    return all(any(x == y for y in rest) for x in small)


def _one_error_line(result, *fragments: str) -> str:
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# ------------------------------------------------------------ clean


def test_clean_to_stdout(run, model_dir, page):
    result = run("clean", "-m", model_dir, page)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CLEAN_PAGE
    assert re.fullmatch(r"cleaned 1 document: kept 3 of 10 lines \(30%\), 0 records skipped, [\d.]+ docs/s\n", result.stderr)
    assert run("clean", "-m", model_dir, "-q", page).stderr == ""


def test_clean_counts_lines_as_it_splits_them(run, model_dir, tmp_path):
    """Form feeds, vertical tabs and Unicode line separators stay inside their line (document.py), so the
    summary counts the kept lines as the input's: never more kept than read."""
    page = tmp_path / "page.txt"
    page.write_text("Page one\fends here.\nA list\vof items\u2028and more\x1c.\nThe last line\n", encoding="utf-8")
    result = run("clean", "-m", model_dir, "-t", "0", str(page))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == page.read_text(encoding="utf-8")
    assert re.fullmatch(r"cleaned 1 document: kept 3 of 3 lines \(100%\), 0 records skipped, [\d.]+ docs/s\n", result.stderr)


def test_clean_output_file_equals_stdout(run, model_dir, page, tmp_path):
    stdout = run("clean", "-m", model_dir, page).stdout_bytes
    out = tmp_path / "clean.txt"
    result = run("clean", "-m", model_dir, "-o", out, page)
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_bytes() == stdout


def test_clean_stdin(run, model_dir):
    data = PAGE.replace("\n", "\r\n").encode()
    for args in [("clean", "-m", model_dir), ("clean", "-m", model_dir, "-")]:
        result = run(*args, input=data)
        assert result.exit_code == 0
        assert result.stdout_bytes == CLEAN_PAGE.replace("\n", "\r\n").encode()


def test_clean_several_files_one_after_the_other(run, model_dir, page, tmp_path):
    other = tmp_path / "other.txt"
    other.write_bytes(b"Home | News | Sport | Weather\n" + P2.encode() + b"\n")
    result = run("clean", "-m", model_dir, page, other)
    alone = run("clean", "-m", model_dir, other).stdout
    assert P2 in alone
    assert result.stdout == CLEAN_PAGE + alone


def test_clean_keeps_invalid_utf8_bytes(run, model_dir, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(PAGE.encode().replace(b"Lopez", b"L\xf3pez"))
    result = run("clean", "-m", model_dir, path)
    assert result.exit_code == 0
    assert result.stdout_bytes == CLEAN_PAGE.encode().replace(b"Lopez", b"L\xf3pez")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_clean_reads_and_writes_wide_text_with_a_byte_order_mark(run, model_dir, tmp_path, encoding):
    path = tmp_path / "wide.txt"
    bom = "" if encoding in ("utf-16", "utf-32") else "\ufeff"  # Python's utf-16 and utf-32 write the mark themselves
    path.write_bytes((bom + PAGE).encode(encoding))
    result = run("clean", "-m", model_dir, path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == (bom + CLEAN_PAGE).encode(encoding)  # the same lines as UTF-8, in its encoding
    explained = run("clean", "-m", model_dir, "--explain", path)
    assert explained.stdout.splitlines()[3].endswith(P1)  # the table is UTF-8: a report, not the text


def test_explain_names_each_document_of_several(run, model_dir, page, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(PAGE, encoding="utf-8")
    rows = run("clean", "-m", model_dir, "--explain", page, other).stdout.splitlines()
    assert [row for row in rows if row.startswith("#")] == [f"# {page}", f"# {other}"]
    assert len(rows) == 2 * (len(Document.from_text(PAGE)) + 1)


def test_explain(run, model_dir, page):
    result = run("clean", "-m", model_dir, "--explain", page)
    assert result.exit_code == 0
    rows = result.stdout.splitlines()
    assert len(rows) == len(Document.from_text(PAGE))
    assert rows[3].startswith("+ body") and rows[3].endswith(P1)
    assert rows[0].startswith("- ") and rows[0].endswith("Home | News | Local | Sport")
    assert re.match(r"^[+-] \w+\s+\d\.\d\d \d\.\d\d  ", rows[0])
    assert rows[2] == "-" + " " * 22  # a blank line next to a dropped line
    assert rows[4] == "+" + " " * 22  # a blank line between two kept paragraphs


def _title_case(labeled_docs, model):
    """The labeled document whose headline the model most clearly calls a title, and that headline."""
    best = None
    for labeled in labeled_docs:
        results = Cleaner(model, keep=KEEP_DEFAULT | {Label.TITLE}).classify(labeled.doc)
        for r, gold in zip(results, labeled.labels):
            once = labeled.doc.lines.count(r.text) == 1
            if gold == Label.TITLE and r.label == Label.TITLE and r.kept and once:
                if best is None or r.probability > best[2]:
                    best = (labeled, r.text, r.probability)
    assert best is not None, "the session model calls no headline a title"
    return best[0], best[1]


def test_keep_title(run, model_dir, model, labeled_docs, tmp_path):
    labeled, headline = _title_case(labeled_docs, model)
    path = tmp_path / "article.txt"
    path.write_bytes(labeled.doc.text().encode("utf-8", "surrogateescape"))
    default = run("clean", "-m", model_dir, path).stdout
    with_title = run("clean", "-m", model_dir, "--keep", "title", path).stdout
    assert headline not in default.splitlines()
    assert headline in with_title.splitlines()
    assert _is_subsequence(_non_blank(default), _non_blank(with_title))
    assert run("clean", "-m", model_dir, "-k", "title,meta", path).exit_code == 0


def test_threshold_zero_keeps_every_line(run, model_dir, page):
    result = run("clean", "-m", model_dir, "--threshold", "0.0", page)
    assert result.stdout == PAGE  # no repeats, no leading or trailing blank lines: everything


def test_threshold_one_keeps_no_more_than_the_default(run, model_dir, page):
    default = _non_blank(run("clean", "-m", model_dir, page).stdout)
    strict = _non_blank(run("clean", "-m", model_dir, "-t", "1.0", page).stdout)
    assert _is_subsequence(strict, default)


def test_threshold_one_keeps_almost_nothing(run, constant_model_dir, page):
    assert run("clean", "-m", constant_model_dir, "-t", "0.0", page).stdout == PAGE
    result = run("clean", "-m", constant_model_dir, "--threshold", "1.0", page)
    assert len(_non_blank(result.stdout)) <= 1


@pytest.mark.parametrize("value", ["1.5", "nan"])
def test_threshold_out_of_range(run, model_dir, page, value):
    result = run("clean", "-m", model_dir, "-t", value, page)
    assert result.exit_code == 2
    assert value in result.stderr and "Traceback" not in result.stderr


def test_no_dedupe(run, model_dir, tmp_path):
    path = tmp_path / "twice.txt"
    path.write_text(f"{P1}\n{P2}\n{P1}\n", encoding="utf-8")
    assert run("clean", "-m", model_dir, path).stdout == f"{P1}\n{P2}\n"
    assert run("clean", "-m", model_dir, "--no-dedupe", path).stdout == f"{P1}\n{P2}\n{P1}\n"


def test_empty_input(run, model_dir):
    result = run("clean", "-m", model_dir, input=b"")
    assert result.exit_code == 0 and result.stdout_bytes == b""


# ------------------------------------------------------------ clean: errors


def test_missing_file(run, model_dir, tmp_path):
    result = run("clean", "-m", model_dir, tmp_path / "absent.txt")
    assert result.exit_code == 1
    _one_error_line(result, "absent.txt", "no such file")


def test_missing_second_file_writes_nothing(run, model_dir, page, tmp_path):
    out = tmp_path / "out.txt"
    result = run("clean", "-m", model_dir, "-o", out, page, tmp_path / "absent.txt")
    assert result.exit_code == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [page]  # no temporary file left behind


def test_output_is_also_input(run, model_dir, page):
    result = run("clean", "-m", model_dir, "-o", page, page)
    assert result.exit_code == 1
    _one_error_line(result, "also an input")
    assert page.read_text(encoding="utf-8") == PAGE


def test_missing_model(run, page, tmp_path):
    result = run("clean", "-m", tmp_path / "no-model", page)
    assert result.exit_code == 1
    _one_error_line(result, "no such model")


def test_model_path_is_a_file(run, page):
    result = run("clean", "-m", page, page)
    assert result.exit_code == 1
    _one_error_line(result, "is a directory holding")


def _copy_model(model_dir, target):
    """The model's arrays and metadata copied into ``target`` (to damage the copy)."""
    target.mkdir()
    for name in [ARRAYS, META]:
        (target / name).write_bytes((model_dir / name).read_bytes())
    return target


def test_unreadable_model(run, model_dir, page, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "broken")
    (broken / META).write_text("{ truncated", encoding="utf-8")
    result = run("clean", "-m", broken, page)
    assert result.exit_code == 1
    _one_error_line(result, "unreadable model metadata")


@pytest.mark.parametrize("meta", ["[]", "1", "null", '"model"'])
def test_model_metadata_that_is_not_an_object(run, model_dir, page, tmp_path, meta):
    broken = _copy_model(model_dir, tmp_path / "broken")
    (broken / META).write_text(meta, encoding="utf-8")
    result = run("clean", "-m", broken, page)
    assert result.exit_code == 1
    _one_error_line(result, "unreadable model metadata", "expected an object")


def test_model_with_layers_that_are_not_a_mapping(run, model_dir, page, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "broken")
    meta = json.loads((broken / META).read_text(encoding="utf-8"))
    meta["layers"] = []
    (broken / META).write_text(json.dumps(meta), encoding="utf-8")
    result = run("clean", "-m", broken, page)
    assert result.exit_code == 1
    _one_error_line(result, "unreadable model (")


@pytest.mark.parametrize("value", [None, "0.7", 5])
def test_model_preset_that_is_not_a_threshold(run, model_dir, page, tmp_path, value):
    broken = _copy_model(model_dir, tmp_path / "broken")
    meta = json.loads((broken / META).read_text(encoding="utf-8"))
    meta["presets"] = {"precision": value, "recall": value}
    (broken / META).write_text(json.dumps(meta), encoding="utf-8")
    result = run("clean", "--precision", "-m", broken, page)
    assert result.exit_code == 1
    _one_error_line(result, "--precision: the model records no 'precision' threshold preset")


def test_python_dash_m_noisecut_runs_the_command(page):
    result = subprocess.run([sys.executable, "-m", "noisecut", "clean", "-q", str(page)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == CLEAN_PAGE
    usage = subprocess.run([sys.executable, "-m", "noisecut", "--help"], capture_output=True, text=True, cwd=REPO)
    assert usage.stdout.startswith("Usage: noisecut ")


def test_tampered_model(run, model_dir, page, tmp_path):
    tampered = _copy_model(model_dir, tmp_path / "tampered")
    data = bytearray((tampered / ARRAYS).read_bytes())
    data[-10] ^= 1
    (tampered / ARRAYS).write_bytes(bytes(data))
    result = run("clean", "-m", tampered, page)
    assert result.exit_code == 1
    _one_error_line(result, "SHA-256")


def test_keep_bogus_is_a_usage_error(run, model_dir, page):
    result = run("clean", "-m", model_dir, "--keep", "bogus", page)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert "'bogus'" in result.stderr
    for label in LABELS:
        assert label.value in result.stderr


def test_keep_a_label_the_model_lacks_is_a_usage_error(run, page, tmp_path):
    """--keep nav with the HTML model (7 of the 12 labels) or --keep legal with a model trained without it kept
    none of those lines and exited 0; evaluate scored them as never kept."""
    result = run("clean", "-m", "html", "--keep", "nav,title", page)
    assert result.exit_code == 2 and result.stdout == ""
    assert ("Error: Invalid value for '--keep' / '-k': the model html has no label nav, so it would keep none of "
            "those lines; its labels: body, heading, title, meta, related, comments, noise") in result.stderr
    # with no model named, a label the HTML model lacks has HTML pages cleaned by the default model
    html = tmp_path / "page.html"
    html.write_text("<html><body><nav>Home | News</nav><p>The council approved the harbour budget on Monday, "
                    "after a long debate about the new ferry pier.</p><p>Share this story</p></body></html>")
    for source in (page, html):
        result = run("clean", "--keep", "share", source)
        assert result.exit_code == 0 and result.stdout == run("clean", "-m", "default", "--keep", "share", source).stdout
    labeled = tmp_path / "doc.lines"
    labeled.write_text("body\tA paragraph about the new library hours.\nlegal\tCopyright Example News\n", encoding="utf-8")
    result = run("evaluate", "-m", "html", "--keep", "legal", labeled)
    assert result.exit_code == 2 and "the model html has no label legal" in result.stderr


def test_model_environment_variable(model_dir, page, monkeypatch):
    monkeypatch.setenv("NOISECUT_MODEL", str(model_dir))
    result = CliRunner().invoke(main, ["clean", str(page)])
    assert result.exit_code == 0 and result.stdout == CLEAN_PAGE


# ------------------------------------------------------------ a real process


def _noisecut(*args, input: bytes = b"", env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "noisecut.cli", *map(str, args)],
        input=input, capture_output=True, timeout=120, env=env,
    )


def test_process_missing_file_is_one_line_on_stderr(model_dir, tmp_path):
    proc = _noisecut("clean", "-m", model_dir, tmp_path / "absent.txt")
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.decode().strip().splitlines() == [f"Error: {tmp_path / 'absent.txt'}: no such file"]


def test_process_broken_model_is_one_line_on_stderr(tmp_path):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / META).write_text(json.dumps({"format_version": 1, "feature_version": FEATURE_VERSION}), encoding="utf-8")
    proc = _noisecut("clean", "-m", broken, input=PAGE.encode())
    assert proc.returncode == 1
    assert b"Traceback" not in proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "cannot read model" in lines[0]


def test_process_cleans_stdin(model_dir):
    proc = _noisecut("clean", "-m", model_dir, "-", input=PAGE.encode())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == CLEAN_PAGE.encode()


# ------------------------------------------------------------ train and evaluate


@pytest.fixture(scope="module")
def small_training_set(tmp_path_factory) -> Path:
    """A few of the repository's labeled files, copied."""
    directory = tmp_path_factory.mktemp("labeled")
    files = sorted((REPO / "labeled").rglob("*.lines"))[:8]
    for path in files:
        (directory / path.name).write_bytes(path.read_bytes())
    return directory


def test_train_writes_a_model(run, small_training_set, tmp_path, page):
    out = tmp_path / "trained"
    result = run("train", small_training_set, "-o", out, "--hidden", "8", "--max-iter", "20", "--single-stage")
    assert result.exit_code == 0, result.stderr
    for name in [ARRAYS, META, CARD, ESTIMATOR]:
        assert (out / name).is_file(), name
    meta = json.loads((out / META).read_text(encoding="utf-8"))
    assert meta["name"] == "trained"
    assert meta["estimator"]["hidden"] == [8] and meta["estimator"]["two_stage"] is False
    assert meta["training"]["documents"] == len(read_all([small_training_set]))
    assert "training on" in result.stderr and "wrote" in result.stderr
    # the new model cleans
    assert run("clean", "-m", out, page).exit_code == 0


def test_train_logistic(run, small_training_set, tmp_path):
    out = tmp_path / "logistic"
    result = run("train", small_training_set, "-o", out, "--hidden", "0", "--single-stage")
    assert result.exit_code == 0, result.stderr
    meta = json.loads((out / META).read_text(encoding="utf-8"))
    assert meta["estimator"]["hidden"] == [] and meta["layers"]["stage1"] == 1


def test_train_logistic_records_the_iterations_it_was_allowed(run, small_training_set, tmp_path):
    """--hidden 0 --max-iter 3 ran lbfgs for up to 500 iterations, and the card said max_iter 3."""
    from noisecut.train import LOGISTIC_MIN_ITER

    out = tmp_path / "logistic"
    assert run("train", small_training_set, "-o", out, "--hidden", "0", "--max-iter", "3", "--single-stage").exit_code == 0
    meta = json.loads((out / META).read_text(encoding="utf-8"))
    assert meta["estimator"]["max_iter"] == LOGISTIC_MIN_ITER
    assert f'"max_iter": {LOGISTIC_MIN_ITER}' in (out / CARD).read_text(encoding="utf-8")
    help_text = " ".join(run("train", "--help").stdout.split())
    assert f"--hidden 0: solver iterations, at least {LOGISTIC_MIN_ITER}" in help_text


def test_train_bad_hidden(run, small_training_set, tmp_path):
    result = run("train", small_training_set, "-o", tmp_path / "m", "--hidden", "big")
    assert result.exit_code == 2
    assert "--hidden" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--hidden", "-5"], "'-5' has a negative layer size; give sizes of 1 or more, or 0 for a logistic regression"),
    (["--hidden", "64,-5"], "'64,-5' has a negative layer size"),
    (["--max-iter", "0"], "Invalid value for '--max-iter': 0 is not in the range x>=1"),
    (["--seed", "-1"], "Invalid value for '--seed': -1 is not in the range 0<=x<=4294967295"),
])
def test_train_bad_sizes_are_usage_errors_before_training(run, small_training_set, tmp_path, args, message):
    """--max-iter 0 and --seed -1 were scikit-learn tracebacks after reading the data; --hidden -5 trained a logistic regression."""
    result = run("train", small_training_set, "-o", tmp_path / "m", *args)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "m").exists()


def _malformed(tmp_path) -> Path:
    path = tmp_path / "bad.lines"
    path.write_text("# id: bad\ntitle\tA headline\n\nbody\tA paragraph of text.\nsidebar\tPopular now\n", encoding="utf-8")
    return path


def test_train_malformed_labeled_file(run, tmp_path):
    bad = _malformed(tmp_path)
    result = run("train", bad, "-o", tmp_path / "m")
    assert result.exit_code == 1
    _one_error_line(result, f"{bad}:5:", "sidebar")
    assert not (tmp_path / "m").exists()


def test_train_no_labeled_files(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("train", tmp_path / "empty", "-o", tmp_path / "m")
    assert result.exit_code == 1
    _one_error_line(result, "no labeled documents")


def _labeled_folder(tmp_path, name: str, lines: list[str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "a.lines").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_train_on_one_label_says_so(run, tmp_path):
    folder = _labeled_folder(tmp_path, "bodies", [f"body\t{P1}", f"body\t{P2}"])
    result = run("train", folder, "-o", tmp_path / "m")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == "Error: training needs lines of at least two labels; these have only 'body'"
    assert not (tmp_path / "m").exists()


def test_train_on_a_handful_of_lines_without_early_stopping(run, tmp_path, page):
    """Too few lines to hold out a tenth with every label in it: the network trains on them all."""
    folder = _labeled_folder(tmp_path, "tiny", ["title\tTalks resume", f"body\t{P1}", f"body\t{P2}",
                                                "nav\tHome | News | Local | Sport"])
    result = run("train", folder, "-o", tmp_path / "m", "--hidden", "4", "--max-iter", "20")
    assert result.exit_code == 0, result.stderr
    assert run("clean", "-m", tmp_path / "m", page).exit_code == 0


def test_train_will_not_write_into_its_labeled_folder(run, small_training_set):
    result = run("train", small_training_set, "-o", small_training_set)
    assert result.exit_code == 1
    _one_error_line(result, "inside the input directory")
    assert not (small_training_set / META).exists()


def test_train_will_not_mix_its_model_into_a_directory_of_other_files(run, small_training_set, tmp_path):
    """-o an existing directory with no model wrote model.npz, model.json ... among its files."""
    out = tmp_path / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("mine\n", encoding="utf-8")
    result = run("train", small_training_set, "-o", out, "--hidden", "0", "--single-stage")
    assert result.exit_code == 1
    _one_error_line(result, f"{out}: holds todo.txt and no model", "a model directory to replace")
    assert sorted(p.name for p in out.iterdir()) == ["todo.txt"]
    # an empty directory, and a model directory (its other files left), are written
    (tmp_path / "empty").mkdir()
    assert run("train", small_training_set, "-o", tmp_path / "empty", "--hidden", "0", "--single-stage").exit_code == 0
    (tmp_path / "empty" / "NOTES.md").write_text("kept\n", encoding="utf-8")
    assert run("train", small_training_set, "-o", tmp_path / "empty", "--hidden", "0", "--single-stage").exit_code == 0
    assert (tmp_path / "empty" / "NOTES.md").read_text(encoding="utf-8") == "kept\n"


def test_train_interrupted_while_writing_leaves_the_old_model(run, small_training_set, tmp_path, page, monkeypatch):
    """Ctrl-C between model.npz and model.json left the new arrays under the old digest: the old model refused."""
    import noisecut.card

    out = tmp_path / "m"
    assert run("train", small_training_set, "-o", out, "--hidden", "0", "--single-stage").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(meta):
        raise KeyboardInterrupt

    monkeypatch.setattr(noisecut.card, "model_card", interrupted)  # written after model.npz and model.json
    result = run("train", small_training_set, "-o", out, "--hidden", "4", "--max-iter", "5", "--single-stage")
    assert result.exit_code == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left behind
    monkeypatch.undo()
    assert run("clean", "-m", out, page).exit_code == 0


def test_train_missing_path(run, tmp_path):
    result = run("train", tmp_path / "absent.lines", "-o", tmp_path / "m")
    assert result.exit_code == 1
    _one_error_line(result, "absent.lines", "no such file")


# `noisecut evaluate`: tests/test_evaluate.py


# ------------------------------------------------------------ label


LABEL_INPUT = (
    b"\xef\xbb\xbfHome | News | Local | Sport\r\n"
    b" date 2024-03-12 Local\r\n"
    b"\r\n"
    + P1.encode() + b"\r\n"
    b"\r\n"
    + P2.encode().replace(b"transport", b"tr\xe4nsport") + b"\r\n"
    b"Name:\tValue\twith tabs\r\n"
    b"# not a comment: a line of the document\r\n"
    b"Share"
)


def test_label_output_parses_and_has_the_same_lines(run, model_dir, tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(LABEL_INPUT)
    result = run("label", "-m", model_dir, path)
    assert result.exit_code == 0, result.stderr
    labeled = parse(result.stdout_bytes.decode("utf-8", "surrogateescape"))
    original = Document.from_bytes(LABEL_INPUT)
    assert labeled.doc.lines == original.lines
    assert labeled.meta["id"] == "page"
    assert labeled.meta["source"] == str(path)
    assert "correct me" in labeled.meta["labeled-by"]
    for line, label in zip(labeled.doc.lines, labeled.labels):
        assert (label is None) == (not line.strip())
    assert labeled.labels[3] == Label.BODY


@pytest.mark.parametrize("name", ["page.html", "page.txt"])  # by its suffix, or by its first bytes
def test_label_renders_an_html_page_to_the_lines_it_labels(run, model_dir, tmp_path, name):
    pytest.importorskip("html_text")
    from noisecut.io.html import render_document

    html = "<!doctype html><html><body><nav>Home | News</nav>" + "".join(f"<p>{line}</p>" for line in PAGE.splitlines()) + "</body></html>"
    (tmp_path / name).write_text(html, encoding="utf-8")
    result = run("label", "-m", model_dir, tmp_path / name)
    assert result.exit_code == 0, result.stderr
    labeled = parse(result.stdout)
    assert labeled.doc.lines == render_document(html).lines and not any("<" in line for line in labeled.doc.lines)
    assert labeled.doc.lines[0] == "Home | News" and labeled.meta["id"] == "page"


def test_a_page_labeled_with_label_cannot_tune_the_html_model_and_the_error_says_what_to(run, model_dir, tmp_path):
    """The README's loop on an HTML page: `label page.html`, fix the labels, `train --from html`. The file holds
    the page's text alone, so the HTML model cannot learn from it; the error said to retrain it with
    training.train_html, which reads a corpus, not these files."""
    pytest.importorskip("html_text")
    html = "<!doctype html><html><body><nav>Home | News</nav>" + "".join(f"<p>{line}</p>" for line in PAGE.splitlines()) + "</body></html>"
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    assert run("label", "-m", model_dir, tmp_path / "page.html", "-o", mine / "page.lines").exit_code == 0
    assert [p.name for p in mine.iterdir()] == ["page.lines"]  # no markup rows beside it
    result = run("train", "--from", "html", mine, "-o", tmp_path / "m")
    assert result.exit_code == 1
    _one_error_line(result, "--from fine-tunes a text model; this one reads HTML markup, which labeled files do not carry",
                    "tune the text model instead (--from fast, the default): the tuned model cleans your site's HTML pages too")
    assert not (tmp_path / "m").exists()


def test_label_keeps_trailing_blank_lines(run, model_dir, tmp_path):
    path = tmp_path / "page.txt"
    data = PAGE.encode() + b"\n\n"
    path.write_bytes(data)
    labeled = parse(run("label", "-m", model_dir, path).stdout)
    assert labeled.doc.lines == Document.from_bytes(data).lines


def test_label_to_file(run, model_dir, tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(LABEL_INPUT)
    out = tmp_path / "page.lines"
    stdout = run("label", "-m", model_dir, path).stdout_bytes
    assert run("label", "-m", model_dir, "-o", out, path).stdout == ""
    assert out.read_bytes() == stdout


@pytest.mark.parametrize("name", ["page.lines.gz", "page.lines.zst"])
def test_label_refuses_a_compressed_output_name(run, model_dir, tmp_path, name):
    """.gz got plain text under its name (train looks for *.lines), and .zst was told to name it .gz."""
    path = tmp_path / "page.txt"
    path.write_bytes(LABEL_INPUT)
    result = run("label", "-m", model_dir, "-o", tmp_path / name, path)
    assert result.exit_code == 1
    _one_error_line(result, f"{tmp_path / name}: labeled files are plain text, as train and evaluate read them; name it .lines")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.txt"]


def test_label_names_the_file_a_markup_model_cannot_read(run, tmp_path):
    """It named the document's id (the file's stem, "page"), which is no file the user has."""
    path = tmp_path / "page.txt"
    path.write_bytes(LABEL_INPUT)
    result = run("label", "-m", "html", path)
    assert result.exit_code == 1
    _one_error_line(result, f"Error: {path}: the model html reads HTML markup and this input is plain text")


def test_label_will_not_write_over_its_input(run, model_dir, tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(LABEL_INPUT)
    result = run("label", "-m", model_dir, "-o", path, path)
    assert result.exit_code == 1
    _one_error_line(result, "output file is also an input; write elsewhere")
    assert path.read_bytes() == LABEL_INPUT


def test_label_seed_files(run, model_dir, seeds_dir):
    for path in sorted(seeds_dir.glob("*.txt")):
        result = run("label", "-m", model_dir, path)
        assert result.exit_code == 0
        labeled = parse(result.stdout_bytes.decode("utf-8", "surrogateescape"), str(path))
        assert labeled.doc.lines == Document.from_bytes(path.read_bytes()).lines


def test_label_reads_gzip_like_clean(run, model_dir, tmp_path):
    plain, packed = tmp_path / "page.txt", tmp_path / "page.txt.gz"
    plain.write_bytes(LABEL_INPUT)
    packed.write_bytes(gzip.compress(LABEL_INPUT))
    labeled = parse(run("label", "-m", model_dir, packed).stdout_bytes.decode("utf-8", "surrogateescape"))
    expected = parse(run("label", "-m", model_dir, plain).stdout_bytes.decode("utf-8", "surrogateescape"))
    assert labeled.doc.lines == Document.from_bytes(LABEL_INPUT).lines
    assert labeled.labels == expected.labels and labeled.meta["id"] == "page"


def test_label_truncated_gzip_is_one_line(run, model_dir, tmp_path):
    packed = tmp_path / "page.txt.gz"
    packed.write_bytes(gzip.compress(LABEL_INPUT)[:-12])
    result = run("label", "-m", model_dir, packed)
    assert result.exit_code == 1 and result.stdout == ""
    _one_error_line(result, f"{packed}: unreadable (")


@pytest.mark.parametrize("name, kind", [("data.jsonl", "jsonl"), ("data.jsonl.gz", "jsonl"), ("data.dump", "JSON Lines")])
def test_label_refuses_a_file_of_records(run, model_dir, tmp_path, name, kind):
    """label labeled each JSON line of a .jsonl file as a line of one text ("body\t{"id": 0, ...")."""
    path = tmp_path / name
    data = "".join(json.dumps({"id": i, "text": PAGE}) + "\n" for i in range(3)).encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    result = run("label", "-m", model_dir, path)
    assert result.exit_code == 1
    _one_error_line(result, f"{path}: noisecut label reads one text or HTML page, and this holds records ({kind}); "
                            "save one record's text to a file and label that")
    text = tmp_path / "notes.txt"  # a .txt file is text whatever it starts with, as for clean
    text.write_bytes(data)
    assert run("label", "-m", model_dir, text).exit_code == 0


def test_label_missing_file(run, model_dir, tmp_path):
    result = run("label", "-m", model_dir, tmp_path / "absent.txt")
    assert result.exit_code == 1
    _one_error_line(result, "no such file")


# ------------------------------------------------------------ version and help


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"noisecut, version {__version__}"


@pytest.mark.parametrize("command", [[], ["clean"], ["train"], ["evaluate"], ["label"]])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(run, command, flag):
    result = run(*command, flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert " ".join(["noisecut", *command]) in result.stdout.splitlines()[0] or command == []


def test_help_lists_commands_and_options(run):
    top = run("--help").stdout
    for command in ["clean", "train", "evaluate", "label"]:
        assert command in top
    clean_help = run("clean", "--help").stdout
    for option in ["--output", "--model", "--keep", "--threshold", "--explain", "--no-dedupe"]:
        assert option in clean_help
    for label in LABELS:
        assert label.value in clean_help


HTML_PAGE = ("<!doctype html><html><head><title>Library hours | Example News</title></head><body>"
             "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Library hours extended</h1>"
             f"<p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"
             "<footer><p>Share this article</p><p>© 2025 Example News. All rights reserved.</p></footer></body></html>")


@pytest.mark.parametrize("options", [[], ["--keep", "title,meta"], ["--precision"], ["--recall"], ["-t", "0.95"],
                                     ["-t", "0.02"], ["--no-dedupe"], ["-m", "fast"], ["--site-memory", "MEMORY"]],
                         ids=" ".join)
def test_explain_verdicts_are_what_clean_keeps(run, tmp_path, options):
    """The `+` rows of --explain are the lines `clean` writes, with the same options, for text (with a
    repeated paragraph: dedupe) and an HTML page (the HTML model), with the shipped models and their presets,
    and with a site memory that has every line of both on all of their site's pages."""
    text = tmp_path / "page.txt"
    text.write_text(PAGE.replace("Share\n", f"{P1}\nShare\n"), encoding="utf-8")
    inputs = [text]
    if importlib.util.find_spec("html_text"):  # noisecut[html]
        (tmp_path / "page.html").write_text(HTML_PAGE, encoding="utf-8")
        inputs.append(tmp_path / "page.html")
    if "MEMORY" in options:
        copies = [tmp_path / f"copy{n}{path.suffix}" for path in inputs for n in range(5)]
        for copy in copies:
            copy.write_bytes(tmp_path.joinpath("page" + copy.suffix).read_bytes())
        assert run("sites", *copies, "-o", tmp_path / "sites.npz").exit_code == 0  # their site: tmp_path
        options = ["--site-memory", tmp_path / "sites.npz"]
    for path in inputs:
        explained = run("clean", "-q", *options, "--explain", path)
        cleaned = run("clean", "-q", *options, path)
        assert explained.exit_code == cleaned.exit_code == 0, explained.stderr + cleaned.stderr
        rows = [row for row in explained.stdout.splitlines() if not row.startswith("# site memory: ")]
        assert all(row[:1] in "+-" for row in rows)
        assert [row[23:] for row in rows if row.startswith("+")] == cleaned.stdout.splitlines(), path
