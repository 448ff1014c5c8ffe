"""What rendering HTML input costs beside cleaning it: ms per page for each renderer, same pages, same process.

`noisecut clean page.html` renders pages in the main process and cleans them
in the workers (-j), so the ratio render/clean says from how many workers on
the rendering bounds the rate. Reads test-split pages of ../shared/datasets
(needs the training extras), cleans with the shipped model (or --model: with
``--model html`` cleaning includes computing the markup features).

    python benchmarks/html_render.py              # 120 pages
    python benchmarks/html_render.py --pages 300
"""
from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from noisecut import Cleaner  # noqa: E402
from noisecut.io.html import RENDERERS, render_document  # noqa: E402
from training.datasets import ALL_NAMES, iter_pages  # noqa: E402
from training.splits import split_of  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    pages = []
    for page in iter_pages(datasets=ALL_NAMES):
        if split_of(page) == "test":
            data = page.html_path.read_bytes()
            pages.append(gzip.decompress(data) if page.html_path.suffix == ".gz" else data)
        if len(pages) == args.pages:
            break
    if not pages:
        print("no pages: ../shared/datasets is absent", file=sys.stderr)
        return 1
    cleaner = Cleaner(args.model)
    cleaner.clean_document(render_document(b"<html><body><p>warm up</p></body></html>"))  # a page: -m html reads markup
    print(f"{len(pages)} test-split pages, {sum(map(len, pages)) / len(pages) / 1024:.0f} KiB each on average")
    for name in RENDERERS:
        started = time.perf_counter()
        docs = [render_document(data, renderer_name=name) for data in pages]
        rendering = time.perf_counter() - started
        started = time.perf_counter()
        for doc in docs:
            cleaner.clean_document(doc)
        cleaning = time.perf_counter() - started
        print(f"{name:11} render {rendering / len(pages) * 1000:5.1f} ms/page   clean {cleaning / len(pages) * 1000:5.1f} ms/page"
              f"   render/clean {rendering / cleaning:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
