"""Train the HTML model (``models/html``): the sequence model reading the markup beside the text.

    python -m training.build_corpus                    # once: render + align into the cache
    python -m training.build_markup                    # once: the markup rows beside each html_text page
    python -m training.train_html --markup             # writes models/html (train + dev)
    python -m training.train_html --markup --splits train --output /tmp/html-candidate
    python -m training.train_html --splits train --output /tmp/text-same-recipe   # its text-only twin

One rendering per page (``--renderer``, html_text: the renderer noisecut uses
for HTML), the corpus pages alone: the hand-labeled documents of
``labeled/`` are text without a page, so they carry no markup rows. Without
``--markup`` the same pages train a text-only model with the same recipe,
the comparison the README's table makes. Pages without markup rows (their
HTML was not found) are left out of both. The test split is never read.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from noisecut.labeled import read as read_labeled
from noisecut.markup import rows_path
from noisecut.model import MARKUP, TEXT

from .build_corpus import DEFAULT_OUT
from .build_markup import read_markup
from .splits import add_leave_out_fold, check_leave_out_fold, leave_out_fold, split_record
from .train_default import PAGES_PER_DATASET, ROOT, SPLITS, check_output, check_splits

OUTPUT = ROOT / "models" / "html"
RENDERER = "html_text"
MEMBERS = 1


def corpus_pages(corpus: Path, splits: tuple[str, ...], renderer: str = RENDERER, pages: int = PAGES_PER_DATASET,
                 seed: int = 0, datasets=None) -> tuple[list[Path], int]:
    """Up to ``pages`` pages per dataset (the ``renderer`` rendering of each, with markup rows), and how
    many were left out for want of markup rows."""
    check_splits(splits)
    by_dataset: dict[str, list[Path]] = defaultdict(list)
    left_out = 0
    for split in splits:
        for path in sorted((corpus / split).glob(f"*/{renderer}/*.lines")):
            if datasets is not None and path.parts[-3] not in datasets:
                continue
            if rows_path(path).exists():
                by_dataset[path.parts[-3]].append(path)
            else:
                left_out += 1
    rng = random.Random(seed)
    chosen = []
    for dataset, paths in sorted(by_dataset.items()):
        rng.shuffle(paths)
        chosen += sorted(paths[:pages])
    return chosen, left_out


def read_pages(paths: list[Path], markup: bool):
    docs = []
    for path in paths:
        labeled = read_labeled(path)
        if markup:
            labeled.doc.markup = read_markup(path, len(labeled.doc.lines))
        docs.append(labeled)
    return docs


def save(model, output: Path, inputs: list[str], start: float) -> None:
    """Write ``model`` to ``output`` (all files or none, ``train.save_model``), named after it and saying what it
    reads, and report the time since ``start``."""
    from noisecut.train import save_model

    model.meta["inputs"] = inputs
    model.meta["name"] = output.name
    save_model(model, {}, output)
    print(f"wrote {output} in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def main(argv=None) -> int:
    from noisecut.train import SEED, fit

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--markup", action="store_true", help="read the markup rows beside the text features (the HTML model)")
    parser.add_argument("--pages", type=int, default=PAGES_PER_DATASET, help="pages per dataset")
    parser.add_argument("--renderer", default=RENDERER, help="the rendering of each page to train on")
    parser.add_argument("--splits", default=",".join(SPLITS), help="corpus splits to train on, comma-separated (never test)")
    parser.add_argument("--datasets", default=None, help="corpus folders to train on, comma-separated (default all)")
    parser.add_argument("--members", type=int, default=MEMBERS, help="sequence networks to average, one per seed")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the first member's seed; the others count up from it (default {SEED})")
    add_leave_out_fold(parser)
    args = parser.parse_args(argv)
    check_leave_out_fold(parser, args)
    check_output(parser, args.output)

    start = time.perf_counter()
    splits = tuple(args.splits.split(","))
    try:
        paths, left_out = corpus_pages(args.corpus, splits, args.renderer, args.pages,
                                       datasets=args.datasets and set(args.datasets.split(",")))
    except ValueError as error:
        parser.error(str(error))
    if not paths:
        parser.error(f"no {args.renderer} pages with markup rows under {args.corpus}: run python -m training.build_markup")
    read = read_pages(paths, args.markup)
    docs = leave_out_fold(read, args.leave_out_fold)
    in_fold = f", {len(read) - len(docs)} in fold {args.leave_out_fold}" if args.leave_out_fold else ""
    print(f"{len(docs)} corpus documents ({left_out} left out without markup rows{in_fold})", file=sys.stderr)
    summary = {
        "corpus_documents": dict(Counter(d.meta.get("dataset") for d in docs)),
        "renderers": [args.renderer],
        "hand_labeled_documents": 0,
        "split": split_record(splits),
        "recipe": "python -m training.train_html" + (" --markup" if args.markup else "")
                  + f" --splits {args.splits} --pages {args.pages} --members {args.members}"
                  + (f" --seed {args.seed}" if args.seed != SEED else "")
                  + (f" --leave-out-fold {args.leave_out_fold}" if args.leave_out_fold else ""),
    }
    if args.leave_out_fold:
        summary["left_out_fold"] = str(args.leave_out_fold)
    model, _ = fit(docs, data_summary=summary, sequence=True, members=args.members, seed=args.seed)
    save(model, args.output, [TEXT, MARKUP] if args.markup else [TEXT], start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
