"""What the markup features cost: CPU ms per page of ``markup_features``, this checkout against another one's.

Both versions of ``noisecut/markup.py`` are loaded into one process and run
alternating on the same test-split pages (every 8th of ../shared/datasets'
test split, about 120 in all, rendered with html_text once); each figure is
the best of ``--rounds``. It also says whether the two give the same rows
(a speed-up of the same features must).

    python benchmarks/markup_speed.py --baseline ../before      # a checkout of the code before
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent  # this checkout
sys.path.insert(0, str(HERE))

from noisecut.io.html import render  # noqa: E402
from training.datasets import ALL_NAMES, iter_pages, read_html  # noqa: E402
from training.splits import split_of  # noqa: E402


def load(checkout: Path, name: str):
    """``noisecut/markup.py`` of a checkout as its own module (its relative imports resolve to this noisecut)."""
    spec = importlib.util.spec_from_file_location(f"noisecut.{name}", checkout / "noisecut" / "markup.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--every", type=int, default=8, help="take every Nth test-split page")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    pages, seen = [], 0
    for page in iter_pages(datasets=ALL_NAMES):
        if split_of(page) == "test":
            seen += 1
            if seen % args.every == 0:
                html = read_html(page)
                pages.append((html, render(html, "html_text").splitlines()))
    if not pages:
        print("no pages: ../shared/datasets is absent", file=sys.stderr)
        return 1
    versions = {"baseline": load(args.baseline, "markup_baseline"), "this": load(HERE, "markup_this")}
    same = all(np.array_equal(versions["baseline"].markup_features(html, lines), versions["this"].markup_features(html, lines))
               for html, lines in pages)
    times = {name: [] for name in versions}
    for _ in range(args.rounds):
        for name, module in versions.items():
            started = time.process_time()
            for html, lines in pages:
                module.markup_features(html, lines)
            times[name].append((time.process_time() - started) / len(pages) * 1000)
    best = {name: min(t) for name, t in times.items()}
    print(f"{len(pages)} test-split pages; CPU ms per page, best of {args.rounds}: baseline {best['baseline']:.2f}, "
          f"this {best['this']:.2f} ({best['baseline'] / best['this']:.2f}x); same rows: {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
