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
  the numpy loop below over a batch of documents: one step advances every
  document's next line, both directions and every averaged member together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

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
    ``mean`` and ``scale`` are (F,), one standardisation for every projection
    column, or (G, F): the P projection columns in G equal groups, group g
    standardised by row g (members trained on different corpora, put side by
    side by ``average``).
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
        groups = len(self.mean) if self.mean.ndim == 2 else 1
        if self.mean.shape != self.scale.shape or self.mean.ndim not in (1, 2) or p % groups:
            raise ValueError(f"sequence stage standardisation of shape {self.mean.shape} and {self.scale.shape} "
                             f"does not fit {p} projection columns")
        expected = {"ih_w": (2, p, 3 * h), "ih_b": (2, 3 * h), "hh_w": (2, h, 3 * h), "hh_b": (2, 3 * h),
                    "proj_b": (p,), "out_w": (p + 2 * h, self.out_w.shape[-1]), "out_b": (self.out_w.shape[-1],)}
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"sequence stage array {name} has shape {getattr(self, name).shape}, expected {shape}")
        self._derived = (None, None)  # (the arrays they came from, MemberBlocks)

    @property
    def _blocks(self) -> "MemberBlocks":
        """The inference arrays, derived again if a field was assigned a new array since."""
        sources, blocks = self._derived
        if sources is None or any(getattr(self, name) is not array for name, array in zip(ARRAY_NAMES, sources)):
            sources, blocks = tuple(getattr(self, name) for name in ARRAY_NAMES), MemberBlocks.of(self)
            self._derived = (sources, blocks)
        return blocks

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

    def predict_proba(self, x: np.ndarray, offsets: Sequence[int] | None = None) -> np.ndarray:
        """Probabilities for the rows of ``x``: the lines of one document, or of several,
        document d being rows ``offsets[d]:offsets[d + 1]``."""
        blocks = self._blocks
        offsets = np.asarray([0, len(x)] if offsets is None else offsets, dtype=np.int64)
        x = np.asarray(x, dtype=np.float32)
        parts = []
        for mean, scale, proj_w in blocks.standardisations:
            z = x - mean
            z /= scale
            np.clip(z, -CLIP, CLIP, out=z)
            parts.append(z @ proj_w)
        projected = parts[0] if len(parts) == 1 else np.hstack(parts)
        projected += blocks.proj_b
        np.maximum(projected, 0, out=projected)
        logits = projected @ blocks.projection_out_w  # the output reads [projections | states]: two products
        logits += self.run(projected, offsets, blocks)
        logits += blocks.out_b
        return softmax(logits.astype(np.float64))

    def run(self, projected: np.ndarray, offsets: np.ndarray, blocks: "MemberBlocks") -> np.ndarray:
        """The GRU states' share of each line's logits (lines x outputs), each document on its own.

        The documents are packed: sorted longest first, step t advances the
        t-th line of every document that has one (those are the first few in
        that order), forward and backward together, every member at once.
        The states go through the output layer in that packed order, so only
        the logits, not the states, are put back in line order.
        Float32 throughout: probabilities move by less than 1e-5 from a float64 loop (8e-6 at most measured).
        """
        n = len(projected)
        logits = np.zeros((n, blocks.out_b.shape[0]), dtype=np.float32)
        if n == 0:
            return logits
        m, h = blocks.members, blocks.hidden
        lengths = np.diff(offsets)
        order = np.argsort(-lengths, kind="stable")
        steps = int(lengths.max())
        running = len(lengths) - np.searchsorted(np.sort(lengths), np.arange(steps), side="right")  # documents at step t
        step_start = np.concatenate([[0], np.cumsum(running)])
        rank = np.empty(len(lengths), dtype=np.int64)
        rank[order] = np.arange(len(lengths))
        doc = np.repeat(np.arange(len(lengths)), lengths)
        forward = np.arange(n) - offsets[doc]
        slots = (step_start[forward] + rank[doc], step_start[lengths[doc] - 1 - forward] + rank[doc])  # each line's place, per direction
        gates = np.empty((2 * m, n, 3 * h), dtype=np.float32)  # (direction x member, packed lines, gates)
        p = projected.shape[1] // m
        for d in range(2):
            packed = np.empty_like(projected, dtype=np.float32)
            packed[slots[d]] = projected  # the lines in the order the steps read them
            for k in range(m):  # one plain matrix product per member: BLAS at full speed, no zero blocks
                np.matmul(packed[:, k * p:(k + 1) * p], blocks.input_w[d, k], out=gates[d * m + k])
                gates[d * m + k] += blocks.input_b[d, k]
        recurrent, new_bias = blocks.recurrent_w, blocks.new_b[:, None, :]
        out = np.empty((2 * m, n, h), dtype=np.float32)
        state = np.zeros((2 * m, running[0], h), dtype=np.float32)
        for t in range(steps):
            low, high = step_start[t], step_start[t + 1]
            a, state = gates[:, low:high], state[:, :high - low]
            r_h = np.matmul(state, recurrent)  # in place from here: each array allocated costs as much as the arithmetic
            reset_update = r_h[..., :2 * h]  # halved (MemberBlocks): 2 sigmoid(x) = 1 + tanh(x / 2)
            reset_update += a[..., :2 * h]
            np.tanh(reset_update, out=reset_update)
            reset_update += 1.0  # twice the reset and update gates
            candidate = r_h[..., 2 * h:]  # the new gate's recurrent term, halved too
            candidate += new_bias
            candidate *= reset_update[..., :h]
            candidate += a[..., 2 * h:]
            np.tanh(candidate, out=candidate)
            new = out[:, low:high]
            np.subtract(state, candidate, out=new)
            new *= reset_update[..., h:]
            new *= 0.5
            new += candidate
            state = new
        for d in range(2):
            per_member = np.matmul(out[d * m:(d + 1) * m], blocks.state_out_w[d])  # (members, packed lines, outputs)
            logits += per_member.sum(axis=0)[slots[d]]
        return logits

    @classmethod
    def average(cls, members: list["SequenceStage"], weights: Sequence[float] | None = None) -> "SequenceStage":
        """One stage whose output logits are the mean of the members' logits (weighted by ``weights``).

        Members trained from different seeds err on different lines, so their
        mean is steadier than any one of them. Side by side (projections
        concatenated, GRU weights block-diagonal) they make a plain, wider
        ``SequenceStage``: cleaning needs nothing new, and one step still
        advances every member at once. Members that do not share their
        standardisation (trained on other corpora) keep theirs, one row per
        group of projection columns."""
        if not members:
            raise ValueError("no sequence stages to average")
        weights = np.full(len(members), 1 / len(members)) if weights is None else np.asarray(weights, dtype=np.float64)
        if len(weights) != len(members) or (weights <= 0).any():
            raise ValueError("average takes one positive weight per member")
        weights = weights / weights.sum()
        first = members[0]
        if any(other.outputs != first.outputs for other in members[1:]):
            raise ValueError("sequence stages to average must have the same labels")
        if all(m.standardised_as(first) for m in members[1:]):
            mean, scale = first.mean, first.scale
        else:
            mean, scale = _side_by_side([run for m in members for run in m.standardisation_groups()])
        widths = [(m.proj_w.shape[1], m.hidden) for m in members]
        p_total, h_total = sum(p for p, _ in widths), sum(h for _, h in widths)
        ih_w, ih_b = np.zeros((2, p_total, 3 * h_total)), np.zeros((2, 3 * h_total))
        hh_w, hh_b = np.zeros((2, h_total, 3 * h_total)), np.zeros((2, 3 * h_total))
        out_w = np.zeros((p_total + 2 * h_total, first.outputs))
        p0 = h0 = 0
        for m, w, (p, h) in zip(members, weights, widths):
            for g in range(3):  # gate g of this member: its slice of the wide gate g
                wide, own = slice(g * h_total + h0, g * h_total + h0 + h), slice(g * h, (g + 1) * h)
                ih_w[:, p0:p0 + p, wide], ih_b[:, wide] = m.ih_w[:, :, own], m.ih_b[:, own]
                hh_w[:, h0:h0 + h, wide], hh_b[:, wide] = m.hh_w[:, :, own], m.hh_b[:, own]
            # the output reads [projections | forward states | backward states]
            out_w[p0:p0 + p] = w * m.out_w[:p]
            out_w[p_total + h0:p_total + h0 + h] = w * m.out_w[p:p + h]
            out_w[p_total + h_total + h0:p_total + h_total + h0 + h] = w * m.out_w[p + h:]
            p0, h0 = p0 + p, h0 + h
        return cls(mean, scale,
                   np.hstack([m.proj_w for m in members]), np.concatenate([m.proj_b for m in members]),
                   ih_w, ih_b, hh_w, hh_b, out_w, weights @ np.array([m.out_b for m in members]))

    def standardised_as(self, other: "SequenceStage") -> bool:
        return np.array_equal(self.mean, other.mean) and np.array_equal(self.scale, other.scale)

    def standardisation_groups(self) -> list[tuple[np.ndarray, np.ndarray, int]]:
        """The standardisation as runs of projection columns: (mean, scale, columns) for each
        run of consecutive columns standardised alike."""
        mean, scale = np.atleast_2d(self.mean), np.atleast_2d(self.scale)
        width = self.proj_w.shape[1] // len(mean)
        runs = []
        for g in range(len(mean)):
            if runs and np.array_equal(runs[-1][0], mean[g]) and np.array_equal(runs[-1][1], scale[g]):
                runs[-1] = (mean[g], scale[g], runs[-1][2] + width)
            else:
                runs.append((mean[g], scale[g], width))
        return runs

    def split(self, members: int) -> list["SequenceStage"]:
        """The inverse of ``average`` for ``members`` equally wide members: averaging them gives
        back this stage. Each member's output bias is the shared mean (the only part ``average``
        cannot tell apart) and its output weights are scaled up by ``members``."""
        p_total, h_total = self.proj_w.shape[1], self.hidden
        if members < 1 or p_total % members or h_total % members:
            raise ValueError(f"a sequence stage {p_total} wide with {h_total} hidden units is not {members} equal members")
        p, h = p_total // members, h_total // members
        runs = self.standardisation_groups()
        run_of_column = np.repeat(np.arange(len(runs)), [columns for _, _, columns in runs])
        out = []
        for m in range(members):
            projection, hidden = slice(m * p, (m + 1) * p), slice(m * h, (m + 1) * h)
            if run_of_column[m * p] != run_of_column[(m + 1) * p - 1]:
                raise ValueError(f"member {m + 1} of {members} would straddle two standardisations")
            mean, scale, _ = runs[run_of_column[m * p]]
            gates = np.concatenate([np.arange(g * h_total + m * h, g * h_total + (m + 1) * h) for g in range(3)])
            out_w = np.vstack([self.out_w[projection], self.out_w[p_total + m * h:p_total + (m + 1) * h],
                               self.out_w[p_total + h_total + m * h:p_total + h_total + (m + 1) * h]])
            out.append(SequenceStage(
                mean.copy(), scale.copy(), self.proj_w[:, projection].copy(), self.proj_b[projection].copy(),
                self.ih_w[:, projection][:, :, gates].copy(), self.ih_b[:, gates].copy(),
                self.hh_w[:, hidden][:, :, gates].copy(), self.hh_b[:, gates].copy(),
                out_w * members, self.out_b.copy()))
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.{name}": getattr(self, name) for name in ARRAY_NAMES}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "SequenceStage":
        return cls(*(arrays[f"{prefix}.{name}"] for name in ARRAY_NAMES))


@dataclass
class MemberBlocks:
    """A sequence stage's arrays as inference reads them: float32, members apart.

    ``SequenceStage.average`` stores its members side by side, the GRU weights
    block-diagonal: in the product with the dense matrix, two thirds of the
    arithmetic (five sixths in the recurrent one, with both directions) would
    be with zeros. These are the blocks, derived when a stage is built; the
    model file keeps the wide arrays. A single network is one member.

    The reset and update gates' weights and biases, and the new gate's
    recurrent ones, are stored halved (exact in floating point): the loop
    then takes a sigmoid as one ``tanh`` (2 sigmoid(x) = 1 + tanh(x / 2)) and
    carries the factor 2 into the products that use the gates.
    """

    members: int
    hidden: int              # per member
    standardisations: list   # (mean, scale, projection (features, columns)) per run of columns standardised alike
    proj_b: np.ndarray       # (P,): all members' projections side by side
    input_w: np.ndarray      # (2 directions, members, P / members, 3 x hidden)
    input_b: np.ndarray      # (2, members, 3 x hidden): input bias plus the reset and update gates' recurrent bias
    recurrent_w: np.ndarray  # (2 x members, hidden, 3 x hidden), direction-major
    new_b: np.ndarray        # (2 x members, hidden): the new gate's recurrent bias, which sits inside the reset product
    projection_out_w: np.ndarray  # (P, outputs): the output layer's rows for the projections
    state_out_w: np.ndarray  # (2, members, hidden, outputs): its rows for each direction's and member's states
    out_b: np.ndarray

    @classmethod
    def of(cls, stage: "SequenceStage") -> "MemberBlocks":
        wide_h = stage.hidden
        m = _members(stage)
        h = wide_h // m
        columns = [np.concatenate([g * wide_h + k * h + np.arange(h) for g in range(3)]) for k in range(m)]
        rows = np.split(np.arange(stage.proj_w.shape[1]), m)
        input_w = np.stack([[stage.ih_w[d][np.ix_(rows[k], columns[k])] for k in range(m)] for d in range(2)])
        input_b = []
        for d in range(2):
            bias = stage.ih_b[d].copy()
            bias[:2 * wide_h] += stage.hh_b[d][:2 * wide_h]  # outside the reset product these two biases add up
            input_b.append([bias[columns[k]] for k in range(m)])
        recurrent_w = np.stack([stage.hh_w[d][k * h:(k + 1) * h][:, columns[k]] for d in range(2) for k in range(m)])
        new_b = np.stack([stage.hh_b[d][2 * wide_h + k * h:2 * wide_h + (k + 1) * h] for d in range(2) for k in range(m)])
        input_w, input_b = np.array(input_w), np.array(input_b)
        input_w[..., :2 * h] *= 0.5  # see the docstring: halved for the tanh form of the sigmoid
        input_b[..., :2 * h] *= 0.5
        recurrent_w *= 0.5
        new_b = new_b * 0.5
        f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
        standardisations, start = [], 0
        for mean, scale, columns in stage.standardisation_groups():
            standardisations.append((f32(mean), f32(scale), f32(stage.proj_w[:, start:start + columns])))
            start += columns
        p = stage.proj_w.shape[1]
        state_out_w = stage.out_w[p:].reshape(2, m, h, stage.outputs)  # rows: [forward | backward], member-major
        return cls(m, h, standardisations, f32(stage.proj_b), f32(input_w), f32(input_b), f32(recurrent_w),
                   f32(new_b), f32(stage.out_w[:p]), f32(state_out_w), f32(stage.out_b))


def _members(stage: "SequenceStage") -> int:
    """The most members the stage's GRU weights split into: every weight outside a
    member's own block is exactly zero (as ``average`` writes them)."""
    wide_p, wide_h = stage.proj_w.shape[1], stage.hidden
    ih, hh = stage.ih_w != 0, stage.hh_w != 0
    for m in range(math.gcd(wide_p, wide_h), 1, -1):
        if wide_p % m or wide_h % m:
            continue
        if hh[0, 0].reshape(3, m, -1)[:, 1:].any():  # the first unit already reads other members: not m blocks
            continue
        off_block = ~np.eye(m, dtype=bool)  # (member of the row, member of the column)
        # rows are member-major; columns gate-major, then member, then unit
        ih_blocks = ih.reshape(2, m, wide_p // m, 3, m, wide_h // m).any(axis=(0, 2, 3, 5))
        hh_blocks = hh.reshape(2, m, wide_h // m, 3, m, wide_h // m).any(axis=(0, 2, 3, 5))
        if not (ih_blocks[off_block].any() or hh_blocks[off_block].any()):
            return m
    return 1


def _side_by_side(runs: list[tuple[np.ndarray, np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The (G, F) standardisation of runs of projection columns (``standardisation_groups``) side by side,
    each keeping its own: G equal groups of columns, as wide as every run allows."""
    width = math.gcd(*(columns for _, _, columns in runs))
    mean = np.vstack([np.tile(m, (columns // width, 1)) for m, _, columns in runs])
    scale = np.vstack([np.tile(s, (columns // width, 1)) for _, s, columns in runs])
    return mean, scale
