"""noisecut: remove boilerplate and noise from plain text, line by line.

>>> import noisecut
>>> noisecut.clean(text)                 # doctest: +SKIP
>>> cleaner = noisecut.Cleaner()         # load once, reuse
>>> cleaner.classify(text)               # doctest: +SKIP

Importing noisecut loads numpy only; scikit-learn and pandas are imported by
training and by the pandas/scikit-learn integrations, not by cleaning.
"""
__version__ = "1.0.0"

from .cleaner import Cleaner, LineResult, clean  # noqa: E402
from .document import Document  # noqa: E402
from .errors import NoiseCutError  # noqa: E402
from .labels import KEEP_DEFAULT, Label  # noqa: E402

__all__ = ["Cleaner", "LineResult", "clean", "Document", "NoiseCutError", "Label", "KEEP_DEFAULT", "__version__"]
