"""Build the labeled-line corpus from the gold-standard datasets.

    python -m training.build_corpus [--out DIR] [--renderers a,b] [--datasets x,y] [--splits test] [--limit N] [-j N]

For every page and renderer: render the HTML to text, split it into lines,
label the lines by aligning them to the gold, and write
``DIR/<split>/<dataset>/<renderer>/<name>.lines`` (train/dev/test by site,
``training/splits.py``), or ``DIR/<dataset>/<renderer>/<name>.lines`` with
``split="none"`` (your own pages: ``noisecut import-gold --split none``). Pages whose alignment
recovers less than half of the gold body are skipped (renderer failure or
gold that does not match the page). ``DIR/summary.json`` has the counts.

A build writes its files beside ``DIR`` first and moves them in only when
it wrote a document: a run that fails, is interrupted or writes nothing
leaves ``DIR`` (its pages and its summary.json) as the last build left it.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from noisecut.cli import SKIPS_NAMED
from noisecut.document import Document
from noisecut.io.files import atomic_open, move_into, staging_directory
from noisecut.io.html import RENDERER_DEFAULT
from noisecut.markup import rows_path, write_rows
from noisecut.labeled import LabeledDocument, format as format_labeled
from noisecut.labels import LABELS

from .align import MAIN, Gold, align
from .datasets import ALL_NAMES, DATASETS, GOLD_FORMATS, gold_blocks, iter_pages, read_html
from .render import ALL_RENDERERS, RENDERERS, render, renderer_names
from .splits import SPLITS, split_of

CACHE = Path(os.environ.get("NOISECUT_CACHE") or Path.home() / ".cache" / "noisecut")
DEFAULT_OUT = CACHE / "corpus"
MIN_QUALITY = 0.5
SPLIT_MODES = ("site", "none")  # train/dev/test by a hash of the site, or one folder for everything
NO_SPLIT = "none"


def write_atomic(path: Path, text: str) -> None:
    """``text`` to ``path`` (its directory made first), whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as f:
        f.write(text.encode("utf-8", "surrogateescape"))


def corpus_folder(out, split: str, dataset: str, renderer: str) -> Path:
    """Where a page's labeled renderings go: under its split, or straight under ``out`` for ``none``."""
    return Path(out) / dataset / renderer if split == NO_SPLIT else Path(out) / split / dataset / renderer


def page_header(page) -> dict:
    """What evaluation reports by: the page type, and how many with/without snippets
    the page's meta.jsonl has (the snippets themselves: ``page.meta`` via ``iter_pages``)."""
    header = {"page_type": page.page_type} if page.page_type else {}
    if "with" in page.meta:
        header["snippets"] = f"{len(page.meta['with'])} with, {len(page.meta.get('without') or [])} without"
    return header


def process_page(task) -> list[dict]:
    """Render, align and write one page for each renderer; one record per renderer."""
    page, split, renderers, out = task
    base = {"dataset": page.dataset, "name": page.name, "site": page.site, "split": split,
            "lang": page.lang, "page_type": page.page_type}
    try:
        html = read_html(page)
        blocks = gold_blocks(page)
    except Exception as error:  # noqa: BLE001 - report and go on
        return [{**base, "renderer": r, "skip": f"unreadable: {error}"} for r in renderers]
    # CleanEval marks pages without main content (404s, index pages) with an empty gold:
    # every line of those is noise. An empty gold elsewhere means the gold is broken.
    empty_gold = not blocks and page.spec.empty_gold_is_all_noise
    if not empty_gold and not any(label in MAIN for _, label in blocks):
        return [{**base, "renderer": r, "skip": "gold has no body"} for r in renderers]
    gold = Gold(blocks)
    records = []
    for renderer in renderers:
        record = {**base, "renderer": renderer}
        doc = Document.from_text(render(renderer, html))
        if not doc.content_indices():
            records.append({**record, "skip": "empty rendering"})
            continue
        labels, quality = align(doc.lines, gold)
        quality = 1.0 if empty_gold else quality
        if quality < MIN_QUALITY:
            records.append({**record, "skip": f"alignment {quality:.3f} < {MIN_QUALITY}"})
            continue
        meta = {"id": f"{page.dataset}/{page.name}/{renderer}", "dataset": page.dataset, "name": page.name,
                "site": page.site, "lang": page.lang, **page_header(page), "renderer": renderer, "split": split,
                "align": f"{quality:.3f}", **({"gold": "empty"} if empty_gold else {})}
        path = corpus_folder(out, split, page.dataset, renderer) / f"{page.name}.lines"
        write_atomic(path, format_labeled(LabeledDocument(doc, labels, meta)))
        if renderer == RENDERER_DEFAULT:  # the rendering `noisecut clean page.html` makes: the HTML model's rows beside it
            write_rows(path, html, doc.lines)
        records.append({**record, "path": str(path), "align": round(quality, 3),
                        "labels": Counter(label.value for label in labels if label is not None)})
    return records


def summarize(records: list[dict], seconds: float) -> dict:
    counts: dict = {}
    pages: Counter = Counter()
    for record in records:
        if "skip" in record:
            continue
        pages[(record["split"], record["dataset"], record["renderer"])] += 1
        cell = counts.setdefault(record["split"], {}).setdefault(record["dataset"], {})
        cell.setdefault(record["renderer"], Counter()).update(record["labels"])
    splits = SPLITS + ((NO_SPLIT,) if any(r["split"] == NO_SPLIT for r in records) else ())
    totals = {split: Counter() for split in splits}
    for split, by_dataset in counts.items():
        for by_renderer in by_dataset.values():
            for labels in by_renderer.values():
                totals[split].update(labels)
    order = [label.value for label in LABELS]

    def ordered(counter: Counter) -> dict:
        return {label: counter[label] for label in order if counter[label]}

    return {
        "seconds": round(seconds, 1),
        "documents": sum(pages.values()),
        "lines_per_split": {split: ordered(totals[split]) for split in splits},
        "documents_per_split_dataset_renderer": {
            split: {dataset: {renderer: n for (s, d, renderer), n in sorted(pages.items()) if s == split and d == dataset}
                    for dataset in sorted({d for s, d, _ in pages if s == split})}
            for split in splits},
        "documents_per_split_page_type_language": {
            split: dict(sorted(Counter(f"{r['page_type'] or '-'}/{r['lang']}" for r in records
                                       if "skip" not in r and r["split"] == split).items()))
            for split in splits},
        "lines": {split: {dataset: {renderer: ordered(labels) for renderer, labels in sorted(by_renderer.items())}
                          for dataset, by_renderer in sorted(by_dataset.items())}
                  for split, by_dataset in sorted(counts.items())},
        "skipped": [{"id": f"{r['dataset']}/{r['name']}/{r['renderer']}", "reason": r["skip"]}
                    for r in records if "skip" in r],
    }


def remove_stale(out: Path, written: set[Path], datasets, renderers) -> int:
    """Delete ``.lines`` files (and their markup rows) of the datasets/renderers under ``out`` that are not
    ``written`` (by this run)."""
    stale = [path for split in SPLITS + (NO_SPLIT,) for dataset in datasets for renderer in renderers
             for path in corpus_folder(out, split, dataset, renderer).glob("*.lines") if path not in written]
    for path in stale:
        path.unlink()
        rows_path(path).unlink(missing_ok=True)
    return len(stale)


def _default_signals() -> None:
    """A worker dies of SIGTERM and SIGHUP, as the pool's terminate expects. Forked from ``noisecut import-gold``
    it inherits the CLI's handlers, which raise in Python only: a worker blocked in C (a lock taken at the
    fork) never ran them, and the pool waited for it forever."""
    for name in ("SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def build(out=DEFAULT_OUT, renderers=None, datasets=None, limit=None, jobs=2, root=DATASETS,
          split: str = "site", gold_format: str | None = None, only_splits=None, held_out: bool = False,
          replace: bool = False) -> dict:
    """Build the corpus under ``out``; returns the summary (also written to summary.json, unless no document
    was written: then ``out`` is left as it was).

    ``split``: ``"site"`` (train/dev/test by site) or ``"none"`` (no split folders);
    ``gold_format``: read every gold in this format (a key of ``GOLD_FORMATS``) instead of the
    registry's; ``only_splits``: build the pages of these splits only (e.g. ``["test"]``); ``held_out``: the
    renderers may be ones no model trains on too (an evaluation corpus; ``noisecut import-gold`` keeps to the four).
    The ``.lines`` files of the built datasets and renderers that the run did not write are removed when it
    built every page (no ``limit``, no ``only_splits``); ``replace`` (``noisecut import-gold``): always, and
    those of every renderer, so the datasets' folders hold this import alone."""
    out = Path(out).expanduser()
    renderers = list(renderers or RENDERERS)
    datasets = list(datasets or ALL_NAMES)
    unknown = [name for name in renderers if name not in (ALL_RENDERERS if held_out else RENDERERS)]
    unknown += [name for name in datasets if not (Path(root) / name / "input").is_dir()]
    if unknown:
        raise ValueError(f"unknown renderer or dataset folder: {', '.join(unknown)}")
    if split not in SPLIT_MODES:
        raise ValueError(f"unknown split {split!r}: use {' or '.join(SPLIT_MODES)}")
    if gold_format is not None and gold_format not in GOLD_FORMATS:
        raise ValueError(f"unknown gold format {gold_format!r}: use one of {', '.join(GOLD_FORMATS)}")
    if only_splits and (split == NO_SPLIT or set(only_splits) - set(SPLITS)):
        raise ValueError(f"only_splits takes {', '.join(SPLITS)}, with split by site")
    start = time.time()
    pages = list(iter_pages(root, datasets, limit, gold_format))
    with staging_directory(out) as staging:
        tasks = [(page, NO_SPLIT if split == NO_SPLIT else split_of(page, root), renderers, staging) for page in pages]
        if only_splits:
            tasks = [task for task in tasks if task[1] in only_splits]
        records: list[dict] = []
        if tasks:  # no workers for nothing: a pool closed at once could hang (see _default_signals)
            with Pool(jobs, initializer=_default_signals) as pool, tqdm(total=len(tasks), unit="page", file=sys.stderr) as bar:
                for page_records in pool.imap_unordered(process_page, tasks, chunksize=2):
                    records.extend(page_records)
                    bar.update()
        summary = summarize(records, time.time() - start)
        if not summary["documents"]:  # keep the last corpus, and its summary
            return summary
        write_atomic(staging / "summary.json", json.dumps(summary, indent=1) + "\n")
        written = set(move_into(staging, out))
    if replace:
        remove_stale(out, written, datasets, ALL_RENDERERS)
    elif limit is None and not only_splits:
        remove_stale(out, written, datasets, renderers)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.build_corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--renderers", type=renderer_names, help=f"comma-separated, from {','.join(ALL_RENDERERS)} (default: the four "
                        f"the models train on, {','.join(RENDERERS)}; the others are held out, for evaluation corpora)")
    parser.add_argument("--datasets", help=f"comma-separated, from {','.join(ALL_NAMES)} (default all)")
    parser.add_argument("--splits", help=f"comma-separated, from {','.join(SPLITS)}: build only these splits' pages (default all)")
    parser.add_argument("--limit", type=int, help="at most N pages per dataset")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    split = lambda value: [v.strip() for v in value.split(",") if v.strip()] if value else None  # noqa: E731
    summary = build(args.out, args.renderers, split(args.datasets), args.limit, args.jobs,
                    only_splits=split(args.splits), held_out=True)
    print(json.dumps({key: summary[key] for key in ("seconds", "documents", "lines_per_split")}, indent=1))
    if not summary["documents"]:  # nothing moved in: summary.json there is the last build's, if any
        for skipped in summary["skipped"][:SKIPS_NAMED]:
            print(f"skipped {skipped['id']}: {skipped['reason']}", file=sys.stderr)
        print(f"build_corpus: error: wrote no document ({len(summary['skipped'])} page renderings skipped); "
              f"{args.out} is as the last build left it", file=sys.stderr)
        return 1
    print(f"skipped {len(summary['skipped'])} page renderings; details in {Path(args.out) / 'summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
