"""noisecut.model and noisecut.train: export, save/load, checks on load, estimator persistence."""
from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest

from noisecut.document import Document
from noisecut.errors import NoiseCutError
from noisecut.features import FEATURE_VERSION, feature_names
from noisecut.labeled import LabeledDocument
from noisecut.labels import KEEP_DEFAULT, Label
from noisecut.model import ARRAYS, CARD, ESTIMATOR, META, Model, Stage, default_model_dir
from noisecut.train import (
    TrainingSet,
    load_estimators,
    predict_with_estimators,
    save_estimators,
)

PARAGRAPHS = [
    "The city council voted on Tuesday to approve a new budget for the public library, which will extend "
    "opening hours on weekends and fund reading classes for children.",
    "Council members said the money would come from savings in the transport department, and that the "
    "library had been asking for longer hours for more than three years.",
    "The head librarian said the staff were delighted and that the new hours would start in March.",
]
PAGE = [
    "Home | News | Local | Sport",
    "Library to open on weekends after council vote",
    "By Jane Smith | 12 March 2024, 10:32",
    *PARAGRAPHS,
    "Share",
    "Advertisement",
    "Related stories",
    "Bus fares to rise in April...",
    "© 2024 Example News. All rights reserved.",
]


def _texts(docs, limit=None):
    """Non-blank lines of each document: the texts a model predicts on."""
    return [[line for line in d.doc.lines if line.strip()] for d in docs[:limit]]


def _copy(src, tmp_path, name="copy"):
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


def _edit_meta(directory, **changes):
    path = directory / META
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.update(changes)
    path.write_text(json.dumps(meta), encoding="utf-8")


# ------------------------------------------------------------ models of each kind


@pytest.fixture(scope="module")
def seed_docs(labeled_docs):
    docs = [d for d in labeled_docs if (d.meta.get("id") or "").startswith("seed-")]
    return docs or labeled_docs[:5]


def _binary(docs):
    """The same documents with two labels: body stays body, every other label becomes nav."""
    out = []
    for d in docs:
        labels = [None if label is None else (Label.BODY if label == Label.BODY else Label.NAV) for label in d.labels]
        out.append(LabeledDocument(d.doc, labels, dict(d.meta)))
    return out


@pytest.fixture(scope="module")
def variants(trained, labeled_docs, seed_docs, fit_fast):
    """name -> (model, estimators, documents it was trained on)."""
    out = {"mlp-two-stage": (trained[0], trained[1], labeled_docs)}
    out["mlp-single-stage"] = (*fit_fast(labeled_docs, hidden=(16,), max_iter=50, two_stage=False), labeled_docs)
    out["logistic-two-stage"] = (*fit_fast(seed_docs, hidden=(), max_iter=50), seed_docs)
    out["logistic-single-stage"] = (*fit_fast(labeled_docs, hidden=(), max_iter=50, two_stage=False), labeled_docs)
    binary = _binary(seed_docs)
    out["logistic-binary"] = (*fit_fast(binary, hidden=(), max_iter=50), binary)
    out["mlp-binary"] = (*fit_fast(binary, hidden=(8,), max_iter=50, two_stage=False), binary)
    return out


VARIANTS = ["mlp-two-stage", "mlp-single-stage", "logistic-two-stage", "logistic-single-stage", "logistic-binary", "mlp-binary"]


@pytest.mark.parametrize("name", VARIANTS)
def test_export_matches_scikit_learn(variants, name):
    model, estimators, docs = variants[name]
    assert ("stage2" in estimators) == (model.stage2 is not None)
    for texts in _texts(docs, 8) + [PAGE]:
        ours = model.predict_proba(texts)
        theirs = predict_with_estimators(estimators, model, texts)
        np.testing.assert_array_equal(ours.argmax(axis=1), theirs.argmax(axis=1))
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize("name", VARIANTS)
def test_save_load_identical_probabilities(variants, name, tmp_path):
    model, _, docs = variants[name]
    model.save(tmp_path / name)
    loaded = Model.load(tmp_path / name)
    assert loaded.labels == model.labels
    assert (loaded.stage2 is None) == (model.stage2 is None)
    for texts in _texts(docs, 5) + [PAGE]:
        np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), rtol=0, atol=1e-12)


def test_variant_shapes(variants):
    assert len(variants["mlp-two-stage"][0].stage1.weights) == 2  # one hidden layer, one output
    assert len(variants["logistic-two-stage"][0].stage1.weights) == 1
    assert variants["logistic-binary"][0].labels == (Label.BODY, Label.NAV)
    for name in ["logistic-binary", "mlp-binary"]:
        assert variants[name][0].stage1.weights[-1].shape[1] == 2  # one logistic unit -> two softmax outputs


def test_probabilities_are_distributions(model):
    p = model.predict_proba(PAGE)
    assert p.shape == (len(PAGE), len(model.labels))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p >= 0).all()
    assert model.predict_proba([]).shape == (0, len(model.labels))


def test_trained_model_reads_an_obvious_page(model):
    """A sanity check on the session model: article paragraphs are kept, widgets dropped."""
    p = model.predict_proba(PAGE)
    keep = p[:, model.columns(KEEP_DEFAULT)].sum(axis=1)
    body = [PAGE.index(t) for t in PARAGRAPHS]
    widgets = [PAGE.index(t) for t in ["Home | News | Local | Sport", "Advertisement", "© 2024 Example News. All rights reserved."]]
    assert keep[body].min() > 0.5
    assert keep[widgets].max() < 0.5


def test_model_from_fit_has_metadata(trained):
    model = trained[0]
    meta = model.meta
    assert meta["feature_version"] == FEATURE_VERSION
    assert {"hidden": [16], "two_stage": True, "max_iter": 50, "seed": 0}.items() <= meta["estimator"].items()
    assert meta["training"]["lines"] == sum(meta["training"]["labels"].values())


def test_saved_directory(model_dir):
    for name in [ARRAYS, META, CARD, ESTIMATOR]:
        assert (model_dir / name).is_file(), name
    meta = json.loads((model_dir / META).read_text(encoding="utf-8"))
    assert meta["layers"] == {"stage1": 2, "stage2": 2}
    assert len(meta["sha256"]) == 64
    card = (model_dir / CARD).read_text(encoding="utf-8")
    assert meta["sha256"] in card
    with np.load(model_dir / ARRAYS, allow_pickle=False) as npz:
        assert set(npz.files) == {f"stage{s}.{k}" for s in (1, 2) for k in ("mean", "scale", "w0", "b0", "w1", "b1")}


def test_training_is_reproducible(labeled_docs, fit_fast):
    a, _ = fit_fast(labeled_docs[:6], hidden=(8,), max_iter=20, two_stage=False, seed=3)
    b, _ = fit_fast(labeled_docs[:6], hidden=(8,), max_iter=20, two_stage=False, seed=3)
    np.testing.assert_array_equal(a.predict_proba(PAGE), b.predict_proba(PAGE))


def test_training_set_skips_blank_lines(labeled_docs):
    data = TrainingSet.from_documents(labeled_docs[:3])
    expected = sum(1 for d in labeled_docs[:3] for label in d.labels if label is not None)
    assert data.x.shape == (expected, len(feature_names()))
    assert len(data.y) == expected


def test_training_on_nothing_fails(fit_fast):
    empty = LabeledDocument(Document(["", ""], ["\n", "\n"]), [None, None], {})
    with pytest.raises(NoiseCutError, match="no labeled lines"):
        fit_fast([empty])


# ------------------------------------------------------------ Stage and Model by hand


def test_stage_computes_standardise_dense_relu_softmax():
    stage = Stage(
        mean=np.array([1.0, 2.0]),
        scale=np.array([2.0, 0.5]),
        weights=[np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])],
        biases=[np.array([0.0, 0.0]), np.array([0.0, 0.0])],
    )
    # z = ((3-1)/2, (2-2)/0.5) = (1, 0); hidden = relu(1, -1) = (1, 0); logits = (1, 0)
    p = stage.predict_proba(np.array([[3.0, 2.0]]))
    expected = np.exp([1.0, 0.0]) / np.exp([1.0, 0.0]).sum()
    np.testing.assert_allclose(p, [expected])


def test_stage_softmax_is_stable_for_huge_logits():
    stage = Stage(np.zeros(1), np.ones(1), [np.array([[1000.0, -1000.0]])], [np.zeros(2)])
    p = stage.predict_proba(np.array([[5.0]]))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p, [[1.0, 0.0]])


def test_constant_model_round_trip(make_constant_model, tmp_path):
    model = make_constant_model({Label.BODY: 0.7, Label.HEADING: 0.1, Label.NAV: 0.2})
    np.testing.assert_allclose(model.predict_proba(PAGE), np.tile([0.7, 0.1, 0.2], (len(PAGE), 1)))
    model.save(tmp_path / "c")
    loaded = Model.load(tmp_path / "c")
    assert loaded.stage2 is None
    np.testing.assert_allclose(loaded.predict_proba(PAGE[:2]), [[0.7, 0.1, 0.2]] * 2)
    assert list(loaded.columns(KEEP_DEFAULT)) == [0, 1]
    assert list(loaded.columns(frozenset({Label.TITLE}))) == []


# ------------------------------------------------------------ refusing bad models


def test_other_feature_version_is_refused(model_dir, tmp_path):
    copy = _copy(model_dir, tmp_path)
    _edit_meta(copy, feature_version=FEATURE_VERSION + 1)
    with pytest.raises(NoiseCutError, match="feature version"):
        Model.load(copy)


def test_other_format_version_is_refused(model_dir, tmp_path):
    copy = _copy(model_dir, tmp_path)
    _edit_meta(copy, format_version=99)
    with pytest.raises(NoiseCutError, match="format 99"):
        Model.load(copy)


def test_tampered_arrays_are_refused(model_dir, tmp_path):
    copy = _copy(model_dir, tmp_path)
    data = bytearray((copy / ARRAYS).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / ARRAYS).write_bytes(bytes(data))
    with pytest.raises(NoiseCutError, match="SHA-256"):
        Model.load(copy)


def test_replaced_arrays_are_refused(model_dir, tmp_path, make_constant_model):
    other = make_constant_model({Label.BODY: 0.5, Label.NAV: 0.5}).save(tmp_path / "other")
    copy = _copy(model_dir, tmp_path)
    shutil.copy(other / ARRAYS, copy / ARRAYS)
    with pytest.raises(NoiseCutError, match="SHA-256"):
        Model.load(copy)


def test_missing_model_directory(tmp_path):
    with pytest.raises(NoiseCutError, match="no such model"):
        Model.load(tmp_path / "nowhere")


def test_model_path_that_is_a_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"not a directory")
    with pytest.raises(NoiseCutError, match="is a directory"):
        Model.load(path)


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe\x00garbage"])
def test_unreadable_json(model_dir, tmp_path, content):
    copy = _copy(model_dir, tmp_path)
    (copy / META).write_bytes(content)
    with pytest.raises(NoiseCutError, match="unreadable model metadata"):
        Model.load(copy)


def test_missing_arrays_file(model_dir, tmp_path):
    copy = _copy(model_dir, tmp_path)
    (copy / ARRAYS).unlink()
    with pytest.raises(NoiseCutError, match="cannot read model"):
        Model.load(copy)


def test_layer_count_not_matching_arrays(model_dir, tmp_path):
    copy = _copy(model_dir, tmp_path)
    _edit_meta(copy, layers={"stage1": 3, "stage2": 2})
    with pytest.raises(NoiseCutError, match="unreadable model"):
        Model.load(copy)


def test_unknown_label_in_metadata(model_dir, tmp_path):
    copy = _copy(model_dir, tmp_path)
    meta = json.loads((copy / META).read_text(encoding="utf-8"))
    _edit_meta(copy, labels=["boilerplate", *meta["labels"][1:]])
    with pytest.raises(NoiseCutError, match="unreadable model"):
        Model.load(copy)


def test_model_env_variable_selects_default(model_dir, monkeypatch):
    monkeypatch.setenv("NOISECUT_MODEL", str(model_dir))
    assert default_model_dir() == model_dir
    assert Model.load().labels == Model.load(model_dir).labels


def test_default_model_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NOISECUT_MODEL", str(tmp_path / "absent"))
    with pytest.raises(NoiseCutError, match="no such model"):
        Model.load()


# ------------------------------------------------------------ the scikit-learn estimators


def test_load_estimators_needs_trust(model_dir):
    with pytest.raises(NoiseCutError, match="pickle"):
        load_estimators(model_dir)


def test_load_estimators_with_trust(trained, model_dir):
    model, _, _ = trained
    estimators = load_estimators(model_dir, trust=True)
    assert set(estimators) == {"stage1", "stage2"}
    np.testing.assert_allclose(predict_with_estimators(estimators, model, PAGE), model.predict_proba(PAGE), atol=1e-6)


def test_load_estimators_warns_on_other_sklearn_version(trained, tmp_path):
    import joblib

    save_estimators(trained[1], tmp_path)
    saved = joblib.load(tmp_path / ESTIMATOR)
    saved["sklearn_version"] = "0.0.1"
    joblib.dump(saved, tmp_path / ESTIMATOR)
    with pytest.warns(UserWarning, match="scikit-learn 0.0.1"):
        estimators = load_estimators(tmp_path, trust=True)
    assert set(estimators) == {"stage1", "stage2"}


def test_load_estimators_same_version_does_not_warn(model_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_estimators(model_dir, trust=True)


# ------------------------------------------------------------------ module layout


def _imports_of(path, package):
    """Every noisecut module ``path`` imports, at the top or inside a function."""
    import ast

    module = path.relative_to(package.parent).with_suffix("").as_posix().replace("/", ".")
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
    parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            target = ".".join(p for p in (base, node.module or "") if p)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return module, {name for name in found if name.startswith("noisecut")}


def test_training_modules_import_no_circle():
    """train.py dispatches to train_sequence.py; nothing leads back (issue 11, item 18)."""
    from pathlib import Path

    import noisecut

    package = Path(noisecut.__file__).parent
    graph = dict(_imports_of(path, package) for path in package.rglob("*.py"))
    graph = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}

    def reaches(start, goal):
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module == goal:
                return True
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
        return False

    assert "noisecut.train_sequence" in graph["noisecut.train"]  # the dispatch the test is about
    for module in ("noisecut.train", "noisecut.train_sequence", "noisecut.train_data"):
        assert not reaches(module, module), f"{module} imports itself through a circle"


# ------------------------------------------------------------------ writing a model


def test_interrupted_save_keeps_the_old_model_and_leaves_no_temporary_file(make_constant_model, tmp_path, monkeypatch):
    directory = make_constant_model({Label.BODY: 0.7, Label.NAV: 0.3}).save(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}

    def half_written(f, **arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", half_written)
    with pytest.raises(KeyboardInterrupt):
        make_constant_model({Label.BODY: 0.1, Label.NAV: 0.9}).save(directory)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
    np.testing.assert_allclose(Model.load(directory).predict_proba(PAGE[:1]), [[0.7, 0.3]])


def test_save_interrupted_after_the_arrays_keeps_the_old_model(make_constant_model, tmp_path, monkeypatch):
    """Each file was replaced on its own: Ctrl-C after model.npz left the new arrays under the old model.json's
    digest, and loading refused the model as changed or damaged."""
    import noisecut.card

    directory = make_constant_model({Label.BODY: 0.7, Label.NAV: 0.3}).save(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}

    def interrupted(meta):
        raise KeyboardInterrupt

    monkeypatch.setattr(noisecut.card, "model_card", interrupted)  # written after model.npz and model.json
    for write in (lambda model: model.save(directory), lambda model: model.save_meta(directory)):
        model = make_constant_model({Label.BODY: 0.1, Label.NAV: 0.9})
        model.meta["name"] = "new"
        with pytest.raises(KeyboardInterrupt):
            write(model)
        assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
        assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no staging left behind
    np.testing.assert_allclose(Model.load(directory).predict_proba(PAGE[:1]), [[0.7, 0.3]])


def test_every_file_is_written_through_one_atomic_writer():
    """io/files.atomic_open is the one place a temporary file is renamed onto its target (item 16)."""
    from pathlib import Path

    import noisecut

    root = Path(noisecut.__file__).parents[1]
    writers = {path.relative_to(root).as_posix()
               for folder in ("noisecut", "training") for path in (root / folder).rglob("*.py")
               if any(call in path.read_text(encoding="utf-8") for call in ("os.replace(", "os.rename(", "mkstemp("))}
    assert writers == {"noisecut/io/files.py"}


def test_save_meta_rewrites_json_and_card_not_the_arrays(make_constant_model, tmp_path):
    directory = make_constant_model({Label.BODY: 0.7, Label.NAV: 0.3}).save(tmp_path / "m")
    arrays = (directory / ARRAYS).read_bytes()
    model = Model.load(directory)
    model.meta["presets"] = {"precision": 0.8, "recall": 0.3, "chosen_on": "a test"}
    model.save_meta(directory)
    assert (directory / ARRAYS).read_bytes() == arrays
    assert Model.load(directory).meta["presets"]["precision"] == 0.8  # the digest of model.npz still holds
    card = (directory / CARD).read_text(encoding="utf-8")
    assert "## Threshold presets" in card and ">= 0.8" in card and "a test" in card


def test_repr_names_the_model_not_its_arrays(model):
    """A pipeline's repr (NoiseCutTransformer(model=Model(...)), CleanBatch) printed every weight."""
    from noisecut.integrations.sklearn import NoiseCutTransformer

    text = repr(model)
    assert text.startswith(f"Model(name={model.meta.get('name')!r}, window, inputs=text, labels=body,")
    assert "array(" not in text and len(text) < 200
    assert "array(" not in repr(NoiseCutTransformer(model=model))
