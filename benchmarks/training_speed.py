"""Training speed: seconds to fine-tune on a site's five pages and to train the sequence model.

Prints figures, tests nothing. Each measurement runs in a fresh process with
one checkout's noisecut first on the path, this checkout and ``--baseline``
alternating, so the ratio holds on a busy machine:

    python benchmarks/training_speed.py --baseline BEFORE                 # fine-tune + train, 2 rounds
    python benchmarks/training_speed.py --sites paulocoelhoblog.com --steps 20 --pages 0

Fine-tuning: the shipped model tuned as ``train --from`` tunes it (every
parameter, no anchor; at most ``--steps`` steps) on five pages of each
``--sites`` site from the corpus split, as ``training.adapt_eval`` picks
them, with ``labeled/`` replayed beside them (``train --from --replay``).
Training: one epoch of one sequence network over ``--pages`` train-split
pages. Needs the sequence extra and the corpus (``python -m
training.build_corpus``).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # training/ is not installed

from benchmarks.speed import run_worker  # noqa: E402
from noisecut.train_sequence import FINE_TUNE_MAX_STEPS  # noqa: E402
from training.build_corpus import DEFAULT_OUT  # noqa: E402

# One timed run: argv is mode, corpus, split, site or page count, steps. Prints one JSON line.
_WORKER = r"""
import json, sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
import noisecut
from noisecut import train_sequence
from noisecut.labeled import read_all
mode, corpus, split, what, steps = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
if mode == "fine-tune":
    from noisecut.model import Model
    from training.adapt_eval import LABELED_PAGES, MIN_PAGES, site_columns
    from training.train_default import LABELED
    columns = site_columns(read_all(sorted((corpus / split).glob("*/html_text/*.lines"))), MIN_PAGES, LABELED_PAGES, 0)
    five = next(train for site, (train, _) in columns.items() if site.startswith(what))
    model, replay = Model.load(), read_all([LABELED])
    train_sequence.fine_tune(model, five[:2], replay, max_steps=1, progress=False)  # imports and first-step set-up
    start = time.perf_counter()
    _, summary = train_sequence.fine_tune(model, five, replay, train_sequence.ROUTED_ANCHOR_DEFAULT,
                                          tune=train_sequence.ROUTED_TUNE_DEFAULT, max_steps=steps, progress=False)
    figures = {"seconds": time.perf_counter() - start, "steps": summary["steps"], "lines": sum(len(d.doc.lines) for d in five)}
else:
    paths = sorted((corpus / "train").glob("*/html_text/*.lines"))[::7][:int(what)]
    docs = read_all(paths)
    classes = sorted({label.value for d in docs for label in d.labels if label is not None})
    train_sequence.MIN_STEPS = 0  # exactly one epoch
    start = time.perf_counter()
    train_sequence.fit_sequence(docs, None, classes, epochs=1, progress=False)
    figures = {"seconds": time.perf_counter() - start, "documents": len(docs)}
print(json.dumps({**figures, "noisecut": noisecut.__file__}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, default=None, metavar="CHECKOUT", help="another noisecut checkout to time alternating with this one")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT, help=f"the corpus (default {DEFAULT_OUT})")
    parser.add_argument("--split", default="test", help="the split the fine-tuned sites come from (default test)")
    parser.add_argument("--sites", nargs="*", default=["paulocoelhoblog.com", "cnn.com"], help="sites to fine-tune on (a prefix of adapt_eval's site column)")
    parser.add_argument("--steps", type=int, default=FINE_TUNE_MAX_STEPS,
                        help=f"fine-tuning steps at most (default {FINE_TUNE_MAX_STEPS}, train --from's)")
    parser.add_argument("--pages", type=int, default=200, help="train-split pages for one training epoch (0: skip; default 200)")
    parser.add_argument("--rounds", type=int, default=2, help="alternated runs of each measurement (default 2)")
    args = parser.parse_args()

    checkouts = {"this checkout": REPO, **({"baseline": args.baseline} if args.baseline else {})}
    jobs = [("fine-tune", site) for site in args.sites] + ([("train", args.pages)] if args.pages else [])
    print(f"{'measurement':<34}" + "".join(f"{name:>16}" for name in checkouts) + (f"{'baseline / this':>18}" if args.baseline else ""))
    for mode, what in jobs:
        runs: dict[str, list[dict]] = {name: [] for name in checkouts}
        for _ in range(args.rounds):
            for name, checkout in checkouts.items():
                runs[name].append(run_worker(_WORKER, [mode, args.corpus, args.split, what, args.steps], checkout,
                                              Path(tempfile.gettempdir())))
        seconds = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
        first = runs["this checkout"][0]
        label = (f"fine-tune {what} ({first['lines']} lines, {first['steps']} steps)" if mode == "fine-tune"
                 else f"train, one epoch of {first['documents']} pages")
        row = f"{label:<34}" + "".join(f"{s:>15.1f}s" for s in seconds.values())
        if args.baseline:
            row += f"{seconds['baseline'] / seconds['this checkout']:>17.2f}x"
        print(row, flush=True)


if __name__ == "__main__":
    main()
