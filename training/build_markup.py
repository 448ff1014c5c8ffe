"""Write what the markup says about each corpus line beside the line's labeled file.

    python -m training.build_markup                          # train, dev and test, html_text renderings
    python -m training.build_markup --splits train --renderers html_text,inscriptis --limit 20

For every ``DIR/<split>/<dataset>/<renderer>/<name>.lines`` of the corpus
(``training.build_corpus``), the page's HTML is found through the file's
``# dataset`` and ``# name`` header (``training/datasets.py``) and
``noisecut.markup.markup_features`` gives one row per line of the file (blank
lines too): ``<name>.markup.v<MARKUP_VERSION>.npy`` (float32, lines x
``markup.FEATURES``; the version in the name, so rows of an older version
are never read as current),
written beside it. ``training.train_html --markup`` reads them. A file that
is already there and newer than its ``.lines`` file is kept (``--force``
writes it again); corpus data is never committed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from noisecut.errors import NoiseCutError
from noisecut.labeled import read as read_labeled
from noisecut.markup import read_rows, rows_path, write_rows

from .build_corpus import DEFAULT_OUT
from .datasets import DATASETS, iter_pages, read_html

SPLITS = ("train", "dev", "test")
RENDERERS = ("html_text",)


def read_markup(lines_path: Path, n_lines: int) -> np.ndarray:
    """The markup rows of a corpus ``.lines`` file of ``n_lines`` lines; a clear error when missing or stale."""
    try:
        rows = read_rows(lines_path, n_lines)
    except NoiseCutError as error:
        raise SystemExit(str(error)) from None
    if rows is None:
        raise SystemExit(f"{rows_path(lines_path)}: no markup rows; run python -m training.build_markup first")
    return rows


def write_markup(lines_path: Path, html: str) -> np.ndarray:
    return write_rows(lines_path, html, read_labeled(lines_path).doc.lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--datasets-root", type=Path, default=DATASETS)
    parser.add_argument("--splits", default=",".join(SPLITS))
    parser.add_argument("--renderers", default=",".join(RENDERERS))
    parser.add_argument("--limit", type=int, default=None, help="pages per dataset folder")
    parser.add_argument("--force", action="store_true", help="write rows that are already there again")
    args = parser.parse_args(argv)
    renderers = args.renderers.split(",")
    start, written, kept, missing = time.perf_counter(), 0, 0, 0
    for split in args.splits.split(","):
        for folder in sorted(p for p in (args.corpus / split).glob("*") if p.is_dir()):
            # a page's renderings one after another, so its HTML is read once for all of them
            paths = sorted((path for renderer in renderers for path in (folder / renderer).glob("*.lines")),
                           key=lambda path: (path.stem, path.parent.name))
            names = {path.stem for path in paths}
            if args.limit is not None:
                names = set(sorted(names)[:args.limit])
            pages = {page.name: page for page in iter_pages(args.datasets_root, [folder.name]) if page.name in names}
            html_of = (None, "")  # (page name, its HTML)
            for path in paths:
                if path.stem not in names:
                    continue
                target = rows_path(path)
                if not args.force and target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
                    kept += 1
                    continue
                page = pages.get(path.stem)
                if page is None:
                    missing += 1
                    continue
                if html_of[0] != page.name:
                    html_of = (page.name, read_html(page))
                write_markup(path, html_of[1])
                written += 1
            print(f"{split}/{folder.name}: so far {written} written, {kept} kept, {missing} without HTML "
                  f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
