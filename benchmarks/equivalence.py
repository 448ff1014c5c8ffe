"""Batched against unbatched: per-line probabilities and kept lines, this checkout against another.

Runs a baseline checkout (e.g. the unmodified main, whose ``Cleaner`` cleans
one document at a time) and this one, each in its own process, on the seeds
and on rendered test-split pages, and prints the largest difference of any
line's probability and how many documents come out differently. Prints
figures; tests nothing (``tests/test_batch.py`` checks batched against one
at a time inside this checkout).

    python benchmarks/equivalence.py --baseline /work/main            # seeds + 300 test pages
    python benchmarks/equivalence.py --baseline /work/main --pages 0  # seeds only
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training.datasets import DATASETS, iter_pages, read_html  # noqa: E402
from training.render import RENDERERS, render  # noqa: E402
from training.splits import split_of  # noqa: E402

SEEDS = next((p for p in (REPO.parent / "shared" / "seeds", REPO.parents[1] / "shared" / "seeds") if p.is_dir()), None)

# argv: texts JSON, output .npz, "batched" or "one-at-a-time". Writes p<i> (probabilities) and c<i> (cleaned text).
_WORKER = r"""
import json, sys
import numpy as np
from noisecut.cleaner import Cleaner
from noisecut.document import Document
texts, out, mode = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], sys.argv[3]
cleaner = Cleaner()
docs = [Document.from_text(t) for t in texts]
lines = [[d.lines[i] for i in d.content_indices()] for d in docs]
if mode == "batched":
    from noisecut.batching import probabilities
    probs = probabilities(cleaner.model, lines)
    cleaned = list(cleaner.clean_many(texts))
else:
    probs = [cleaner.model.predict_proba(l) for l in lines]
    cleaned = [cleaner.clean(t) for t in texts]
arrays = {f"p{i}": p for i, p in enumerate(probs)}
arrays.update({f"c{i}": np.array(c.encode("utf-8", "surrogateescape")) for i, c in enumerate(cleaned)})
np.savez(out, **arrays)
"""


def run(checkout: Path, texts_path: Path, out: Path, mode: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    subprocess.run([sys.executable, "-c", _WORKER, str(texts_path), str(out), mode], env=env, check=True, cwd=out.parent)
    with np.load(out) as npz:
        return {key: npz[key] for key in npz.files}


def test_pages(n: int, seed: int = 0) -> list[str]:
    """``n`` test-split pages, page i rendered with the i-th renderer in turn."""
    import random

    pages = [p for p in iter_pages(DATASETS) if split_of(p) == "test"]
    chosen = random.Random(seed).sample(pages, min(n, len(pages)))
    names = sorted(RENDERERS)
    return [t for i, p in enumerate(chosen) if (t := render(names[i % len(names)], read_html(p))).strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the checkout to compare with (run one document at a time)")
    parser.add_argument("--pages", type=int, default=300, help="test-split pages besides the seeds (default 300)")
    args = parser.parse_args()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] if SEEDS else []
    texts = seeds + (test_pages(args.pages) if args.pages else [])
    print("$ " + " ".join([sys.executable, *sys.argv]))
    print(f"{len(seeds)} seeds + {len(texts) - len(seeds)} test-split pages")
    with tempfile.TemporaryDirectory(prefix="noisecut-equivalence-") as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts), encoding="utf-8")
        before = run(args.baseline, path, Path(tmp) / "before.npz", "one-at-a-time")
        after = run(REPO, path, Path(tmp) / "after.npz", "batched")
    worst = max((float(np.abs(after[f"p{i}"] - before[f"p{i}"]).max(initial=0.0)) for i in range(len(texts))), default=0.0)
    lines = sum(len(before[f"p{i}"]) for i in range(len(texts)))
    differ = [i for i in range(len(texts)) if bytes(after[f"c{i}"]) != bytes(before[f"c{i}"])]
    print(f"{lines} lines: largest probability difference {worst:.2e} (batched, {REPO} vs one at a time, {args.baseline})")
    print(f"cleaned text differs in {len(differ)} of {len(texts)} documents" + (f": {differ[:10]}" if differ else ""))


if __name__ == "__main__":
    main()
