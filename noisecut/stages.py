"""The stages a model is made of, evaluated with numpy alone.

* ``Stage``: standardise and clip, dense layers with ReLU, softmax. A
  logistic regression is its one-layer case. Stage one reads each line's
  features; stage two reads them plus the neighbours' stage-one
  probabilities (``context.py``).
* ``SequenceStage``: a bidirectional GRU that reads the document's lines in
  order. The window stages see a line through fixed windows of its
  neighbours; the GRU carries a state down the document and another one up
  it, so a line can depend on anything above or below it (everything after
  "42 comments" is comments, the teasers after the last paragraph are not
  the story). Training it needs PyTorch (``train_sequence.py``); inference is
  the numpy loop below, one step per line with both directions together.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Standardised inputs are clipped to ±CLIP, in training too: a value far outside
# the training range (a class the corpus never shows, a line of 40 @handles)
# must not swamp everything else the model sees.
CLIP = 5.0


def standardise(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.clip((x - mean) / scale, -CLIP, CLIP)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    return z / z.sum(axis=1, keepdims=True)


@dataclass
class Stage:
    """Standardise and clip, then dense layers with ReLU between and softmax at the end."""

    mean: np.ndarray
    scale: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @property
    def layers(self) -> int:
        return len(self.weights)

    @property
    def inputs(self) -> int:
        return self.weights[0].shape[0]

    @property
    def outputs(self) -> int:
        return self.weights[-1].shape[1]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = standardise(x, self.mean, self.scale)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = z @ w + b
            if i < len(self.weights) - 1:
                np.maximum(z, 0, out=z)
        return softmax(z)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {f"{prefix}.mean": self.mean, f"{prefix}.scale": self.scale}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            out[f"{prefix}.w{i}"], out[f"{prefix}.b{i}"] = w, b
        return out

    @classmethod
    def from_arrays(cls, arrays, prefix: str, layers: int) -> "Stage":
        return cls(
            arrays[f"{prefix}.mean"], arrays[f"{prefix}.scale"],
            [arrays[f"{prefix}.w{i}"] for i in range(layers)],
            [arrays[f"{prefix}.b{i}"] for i in range(layers)],
        )


# Array names inside model.npz, after the stage's prefix.
ARRAY_NAMES = ("mean", "scale", "proj_w", "proj_b", "ih_w", "ih_b", "hh_w", "hh_b", "out_w", "out_b")


@dataclass
class SequenceStage:
    """A bidirectional GRU over line features. Arrays are in PyTorch's gate order (reset, update, new).

    ``ih_w`` (2, P, 3H), ``hh_w`` (2, H, 3H), ``ih_b`` and ``hh_b`` (2, 3H):
    index 0 is the forward direction, 1 the backward one.
    """

    mean: np.ndarray
    scale: np.ndarray
    proj_w: np.ndarray
    proj_b: np.ndarray
    ih_w: np.ndarray
    ih_b: np.ndarray
    hh_w: np.ndarray
    hh_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray

    def __post_init__(self):
        p, h = self.proj_w.shape[1], self.hidden
        expected = {"ih_w": (2, p, 3 * h), "ih_b": (2, 3 * h), "hh_w": (2, h, 3 * h), "hh_b": (2, 3 * h),
                    "proj_b": (p,), "out_w": (p + 2 * h, self.out_w.shape[-1]), "out_b": (self.out_w.shape[-1],)}
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"sequence stage array {name} has shape {getattr(self, name).shape}, expected {shape}")
        self._recurrent_matrix, self._new_bias = self._recurrent()
        self._input_weights = self.ih_w.astype(np.float32)
        self._input_biases = [self._input_bias(d).astype(np.float32) for d in range(2)]

    layers = 1  # one set of arrays, whatever their width

    @property
    def hidden(self) -> int:
        return self.hh_b.shape[-1] // 3

    @property
    def inputs(self) -> int:
        return self.proj_w.shape[0]

    @property
    def outputs(self) -> int:
        return self.out_w.shape[1]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = standardise(x, self.mean, self.scale)
        projected = np.maximum(z @ self.proj_w + self.proj_b, 0)
        states = self.run(projected)
        return softmax(np.hstack([projected, states]) @ self.out_w + self.out_b)

    def run(self, projected: np.ndarray) -> np.ndarray:
        """GRU states (lines x 2H): forward states, then backward states."""
        n, h_size = len(projected), self.hidden
        # Input terms of both directions for every line, the backward one read
        # from the end; columns grouped by gate as [forward | backward] so that
        # one step updates both directions with one matrix product. The loop runs
        # in float32: each step reads half the bytes (the recurrent matrix of an
        # averaged stage is wide), and probabilities move by less than 1e-6.
        projected = projected.astype(np.float32)
        gates = np.empty((n, 6 * h_size), dtype=np.float32)
        for d, lines in ((0, projected), (1, projected[::-1])):
            terms = lines @ self._input_weights[d] + self._input_biases[d]
            for g in range(3):
                gates[:, (2 * g + d) * h_size:(2 * g + d + 1) * h_size] = terms[:, g * h_size:(g + 1) * h_size]
        recurrent, new_bias = self._recurrent_matrix, self._new_bias  # locals: read once per line
        two_h = 2 * h_size
        out = np.empty((n, two_h), dtype=np.float32)
        h = np.zeros(two_h, dtype=np.float32)
        for t in range(n):
            a = gates[t]
            r_h = h @ recurrent
            reset_update = 1.0 / (1.0 + np.exp(-(a[:2 * two_h] + r_h[:2 * two_h])))
            candidate = np.tanh(a[2 * two_h:] + reset_update[:two_h] * (r_h[2 * two_h:] + new_bias))
            h = candidate + reset_update[two_h:] * (h - candidate)
            out[t] = h
        return np.hstack([out[:, :h_size], out[::-1, h_size:]])

    def _input_bias(self, direction: int) -> np.ndarray:
        """Input bias plus the recurrent bias of the reset and update gates (they add up);
        the new gate's recurrent bias sits inside the reset product and stays apart."""
        h_size = self.hidden
        bias = self.ih_b[direction].copy()
        bias[:2 * h_size] += self.hh_b[direction][:2 * h_size]
        return bias

    def _recurrent(self) -> tuple[np.ndarray, np.ndarray]:
        """Both directions' recurrent weights as one block matrix (2H x 6H) in the gate layout of ``run``."""
        h_size = self.hidden
        matrix = np.zeros((2 * h_size, 6 * h_size))
        new_bias = np.empty(2 * h_size)
        for d in range(2):
            rows = slice(d * h_size, (d + 1) * h_size)
            for g in range(3):
                cols = slice((2 * g + d) * h_size, (2 * g + d + 1) * h_size)
                matrix[rows, cols] = self.hh_w[d][:, g * h_size:(g + 1) * h_size]
            new_bias[rows] = self.hh_b[d][2 * h_size:]
        return matrix.astype(np.float32), new_bias.astype(np.float32)

    @classmethod
    def average(cls, members: list["SequenceStage"]) -> "SequenceStage":
        """One stage whose output logits are the mean of the members' logits.

        Members trained from different seeds err on different lines, so their
        mean is steadier than any one of them. Side by side (projections
        concatenated, GRU weights block-diagonal) they make a plain, wider
        ``SequenceStage``: cleaning and the model format need nothing new, and
        one step still advances every member at once. Members must share the
        standardisation (``mean``, ``scale``)."""
        if not members:
            raise ValueError("no sequence stages to average")
        first = members[0]
        for other in members[1:]:
            if not (np.array_equal(other.mean, first.mean) and np.array_equal(other.scale, first.scale)):
                raise ValueError("sequence stages to average must share their standardisation")
            if other.outputs != first.outputs:
                raise ValueError("sequence stages to average must have the same labels")
        widths = [(m.proj_w.shape[1], m.hidden) for m in members]
        p_total, h_total = sum(p for p, _ in widths), sum(h for _, h in widths)
        ih_w, ih_b = np.zeros((2, p_total, 3 * h_total)), np.zeros((2, 3 * h_total))
        hh_w, hh_b = np.zeros((2, h_total, 3 * h_total)), np.zeros((2, 3 * h_total))
        out_w = np.zeros((p_total + 2 * h_total, first.outputs))
        p0 = h0 = 0
        for m, (p, h) in zip(members, widths):
            for g in range(3):  # gate g of this member: its slice of the wide gate g
                wide, own = slice(g * h_total + h0, g * h_total + h0 + h), slice(g * h, (g + 1) * h)
                ih_w[:, p0:p0 + p, wide], ih_b[:, wide] = m.ih_w[:, :, own], m.ih_b[:, own]
                hh_w[:, h0:h0 + h, wide], hh_b[:, wide] = m.hh_w[:, :, own], m.hh_b[:, own]
            # the output reads [projections | forward states | backward states]
            out_w[p0:p0 + p] = m.out_w[:p]
            out_w[p_total + h0:p_total + h0 + h] = m.out_w[p:p + h]
            out_w[p_total + h_total + h0:p_total + h_total + h0 + h] = m.out_w[p + h:]
            p0, h0 = p0 + p, h0 + h
        return cls(first.mean, first.scale,
                   np.hstack([m.proj_w for m in members]), np.concatenate([m.proj_b for m in members]),
                   ih_w, ih_b, hh_w, hh_b, out_w / len(members), np.mean([m.out_b for m in members], axis=0))

    def split(self, members: int) -> list["SequenceStage"]:
        """The inverse of ``average`` for ``members`` equally wide members: averaging them gives
        back this stage. Each member's output bias is the shared mean (the only part ``average``
        cannot tell apart) and its output weights are scaled up by ``members``."""
        p_total, h_total = self.proj_w.shape[1], self.hidden
        if members < 1 or p_total % members or h_total % members:
            raise ValueError(f"a sequence stage {p_total} wide with {h_total} hidden units is not {members} equal members")
        p, h = p_total // members, h_total // members
        out = []
        for m in range(members):
            projection, hidden = slice(m * p, (m + 1) * p), slice(m * h, (m + 1) * h)
            gates = np.concatenate([np.arange(g * h_total + m * h, g * h_total + (m + 1) * h) for g in range(3)])
            out_w = np.vstack([self.out_w[projection], self.out_w[p_total + m * h:p_total + (m + 1) * h],
                               self.out_w[p_total + h_total + m * h:p_total + h_total + (m + 1) * h]])
            out.append(SequenceStage(
                self.mean, self.scale, self.proj_w[:, projection].copy(), self.proj_b[projection].copy(),
                self.ih_w[:, projection][:, :, gates].copy(), self.ih_b[:, gates].copy(),
                self.hh_w[:, hidden][:, :, gates].copy(), self.hh_b[:, gates].copy(),
                out_w * members, self.out_b.copy()))
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.{name}": getattr(self, name) for name in ARRAY_NAMES}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "SequenceStage":
        return cls(*(arrays[f"{prefix}.{name}"] for name in ARRAY_NAMES))
