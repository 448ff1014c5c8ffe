"""Learning: labeled documents -> window stages (scikit-learn) or a sequence
stage (PyTorch, ``train_sequence.py``) -> exported model.

scikit-learn and joblib (slow to import) are imported inside the functions
that need them, so importing this module (the CLI does, for its defaults)
stays cheap. Feature extraction is the same ``features.featurize``
that cleaning uses, so the two flows cannot drift apart.
"""
from __future__ import annotations

import math
import platform
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from . import __version__
from .context import probability_context
from .errors import NoiseCutError
from .features import FEATURE_VERSION, featurize
from .labeled import LabeledDocument
from .labels import parse_label
from .model import ESTIMATOR, META, Model, blend
from .stages import CLIP, Stage
from .train_data import label_classes, label_summary, labeled_rows, trainable_summary, training_group

HIDDEN_DEFAULT = (64,)   # one hidden layer: non-linear, still a few matrix products per document
MAX_ITER_DEFAULT = 60
BATCH_SIZE = 512         # large batches: sklearn's MLP is numpy-bound per batch
FOLDS = 3                # out-of-fold stage-one probabilities feed stage two
SEED = 0
LOGISTIC_MIN_ITER = 500  # hidden=(): lbfgs iterations, not epochs; fewer stops it far from converged


@dataclass
class TrainingSet:
    """Stacked features of many documents: one row per labeled line."""

    x: np.ndarray
    y: np.ndarray                 # label values (str)
    document: np.ndarray          # which document each row came from
    groups: np.ndarray            # grouping for cross-fitting (site, else document)
    weight: np.ndarray

    @classmethod
    def from_documents(cls, docs: Sequence[LabeledDocument], weights: Sequence[float] | None = None) -> "TrainingSet":
        blocks, labels, document, groups, weight = [], [], [], [], []
        for number, labeled in enumerate(docs):
            rows = labeled_rows(labeled)
            if not rows:
                continue
            blocks.append(featurize([labeled.doc.lines[i] for i in rows]))
            labels += [labeled.labels[i].value for i in rows]
            document += [number] * len(rows)
            groups += [training_group(labeled, number)] * len(rows)
            weight += [weights[number] if weights is not None else 1.0] * len(rows)
        if not blocks:
            raise NoiseCutError("no labeled lines to train on")
        return cls(np.vstack(blocks), np.array(labels), np.array(document), np.array(groups), np.array(weight))


def make_estimator(hidden: tuple[int, ...] = HIDDEN_DEFAULT, max_iter: int = MAX_ITER_DEFAULT, seed: int = SEED,
                   early_stopping: bool = True):
    """Standardiser + clip (as ``Stage`` does) + classifier; ``hidden=()`` gives a multinomial logistic regression.
    ``early_stopping`` holds out a tenth of the lines, stratified by label, to stop the network's training."""
    from functools import partial

    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if hidden:
        classifier = MLPClassifier(
            hidden_layer_sizes=hidden, alpha=1e-3, batch_size=BATCH_SIZE, learning_rate_init=2e-3,
            early_stopping=early_stopping, n_iter_no_change=4, max_iter=max_iter, random_state=seed,
        )
    else:
        classifier = LogisticRegression(C=1.0, max_iter=max(max_iter, LOGISTIC_MIN_ITER))
    clip = FunctionTransformer(partial(np.clip, a_min=-CLIP, a_max=CLIP))
    return make_pipeline(StandardScaler(), clip, classifier)


def export_stage(pipeline, classes: Sequence[str]) -> Stage:
    """A fitted standardiser + classifier as plain arrays, with outputs in ``classes`` order."""
    scaler, classifier = pipeline[0], pipeline[-1]
    if hasattr(classifier, "coefs_"):
        weights, biases = [w.copy() for w in classifier.coefs_], [b.copy() for b in classifier.intercepts_]
    else:
        weights, biases = [classifier.coef_.T.copy()], [classifier.intercept_.copy()]
    if weights[-1].shape[1] == 1:  # binary: one logistic unit == softmax over logits (0, z)
        weights[-1] = np.hstack([np.zeros_like(weights[-1]), weights[-1]])
        biases[-1] = np.concatenate([[0.0], biases[-1]])
    # scatter the classifier's own classes into the model's full label order
    order = [list(classes).index(c) for c in classifier.classes_]
    last_w = np.zeros((weights[-1].shape[0], len(classes)))
    last_b = np.full(len(classes), -1e4)  # a class this stage never saw gets probability ~0
    last_w[:, order], last_b[order] = weights[-1], biases[-1]
    weights[-1], biases[-1] = last_w, last_b
    return Stage(scaler.mean_.copy(), scaler.scale_.copy(), weights, biases)


def _fit(x, y, weight, hidden, max_iter, seed):
    counts = Counter(y.tolist())
    if len(counts) < 2:
        raise NoiseCutError(f"training needs lines of at least two labels; these have only {next(iter(counts))!r}")
    # the held-out tenth needs a line of every label, and two of each label to stratify: tiny data trains without it
    early_stopping = min(counts.values()) >= 2 and math.ceil(len(y) / 10) >= len(counts)
    estimator = make_estimator(hidden, max_iter, seed, early_stopping)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on tiny data sets
        estimator.fit(x, y, **{f"{estimator.steps[-1][0]}__sample_weight": weight})
    return estimator


def out_of_fold(data: TrainingSet, classes: Sequence[str], hidden, max_iter, seed) -> np.ndarray:
    """Stage-one probabilities for every row from a model that did not see its group."""
    from sklearn.model_selection import GroupKFold

    folds = min(FOLDS, len(set(data.groups)))
    probabilities = np.zeros((len(data.y), len(classes)))
    splits = list(GroupKFold(n_splits=folds).split(data.x, data.y, data.groups)) if folds >= 2 else []
    if not splits or any(len(set(data.y[train])) < 2 for train, _ in splits):  # too few documents to leave any out
        return export_stage(_fit(data.x, data.y, data.weight, hidden, max_iter, seed), classes).predict_proba(data.x)
    for train, test in splits:
        stage = export_stage(_fit(data.x[train], data.y[train], data.weight[train], hidden, max_iter, seed), classes)
        probabilities[test] = stage.predict_proba(data.x[test])
    return probabilities


def stage_two_input(data: TrainingSet, probabilities: np.ndarray) -> np.ndarray:
    """Features plus neighbour probabilities, built per document (context never crosses documents)."""
    blocks = []
    for number in np.unique(data.document):  # rows of one document are contiguous and in order
        rows = data.document == number
        blocks.append(np.hstack([data.x[rows], probability_context(probabilities[rows])]))
    return np.vstack(blocks)


def fit(
    docs: Sequence[LabeledDocument],
    weights: Sequence[float] | None = None,
    hidden: tuple[int, ...] = HIDDEN_DEFAULT,
    two_stage: bool = True,
    max_iter: int = MAX_ITER_DEFAULT,
    seed: int = SEED,
    data_summary: dict | None = None,
    sequence: bool = False,
    members: int = 1,
    teacher=None,
    distill: float | None = None,
) -> tuple[Model, dict]:
    """Train on labeled documents; returns the exported model and the scikit-learn estimators
    (none for a sequence model, which PyTorch trains: ``train_sequence.py``). ``teacher``: a
    sequence model to distil into this one, or its probabilities (``train_sequence.Precomputed``);
    see ``train_sequence.fit_sequence`` (weight ``distill``)."""
    summary = trainable_summary(docs)
    classes = label_classes(summary)
    labels = tuple(parse_label(c) for c in classes)
    estimators: dict = {}
    if distill is not None and teacher is None:
        raise NoiseCutError("distill weighs a teacher's probabilities: give the teacher too")
    if sequence:
        from .train_sequence import DISTILL_WEIGHT, fit_sequence

        stage, details = fit_sequence(docs, weights, classes, members=members, seed=seed, teacher=teacher,
                                      distill=DISTILL_WEIGHT if distill is None else distill)
        model = Model(labels, sequence=stage)
        estimator = {"kind": "sequence", **details, "seed": seed}
    else:
        if teacher is not None:
            raise NoiseCutError("only a sequence model can be distilled from a teacher")
        data = TrainingSet.from_documents(docs, weights)
        estimators["stage1"] = _fit(data.x, data.y, data.weight, hidden, max_iter, seed)
        stage2 = None
        if two_stage:
            x2 = stage_two_input(data, out_of_fold(data, classes, hidden, max_iter, seed))
            estimators["stage2"] = _fit(x2, data.y, data.weight, hidden, max_iter, seed)
            stage2 = export_stage(estimators["stage2"], classes)
        model = Model(labels, export_stage(estimators["stage1"], classes), stage2)
        # what bounded the training: a logistic regression (no hidden layer) runs at least LOGISTIC_MIN_ITER iterations
        estimator = {"kind": "window", "hidden": list(hidden), "two_stage": two_stage,
                     "max_iter": max_iter if hidden else max(max_iter, LOGISTIC_MIN_ITER), "seed": seed}
    model.meta = {
        **versions(),
        "estimator": estimator,
        "feature_version": FEATURE_VERSION,
        "training": {**summary, **(data_summary or {})},
    }
    if sequence:
        import torch

        model.meta["torch_version"] = torch.__version__
    return model, estimators


def versions() -> dict:
    """The versions a model card records of what trained it."""
    import sklearn

    return {"noisecut_version": __version__, "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__, "python_version": platform.python_version()}


def load_base(base: str | Path | None) -> Model:
    """The model ``fit_from`` tunes (a directory or shipped model's name; None: ``model.FROM_DEFAULT``), refused
    here when it cannot be tuned, so the CLI says so before it reads the labeled files."""
    from .model import FROM_DEFAULT, model_dir
    from .train_sequence import check_fine_tunable

    directory = model_dir(base or FROM_DEFAULT)
    model = Model.load(directory)
    if model.reads_markup:  # labeled files (noisecut label's too, of an HTML page) are text: they carry no markup rows
        raise NoiseCutError(f"{directory}: --from fine-tunes a text model; this one reads HTML markup, which labeled "
                            "files do not carry (noisecut label writes the page's text); tune the text model instead "
                            "(--from fast, the default): the tuned model cleans your site's HTML pages too")
    check_fine_tunable(model)
    return model


def fit_from(
    base: str | Path | Model | None,
    docs: Sequence[LabeledDocument],
    replay: Sequence[LabeledDocument] = (),
    anchor: float | None = None,
    seed: int = SEED,
    progress: bool = True,
    tune: str | None = None,
    everywhere: bool = False,
    max_steps: int | None = None,
    learning_rate: float | None = None,
) -> Model:
    """Fine-tune the sequence model ``base`` (a ``Model``, or as ``load_base`` takes it: a directory or shipped
    model's name; None: ``model.FROM_DEFAULT``) on
    ``docs`` (``train_sequence.fine_tune``). Its card records the base model's digest and what was added.

    The result keeps the base model's stage for other sites' pages and uses the tuned one on
    pages that share the template of ``docs`` (``model.SiteExpert``; ``Cleaner`` hands other sites'
    HTML pages to the HTML model and, for a base of ``-m fast``, their text to the default model);
    ``everywhere``: the tuned stage alone, on every page. ``anchor`` and ``tune`` default to ``train_sequence``'s
    ``ROUTED_*`` defaults, or with ``everywhere`` to ``ANCHOR_DEFAULT`` and ``TUNE_DEFAULT``."""
    from .model import SiteExpert
    from .sites import site_fingerprint
    from .train_sequence import ANCHOR_DEFAULT, ROUTED_ANCHOR_DEFAULT, ROUTED_TUNE_DEFAULT, TUNE_DEFAULT, fine_tune

    base_model = base if isinstance(base, Model) else load_base(base)
    if anchor is None:
        anchor = ANCHOR_DEFAULT if everywhere else ROUTED_ANCHOR_DEFAULT
    stage, details = fine_tune(base_model, docs, replay, anchor, seed=seed, progress=progress, max_steps=max_steps,
                               learning_rate=learning_rate,
                               tune=tune or (TUNE_DEFAULT if everywhere else ROUTED_TUNE_DEFAULT))
    import torch

    meta = {key: value for key, value in base_model.meta.items() if key not in ("sha256", "scores", "presets", "name")}
    meta.update(versions(), torch_version=torch.__version__)
    meta["training"] = {
        **label_summary(docs),
        "fine_tuned_from": {"name": base_model.meta.get("name"), "sha256": base_model.meta.get("sha256"),
                            "training": base_model.meta.get("training")},
        "fine_tuning": details,
    }
    if everywhere:
        return Model(base_model.labels, sequence=stage, meta=meta)
    fingerprint = site_fingerprint(docs)
    if base_model.site is not None:  # tuned further: it is still the expert for the pages it knew
        fingerprint = np.union1d(fingerprint, base_model.site.fingerprint)
    site = SiteExpert(stage, fingerprint)
    return Model(base_model.labels, sequence=base_model.sequence, meta=meta, site=site)


def check_model_output(directory: str | Path) -> None:
    """Refuse ``-o`` an existing directory that holds other files and no model (no ``model.json``): the
    model's files would be mixed in with them. A new or empty directory, or a model directory, is fine."""
    directory = Path(directory)
    if not directory.is_dir() or (directory / META).is_file():
        return
    held = sorted(path.name for path in directory.iterdir())
    if held:
        more = f" and {len(held) - 1} more" if len(held) > 1 else ""
        raise NoiseCutError(f"{directory}: holds {held[0]}{more} and no model; "
                            "give a new or empty directory, or a model directory to replace")


def save_model(model: Model, estimators: dict, directory: str | Path) -> Path:
    """Write the model and its scikit-learn estimators into ``directory`` all together (``Model.save``): a
    failure or Ctrl-C while writing leaves a model already there as it was. ``noisecut train`` and the
    training scripts save through here. Other files in ``directory`` are left; a stale ``estimator.joblib``
    is removed when the new model has none (a sequence model)."""
    from functools import partial

    directory = model.save(directory, also=partial(save_estimators, estimators) if estimators else None)
    if not estimators:
        (directory / ESTIMATOR).unlink(missing_ok=True)
    return directory


def save_estimators(estimators: dict, directory: str | Path) -> None:
    """Keep the scikit-learn estimators beside the model; a model without any (a sequence model)
    must not keep a stale file from an earlier model in the same directory."""
    import joblib
    import sklearn

    path = Path(directory) / ESTIMATOR
    if not estimators:
        path.unlink(missing_ok=True)
        return
    joblib.dump({"estimators": estimators, "sklearn_version": sklearn.__version__}, path, compress=3)


def load_estimators(directory: str | Path, trust: bool = False) -> dict:
    """The full scikit-learn estimators (a pickle: only from a source you trust)."""
    import joblib
    import sklearn

    if not trust:
        raise NoiseCutError(f"{directory}/{ESTIMATOR} is a pickle and can run code when loaded; pass trust=True only for files you made or trust")
    saved = joblib.load(Path(directory) / ESTIMATOR)
    if saved.get("sklearn_version") != sklearn.__version__:
        warnings.warn(f"estimators were saved with scikit-learn {saved.get('sklearn_version')}, this is {sklearn.__version__}; predictions may differ")
    return saved["estimators"]


def predict_with_estimators(estimators: dict, model: Model, texts: Sequence[str]) -> np.ndarray:
    """Probabilities from the scikit-learn estimators, in ``model.labels`` order (for checking exports)."""
    classes = [label.value for label in model.labels]
    x = featurize(texts)

    def proba(estimator, features):
        p = estimator.predict_proba(features)
        out = np.zeros((len(features), len(classes)))
        out[:, [classes.index(c) for c in estimator[-1].classes_]] = p
        return out

    p = proba(estimators["stage1"], x)
    if "stage2" in estimators:
        p = blend(p, proba(estimators["stage2"], np.hstack([x, probability_context(p)])))
    return p


def read_labeled(paths: Iterable[str | Path]) -> list[LabeledDocument]:
    from .labeled import read_all

    docs = read_all(paths)
    if not docs:
        raise NoiseCutError("no labeled documents found (expected *.lines files)")
    return docs
