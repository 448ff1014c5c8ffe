"""The exported model: plain arrays and JSON, evaluated with numpy alone.

A model is a directory:

* ``model.npz``: the inference parameters as arrays (``allow_pickle=False``:
  loading runs no code),
* ``model.json``: the metadata (labels, feature version, layer layout,
  training summary, scores, versions, and the SHA-256 of ``model.npz``),
* ``MODEL_CARD.md``: the card generated from ``model.json``,
* ``estimator.joblib`` (optional): the fitted scikit-learn estimators, for
  retraining and inspection only; cleaning never reads it.

Every writer of a model directory (``noisecut train``, the training/
scripts, the scores and presets they record) goes through ``Model.save`` or
``Model.save_meta``, which write the files together: an interrupted run
leaves the model that was there.

A model is one of two kinds (the stages are in ``stages.py``):

* window stages: stage one reads the line features; stage two (optional)
  reads them plus the neighbours' stage-one probabilities (``context.py``).
  Trained with scikit-learn alone.
* a sequence stage: a bidirectional GRU over the document's lines, trained
  with PyTorch (the ``sequence`` extra). The shipped model is this kind.

A sequence model fine-tuned on a site (``noisecut train --from``) also
carries a site expert (``SiteExpert``): the tuned stage (arrays
``site.sequence.*``) and the site's fingerprint (``site.fingerprint``, sorted
64-bit hashes of the normalised lines its pages share). A document with
enough distinct lines in the fingerprint (``SiteExpert.threshold``) goes
through the tuned stage, any other through the base stage (``sequence.*``),
exactly as the base model cleans it. ``model.json``'s ``site_gate`` records
the rule; a model without it loads and cleans as before.

``model.json``'s ``inputs`` says what a model reads: ``["text"]`` (the line
features of ``features.py``; the default when absent) or ``["text",
"markup"]``: those and, beside them, what the page's markup says about each
line (``markup.py``, version ``markup_version``). A markup model cleans HTML
pages only (``models/html``, ``-m html``).

Shipped models are found by name (``SHIPPED``): ``default`` (model 7: model 4's
three networks averaged with two trained on every dataset folder), ``fast``
(model 4 alone: about 0.8x the cleaning time, a little less accurate, and the
base ``train --from`` tunes, ``FROM_DEFAULT``) and ``html``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import __version__
from .context import probability_context
from .errors import NoiseCutError
from .features import FEATURE_VERSION, feature_names, featurize_batch
from .labels import Label, parse_label
from .markup import FEATURES as MARKUP_FEATURES, MARKUP_VERSION
from .sites import line_hashes
from .stages import SequenceStage, Stage

# Format 2 added the sequence stage, format 3 a sequence stage whose members keep
# their own standardisation (``SequenceStage.average`` of models trained on other
# corpora). A model is written in the oldest format that holds it, so older
# noisecut releases keep reading it.
WINDOW_FORMAT, SEQUENCE_FORMAT, MEMBER_STANDARDISATION_FORMAT = 1, 2, 3
READABLE_FORMATS = (WINDOW_FORMAT, SEQUENCE_FORMAT, MEMBER_STANDARDISATION_FORMAT)
ARRAYS = "model.npz"
META = "model.json"
CARD = "MODEL_CARD.md"
ESTIMATOR = "estimator.joblib"
MODEL_ENV = "NOISECUT_MODEL"  # overrides the default model's directory
SHIPPED = ("default", "fast", "html")  # the models under models/ (package data noisecut/_models): -m NAME
RENAMED = {"accurate": "default"}  # `-m accurate` named today's default before it became the default
FROM_DEFAULT = "fast"  # train --from's base when none is named: it adapts better than the default (README)
TEXT, MARKUP = "text", "markup"  # what a model reads (``inputs`` in model.json)
# A two-stage model answers with the mean of both stages. Stage two learns from
# out-of-fold stage-one probabilities, so it has rarely seen a confident
# stage one on a rare label (the hand-labeled "unrelated" or "share"); the
# mean keeps what stage one knows and scored the same on the dev split.
STAGE_ONE_SHARE = 0.5
SITE_STAGE = "site.sequence"          # the site expert's tuned stage in model.npz
FINGERPRINT = "site.fingerprint"      # ... and its site's fingerprint (uint64 line hashes)
# A document goes through the site expert when at least this many of its distinct lines, and this
# share of the fingerprint's lines, are in the fingerprint. Other sites share a few template lines
# ("privacy policy", "about us"); a page of the site shares most (``training.adapt_eval`` measures both).
GATE_LINES_DEFAULT = 2
GATE_SHARE_DEFAULT = 0.1


@dataclass
class SiteExpert:
    """A sequence stage tuned on one site, used on that site's pages only.

    The site is recognised by its template: ``fingerprint`` holds the sorted
    hashes (``sites.line_hashes``) of the normalised lines its labeled pages
    share (menus, footers, "Share" rows); a document with at least
    ``min_lines`` distinct lines among them, and at least ``min_share`` of
    them, is one of the site's pages."""

    sequence: SequenceStage
    fingerprint: np.ndarray
    min_lines: int = GATE_LINES_DEFAULT
    min_share: float = GATE_SHARE_DEFAULT

    def __post_init__(self):
        self.fingerprint = np.unique(np.asarray(self.fingerprint, dtype=np.uint64))
        if self.min_lines < 1:
            raise ValueError(f"min_lines must be at least 1, not {self.min_lines}")

    def shared_lines(self, texts: Sequence[str]) -> int:
        """How many distinct lines of ``texts`` are in the fingerprint."""
        return int(np.isin(line_hashes(texts), self.fingerprint, assume_unique=True).sum())

    @property
    def threshold(self) -> int:
        """The distinct fingerprint lines a document needs to be routed to the expert."""
        return max(self.min_lines, math.ceil(self.min_share * len(self.fingerprint)))

    def admits(self, shared: int) -> bool:
        """Is a document with ``shared`` distinct fingerprint lines one of the site's pages?"""
        return len(self.fingerprint) > 0 and shared >= self.threshold

    def recognises(self, texts: Sequence[str]) -> bool:
        return self.admits(self.shared_lines(texts))

    def meta(self) -> dict:
        return {"min_lines": self.min_lines, "min_share": self.min_share, "fingerprint_lines": len(self.fingerprint),
                "threshold": self.threshold, "rule": self.rule()}

    def rule(self) -> str:
        return (f"a document that has at least {self.min_lines} of the (normalised) lines in {FINGERPRINT}, and at least "
                f"{self.min_share:.0%} of them, goes through {SITE_STAGE}; any other through sequence (the base model's stage)")


@dataclass
class Model:
    """Per-line label probabilities for a document's non-blank lines."""

    labels: tuple[Label, ...]
    stage1: Stage | None = None
    stage2: Stage | None = None
    sequence: SequenceStage | None = None
    meta: dict = field(default_factory=dict)
    site: SiteExpert | None = None  # a sequence model's site expert (``SiteExpert``)

    def __post_init__(self):
        if (self.stage1 is None) == (self.sequence is None):
            raise ValueError("a model has either window stages (stage1, optionally stage2) or a sequence stage")
        if self.site is not None and self.sequence is None:
            raise ValueError("a site expert sits beside a sequence stage")

    def __repr__(self) -> str:
        """Name, kind and labels, not the arrays: a pipeline's repr (``NoiseCutTransformer(model=Model(...))``)
        printed them by the thousand."""
        kind = "sequence" if self.sequence is not None else "window"
        site = ", site expert" if self.site is not None else ""
        return (f"Model(name={self.meta.get('name')!r}, {kind}{site}, inputs={'+'.join(self.inputs)}, "
                f"labels={','.join(label.value for label in self.labels)})")

    @property
    def inputs(self) -> tuple[str, ...]:
        """What the model reads: ``("text",)`` or ``("text", "markup")``."""
        return model_inputs(self.meta)

    @property
    def reads_markup(self) -> bool:
        return MARKUP in self.inputs

    def predict_proba(self, texts: Sequence[str], markup: np.ndarray | None = None) -> np.ndarray:
        """Probabilities (lines x ``labels``) for non-blank lines ``texts``
        (``markup``: their markup rows, for a model that reads them)."""
        return self.predict_proba_batch([texts], None if markup is None else [markup])[0]

    def routes(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """For each document (its non-blank lines): does it go through the site expert?"""
        if self.site is None:
            return np.zeros(len(docs), dtype=bool)
        return np.array([self.site.recognises(d) for d in docs], dtype=bool)

    def predict_proba_batch(self, docs: Sequence[Sequence[str]], markup: Sequence[np.ndarray] | None = None,
                            routes: Sequence[bool] | None = None) -> list[np.ndarray]:
        """``predict_proba`` of each document (its non-blank lines), computed together:
        one feature pass and one sequence pass for the batch. Each result is
        the one the document gets alone. ``markup``: each document's markup
        rows (``markup.document_markup``), required by a model that reads them.
        ``routes``: which documents go through the site expert (default: ``routes(docs)``;
        given for a window of a longer document, which is routed as a whole)."""
        offsets = np.concatenate([[0], np.cumsum([len(d) for d in docs], dtype=np.int64)])
        if offsets[-1] == 0:
            return [np.zeros((0, len(self.labels))) for _ in docs]
        x = featurize_batch(docs)
        if self.reads_markup:
            if markup is None or len(markup) != len(docs):
                raise ValueError("this model reads markup: give each document's markup rows (markup.document_markup)")
            x = np.hstack([x, np.vstack([np.asarray(m, dtype=x.dtype).reshape(len(d), len(MARKUP_FEATURES))
                                         for d, m in zip(docs, markup)])])
        if self.site is not None:
            p = self._routed(x, offsets, self.routes(docs) if routes is None else np.asarray(routes, dtype=bool))
        elif self.sequence is not None:
            p = self.sequence.predict_proba(x, offsets)
        else:
            p = self.stage1.predict_proba(x)
            if self.stage2 is not None:
                around = np.vstack([probability_context(p[a:b]) for a, b in zip(offsets[:-1], offsets[1:]) if b > a])
                p = blend(p, self.stage2.predict_proba(np.hstack([x, around])))
        return [p[a:b] for a, b in zip(offsets[:-1], offsets[1:])]

    def _routed(self, x: np.ndarray, offsets: np.ndarray, routed: np.ndarray) -> np.ndarray:
        """The sequence stages' probabilities: the routed documents' through the site expert, the others' through the base stage."""
        if routed.all() or not routed.any():  # one stage: x as it is, so a page of another site gets the base model's very numbers
            return (self.site.sequence if routed.all() else self.sequence).predict_proba(x, offsets)
        p = np.empty((len(x), len(self.labels)))
        lengths = np.diff(offsets)
        for stage, chosen in ((self.sequence, ~routed), (self.site.sequence, routed)):
            if lengths[chosen].sum():
                rows = np.concatenate([np.arange(offsets[d], offsets[d + 1]) for d in np.flatnonzero(chosen)])
                p[rows] = stage.predict_proba(x[rows], np.concatenate([[0], np.cumsum(lengths[chosen])]))
        return p

    def stages(self) -> dict[str, Stage | SequenceStage]:
        """The model's stages by the name their arrays carry in ``model.npz``."""
        named = {"stage1": self.stage1, "stage2": self.stage2, "sequence": self.sequence,
                 SITE_STAGE: self.site.sequence if self.site is not None else None}
        return {name: stage for name, stage in named.items() if stage is not None}

    def columns(self, keep: frozenset[Label]) -> np.ndarray:
        """Indices of the ``keep`` labels among the model's labels."""
        return np.array([i for i, label in enumerate(self.labels) if label in keep], dtype=np.int64)

    # -- persistence -----------------------------------------------------

    @property
    def format_version(self) -> int:
        if self.sequence is None:
            return WINDOW_FORMAT
        stages = self.stages().values()
        return MEMBER_STANDARDISATION_FORMAT if any(stage.mean.ndim == 2 for stage in stages) else SEQUENCE_FORMAT

    def save(self, directory: str | Path, also: Callable[[Path], None] | None = None) -> Path:
        """Write ``model.npz``, ``model.json`` and ``MODEL_CARD.md`` into ``directory`` all together: staged beside
        it and moved in only once each is written (``io.files.atomic_directory``), so a failure or Ctrl-C leaves
        a model already there as it was, never new arrays under the old digest, which loading refuses as
        changed. ``also(staging)`` writes more files to move in with them (``train.save_model``: the
        estimators). Other files in ``directory`` are left."""
        from .io.files import atomic_directory  # noisecut.io imports the cleaner, which imports this module

        directory = Path(directory)
        with atomic_directory(directory) as staging:
            self._write_arrays(staging)
            self._write_meta(staging)
            if also is not None:
                also(staging)
        return directory

    def _write_arrays(self, directory: Path) -> None:
        """``model.npz``, and ``meta`` completed with what loading checks (its digest among them)."""
        arrays = {}
        for name, stage in self.stages().items():
            arrays.update(stage.arrays(name))
        if self.site is not None:
            arrays[FINGERPRINT] = self.site.fingerprint
        with open(directory / ARRAYS, "wb") as f:
            np.savez_compressed(f, **arrays)
        meta = {key: value for key, value in self.meta.items() if key != "site_gate"}
        if self.site is not None:
            meta["site_gate"] = self.site.meta()
        meta.update(
            format_version=self.format_version,
            feature_version=FEATURE_VERSION,
            noisecut_version=meta.get("noisecut_version", __version__),
            labels=[label.value for label in self.labels],
            inputs=list(self.inputs),
            layers={name: stage.layers for name, stage in self.stages().items()},
            sha256=file_digest(directory / ARRAYS),
        )
        if self.reads_markup:
            meta.update(markup_version=MARKUP_VERSION, markup_features=list(MARKUP_FEATURES))
        self.meta = meta

    def save_meta(self, directory: str | Path) -> Path:
        """Rewrite ``model.json`` and ``MODEL_CARD.md`` from ``meta`` (together, as ``save``), leaving
        ``model.npz`` as it is.

        For figures recorded after training (scores, threshold presets): the
        integrity check hashes ``model.npz`` only, so its digest still holds.
        """
        from .io.files import atomic_directory

        directory = Path(directory)
        with atomic_directory(directory) as staging:
            self._write_meta(staging)
        return directory

    def _write_meta(self, directory: Path) -> None:
        from .card import model_card  # only when saving

        for name, text in ((META, json.dumps(self.meta, indent=2, sort_keys=True) + "\n"), (CARD, model_card(self.meta))):
            (directory / name).write_bytes(text.encode("utf-8"))

    @classmethod
    def load(cls, directory: str | Path | None = None) -> "Model":
        """Load a model directory (default: the shipped model; a name of ``SHIPPED``: that shipped model),
        checking its metadata."""
        directory = model_dir(directory)
        meta = _read_meta(directory)
        if meta.get("format_version") not in READABLE_FORMATS:
            raise NoiseCutError(f"{directory}: model format {meta.get('format_version')} is not supported (this noisecut reads formats {', '.join(map(str, READABLE_FORMATS))})")
        if meta.get("feature_version") != FEATURE_VERSION:
            raise NoiseCutError(
                f"{directory}: model was trained on feature version {meta.get('feature_version')}, "
                f"this noisecut computes version {FEATURE_VERSION}; retrain it with `noisecut train`"
            )
        inputs = meta.get("inputs") or [TEXT]
        if not (isinstance(inputs, list) and TEXT in inputs and set(inputs) <= {TEXT, MARKUP}):
            raise NoiseCutError(f"{directory}: model reads inputs {meta.get('inputs')}; this noisecut gives a model "
                                "text, or text and markup; use the noisecut version that wrote it")
        if MARKUP in inputs and meta.get("markup_version") != MARKUP_VERSION:
            raise NoiseCutError(
                f"{directory}: model was trained on markup feature version {meta.get('markup_version')}, "
                f"this noisecut computes version {MARKUP_VERSION}; retrain it with python -m training.train_html"
            )
        arrays_path = directory / ARRAYS
        digest = file_digest(arrays_path)
        if digest != meta.get("sha256"):
            raise NoiseCutError(f"{arrays_path}: SHA-256 {digest[:12]}… does not match the model card's {str(meta.get('sha256'))[:12]}…; the model file was changed or damaged")
        try:
            with np.load(arrays_path, allow_pickle=False) as npz:
                arrays = {key: npz[key] if key == FINGERPRINT else npz[key].astype(np.float64) for key in npz.files}
            layers = meta["layers"]
            site = None
            if layers.get(SITE_STAGE):
                gate = meta["site_gate"]
                site = SiteExpert(SequenceStage.from_arrays(arrays, SITE_STAGE), arrays[FINGERPRINT],
                                  int(gate["min_lines"]), float(gate["min_share"]))
            model = cls(
                tuple(parse_label(name) for name in meta["labels"]),
                stage1=Stage.from_arrays(arrays, "stage1", layers["stage1"]) if layers.get("stage1") else None,
                stage2=Stage.from_arrays(arrays, "stage2", layers["stage2"]) if layers.get("stage2") else None,
                sequence=SequenceStage.from_arrays(arrays, "sequence") if layers.get("sequence") else None,
                meta=meta,
                site=site,
            )
        except (KeyError, ValueError, TypeError, AttributeError, OSError) as error:
            raise NoiseCutError(f"{directory}: unreadable model ({error})") from None
        model.check_shapes(directory)
        return model

    def check_shapes(self, source) -> None:
        """Refuse arrays that do not fit the features this noisecut computes (and, for a model
        that reads markup, the markup features beside them)."""
        n_features = len(feature_names()) + (len(MARKUP_FEATURES) if self.reads_markup else 0)
        context = probability_context(np.zeros((1, len(self.labels)))).shape[1]
        for name, stage in self.stages().items():
            width = n_features + context if name == "stage2" else n_features
            widths = {stage.mean.shape[-1], stage.scale.shape[-1], stage.inputs}
            if widths != {width} or stage.outputs != len(self.labels):
                computed = f"{width} ({len(feature_names())} text + {len(MARKUP_FEATURES)} markup features)" if self.reads_markup else str(width)
                raise NoiseCutError(f"{source}: {name} expects {sorted(widths)} inputs, this noisecut computes {computed} "
                                    f"for a model reading {' and '.join(self.inputs)}; retrain the model")


def model_inputs(meta: dict) -> tuple[str, ...]:
    """What a model reads, from its ``model.json``: ``("text",)`` when it does not say."""
    return tuple(meta.get("inputs") or (TEXT,))


def blend(stage1: np.ndarray, stage2: np.ndarray) -> np.ndarray:
    return STAGE_ONE_SHARE * stage1 + (1 - STAGE_ONE_SHARE) * stage2


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise NoiseCutError(f"{path}: cannot read model ({error.strerror})") from None


def read_meta(directory: Path | str | None) -> dict:
    """``model.json`` of a model directory or shipped model name (``model_dir``)."""
    return _read_meta(model_dir(directory))


def _read_meta(directory: Path) -> dict:
    path = directory / META
    if directory.is_file():
        raise NoiseCutError(f"{directory}: a model is a directory holding {META} and {ARRAYS}, not a file")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoiseCutError(f"{path}: no such model (expected {META} and {ARRAYS} in {directory}; "
                            f"shipped models by name: {', '.join(SHIPPED)})") from None
    except (OSError, ValueError) as error:
        raise NoiseCutError(f"{path}: unreadable model metadata ({error})") from None
    if not isinstance(meta, dict):
        raise NoiseCutError(f"{path}: unreadable model metadata (a JSON {type(meta).__name__}, expected an object)")
    return meta


def model_dir(directory: Path | str | None = None) -> Path:
    """The directory of a model: ``directory`` itself; None: the default model (``default_model_dir``);
    a name of ``SHIPPED``: that shipped model, unless a model directory of that name is here
    (one holding ``model.json``; write ``./html`` to mean the local one)."""
    if directory is None:
        return default_model_dir()
    path = Path(directory)
    if (path / META).is_file():
        return path
    name = RENAMED.get(str(directory), str(directory))
    if name in SHIPPED:
        return default_model_dir() if name == "default" else shipped_model_dir(name)
    return path


def shipped_model_dir(name: str) -> Path:
    """``models/NAME`` of a source checkout (and of an editable install), else the package data
    ``noisecut/_models/NAME`` that a wheel installs."""
    checkout = Path(__file__).resolve().parent.parent / "models" / name
    if (checkout / META).exists():
        return checkout
    installed = Path(str(resources.files(__package__).joinpath("_models", name)))
    if name != "default" and not (installed / META).exists():
        raise NoiseCutError(f"no {name!r} model ships with this noisecut (see the README's HTML model section); "
                            "give a model directory")
    return installed


def default_model_dir() -> Path:
    """The shipped model: $NOISECUT_MODEL, else ``models/default`` of a source checkout
    (and of an editable install), else the package data ``noisecut/_models/default``
    that a wheel installs wherever noisecut goes (site-packages, ``pip install --target``)."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    return shipped_model_dir("default")

