"""Shared fixtures: one small model trained per session on ``labeled/``, and helpers.

The shipped model (``models/default``) may not exist, so tests never rely on
it: they train a small model once, save it to a temporary directory and pass
it explicitly.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading

# One thread per process for BLAS and PyTorch, set before numpy or torch loads (and
# inherited by the CLI's workers and Ray/Dask processes). On 2 shared cores their
# default thread pools oversubscribe: the CLI sequence-training test took minutes, not seconds.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from noisecut.features import feature_names
from noisecut.labels import Label
from noisecut.model import Model, Stage

REPO = Path(__file__).resolve().parent.parent
LABELED = REPO / "labeled"
# the shared data beside the repository (../shared); $NOISECUT_SHARED points elsewhere (e.g. from a worktree)
SHARED = Path(os.environ.get("NOISECUT_SHARED") or REPO.parent / "shared")
SHARED_SEEDS = SHARED / "seeds"


def needs_shared(path: Path, what: str) -> None:
    """Skip the calling test when ``path`` (data under ../shared) is absent; fail instead under ``CI=true``.

    CI must run the tests that read ../shared (the quality gate above all), so
    there a missing directory is an error, not a silent skip.
    """
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        return
    _skip_outside_ci(f"{what} is not present ({path})")


def needs_programs(*programs: str) -> None:
    """Skip the calling test when a program it runs (w3m, lynx: Debian packages) is not installed; fail under CI."""
    missing = [name for name in programs if shutil.which(name) is None]
    if missing:
        _skip_outside_ci(f"{' '.join(missing)} not installed (apt-get install {' '.join(missing)}; .ci/run does)")


def _skip_outside_ci(message: str) -> None:
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{message}: under CI=true a test that needs it fails instead of skipping", pytrace=False)
    pytest.skip(message)


def cleaned_around_a_pause(clean, docs: list, before: int) -> list[tuple[str, str]]:
    """``(id, text)`` of what ``clean`` (an engine taking the input) gives for ``docs`` read through ``ReadAhead``,
    as ``noisecut clean`` reads, from an input that pauses after ``before`` of them (``tail -f``): asserts
    that those ``before`` came out during the pause, before the input went on."""
    from noisecut.batching import ReadAhead

    go_on, resumed = threading.Event(), threading.Event()

    def stream():
        yield from docs[:before]
        go_on.wait(30)  # let go on below; only a failure waits this out
        resumed.set()
        yield from docs[before:]

    with ReadAhead(stream()) as read:
        results = clean(read)
        got = [(d.id, text) for d, text, _ in (next(results) for _ in range(before))]
        assert not resumed.is_set()
        go_on.set()
        return got + [(d.id, text) for d, text, _ in results]


# Ray's core worker aborts the process it runs in, now and then, when Ray Data cancels a
# task at the end of a run while the task's reply is on its way (a race in Ray itself;
# ray-project/ray#54798 fixed one path of it). A test process that died that way is run
# once more: the abort costs a retry, not the test run.
RAY_CORE_BUG = "You have likely discovered a bug in Ray"


def run_retrying_ray_abort(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(command)`` with its output captured as text, run once more when Ray aborted it."""
    for _ in range(2):
        result = subprocess.run(command, capture_output=True, text=True, **kwargs)
        if result.returncode == 0 or RAY_CORE_BUG not in result.stdout + result.stderr:
            break
    return result


def rendered_test_pages(renderer: str, dataset: str, count: int, edit_html=None) -> list[tuple[str, str]]:
    """(rendering, gold text) of the first ``count`` test-split pages of ``dataset``, each page's HTML
    passed through ``edit_html`` first when given. Needs ../shared/datasets."""
    needs_shared(SHARED / "datasets", "../shared/datasets")
    from training.datasets import gold_text, read_html
    from training.evaluate import split_pages
    from training.render import render

    return [(render(renderer, (edit_html or str)(read_html(page))), gold_text(page))
            for page in split_pages("test", [dataset], count)]


def mean_f1(pages: list[tuple[str, str]]) -> float:
    """The default model's text-level F1 against the gold, averaged over (text, gold) ``pages``."""
    from noisecut.cleaner import Cleaner
    from noisecut.scoring import text_scores

    cleaner = Cleaner()
    return float(np.mean([text_scores(cleaner.clean(text), gold).f1 for text, gold in pages]))


def single_thread():
    """Limit BLAS threads while fitting: on a busy machine oversubscription makes tiny fits 10x slower."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


@pytest.fixture(scope="session")
def fit_fast():
    """``noisecut.train.fit`` run single-threaded (fast for the tiny models of the tests)."""
    from noisecut.train import fit

    def run(*args, **kwargs):
        with single_thread():
            return fit(*args, **kwargs)

    return run


@pytest.fixture(scope="session")
def labeled_docs():
    """Every hand-labeled document of the repository."""
    from noisecut.labeled import read_all

    return read_all([LABELED])


@pytest.fixture(scope="session")
def trained(labeled_docs, tmp_path_factory):
    """A small two-stage MLP trained on ``labeled/``: (model, estimators, directory)."""
    from noisecut.train import fit, save_estimators

    with single_thread():
        model, estimators = fit(labeled_docs, hidden=(16,), max_iter=50)
    directory = tmp_path_factory.mktemp("model") / "small"
    model.save(directory)
    save_estimators(estimators, directory)
    return model, estimators, directory


@pytest.fixture(scope="session")
def model_dir(trained) -> Path:
    return trained[2]


@pytest.fixture(scope="session")
def model(model_dir) -> Model:
    """The session model as loaded from disk (what cleaning uses)."""
    return Model.load(model_dir)


@pytest.fixture(scope="session")
def cleaner(model):
    from noisecut import Cleaner

    return Cleaner(model)


@pytest.fixture
def seeds_dir() -> Path:
    """The shared seed documents; the test is skipped when they are absent (fails under CI=true)."""
    needs_shared(SHARED_SEEDS, "../shared/seeds")
    return SHARED_SEEDS


def constant_model(probabilities: dict[Label, float]) -> Model:
    """A model that gives every line the same probabilities (zero weights, log-probability biases)."""
    labels = tuple(probabilities)
    p = np.array([probabilities[label] for label in labels], dtype=np.float64)
    n = len(feature_names())
    stage = Stage(np.zeros(n), np.ones(n), [np.zeros((n, len(labels)))], [np.log(p)])
    return Model(labels, stage)


@pytest.fixture
def make_constant_model():
    return constant_model


@pytest.fixture(scope="session")
def constant_model_dir(tmp_path_factory) -> Path:
    """A saved model that scores every line body 0.9, nav 0.1 (keep score 0.9 everywhere)."""
    directory = tmp_path_factory.mktemp("constant") / "constant"
    constant_model({Label.BODY: 0.9, Label.NAV: 0.1}).save(directory)
    return directory


SITE_PAGES = 8  # pages of coast.example in ``site_frame``, then a page of another site and one with no URL


@pytest.fixture(scope="session")
def site_frame():
    """Records with a URL: ``SITE_PAGES`` pages of coast.example sharing ``texts.FUND_NOTE`` (which the session
    model keeps alone), then a page of another site and a page with no URL, each with the note too."""
    import pandas as pd

    from texts import FUND_NOTE, page

    rows = [{"url": f"https://coast.example/news/{n}", "text": page(n, FUND_NOTE)} for n in range(SITE_PAGES)]
    rows.append({"url": "https://elsewhere.example/a", "text": page(99, FUND_NOTE)})
    rows.append({"url": None, "text": page(98, FUND_NOTE)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def site_memory_file(site_frame, tmp_path_factory) -> Path:
    """The site memory `noisecut sites` writes for ``site_frame`` as JSONL (``sites.count_files``: what it runs)."""
    from noisecut.sites import count_files

    directory = tmp_path_factory.mktemp("sites")
    site_frame.to_json(directory / "crawl.jsonl", orient="records", lines=True)
    count_files([directory / "crawl.jsonl"]).save(directory / "sites.npz")
    return directory / "sites.npz"


def assert_site_memory_dropped_the_note(without: list[str], remembered: list[str]) -> None:
    """With the memory, ``site_frame``'s texts lose the note on the pages of its site, and only there."""
    from texts import FUND_NOTE

    assert len(without) == len(remembered) == SITE_PAGES + 2
    assert all(FUND_NOTE in text for text in without)  # the model alone keeps it
    assert remembered[:SITE_PAGES] == [text.replace(FUND_NOTE + "\n", "") for text in without[:SITE_PAGES]]
    assert remembered[SITE_PAGES:] == without[SITE_PAGES:]  # another site's single page, a page without URL
