"""Threshold presets: `noisecut clean --precision/--recall` and how training/presets.py chooses them."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from noisecut.cli import main
from noisecut.model import Model, default_model_dir
from noisecut.policy import PRESETS

# The constant model scores every line's keep probability 0.9.
TEXT = "A first line of text.\nA second line of text.\n"


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(main, [str(a) for a in args], input=input,
                                                   catch_exceptions=False, prog_name="noisecut")


@pytest.fixture
def model_with_presets(constant_model_dir, tmp_path):
    directory = shutil.copytree(constant_model_dir, tmp_path / "m")
    model = Model.load(directory)
    model.meta["presets"] = {"precision": 0.95, "recall": 0.05, "chosen_on": "a test"}
    model.save_meta(directory)
    return directory


def test_clean_precision_and_recall_use_the_model_presets(run, model_with_presets):
    assert run("clean", "-m", model_with_presets, input=TEXT).stdout == TEXT
    assert run("clean", "-m", model_with_presets, "--recall", input=TEXT).stdout == TEXT
    precise = run("clean", "-m", model_with_presets, "--precision", input=TEXT)  # 0.9 < 0.95
    assert precise.exit_code == 0 and precise.stdout == ""
    assert run("clean", "-m", model_with_presets, "-t", "0.95", input=TEXT).stdout == ""


@pytest.mark.parametrize("args", [["--precision", "-t", "0.7"], ["--threshold", "0.5", "--recall"], ["--precision", "--recall"]])
def test_presets_and_threshold_are_mutually_exclusive(run, model_with_presets, args):
    result = run("clean", "-m", model_with_presets, *args, input=TEXT)
    assert result.exit_code == 2 and result.stdout == ""
    assert "--threshold, --precision and --recall are mutually exclusive: pick one" in result.stderr


def test_a_model_without_presets_says_how_to_add_them(run, constant_model_dir):
    result = run("clean", "-m", constant_model_dir, "--recall", input=TEXT)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "Error: --recall: the model records no 'recall' threshold preset (python -m training.presets --record adds them); use --threshold"]


def test_the_shipped_model_card_shows_its_presets():
    presets = Model.load(default_model_dir()).meta["presets"]
    card = (default_model_dir() / "MODEL_CARD.md").read_text(encoding="utf-8")
    for name in PRESETS:
        assert f"`--{name}` " in card and f">= {presets[name]}" in card


def test_choose_takes_the_best_f05_and_f2():
    pytest.importorskip("trafilatura")  # training/ needs the training extras
    from training.presets import choose, f_beta

    assert f_beta(1.0, 0.5, 1.0) == pytest.approx(2 / 3)
    assert f_beta(0.0, 0.0, 2.0) == 0.0
    points = {0.2: (0.80, 0.99), 0.5: (0.90, 0.95), 0.8: (0.97, 0.85)}
    table = {t: {"f0.5": f_beta(p, r, 0.5), "f2": f_beta(p, r, 2.0)} for t, (p, r) in points.items()}
    assert choose(table) == {"precision": 0.8, "recall": 0.2}


def test_presets_chosen_with_a_held_out_twin_carry_no_in_sample_note(constant_model_dir, tmp_path):
    """`--record-into`: chosen with a model trained on train alone, recorded into its train + dev twin."""
    pytest.importorskip("trafilatura")  # training/ needs the training extras
    from training.presets import record_presets

    def copy(name, split):
        directory = shutil.copytree(constant_model_dir, tmp_path / name)
        model = Model.load(directory)
        model.meta.setdefault("training", {})["split"] = f"{split} (training/splits.py); test never seen"
        model.save_meta(directory)
        return directory

    twin, shipped = copy("twin", "train"), copy("shipped", "train + dev")
    record_presets(shipped, {"precision": 0.75, "recall": 0.2}, "dev split, 3 pages", {}, chosen_with=twin)
    presets = Model.load(shipped).meta["presets"]
    assert (presets["precision"], presets["recall"]) == (0.75, 0.2) and "note" not in presets
    # the twin is named by how it was trained, not by a path on the machine that chose the presets
    assert str(tmp_path) not in presets["chosen_on"] and "trained on train)" in presets["chosen_on"]
    record_presets(shipped, {"precision": 0.75, "recall": 0.2}, "dev split, 3 pages", {})
    assert "trained on the dev split too" in Model.load(shipped).meta["presets"]["note"]
