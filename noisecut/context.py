"""The second stage's view of a line: its neighbours' first-stage probabilities.

A line between two body paragraphs is probably body; a short line in a run
of related-story teasers is probably a teaser. The second stage sees each
line's own features plus these columns, built with the same shifts and
window means as the context features.
"""
from __future__ import annotations

import numpy as np

from .features import shift, window_mean

NEIGHBOURS = (1, 2, -1, -2)  # previous two and next two lines
PROBABILITY_WINDOWS = (3, 10)
ONE_SIDED_WINDOWS = (5, 20)  # what came just before and what follows: a comment section starts somewhere


def probability_context(probabilities: np.ndarray) -> np.ndarray:
    """Columns: the neighbours' probabilities, window means (centred and one-sided), the means of all
    lines before and after (a comment section or a trailing list runs to the
    end), the maximum over the lines before (a comment header was seen), and
    the document mean."""
    p = np.asarray(probabilities, dtype=np.float64)
    n = len(p)
    blocks = [shift(p, by) for by in NEIGHBOURS]
    blocks += [window_mean(p, width) for width in PROBABILITY_WINDOWS]
    for width in ONE_SIDED_WINDOWS:
        blocks += [window_mean(p, width, 0), window_mean(p, 0, width)]
    total = np.cumsum(p, axis=0)
    counts = np.arange(1, n + 1)[:, None]
    blocks.append(total / counts)                                          # lines 0..i
    blocks.append((total[-1] - total + p) / (n - counts + 1))              # lines i..n-1
    blocks.append(np.maximum.accumulate(shift(p, 1), axis=0))              # max over lines 0..i-1
    blocks.append(np.broadcast_to(p.mean(axis=0), p.shape))
    return np.hstack(blocks)
