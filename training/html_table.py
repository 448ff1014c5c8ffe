"""The README's HTML model table from ``training.evaluate --json`` summaries of the same pages.

    python -m training.evaluate --split test --renderers html_text --model /tmp/text --json text.json
    python -m training.evaluate --split test --renderers html_text --model /tmp/html --json html.json --no-html-baselines
    python -m training.html_table text.json html.json [more.json ...] [--columns "text-only,HTML model,..."]

Rows: overall, the older seven folders, the newer four (from the two: every
row is a mean over documents), and each wcxb page type; columns: one per
summary (the first, the text-only model, must have been run with the HTML
baselines), then trafilatura on the HTML from the first summary.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .evaluate import NOISECUT, OLDER, OVERALL

NEWER = "overall, newer four"
TRAFILATURA = "trafilatura_html"


def newer_four(table: dict, system: str) -> tuple[float, int]:
    """The mean F1 of the documents in ``overall`` but not in the older seven."""
    total, older = table[OVERALL], table[OLDER]
    documents = total["documents"] - older["documents"]
    f1 = (total[system]["f1"] * total["documents"] - older[system]["f1"] * older["documents"]) / documents
    return f1, documents


def f1(table: dict, name: str, system: str = NOISECUT) -> float:
    return newer_four(table, system)[0] if name == NEWER else table[name][system]["f1"]


def rows(text: dict, *others: dict) -> list[tuple]:
    """(row, documents, text-only F1, each other summary's F1, trafilatura F1)."""
    if any(text[OVERALL]["documents"] != other[OVERALL]["documents"] for other in others):
        raise SystemExit("the summaries are not of the same pages")
    out = []
    for name in [OVERALL, OLDER, NEWER] + sorted(n for n in text if n.startswith("type:wcxb-dev/")):
        documents = newer_four(text, NOISECUT)[1] if name == NEWER else text[name]["documents"]
        out.append((name, documents, f1(text, name), *(f1(other, name) for other in others), f1(text, name, TRAFILATURA)))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("text", type=Path, help="summary of the text-only model (with the HTML baselines)")
    parser.add_argument("html", type=Path, nargs="+", help="summaries of HTML models")
    parser.add_argument("--columns", help="a name for each summary, comma-separated (default: text-only, HTML model 1, HTML model 2, ...)")
    args = parser.parse_args(argv)
    paths = [args.text, *args.html]
    tables = [json.loads(path.read_text()) for path in paths]
    names = args.columns.split(",") if args.columns else ["text-only"] + [f"HTML model {i}" for i in range(1, len(args.html) + 1)]
    if len(names) != len(paths):
        parser.error(f"--columns names {len(names)} columns for {len(paths)} summaries")
    columns = [*names, "trafilatura (HTML)"]
    print("| rows | docs | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 2))
    for name, documents, *scores in rows(*tables):
        print(f"| {name} | {documents} | " + " | ".join(f"{score:.3f}" for score in scores) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
