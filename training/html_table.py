"""The README's HTML model table from two ``training.evaluate --json`` summaries of the same pages.

    python -m training.evaluate --split test --renderers html_text --model /tmp/text --json text.json
    python -m training.evaluate --split test --renderers html_text --model /tmp/html --json html.json --no-html-baselines
    python -m training.html_table text.json html.json

Rows: overall, the older seven folders, the newer four (from the two: every
row is a mean over documents), and each wcxb page type; columns: the
text-only model, the HTML model, trafilatura on the HTML (from the first
summary, which must have been run with the HTML baselines).
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


def rows(text: dict, html: dict) -> list[tuple[str, int, float, float, float]]:
    """(row, documents, text-only F1, HTML model F1, trafilatura F1)."""
    if text[OVERALL]["documents"] != html[OVERALL]["documents"]:
        raise SystemExit("the two summaries are not of the same pages")
    out = []
    for name in [OVERALL, OLDER, NEWER] + sorted(n for n in text if n.startswith("type:wcxb-dev/")):
        if name == NEWER:
            (t, documents), (h, _), (b, _) = (newer_four(text, NOISECUT), newer_four(html, NOISECUT), newer_four(text, TRAFILATURA))
        else:
            documents, t, h, b = text[name]["documents"], text[name][NOISECUT]["f1"], html[name][NOISECUT]["f1"], text[name][TRAFILATURA]["f1"]
        out.append((name, documents, t, h, b))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("text", type=Path, help="summary of the text-only model (with the HTML baselines)")
    parser.add_argument("html", type=Path, help="summary of the HTML model")
    args = parser.parse_args(argv)
    text, html = (json.loads(path.read_text()) for path in (args.text, args.html))
    print("| rows | docs | text-only | HTML model | trafilatura (HTML) |\n|---|---|---|---|---|")
    for name, documents, t, h, b in rows(text, html):
        print(f"| {name} | {documents} | {t:.3f} | {h:.3f} | {b:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
