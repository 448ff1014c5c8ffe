"""Text-only networks that learn what the markup tells: distillation from HTML models.

    python -m training.distill_markup --splits train --members 1 --output /tmp/student   # dev figures, twin below
    python -m training.train_html --splits train --members 1 --output /tmp/twin        # the same without teachers
    python -m training.train_default --members 1 --distill-markup 2 --output /tmp/d    # the text recipe, taught so

The HTML model reads each line's markup beside its text (links, enclosing elements, their class
words) and scores higher than the text model on the same pages; plain text has none of it. Here
text-only students learn it second hand (learning with privileged information): ``--folds`` HTML
teachers (``train_html --markup``'s recipe, one network each) each train with one fold of the sites
left out, so every page gets the probabilities of a teacher that has not seen its site; a student
(``train_html``'s text-only recipe: corpus pages, html_text) then trains on each line's label and
those probabilities, ``--distill`` of the loss on the latter (``train_sequence.fit_sequence``).
``--gated``: where the teacher's keep decision contradicts a line's label, the line learns its
label alone, so the students do not learn the teachers' misses. ``--hand``: the students also learn
``labeled/`` as ``train_default`` does (weighted ``HAND_WEIGHT``), which gives them the shipped text
model's labels, so they can be averaged with it (``training.average_models``); those documents have no
markup, so they learn their labels alone. The test split is never read.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from noisecut.labels import KEEP_DEFAULT, Label
from noisecut.model import TEXT

from .build_corpus import DEFAULT_OUT, corpus_folder
from .splits import bucket, split_record
from .train_default import HAND_WEIGHT, LABELED, PAGES_PER_DATASET, SPLITS, check_output, check_splits
from .train_html import RENDERER, corpus_pages, read_pages, save

FOLDS = 2
DISTILL = 0.25  # 0.5 gained more on dev but learnt the teachers' misses on forum pages (docs/experiments.md)


def gate(p: np.ndarray, y: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """A teacher's probabilities ``p`` (lines x classes) where its keep decision (``keep``: the columns of
    labels kept) agrees with the labels ``y`` (class indices, -1 unlabeled); a label alone where it does not."""
    wrong = (y >= 0) & ((p[:, keep].sum(axis=1) >= 0.5) != keep[np.maximum(y, 0)])
    p = p.copy()
    p[wrong] = 0
    p[wrong, y[wrong]] = 1
    return p


def cross_fitted_probabilities(docs, classes: list[str], folds: int, seed: int, gated: bool) -> list[np.ndarray]:
    """Each document's probabilities (lines x ``classes``) from an HTML teacher that did not train on its site."""
    from noisecut.train import fit
    from noisecut.train_sequence import Sequences, teacher_probabilities as probabilities

    fold_of = [bucket(doc.meta["site"]) % folds for doc in docs]
    out: list[np.ndarray | None] = [None] * len(docs)
    keep = np.array([Label(c) in KEEP_DEFAULT for c in classes])
    for fold in range(folds):
        teacher, _ = fit([d for d, f in zip(docs, fold_of) if f != fold], sequence=True, seed=seed + fold)
        mine = [i for i, f in enumerate(fold_of) if f == fold]
        data = Sequences.from_documents([docs[i] for i in mine], None, classes)
        for i, y, p in zip(mine, data.y, probabilities(teacher, data.x, classes)):
            out[i] = gate(p, y, keep) if gated else p
        print(f"teacher {fold + 1}/{folds}: {len(docs) - len(mine)} pages, probabilities for {len(mine)}", file=sys.stderr)
    return out


def label_targets(docs, classes: list[str]) -> list[np.ndarray]:
    """Each document's labels as probabilities (its non-blank lines x ``classes``; an unlabeled line: all
    zero, no target)."""
    index = {c: i for i, c in enumerate(classes)}
    out = []
    for labeled in docs:
        rows = labeled.doc.content_indices()
        target = np.zeros((len(rows), len(classes)), dtype=np.float32)
        for line, row in enumerate(rows):
            label = labeled.labels[row]
            if label is not None and label.value in index:
                target[line, index[label.value]] = 1
        out.append(target)
    return out


def markup_teacher(docs, pages, classes: list[str], corpus: Path, folds: int, seed: int, gated: bool = False):
    """``train_sequence.Precomputed`` probabilities for ``docs``: the teachers' for those of ``pages``
    (indices of html_text corpus documents with markup rows), each document's labels for the others
    (other renderings, ``labeled/``). The pages' markup rows are read for the teachers and dropped again."""
    from noisecut.train_sequence import Precomputed

    from .build_markup import read_markup

    chosen = [docs[i] for i in pages]
    for doc in chosen:
        meta = doc.meta
        path = corpus_folder(corpus, meta["split"], meta["dataset"], RENDERER) / f"{meta['name']}.lines"
        doc.doc.markup = read_markup(path, len(doc.doc.lines))
    taught = dict(zip(pages, cross_fitted_probabilities(chosen, classes, folds, seed, gated)))
    for doc in chosen:  # the students read the text alone
        doc.doc.markup = None
    return Precomputed([taught[i] if i in taught else label_targets([doc], classes)[0] for i, doc in enumerate(docs)],
                       {"name": f"{folds} HTML models (train_html --markup), each on the sites of the other folds, "
                                f"for {len(pages)} {RENDERER} documents; labels for the rest", "gated": gated})


def main(argv=None) -> int:
    from noisecut.labeled import read_all
    from noisecut.train import SEED, fit
    from noisecut.train_data import label_classes, label_summary

    parser = argparse.ArgumentParser(prog="python -m training.distill_markup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--splits", default=",".join(SPLITS), help="corpus splits to train on, comma-separated (never test)")
    parser.add_argument("--pages", type=int, default=PAGES_PER_DATASET, help="pages per dataset")
    parser.add_argument("--folds", type=int, default=FOLDS,
                        help=f"teachers, each leaving out one fold of the sites (default {FOLDS})")
    parser.add_argument("--distill", type=float, default=DISTILL,
                        help=f"share of each line's loss on the teacher's probabilities (default {DISTILL})")
    parser.add_argument("--gated", action="store_true",
                        help="lines whose label the teacher's keep decision contradicts learn the label alone")
    parser.add_argument("--hand", action="store_true", help=f"the students also learn labeled/ (weight {HAND_WEIGHT})")
    parser.add_argument("--members", type=int, default=1, help="student networks to average, one per seed")
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"the first student's seed (default {SEED}); teachers count up from it")
    args = parser.parse_args(argv)
    check_output(parser, args.output)
    splits = tuple(args.splits.split(","))
    try:
        check_splits(splits)
    except ValueError as error:
        parser.error(str(error))
    if args.folds < 2 or not 0 < args.distill <= 1:
        parser.error("--folds is at least 2 and --distill a share above 0, at most 1")

    start = time.perf_counter()
    paths, _ = corpus_pages(args.corpus, splits, RENDERER, args.pages)
    if not paths:
        parser.error(f"no {RENDERER} pages with markup rows under {args.corpus}: run python -m training.build_corpus")
    docs = read_pages(paths, markup=False)
    hand = read_all([LABELED]) if args.hand else []
    classes = label_classes(label_summary(docs + hand))
    teacher = markup_teacher(docs + hand, list(range(len(docs))), classes, args.corpus, args.folds, args.seed, args.gated)
    recipe = (f"python -m training.distill_markup --splits {args.splits} --pages {args.pages} --folds {args.folds} "
              f"--distill {args.distill}{' --gated' * args.gated}{' --hand' * args.hand} "
              f"--members {args.members} --seed {args.seed}")
    summary = {"corpus_documents": dict(Counter(d.meta.get("dataset") for d in docs)), "renderers": [RENDERER],
               "hand_labeled_documents": len(hand), "hand_weight": HAND_WEIGHT if hand else None,
               "split": split_record(splits), "recipe": recipe}
    model, _ = fit(docs + hand, weights=[1.0] * len(docs) + [HAND_WEIGHT] * len(hand), data_summary=summary,
                   sequence=True, members=args.members, seed=args.seed, teacher=teacher, distill=args.distill)
    save(model, args.output, [TEXT], start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
