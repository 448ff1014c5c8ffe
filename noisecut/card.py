"""The model card, generated from a model's ``model.json``."""
from __future__ import annotations

import json


def model_card(meta: dict) -> str:
    training = meta.get("training", {})
    lines = [
        f"# noisecut model card: {meta.get('name', 'model')}",
        "",
        "Generated from `model.json` by `noisecut train`; edit the training, not this file.",
        "",
        "| field | value |",
        "|---|---|",
        f"| labels | {', '.join(meta.get('labels', []))} |",
        f"| feature version | {meta.get('feature_version')} |",
        f"| model format | {meta.get('format_version')} |",
        f"| estimator | {json.dumps(meta.get('estimator', {}))} |",
        f"| noisecut | {meta.get('noisecut_version')} |",
        f"| scikit-learn (training only) | {meta.get('sklearn_version')} |",
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
    lines += ["", "## Held-out scores", ""]
    scores = meta.get("scores") or {}
    if not scores:
        lines.append("None recorded.")
    for name, value in scores.items():
        lines.append(f"- {name}: {json.dumps(value, sort_keys=True)}")
    lines += [
        "",
        "## Use",
        "",
        "Cleaning reads `model.npz` and `model.json` only (numpy, no pickle).",
        "`estimator.joblib` holds the scikit-learn estimators for retraining and",
        "inspection; it is a pickle, so load it only from a source you trust.",
        "",
    ]
    return "\n".join(lines)
