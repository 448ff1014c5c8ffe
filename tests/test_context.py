"""noisecut.context: the second stage's view of its neighbours' probabilities."""
from __future__ import annotations

import numpy as np

from noisecut.context import NEIGHBOURS, ONE_SIDED_WINDOWS, PROBABILITY_WINDOWS, probability_context

# two classes (body, comments): an article, then a comment header, then comments
P = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.6, 0.4], [0.7, 0.3]])


def _columns(width: int = 2) -> int:
    blocks = len(NEIGHBOURS) + len(PROBABILITY_WINDOWS) + 2 * len(ONE_SIDED_WINDOWS) + 4
    return blocks * width


def test_one_block_of_columns_per_summary():
    out = probability_context(P)
    assert out.shape == (len(P), _columns())
    assert np.isfinite(out).all()


def test_prefix_max_remembers_a_comment_header_above():
    out = probability_context(P)
    prefix_max = out[:, -4:-2]  # before the document mean
    np.testing.assert_allclose(prefix_max[:, 1], [0.0, 0.1, 0.2, 0.9, 0.9])  # lines 0..i-1 only


def test_means_before_and_after_and_document_mean():
    out = probability_context(P)
    before, after, mean = out[:, -8:-6], out[:, -6:-4], out[:, -2:]
    np.testing.assert_allclose(before[2], P[:3].mean(axis=0))
    np.testing.assert_allclose(after[2], P[2:].mean(axis=0))
    np.testing.assert_allclose(mean, np.broadcast_to(P.mean(axis=0), P.shape))


def test_single_line():
    out = probability_context(P[:1])
    assert out.shape == (1, _columns())
    np.testing.assert_allclose(out[0, -2:], P[0])
