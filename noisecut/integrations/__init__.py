"""Running the ``Cleaner`` inside other tools: corpus engines, pandas, scikit-learn.

* ``batch``: ``CleanBatch``, one pandas-batch callable for Ray Data
  (``map_batches``), Dask (``map_partitions``) and Spark (``mapInPandas``).
* ``ray``: ``clean_with_ray``, read, clean and write a corpus with Ray Data.
* ``pandas``: ``clean_series`` and the ``series.noisecut.clean()`` accessor.
* ``sklearn``: ``NoiseCutTransformer``, texts in, cleaned texts out.
* ``datatrove``: ``NoiseCutFormatter``, a datatrove pipeline step.
* ``hf``: ``clean_batch``, a batched map function for Hugging Face ``datasets``.
* ``nemo_curator``: ``NoiseCutStage`` and ``NoiseCutModifier``, for NeMo Curator pipelines.

Nothing here is imported by ``import noisecut``: each module imports its tool
(pandas, Ray, scikit-learn, datatrove, NeMo Curator) when it is itself imported or called. The names
below are resolved on first use, so ``from noisecut.integrations import
CleanBatch`` loads pandas but not Ray or scikit-learn.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "CleanBatch": "batch",
    "clean_with_ray": "ray",
    "read_dataset": "ray",
    "clean_series": "pandas",
    "NoiseCutTransformer": "sklearn",
    "NoiseCutFormatter": "datatrove",
    "clean_batch": "hf",
    "NoiseCutStage": "nemo_curator",
    "NoiseCutModifier": "nemo_curator",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
