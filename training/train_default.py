"""Train a shipped text model's networks: the corpus's train and dev splits plus labeled/.

    python -m training.build_corpus                 # once: render + align into the cache
    python -m training.train_default --datasets OLDER_SEVEN   # writes models/fast (model 4)
    python -m training.train_default --members 1 --output /tmp/m5   # every folder: half of models/default (README)
    python -m training.train_default --splits train --output /tmp/candidate   # a candidate to score on dev
    python -m training.train_default --extra mine/=5 --weight wcxb-dev=2      # add your own labeled folder, weigh folders
    python -m training.train_default --members 1 --distill-from models/fast --output /tmp/one   # one network learning the ensemble
    python -m training.train_default --members 1 --distill-markup 2 --output /tmp/taught   # learning what HTML models read

The corpus comes from ``training.build_corpus``; the test split is never
read here. A change to the recipe is chosen by training on the train split
alone and scoring on dev; the shipped model then trains on both, since more
sites generalise better and the epoch is chosen on held-out training sites
anyway. Documents are sampled per dataset so that no one
benchmark dominates, and the hand-labeled documents in ``labeled/`` (the
seeds among them) are weighted up: they are few, but they carry the fine
noise labels the benchmarks lack.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from noisecut.labeled import read_all

from .build_corpus import DEFAULT_OUT
from .splits import add_leave_out_fold, check_leave_out_fold, leave_out_fold, split_record

ROOT = Path(__file__).resolve().parents[1]
LABELED = ROOT / "labeled"
OUTPUT = ROOT / "models" / "fast"  # model 4; models/default averages it with two more (training.average_models)
PAGES_PER_DATASET = 1200  # every train and dev page today; caps a benchmark that would grow to dominate
RENDERERS_PER_PAGE = 4    # every rendering: the sequence stage learns what differs between renderers
HAND_WEIGHT = 20.0        # weight of a hand-labeled line relative to a corpus line
MEMBERS = 3               # sequence networks averaged (seeds 0, 1, 2): about +0.006 dev F1 over one
CROP_SHARE = 0.0          # share of corpus documents that also train as a short crop (``short_crops``); off,
                          # as the shipped model was trained: model 6 (--crops 0.5) did not earn its place (docs/experiments.md)
CROP_WEIGHT = 0.5         # weight of a crop's line; a weight other than 1 also keeps crops out of the held-out sites
SPLITS = ("train", "dev")


def check_splits(splits: tuple[str, ...]) -> None:
    """Refuse the test split and any split the corpus does not have."""
    if "test" in splits:
        raise ValueError("the test split is for the final figures only; never train on it")
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown corpus split(s) {sorted(unknown)}: use train and/or dev")


def corpus_documents(corpus: Path, splits: tuple[str, ...] = SPLITS, pages: int = PAGES_PER_DATASET,
                     renderers: int = RENDERERS_PER_PAGE, seed: int = 0, datasets=None):
    """Up to ``pages`` pages per dataset of the corpus splits, each as ``renderers`` random renderings
    (``datasets``: only these folders; default every folder in the corpus)."""
    check_splits(splits)
    by_dataset = defaultdict(lambda: defaultdict(list))  # dataset -> page -> one path per renderer
    for split in splits:
        for path in sorted((corpus / split).glob("*/*/*.lines")):
            if datasets is None or path.parts[-3] in datasets:
                by_dataset[path.parts[-3]][(split, path.stem)].append(path)
    chosen = []
    rng = random.Random(seed)
    for dataset, by_page in sorted(by_dataset.items()):
        page_paths = [by_page[name] for name in sorted(by_page)]
        rng.shuffle(page_paths)
        for paths in page_paths[:pages]:
            chosen += rng.sample(paths, min(renderers, len(paths)))
    return read_all(chosen)


def short_crops(docs, share: float, seed: int = 0) -> list:
    """Short excerpts of ``share`` of the documents: a few lines (3-15, fewer at a page's end) starting at or just
    before a line to keep. Whole pages teach that a short page is a product, a listing or a
    stub; an excerpt of an article is still an article, and text that an earlier tool
    already cut down (a feed item, a RAG chunk) looks like one."""
    from noisecut.document import Document
    from noisecut.labeled import LabeledDocument
    from noisecut.labels import KEEP_DEFAULT

    rng = random.Random(seed)
    crops = []
    for labeled in docs:
        kept = [i for i, label in enumerate(labeled.labels) if label in KEEP_DEFAULT]
        if not kept or rng.random() >= share:
            continue
        start = max(0, rng.choice(kept) - rng.randint(0, 3))
        end = min(len(labeled.labels), start + rng.randint(3, 15))
        doc = labeled.doc
        crops.append(LabeledDocument(Document(doc.lines[start:end], doc.ends[start:end - 1] + [""], id=doc.id, meta=doc.meta),
                                     labeled.labels[start:end], {**labeled.meta, "crop": f"{start}:{end}"}))
    return crops


def folder_weight(value: str) -> tuple[str, float]:
    """``FOLDER=WEIGHT`` (or ``FOLDER``, weight 1) from the command line."""
    folder, sep, weight = value.rpartition("=")
    if not sep:
        return value, 1.0
    try:
        number = float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: the weight after '=' must be a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r}: the weight must be above 0")
    return folder, number


def check_output(parser: argparse.ArgumentParser, output: Path) -> None:
    """Refuse ``--output`` where the model would be mixed into other files (``train.check_model_output``),
    before the hours of training."""
    from noisecut.errors import NoiseCutError
    from noisecut.train import check_model_output

    try:
        check_model_output(output)
    except NoiseCutError as error:
        parser.error(f"--output {error}")


def main(argv=None) -> int:
    from noisecut.errors import NoiseCutError
    from noisecut.model import Model
    from noisecut.train import SEED, fit, save_model
    from noisecut.train_sequence import DISTILL_WEIGHT

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--pages", type=int, default=PAGES_PER_DATASET, help="pages per dataset")
    parser.add_argument("--renderers", type=int, default=RENDERERS_PER_PAGE, help="renderings per page")
    parser.add_argument("--hand-weight", type=float, default=HAND_WEIGHT, help="weight of a line of labeled/")
    parser.add_argument("--extra", type=folder_weight, action="append", default=[], metavar="FOLDER[=WEIGHT]",
                        help="another folder of labeled pages (*.lines) to train on, its lines weighted WEIGHT "
                             "(default 1, a corpus line); repeatable")
    parser.add_argument("--weight", type=folder_weight, action="append", default=[], metavar="DATASET=WEIGHT",
                        help="weight of the lines of one corpus dataset folder (default 1; lines weighted otherwise "
                             "always train, none is held out to choose the epoch); repeatable")
    parser.add_argument("--splits", default=",".join(SPLITS), help="corpus splits to train on, comma-separated (never test)")
    parser.add_argument("--datasets", default=None, help="corpus folders to train on, comma-separated (default all)")
    parser.add_argument("--crops", type=float, default=CROP_SHARE, metavar="SHARE",
                        help="also train on a short excerpt of this share of the corpus documents, "
                             f"its lines weighted {CROP_WEIGHT} (default {CROP_SHARE})")
    parser.add_argument("--members", type=int, default=MEMBERS, help="sequence networks to average, one per seed")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the first member's seed; the others count up from it (default {SEED})")
    parser.add_argument("--distill-from", type=Path, default=None, metavar="MODEL",
                        help="a sequence model (e.g. the shipped three-network ensemble) whose probabilities the new "
                             "model learns on every line, beside the labels (use with --members 1)")
    parser.add_argument("--distill", type=float, default=None, metavar="WEIGHT",
                        help="with --distill-from or --distill-markup: share of each line's loss on the teacher's "
                             f"probabilities, the rest on its label (default {DISTILL_WEIGHT:g}; with --distill-markup "
                             "distill_markup.DISTILL)")
    parser.add_argument("--distill-markup", type=int, default=None, metavar="FOLDS",
                        help="learn also from FOLDS HTML models, each trained with one fold of the sites left out, on "
                             "the html_text documents (training/distill_markup.py; weight --distill, default "
                             "distill_markup.DISTILL); the other documents learn their labels alone")
    parser.add_argument("--window", action="store_true", help="train window stages (scikit-learn) instead of the sequence stage")
    parser.add_argument("--hidden", default="64", help="window stages: hidden layer sizes")
    parser.add_argument("--single-stage", action="store_true", help="window stages: stage one only")
    add_leave_out_fold(parser)
    args = parser.parse_args(argv)
    check_leave_out_fold(parser, args)
    if args.leave_out_fold and args.distill_from:
        parser.error("--leave-out-fold with --distill-from: the teacher has seen the fold's sites")
    if args.distill_from and args.distill_markup:
        parser.error("--distill-from or --distill-markup: one teacher")
    if args.distill_markup is not None and (args.distill_markup < 2 or args.window):
        parser.error("--distill-markup takes 2 folds or more, and trains a sequence model (no --window)")
    if args.distill is not None and not ((args.distill_from or args.distill_markup) and 0 <= args.distill <= 1):
        parser.error("--distill is a share between 0 and 1, and needs --distill-from or --distill-markup")
    try:  # before the corpus is read: a wrong teacher fails at once
        teacher = Model.load(args.distill_from) if args.distill_from else None
    except NoiseCutError as error:
        parser.error(f"--distill-from: {error}")
    if teacher is not None and (args.window or teacher.sequence is None or teacher.reads_markup):
        parser.error("--distill-from takes a sequence model that reads text (as the shipped one), "
                     "and trains a sequence model (no --window)")
    missing = [folder for folder, _ in args.extra if not Path(folder).is_dir()]
    if missing:
        parser.error(f"--extra {missing[0]}: no such folder")
    check_output(parser, args.output)

    start = time.perf_counter()
    splits = tuple(args.splits.split(","))
    corpus = corpus_documents(args.corpus, splits, pages=args.pages, renderers=args.renderers,
                              datasets=args.datasets and set(args.datasets.split(",")))
    corpus = leave_out_fold(corpus, args.leave_out_fold)
    dataset_weight = dict(args.weight)
    unknown = sorted(set(dataset_weight) - {d.meta.get("dataset") for d in corpus})
    if unknown:
        parser.error(f"--weight {unknown[0]}: no such dataset among the documents read")
    hand = read_all([LABELED])
    extra = [(read_all([Path(folder)]), weight) for folder, weight in args.extra]
    crops = short_crops(corpus, args.crops)
    docs = corpus + crops + hand + [d for documents, _ in extra for d in documents]
    weights = ([dataset_weight.get(d.meta.get("dataset"), 1.0) for d in corpus] + [CROP_WEIGHT] * len(crops)
               + [args.hand_weight] * len(hand) + [weight for documents, weight in extra for _ in documents])
    print(f"{len(corpus)} corpus documents, {len(crops)} crops of them, {len(hand)} hand-labeled documents, "
          f"{sum(len(documents) for documents, _ in extra)} from --extra", file=sys.stderr)
    summary = {
        "corpus_documents": dict(Counter(d.meta.get("dataset") for d in corpus)),
        "dataset_weights": dataset_weight,
        "renderers": sorted({d.meta.get("renderer") for d in corpus}),
        "short_crops": {"documents": len(crops), "share": args.crops, "weight": CROP_WEIGHT},
        "hand_labeled_documents": len(hand),
        "hand_weight": args.hand_weight,
        "extra_folders": [{"folder": folder, "documents": len(documents), "weight": weight}
                          for (folder, _), (documents, weight) in zip(args.extra, extra)],
        "split": split_record(splits),
    }
    if args.leave_out_fold:
        summary["left_out_fold"] = str(args.leave_out_fold)
    distill = args.distill
    if args.distill_markup:
        from noisecut.train_data import label_classes, label_summary

        from .distill_markup import DISTILL, RENDERER, markup_teacher

        classes = label_classes(label_summary(docs))
        pages = [i for i, d in enumerate(corpus) if d.meta.get("renderer") == RENDERER]  # corpus comes first in docs
        teacher = markup_teacher(docs, pages, classes, args.corpus, args.distill_markup, args.seed)
        distill = DISTILL if distill is None else distill
        summary["distilled_from_markup"] = {"folds": args.distill_markup, "documents": len(pages), "weight": distill}
    hidden = tuple(int(h) for h in args.hidden.split(",") if int(h) > 0)
    try:
        model, estimators = fit(docs, weights=weights, hidden=hidden, two_stage=not args.single_stage,
                                data_summary=summary, sequence=not args.window, members=args.members,
                                teacher=teacher, distill=distill, seed=args.seed)
    except NoiseCutError as error:
        print(f"train_default: error: {error}", file=sys.stderr)
        return 1
    model.meta["name"] = args.output.name
    save_model(model, estimators, args.output)  # all files or none: an interrupted run leaves the old model
    print(f"wrote {args.output} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
