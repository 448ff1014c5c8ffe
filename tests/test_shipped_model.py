"""The shipped model's per-line probabilities on a fixed document, with numpy alone.

The quality gate needs ../shared and measures F1, which moves by a fraction
of a point when a feature or a GRU detail goes wrong (zeroing one feature
moved test F1 from 0.921 to 0.916). This test pins the probabilities
themselves on a short page written for it, so any change of the features, the
standardisation or the recurrent loop that moves a probability by more than
``TOLERANCE`` fails, with no data and no PyTorch.

A new shipped model changes them on purpose: print the new table with
``python tests/test_shipped_model.py`` and paste it over ``PINNED``.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from noisecut.model import Model

# Batched or float32 inference may move a probability by up to 1e-5; a real change moves it by far more.
TOLERANCE = 1e-4

DOCUMENT = [
    "Home | News | Local | Sport | Weather | Contact",
    "Search",
    "Library opening hours extended after council vote",
    "By Anna Berg, 12 March 2024, 10:32",
    "The city council voted on Tuesday to approve a new budget for the public library, which will extend opening hours on weekends and fund a programme of reading classes for children.",
    "Council members said the money would come from savings in the transport department, and that the library had been asking for longer hours for more than three years.",
    "What changes",
    "From April the library opens at 9 am on Saturdays and Sundays; the reading classes start in May and are free.",
    "The head librarian, Maria Lopez, said the staff were delighted: \"We have waited a long time for this.\"",
    "Share on Facebook | Tweet | Email",
    "Advertisement",
    "Related stories",
    "- New bus routes for the north of the city",
    "- Swimming pool to close for repairs in June",
    "3 comments",
    "Great news, my kids love the library!",
    "© 2024 Example News. All rights reserved. Privacy policy | Cookie settings",
]

# the shipped model this table belongs to (model.json's sha256 of model.npz)
PINNED_MODEL = "0bffaa960b9ca902f35bb128efc4e88ddaea9acb72743cdfab38a70340e4be87"
PINNED_LABELS = ('body', 'heading', 'title', 'meta', 'nav', 'share', 'ad', 'related', 'comments', 'legal', 'unrelated', 'noise')
PINNED = np.array([
    [0.000003, 0.000015, 0.000029, 0.000179, 0.999169, 0.000031, 0.000006, 0.000010, 0.000001, 0.000193, 0.000000, 0.000364],
    [0.000020, 0.000316, 0.000175, 0.003645, 0.994369, 0.000454, 0.000034, 0.000026, 0.000004, 0.000009, 0.000000, 0.000948],
    [0.000627, 0.000361, 0.992906, 0.005944, 0.000048, 0.000005, 0.000000, 0.000028, 0.000000, 0.000018, 0.000000, 0.000063],
    [0.002488, 0.000334, 0.000289, 0.996102, 0.000007, 0.000582, 0.000003, 0.000036, 0.000003, 0.000000, 0.000000, 0.000155],
    [0.997848, 0.000533, 0.000032, 0.001185, 0.000000, 0.000106, 0.000000, 0.000009, 0.000013, 0.000000, 0.000001, 0.000272],
    [0.998539, 0.000433, 0.000008, 0.000680, 0.000000, 0.000057, 0.000002, 0.000008, 0.000008, 0.000001, 0.000014, 0.000251],
    [0.021215, 0.342623, 0.000176, 0.047490, 0.000368, 0.017568, 0.559885, 0.006930, 0.000215, 0.000001, 0.000004, 0.003527],
    [0.989765, 0.002521, 0.000119, 0.005750, 0.000000, 0.000426, 0.000353, 0.000226, 0.000075, 0.000005, 0.000020, 0.000738],
    [0.945324, 0.002420, 0.000116, 0.020964, 0.000002, 0.020092, 0.002736, 0.000677, 0.000185, 0.000217, 0.005616, 0.001653],
    [0.000021, 0.000012, 0.000001, 0.000174, 0.002209, 0.997292, 0.000008, 0.000146, 0.000003, 0.000004, 0.000000, 0.000131],
    [0.000062, 0.000188, 0.000032, 0.006784, 0.001530, 0.025335, 0.247697, 0.716953, 0.000328, 0.000002, 0.000106, 0.000982],
    [0.000002, 0.000003, 0.000009, 0.000052, 0.000070, 0.000116, 0.000021, 0.999591, 0.000050, 0.000000, 0.000006, 0.000080],
    [0.000013, 0.000001, 0.000041, 0.000035, 0.000007, 0.000002, 0.000004, 0.999341, 0.000226, 0.000001, 0.000156, 0.000173],
    [0.000004, 0.000001, 0.000032, 0.000020, 0.000013, 0.000001, 0.000007, 0.999514, 0.000179, 0.000001, 0.000043, 0.000187],
    [0.000062, 0.000057, 0.000009, 0.000771, 0.002673, 0.000009, 0.000071, 0.056766, 0.931228, 0.000001, 0.000007, 0.008347],
    [0.000035, 0.000006, 0.000123, 0.000144, 0.000152, 0.000078, 0.000083, 0.005225, 0.046164, 0.944630, 0.002532, 0.000828],
    [0.000000, 0.000000, 0.000000, 0.000002, 0.000000, 0.000001, 0.000000, 0.000007, 0.000049, 0.999890, 0.000000, 0.000051],
])


@pytest.fixture(scope="module")
def shipped():
    return Model.load()


def table(model: Model) -> np.ndarray:
    return model.predict_proba(DOCUMENT)


def test_pinned_table_belongs_to_the_shipped_model(shipped):
    assert shipped.meta.get("sha256") == PINNED_MODEL, "a new shipped model: re-pin with `python tests/test_shipped_model.py`"
    assert tuple(label.value for label in shipped.labels) == PINNED_LABELS


def test_per_line_probabilities_are_the_pinned_ones(shipped):
    p = table(shipped)
    assert p.shape == PINNED.shape == (len(DOCUMENT), len(PINNED_LABELS))
    worst = np.unravel_index(np.argmax(np.abs(p - PINNED)), p.shape)
    assert np.allclose(p, PINNED, atol=TOLERANCE, rtol=0), (
        f"line {worst[0]} {PINNED_LABELS[worst[1]]}: {p[worst]:.6f}, pinned {PINNED[worst]:.6f}")


def test_pinned_table_is_a_sensible_reading_of_the_page():
    """The pinned numbers themselves: the article is body or title, the chrome around it is not."""
    labels = [PINNED_LABELS[i] for i in PINNED.argmax(axis=1)]
    assert labels[4:6] == ["body", "body"] and labels[7:9] == ["body", "body"]
    assert labels[2] in ("title", "heading")
    assert all(label not in ("body", "heading", "title") for label in labels[:2] + labels[9:12] + labels[-1:])
    np.testing.assert_allclose(PINNED.sum(axis=1), 1.0, atol=1e-5)


if __name__ == "__main__":
    model = Model.load()
    p = table(model)
    np.set_printoptions(precision=6, suppress=True, linewidth=200)
    print(f'PINNED_MODEL = "{model.meta.get("sha256")}"')
    print(f"PINNED_LABELS = {tuple(label.value for label in model.labels)}")
    print("PINNED = np.array([")
    for row in p:
        print("    [" + ", ".join(f"{v:.6f}" for v in row) + "],")
    print("])")
    sys.exit(0)
