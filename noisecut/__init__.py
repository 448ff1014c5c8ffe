"""noisecut: remove boilerplate and noise from plain text, line by line.

>>> import noisecut
>>> noisecut.clean(text)                 # doctest: +SKIP
>>> cleaner = noisecut.Cleaner()         # load once, reuse
>>> cleaner.classify(text)               # doctest: +SKIP

Importing noisecut loads numpy only; scikit-learn and pandas are imported by
training, evaluation and the pandas/scikit-learn integrations, not by cleaning.
"""
__version__ = "1.0.0"

import os as _os
import sys as _sys

if "numpy" not in _sys.modules:
    # A document is a small matrix: multi-threaded BLAS costs far more in
    # thread hand-offs than it saves (15 ms vs 0.08 ms for one product here).
    # Only a default: the caller's own setting wins.
    for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        _os.environ.setdefault(_name, "1")

from .cleaner import Cleaner, LineResult, clean  # noqa: E402
from .document import Document  # noqa: E402
from .errors import NoiseCutError  # noqa: E402
from .labels import KEEP_DEFAULT, Label  # noqa: E402

__all__ = ["Cleaner", "LineResult", "clean", "Document", "NoiseCutError", "Label", "KEEP_DEFAULT", "__version__"]
