"""The quality gate: the shipped model's F1 on a fixed held-out sample must not fall.

The sample is ``SAMPLE_PAGES`` test-split pages per dataset (the first by
name), each rendered by every renderer. Its fingerprint (SHA-256 over the
page ids, HTML and gold bytes) is pinned in ``training/quality_floors.json``
together with the floors, so neither the data nor the floors can drift
silently:

* a different fingerprint fails the gate (the sample changed: re-pin it on
  purpose with ``python -m training.gate --pin``);
* every change of the floors is appended to ``history`` with a reason, and a
  floor below the previous one needs an entry whose reason says so
  (``--pin --reason "..."``); the test checks the history is consistent.

    python -m training.gate            # measure and compare
    python -m training.gate --pin --reason "retrained on corpus v2"
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

from noisecut.cleaner import Cleaner
from noisecut.scoring import mean_scores, text_scores

from .datasets import DATASETS, NAMES, gold_text, iter_pages, read_html
from .render import RENDERERS, render
from .splits import split_of

FLOORS = Path(__file__).with_name("quality_floors.json")
SAMPLE_PAGES = 6      # per dataset, from the test split
MARGIN = 0.01         # floors sit this far below the measured score: room for numeric noise


def sample(root: Path = DATASETS) -> list:
    chosen = defaultdict(list)
    for page in iter_pages(root, NAMES):
        if split_of(page, root) == "test" and len(chosen[page.dataset]) < SAMPLE_PAGES:
            chosen[page.dataset].append(page)
    return [page for dataset in NAMES for page in chosen[dataset]]


def fingerprint(pages) -> str:
    digest = hashlib.sha256()
    for page in pages:
        digest.update(page.id.encode())
        digest.update(page.html_path.read_bytes())
        digest.update(page.gold_path.read_bytes())
    return digest.hexdigest()


def measure(pages, model=None) -> dict[str, float]:
    """Mean text-level F1 of noisecut over the sample: overall and per renderer."""
    cleaner = Cleaner(model)
    per_renderer = defaultdict(list)
    for page in pages:
        html, gold = read_html(page), gold_text(page)
        for renderer in RENDERERS:
            per_renderer[renderer].append(text_scores(cleaner.clean(render(renderer, html)), gold))
    scores = {f"f1_{name}": round(mean_scores(s).f1, 4) for name, s in per_renderer.items()}
    scores["f1_overall"] = round(mean_scores(s for group in per_renderer.values() for s in group).f1, 4)
    return scores


def check_history(pinned: dict) -> list[str]:
    """Problems with the floors' history: lowered floors need a stated reason."""
    problems = []
    history = pinned.get("history", [])
    if not history or history[-1]["floors"] != pinned["floors"]:
        problems.append("floors differ from the last history entry: change floors only with `python -m training.gate --pin`")
    for before, after in zip(history, history[1:]):
        lowered = [k for k, v in after["floors"].items() if v < before["floors"].get(k, 0)]
        if lowered and "lower" not in after.get("reason", "").lower():
            problems.append(f"{after['date']}: floors {lowered} lowered without a reason saying so")
    return problems


def pin(scores: dict, fingerprint_: str, reason: str) -> dict:
    pinned = json.loads(FLOORS.read_text()) if FLOORS.exists() else {"history": []}
    floors = {k: round(v - MARGIN, 3) for k, v in scores.items()}
    pinned.update(fingerprint=fingerprint_, sample_pages_per_dataset=SAMPLE_PAGES, floors=floors)
    pinned["history"].append({"date": datetime.date.today().isoformat(), "floors": floors, "measured": scores, "reason": reason})
    FLOORS.write_text(json.dumps(pinned, indent=1) + "\n")
    return pinned


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--pin", action="store_true", help="write the measured scores (minus a margin) as the new floors")
    parser.add_argument("--reason", default="", help="why the floors change (say 'lower' to lower one)")
    args = parser.parse_args(argv)
    pages = sample()
    scores, print_ = measure(pages, args.model), fingerprint(pages)
    print(json.dumps({"fingerprint": print_, "scores": scores}, indent=1))
    if args.pin:
        if not args.reason:
            parser.error("--pin needs --reason")
        pin(scores, print_, args.reason)
        return 0
    pinned = json.loads(FLOORS.read_text())
    failures = [f"{k}: {v} < floor {pinned['floors'][k]}" for k, v in scores.items() if v < pinned["floors"].get(k, 0)]
    failures += check_history(pinned)
    if print_ != pinned["fingerprint"]:
        failures.append("the sample's fingerprint changed")
    print("\n".join(failures) or "gate passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
