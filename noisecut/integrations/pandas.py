"""pandas: ``clean_series`` and the ``series.noisecut`` accessor.

Importing this module registers the accessor::

    >>> import noisecut.integrations.pandas   # doctest: +SKIP
    >>> df["clean"] = df["text"].noisecut.clean(model="models/mine")   # doctest: +SKIP

Values follow ``CleanBatch``: ``str`` in, ``str`` out; ``bytes`` in, ``bytes``
out; missing values stay missing. The index, name and (string) dtype of the
series are kept. A Series holds texts alone: with a site memory, each text's
URL comes in ``urls``, another Series on the same index (``df["url"]``).
"""
from __future__ import annotations

import pandas as pd

from ..cleaner import Cleaner
from ..errors import NoiseCutError
from .batch import CleanBatch

_COLUMN = "text"  # the column an unnamed series becomes
_OPTIONS = ("model", "keep", "threshold", "dedupe", "site_memory")  # as for Cleaner


def clean_series(series: pd.Series, cleaner: Cleaner | None = None, urls: pd.Series | None = None,
                 **cleaner_kwargs) -> pd.Series:
    """The cleaned texts of ``series``, with the same index and name.

    Parameters
    ----------
    series : pandas.Series
        Documents as ``str`` or ``bytes``; missing values are left missing.
    cleaner : Cleaner, optional
        A loaded cleaner to reuse across calls (then ``cleaner_kwargs`` must
        be empty); otherwise one is loaded for this call.
    urls : pandas.Series, optional
        Each text's URL, on the same index (``df["url"]``): its host is the
        text's site for the site memory, which needs them.
    **cleaner_kwargs
        ``model``, ``keep``, ``threshold``, ``dedupe``, ``site_memory``: as for
        ``Cleaner`` (``keep`` may also be label names; ``site_memory`` is
        checked, loaded once per process and needs ``urls``).
    """
    if not isinstance(series, pd.Series):
        raise TypeError(f"clean_series expects a pandas Series, got {type(series).__name__}")
    if cleaner is not None and cleaner_kwargs:
        raise TypeError("pass either a cleaner or cleaner options, not both")
    if cleaner is not None and not isinstance(cleaner, Cleaner):
        raise TypeError(f"cleaner takes a noisecut Cleaner, not {type(cleaner).__name__} (a model goes in model=)")
    for option in cleaner_kwargs:  # CleanBatch's column options would clean into a column this never returns
        if option not in _OPTIONS:
            raise TypeError(f"clean_series() got an unexpected keyword argument {option!r} (it takes {', '.join(_OPTIONS)})")
    column = _COLUMN if series.name is None else series.name  # errors name the series
    clean = CleanBatch(text_column=column, **cleaner_kwargs)
    if cleaner is not None:
        clean._cleaner = cleaner
    if urls is None and (clean.site_memory is not None or (cleaner is not None and cleaner.site_memory is not None)):
        raise TypeError("clean_series() with a site memory needs urls=, each text's URL (its host is the text's site)")
    out, _ = clean.clean_column(series, None if urls is None else _aligned(urls, series))
    out.name = series.name
    return out


def _aligned(urls: pd.Series, series: pd.Series) -> list:
    """``urls`` as a list in the order of ``series``, whose index it must have (else a URL would name another text's site)."""
    if not isinstance(urls, pd.Series):
        raise TypeError(f"urls takes a pandas Series on the texts' index, not {type(urls).__name__}")
    if not urls.index.equals(series.index):
        raise NoiseCutError("urls must have the texts' index (each text's URL in its row); "
                            "for lists, pd.Series(urls, index=series.index)")
    return urls.tolist()


@pd.api.extensions.register_series_accessor("noisecut")
class NoiseCutAccessor:
    """``series.noisecut.clean(**cleaner_kwargs)``: ``clean_series`` as a method."""

    def __init__(self, series: pd.Series):
        self._series = series

    def clean(self, cleaner: Cleaner | None = None, urls: pd.Series | None = None, **cleaner_kwargs) -> pd.Series:
        return clean_series(self._series, cleaner=cleaner, urls=urls, **cleaner_kwargs)
