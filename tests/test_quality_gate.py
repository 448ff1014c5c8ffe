"""CI quality gate: the shipped model on a fixed, fingerprinted held-out sample.

Fails when F1 falls below the floors pinned in training/quality_floors.json,
when a floor is not measured or a score has no floor, when the sample's data
or rendered text changed, or when a floor was lowered or dropped without
being named. The measuring tests skip where ../shared/datasets is absent (and
fail under CI=true); the checks of the gate's own logic run everywhere.
"""
import json

import pytest
from conftest import needs_shared

pytest.importorskip("trafilatura")  # the renderers are training extras
from noisecut.model import MODEL_ENV  # noqa: E402
from training import gate  # noqa: E402
from training.datasets import ALL_NAMES, DATASETS, Page  # noqa: E402
from training.render import RENDERERS  # noqa: E402


@pytest.fixture(scope="module")
def pinned():
    return json.loads(gate.FLOORS.read_text())


@pytest.fixture(scope="module")
def renderings():
    needs_shared(DATASETS, "../shared/datasets")
    return gate.render_sample(gate.sample())


# -- the gate on the shipped model ------------------------------------------------------


def test_sample_is_the_pinned_one(renderings, pinned):
    assert len(renderings) == gate.SAMPLE_PAGES * len(ALL_NAMES) * len(RENDERERS)
    assert gate.fingerprint(renderings) == pinned["fingerprint"], "the gate's sample or a renderer's output changed; re-pin on purpose"


def test_floors_were_never_lowered_silently(pinned):
    assert gate.check_history(pinned) == []


def test_every_measured_score_has_a_floor_and_every_floor_is_measured(pinned):
    assert gate.score_keys() == set(pinned["floors"])


def test_floors_sit_within_one_point_of_the_pinned_measurement(pinned):
    """A one-point loss on any dataset, any renderer or overall must fail the gate."""
    last = pinned["history"][-1]
    gaps = {k: round(last["measured"][k] - floor, 4) for k, floor in pinned["floors"].items()}
    assert all(0 < gap < 0.01 for gap in gaps.values()), gaps
    assert {f"f1_{name}" for name in ALL_NAMES} | {gate.OLDER_KEY} <= set(pinned["floors"])


def test_shipped_model_meets_the_floors(renderings, pinned, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)  # the shipped model, whatever the environment says
    scores = gate.measure(renderings)
    assert gate.compare(scores, pinned["floors"]) == []


# -- the gate's own checks -------------------------------------------------------------------


FLOORS = {"f1_overall": 0.9, "f1_inscriptis": 0.9, "f1_dragnet_data": 0.95}


def test_compare_fails_a_score_below_its_floor():
    assert gate.compare({**FLOORS, "f1_overall": 0.8999}, FLOORS) == ["f1_overall: 0.8999 < floor 0.9"]
    assert gate.compare(dict(FLOORS), FLOORS) == []


def test_compare_fails_renamed_or_unmeasured_keys():
    """Renamed score keys (even with high scores) and a renderer no longer measured both fail."""
    renamed = {"score_" + k: 1.0 for k in FLOORS}
    failures = gate.compare(renamed, FLOORS)
    assert len(failures) == 6
    assert "f1_overall: has a floor but was not measured" in failures
    assert "score_f1_overall: measured but has no floor (re-pin)" in failures
    dropped = {k: v for k, v in FLOORS.items() if k != "f1_inscriptis"}
    assert gate.compare(dropped, FLOORS) == ["f1_inscriptis: has a floor but was not measured"]


def test_score_keys_follow_the_renderers_and_datasets():
    keys = gate.score_keys(renderers=["a", "b"], datasets=["d"])
    assert keys == {"f1_overall", "f1_a", "f1_b", "f1_d"}
    assert gate.score_keys(renderers=["a"], datasets=["wcxb-dev", "l3s-gn1"]) == \
        {"f1_overall", gate.OLDER_KEY, "f1_a", "f1_wcxb-dev", "f1_l3s-gn1"}
    assert gate.score_keys() - gate.score_keys(renderers=list(RENDERERS)[1:]) == {f"f1_{next(iter(RENDERERS))}"}


def history(*entries):
    """A pinned file whose floors are those of the last entry."""
    return {"floors": entries[-1]["floors"], "history": list(entries)}


def entry(floors, reason="retrained", **extra):
    return {"date": "d", "floors": floors, "reason": reason, **extra}


def test_history_check_catches_a_silent_lowering():
    first = entry({"f1_overall": 0.9, "f1_x": 0.8}, "first")
    assert gate.check_history(history(first, entry({"f1_overall": 0.9, "f1_x": 0.8}))) == []
    assert gate.check_history(history(first, entry({"f1_overall": 0.91, "f1_x": 0.85}))) == []
    lowered = {"f1_overall": 0.85, "f1_x": 0.8}
    assert gate.check_history(history(first, entry(lowered)))
    # a reason that merely contains "lower" does not count
    assert gate.check_history(history(first, entry(lowered, "slower but smaller")))
    assert gate.check_history(history(first, entry(lowered, "lower the floor: new renderer")))
    assert gate.check_history(history(first, entry(lowered, "lowered", lowered=["f1_x"])))
    assert gate.check_history(history(first, entry(lowered, "new renderer", lowered=["f1_overall"]))) == []


def test_history_check_catches_a_floor_deleted_from_floors_and_history():
    first = entry({"f1_overall": 0.9, "f1_x": 0.8}, "first")
    second = entry({"f1_overall": 0.9})
    problems = gate.check_history(history(first, second))
    assert len(problems) == 1 and "f1_x" in problems[0]
    assert gate.check_history(history(first, entry({"f1_overall": 0.9}, lowered=["f1_x"]))) == []
    # deleted from the floors but still in what that pin measured
    measured = entry({"f1_overall": 0.9}, measured={"f1_overall": 0.91, "f1_y": 0.8})
    problems = gate.check_history(history(first, entry({"f1_overall": 0.9, "f1_x": 0.8}), measured))
    assert len(problems) == 2 and all("f1_y" in p or "f1_x" in p for p in problems)


def test_history_check_catches_floors_edited_outside_the_history():
    pinned = history(entry({"f1_overall": 0.9}, "first"))
    pinned["floors"] = {"f1_overall": 0.8}
    assert gate.check_history(pinned)
    assert gate.check_history({"floors": {"f1_overall": 0.8}, "history": []})


def test_pin_writes_floors_a_margin_below_and_demands_lowered_floors_be_named(tmp_path):
    path = tmp_path / "floors.json"
    gate.pin({"f1_overall": 0.9206, "f1_x": 0.8}, "fp1", "first", path=path)
    pinned = json.loads(path.read_text())
    assert pinned["floors"] == {"f1_overall": 0.915, "f1_x": 0.795}
    assert gate.check_history(pinned) == []
    with pytest.raises(gate.GateError, match=r"\['f1_x'\]"):
        gate.pin({"f1_overall": 0.93}, "fp2", "f1_x dropped", path=path)
    with pytest.raises(gate.GateError, match=r"\['f1_overall'\]"):
        gate.pin({"f1_overall": 0.91, "f1_x": 0.8}, "fp2", "slower but smaller", path=path)
    gate.pin({"f1_overall": 0.91, "f1_x": 0.8}, "fp2", "new renderer version", lowered=["f1_overall"], path=path)
    pinned = json.loads(path.read_text())
    assert pinned["history"][-1]["lowered"] == ["f1_overall"] and pinned["fingerprint"] == "fp2"
    assert gate.check_history(pinned) == []


def test_floors_leave_room_for_noise_but_not_for_a_one_point_loss():
    for measured in (0.9206, 0.9, 0.77, 0.98449):
        floor = gate.floors_of({"k": measured})["k"]
        assert measured - 0.01 < floor <= measured - gate.MARGIN


def _page(tmp_path, name, html, gold):
    (tmp_path / f"{name}.html").write_text(html)
    (tmp_path / f"{name}.txt").write_text(gold)
    return Page("d", name, tmp_path / f"{name}.html", tmp_path / f"{name}.txt", "", "en")


def test_fingerprint_covers_pages_gold_and_rendered_text(tmp_path):
    page = _page(tmp_path, "a", "<p>Body text</p>", "Body text")
    base = [gate.Rendering(page, "r1", "Body text\n", "Body text"), gate.Rendering(page, "r2", "Body text", "Body text")]
    printed = gate.fingerprint(base)
    assert gate.fingerprint(list(base)) == printed
    changed_render = [base[0], gate.Rendering(page, "r2", "Body text\nMenu", "Body text")]
    assert gate.fingerprint(changed_render) != printed
    renamed_renderer = [base[0], gate.Rendering(page, "r3", "Body text", "Body text")]
    assert gate.fingerprint(renamed_renderer) != printed
    assert gate.fingerprint(base[:1]) != printed
    page.gold_path.write_text("Body text.")
    assert gate.fingerprint(base) != printed


def test_gate_refuses_a_redirected_shipped_model(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    with pytest.raises(gate.GateError, match=MODEL_ENV):
        gate.measure([])
    assert gate.main([]) == 2
    assert MODEL_ENV in capsys.readouterr().err


def test_older_seven_score_leaves_the_newer_folders_out(tmp_path, constant_model_dir):
    """The keep-everything model: the older page scores 1, the newer page (half noise) less."""
    old = Page("l3s-gn1", "a", tmp_path / "a.html", tmp_path / "a.txt", "", "en")
    new = Page("wcxb-dev", "b", tmp_path / "b.html", tmp_path / "b.txt", "", "en")
    gold = "A whole paragraph of body text here."
    renderings = [gate.Rendering(old, "r", gold, gold), gate.Rendering(new, "r", gold + "\nMenu Home Login Search About Help", gold)]
    scores = gate.measure(renderings, model=constant_model_dir)
    assert scores[gate.OLDER_KEY] == scores["f1_l3s-gn1"] == 1.0
    assert scores["f1_wcxb-dev"] < scores["f1_overall"] < scores[gate.OLDER_KEY]
    assert set(scores) == gate.score_keys(renderers=["r"], datasets=["l3s-gn1", "wcxb-dev"])
