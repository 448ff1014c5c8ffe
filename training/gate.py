"""The quality gate: the shipped model's F1 on a fixed held-out sample must not fall.

The sample is ``SAMPLE_PAGES`` test-split pages of each of the eleven
dataset folders (the first by name), each rendered by every renderer. Its fingerprint (SHA-256 over the
page ids, HTML, gold bytes and every rendered text, since the renderers'
versions are not pinned) is stored in ``training/quality_floors.json``
together with the floors, so neither the data nor the floors can drift
silently:

* a different fingerprint fails the gate (the sample or a renderer's output
  changed: re-pin it on purpose with ``python -m training.gate --pin``);
* the gate measures one score per renderer, per dataset, overall and over
  the seven older folders alone (``f1_older_seven``, what ``f1_overall``
  measured before the four newer folders joined the sample), and one for
  HTML input as ``noisecut clean page.html`` cleans it (``f1_pages``: the
  html_text renderings with their page, so the shipped HTML model), and the
  measured keys must be exactly the floor keys (a renderer or dataset that
  stops being measured fails, it is not skipped);
* every change of the floors is appended to ``history`` with a reason; a
  floor below the previous one, or a floor that disappears, needs that entry
  to name it in ``lowered`` (``--pin --reason "..." --lower KEY``); the test
  checks the whole history.

What it can see: every floor sits ``MARGIN`` (0.5 F1 point, up to 0.6 after
rounding down) below the score measured when it was pinned, so a loss of
more than 0.6 point overall, on one renderer (66 page renderings), or on one
dataset (6 pages x 4 renderers = 24 renderings) fails; a one-point loss
anywhere always fails. Smaller losses, and losses on pages outside the sample,
pass: the sample is 66 pages, so its scores track changes of the model, not
the corpus-wide F1 (that is ``training.evaluate`` on the whole test split).
The margin only absorbs numeric noise (float32 inference moving a line across
the threshold), which moves a dataset's mean F1 by about 0.001.

The gate measures the shipped model and refuses to run when
``$NOISECUT_MODEL`` points elsewhere (``--model DIR`` measures another model
on purpose).

    python -m training.gate            # measure and compare
    python -m training.gate --pin --reason "retrained on corpus v2"
    python -m training.gate --pin --reason "new renderer version" --lower f1_html_text
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from noisecut.cleaner import Cleaner
from noisecut.document import Document
from noisecut.io.html import RENDERER_DEFAULT
from noisecut.model import MODEL_ENV
from noisecut.scoring import mean_scores, text_scores

from .datasets import ALL_NAMES, DATASETS, NAMES, Page, gold_text, iter_pages, read_html
from .render import RENDERERS, render
from .splits import split_of

FLOORS = Path(__file__).with_name("quality_floors.json")
SAMPLE_PAGES = 6      # per dataset, from the test split
MARGIN = 0.005        # floors sit this far below the measured score: room for numeric noise


class GateError(Exception):
    """The gate cannot run as asked (it would measure something other than the shipped model)."""


@dataclass(frozen=True)
class Rendering:
    page: Page
    renderer: str
    text: str
    gold: str
    html: str = ""  # the page (for PAGES_KEY)


def sample(root: Path = DATASETS) -> list[Page]:
    chosen = defaultdict(list)
    for page in iter_pages(root, ALL_NAMES):
        if split_of(page, root) == "test" and len(chosen[page.dataset]) < SAMPLE_PAGES:
            chosen[page.dataset].append(page)
    return [page for dataset in ALL_NAMES for page in chosen[dataset]]


def render_sample(pages) -> list[Rendering]:
    """Every page of the sample rendered by every renderer, with its gold text."""
    renderings = []
    for page in pages:
        html, gold = read_html(page), gold_text(page)
        renderings += [Rendering(page, name, render(name, html), gold, html) for name in RENDERERS]
    return renderings


def fingerprint(renderings) -> str:
    """SHA-256 over the pages (id, HTML and gold bytes) and each renderer's text of them."""
    digest = hashlib.sha256()
    seen = set()
    for r in renderings:
        if r.page.id not in seen:
            seen.add(r.page.id)
            for part in (r.page.id.encode(), r.page.html_path.read_bytes(), r.page.gold_path.read_bytes()):
                digest.update(len(part).to_bytes(8, "big") + part)
        for part in (r.renderer.encode(), r.text.encode("utf-8", "surrogatepass")):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


OLDER_KEY = "f1_older_seven"  # the seven older folders alone: the overall floor before issue 13 added four
PAGES_KEY = "f1_pages"  # HTML input: the default renderer's lines with their page, as `noisecut clean page.html` has them


def score_keys(renderers=RENDERERS, datasets=ALL_NAMES) -> set[str]:
    """The keys ``measure`` reports: overall, the older seven, one per renderer, one per dataset, HTML input."""
    older = {OLDER_KEY} if set(datasets) & set(NAMES) else set()
    pages = {PAGES_KEY} if RENDERER_DEFAULT in renderers else set()
    return {"f1_overall"} | older | pages | {f"f1_{name}" for name in renderers} | {f"f1_{name}" for name in datasets}


def shipped_model_check() -> None:
    """Refuse to measure "the shipped model" while ``$NOISECUT_MODEL`` redirects it."""
    if os.environ.get(MODEL_ENV):
        raise GateError(f"${MODEL_ENV} is set ({os.environ[MODEL_ENV]}): the gate measures the shipped model; "
                        "unset it, or pass --model to measure another model on purpose")


def measure(renderings, model=None) -> dict[str, float]:
    """Mean text-level F1 of noisecut over the sample: overall, the older seven, per renderer and per dataset
    (the text model: texts), and on HTML input (``PAGES_KEY``: the model for pages)."""
    if model is None:
        shipped_model_check()
    cleaner = Cleaner(model)
    groups = defaultdict(list)
    for r in renderings:
        score = text_scores(cleaner.clean(r.text), r.gold)
        for key in ("f1_overall", f"f1_{r.renderer}", f"f1_{r.page.dataset}"):
            groups[key].append(score)
        if r.page.dataset in NAMES:
            groups[OLDER_KEY].append(score)
        if r.renderer == RENDERER_DEFAULT:
            page = Document.from_text(r.text)
            page.html = r.html  # as io.html.render_document keeps it
            groups[PAGES_KEY].append(text_scores(cleaner.clean_document(page), r.gold))
    return {key: round(mean_scores(scores).f1, 4) for key, scores in groups.items()}


def compare(scores: dict[str, float], floors: dict[str, float]) -> list[str]:
    """Failures: a score below its floor, a floor not measured, a score without a floor."""
    failures = [f"{k}: {v} < floor {floors[k]}" for k, v in scores.items() if k in floors and v < floors[k]]
    failures += [f"{k}: has a floor but was not measured" for k in sorted(floors.keys() - scores.keys())]
    failures += [f"{k}: measured but has no floor (re-pin)" for k in sorted(scores.keys() - floors.keys())]
    return failures


def lowered_keys(before: dict[str, float], after: dict[str, float]) -> list[str]:
    """Floors of ``before`` that ``after`` lowers or drops."""
    return sorted(k for k, v in before.items() if k not in after or after[k] < v)


def check_history(pinned: dict) -> list[str]:
    """Problems with the floors' history: every lowered or dropped floor is named in ``lowered``."""
    problems = []
    history = pinned.get("history", [])
    if not history or history[-1]["floors"] != pinned.get("floors"):
        problems.append("floors differ from the last history entry: change floors only with `python -m training.gate --pin`")
    for entry in history:
        if "measured" in entry and set(entry["measured"]) != set(entry["floors"]):
            problems.append(f"{entry['date']}: floors {sorted(set(entry['floors']) ^ set(entry['measured']))} do not match what was measured")
    for before, after in zip(history, history[1:]):
        unstated = [k for k in lowered_keys(before["floors"], after["floors"]) if k not in after.get("lowered", [])]
        if unstated:
            problems.append(f"{after['date']}: floors {unstated} lowered or dropped without naming them in 'lowered'")
    return problems


def floors_of(scores: dict[str, float]) -> dict[str, float]:
    """Measured scores minus ``MARGIN``, rounded down to 3 decimals."""
    return {k: math.floor(round((v - MARGIN) * 1000, 6)) / 1000 for k, v in sorted(scores.items())}


def pin(scores: dict, fingerprint_: str, reason: str, lowered=(), path: Path = FLOORS) -> dict:
    """Write ``scores`` minus the margin as the floors; ``lowered`` must name every floor that falls or goes."""
    pinned = json.loads(path.read_text()) if path.exists() else {"history": []}
    floors = floors_of(scores)
    falling = lowered_keys(pinned.get("floors", {}), floors)
    if sorted(set(lowered)) != falling:
        raise GateError(f"these floors fall or go: {falling or 'none'}; name exactly those with --lower (got {sorted(set(lowered)) or 'none'})")
    pinned.update(fingerprint=fingerprint_, sample_pages_per_dataset=SAMPLE_PAGES, floors=floors)
    entry = {"date": datetime.date.today().isoformat(), "floors": floors, "measured": scores, "reason": reason}
    if falling:
        entry["lowered"] = falling
    pinned["history"].append(entry)
    path.write_text(json.dumps(pinned, indent=1) + "\n")
    return pinned


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="measure this model directory instead of the shipped one")
    parser.add_argument("--pin", action="store_true", help="write the measured scores (minus a margin) as the new floors")
    parser.add_argument("--reason", default="", help="why the floors change")
    parser.add_argument("--lower", action="append", default=[], metavar="KEY",
                        help="a floor this pin lowers or drops (repeat for each)")
    args = parser.parse_args(argv)
    if args.pin and not args.reason:
        parser.error("--pin needs --reason")
    try:
        if args.model is None:
            shipped_model_check()
        renderings = render_sample(sample())
        scores, print_ = measure(renderings, args.model), fingerprint(renderings)
        print(json.dumps({"fingerprint": print_, "scores": scores}, indent=1))
        if args.pin:
            pin(scores, print_, args.reason, args.lower)
            return 0
    except GateError as error:
        print(f"gate: {error}", file=sys.stderr)
        return 2
    pinned = json.loads(FLOORS.read_text())
    failures = compare(scores, pinned["floors"]) + check_history(pinned)
    if print_ != pinned["fingerprint"]:
        failures.append("the sample's fingerprint changed (pages, gold or a renderer's output)")
    print("\n".join(failures) or "gate passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
