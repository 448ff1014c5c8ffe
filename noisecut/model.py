"""The exported model: plain arrays and JSON, evaluated with numpy alone.

A model is a directory:

* ``model.npz``: the inference parameters as arrays (``allow_pickle=False``:
  loading runs no code),
* ``model.json``: the metadata (labels, feature version, layer layout,
  training summary, scores, versions, and the SHA-256 of ``model.npz``),
* ``MODEL_CARD.md``: the card generated from ``model.json``,
* ``estimator.joblib`` (optional): the fitted scikit-learn estimators, for
  retraining and inspection only; cleaning never reads it.

A model is one of two kinds (the stages are in ``stages.py``):

* window stages: stage one reads the line features; stage two (optional)
  reads them plus the neighbours' stage-one probabilities (``context.py``).
  Trained with scikit-learn alone.
* a sequence stage: a bidirectional GRU over the document's lines, trained
  with PyTorch (the ``sequence`` extra). The shipped model is this kind.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from .context import probability_context
from .errors import NoiseCutError
from .features import FEATURE_VERSION, feature_names, featurize_batch
from .labels import Label, parse_label
from .stages import SequenceStage, Stage

# Format 2 added the sequence stage. A window model is still written as format 1,
# so older noisecut releases keep reading it.
WINDOW_FORMAT, SEQUENCE_FORMAT = 1, 2
READABLE_FORMATS = (WINDOW_FORMAT, SEQUENCE_FORMAT)
ARRAYS = "model.npz"
META = "model.json"
CARD = "MODEL_CARD.md"
ESTIMATOR = "estimator.joblib"
MODEL_ENV = "NOISECUT_MODEL"  # overrides the default model's directory
# A two-stage model answers with the mean of both stages. Stage two learns from
# out-of-fold stage-one probabilities, so it has rarely seen a confident
# stage one on a rare label (the hand-labeled "unrelated" or "share"); the
# mean keeps what stage one knows and scored the same on the dev split.
STAGE_ONE_SHARE = 0.5


@dataclass
class Model:
    """Per-line label probabilities for a document's non-blank lines."""

    labels: tuple[Label, ...]
    stage1: Stage | None = None
    stage2: Stage | None = None
    sequence: SequenceStage | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if (self.stage1 is None) == (self.sequence is None):
            raise ValueError("a model has either window stages (stage1, optionally stage2) or a sequence stage")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities (lines x ``labels``) for non-blank lines ``texts``."""
        return self.predict_proba_batch([texts])[0]

    def predict_proba_batch(self, docs: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """``predict_proba`` of each document (its non-blank lines), computed together:
        one feature pass and one sequence pass for the batch. Each result is
        the one the document gets alone."""
        offsets = np.concatenate([[0], np.cumsum([len(d) for d in docs], dtype=np.int64)])
        if offsets[-1] == 0:
            return [np.zeros((0, len(self.labels))) for _ in docs]
        x = featurize_batch(docs)
        if self.sequence is not None:
            p = self.sequence.predict_proba(x, offsets)
        else:
            p = self.stage1.predict_proba(x)
            if self.stage2 is not None:
                around = np.vstack([probability_context(p[a:b]) for a, b in zip(offsets[:-1], offsets[1:]) if b > a])
                p = blend(p, self.stage2.predict_proba(np.hstack([x, around])))
        return [p[a:b] for a, b in zip(offsets[:-1], offsets[1:])]

    def stages(self) -> dict[str, Stage | SequenceStage]:
        """The model's stages by the name their arrays carry in ``model.npz``."""
        named = {"stage1": self.stage1, "stage2": self.stage2, "sequence": self.sequence}
        return {name: stage for name, stage in named.items() if stage is not None}

    def columns(self, keep: frozenset[Label]) -> np.ndarray:
        """Indices of the ``keep`` labels among the model's labels."""
        return np.array([i for i, label in enumerate(self.labels) if label in keep], dtype=np.int64)

    # -- persistence -----------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write ``model.npz``, ``model.json`` and ``MODEL_CARD.md`` (atomically, each)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for name, stage in self.stages().items():
            arrays.update(stage.arrays(name))
        from .io.files import atomic_open  # noisecut.io imports the cleaner, which imports this module

        with atomic_open(directory / ARRAYS) as f:
            np.savez_compressed(f, **arrays)
        meta = dict(self.meta)
        meta.update(
            format_version=SEQUENCE_FORMAT if self.sequence is not None else WINDOW_FORMAT,
            feature_version=FEATURE_VERSION,
            noisecut_version=meta.get("noisecut_version", __version__),
            labels=[label.value for label in self.labels],
            layers={name: stage.layers for name, stage in self.stages().items()},
            sha256=file_digest(directory / ARRAYS),
        )
        self.meta = meta
        return self.save_meta(directory)

    def save_meta(self, directory: str | Path) -> Path:
        """Rewrite ``model.json`` and ``MODEL_CARD.md`` from ``meta``, leaving ``model.npz`` as it is.

        For figures recorded after training (scores, threshold presets): the
        integrity check hashes ``model.npz`` only, so its digest still holds.
        """
        from .card import model_card  # only when saving
        from .io.files import atomic_open

        directory = Path(directory)
        for name, text in ((META, json.dumps(self.meta, indent=2, sort_keys=True) + "\n"), (CARD, model_card(self.meta))):
            with atomic_open(directory / name) as f:
                f.write(text.encode("utf-8"))
        return directory

    @classmethod
    def load(cls, directory: str | Path | None = None) -> "Model":
        """Load a model directory (default: the shipped model), checking its metadata."""
        directory = Path(directory) if directory is not None else default_model_dir()
        meta = read_meta(directory)
        if meta.get("format_version") not in READABLE_FORMATS:
            raise NoiseCutError(f"{directory}: model format {meta.get('format_version')} is not supported (this noisecut reads formats {' and '.join(map(str, READABLE_FORMATS))})")
        if meta.get("feature_version") != FEATURE_VERSION:
            raise NoiseCutError(
                f"{directory}: model was trained on feature version {meta.get('feature_version')}, "
                f"this noisecut computes version {FEATURE_VERSION}; retrain it with `noisecut train`"
            )
        arrays_path = directory / ARRAYS
        digest = file_digest(arrays_path)
        if digest != meta.get("sha256"):
            raise NoiseCutError(f"{arrays_path}: SHA-256 {digest[:12]}… does not match the model card's {str(meta.get('sha256'))[:12]}…; the model file was changed or damaged")
        try:
            with np.load(arrays_path, allow_pickle=False) as npz:
                arrays = {key: npz[key].astype(np.float64) for key in npz.files}
            layers = meta["layers"]
            model = cls(
                tuple(parse_label(name) for name in meta["labels"]),
                stage1=Stage.from_arrays(arrays, "stage1", layers["stage1"]) if layers.get("stage1") else None,
                stage2=Stage.from_arrays(arrays, "stage2", layers["stage2"]) if layers.get("stage2") else None,
                sequence=SequenceStage.from_arrays(arrays, "sequence") if layers.get("sequence") else None,
                meta=meta,
            )
        except (KeyError, ValueError, OSError) as error:
            raise NoiseCutError(f"{directory}: unreadable model ({error})") from None
        model.check_shapes(directory)
        return model

    def check_shapes(self, source) -> None:
        """Refuse arrays that do not fit the features this noisecut computes."""
        n_features = len(feature_names())
        context = probability_context(np.zeros((1, len(self.labels)))).shape[1]
        for name, stage in self.stages().items():
            width = n_features + context if name == "stage2" else n_features
            widths = {len(stage.mean), len(stage.scale), stage.inputs}
            if widths != {width} or stage.outputs != len(self.labels):
                raise NoiseCutError(f"{source}: {name} expects {sorted(widths)} inputs, this noisecut computes {width}; retrain the model")


def blend(stage1: np.ndarray, stage2: np.ndarray) -> np.ndarray:
    return STAGE_ONE_SHARE * stage1 + (1 - STAGE_ONE_SHARE) * stage2


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise NoiseCutError(f"{path}: cannot read model ({error.strerror})") from None


def read_meta(directory: Path) -> dict:
    path = Path(directory) / META
    if Path(directory).is_file():
        raise NoiseCutError(f"{directory}: a model is a directory holding {META} and {ARRAYS}, not a file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoiseCutError(f"{path}: no such model (expected {META} and {ARRAYS} in {directory})") from None
    except (OSError, ValueError) as error:
        raise NoiseCutError(f"{path}: unreadable model metadata ({error})") from None


def default_model_dir() -> Path:
    """The shipped model: $NOISECUT_MODEL, else ``models/default`` of a source checkout
    (and of an editable install), else the package data ``noisecut/_models/default``
    that a wheel installs wherever noisecut goes (site-packages, ``pip install --target``)."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    checkout = Path(__file__).resolve().parent.parent / "models" / "default"
    if (checkout / META).exists():
        return checkout
    return Path(str(resources.files(__package__).joinpath("_models", "default")))

