"""CI quality gate: the shipped model on a fixed, fingerprinted held-out sample.

Fails when F1 falls below the floors pinned in training/quality_floors.json,
when the sample's data changed, or when a floor was lowered without a stated
reason. Skips where ../shared/datasets is absent.
"""
import json

import pytest

pytest.importorskip("trafilatura")  # the renderers are training extras
from training import gate  # noqa: E402
from training.datasets import DATASETS  # noqa: E402

pytestmark = pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is not present")


@pytest.fixture(scope="module")
def pinned():
    return json.loads(gate.FLOORS.read_text())


@pytest.fixture(scope="module")
def pages():
    return gate.sample()


def test_sample_is_the_pinned_one(pages, pinned):
    assert gate.fingerprint(pages) == pinned["fingerprint"], "the gate's sample changed; re-pin on purpose"


def test_floors_were_never_lowered_silently(pinned):
    assert gate.check_history(pinned) == []


def test_shipped_model_meets_the_floors(pages, pinned):
    scores = gate.measure(pages)
    below = {k: (v, pinned["floors"][k]) for k, v in scores.items() if v < pinned["floors"].get(k, 0)}
    assert not below, f"F1 below the pinned floors (measured, floor): {below}"


def test_history_check_catches_a_silent_lowering(pinned):
    history = [{"date": "a", "floors": {"f1_overall": 0.9}, "reason": "first"},
               {"date": "b", "floors": {"f1_overall": 0.8}, "reason": "retrained"}]
    assert gate.check_history({"floors": {"f1_overall": 0.8}, "history": history})
    history[1]["reason"] = "lower the floor: new renderer in the sample"
    assert not gate.check_history({"floors": {"f1_overall": 0.8}, "history": history})
