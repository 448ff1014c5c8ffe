"""Windows against the whole document: what running a huge document in windows changes.

Joins test-split pages (html_text) into one document and cleans its non-blank
lines twice with the shipped model: in one whole-document pass, and in the
overlapping windows ``batching.probabilities`` uses for documents of more than
``WINDOW_LINES`` lines. Prints the largest probability difference and how
many lines are kept or dropped otherwise. Prints figures; tests nothing
(``tests/test_batch.py`` checks the agreement on a real long document).

    python benchmarks/windows.py                 # 400 pages, the first 30,000 non-blank lines
    python benchmarks/windows.py --pages 100 --lines 0
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisecut.batching import WINDOW_LINES, WINDOW_OVERLAP, windowed  # noqa: E402
from noisecut.cleaner import Cleaner  # noqa: E402
from noisecut.policy import select  # noqa: E402
from training.datasets import DATASETS, iter_pages, read_html  # noqa: E402
from training.render import render  # noqa: E402
from training.splits import split_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="test-split pages joined (default 400)")
    parser.add_argument("--lines", type=int, default=30_000, help="non-blank lines kept from the start (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pages = [p for p in iter_pages(DATASETS) if split_of(p) == "test"]
    chosen = random.Random(args.seed).sample(pages, min(args.pages, len(pages)))
    lines = [line for p in chosen for line in render("html_text", read_html(p)).splitlines() if line.strip()]
    lines = lines[:args.lines] if args.lines else lines
    cleaner = Cleaner()
    model, policy = cleaner.model, cleaner.policy
    columns = model.columns(policy.keep)
    whole = model.predict_proba_batch([lines])[0]
    windows = windowed(model, lines)
    kept_whole, kept_windows = (select(lines, p[:, columns].sum(axis=1), policy) for p in (whole, windows))
    print("$ " + " ".join([sys.executable, *sys.argv]))
    print(f"{len(chosen)} pages joined: {len(lines)} non-blank lines, windows of {WINDOW_LINES} lines with "
          f"{WINDOW_OVERLAP} lines of context on each side")
    print(f"largest probability difference {np.abs(windows - whole).max():.3f}; lines decided otherwise "
          f"{int((kept_whole != kept_windows).sum())} (the whole-document pass keeps {int(kept_whole.sum())})")


if __name__ == "__main__":
    main()
