"""Average sequence models trained apart into one model: the weighted mean of their logits.

    python -m training.average_models models/default /tmp/model5 --weights 0.5,0.5 --output /tmp/mixed

Models trained on different corpora (the older seven folders, all eleven) err
on different pages; their mean keeps what each knows. Each keeps its own
standardisation (``SequenceStage.average``), so the result is exactly the
weighted mean of the models' logits, in one sequence stage that cleans as any
other (model format 3). A model's own members count inside its weight: model A
of three networks and model B of one at 0.5 each give each of A's networks
1/6. The card records each model's digest, weight and training summary; record
presets and scores on the result as on any model (``training.presets``,
``training.evaluate --record``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from noisecut.errors import NoiseCutError
from noisecut.model import Model, read_meta
from noisecut.stages import SequenceStage
from noisecut.train import save_model, versions

from .splits import averaged_split_record
from .train_default import check_output


def average_models(directories: list[Path], weights: list[float] | None = None, name: str = "default") -> Model:
    """One ``Model`` whose logits are the ``weights``-weighted mean of the models in ``directories``."""
    models = [Model.load(d) for d in directories]
    for directory, model in zip(directories, models):
        if model.sequence is None or model.site is not None:
            raise NoiseCutError(f"{directory}: only sequence models without a site expert can be averaged")
        if model.labels != models[0].labels or model.inputs != models[0].inputs:
            raise NoiseCutError(f"{directory}: its labels or inputs differ from {directories[0]}'s")
    weights = weights or [1 / len(models)] * len(models)
    if len(weights) != len(models) or min(weights) <= 0:
        raise NoiseCutError(f"give one positive weight per model ({len(models)}), not {weights}")
    total = sum(weights)
    sources = [{"model": str(d), "sha256": m.meta.get("sha256"), "weight": round(w / total, 4),
                "training": m.meta.get("training", {})} for d, m, w in zip(directories, models, weights)]
    members = [{**member, "model": str(d)} for d, m in zip(directories, models)
               for member in (m.meta.get("estimator") or {}).get("members", [{}])]
    first = models[0].meta
    meta = {key: first[key] for key in ("torch_version", "markup_version", "markup_features") if key in first}
    meta.update(
        **versions(),
        name=name,
        estimator={**{k: v for k, v in (first.get("estimator") or {}).items() if k in ("kind", "hidden", "projection")},
                   "members": members},
        training={"documents": " and ".join(str(s["training"].get("documents", "?")) for s in sources),
                  "lines": " and ".join(str(s["training"].get("lines", "?")) for s in sources),
                  **averaged_split_record([s["training"] for s in sources]),
                  "averaged_models": sources},
        inputs=list(models[0].inputs),
    )
    return Model(models[0].labels, sequence=SequenceStage.average([m.sequence for m in models], weights), meta=meta)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="sequence model directories")
    parser.add_argument("--weights", default=None, help="one weight per model, comma-separated (default equal)")
    parser.add_argument("--name", default="default", help="the model's name in its card")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if len(args.models) < 2:
        parser.error("give at least two models to average")
    try:
        weights = [float(w) for w in args.weights.split(",")] if args.weights else None
    except ValueError:
        parser.error(f"--weights takes numbers, not {args.weights!r}")
    check_output(parser, args.output)
    try:
        model = average_models(args.models, weights, args.name)
    except NoiseCutError as error:
        parser.error(str(error))
    save_model(model, {}, args.output)  # all files or none; a stale estimator.joblib is removed
    print(f"wrote {args.output}: {len(model.meta['estimator']['members'])} networks, model format "
          f"{read_meta(args.output)['format_version']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
