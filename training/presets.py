"""Threshold presets: the thresholds that favour precision or recall, chosen on a split.

Like trafilatura's ``favor_precision`` / ``favor_recall``, but as named
thresholds of one model: every page of the split is rendered to text,
classified once, and cleaned at each threshold of ``GRID``; the cleaned
text is scored against the page's gold main content with the metric of the
README's results table (bag-of-tokens precision/recall, ``text_scores``,
averaged over documents). The ``precision`` preset is the threshold with
the best mean F0.5, the ``recall`` preset the one with the best mean F2.

    python -m training.presets --split dev                   # print the grid and the choice
    python -m training.presets --split dev --record          # write them to the model's model.json and card
    python -m training.presets --split dev --limit 60 --renderers html_text,inscriptis   # a sample
    python -m training.presets --split dev --model /tmp/candidate --record-into models/default
        # chosen with a candidate trained on the train split alone (dev is held out for it),
        # recorded into the shipped model that repeats its recipe on train + dev

``--record`` rewrites only ``model.json`` and ``MODEL_CARD.md``; the
integrity check hashes ``model.npz`` alone, which stays untouched.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from noisecut.cleaner import Cleaner
from noisecut.document import keep_with_blanks
from noisecut.model import Model, default_model_dir, read_meta
from noisecut.policy import PRESETS, Policy, select
from noisecut.scoring import text_scores

from .evaluate import run_pages, split_pages, trained_splits
from .datasets import DATASETS, gold_text, read_html
from .render import RENDERERS, rendered_document, renderer_names

GRID = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.05))
BETAS = {"precision": 0.5, "recall": 2.0}  # preset -> beta of the F-score it maximises

_cleaner: Cleaner | None = None


def _init(model):
    global _cleaner
    _cleaner = Cleaner(model or "default")  # the text model: pages too


def f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall) if precision + recall else 0.0


def score_page(task) -> list[list[tuple[float, float]]]:
    """For each rendering of one page: (precision, recall) at every threshold of ``GRID``."""
    page, renderers = task
    html, gold = read_html(page), gold_text(page)
    out = []
    for renderer in renderers:
        doc = rendered_document(renderer, html)
        content = [r for r in _cleaner.classify(doc) if r.label is not None]
        texts = [r.text for r in content]
        keep_score = np.array([r.keep_score for r in content])
        row = []
        for threshold in GRID:
            policy = Policy(_cleaner.policy.keep, threshold, _cleaner.policy.dedupe)
            kept = select(texts, keep_score, policy) if texts else []
            cleaned = doc.join(keep_with_blanks(doc, [r.index for r, k in zip(content, kept) if k]))
            s = text_scores(cleaned, gold)
            row.append((s.precision, s.recall))
        out.append(row)
    return out


def grid_scores(split="dev", model=None, renderers=tuple(RENDERERS), datasets=None, limit=None, jobs=2, root=DATASETS) -> dict:
    """Mean precision, recall, F1, F0.5 and F2 over documents at each threshold of ``GRID``."""
    # mixed across datasets, page types, languages
    tasks = [(page, tuple(renderers)) for page in split_pages(split, datasets, limit, root)]
    rows = run_pages(score_page, tasks, jobs, _init, (model,))
    if not rows:
        raise SystemExit(f"no {split} pages found under {root}")
    pr = np.array(rows)  # documents x thresholds x (precision, recall)
    table = {}
    for j, threshold in enumerate(GRID):
        p, r = pr[:, j, 0], pr[:, j, 1]
        row = {"precision": p.mean(), "recall": r.mean(), "f1": np.mean([f_beta(a, b, 1.0) for a, b in zip(p, r)])}
        row.update({f"f{beta:g}": np.mean([f_beta(a, b, beta) for a, b in zip(p, r)]) for beta in BETAS.values()})
        table[threshold] = {k: round(float(v), 4) for k, v in row.items()}
    return {"documents": len(rows), "pages": len(tasks), "table": table}


def choose(table: dict) -> dict[str, float]:
    """The threshold with the best mean F-beta for each preset (the lower one on a tie)."""
    chosen = {name: max(table, key=lambda t: (table[t][f"f{beta:g}"], -t)) for name, beta in BETAS.items()}
    assert set(chosen) == set(PRESETS)
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=("train", "dev"), help="never test: presets are tuning")
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--renderers", type=renderer_names, default=",".join(RENDERERS))
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--limit", type=int, default=None, help="pages per dataset (a sample)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--record", action="store_true", help="write the presets into the model's model.json and card")
    parser.add_argument("--record-into", default=None, metavar="MODEL",
                        help="write them into this model instead: the one trained like --model on more splits")
    args = parser.parse_args(argv)
    if args.record_into and not args.model:
        parser.error("--record-into records what --model chose: name the --model it was chosen with")
    start = time.perf_counter()
    result = grid_scores(args.split, args.model, args.renderers, args.datasets.split(",") if args.datasets else None,
                         args.limit, args.jobs)
    table = result["table"]
    print("| threshold | precision | recall | F1 | F0.5 | F2 |\n|---|---|---|---|---|---|")
    for t, row in table.items():
        print(f"| {t:.2f} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['f0.5']:.3f} | {row['f2']:.3f} |")
    chosen = choose(table)
    print(f"\npresets: {json.dumps(chosen)}; {result['documents']} documents ({result['pages']} pages x "
          f"{len(args.renderers)} renderers), {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.record or args.record_into:
        how = (f"{args.split} split, {result['pages']} pages"
               f"{f' (at most {args.limit} per dataset)' if args.limit else ''} x renderers {', '.join(args.renderers)}; "
               f"threshold with the best mean text-level F0.5 (precision) and F2 (recall), grid {GRID[0]}-{GRID[-1]} "
               f"step 0.05 (python -m training.presets)")
        record_presets(args.record_into or args.model, chosen, how, {name: table[t] for name, t in chosen.items()},
                       chosen_with=args.model if args.record_into else None)
    return 0


def record_presets(directory, chosen: dict[str, float], how: str, scores: dict, chosen_with=None) -> None:
    """Keep the presets with the model: ``model.json``'s ``presets``, shown on its card
    (``chosen_with``: the model that was scored, if not this one)."""
    directory = directory or default_model_dir()
    model = Model.load(directory)
    if chosen_with is not None:
        how += f"; chosen with {twin_description(chosen_with)} and recorded into this one, trained the same way on more splits"
    presets = {**chosen, "chosen_on": how, "scores_there": scores}
    split = how.split(" split")[0]
    if split in trained_splits(chosen_with or directory):
        presets["note"] = (f"This model was trained on the {split} split too, so the presets were chosen on "
                           "its training pages: the scores there are not held-out figures.")
    model.meta["presets"] = presets
    model.save_meta(directory)


def twin_description(directory) -> str:
    """The model the presets were chosen with, by how it was trained (not by its path, which is
    the machine's that ran it)."""
    meta = read_meta(directory)  # its card alone: no need to load and hash its arrays
    recipe = (meta.get("training") or {}).get("recipe")
    subject = f"a model trained by `{recipe}`" if recipe else f"the model {meta.get('name') or Path(directory).name}"
    splits = " + ".join(sorted(trained_splits(directory), reverse=True)) or "other data"
    return f"{subject} (SHA-256 {str(meta.get('sha256'))[:12]}; trained on {splits})"


if __name__ == "__main__":
    sys.exit(main())
