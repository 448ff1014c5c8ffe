"""Held-out evaluation: noisecut against the baselines, on the same pages.

For every page of a split (``training/splits.py``), each renderer turns the
HTML into plain text; noisecut and the plain-text baselines clean that text,
and the HTML baselines read the original HTML. Every output is scored
against the page's gold main content with bag-of-tokens precision, recall
and F1 (``noisecut.scoring.text_scores``), averaged over documents (one
document = one page as rendered by one renderer). Line-level keep/drop
scores compare noisecut's decisions with the aligned gold labels, and the
``line_labels`` column keeps exactly the lines whose aligned label noisecut
would keep: what a line classifier that never errs against the alignment
scores, the reference ceiling of the noisecut column on that rendering (up
to the alignment: gold text on a line it left unaligned is lost to both).

    python -m training.evaluate --split test               # the figures in the README
    python -m training.evaluate --split dev --model DIR    # a candidate trained with --splits train

Pages whose rendering is empty are scored too (all systems get the same
empty text), so no system gains from skipped pages.

Rows: overall (all eleven folders, and the seven older ones alone, so figures
from before issue 13 compare), per dataset, per page type (``wcxb-dev``'s
``page_type``, ``magic-html``'s ``kind``), per language group (English,
Chinese, other) and per renderer. For ``wcxb-dev`` a second table gives the
snippet rates: the share of its ``with`` snippets found in each system's
output and the share of its ``without`` snippets absent from it (a snippet is
found when it occurs, whitespace and case folded, between word boundaries).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
import time
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path

from noisecut.cleaner import Cleaner
from noisecut.labels import KEEP_DEFAULT, Label
from noisecut.policy import THRESHOLD_DEFAULT
from noisecut.evaluate import keep_scores
from noisecut.scoring import PRF, mean_scores, text_scores

from .align import align
from .baselines import BASELINES_HTML, BASELINES_TEXT
from .datasets import ALL_NAMES, DATASETS, NAMES, gold_blocks, gold_text, iter_pages, read_html
from .render import HELD_OUT_RENDERERS, RENDERERS, rendered_document, renderer_names
from .splits import UNKNOWN, Fold, fold_arg, recorded_splits, split_of, with_split

NOISECUT = "noisecut"
TEXT_SYSTEMS = (NOISECUT, *BASELINES_TEXT)
HTML_SYSTEMS = tuple(BASELINES_HTML)
CEILING = "line_labels"  # the aligned gold labels' own keep decisions: noisecut's reference ceiling

_cleaner: Cleaner | None = None


def _init(model, keep, threshold):
    global _cleaner
    _cleaner = Cleaner(model or "default", keep=keep, threshold=threshold)  # the text model: pages too


LANGUAGE_GROUPS = {"en": "English", "zh": "Chinese"}  # every other language: "other"
OVERALL, OLDER = "overall", "overall, older seven"


def language_group(lang: str) -> str:
    return LANGUAGE_GROUPS.get((lang or "").lower().replace("_", "-").split("-")[0], "other")


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def snippet_found(snippet: str, folded_text: str) -> bool:
    """``snippet`` occurs in the (already folded) text, not inside a longer word."""
    needle = _folded(snippet)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded_text) is not None


def snippet_counts(text: str, meta: dict) -> list[int]:
    """[with snippets found, with snippets, without snippets absent, without snippets]."""
    folded = _folded(text)
    with_, without = meta.get("with") or [], meta.get("without") or []
    return [sum(snippet_found(s, folded) for s in with_), len(with_),
            sum(not snippet_found(s, folded) for s in without), len(without)]


LANGUAGE_AWARE = frozenset({"justext_text", "justext_html"})  # baselines that take the page's language


def _run(name: str, baseline, source: str, lang: str) -> str:
    return baseline(source, lang) if name in LANGUAGE_AWARE else baseline(source)


def score_page(task) -> list[dict]:
    """All systems on one page: one record per renderer, with per-system text scores."""
    page, renderers, html_baselines = task
    html, gold = read_html(page), gold_text(page)
    blocks = gold_blocks(page)
    html_outputs = {name: _run(name, BASELINES_HTML[name], html, page.lang) for name in (HTML_SYSTEMS if html_baselines else ())}
    from_html = {name: text_scores(out, gold) for name, out in html_outputs.items()}
    has_snippets = bool(page.meta.get("with") or page.meta.get("without"))
    keep = _cleaner.policy.keep  # the labels the line_labels column keeps, as noisecut's column does
    records = []
    for renderer in renderers:
        doc = rendered_document(renderer, html)
        text = doc.text()  # the rendering, as the text baselines read it
        outputs = {name: _run(name, fn, text, page.lang) for name, fn in BASELINES_TEXT.items()}
        start = time.perf_counter()
        results = _cleaner.classify(doc)
        outputs[NOISECUT] = doc.join([r.index for r in results if r.kept])
        seconds = time.perf_counter() - start
        scores = {name: text_scores(out, gold) for name, out in outputs.items()}
        scores.update(from_html)
        snippets = ({name: snippet_counts(out, page.meta) for name, out in {**outputs, **html_outputs, "gold": gold}.items()}
                    if has_snippets else {})
        gold_labels, _ = align(doc.lines, blocks) if doc.lines else ([], 0.0)
        scores[CEILING] = text_scores(doc.join([i for i, g in enumerate(gold_labels) if g in keep]), gold)
        pairs = [(g, r.label) for g, r in zip(gold_labels, results) if g is not None and r.label is not None]
        records.append({
            "page": page.id, "dataset": page.dataset, "site": page.site, "lang": page.lang, "renderer": renderer,
            "page_type": page.page_type, "scores": {k: v.as_dict() for k, v in scores.items()},
            "line_pairs": [(g.value, p.value) for g, p in pairs], "snippets": snippets, "seconds": seconds,
        })
    return records


def evaluate(split="test", model=None, renderers=tuple(RENDERERS), datasets=None, limit=None,
             keep=KEEP_DEFAULT, threshold=THRESHOLD_DEFAULT, html_baselines=True, jobs=2, root=DATASETS,
             fold: Fold | None = None) -> list[dict]:
    tasks = [(p, tuple(renderers), html_baselines) for p in split_pages(split, datasets, limit, root, fold)]
    records = run_pages(score_page, tasks, jobs, _init, (model, keep, threshold))
    return sorted(records, key=lambda r: (r["page"], r["renderer"]))


def split_pages(split: str, datasets=None, limit: int | None = None, root=DATASETS, fold: Fold | None = None) -> list:
    """The pages of ``split`` in ``datasets`` (default all eleven folders), at most ``limit`` per folder
    (``fold``: only the sites of that fold of the train split)."""
    per_dataset: dict[str, list] = defaultdict(list)
    for page in iter_pages(root, datasets or ALL_NAMES):
        if (split_of(page, root) == split and (fold is None or fold.holds(page.site))
                and len(per_dataset[page.dataset]) < (limit or 10**9)):
            per_dataset[page.dataset].append(page)
    return [page for group in per_dataset.values() for page in group]


def run_pages(score, tasks: list, jobs: int, initializer, initargs: tuple) -> list:
    """``score(task)`` (a list of results per page) for every task in ``jobs`` processes, results pooled
    in the order they finish, with a page count on a terminal."""
    results = []
    with Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        for i, result in enumerate(pool.imap_unordered(score, tasks, chunksize=2), 1):
            results.extend(result)
            if sys.stderr.isatty():
                print(f"\r{i}/{len(tasks)} pages", end="", file=sys.stderr)
    return results


def row_names(record: dict) -> list[str]:
    """The table rows a document counts in."""
    names = [OVERALL] + ([OLDER] if record["dataset"] in NAMES else [])
    names.append(f"dataset:{record['dataset']}")
    if record.get("page_type"):
        names.append(f"type:{record['dataset']}/{record['page_type']}")
    names.append(f"language:{language_group(record['lang'])}")
    names.append(f"renderer:{record['renderer']}")
    return names


def row_order(name: str) -> tuple:
    kind = name.split(":")[0]
    order = {OVERALL: 0, OLDER: 1, "dataset": 2, "type": 3, "language": 4, "renderer": 5}
    position = ALL_NAMES.index(name.split(":")[1]) if kind == "dataset" and name.split(":")[1] in ALL_NAMES else 0
    return order.get(kind, 6), position, name


def summarize(records: list[dict]) -> dict:
    """Rows (overall, per dataset, page type, language group, renderer) x systems -> mean F1 etc."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        for name in row_names(r):
            groups[name].append(r)
    table = {}
    for name, rows in sorted(groups.items(), key=lambda kv: row_order(kv[0])):
        systems = rows[0]["scores"].keys()
        row = {s: mean_scores(PRF(**r["scores"][s]) for r in rows).as_dict() for s in systems}
        pairs = [p for r in rows for p in r["line_pairs"]]
        if pairs:
            row["noisecut_lines_keep"] = keep_scores([Label(g) for g, _ in pairs], [Label(p) for _, p in pairs]).as_dict()
        row["documents"] = len(rows)
        snippet_rows = [r["snippets"] for r in rows if r.get("snippets")]
        if snippet_rows:
            row["snippets"] = snippet_rates(snippet_rows)
        table[name] = row
    return table


def write_documents(records: list[dict], path: Path) -> None:
    """One JSON line per document: its page, site, the table rows it counts in and each system's F1."""
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({"page": r["page"], "renderer": r["renderer"], "site": r["site"], "rows": row_names(r),
                                "f1": {system: score["f1"] for system, score in r["scores"].items()}}) + "\n")


def snippet_rates(per_document: list[dict]) -> dict:
    """Per system: share of ``with`` snippets found, share of ``without`` snippets absent (pooled)."""
    rates = {}
    for system in per_document[0]:
        found, with_, absent, without = (sum(d[system][i] for d in per_document) for i in range(4))
        rates[system] = {"with_found": found / with_ if with_ else None, "without_absent": absent / without if without else None,
                         "with": with_, "without": without}
    return rates


def format_table(table: dict) -> str:
    systems = [s for s in (*TEXT_SYSTEMS, *HTML_SYSTEMS, CEILING) if s in table[OVERALL]]
    precision_recall = [s for s in (NOISECUT, "trafilatura_html") if s in systems]  # where the F1 gap comes from
    header = "| rows | docs | " + " | ".join(systems) + " | noisecut line keep F1 | " + \
        " | ".join(f"{s} P / R" for s in precision_recall) + " |"
    out = [header, "|" + "---|" * (len(systems) + 3 + len(precision_recall))]
    for name, row in table.items():
        cells = [f"{row[s]['f1']:.3f}" for s in systems]
        line_f1 = f"{row['noisecut_lines_keep']['f1']:.3f}" if "noisecut_lines_keep" in row else ""
        cells += [line_f1] + [f"{row[s]['precision']:.3f} / {row[s]['recall']:.3f}" for s in precision_recall]
        out.append(f"| {name} | {row['documents']} | " + " | ".join(cells) + " |")
    snippet_rows = {name: row["snippets"] for name, row in table.items()
                    if "snippets" in row and (name.startswith("type:") or name.startswith("dataset:"))}
    if snippet_rows:
        columns = [s for s in (*systems, "gold") if s in next(iter(snippet_rows.values()))]
        out += ["", "| snippets: with found / without absent | " + " | ".join(columns) + " |",
                "|" + "---|" * (len(columns) + 1)]
        for name, rates in snippet_rows.items():
            cells = [f"{_rate(rates[s]['with_found'])} / {_rate(rates[s]['without_absent'])}" for s in columns]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _rate(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=("train", "dev", "test"))
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--renderers", type=renderer_names, default=",".join(RENDERERS),
                        help=f"comma-separated: the corpus renderers (default) or, never trained on, {','.join(HELD_OUT_RENDERERS)}")
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--limit", type=int, default=None, help="pages per dataset")
    parser.add_argument("--keep", default="", help="extra labels to keep, comma-separated")
    parser.add_argument("--threshold", type=float, default=THRESHOLD_DEFAULT)
    parser.add_argument("--no-html-baselines", action="store_true")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the summary table as JSON")
    parser.add_argument("--documents", type=Path, default=None, metavar="FILE",
                        help="also write each document's rows and F1 per system as JSONL (for python -m training.compare)")
    parser.add_argument("--record", action="store_true", help="write noisecut's scores into the model's card")
    parser.add_argument("--fold", type=fold_arg, default=None, metavar="K/N",
                        help="cross-validation: with --split train, only the sites of fold K of N, K from 0 (a "
                             "model trained with --leave-out-fold K/N has not seen them)")
    args = parser.parse_args(argv)
    if args.fold and (args.split != "train" or args.record):
        parser.error("--fold scores part of the train split: use it with --split train, without --record")
    keep = KEEP_DEFAULT | {Label(k) for k in args.keep.split(",") if k}
    unseen_renderers = [name for name in args.renderers if name in HELD_OUT_RENDERERS]
    if args.record and unseen_renderers:
        parser.error(f"--record writes the test table of the corpus renderers; leave out --renderers {','.join(unseen_renderers)}")
    if not held_out(args.split, args.model, args.fold):
        if args.record:
            parser.error(f"the model was trained on the {args.split} split: its scores there are not results")
        print(f"warning: the model was trained on the {args.split} split; these are not held-out scores", file=sys.stderr)
    start = time.perf_counter()
    records = evaluate(args.split, args.model, args.renderers, args.datasets.split(",") if args.datasets else None,
                       args.limit, keep, args.threshold, not args.no_html_baselines, args.jobs, fold=args.fold)
    if not records:
        parser.error(f"no {args.split} pages found under {DATASETS} for the datasets asked for")
    table = summarize(records)
    print(format_table(table))
    print(f"\n{len(records)} documents, {time.perf_counter() - start:.0f} s; text-level bag-of-tokens F1 averaged over documents", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    if args.documents:
        write_documents(records, args.documents)
    if args.record:
        record_scores(args.model, args.split, table)
    return 0


def held_out(split: str, directory, fold: Fold | None = None) -> bool:
    """Whether the model in ``directory`` never trained on these pages: not on ``split``, or,
    trained with ``--leave-out-fold``, not on that ``fold`` of the train split."""
    record = training_record(directory)
    if record.get("split") == UNKNOWN:
        return False
    if fold is not None and record.get("left_out_fold") == str(fold):
        return True
    return split not in recorded_splits(record.get("split", ""))


def training_record(directory) -> dict:
    """What a model's card says it trained on (the shipped model when ``directory`` is None); for an
    average of models whose card predates its own ``split``, what its models' cards say."""
    from noisecut.model import default_model_dir, read_meta

    return with_split(read_meta(Path(directory or default_model_dir())).get("training", {}))


def trained_splits(directory) -> set[str]:
    """The corpus splits a model was trained on, as ``train_default`` records them
    ("train + dev (training/splits.py); ..."); none for a model trained otherwise."""
    return recorded_splits(training_record(directory).get("split", ""))


def record_scores(directory, split: str, table: dict) -> None:
    """Keep the figures with the model: noisecut's F1 per row in ``model.json``'s scores and the
    whole table (every system) in its reports, both shown on its card; ``model.npz`` is left alone."""
    from noisecut.model import Model, default_model_dir

    directory = directory or default_model_dir()
    model = Model.load(directory)
    rows = {name: round(row[NOISECUT]["f1"], 3) for name, row in table.items()}
    documents = table[OVERALL]["documents"]
    model.meta.setdefault("scores", {})[f"{split} split, text F1 ({documents} documents, python -m training.evaluate)"] = rows
    model.meta.setdefault("reports", {})[f"Results on the {split} split"] = (
        f"`python -m training.evaluate --split {split}`: {documents} documents (pages x renderers), text-level "
        f"bag-of-tokens F1 averaged over documents; trafilatura and jusText (HTML) read the page's HTML.\n\n"
        + format_table(table))
    model.save_meta(directory)


if __name__ == "__main__":
    sys.exit(main())
