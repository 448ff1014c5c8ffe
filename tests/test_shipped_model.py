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
PINNED_MODEL = "52fbdac14d5f50add785f2abf16441b80d08c9463f345ea0d684fd2495f19ac8"
PINNED_LABELS = ('body', 'heading', 'title', 'meta', 'nav', 'share', 'ad', 'related', 'comments', 'legal', 'unrelated', 'noise')
PINNED = np.array([
    [0.000002, 0.000008, 0.000029, 0.000178, 0.999353, 0.000016, 0.000007, 0.000003, 0.000001, 0.000126, 0.000000, 0.000277],
    [0.000016, 0.000277, 0.000232, 0.005105, 0.992754, 0.000842, 0.000030, 0.000014, 0.000005, 0.000024, 0.000000, 0.000700],
    [0.000400, 0.000256, 0.991937, 0.007332, 0.000029, 0.000002, 0.000000, 0.000013, 0.000000, 0.000013, 0.000000, 0.000018],
    [0.001951, 0.000263, 0.000056, 0.997477, 0.000006, 0.000174, 0.000000, 0.000011, 0.000001, 0.000000, 0.000000, 0.000062],
    [0.998576, 0.000336, 0.000037, 0.000857, 0.000000, 0.000057, 0.000000, 0.000005, 0.000006, 0.000000, 0.000001, 0.000123],
    [0.999017, 0.000366, 0.000006, 0.000453, 0.000000, 0.000037, 0.000000, 0.000003, 0.000003, 0.000001, 0.000019, 0.000093],
    [0.007425, 0.217669, 0.000069, 0.020362, 0.000451, 0.006013, 0.744604, 0.001976, 0.000088, 0.000001, 0.000001, 0.001342],
    [0.991623, 0.002287, 0.000130, 0.004508, 0.000000, 0.000607, 0.000301, 0.000144, 0.000041, 0.000007, 0.000027, 0.000325],
    [0.958709, 0.001527, 0.000068, 0.011681, 0.000001, 0.021522, 0.002822, 0.000405, 0.000082, 0.000163, 0.002472, 0.000546],
    [0.000038, 0.000012, 0.000001, 0.000345, 0.001896, 0.997286, 0.000019, 0.000147, 0.000001, 0.000177, 0.000000, 0.000077],
    [0.000092, 0.000230, 0.000035, 0.009802, 0.001949, 0.016051, 0.617404, 0.353407, 0.000133, 0.000005, 0.000088, 0.000802],
    [0.000005, 0.000005, 0.000013, 0.000107, 0.000220, 0.000376, 0.000067, 0.999095, 0.000018, 0.000001, 0.000007, 0.000086],
    [0.000035, 0.000001, 0.000047, 0.000073, 0.000014, 0.000003, 0.000006, 0.999437, 0.000097, 0.000002, 0.000067, 0.000217],
    [0.000006, 0.000000, 0.000030, 0.000022, 0.000008, 0.000000, 0.000014, 0.999697, 0.000069, 0.000001, 0.000009, 0.000143],
    [0.000174, 0.000135, 0.000027, 0.001867, 0.005518, 0.000068, 0.000086, 0.166530, 0.813550, 0.000034, 0.000012, 0.011999],
    [0.000104, 0.000008, 0.000169, 0.000369, 0.000296, 0.000140, 0.000038, 0.005474, 0.022040, 0.969307, 0.001111, 0.000944],
    [0.000000, 0.000000, 0.000000, 0.000003, 0.000000, 0.000000, 0.000000, 0.000008, 0.000018, 0.999952, 0.000000, 0.000018],
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
