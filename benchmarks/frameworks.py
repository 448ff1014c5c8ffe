"""What the datatrove glue costs: a datatrove pipeline against ``noisecut clean``, same records.

Prints figures, tests nothing. See benchmarks/README.md.

    python benchmarks/frameworks.py                  # 3,000 pages, 2 alternating runs of each
    python benchmarks/frameworks.py --records 500 --repeat 1

Both sides run in this process, one worker each, on the same JSONL file of
``--records`` pages (rendered to text once, untimed):

* ``noisecut clean``: the CLI, ``noisecut clean -q -j 1 IN.jsonl -o OUT.jsonl``;
* ``datatrove``: ``LocalPipelineExecutor(tasks=1, workers=1)`` running
  ``JsonlReader -> NoiseCutFormatter -> JsonlWriter`` (uncompressed output,
  like the CLI's).

Runs alternate (noisecut, datatrove, noisecut, ...) so that a change in the
machine's load hits both; each side's best run is compared. The ratio is
datatrove's documents/s over noisecut clean's: 0.90 or more means the glue
costs under 10%. The outputs are compared record by record.

Needs the datatrove extra, the training extras (to render the pages) and the
datasets in ../shared/datasets (or $NOISECUT_DATASETS); without them it falls
back to the five seed pages of ../shared/seeds, repeated.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # training/ is not installed

from click.testing import CliRunner  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402
from loguru import logger  # noqa: E402

from noisecut.cli import main  # noqa: E402
from noisecut.integrations.datatrove import NoiseCutFormatter  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
RENDERER = "html_text"


def records(n: int) -> tuple[list[dict], str]:
    """``n`` records (id, text) and where they came from."""
    try:
        from training.datasets import DATASETS, NAMES, iter_pages, read_html
        from training.render import render
    except ImportError:
        DATASETS = None
    if DATASETS is not None and DATASETS.is_dir():
        out = []
        for page in iter_pages(DATASETS, NAMES):
            text = render(RENDERER, read_html(page))
            if text.strip():
                out.append({"id": page.id, "text": text})
            if len(out) == n:
                break
        if out:
            return _repeat(out, n), f"pages of {DATASETS} rendered with {RENDERER}"
    pages = [{"id": p.stem, "text": p.read_text(encoding="utf-8")} for p in sorted(SEEDS.glob("*.txt"))]
    if not pages:
        sys.exit("no datasets and no ../shared/seeds: nothing to benchmark")
    return _repeat(pages, n), f"the {len(pages)} seed pages, repeated"


def _repeat(pages: list[dict], n: int) -> list[dict]:
    return [dict(pages[i % len(pages)], id=f"{pages[i % len(pages)]['id']}#{i}") for i in range(n)]


def run_cli(source: Path, output: Path) -> float:
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["clean", "-q", "-j", "1", str(source), "-o", str(output)])
    seconds = time.perf_counter() - start
    if result.exit_code != 0:
        sys.exit(f"noisecut clean failed: {result.output}")
    return seconds


def run_datatrove(source: Path, output: Path, logs: Path) -> float:
    pipeline = [
        JsonlReader(str(source)),
        NoiseCutFormatter(drop_empty=False),
        JsonlWriter(str(output), compression=None),
    ]
    start = time.perf_counter()
    LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=str(logs)).run()
    return time.perf_counter() - start


def texts_of(path: Path) -> dict[str, str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return {r["id"]: r.get("text", "") for r in map(json.loads, f)}  # datatrove leaves out empty texts


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side, alternating (default 2)")
    args = parser.parse_args()
    logger.remove()  # datatrove's progress logs
    logger.disable("datatrove")

    print("$ python " + shlex.join(sys.argv))
    print(f"python {sys.version.split()[0]}, cores {len(os.sched_getaffinity(0))}, "
          f"load {os.getloadavg()[0]:.2f}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    docs, origin = records(args.records)
    size = sum(len(d["text"].encode("utf-8")) for d in docs)
    print(f"{len(docs)} records, {size / 1e6:.1f} MB: {origin}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = tmp / "in.jsonl"
        source.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
        times = {"noisecut clean": [], "datatrove": []}
        for i in range(args.repeat):
            times["noisecut clean"].append(run_cli(source, tmp / f"cli-{i}.jsonl"))
            times["datatrove"].append(run_datatrove(source, tmp / f"dt-{i}", tmp / f"logs-{i}"))
        cli_out = texts_of(tmp / "cli-0.jsonl")
        dt_out = {k: v for path in sorted((tmp / "dt-0").glob("*.jsonl")) for k, v in texts_of(path).items()}

    print(f"\n{'':<16}{'best s':>8}{'docs/s':>9}{'MB/s':>7}   runs (s)")
    rate = {}
    for name, runs in times.items():
        best = min(runs)
        rate[name] = len(docs) / best
        print(f"{name:<16}{best:8.2f}{rate[name]:9.1f}{size / 1e6 / best:7.2f}   {', '.join(f'{t:.2f}' for t in runs)}")
    print(f"\noutputs identical: {cli_out == dt_out} ({len(dt_out)} records)")
    print(f"ratio datatrove / noisecut clean (docs/s): {rate['datatrove'] / rate['noisecut clean']:.3f}")


if __name__ == "__main__":
    main_()
