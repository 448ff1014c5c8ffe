"""The sequence stage: numpy inference equals PyTorch's GRU, persistence, training, and its errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from noisecut.card import model_card
from noisecut.cli import main
from noisecut.errors import NoiseCutError
from noisecut.features import feature_names
from noisecut.labels import KEEP_DEFAULT, Label
from noisecut.model import ESTIMATOR, Model
from noisecut.stages import CLIP, SequenceStage, Stage, softmax
from noisecut.train import fit, save_estimators

torch = pytest.importorskip("torch", reason="PyTorch is not in the test extras; install its CPU build to run these (README, Quick start)")

from noisecut import train_sequence  # noqa: E402  (needs torch)
from noisecut.train_sequence import BiGRU, export  # noqa: E402

LABELED = Path(__file__).resolve().parent.parent / "labeled"

PAGE = [
    "Home | World | Business | Sport",
    "Storm closes ferry routes for a second day",
    "By Ana Ruiz, 4 February 2025",
    "Ferries between the islands stayed in port on Wednesday as winds of up to 110 km/h swept the coast, "
    "and the operator said crossings would resume once the sea had calmed.",
    "Hundreds of travellers spent the night in terminal buildings, where volunteers handed out blankets "
    "and hot drinks while staff rebooked tickets for Thursday morning.",
    "Share on Facebook",
    "Most read",
    "Prices at the pump fall for a third week",
    "© 2025 Coast Daily",
]


def _random_stage(features: int, classes: int, seed: int = 0):
    torch.manual_seed(seed)
    net = BiGRU(features, classes, hidden=8, projection=12, dropout=0.0).eval()
    rng = np.random.default_rng(seed)
    return net, export(net, rng.normal(size=features), rng.uniform(0.5, 2.0, size=features))


@pytest.mark.parametrize("lines", [1, 2, 37])
def test_numpy_inference_equals_torch(lines):
    net, stage = _random_stage(features=20, classes=5)
    x = np.random.default_rng(lines).normal(scale=4.0, size=(lines, 20))
    z = np.clip((x - stage.mean) / stage.scale, -CLIP, CLIP).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(z)[None]), -1)[0].numpy()
    np.testing.assert_allclose(stage.predict_proba(x), expected, atol=1e-5)


def test_a_line_depends_on_lines_far_above_and_below():
    _, stage = _random_stage(features=20, classes=3, seed=1)
    x = np.random.default_rng(2).normal(size=(60, 20))
    middle = stage.predict_proba(x)[30]
    for far in (0, 59):  # the first line reaches it through the forward state, the last through the backward one
        changed = x.copy()
        changed[far] += 3.0
        assert np.abs(stage.predict_proba(changed)[30] - middle).max() > 1e-9


def test_averaged_stage_outputs_the_mean_of_its_members_logits():
    members = [_random_stage(features=20, classes=4, seed=seed)[1] for seed in (3, 4, 5)]
    mean, scale = members[0].mean, members[0].scale
    for m in members[1:]:  # averaging needs one standardisation
        m.mean, m.scale = mean, scale
    averaged = SequenceStage.average(members)
    assert averaged.hidden == 3 * members[0].hidden
    x = np.random.default_rng(6).normal(scale=3.0, size=(25, 20))
    expected = softmax(np.mean([np.log(m.predict_proba(x)) for m in members], axis=0))
    np.testing.assert_allclose(averaged.predict_proba(x), expected, atol=1e-6)  # the GRU loop is float32


def test_members_standardised_apart_average_to_the_weighted_mean_of_their_logits():
    """Models trained on other corpora keep their own standardisation side by side."""
    a, b, c = (_random_stage(features=20, classes=4, seed=seed)[1] for seed in (3, 4, 5))
    b.mean, b.scale = a.mean, a.scale  # a and b as two members of one model, c trained apart
    weights = [0.25, 0.25, 0.5]
    averaged = SequenceStage.average([SequenceStage.average([a, b]), c], weights=[0.5, 0.5])
    assert averaged.mean.shape == (3, 20)  # one row per group of projection columns
    assert [columns for _, _, columns in averaged.standardisation_groups()] == [24, 12]
    x = np.random.default_rng(6).normal(scale=3.0, size=(25, 20))
    expected = softmax(sum(w * np.log(m.predict_proba(x)) for m, w in zip((a, b, c), weights)))
    np.testing.assert_allclose(averaged.predict_proba(x), expected, atol=1e-6)
    parts = averaged.split(3)  # each member gets its own standardisation back
    assert [p.standardised_as(c) for p in parts] == [False, False, True] and parts[0].standardised_as(a)
    np.testing.assert_allclose(SequenceStage.average(parts).predict_proba(x), averaged.predict_proba(x), atol=1e-12)
    with pytest.raises(ValueError, match="straddle two standardisations"):
        SequenceStage.average([a, c]).split(1)


def test_averaging_refuses_members_that_do_not_fit_together():
    members = [_random_stage(features=20, classes=4, seed=seed)[1] for seed in (3, 4)]
    with pytest.raises(ValueError, match="one positive weight per member"):
        SequenceStage.average(members, weights=[1.0])
    other_labels = _random_stage(features=20, classes=3, seed=3)[1]
    with pytest.raises(ValueError, match="same labels"):
        SequenceStage.average([members[0], other_labels])
    with pytest.raises(ValueError, match="no sequence stages"):
        SequenceStage.average([])


def test_model_is_either_window_stages_or_a_sequence_stage():
    _, stage = _random_stage(features=len(feature_names()), classes=2)
    window = Stage(np.zeros(3), np.ones(3), [np.zeros((3, 2))], [np.zeros(2)])
    with pytest.raises(ValueError, match="either"):
        Model((), stage1=window, sequence=stage)
    with pytest.raises(ValueError, match="either"):
        Model(())


@pytest.fixture(scope="module")
def sequence_model(labeled_docs):
    model, estimators = fit(labeled_docs, sequence=True)
    assert estimators == {}
    return model


def test_trained_sequence_model_cleans_an_obvious_page(sequence_model):
    keep = sequence_model.columns(KEEP_DEFAULT)
    kept = sequence_model.predict_proba(PAGE)[:, keep].sum(axis=1) >= 0.5
    assert kept[3] and kept[4]  # the two paragraphs
    assert not kept[0] and not kept[5] and not kept[8]  # menu, share, copyright


def test_sequence_model_metadata(sequence_model):
    meta = sequence_model.meta
    assert meta["estimator"]["kind"] == "sequence"
    (member,) = meta["estimator"]["members"]
    assert 1 <= member["chosen_epoch"] <= meta["estimator"]["epochs"] == len(member["history"])
    assert f"Member 1 of 1 (seed 0, epoch {member['chosen_epoch']} kept)" in model_card(meta)
    assert meta["torch_version"] == torch.__version__


def test_sequence_model_round_trip(sequence_model, tmp_path):
    sequence_model.save(tmp_path / "m")
    loaded = Model.load(tmp_path / "m")
    assert loaded.sequence is not None and loaded.stage1 is None
    assert loaded.meta["layers"] == {"sequence": 1}
    np.testing.assert_allclose(loaded.predict_proba(PAGE), sequence_model.predict_proba(PAGE), rtol=0, atol=1e-12)


def test_sequence_arrays_of_the_wrong_width_are_refused(sequence_model, tmp_path):
    s = sequence_model.sequence
    narrow = SequenceStage(s.mean[:-1], s.scale[:-1], s.proj_w[:-1], s.proj_b, s.ih_w, s.ih_b, s.hh_w, s.hh_b, s.out_w, s.out_b)
    Model(sequence_model.labels, sequence=narrow, meta=dict(sequence_model.meta)).save(tmp_path / "m")
    with pytest.raises(NoiseCutError, match="retrain"):
        Model.load(tmp_path / "m")


def test_saving_a_sequence_model_removes_stale_estimators(tmp_path):
    (tmp_path / ESTIMATOR).write_bytes(b"an older model's estimators")
    save_estimators({}, tmp_path)
    assert not (tmp_path / ESTIMATOR).exists()


def test_cli_trains_a_sequence_model(tmp_path, monkeypatch):
    """The command's plumbing (members side by side, card, files), not the training's quality:
    the default epochs without the small-data minimum of MIN_STEPS steps (800 for these two members)."""
    monkeypatch.setattr(train_sequence, "MIN_STEPS", 1)
    out = tmp_path / "seq"
    result = CliRunner().invoke(main, ["train", "--sequence", "--members", "2", "-o", str(out), str(LABELED / "seeds")])
    assert result.exit_code == 0, result.output
    assert f"sequence member 2/2, epoch {train_sequence.EPOCHS}/{train_sequence.EPOCHS}" in result.output
    model = Model.load(out)
    assert model.sequence.hidden == 2 * train_sequence.HIDDEN  # the two members side by side
    assert [m["seed"] for m in model.meta["estimator"]["members"]] == [0, 1]
    assert "Member 2 of 2 (seed 1, epoch" in (out / "MODEL_CARD.md").read_text()
    assert not (out / ESTIMATOR).exists()


def test_cli_members_needs_sequence(tmp_path):
    result = CliRunner().invoke(main, ["train", "--members", "3", "-o", str(tmp_path / "m"), str(LABELED / "seeds")])
    assert result.exit_code == 2
    assert "--members sets the sequence model; add --sequence" in result.output
    assert not (tmp_path / "m").exists()


def test_cli_without_torch_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(train_sequence, "torch", None)
    result = CliRunner().invoke(main, ["train", "--sequence", "-o", str(tmp_path / "m"), str(LABELED)])
    assert result.exit_code != 0
    assert "pip install 'noisecut[sequence]'" in result.output
    assert not (tmp_path / "m").exists()


def test_padded_batch_gives_each_document_its_own_result():
    """Training pads a batch; packing keeps the padding out of both directions."""
    net, _ = _random_stage(features=10, classes=3, seed=3)
    long, short = torch.randn(7, 10), torch.randn(3, 10)
    batch = torch.zeros(2, 7, 10)
    batch[0], batch[1, :3] = long, short
    with torch.no_grad():
        out = net(batch, torch.tensor([7, 3]))
        torch.testing.assert_close(out[1, :3], net(short[None])[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(out[0], net(long[None])[0], atol=1e-5, rtol=0)


def _standardised_apart(model) -> Model:
    """``model``'s stage beside a copy standardised otherwise (as a model trained on another corpus)."""
    s = model.sequence
    other = SequenceStage(s.mean + 0.5, s.scale * 2.0, s.proj_w, s.proj_b, s.ih_w, s.ih_b, s.hh_w, s.hh_b, s.out_w, s.out_b)
    return Model(model.labels, sequence=SequenceStage.average([s, other]),
                 meta={"estimator": {"kind": "sequence", "members": model.meta["estimator"]["members"] * 2}})


def test_format_versions(sequence_model, model_dir, tmp_path):
    """A sequence model is format 2 (3 when its members keep their own standardisation); a window
    model stays format 1: each is written in the oldest format that holds it, which older releases read."""
    sequence_model.save(tmp_path / "seq")
    assert Model.load(tmp_path / "seq").meta["format_version"] == 2
    assert Model.load(model_dir).meta["format_version"] == 1
    apart = _standardised_apart(sequence_model)
    apart.save(tmp_path / "apart")
    loaded = Model.load(tmp_path / "apart")
    assert loaded.meta["format_version"] == 3 and loaded.sequence.mean.shape == (2, len(feature_names()))
    np.testing.assert_array_equal(loaded.predict_proba(PAGE), apart.predict_proba(PAGE))


def test_broken_gru_arrays_are_a_clear_error(sequence_model):
    s = sequence_model.sequence
    with pytest.raises(ValueError, match="hh_w"):
        SequenceStage(s.mean, s.scale, s.proj_w, s.proj_b, s.ih_w, s.ih_b, s.hh_w[:, :-1], s.hh_b, s.out_w, s.out_b)


def test_cli_refuses_window_options_with_sequence(tmp_path):
    result = CliRunner().invoke(main, ["train", "--sequence", "--hidden", "32", "-o", str(tmp_path / "m"), str(LABELED)])
    assert result.exit_code == 2
    assert "--hidden" in result.output and "--sequence" in result.output
    assert not (tmp_path / "m").exists()


# --- fine-tuning (noisecut train --from) ---------------------------------------------------

def test_split_is_the_inverse_of_average():
    members = [_random_stage(features=20, classes=4, seed=seed)[1] for seed in (3, 4, 5)]
    for m in members[1:]:
        m.mean, m.scale = members[0].mean, members[0].scale
    averaged = SequenceStage.average(members)
    parts = averaged.split(3)
    assert [p.hidden for p in parts] == [members[0].hidden] * 3
    x = np.random.default_rng(7).normal(scale=3.0, size=(25, 20))
    np.testing.assert_allclose(SequenceStage.average(parts).predict_proba(x), averaged.predict_proba(x), atol=1e-12)
    for part, member in zip(parts, members):  # the GRU of each member comes back as it was
        np.testing.assert_array_equal(part.hh_w, member.hh_w)
        np.testing.assert_array_equal(part.ih_w, member.ih_w)
    with pytest.raises(ValueError, match="not 5 equal members"):
        averaged.split(5)


def test_members_run_together_give_the_averaged_stage_per_document():
    """Fine-tuning runs its members' GRUs as one block-diagonal GRU over a padded batch: each
    document's mean logits are what the averaged numpy stage gives that document alone."""
    rng = np.random.default_rng(9)
    mean, scale = rng.normal(size=10), rng.uniform(0.5, 2.0, size=10)
    nets = []
    for seed, hidden in ((10, 8), (11, 5)):  # members of different widths
        torch.manual_seed(seed)
        nets.append(BiGRU(10, 3, hidden=hidden, projection=12, dropout=0.0).eval())
    averaged = SequenceStage.average([export(net, mean, scale) for net in nets])
    docs = [rng.normal(scale=3.0, size=(n, 10)) for n in (7, 3, 5)]
    batch = torch.zeros(3, 7, 10)
    for row, x in enumerate(docs):
        batch[row, :len(x)] = torch.from_numpy(np.clip((x - mean) / scale, -CLIP, CLIP).astype(np.float32))
    with torch.no_grad():
        logits = train_sequence.Ensemble(nets)(batch, torch.tensor([7, 3, 5]))
    for row, x in enumerate(docs):
        np.testing.assert_allclose(torch.softmax(logits[row, :len(x)], -1).numpy(), averaged.predict_proba(x), atol=1e-5)


def test_import_stage_inverts_export():
    net, stage = _random_stage(features=20, classes=4, seed=8)
    copy = BiGRU(20, 4, hidden=8, projection=12, dropout=0.0).eval()
    train_sequence.import_stage(copy, stage)
    for name, value in net.state_dict().items():
        torch.testing.assert_close(copy.state_dict()[name], value)


def _site_pages(caption_label: str = "body") -> list:
    """Five pages of one site whose photo captions are content, which a general model drops as noise."""
    from noisecut.labeled import parse

    pages = []
    for n, (town, place) in enumerate([("Ashby", "library"), ("Wrenham", "pool"), ("Norcott", "park"),
                                       ("Kelvale", "museum"), ("Eastfield", "market")]):
        rows = [("nav", "Home | World | Business | Sport"),
                ("title", f"{town} votes to rebuild its {place}"),
                ("body", f"Residents of {town} backed the plan to rebuild the {place} at a meeting on Tuesday, "
                         f"and work is due to start in the spring once the contracts are signed."),
                (caption_label, f"Photo {n + 1} of 12"),
                ("body", f"The council said the {place} would stay open during the work, with some rooms closed "
                         f"for a few weeks at a time while the builders are on site."),
                ("share", "Share on Facebook"),
                ("legal", "© 2025 Coast Daily")]
        pages.append(parse(f"# id: p{n}\n# site: coastdaily.example\n" + "".join(f"{label}\t{text}\n" for label, text in rows)))
    return pages


def _caption_keep(model) -> float:
    keep = model.columns(KEEP_DEFAULT)
    lines = [text for text in _site_pages()[0].doc.lines]
    lines = [line.replace("Ashby", "Millbrook").replace("Photo 1 ", "Photo 7 ") for line in lines]
    return float(model.predict_proba(lines)[3, keep].sum())


def test_fine_tuning_learns_what_a_few_pages_teach_and_the_anchor_restrains_it(sequence_model):
    before = _caption_keep(sequence_model)
    free, summary = train_sequence.fine_tune(sequence_model, _site_pages(), anchor=0.0, learning_rate=1e-2,
                                             max_steps=10, progress=False)
    assert summary["documents"] == 5 and summary["held_out_documents"] == 1 and summary["history"][0]["step"] == 0
    tuned = Model(sequence_model.labels, sequence=free)
    if summary["steps"]:
        assert _caption_keep(tuned) > before + 0.05  # a new page's caption is now kept more
    anchored, _ = train_sequence.fine_tune(sequence_model, _site_pages(), anchor=100.0, learning_rate=1e-2,
                                           max_steps=summary["steps"] or 10, progress=False)
    moved = lambda stage: np.abs(stage.out_w - sequence_model.sequence.out_w).sum()  # noqa: E731
    assert moved(anchored) < moved(free) or not summary["steps"]
    np.testing.assert_array_equal(free.mean, sequence_model.sequence.mean)  # the base's standardisation
    np.testing.assert_array_equal(free.hh_w, sequence_model.sequence.hh_w)  # tune "output": the GRU is as before


def test_fine_tuning_holds_out_a_page_with_all_its_renderings(sequence_model):
    from noisecut.labeled import parse

    renderings = []
    for page in _site_pages():
        page.meta.update(dataset="coastdaily", name=page.meta["id"])
        # the same page as another renderer gives it: the menu a line per item
        rows = [(label.value, part) for line, label in zip(page.doc.lines, page.labels) for part in line.split(" | ")]
        renderings += [page, parse(f"# id: {page.meta['id']}/menu-lines\n# dataset: coastdaily\n# name: {page.meta['id']}\n"
                                   + "".join(f"{label}\t{line}\n" for label, line in rows))]
    _, summary = train_sequence.fine_tune(sequence_model, renderings, anchor=0.0, max_steps=5, progress=False)
    assert summary["documents"] == 10 and summary["held_out_documents"] == 2
    assert len(summary["held_out_pages"]) == 1  # one page of five, both its renderings


def test_fine_tuning_members_standardised_apart_keeps_each_ones_standardisation(sequence_model):
    apart = _standardised_apart(sequence_model)
    tuned, summary = train_sequence.fine_tune(apart, _site_pages(), anchor=0.0, learning_rate=1e-2, max_steps=10,
                                              progress=False)
    np.testing.assert_array_equal(tuned.mean, apart.sequence.mean)
    np.testing.assert_array_equal(tuned.hh_w, apart.sequence.hh_w)  # tune "output": the GRU is as before
    if summary["steps"]:
        assert _caption_keep(Model(apart.labels, sequence=tuned)) > _caption_keep(apart) + 0.05


def test_fine_tuning_everything_moves_the_gru(sequence_model):
    tuned, summary = train_sequence.fine_tune(sequence_model, _site_pages(), anchor=0.0, max_steps=10,
                                              progress=False, tune="all")
    assert summary["tune"] == "all" and summary["learning_rate"] == train_sequence.FINE_TUNE_ALL_LEARNING_RATE
    if summary["steps"]:
        assert np.abs(tuned.hh_w - sequence_model.sequence.hh_w).max() > 0
    with pytest.raises(ValueError, match="tune is one of output, all"):
        train_sequence.fine_tune(sequence_model, _site_pages(), progress=False, tune="gru")


@pytest.mark.parametrize("anchor", [float("nan"), float("inf"), -1.0])
def test_fine_tuning_refuses_an_anchor_that_is_not_a_weight(sequence_model, anchor):
    with pytest.raises(ValueError, match="anchor is a weight of 0 or more"):
        train_sequence.fine_tune(sequence_model, _site_pages(), anchor=anchor, progress=False)


def test_fine_tuning_refuses_labels_the_base_lacks(sequence_model):
    s = sequence_model.sequence
    lacking = sequence_model.labels.index(Label.LEGAL)  # a base model that never learned "legal"
    columns = [i for i in range(len(sequence_model.labels)) if i != lacking]
    stage = SequenceStage(s.mean, s.scale, s.proj_w, s.proj_b, s.ih_w, s.ih_b, s.hh_w, s.hh_b,
                          s.out_w[:, columns], s.out_b[columns])
    base = Model(tuple(sequence_model.labels[i] for i in columns), sequence=stage, meta=dict(sequence_model.meta))
    with pytest.raises(NoiseCutError, match="the base model has no label legal"):
        train_sequence.fine_tune(base, _site_pages(), progress=False)


def test_cli_from_writes_a_model_whose_card_names_its_base(sequence_model, tmp_path):
    from noisecut.labeled import write

    sequence_model.meta["name"] = "base"
    sequence_model.save(tmp_path / "base")
    (tmp_path / "pages").mkdir()
    for page in _site_pages():
        write(page, tmp_path / "pages" / f"{page.id}.lines")
    out = tmp_path / "tuned"
    result = CliRunner().invoke(main, ["train", "--from", str(tmp_path / "base"), "--replay", str(LABELED / "seeds"),
                                       "-o", str(out), str(tmp_path / "pages")])
    assert result.exit_code == 0, result.output
    tuned = Model.load(out)
    base_digest = Model.load(tmp_path / "base").meta["sha256"]
    assert tuned.meta["training"]["fine_tuned_from"]["sha256"] == base_digest
    assert tuned.meta["training"]["documents"] == 5 and tuned.meta["training"]["fine_tuning"]["replay_documents"] > 0
    assert base_digest in (out / "MODEL_CARD.md").read_text()
    assert tuned.sequence.hidden == sequence_model.sequence.hidden and "presets" not in tuned.meta


@pytest.mark.parametrize("args, message", [
    (["--from", "default", "--members", "2"], "--members shape a new model; --from keeps the base model's shape"),
    (["--replay", str(LABELED)], "--replay, --anchor and --tune tune --from; add --from MODEL"),
    (["--anchor", "2"], "--replay, --anchor and --tune tune --from; add --from MODEL"),
    (["--tune", "all"], "--replay, --anchor and --tune tune --from; add --from MODEL"),
    (["--from", "default", "--anchor", "nan"], "Invalid value for '--anchor': nan is not a weight; give a number of 0 or more"),
    (["--from", "default", "--anchor", "inf"], "Invalid value for '--anchor': inf is not a weight"),  # both: loss nan, 0 steps
])
def test_cli_from_option_errors(tmp_path, args, message):
    result = CliRunner().invoke(main, ["train", *args, "-o", str(tmp_path / "m"), str(LABELED / "seeds")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "m").exists()


def test_from_with_no_model_named_tunes_the_fast_model(tmp_path, monkeypatch):
    """`--from` left without a value (last on the line) and `fit_from(None)` tune model 4, which adapts
    better than the default model (README, *Averaging models*)."""
    import noisecut.train
    from noisecut.model import model_dir

    seen = []
    real_load = Model.load

    def load(directory=None):
        seen.append(Path(directory))
        raise NoiseCutError("stop before tuning")

    monkeypatch.setattr(Model, "load", load)
    result = CliRunner().invoke(main, ["train", "-o", str(tmp_path / "m"), str(LABELED / "seeds"), "--from"])
    assert result.exit_code == 1 and "stop before tuning" in result.output
    with pytest.raises(NoiseCutError):
        noisecut.train.fit_from(None, [])
    monkeypatch.setattr(Model, "load", real_load)
    assert seen == [model_dir("fast")] * 2 and model_dir("fast") != model_dir("default")
    assert Model.load(seen[0]).meta["name"] == "fast"


def _only_error_line(result, message: str) -> None:
    """One line on stderr, the error: no "fine-tuning ..." or "training on ..." line before it, no traceback."""
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {message}"]


def test_cli_from_a_window_model_is_a_clear_error(model_dir, tmp_path):
    result = CliRunner().invoke(main, ["train", "--from", str(model_dir), "-o", str(tmp_path / "m"), str(LABELED / "seeds")])
    _only_error_line(result, "--from needs a sequence model (the shipped one is); this one has window stages")
    assert not (tmp_path / "m").exists()


def test_cli_from_refuses_labels_the_base_lacks_in_one_line(sequence_model, tmp_path):
    """The labels are checked before the command says it fine-tunes (it said so, then failed: two lines)."""
    from noisecut.labeled import write

    assert Label.NOISE not in sequence_model.labels  # labeled/ has no "noise" lines
    sequence_model.save(tmp_path / "base")
    (tmp_path / "pages").mkdir()
    for page in _site_pages(caption_label="noise"):
        write(page, tmp_path / "pages" / f"{page.id}.lines")
    result = CliRunner().invoke(main, ["train", "--from", str(tmp_path / "base"), "-o", str(tmp_path / "m"),
                                       str(tmp_path / "pages")])
    _only_error_line(result, "the base model has no label noise; train a new model instead of --from")
    assert not (tmp_path / "m").exists()


def test_cli_from_refuses_replayed_labels_the_base_lacks(sequence_model, tmp_path):
    """Replayed lines of a label the base lacks were left unlabeled without a word (taught nothing)."""
    from noisecut.labeled import write

    sequence_model.save(tmp_path / "base")
    for folder, caption in (("pages", "body"), ("replay", "noise")):
        (tmp_path / folder).mkdir()
        for page in _site_pages(caption_label=caption):
            write(page, tmp_path / folder / f"{page.id}.lines")
    result = CliRunner().invoke(main, ["train", "--from", str(tmp_path / "base"), "--replay", str(tmp_path / "replay"),
                                       "-o", str(tmp_path / "m"), str(tmp_path / "pages")])
    _only_error_line(result, "the replayed files have labels the base model lacks (noise); "
                             "replay files labeled with its labels, or drop --replay")
    assert not (tmp_path / "m").exists()
    with pytest.raises(NoiseCutError, match="the replayed files have labels the base model lacks"):
        train_sequence.fine_tune(sequence_model, _site_pages(), _site_pages(caption_label="noise"), progress=False)


@pytest.mark.parametrize("args", [[], ["--sequence"]])
def test_cli_refuses_to_train_a_model_of_one_label(tmp_path, args):
    """--sequence trained a model of one label (it keeps or drops every line); the window stages refused it
    after saying they train."""
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "a.lines").write_text("body\tThe council met on Tuesday to agree the budget for the year.\n\n"
                                                 "body\tThe library will open on Sundays from next month.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["train", *args, "-o", str(tmp_path / "m"), str(tmp_path / "bodies")])
    _only_error_line(result, "training needs lines of at least two labels; these have only 'body'")
    assert not (tmp_path / "m").exists()


def test_fit_refuses_a_sequence_model_of_one_label(labeled_docs):
    from noisecut.labeled import LabeledDocument

    bodies = [LabeledDocument(d.doc, [Label.BODY if label is not None else None for label in d.labels], d.meta)
              for d in labeled_docs[:2]]
    with pytest.raises(NoiseCutError, match="at least two labels; these have only 'body'"):
        fit(bodies, sequence=True)


def test_distilled_network_follows_its_teacher_not_the_labels(sequence_model, labeled_docs):
    """With the whole loss on the teacher's probabilities, labels that say the opposite (body and
    nav swapped) do not matter: the student cleans the page as the teacher does."""
    from noisecut.labeled import LabeledDocument

    swap = {Label.BODY: Label.NAV, Label.NAV: Label.BODY}
    swapped = [LabeledDocument(d.doc, [swap.get(label, label) for label in d.labels], d.meta) for d in labeled_docs]
    student, _ = fit(swapped, sequence=True, teacher=sequence_model, distill=1.0)
    keep = sequence_model.columns(KEEP_DEFAULT)
    kept = lambda model: model.predict_proba(PAGE)[:, keep].sum(axis=1) >= 0.5  # noqa: E731
    assert kept(student).tolist() == kept(sequence_model).tolist()
    assert student.meta["estimator"]["distilled_from"]["weight"] == 1.0
    labels_only, _ = fit(swapped, sequence=True, teacher=sequence_model, distill=0.0)
    assert not kept(labels_only)[3]  # the swapped labels alone teach it to drop the paragraph
    no_teacher, _ = fit(swapped, sequence=True)  # a share of 0 is training on the labels, exactly
    np.testing.assert_array_equal(labels_only.sequence.out_w, no_teacher.sequence.out_w)


def test_a_student_follows_precomputed_teacher_probabilities(sequence_model, labeled_docs):
    """A teacher's probabilities worked out elsewhere (one that reads what the student cannot, as
    training/distill_markup.py's HTML models) teach as the teacher model itself does."""
    from noisecut.labeled import LabeledDocument
    from noisecut.train_sequence import Precomputed, Sequences, teacher_probabilities

    swap = {Label.BODY: Label.NAV, Label.NAV: Label.BODY}
    swapped = [LabeledDocument(d.doc, [swap.get(label, label) for label in d.labels], d.meta) for d in labeled_docs]
    classes = [label.value for label in sequence_model.labels]
    probabilities = teacher_probabilities(sequence_model, Sequences.from_documents(swapped, None, classes).x, classes)
    student, _ = fit(swapped, sequence=True, teacher=Precomputed(probabilities, {"name": "worked out before"}), distill=1.0)
    keep = sequence_model.columns(KEEP_DEFAULT)
    kept = lambda model: model.predict_proba(PAGE)[:, keep].sum(axis=1) >= 0.5  # noqa: E731
    assert kept(student).tolist() == kept(sequence_model).tolist()
    assert student.meta["estimator"]["distilled_from"]["name"] == "worked out before"
    with pytest.raises(ValueError, match="one \\(lines x classes\\) array per document"):
        fit(swapped, sequence=True, teacher=Precomputed(probabilities[1:], {}), distill=1.0)


def test_distilling_refuses_a_teacher_with_labels_the_documents_lack(sequence_model, labeled_docs):
    from noisecut.labeled import LabeledDocument

    body_or_noise = [LabeledDocument(d.doc, [None if label is None else Label.BODY if label in KEEP_DEFAULT else Label.NOISE
                                             for label in d.labels], d.meta) for d in labeled_docs]
    with pytest.raises(NoiseCutError, match="teacher predicts label"):
        fit(body_or_noise, sequence=True, teacher=sequence_model)


def test_average_models_writes_the_weighted_mean_of_models_trained_apart(sequence_model, model_dir, tmp_path, capsys):
    from training import average_models

    sequence_model.save(tmp_path / "a")
    s = sequence_model.sequence
    other = Model(sequence_model.labels, meta=dict(sequence_model.meta), sequence=SequenceStage(
        s.mean + 0.5, s.scale * 2.0, s.proj_w, s.proj_b, s.ih_w, s.ih_b, s.hh_w, s.hh_b, s.out_w * -1.0, s.out_b))
    other.save(tmp_path / "b")
    assert average_models.main([str(tmp_path / "a"), str(tmp_path / "b"), "--weights", "3,1",
                                "--output", str(tmp_path / "mean")]) == 0
    mean = Model.load(tmp_path / "mean")
    expected = softmax(0.75 * np.log(sequence_model.predict_proba(PAGE)) + 0.25 * np.log(other.predict_proba(PAGE)))
    np.testing.assert_allclose(mean.predict_proba(PAGE), expected, atol=1e-6)
    assert [m["weight"] for m in mean.meta["training"]["averaged_models"]] == [0.75, 0.25]
    assert len(mean.meta["estimator"]["members"]) == 2 and "averaged_models" in model_card(mean.meta)
    with pytest.raises(SystemExit):
        average_models.main([str(tmp_path / "a"), str(model_dir), "--output", str(tmp_path / "no")])
    assert "only sequence models" in capsys.readouterr().err and not (tmp_path / "no").exists()
