"""The model card, generated from a model's ``model.json``."""
from __future__ import annotations

import json

from .policy import THRESHOLD_DEFAULT


def model_card(meta: dict) -> str:
    training = meta.get("training", {})
    estimator = dict(meta.get("estimator", {}))
    # Per-epoch figures get their own section. A sequence model lists them per member;
    # one trained before members existed has a single history.
    members = estimator.pop("members", [])
    if "history" in estimator:
        members = [{"history": estimator.pop("history"), "chosen_epoch": estimator.pop("chosen_epoch", None)}]
    elif members:
        estimator["members"] = len(members)  # "hidden" is then per member
    lines = [
        f"# noisecut model card: {meta.get('name', 'model')}",
        "",
        "Generated from `model.json` by `noisecut train`; edit the training, not this file.",
        "",
        "| field | value |",
        "|---|---|",
        f"| labels | {', '.join(meta.get('labels', []))} |",
        f"| feature version | {meta.get('feature_version')} |",
        *([f"| inputs | text features and markup features (markup version {meta.get('markup_version')}): HTML input only |"]
          if "markup" in (meta.get("inputs") or ()) else []),
        f"| model format | {meta.get('format_version')} |",
        *([f"| site expert | fine-tuned stage for the pages of one site, recognised by a fingerprint of "
           f"{meta['site_gate'].get('fingerprint_lines')} lines its labeled pages share; rule: {meta['site_gate'].get('rule')} "
           f"(here {meta['site_gate'].get('threshold')} lines) |"]
          if meta.get("site_gate") else []),
        f"| estimator | {json.dumps(estimator)} |",
        f"| noisecut | {meta.get('noisecut_version')} |",
        f"| scikit-learn (training only) | {meta.get('sklearn_version')} |",
        *([f"| PyTorch (training only) | {meta['torch_version']} |"] if meta.get("torch_version") else []),
        f"| numpy | {meta.get('numpy_version')} |",
        f"| SHA-256 of model.npz | `{meta.get('sha256')}` |",
        "",
        "## Training data",
        "",
        f"{training.get('documents', '?')} documents, {training.get('lines', '?')} labeled lines.",
        "",
    ]
    for key, value in training.items():
        if key not in ("documents", "lines"):
            lines.append(f"- {key}: {json.dumps(value, sort_keys=True)}")
    if members:
        lines += ["", "## Training epochs", "", "F1 on sites held out of training, used to choose the epoch kept."]
        for number, member in enumerate(members, 1):
            seed = f"seed {member['seed']}, " if "seed" in member else ""
            lines += ["", f"Member {number} of {len(members)} ({seed}epoch {member.get('chosen_epoch')} kept):", ""]
            lines += [f"- epoch {h['epoch']}: loss {h['loss']}, held-out F1 {h['validation_f1']}"
                      for h in member.get("history", [])]
    lines += ["", "## Held-out scores", ""]
    scores = meta.get("scores") or {}
    if not scores:
        lines.append("None recorded.")
    for name, value in scores.items():
        lines.append(f"- {name}: {json.dumps(value, sort_keys=True)}")
    # tables recorded by the evaluation scripts (training.evaluate, training.calibration), as markdown
    for title, text in (meta.get("reports") or {}).items():
        lines += ["", f"## {title}", "", text.rstrip()]
    presets = meta.get("presets")
    if presets:
        lines += ["", "## Threshold presets", "",
                  f"`--precision` keeps a line at P(kept labels) >= {presets['precision']}, "
                  f"`--recall` at >= {presets['recall']} (the default is {THRESHOLD_DEFAULT}).",
                  f"Chosen on: {presets.get('chosen_on', '?')}."]
        if presets.get("note"):
            lines.append(presets["note"])
        for name, value in (presets.get("scores_there") or {}).items():
            lines.append(f"- {name}: {json.dumps(value, sort_keys=True)}")
    lines += [
        "",
        "## Use",
        "",
        "Cleaning reads `model.npz` and `model.json` only (numpy, no pickle).",
        "A window-stage model also keeps `estimator.joblib`, the scikit-learn",
        "estimators for retraining and inspection; it is a pickle, so load it",
        "only from a source you trust.",
        "",
    ]
    return "\n".join(lines)
