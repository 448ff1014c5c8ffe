"""Training the sequence stage (``stages.SequenceStage``) with PyTorch.

PyTorch is the ``sequence`` extra; cleaning never imports this module, it
runs the exported arrays with numpy. A document is one sequence of its
non-blank lines, as the cleaner sees it. The epoch kept is the one that
cleans a held-out share of the training sites best (bag-of-tokens F1 of the
kept lines against the lines labeled to keep), so training needs no dev
split. ``fine_tune`` adapts an exported model to a few pages of one site
(``noisecut train --from``).
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from .batching import MODEL_LINES, batches
from .errors import NoiseCutError
from .features import featurize
from .labeled import LabeledDocument, page_of
from .labels import KEEP_DEFAULT, Label
from .scoring import text_scores
from .policy import THRESHOLD_DEFAULT
from .stages import SequenceStage, standardise
from .train_data import training_group

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised where torch is absent
    torch = None

HIDDEN = 32              # GRU state per direction
PROJECTION = 64          # line features are projected to this width first
EPOCHS = 8
MIN_STEPS = 400          # a small labeled set gets more epochs: at least this many optimiser steps
DROPOUT = 0.2
LEARNING_RATE = 2e-3
BATCH_DOCUMENTS = 16
MAX_LINES = 1500         # a longer document trains on a random window of this many lines
VALIDATION_SHARE = 0.1   # of the sites, held out to choose the epoch
SEED = 0
DISTILL_WEIGHT = 1.0     # with a teacher: share of each line's loss on the teacher's probabilities (the rest: its label)


class Precomputed(NamedTuple):
    """A teacher's probabilities worked out beforehand: one array (lines x classes, the classes being
    trained) per training document, for a teacher that reads what the student cannot (HTML models, the
    markup: ``training/distill_markup.py``). ``record``: what the model card says it was."""
    probabilities: list[np.ndarray]
    record: dict


def require_torch() -> None:
    if torch is None:
        raise NoiseCutError("training the sequence stage needs PyTorch: pip install 'noisecut[sequence]'")


@dataclass
class Sequences:
    """One entry per document: features (lines x features), label indices (-1: unlabeled), weight, group;
    ``soft``: a teacher's probabilities (lines x classes) when distilling (``fit_sequence``)."""

    x: list[np.ndarray]
    y: list[np.ndarray]
    weight: list[float]
    group: list[str]
    texts: list[list[str]]
    soft: list[np.ndarray] | None = None

    @classmethod
    def from_documents(cls, docs: Sequence[LabeledDocument], weights: Sequence[float] | None, classes: Sequence[str]) -> "Sequences":
        index = {c: i for i, c in enumerate(classes)}
        out = cls([], [], [], [], [])
        for number, labeled in enumerate(docs):
            rows = labeled.doc.content_indices()  # every line the cleaner will see, labeled or not
            if not rows:
                continue
            texts = [labeled.doc.lines[i] for i in rows]
            x = featurize(texts).astype(np.float32)
            if labeled.doc.markup is not None:  # a markup model's page: its markup rows beside (training/train_html.py)
                x = np.hstack([x, np.asarray(labeled.doc.markup, dtype=np.float32)[rows]])
            out.x.append(x)
            out.y.append(np.array([index.get(getattr(labeled.labels[i], "value", None), -1) for i in rows]))
            out.weight.append(weights[number] if weights is not None else 1.0)
            out.group.append(training_group(labeled, number))
            out.texts.append(texts)
        if not out.x:
            raise NoiseCutError("no labeled lines to train on")
        if len({x.shape[1] for x in out.x}) > 1:
            raise ValueError("some documents carry markup rows and some do not; train on one kind")
        return out


if torch is not None:
    class BiGRU(nn.Module):
        """The PyTorch twin of ``SequenceStage`` (standardisation happens before)."""

        def __init__(self, features: int, classes: int, hidden: int, projection: int, dropout: float):
            super().__init__()
            self.proj = nn.Linear(features, projection)
            # two one-way GRUs (the parameters of nn.GRU(bidirectional=True), drawn in the same order),
            # so that run_together can run them, and other networks' GRUs, as one
            self.gru_forward = nn.GRU(projection, hidden, batch_first=True)
            self.gru_backward = nn.GRU(projection, hidden, batch_first=True)
            self.out = nn.Linear(projection + 2 * hidden, classes)
            self.drop = nn.Dropout(dropout)

        def forward(self, x, lengths=None):
            """``lengths``: each padded document's real length (default: all of ``x``)."""
            return run_together([self], [x], lengths)[0]


def run_together(nets: list, inputs: list, lengths=None) -> list:
    """Each ``BiGRU``'s logits for its input (padded documents of ``lengths`` lines, default all).

    Every GRU of every network runs as one GRU with block-diagonal weights: on CPU the time goes
    to the loop over lines, so one wide step beats several narrow ones. The backward GRUs read
    each document reversed within its own length, so their state starts at its last line, as in
    inference, and padding only ever follows a document's lines: no packed sequences, which ran
    3x slower. States at padding are meaningless. (README, Speed: the figures.)"""
    projected, dropped = [], []
    for net, x in zip(nets, inputs):
        projected.append(net.drop(torch.relu(net.proj(net.drop(x)))))
        # the output layer's dropout as a mask drawn now: the random draws then come in the order
        # of one network run after another, so training is the same as each network run alone
        dropped.append(net.drop(x.new_ones(*x.shape[:2], net.out.in_features)))
    reverse = _reversed_within(lengths, *inputs[0].shape[:2])
    grus = [gru for net in nets for gru in (net.gru_forward, net.gru_backward)]
    sequences = [s for p in projected for s in (p, _lines_at(p, reverse))]
    states = _block_gru(grus, torch.cat(sequences, -1)).split([gru.hidden_size for gru in grus], -1)
    return [net.out(torch.cat([p, states[2 * k], _lines_at(states[2 * k + 1], reverse)], -1) * dropped[k])
            for k, (net, p) in enumerate(zip(nets, projected))]


def _block_gru(grus: list, x):
    """The states of one-way ``grus`` run side by side on their inputs side by side in ``x``, as one
    GRU whose weights hold theirs on the diagonal (gates r, z, n each a block-diagonal matrix)."""
    def blocks(name: str):
        gates = [[getattr(gru, name)[k * gru.hidden_size:(k + 1) * gru.hidden_size] for gru in grus] for k in range(3)]
        return torch.cat([torch.block_diag(*gate) if name.startswith("weight") else torch.cat(gate) for gate in gates])

    weights = [blocks(name) for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    initial = x.new_zeros(1, x.shape[0], sum(gru.hidden_size for gru in grus))
    # torch.gru is what nn.GRU calls: (input, h0, weights, biases, layers, dropout, train, bidirectional, batch_first)
    return torch.gru(x, initial, weights, True, 1, 0.0, False, False, True)[0]


def _reversed_within(lengths, documents: int, length: int):
    """(documents, length) line indices that reverse each document within its own length and
    leave its padding in place; the same indices undo it."""
    position = torch.arange(length).expand(documents, length)
    if lengths is None:
        return position.flip(1)
    reverse = lengths[:, None] - 1 - position
    return torch.where(reverse >= 0, reverse, position)


def _lines_at(x, index):
    """``x[d, index[d, t]]`` for each document ``d`` and line ``t``."""
    return torch.gather(x, 1, index[..., None].expand(-1, -1, x.shape[-1]))


def fit_sequence(
    docs: Sequence[LabeledDocument],
    weights: Sequence[float] | None,
    classes: Sequence[str],
    hidden: int = HIDDEN,
    projection: int = PROJECTION,
    epochs: int = EPOCHS,
    members: int = 1,
    seed: int = SEED,
    progress: bool = True,
    teacher=None,
    distill: float = DISTILL_WEIGHT,
) -> tuple[SequenceStage, dict]:
    """Train ``members`` BiGRUs (seeds ``seed``, ``seed + 1`` ...) on labeled documents; returns
    their average as one exported stage (``SequenceStage.average``) and a training summary.

    ``teacher`` (a sequence ``noisecut.model.Model``, e.g. an averaged ensemble, or ``Precomputed``
    probabilities): distil it. Each line's loss is then ``distill`` times the cross-entropy against the
    teacher's probabilities (every line, labeled or not) plus ``1 - distill`` times the one against its
    label: one network learns what the ensemble's members agree on, at about half its GRU time (README,
    Speed), or what a model that reads the markup tells. A class the teacher lacks gets no probability
    from it: with ``distill`` 1 it is never learnt."""
    require_torch()
    if members < 1:
        raise NoiseCutError(f"members must be at least 1, not {members}")
    if not 0 <= distill <= 1:
        raise NoiseCutError(f"distill is a share from 0 to 1, not {distill}")
    precomputed = isinstance(teacher, Precomputed)
    if teacher is not None and not precomputed:
        check_teacher(teacher, classes)  # before featurising the corpus
    rng = random.Random(seed)
    data = Sequences.from_documents(docs, weights, classes)
    if precomputed:
        data.soft = [np.asarray(p, dtype=np.float32) for p in teacher.probabilities]
        if [p.shape for p in data.soft] != [(len(x), len(classes)) for x in data.x]:
            raise ValueError("precomputed teacher probabilities must be one (lines x classes) array per document")
    elif teacher is not None:
        data.soft = teacher_probabilities(teacher, data.x, classes)
    train, validation = _hold_out_sites(data, rng)
    rows = np.vstack([data.x[i] for i in train])
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    standardised = [torch.from_numpy(standardise(x, mean, scale).astype(np.float32)) for x in data.x]
    keep_columns = [i for i, c in enumerate(classes) if Label(c) in KEEP_DEFAULT]
    batches_per_epoch = -(-sum(_repeats(data.weight[i]) for i in train) // BATCH_DOCUMENTS)
    epochs = max(epochs, -(-MIN_STEPS // batches_per_epoch))
    stages, runs = [], []
    for member in range(members):
        torch.manual_seed(seed + member)
        net = BiGRU(rows.shape[1], len(classes), hidden, projection, DROPOUT)
        name = f"member {member + 1}/{members}, " if members > 1 else ""
        run = _train(net, data, train, validation, standardised, keep_columns, epochs,
                     random.Random(seed + member), name if progress else None, distill)
        stages.append(export(net, mean, scale))
        runs.append({"seed": seed + member, **run})
    summary = {"hidden": hidden, "projection": projection, "epochs": epochs,
               "validation_documents": len(validation), "members": runs}
    if teacher is not None:  # the teacher's F1 on the same held-out sites (which it may have trained on)
        teacher_f1 = np.mean([_kept_f1(data.soft[i], i, data, keep_columns) for i in validation])
        named = teacher.record if precomputed else {"name": teacher.meta.get("name"), "sha256": teacher.meta.get("sha256")}
        summary["distilled_from"] = {**named, "weight": distill, "teacher_validation_f1": round(float(teacher_f1), 4)}
    return SequenceStage.average(stages), summary


def check_teacher(teacher, classes: Sequence[str]) -> None:
    """Refuse a teacher that is no sequence model or predicts labels the training documents lack."""
    if teacher.sequence is None:
        raise NoiseCutError("the teacher must be a sequence model (window stages cannot be distilled from)")
    missing = sorted({label.value for label in teacher.labels} - set(classes))
    if missing:
        raise NoiseCutError(f"the teacher predicts label(s) {', '.join(missing)} that the training documents lack")


def teacher_probabilities(teacher, x: list[np.ndarray], classes: Sequence[str], group_lines: int = MODEL_LINES) -> list[np.ndarray]:
    """The teacher model's probabilities for each document's feature rows, as columns of ``classes``;
    documents go through its sequence stage together, about ``group_lines`` lines at a time."""
    if teacher.sequence.inputs != x[0].shape[1]:
        raise NoiseCutError(f"the teacher reads {teacher.sequence.inputs} inputs per line, the model trained {x[0].shape[1]}")
    names = [label.value for label in teacher.labels]
    columns = np.array([names.index(c) if c in names else len(names) for c in classes])  # len(names): a zero column
    out: list[np.ndarray] = []
    for group in batches(x, size=lambda rows: (len(rows), 0), lines=group_lines):
        offsets = np.concatenate([[0], np.cumsum([len(rows) for rows in group])])
        p = teacher.sequence.predict_proba(np.vstack(group), offsets)
        p = np.hstack([p, np.zeros((len(p), 1))])[:, columns].astype(np.float32)
        out.extend(p[a:b] for a, b in zip(offsets[:-1], offsets[1:]))
    return out


def _train(net: "BiGRU", data: Sequences, train: list[int], validation: list[int], standardised,
           keep_columns: list[int], epochs: int, rng: random.Random, progress: str | None,
           distill_weight: float = DISTILL_WEIGHT) -> dict:
    """Train one network in place; it ends with the weights of its best epoch on the held-out sites."""
    classes = net.out.out_features
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, weight_decay=1e-5)
    loss_fn = nn.CrossEntropyLoss(reduction="none", ignore_index=-1)
    best = (-1.0, None, -1)
    history = []
    for epoch in range(epochs):
        net.train()
        total = 0.0
        for batch in _batches(train, data, rng):
            x, y, w, lengths, soft = _pad(batch, data, standardised, rng)
            logits = net(x, lengths).reshape(-1, classes)
            losses = loss_fn(logits, y.reshape(-1))
            if soft is None:
                loss = (losses * w.reshape(-1)).sum() / w.reshape(-1)[y.reshape(-1) >= 0].sum().clamp(min=1e-9)
            else:  # every line has the teacher's target; a labeled one has its label's too
                distilled = -(soft.reshape(-1, classes) * torch.log_softmax(logits, -1)).sum(-1)
                losses = distill_weight * distilled + (1 - distill_weight) * losses
                share = distill_weight + (1 - distill_weight) * (y.reshape(-1) >= 0)  # of a line's weight with targets
                loss = (losses * w.reshape(-1)).sum() / (w.reshape(-1) * share).sum().clamp(min=1e-9)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimiser.step()
            total += loss.item()
        score = _validate(net, validation, data, standardised, keep_columns)
        history.append({"epoch": epoch + 1, "loss": round(total, 3), "validation_f1": round(score, 4)})
        if progress is not None:
            print(f"sequence {progress}epoch {epoch + 1}/{epochs}: loss {total:.2f}, held-out F1 {score:.4f}",
                  file=sys.stderr)
        if score > best[0]:
            best = (score, {k: v.detach().clone() for k, v in net.state_dict().items()}, epoch + 1)
    net.load_state_dict(best[1])
    return {"chosen_epoch": best[2], "history": history}


def _hold_out_sites(data: Sequences, rng: random.Random) -> tuple[list[int], list[int]]:
    """Document indices for training and for choosing the epoch, split by site. Up-weighted
    (hand-labeled) documents are few and carry rare labels: they always train."""
    groups = sorted({g for g, w in zip(data.group, data.weight) if w == 1.0})
    rng.shuffle(groups)
    held = set(groups[:max(int(len(groups) * VALIDATION_SHARE), int(len(groups) >= 2))])
    train = [i for i, g in enumerate(data.group) if g not in held or data.weight[i] != 1.0]
    validation = [i for i, g in enumerate(data.group) if g in held and data.weight[i] == 1.0]
    return train, validation or train


def _batches(indices: list[int], data: Sequences, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of documents of similar length (less padding). A document of
    weight w is drawn round(w) times per epoch: Adam's steps do not grow with the
    loss's scale, so weighting the loss alone would barely move the model towards
    the few up-weighted documents."""
    order = [i for i in indices for _ in range(_repeats(data.weight[i]))]
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), BATCH_DOCUMENTS * 20):
        chunk = sorted(order[start:start + BATCH_DOCUMENTS * 20], key=lambda i: len(data.y[i]))
        batches += [chunk[i:i + BATCH_DOCUMENTS] for i in range(0, len(chunk), BATCH_DOCUMENTS)]
    rng.shuffle(batches)
    return batches


def _repeats(weight: float) -> int:
    return max(1, round(weight))


def _pad(batch, data: Sequences, standardised, rng: random.Random):
    length = min(max(len(data.y[i]) for i in batch), MAX_LINES)
    x = torch.zeros(len(batch), length, standardised[0].shape[1])
    y = torch.full((len(batch), length), -1, dtype=torch.long)
    w = torch.zeros(len(batch), length)
    soft = None if data.soft is None else torch.zeros(len(batch), length, data.soft[0].shape[1])
    lengths = torch.tensor([min(len(data.y[i]), length) for i in batch])
    for row, i in enumerate(batch):
        start = rng.randrange(len(data.y[i]) - length + 1) if len(data.y[i]) > length else 0
        n = min(len(data.y[i]), length)
        x[row, :n] = standardised[i][start:start + n]
        y[row, :n] = torch.from_numpy(data.y[i][start:start + n])
        w[row, :n] = data.weight[i] / _repeats(data.weight[i])  # the rest of the weight is in the repeats
        if soft is not None:
            soft[row, :n] = torch.from_numpy(data.soft[i][start:start + n])
    return x, y, w, lengths, soft


def _validate(net, indices, data: Sequences, standardised, keep_columns) -> float:
    """Mean bag-of-tokens F1 of the kept lines against the lines labeled to keep."""
    return _held_out(net, indices, data, standardised, keep_columns)[0]


def _kept_f1(p: np.ndarray, i: int, data: Sequences, keep_columns) -> float:
    """Bag-of-tokens F1 of document ``i``'s lines kept by probabilities ``p`` against its lines labeled to keep."""
    kept = p[:, keep_columns].sum(axis=1) >= THRESHOLD_DEFAULT
    gold = np.isin(data.y[i], keep_columns)
    texts = data.texts[i]
    return text_scores("\n".join(t for t, k in zip(texts, kept) if k), "\n".join(t for t, g in zip(texts, gold) if g)).f1


def _held_out(net, indices, data: Sequences, standardised, keep_columns) -> tuple[float, float]:
    """``_validate``'s F1 and the mean cross-entropy per labeled line, from one forward pass."""
    net.eval()
    scores, total, lines = [], 0.0, 0
    with torch.no_grad():
        for i in indices:
            logits = net(standardised[i][None])[0]
            scores.append(_kept_f1(torch.softmax(logits, -1).numpy(), i, data, keep_columns))
            y = torch.from_numpy(data.y[i])
            total += nn.functional.cross_entropy(logits, y, ignore_index=-1, reduction="sum").item()
            lines += int((y >= 0).sum())
    return float(np.mean(scores)), total / max(lines, 1)


def export(net: "BiGRU", mean: np.ndarray, scale: np.ndarray) -> SequenceStage:
    """The trained network as the arrays ``SequenceStage`` evaluates."""
    s = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    both = lambda name: np.stack([s[f"gru_forward.{name}_l0"], s[f"gru_backward.{name}_l0"]])  # noqa: E731
    return SequenceStage(
        mean.astype(np.float64), scale.astype(np.float64),
        s["proj.weight"].T.copy(), s["proj.bias"],
        both("weight_ih").transpose(0, 2, 1).copy(), both("bias_ih"),
        both("weight_hh").transpose(0, 2, 1).copy(), both("bias_hh"),
        s["out.weight"].T.copy(), s["out.bias"],
    )


# --- fine-tuning an exported sequence model on a few labeled pages ------------------------

FINE_TUNE_LEARNING_RATE = 1e-2   # for the output layer alone; the anchor keeps it near the start
FINE_TUNE_ALL_LEARNING_RATE = 2e-3  # for every parameter (tune "all"): the GRU moves more per step
FINE_TUNE_MAX_STEPS = 60         # optimiser steps at most
FINE_TUNE_EVAL_EVERY = 5         # steps between looks at the held-out pages
FINE_TUNE_PATIENCE = 3           # looks without improvement before stopping
FINE_TUNE_HOLD_OUT = 0.2         # of the user's pages, held out to choose the step count (at least 1 of 2+)
# parameters tuned, as name prefixes: "output" (the default with --everywhere) re-weights the same line and context
# states, the GRU stays as it was; "all" moves the projection and the GRU too (adapts more, and
# cleans other sites worse: the README's figures)
TUNE_PARTS = {"output": ("out.",), "all": ("",)}
TUNE_DEFAULT = "output"
ANCHOR_DEFAULT = 1.0             # L2 penalty on the distance from the starting weights (sum of squares)
# With the site gate (the default) the tuned stage cleans the site's own pages only, so it may adapt
# more: every parameter, no anchor (0.964 on the held-out pages against 0.907 for "output" with
# anchor 1, and the same 0.879 on other sites: README, "What five pages buy")
ROUTED_TUNE_DEFAULT = "all"
ROUTED_ANCHOR_DEFAULT = 0.0
REPLAY_WEIGHT = 1.0              # weight of a replayed line relative to one of the user's lines
REPLAY_PER_PAGE = 1              # replayed documents drawn per page of the user's in each step


def import_stage(net: "BiGRU", stage: SequenceStage) -> None:
    """Load an exported member into a ``BiGRU`` (the inverse of ``export``)."""
    arrays = {
        "proj.weight": stage.proj_w.T, "proj.bias": stage.proj_b,
        "out.weight": stage.out_w.T, "out.bias": stage.out_b,
    }
    for gru, d in (("gru_forward", 0), ("gru_backward", 1)):
        arrays[f"{gru}.weight_ih_l0"] = stage.ih_w[d].T
        arrays[f"{gru}.bias_ih_l0"] = stage.ih_b[d]
        arrays[f"{gru}.weight_hh_l0"] = stage.hh_w[d].T
        arrays[f"{gru}.bias_hh_l0"] = stage.hh_b[d]
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in arrays.items()})


if torch is not None:
    class Ensemble(nn.Module):
        """Members side by side; the output is the mean of their logits, as ``SequenceStage.average``'s."""

        def __init__(self, nets: list["BiGRU"], inputs: list[slice] | None = None):
            """``inputs``: each member's columns of ``x`` (members standardised apart), default all."""
            super().__init__()
            self.members = nn.ModuleList(nets)
            self.inputs = inputs or [slice(None)] * len(nets)

        def forward(self, x, lengths=None):
            logits = run_together(list(self.members), [x[..., columns] for columns in self.inputs], lengths)
            return torch.stack(logits).mean(0)


def base_members(model) -> int:
    """How many averaged members a saved sequence model is made of (its card's ``members``)."""
    members = (model.meta.get("estimator") or {}).get("members")
    return len(members) if isinstance(members, list) and members else 1


def check_fine_tunable(model, docs: Sequence[LabeledDocument] = (), replay: Sequence[LabeledDocument] = ()) -> None:
    """Refuse a ``model`` that ``fine_tune`` cannot tune, or ``docs`` or ``replay`` with labels it lacks (needs no
    PyTorch). A replayed line whose label the model lacks would be left unlabeled without a word."""
    if model.sequence is None:
        raise NoiseCutError("--from needs a sequence model (the shipped one is); this one has window stages")
    classes = {label.value for label in model.labels}
    for given, refusal in ((docs, "the base model has no label {}; train a new model instead of --from"),
                           (replay, "the replayed files have labels the base model lacks ({}); "
                                    "replay files labeled with its labels, or drop --replay")):
        unknown = sorted({label.value for d in given for label in d.labels if label is not None} - classes)
        if unknown:
            raise NoiseCutError(refusal.format(", ".join(unknown)))


def fine_tune(
    model,
    docs: Sequence[LabeledDocument],
    replay: Sequence[LabeledDocument] = (),
    anchor: float = ANCHOR_DEFAULT,
    learning_rate: float | None = None,
    max_steps: int | None = None,
    seed: int = SEED,
    progress: bool = True,
    tune: str = TUNE_DEFAULT,
) -> tuple[SequenceStage, dict]:
    """Adapt a sequence ``model`` (a ``noisecut.model.Model``) to a few labeled documents.

    Starts from its weights and standardisation, with its members split apart again and
    trained together on the mean of their logits; only the parameters ``TUNE_PARTS[tune]``
    names change (the output layers, or all). ``replay``
    (e.g. ``labeled/``) is mixed into every step and ``anchor`` pulls the weights towards
    the starting ones, so the model stays general. The number of steps is chosen on a
    held-out part of ``docs`` (step 0, the base model, included); the model is then
    tuned on all of ``docs`` for that many steps. A model with a site expert is tuned
    from its expert's stage. Returns the averaged stage and a summary."""
    require_torch()
    if tune not in TUNE_PARTS:
        raise ValueError(f"tune is one of {', '.join(TUNE_PARTS)}, not {tune!r}")
    if not anchor >= 0 or anchor == float("inf"):  # nan or inf made every step's loss nan: 0 steps, said F1 0
        raise ValueError(f"anchor is a weight of 0 or more, not {anchor!r}")
    if learning_rate is None:
        learning_rate = FINE_TUNE_ALL_LEARNING_RATE if tune == "all" else FINE_TUNE_LEARNING_RATE
    max_steps = FINE_TUNE_MAX_STEPS if max_steps is None else max_steps
    check_fine_tunable(model, docs, replay)
    classes = [label.value for label in model.labels]
    stage = model.site.sequence if model.site is not None else model.sequence
    members = stage.split(base_members(model))
    data = Sequences.from_documents(list(docs) + list(replay), [1.0] * len(docs) + [REPLAY_WEIGHT] * len(replay), classes)
    own = list(range(len(data.x) - sum(1 for d in replay if d.doc.content_indices())))  # empty ones were dropped
    replayed = [i for i in range(len(own), len(data.x))]
    if not own:
        raise NoiseCutError("no labeled lines to train on")
    # each distinct standardisation of the members once, side by side; a member reads its own columns
    distinct: list[SequenceStage] = []
    inputs = []
    for member in members:
        i = next((i for i, d in enumerate(distinct) if member.standardised_as(d)), None)
        if i is None:
            i = len(distinct)
            distinct.append(member)
        inputs.append(slice(i * stage.inputs, (i + 1) * stage.inputs))
    standardised = [torch.from_numpy(np.hstack([standardise(x, d.mean, d.scale) for d in distinct]).astype(np.float32))
                    for x in data.x]
    keep_columns = [i for i, c in enumerate(classes) if Label(c) in KEEP_DEFAULT]
    # held out by page: a page given in several renderings is held out whole
    pages = [page_of(d, n) for n, d in enumerate(docs) if d.doc.content_indices()]
    distinct_pages = list(dict.fromkeys(pages))
    random.Random(seed).shuffle(distinct_pages)
    held_pages = set(distinct_pages[:max(int(len(distinct_pages) * FINE_TUNE_HOLD_OUT), int(len(distinct_pages) >= 2))])
    held = [i for i in own if pages[i] in held_pages]
    tuned = [i for i in own if pages[i] not in held_pages]

    def run(train: list[int], steps: int, validation: list[int]) -> tuple[Ensemble, list[dict], int]:
        torch.manual_seed(seed)
        nets = []
        for member in members:
            net = BiGRU(stage.inputs, len(classes), member.hidden, member.proj_w.shape[1], DROPOUT)
            import_stage(net, member)
            nets.append(net)
        ensemble = Ensemble(nets, inputs)
        tuned_parameters = []
        for name, p in ensemble.named_parameters():  # "members.K.<name>"
            p.requires_grad_(name.split(".", 2)[2].startswith(TUNE_PARTS[tune]))
            if p.requires_grad:
                tuned_parameters.append(p)
        start = [p.detach().clone() for p in tuned_parameters]
        optimiser = torch.optim.Adam(tuned_parameters, lr=learning_rate)
        loss_fn = nn.CrossEntropyLoss(reduction="none", ignore_index=-1)
        step_rng = random.Random(seed)
        history, best, stale = [], None, 0

        def look(step: int):
            nonlocal best, stale
            if not validation:
                return False
            f1, loss = _held_out(ensemble, validation, data, standardised, keep_columns)
            history.append({"step": step, "held_out_f1": round(f1, 4), "held_out_loss": round(loss, 4)})
            if progress:
                print(f"fine-tuning step {step}: held-out F1 {f1:.4f}, loss {loss:.4f}", file=sys.stderr)
            score = (round(f1, 4), -loss)  # F1 on a page or two moves in steps: the loss breaks ties
            if best is None or score > best[0]:
                best, stale = (score, step), 0
            else:
                stale += 1
            return stale >= FINE_TUNE_PATIENCE

        look(0)
        order: list[int] = []
        for step in range(1, steps + 1):
            ensemble.train()
            if not order:
                order = train[:]
                step_rng.shuffle(order)
            batch, order = order[:BATCH_DOCUMENTS], order[BATCH_DOCUMENTS:]
            if replayed:
                batch = batch + step_rng.sample(replayed, min(len(replayed), REPLAY_PER_PAGE * len(batch)))
            x, y, w, lengths, _ = _pad(batch, data, standardised, step_rng)
            logits = ensemble(x, lengths)
            losses = loss_fn(logits.reshape(-1, len(classes)), y.reshape(-1)) * w.reshape(-1)
            loss = losses.sum() / w.reshape(-1)[y.reshape(-1) >= 0].sum().clamp(min=1e-9)
            if anchor:
                loss = loss + anchor * sum(((p - p0) ** 2).sum() for p, p0 in zip(tuned_parameters, start))
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(tuned_parameters, 1.0)
            optimiser.step()
            if step % FINE_TUNE_EVAL_EVERY == 0 and look(step):
                break
        return ensemble, history, best[1] if best else steps

    if held and tuned:
        _, history, steps = run(tuned, max_steps, held)
    else:  # one page: nothing to hold out, so a fixed, short tuning
        history, steps = [], FINE_TUNE_EVAL_EVERY * 2
    ensemble, _, _ = run(own, steps, []) if steps else (None, None, None)
    result = stage if ensemble is None else SequenceStage.average(
        [export(net, member.mean, member.scale) for net, member in zip(ensemble.members, members)])
    summary = {"documents": len(own), "replay_documents": len(replayed), "anchor": anchor,
               "tune": tune, "learning_rate": learning_rate, "held_out_documents": len(held),
               "held_out_pages": sorted(held_pages), "steps": steps,
               "history": history}
    return result, summary
