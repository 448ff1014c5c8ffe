"""Speed benchmark: noisecut against jusText, C4 rules and trafilatura on real pages.

Prints figures, tests nothing. See benchmarks/README.md for what each number means.

    python benchmarks/speed.py                 # 300 pages, all measurements
    python benchmarks/speed.py --quick         # 60 pages, shorter runs, smaller memory files
    python benchmarks/speed.py --pages 1000 --model /tmp/mb

Needs the training extras (jusText, trafilatura, inscriptis, html_text) and
the datasets in ../shared/datasets (or $NOISECUT_DATASETS).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# --blas-threads must act before numpy is imported (and reach the child processes): read it first
for _i, _arg in enumerate(sys.argv):
    if _arg.startswith("--blas-threads"):
        _value = _arg.split("=", 1)[1] if "=" in _arg else sys.argv[_i + 1]
        for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[_var] = _value

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # training/ is not installed

from noisecut.cleaner import Cleaner  # noqa: E402
from noisecut.document import Document  # noqa: E402
from noisecut.model import Model, default_model_dir  # noqa: E402
from noisecut.parallel import CleanerSpec, available_cores, clean_documents  # noqa: E402
from training import baselines  # noqa: E402
from training.datasets import DATASETS, NAMES, Page, read_html  # noqa: E402
from training.render import RENDERERS, render  # noqa: E402


@dataclass
class Sample:
    """One page: its HTML, its rendered text, the language jusText's stoplist needs."""

    id: str
    html: str
    text: str
    lang: str


def sample_pages(n: int, seed: int, renderer: str, root: Path = DATASETS) -> list[Sample]:
    """``n`` pages drawn with ``seed`` across all datasets, rendered to text (done once, untimed).

    ``renderer`` "mixed" renders page i with the i-th renderer in turn, so the
    text looks like what different upstream tools produce. Pages that render
    to nothing are skipped (and not replaced).
    """
    pages = []
    for dataset in NAMES:
        for html_path in sorted((root / dataset / "input").glob("*.html")):
            gold = root / dataset / "GoldStandard" / (html_path.stem + ".txt")
            lang = html_path.stem.split("-", 1)[0] if dataset == "htmltotext" else "en"
            pages.append(Page(dataset, html_path.stem, html_path, gold, "", lang))
    chosen = random.Random(seed).sample(pages, min(n, len(pages)))
    names = sorted(RENDERERS)
    samples = []
    for i, page in enumerate(chosen):
        html = read_html(page)
        text = render(names[i % len(names)] if renderer == "mixed" else renderer, html)
        if text.strip():
            samples.append(Sample(page.id, html, text, page.lang))
    return samples


def mb(texts) -> float:
    return sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6


def timed_passes(fn, items, min_seconds: float) -> tuple[int, float]:
    """Run ``fn`` over ``items`` in full passes until ``min_seconds`` have gone by; (passes, seconds)."""
    passes, start = 0, time.perf_counter()
    while True:
        for item in items:
            fn(item)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return passes, elapsed


def noisecut_parallel(docs_text: list[str], model: str | None, jobs: int) -> float:
    """Wall time of the CLI's parallel path (``noisecut.parallel.clean_documents``), pool start included."""
    docs = (Document.from_text(t) for t in docs_text)
    start = time.perf_counter()
    for _ in clean_documents(docs, CleanerSpec(model), jobs=jobs):
        pass
    return time.perf_counter() - start


def noisecut_command() -> list[str]:
    exe = shutil.which("noisecut")
    return [exe] if exe else [sys.executable, "-c", "from noisecut.cli import main; main()"]


def first_line_time(cmd: list[str]) -> float:
    """Seconds from starting ``cmd`` to its first line on stdout (the rest is drained)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdout.read()
    proc.wait()
    return elapsed


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """(peak resident set of the child in MiB, wall seconds), from ``wait4``'s rusage of that one child."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return usage.ru_maxrss / per_mib, elapsed


def repeat_to_size(texts: list[str], megabytes: float) -> list[str]:
    """The texts cycled until their UTF-8 size reaches ``megabytes``."""
    out, size, i = [], 0, 0
    while size < megabytes * 1e6:
        t = texts[i % len(texts)]
        out.append(t)
        size += len(t.encode("utf-8", "surrogatepass"))
        i += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="pages to sample (default 300; --quick: 60)")
    parser.add_argument("--quick", action="store_true", help="fewer pages, shorter timed runs, smaller memory files")
    parser.add_argument("--seed", type=int, default=0, help="page sample seed (default 0)")
    parser.add_argument("--renderer", default="mixed", choices=["mixed", *sorted(RENDERERS)], help="HTML-to-text renderer (default: mixed, round-robin)")
    parser.add_argument("--model", "-m", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--blas-threads", default=None, metavar="N", help="set OPENBLAS/OMP/MKL_NUM_THREADS=N for this run and its children (default: leave the environment alone)")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="workers for the parallel run (default 0: every core)")
    args = parser.parse_args()
    quick = args.quick
    n_pages = args.pages or (60 if quick else 300)
    min_seconds = 1.0 if quick else 3.0
    cores = args.jobs or available_cores()
    model_dir = args.model or str(default_model_dir())
    model_args = ["-m", model_dir] if args.model else []

    print("$ " + shlex.join([sys.executable, *sys.argv]))
    blas = {v: os.environ[v] for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if v in os.environ}
    print(f"python {sys.version.split()[0]}, {available_cores()} cores available, load average {os.getloadavg()[0]:.1f}, "
          f"model {model_dir}, BLAS threads: {blas or 'library default'}")
    Model.load(model_dir)  # fail early on a missing model

    t0 = time.perf_counter()
    samples = sample_pages(n_pages, args.seed, args.renderer)
    texts = [s.text for s in samples]
    text_mb, html_mb = mb(texts), mb(s.html for s in samples)
    lines = sum(len(Document.from_text(t).content_indices()) for t in texts)
    print(f"{len(samples)} pages (seed {args.seed}, renderer {args.renderer}): {text_mb:.2f} MB text, "
          f"{lines} non-blank lines, {html_mb:.2f} MB HTML; sampled and rendered in {time.perf_counter() - t0:.1f} s (untimed)")
    print()

    rows = []  # (name, input, docs, seconds, workers, input MB)

    cleaner = Cleaner(model_dir)
    for t in texts[:10]:  # warm-up: first calls pay for lazy imports and caches
        cleaner.clean(t)
    passes, seconds = timed_passes(cleaner.clean, texts, min_seconds)
    rows.append(("noisecut (1 process)", "text", passes * len(texts), seconds, 1, passes * text_mb))

    # the -j run: enough copies of the documents that pool start-up is a small part of it
    copies = max(1, round(2 * min_seconds * cores * len(texts) / (rows[0][2] / rows[0][3]) / len(texts)))
    seconds = noisecut_parallel(texts * copies, model_dir, cores)
    rows.append((f"noisecut -j {cores}", "text", copies * len(texts), seconds, cores, copies * text_mb))

    passes, seconds = timed_passes(lambda s: baselines.justext_text(s.text, s.lang), samples, 0)
    rows.append(("jusText (on the text)", "text", passes * len(samples), seconds, 1, passes * text_mb))

    passes, seconds = timed_passes(baselines.c4_rules, texts, min_seconds)
    rows.append(("C4 line rules", "text", passes * len(texts), seconds, 1, passes * text_mb))

    passes, seconds = timed_passes(baselines.trafilatura_html, [s.html for s in samples], 0)
    rows.append(("trafilatura (on the HTML)", "HTML", passes * len(samples), seconds, 1, passes * html_mb))

    base = rows[0][2] / rows[0][3]
    header = f"{'tool':<26} {'input':<5} {'docs':>6} {'seconds':>8} {'docs/s/core':>12} {'MB/s/core':>10} {'vs noisecut':>12}"
    print(header)
    print("-" * len(header))
    for name, kind, docs, seconds, workers, size in rows:
        rate = docs / seconds / workers
        print(f"{name:<26} {kind:<5} {docs:>6} {seconds:>8.2f} {rate:>12.1f} {size / seconds / workers:>10.2f} {rate / base:>11.2f}x")
    print(f"(noisecut -j {cores}: {copies} copies of the pages through noisecut.parallel.clean_documents, worker start-up included; "
          f"aggregate {rows[1][2] / rows[1][3]:.1f} docs/s)")
    print()

    with tempfile.TemporaryDirectory(prefix="noisecut-bench-") as tmp:
        tmp = Path(tmp)
        cli = noisecut_command()

        # cold start
        small = tmp / "small.txt"
        small.write_text(min(texts, key=lambda t: abs(len(t) - 3000)), encoding="utf-8", errors="surrogatepass")
        runs = 3 if quick else 5
        cold = statistics.median(first_line_time([*cli, "clean", "-q", *model_args, str(small)]) for _ in range(runs))
        imp = statistics.median(first_line_time([sys.executable, "-c", "import noisecut; print(1)"]) for _ in range(runs))
        print(f"CLI cold start, `noisecut clean SMALLFILE` ({small.stat().st_size / 1e3:.1f} kB) to its first output line: {cold * 1000:.0f} ms (median of {runs})")
        print(f"`python -c \"import noisecut\"`: {imp * 1000:.0f} ms (median of {runs})")
        print()

        # peak memory
        print("peak memory of `noisecut clean -j 1` (ru_maxrss of the child):")
        sizes = (1, 10) if quick else (5, 50)
        for megabytes in sizes:
            path = tmp / f"docs{megabytes}.jsonl"
            with open(path, "w", encoding="utf-8") as f:
                for i, t in enumerate(repeat_to_size(texts, megabytes)):
                    f.write(json.dumps({"id": i, "text": t}) + "\n")
            rss, seconds = peak_rss_mb([*cli, "clean", "-q", "-j", "1", *model_args, str(path), "-o", str(tmp / "out.jsonl")])
            print(f"  JSONL, one record per page, {path.stat().st_size / 1e6:6.1f} MB: {rss:7.1f} MB peak RSS  ({seconds:.1f} s)")
        for megabytes in (0.5, 2) if quick else (1, 5):
            path = tmp / f"one{megabytes}.txt"
            path.write_text("\n\n".join(repeat_to_size(texts, megabytes)), encoding="utf-8", errors="surrogatepass")
            rss, seconds = peak_rss_mb([*cli, "clean", "-q", "-j", "1", *model_args, str(path), "-o", str(tmp / "out.txt")])
            print(f"  text file = one document,  {path.stat().st_size / 1e6:6.1f} MB: {rss:7.1f} MB peak RSS  ({seconds:.1f} s)")
        print()

    # linearity: one document made of k pages vs one made of 10k pages
    k = max(1, min(30, len(texts) // 10))
    for label, pages in (("1x", texts[:k]), ("10x", (texts * 10)[: 10 * k])):  # 10x: the next pages, not copies
        joined = "\n\n".join(pages)
        cleaner.clean(joined) if label == "1x" else None
        best = min(_time(cleaner.clean, joined) for _ in range(3 if label == "1x" else 2))
        if label == "1x":
            one, one_mb = best, mb([joined])
        else:
            ten, ten_mb = best, mb([joined])
    print(f"linearity, one document of {k} pages concatenated ({one_mb:.2f} MB) vs of {10 * k} pages ({ten_mb:.2f} MB):")
    print(f"  {one * 1000:.0f} ms vs {ten * 1000:.0f} ms: {ten / one:.1f}x the time for {ten_mb / one_mb:.1f}x the text; "
          f"time per MB {ten / ten_mb / (one / one_mb):.2f}x (1.00 = linear)")


def _time(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
