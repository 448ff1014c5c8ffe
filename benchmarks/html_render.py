"""What rendering HTML input costs beside cleaning it: ms per page for each renderer, same pages, same process.

Reads test-split pages of ../shared/datasets (needs the training extras),
cleans as ``noisecut clean`` does with no model named (the HTML model: cleaning
includes computing the markup features), or with ``--model`` (several, comma-separated,
are timed alternately on the same renderings). ``--commands``: also the docs/s of
``noisecut clean -j 1`` and ``-j 2`` on a directory of those pages (written to
a temporary directory), for this checkout and, with ``--baseline CHECKOUT``,
another one (e.g. the code before pages were rendered in the workers), runs
alternating; each figure is the best of ``--rounds``, as the command's own
summary line gives it.

    python benchmarks/html_render.py              # 120 pages
    python benchmarks/html_render.py --pages 300
    python benchmarks/html_render.py --model default,html   # the text model against the HTML one, alternated
    nice -n 10 python benchmarks/html_render.py --pages 300 --commands --baseline ../before
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from noisecut import Cleaner  # noqa: E402
from noisecut.io.html import RENDERERS, UnrenderableHTML, render_document  # noqa: E402
from training.datasets import ALL_NAMES, iter_pages  # noqa: E402
from training.splits import split_of  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--model", default=None,
                        help="model directory or shipped name (default: none named, as `noisecut clean` with no -m: "
                        "the HTML model on pages); comma-separated: each timed on the same renderings, alternated")
    parser.add_argument("--commands", action="store_true",
                        help="also time `noisecut clean -j 1` and `-j 2` on a directory of the pages (with the first --model)")
    parser.add_argument("--baseline", default=None, help="another noisecut checkout timed beside this one (with --commands)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated runs of each command (with --commands)")
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
    models = args.model.split(",") if args.model else [None]
    cleaners = {model or "none named": Cleaner(model) for model in models}
    for cleaner in cleaners.values():
        cleaner.clean_document(render_document(b"<html><body><p>warm up</p></body></html>"))  # a page: -m html reads markup
    print(f"{len(pages)} test-split pages, {sum(map(len, pages)) / len(pages) / 1024:.0f} KiB each on average")
    for name in RENDERERS:
        started = time.perf_counter()
        docs = [doc for data in pages if (doc := _rendered(data, name)) is not None]
        rendering = time.perf_counter() - started
        cleaning = {model: [] for model in cleaners}
        for _ in range(args.rounds if len(cleaners) > 1 else 1):  # alternated: a busy machine slows each alike
            for model, cleaner in cleaners.items():
                started = time.perf_counter()
                for doc in docs:
                    cleaner.clean_document(doc)
                cleaning[model].append(time.perf_counter() - started)
        failed = f"   ({len(pages) - len(docs)} pages not rendered)" if len(docs) < len(pages) else ""
        for model, seconds in cleaning.items():
            best = min(seconds)
            print(f"{name:11} render {rendering / len(pages) * 1000:5.1f} ms/page   clean {best / len(docs) * 1000:5.1f} ms/page"
                  f"   render/clean {rendering / len(pages) / (best / len(docs)):.2f}{failed}"
                  + (f"   (model: {model})" if len(cleaners) > 1 else ""))
    if args.commands:
        command_rates(pages, models[0], args.baseline, args.rounds)
    return 0


def _rendered(data: bytes, renderer: str):
    """The page's document, None when the renderer fails on it (``noisecut clean`` reports it as a bad record)."""
    try:
        return render_document(data, renderer_name=renderer)
    except UnrenderableHTML:
        return None


JOBS = (1, 2)
# runs `noisecut clean`, then prints the CPU seconds of its main process (the workers not included)
_CLEAN = ("import atexit, resource, sys\n"
          "atexit.register(lambda: print(f'main CPU {sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}', file=sys.stderr))\n"
          "from noisecut.cli import main\nmain()")


def command_rates(pages: list[bytes], model: str | None, baseline: str | None, rounds: int) -> None:
    """docs/s of `noisecut clean -j N DIR` per checkout (the best of ``rounds`` alternated runs), and the CPU
    time its main process takes per page (the median): the rate cannot pass 1 / that, however many workers."""
    checkouts = {"this": Path(__file__).resolve().parent.parent}
    if baseline:
        checkouts["baseline"] = Path(baseline).resolve()
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {(name, jobs): [] for name in checkouts for jobs in JOBS}
    with tempfile.TemporaryDirectory() as tmp:
        for n, data in enumerate(pages):
            (Path(tmp) / f"p{n:04d}.html").write_bytes(data)
        for _ in range(rounds):
            for name, checkout in checkouts.items():
                for jobs in JOBS:
                    runs[name, jobs].append(_clean_rate(checkout, tmp, jobs, model))
    print(f"noisecut clean -j N on a directory of {len(pages)} pages: docs/s (best of {rounds}; all runs), "
          "main-process CPU ms/page (median)")
    rate = {key: max(r for r, _ in got) for key, got in runs.items()}
    for (name, jobs), got in runs.items():
        cpu = sorted(c for _, c in got)[len(got) // 2] / len(pages) * 1000
        print(f"  {name:8} -j {jobs}  {rate[name, jobs]:6.1f} docs/s  [{', '.join(f'{r:.1f}' for r, _ in got)}]"
              f"   main process {cpu:5.1f} ms/page")
    for name in checkouts:
        print(f"  {name:8} -j 2 / -j 1: {rate[name, 2] / rate[name, 1]:.2f}")
    if baseline:
        for jobs in JOBS:
            print(f"  this / baseline at -j {jobs}: {rate['this', jobs] / rate['baseline', jobs]:.2f}")


def _clean_rate(checkout: Path, directory: str, jobs: int, model: str | None) -> tuple[float, float]:
    """docs/s as the command's summary gives it, and the CPU seconds of its main process."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", _CLEAN, "clean", "-j", str(jobs), directory]
    command += ["-m", model] if model else []
    done = subprocess.run(command, env=env, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found, cpu = re.search(r"([0-9.]+) docs/s", done.stderr), re.search(r"main CPU ([0-9.]+)", done.stderr)
    if done.returncode or not found or not cpu:
        raise SystemExit(f"{checkout}: noisecut clean failed: {done.stderr.strip()}")
    return float(found.group(1)), float(cpu.group(1))


if __name__ == "__main__":
    sys.exit(main())
