"""Your own site in five labeled pages: the shipped model, models trained from scratch, and
``noisecut train --from`` (issue 14's table).

    python -m training.adapt_eval                          # builds the test split (html_text) in a temp dir first
    python -m training.adapt_eval --corpus /tmp/corpus      # a corpus with test/<dataset>/html_text/*.lines
    python -m training.adapt_eval --scratch --max-sites 4   # also the from-scratch models, on 4 sites
    python -m training.adapt_eval --anchor 1 --tune output  # the output layer alone, pulled towards its start
    python -m training.adapt_eval --no-replay               # without replaying labeled/ (as `train --from` by default)
    python -m training.adapt_eval --corpus /tmp/corpus --split dev  # the dev split's sites: to choose a recipe
    python -m training.adapt_eval --corpus /tmp/lynx --renderer lynx  # pages as lynx renders them (a held-out renderer)

"The shipped model" is what cleans with no model named: the default model (``$NOISECUT_MODEL``
when set). ``--from`` tunes ``-m fast`` (``model.FROM_DEFAULT``; ``$NOISECUT_MODEL`` when set), and
its model leaves the pages its gate does not admit to the shipped model, as ``Cleaner`` does
(``cleaner.shipped_default_for_other_text``). Every test-split site with at least ``--min-pages`` pages is one column: five of its
pages (a seeded draw) are the user's labels, the rest are held out. Each model cleans
the held-out pages' html_text renderings (``--renderer``: another rendering the corpus holds); scores are text-level bag-of-tokens F1
against the gold main content (``noisecut.scoring.text_scores``, the README's metric),
averaged over pages. "other test sites" are all test-split pages of the sites that are
no column, cleaned by the shipped model and by every site's ``--from`` model (their
mean is shown). The targets: ``--from`` reaches a mean of at least 0.97 on the
held-out pages, and stays within 0.005 of the shipped model on the other sites.
``--split dev`` does the same with the dev split's sites, to choose a recipe before
looking at the test split; the targets are the test split's, so they are not judged there.
The shipped models trained on the dev split too: for a fair dev figure, set
``$NOISECUT_MODEL`` to a base trained on the train split alone (its twin).

A ``--from`` model uses its tuned stage on the pages its site gate recognises and the
shipped model elsewhere (``noisecut.model.SiteExpert``, ``noisecut.cleaner.Cleaner``); ``--everywhere`` uses
the tuned stage on every page. Both rows come from one fine-tuning per site: each page
is cleaned by the shipped model and by the tuned stage, and the routed model's score
of a page is the tuned stage's if the gate routes it, else the shipped model's (what
``Cleaner`` does with the model: tests/test_site_expert.py checks it). The
routed counts say how many held-out pages went through the tuned stage, and how many
pages of other sites did (false routes, summed over the site models).

``--pages`` cleans the held-out and other pages as HTML input (their markup rows beside
them): the shipped row is then the HTML model, and a ``--from`` model leaves the pages its
gate does not admit to it, as ``noisecut clean -m MINE page.html`` does.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from noisecut.cleaner import Cleaner
from noisecut.labeled import LabeledDocument, page_of, read_all, read_with_page_rows
from noisecut.labels import KEEP_DEFAULT
from noisecut.scoring import text_scores

from .datasets import DATASETS, Page, gold_text
from .evaluate import held_out
from .train_default import LABELED

RENDERER = "html_text"
MIN_PAGES = 8
LABELED_PAGES = 5
TARGET_HELD_OUT = 0.97
TARGET_OTHER_LOSS = 0.005
ROUTED, EVERYWHERE = "--from, site gate (the default)", "--from, tuned stage on every page (--everywhere)"
ORACLE = "the corpus's own line labels (the ceiling)"


def gold_of(doc: LabeledDocument, root: Path) -> str:
    dataset, name = doc.meta["dataset"], doc.meta["name"]
    return gold_text(Page(dataset, name, Path(), root / dataset / "GoldStandard" / f"{name}.txt", doc.meta.get("site", ""), "en"))


def page_scores(model, docs: list[LabeledDocument], golds: dict[str, str]) -> np.ndarray:
    """Text-level F1 of ``model``'s cleaning (or a ``Cleaner``'s) of each of ``docs`` against its gold main content."""
    cleaner = model if isinstance(model, Cleaner) else Cleaner(model)
    scores = []
    for doc in docs:
        kept = "\n".join(r.text for r in cleaner.classify(doc.doc) if r.kept)
        scores.append(text_scores(kept, golds[doc.meta["id"]]).f1)
    return np.array(scores)


def label_scores(docs: list[LabeledDocument], golds: dict[str, str]) -> np.ndarray:
    """Text-level F1 of keeping exactly the lines the corpus labels to keep: what a perfect line
    classifier would score against the gold, the ceiling of every row."""
    return np.array([text_scores("\n".join(line for line, label in zip(doc.doc.lines, doc.labels) if label in KEEP_DEFAULT),
                                 golds[doc.meta["id"]]).f1 for doc in docs])


def score(model, docs: list[LabeledDocument], golds: dict[str, str]) -> float:
    """Mean text-level F1 of ``model``'s cleaning of ``docs`` against their gold main content."""
    scores = page_scores(model, docs, golds)
    return float(np.mean(scores)) if len(scores) else float("nan")


def content_lines(doc: LabeledDocument) -> list[str]:
    """The document's non-blank lines: what the model and its site gate read."""
    return [doc.doc.lines[i] for i in doc.doc.content_indices()]


def routes(model, docs: list[LabeledDocument]) -> np.ndarray:
    """Which of ``docs`` the model's site gate sends through its tuned stage."""
    return model.routes([content_lines(doc) for doc in docs])


def column_of(doc: LabeledDocument) -> str:
    """A site's pages within one dataset: a site's pages in two datasets follow two gold conventions."""
    return f"{doc.meta.get('site')} ({doc.meta['dataset']})"


def site_columns(docs: list[LabeledDocument], min_pages: int, labeled: int, seed: int) -> dict[str, tuple[list, list]]:
    """Site (dataset) -> (its ``labeled`` pages for training, the rest held out), for those with ``min_pages`` or more."""
    by_site = defaultdict(list)
    for doc in docs:
        by_site[column_of(doc)].append(doc)
    columns = {}
    for site, pages in sorted(by_site.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(pages) >= min_pages:
            pages = sorted(pages, key=lambda d: d.meta["id"])
            random.Random(f"{seed}:{site}").shuffle(pages)
            columns[site] = (pages[:labeled], pages[labeled:])
    return columns


def as_text(docs: list[LabeledDocument]) -> list[LabeledDocument]:
    """``docs`` without their markup rows (``--pages``): ``train --from`` tunes a text model on labeled files' lines."""
    return [replace(doc, doc=replace(doc.doc, markup=None)) for doc in docs]


def build_test_corpus(out: Path, jobs: int, with_train: bool = False, split: str = "test",
                      renderers: Sequence[str] = (RENDERER,)) -> Path:
    from .build_corpus import build

    splits = [split, "train"] if with_train else [split]
    print(f"building the {' and '.join(splits)} split ({', '.join(renderers)}) in {out} ...", file=sys.stderr)
    build(out, list(renderers), None, None, jobs, only_splits=splits, held_out=True)
    return out


def renderings(pages: list[LabeledDocument], others: dict[tuple[str, str], LabeledDocument], renderers: list[str],
               own: str = RENDERER) -> list[LabeledDocument]:
    """``pages`` (rendered by ``own``) in each of ``renderers``, where the corpus has that rendering of the page
    (``others``: by page, ``labeled.page_of``, and renderer)."""
    out = []
    for renderer in renderers:
        for page in pages:
            found = page if renderer == own else others.get((page_of(page, 0), renderer))
            if found is not None:
                out.append(found)
    return out


def main(argv=None) -> int:
    from noisecut.model import FROM_DEFAULT, MODEL_ENV, Model, model_dir
    from noisecut.train import fit, fit_from

    parser = argparse.ArgumentParser(prog="python -m training.adapt_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="corpus with <split>/<dataset>/html_text/ (default: build one in a temp dir)")
    parser.add_argument("--split", choices=("test", "dev"), default="test",
                        help="whose sites are the columns and the other sites: test (issue 14's targets) or dev (to choose a recipe)")
    parser.add_argument("--root", type=Path, default=DATASETS, help="the datasets, for the gold text")
    parser.add_argument("--min-pages", type=int, default=MIN_PAGES)
    parser.add_argument("--labeled", type=int, default=LABELED_PAGES, help="pages per site used as labels")
    parser.add_argument("--max-sites", type=int, help="the sites with the most pages only")
    parser.add_argument("--sites", help="comma-separated sites only")
    parser.add_argument("--anchor", type=float, default=None, help="--from's anchor (default: train_sequence.ROUTED_ANCHOR_DEFAULT, as `train --from`)")
    parser.add_argument("--tune", choices=("output", "all"), default=None, help="--from's --tune (default: train_sequence.ROUTED_TUNE_DEFAULT, as `train --from`)")
    parser.add_argument("--max-steps", type=int, default=None, help="--from's optimiser steps at most (default: train_sequence.FINE_TUNE_MAX_STEPS)")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="--from's learning rate (default: train_sequence's for the parameters tuned)")
    parser.add_argument("--no-replay", action="store_true", help="--from without replaying labeled/")
    parser.add_argument("--replay-train", type=int, default=0, metavar="N",
                        help="--from also replays N random train-split pages of the corpus (the base model's own data)")
    parser.add_argument("--scratch", action="store_true", help="also train from scratch (window stages and --sequence)")
    parser.add_argument("--details", type=Path, metavar="FILE",
                        help="write every page's scores and routes as JSON (to choose the gate's rule)")
    parser.add_argument("--renderer", default=RENDERER,
                        help=f"the corpus rendering of the pages: the labeled ones and those cleaned (default {RENDERER}; "
                             "another needs a corpus built with it, `build_corpus --renderers NAME`)")
    parser.add_argument("--renderings", default=None, metavar="A,B",
                        help="corpus renderers of the labeled pages to fine-tune on (default: --renderer; the held-out pages "
                             "are always --renderer's): one page rendered by several tools is more lines to learn from, "
                             "as for a user who has the HTML")
    parser.add_argument("--pages", action="store_true",
                        help="clean the held-out and other pages as HTML input (with their markup rows): "
                             "pages a --from model does not admit go to the shipped HTML model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-j", "--jobs", type=int, default=1, help="processes for building the corpus")
    args = parser.parse_args(argv)
    if args.pages and args.renderer != RENDERER:
        parser.error(f"--pages cleans the pages as HTML input, which noisecut renders with {RENDERER}: drop --renderer")

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="noisecut-adapt-") as scratch_dir:
        own = args.renderer
        renderers = (args.renderings or own).split(",")
        corpus = args.corpus or build_test_corpus(Path(scratch_dir) / "corpus", args.jobs, args.replay_train > 0, args.split,
                                                  sorted({own, *renderers}))
        paths = sorted((corpus / args.split).glob(f"*/{own}/*.lines"))
        docs = [read_with_page_rows(path) for path in paths] if args.pages else read_all(paths)
        other_renderings = {(page_of(doc, 0), renderer): doc for renderer in renderers if renderer != own
                            for doc in read_all(sorted((corpus / args.split).glob(f"*/{renderer}/*.lines")))}
        train_pages = sorted((corpus / "train").glob(f"*/{RENDERER}/*.lines"))
        random.Random(args.seed).shuffle(train_pages)
        replay_train = read_all(train_pages[:args.replay_train]) if args.replay_train else []
    if not docs:
        print(f"no {own} documents under {corpus}/{args.split}", file=sys.stderr)
        return 1
    golds = {doc.meta["id"]: gold_of(doc, args.root) for doc in docs}
    all_columns = site_columns(docs, args.min_pages, args.labeled, args.seed)
    columns = all_columns
    if args.sites:
        columns = {site: columns[site] for site in args.sites.split(",") if site in columns}
    if args.max_sites:
        columns = dict(list(columns.items())[:args.max_sites])
    column_sites = {doc.meta.get("site") for five, held in all_columns.values() for doc in five + held}
    other = [doc for doc in docs if doc.meta.get("site") not in column_sites]
    hand = read_all([LABELED])
    replay = [] if args.no_replay else hand
    replay = replay + replay_train
    print(f"{len(columns)} {args.split}-split sites with >= {args.min_pages} pages; {len(other)} pages of other {args.split} sites",
          file=sys.stderr)

    base_dir = model_dir(os.environ.get(MODEL_ENV) or FROM_DEFAULT)  # what `train --from` tunes
    default = Model.load()  # what cleans with no model named, and other sites' text for a model tuned from -m fast
    if args.split != "test" and not all(held_out(args.split, d) for d in (base_dir, model_dir(None))):
        print(f"note: the base model was trained on the {args.split} split's pages, so its figures there are not held "
              f"out; set ${MODEL_ENV} to a model trained on the train split alone", file=sys.stderr)
    rows: dict[str, dict[str, float]] = defaultdict(dict)
    other_scores: dict[str, list[float]] = defaultdict(list)
    shipped = Cleaner(default, page_model="html") if args.pages else default  # pages: the HTML model, as with no -m
    shipped_other = page_scores(shipped, other, golds)
    other_scores["shipped model"].append(float(np.mean(shipped_other)))
    details = {}
    routed_counts = {"held": [0, 0], "other": [0, 0]}  # [routed, pages]
    per_page = {"other": {"ids": [d.meta["id"] for d in other], "shipped": shipped_other.tolist()}, "sites": {}}
    for site, (five, held) in columns.items():
        shipped_held = page_scores(shipped, held, golds)
        rows["shipped model"][site] = float(np.mean(shipped_held))
        rows[ORACLE][site] = float(np.mean(label_scores(held, golds)))
        started = time.perf_counter()
        tuned = fit_from(base_dir, as_text(renderings(five, other_renderings, renderers, own)), replay, args.anchor, seed=args.seed,
                         progress=False, tune=args.tune, max_steps=args.max_steps, learning_rate=args.learning_rate)
        seconds = time.perf_counter() - started
        details[site] = (seconds, tuned.meta["training"]["fine_tuning"]["steps"])
        everywhere = Model(tuned.labels, sequence=tuned.site.sequence, meta=tuned.meta)
        tuned_held, tuned_other = page_scores(everywhere, held, golds), page_scores(everywhere, other, golds)
        held_routes, other_routes = routes(tuned, held), routes(tuned, other)
        for kind, chosen in (("held", held_routes), ("other", other_routes)):
            routed_counts[kind][0] += int(chosen.sum())
            routed_counts[kind][1] += len(chosen)
        rows[ROUTED][site] = float(np.mean(np.where(held_routes, tuned_held, shipped_held)))
        other_scores[ROUTED].append(float(np.mean(np.where(other_routes, tuned_other, shipped_other))))
        rows[EVERYWHERE][site] = float(np.mean(tuned_held))
        other_scores[EVERYWHERE].append(float(np.mean(tuned_other)))
        per_page["sites"][site] = {
            "labeled": [d.meta["id"] for d in five], "held": [d.meta["id"] for d in held],
            "shipped": shipped_held.tolist(), "tuned": tuned_held.tolist(), "tuned_other": tuned_other.tolist(),
            "routed": held_routes.tolist(), "routed_other": other_routes.tolist(), "site_gate": tuned.meta.get("site_gate"),
        }
        if args.scratch:
            window, _ = fit(hand + five, weights=[1.0] * (len(hand) + len(five)))
            rows["train (window stages), labeled/ + 5 pages"][site] = score(window, held, golds)
            sequence, _ = fit(hand + five, sequence=True, seed=args.seed)
            rows["train --sequence, labeled/ + 5 pages"][site] = score(sequence, held, golds)
            other_scores["train --sequence, labeled/ + 5 pages"].append(score(sequence, other, golds))
        print(f"{site}: {len(five)} labeled, {len(held)} held out; --from took {seconds:.0f} s, "
              f"{details[site][1]} steps; routed {int(held_routes.sum())}/{len(held)} held out, "
              f"{int(other_routes.sum())} other pages; " + ", ".join(f"{name} {row[site]:.3f}" for name, row in rows.items()),
              file=sys.stderr)

    sites = list(columns)
    print(f"| | {' | '.join(f'{s} ({len(columns[s][1])})' for s in sites)} | mean | other {args.split} sites ({len(other)}) |")
    print("|---" * (len(sites) + 3) + "|")
    for name, row in rows.items():
        mean = np.mean([row[s] for s in sites])
        others = f"{np.mean(other_scores[name]):.3f}" if other_scores.get(name) else ""
        print(f"| {name} | {' | '.join(f'{row[s]:.3f}' for s in sites)} | {mean:.3f} | {others} |")
    tuning = tuned.meta["training"]["fine_tuning"] if columns else {}
    anchor, tune = tuning.get("anchor"), tuning.get("tune")
    replayed = ("labeled/" if not args.no_replay else "") + (f" + {args.replay_train} train-split pages" if args.replay_train else "")
    print(f"\n--from: pages as {own}, labeled pages as {','.join(renderers)}; anchor {anchor}, tune {tune}, "
          f"replay {replayed or 'none'} ({len(replay)} documents); "
          f"seconds per site {', '.join(f'{d[0]:.0f}' for d in details.values())}; "
          f"steps {', '.join(str(d[1]) for d in details.values())}")
    gate = tuned.site.rule() if columns else ""
    print(f"routed to the tuned stage ({gate}): {routed_counts['held'][0]} of {routed_counts['held'][1]} held-out pages "
          f"of the tuned sites; {routed_counts['other'][0]} of {routed_counts['other'][1]} other-site pages "
          f"(false routes, {len(sites)} site models x {len(other)} pages)")
    if args.details:
        args.details.write_text(json.dumps(per_page) + "\n", encoding="utf-8")
    held_mean = np.mean([rows[ROUTED][s] for s in sites])
    pages = [len(columns[s][1]) for s in sites]
    weighted = {row: np.average([rows[row][s] for s in sites], weights=pages) for row in (ROUTED, "shipped model", ORACLE)}
    print(f"weighted by held-out pages instead of by site: --from {weighted[ROUTED]:.3f}, "
          f"shipped model {weighted['shipped model']:.3f}, labels as aligned {weighted[ORACLE]:.3f}")
    loss = other_scores["shipped model"][0] - np.mean(other_scores[ROUTED])
    if args.split == "test":
        print(f"target: --from mean on held-out pages {held_mean:.3f} >= {TARGET_HELD_OUT}: {'met' if held_mean >= TARGET_HELD_OUT else 'NOT met'}")
        print(f"target: --from on other test sites {loss:+.4f} below the shipped model, at most {TARGET_OTHER_LOSS}: "
              f"{'met' if loss <= TARGET_OTHER_LOSS else 'NOT met'}")
    else:  # the targets are the test split's; dev only compares recipes
        print(f"dev split (the targets are judged on test): --from mean on held-out pages {held_mean:.3f}; "
              f"on other dev sites {loss:+.4f} below the shipped model")
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
