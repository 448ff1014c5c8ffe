"""Speed benchmark: noisecut against jusText, C4 rules and trafilatura on real pages.

Prints figures, tests nothing. See benchmarks/README.md for what each number means. In short:
docs/s of each tool in one process on the same rendered pages (noisecut alternated with a
--baseline checkout, each in a fresh process, by wall and CPU time); `noisecut clean -j 1`
against `-j N`: the CLI on the same JSONL, each run a fresh process with its start-up, model
loading (in every worker) and IO, alternated, by wall time and by the CPU time of all its
processes (by wall time, N processes get a larger share of a shared machine than one: read
the load average beside it); cold start; peak memory; linearity in a document's length.

    python benchmarks/speed.py                 # 300 pages, all measurements
    python benchmarks/speed.py --quick         # 60 pages, shorter runs, smaller memory files
    python benchmarks/speed.py --pages 1000 --model /tmp/mb
    python benchmarks/speed.py --pages 220 --baseline /work/main   # today's code side by side
    python benchmarks/speed.py --baseline . --baseline-model models/default --model /tmp/one   # two models, this code

Needs the training extras (jusText, trafilatura, inscriptis, html_text) and
the datasets in ../shared/datasets (or $NOISECUT_DATASETS).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shlex
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
from noisecut.parallel import available_cores  # noqa: E402
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


def noisecut_command() -> list[str]:
    """The CLI of the checkout on ``PYTHONPATH`` (see ``checkout_env``): not the installed ``noisecut``
    script, which an editable install ties to another checkout."""
    return [sys.executable, "-c", "from noisecut.cli import main; main()"]


def checkout_env(checkout: Path = REPO) -> dict:
    """The environment that makes a child import ``checkout``'s noisecut (run it outside ``checkout``'s parent)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys([str(checkout), str(REPO)])))


def first_line_time(cmd: list[str], checkout: Path = REPO) -> float:
    """Seconds from starting ``cmd`` to its first line on stdout (the rest is drained)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=checkout_env(checkout), cwd=tempfile.gettempdir())
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdout.read()
    proc.wait()
    return elapsed


def run_child(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident set in MiB) of ``cmd`` run as a child: from ``wait4``'s
    rusage of that one child, which holds the CPU time of the processes it waited for (its ``-j`` workers)
    and the largest resident set of any one of them."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=checkout_env(), cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / per_mib


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """(peak resident set of the child in MiB, wall seconds)."""
    wall, _, rss = run_child(cmd)
    return rss, wall


def write_records(path: Path, texts: list[str]) -> Path:
    """``texts`` as JSONL records ``{"id": i, "text": ...}``."""
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": i, "text": t}) + "\n")
    return path


def jobs_compared(texts: list[str], docs_n: int, jobs: int, rounds: int, model_args: list[str], tmp: Path) -> None:
    """``noisecut clean -j 1`` against ``-j jobs`` on the same ``docs_n`` records (the pages cycled), like with
    like: both the CLI in a fresh process (start-up, model loading, in every worker for ``-j``, reading
    and writing included), the same input and BLAS setting, alternated ``rounds`` times; medians of wall
    time and of the CPU time of all the run's processes."""
    path = write_records(tmp / "parallel.jsonl", (texts * (docs_n // len(texts) + 1))[:docs_n])
    cli = noisecut_command()
    runs: dict[int, list[tuple[float, float, float]]] = {1: [], jobs: []}
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        for n in runs:
            runs[n].append(run_child([*cli, "clean", "-q", "-j", str(n), *model_args, str(path), "-o", os.devnull]))
    print(f"`noisecut clean -j 1` against `-j {jobs}` on the same {docs_n} records ({path.stat().st_size / 1e6:.1f} MB of JSONL, "
          f"the pages cycled), each run a fresh process (start-up and model loading included, in every worker too), "
          f"{rounds} alternated runs, medians; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after:")
    rates = {}
    for n, figures in runs.items():
        wall = statistics.median(f[0] for f in figures)
        cpu = statistics.median(f[1] for f in figures)
        rates[n] = (docs_n / wall, docs_n / cpu)
        print(f"  -j {n}: {wall:6.2f} s wall, {docs_n / wall:6.1f} docs/s; {cpu:6.2f} s CPU (all its processes), {docs_n / cpu:6.1f} docs per CPU second")
    print(f"  -j {jobs} is {rates[jobs][0] / rates[1][0]:.2f}x -j 1 by wall time (at most about {jobs}x; on a shared machine {jobs} "
          f"processes get a larger share of the CPU than one), {rates[jobs][1] / rates[1][1]:.2f}x by CPU time (what the workers cost)")


def repeat_to_size(texts: list[str], megabytes: float) -> list[str]:
    """The texts cycled until their UTF-8 size reaches ``megabytes``."""
    out, size, i = [], 0, 0
    while size < megabytes * 1e6:
        t = texts[i % len(texts)]
        out.append(t)
        size += len(t.encode("utf-8", "surrogatepass"))
        i += 1
    return out


# One timed run in a fresh process, so that two checkouts of noisecut (this one and
# --baseline) can be compared in one benchmark run: argv is mode, pages JSON, seconds, model.
# Prints one JSON line: documents, lines, wall and CPU seconds (and the stage split for "stages").
_WORKER = r"""
import json, sys, time
mode, pages, seconds, model = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] or None
texts = json.load(open(pages, encoding="utf-8"))
if mode == "c4":
    from training.baselines import c4_rules
    run = lambda: [c4_rules(t) for t in texts]
else:
    from noisecut.cleaner import Cleaner
    cleaner = Cleaner(model)
    run = lambda: list(cleaner.clean_many(texts))
    list(cleaner.clean_many(texts[:10]))
spent = {}
if mode == "stages":  # CPU time inside tokenisation, features (all of it) and the stage
    import noisecut.features as features, noisecut.model as model_module, noisecut.stages as stages
    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - start
        return wrapper
    features.Words.of = classmethod(timed("tokenise", features.Words.of.__func__))
    if "tokens" in vars(features.Lines):  # the unbatched code tokenised each line in Lines.tokens
        vars(features.Lines)["tokens"].func = timed("tokenise", vars(features.Lines)["tokens"].func)
    for name in ("featurize", "featurize_batch"):
        if hasattr(model_module, name):
            setattr(model_module, name, timed("features", getattr(model_module, name)))
    stages.SequenceStage.predict_proba = timed("stage", stages.SequenceStage.predict_proba)
    seconds = 0
passes, wall, cpu = 0, time.perf_counter(), time.process_time()
while True:
    run()
    passes += 1
    if time.perf_counter() - wall >= seconds:
        break
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
lines = sum(len([l for l in t.splitlines() if l.strip()]) for t in texts)
import noisecut
print(json.dumps({"docs": passes * len(texts), "lines": passes * lines, "wall": wall, "cpu": cpu, "spent": spent, "noisecut": noisecut.__file__}))
"""


def worker(mode: str, pages: Path, seconds: float, model: str | None, checkout: Path = REPO) -> dict:
    """Run ``_WORKER`` with ``checkout`` first on the path (training/ comes from this checkout)."""
    return run_worker(_WORKER, [mode, pages, seconds, model or ""], checkout, pages.parent)


def run_worker(script: str, args: list, checkout: Path, cwd: Path) -> dict:
    """Run ``script`` (``python -c``) with ``args`` and ``checkout``'s noisecut first on the path; its
    last line of output is a JSON object naming the ``noisecut`` module it imported, which is checked."""
    out = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=checkout_env(checkout),
                         capture_output=True, text=True, cwd=cwd)  # not the checkout: "-c" puts the cwd first on sys.path
    if out.returncode != 0:
        raise SystemExit(f"benchmark worker ({args[0]}, {checkout}) failed: {out.stderr[-2000:]}")
    figures = json.loads(out.stdout.splitlines()[-1])
    if not Path(figures["noisecut"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"benchmark worker imported {figures['noisecut']}, not the checkout {checkout}")
    return figures


def side_by_side(texts: list[str], baseline: Path | None, model: str | None, seconds: float, rounds: int,
                 baseline_model: str | None = None) -> None:
    """docs/s of this checkout, the baseline checkout (cleaning with ``baseline_model``, default
    ``model``) and the C4 rules, each in its own process, alternated ``rounds`` times; then the
    per-stage split (CPU µs per line) of both."""
    baseline_model = baseline_model or model
    with tempfile.TemporaryDirectory(prefix="noisecut-bench-") as tmp:
        pages = Path(tmp) / "pages.json"
        pages.write_text(json.dumps(texts), encoding="utf-8")
        runs = {"noisecut (this checkout)": (REPO, "clean", model)}
        if baseline:
            name = str(baseline) if baseline_model == model else f"{baseline}, model {Path(baseline_model).name}"
            runs[f"noisecut ({name})"] = (baseline, "clean", baseline_model)
        runs["C4 line rules"] = (REPO, "c4", model)
        figures: dict[str, list[dict]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, (checkout, mode, run_model) in runs.items():
                figures[name].append(worker(mode, pages, seconds, run_model, checkout))
        ours = statistics.median(f["docs"] / f["cpu"] for f in figures["noisecut (this checkout)"])
        header = f"{'tool (one process each)':<34} {'docs/s wall':>12} {'docs/s CPU':>11} {'vs this (CPU)':>14}"
        print(f"side by side, {rounds} alternated runs of >= {seconds:.0f} s each on the same {len(texts)} pages (medians):")
        print(header)
        print("-" * len(header))
        for name, runs_ in figures.items():
            wall = statistics.median(f["docs"] / f["wall"] for f in runs_)
            cpu = statistics.median(f["docs"] / f["cpu"] for f in runs_)
            print(f"{name:<34} {wall:>12.1f} {cpu:>11.1f} {cpu / ours:>13.2f}x")
        print()
        print("CPU µs per non-blank line, by stage (one pass, timers around tokenisation, features and the stage):")
        checkouts = {"this checkout": (REPO, model), **({"baseline": (baseline, baseline_model)} if baseline else {})}
        header = f"{'stage':<28}" + "".join(f"{name:>20}" for name in checkouts)
        print(header)
        print("-" * len(header))
        split = {}
        for name, (checkout, run_model) in checkouts.items():
            f = worker("stages", pages, 0, run_model, checkout)
            spent, lines = f["spent"], f["lines"]
            tokenise = spent.get("tokenise", 0.0)
            split[name] = {
                "tokenise": tokenise,
                "features (rest)": spent.get("features", 0.0) - tokenise,
                "stage (GRU)": spent.get("stage", 0.0),
                "split, select, join": f["cpu"] - spent.get("features", 0.0) - spent.get("stage", 0.0),
                "IO (JSONL in and out)": io_seconds(texts, Path(tmp)),
                "total": 0.0,
            }
            split[name]["total"] = sum(split[name].values())
            split[name] = {stage: seconds_ / lines * 1e6 for stage, seconds_ in split[name].items()}
        for stage in split["this checkout"]:
            print(f"{stage:<28}" + "".join(f"{split[name][stage]:>20.1f}" for name in checkouts))
        print()


def io_seconds(texts: list[str], tmp: Path) -> float:
    """CPU seconds to read the pages as JSONL records and write them back (no cleaning): the CLI's IO."""
    from noisecut.io.files import RecordErrors
    from noisecut.io.formats import open_reader, open_writer

    source, target = write_records(tmp / "io.jsonl", texts), tmp / "io-out.jsonl"
    start = time.process_time()
    with open_writer(str(target), "jsonl") as write:
        for doc in open_reader(str(source), "jsonl", RecordErrors()):
            write(doc, doc.text(), None)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="pages to sample (default 300; --quick: 60)")
    parser.add_argument("--quick", action="store_true", help="fewer pages, shorter timed runs, smaller memory files")
    parser.add_argument("--seed", type=int, default=0, help="page sample seed (default 0)")
    parser.add_argument("--renderer", default="mixed", choices=["mixed", *sorted(RENDERERS)], help="HTML-to-text renderer (default: mixed, round-robin)")
    parser.add_argument("--model", "-m", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--blas-threads", default=None, metavar="N", help="set OPENBLAS/OMP/MKL_NUM_THREADS=N for this run and its children (default: leave the environment alone)")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="workers of the -j N run compared with -j 1 (default 0: every core)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="CHECKOUT", help="another noisecut checkout (e.g. the unmodified main) to time side by side with this one")
    parser.add_argument("--baseline-model", default=None, metavar="MODEL",
                        help="model the --baseline checkout cleans with (default: --model); --baseline . --baseline-model A "
                             "--model B compares two models on this code")
    parser.add_argument("--rounds", type=int, default=3, help="alternated runs per tool in the side-by-side table (default 3)")
    parser.add_argument("--parallel-docs", type=int, default=3000, help="documents for the -j 1 / -j N comparison (default 3000; --quick: at most 600)")
    parser.add_argument("--huge", action="store_true", help="also measure peak memory on a 50 MB single line and a million short lines")
    args = parser.parse_args()
    if args.baseline_model and not args.baseline:
        parser.error("--baseline-model needs --baseline (the checkout it runs on; . for this one)")
    for name in ("model", "baseline_model"):  # the timed workers run in a temporary directory
        if getattr(args, name) and Path(getattr(args, name)).is_dir():
            setattr(args, name, str(Path(getattr(args, name)).resolve()))
    if args.baseline:
        args.baseline = args.baseline.resolve()
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

    side_by_side(texts, args.baseline, args.model, min_seconds, 1 if quick else args.rounds, args.baseline_model)

    rows = []  # (name, input, docs, seconds, input MB)

    cleaner = Cleaner(model_dir)
    list(cleaner.clean_many(texts[:10]))  # warm-up: first calls pay for lazy imports and caches
    passes, seconds = timed_passes(lambda batch: list(cleaner.clean_many(batch)), [texts], min_seconds)
    rows.append(("noisecut", "text", passes * len(texts), seconds, passes * text_mb))

    passes, seconds = timed_passes(lambda s: baselines.justext_text(s.text, s.lang), samples, 0)
    rows.append(("jusText (on the text)", "text", passes * len(samples), seconds, passes * text_mb))

    passes, seconds = timed_passes(baselines.c4_rules, texts, min_seconds)
    rows.append(("C4 line rules", "text", passes * len(texts), seconds, passes * text_mb))

    passes, seconds = timed_passes(baselines.trafilatura_html, [s.html for s in samples], 0)
    rows.append(("trafilatura (on the HTML)", "HTML", passes * len(samples), seconds, passes * html_mb))

    base = rows[0][2] / rows[0][3]
    header = f"{'tool (this process)':<26} {'input':<5} {'docs':>6} {'seconds':>8} {'docs/s':>8} {'MB/s':>7} {'vs noisecut':>12}"
    print(header)
    print("-" * len(header))
    for name, kind, docs, seconds, size in rows:
        rate = docs / seconds
        print(f"{name:<26} {kind:<5} {docs:>6} {seconds:>8.2f} {rate:>8.1f} {size / seconds:>7.2f} {rate / base:>11.2f}x")
    print()

    with tempfile.TemporaryDirectory(prefix="noisecut-bench-") as tmp:
        tmp = Path(tmp)
        cli = noisecut_command()

        docs_n = args.parallel_docs if not quick else min(args.parallel_docs, 600)
        jobs_compared(texts, docs_n, cores, 1 if quick else args.rounds, model_args, tmp)
        print()

        # cold start
        small = tmp / "small.txt"
        small.write_text(min(texts, key=lambda t: abs(len(t) - 3000)), encoding="utf-8", errors="surrogatepass")
        runs = 3 if quick else 5
        for checkout in [REPO, *([args.baseline] if args.baseline else [])]:
            cold = statistics.median(first_line_time([*cli, "clean", "-q", *model_args, str(small)], checkout) for _ in range(runs))
            imp = statistics.median(first_line_time([sys.executable, "-c", "import noisecut; print(1)"], checkout) for _ in range(runs))
            print(f"{checkout}: CLI cold start, `noisecut clean SMALLFILE` ({small.stat().st_size / 1e3:.1f} kB) to its first output line: "
                  f"{cold * 1000:.0f} ms; `python -c \"import noisecut\"`: {imp * 1000:.0f} ms (medians of {runs})")
        print()

        # peak memory
        print("peak memory of `noisecut clean -j 1` (ru_maxrss of the child):")
        sizes = (1, 10) if quick else (5, 50)
        for megabytes in sizes:
            path = write_records(tmp / f"docs{megabytes}.jsonl", repeat_to_size(texts, megabytes))
            rss, seconds = peak_rss_mb([*cli, "clean", "-q", "-j", "1", *model_args, str(path), "-o", str(tmp / "out.jsonl")])
            print(f"  JSONL, one record per page, {path.stat().st_size / 1e6:6.1f} MB: {rss:7.1f} MB peak RSS  ({seconds:.1f} s)")
        for megabytes in (0.5, 2) if quick else (1, 5):
            path = tmp / f"one{megabytes}.txt"
            path.write_text("\n\n".join(repeat_to_size(texts, megabytes)), encoding="utf-8", errors="surrogatepass")
            rss, seconds = peak_rss_mb([*cli, "clean", "-q", "-j", "1", *model_args, str(path), "-o", str(tmp / "out.txt")])
            print(f"  text file = one document,  {path.stat().st_size / 1e6:6.1f} MB: {rss:7.1f} MB peak RSS  ({seconds:.1f} s)")
        if args.huge:
            line = tmp / "line.txt"
            unit = b"The quick brown fox jumps over the lazy dog near the river bank. "
            line.write_bytes(unit * (50_000_000 // len(unit)))
            rss, seconds = peak_rss_mb([*cli, "clean", "-q", "-j", "1", *model_args, str(line), "-o", str(tmp / "out.txt")])
            print(f"  one line of {line.stat().st_size / 1e6:.1f} MB: {rss:7.1f} MB peak RSS  ({seconds:.1f} s)")
            short = tmp / "short.txt"
            units = [b"Share\n", b"Advertisement\n", b"The council met on Tuesday to vote on the budget.\n"]
            short.write_bytes(b"".join(units[i % 3] for i in range(1_000_000)))
            rss, seconds = peak_rss_mb([*cli, "clean", "-q", "-j", "1", *model_args, str(short), "-o", str(tmp / "out.txt")])
            print(f"  one document of a million short lines ({short.stat().st_size / 1e6:.1f} MB): {rss:7.1f} MB peak RSS  ({seconds:.1f} s)")
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
