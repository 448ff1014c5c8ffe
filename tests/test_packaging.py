"""The wheel: it ships the model as package data, installs no ``training`` package, and
works wherever it is installed (``pip install --target DIR`` + ``PYTHONPATH=DIR``)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from noisecut import Cleaner
from noisecut.model import default_model_dir

from texts import P1, P2, P3

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "models" / "default"
PAGE = "\n".join(["Home | News | Sport | Weather", P1, "Share this article", P2, P3, "© 2025 Example News"]) + "\n"

# setuptools 70.1 builds wheels without the `wheel` package (the test extras require it)
pytest.importorskip("setuptools", minversion="70.1", reason="building the wheel offline needs setuptools>=70.1 here")


def run(args, cwd, pythonpath=None, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NOISECUT_MODEL")}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (SHIPPED / "model.json").exists():
        pytest.skip("models/default is not in this checkout")
    out = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
                 "--quiet", "-w", str(out), str(REPO)], cwd=out)
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("noisecut-*.whl")
    return path


@pytest.fixture(scope="module")
def target(wheel, tmp_path_factory) -> Path:
    """``pip install --target DIR`` of the wheel (what a bundler or a Lambda layer does)."""
    directory = tmp_path_factory.mktemp("target")
    installed = run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                     "--target", str(directory), str(wheel)], cwd=directory)
    assert installed.returncode == 0, installed.stderr
    return directory


def test_wheel_ships_the_model_and_every_module_and_no_training_package(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in ("model.npz", "model.json", "MODEL_CARD.md"):
            assert z.read(f"noisecut/_models/default/{name}") == (SHIPPED / name).read_bytes()
            for model in (REPO / "models").iterdir():  # every shipped model (models/html beside the default)
                if (model / "model.json").exists():
                    assert z.read(f"noisecut/_models/{model.name}/{name}") == (model / name).read_bytes()
        top_level = z.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode().split()
    assert top_level == ["noisecut"]
    assert not [n for n in names if n.startswith(("training/", "models/", "tests/")) or ".data/data/" in n]
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "noisecut").rglob("*.py")}
    assert modules and modules <= names, sorted(modules - names)  # a new subpackage must be listed in setup.cfg


def test_target_install_cleans_with_the_shipped_model(target, tmp_path):
    """Run from elsewhere with only the --target directory on the path: the model is found in it."""
    (tmp_path / "page.txt").write_text(PAGE, encoding="utf-8")
    where = run([sys.executable, "-c", "import noisecut.model as m; print(m.__file__); print(m.default_model_dir())"],
                cwd=tmp_path, pythonpath=target)
    module, model = where.stdout.split("\n")[:2]
    assert Path(module).is_relative_to(target) and Path(model) == target / "noisecut" / "_models" / "default", where.stderr
    cleaned = run([sys.executable, "-m", "noisecut.cli", "clean", "-q", "page.txt"], cwd=tmp_path, pythonpath=target)
    assert cleaned.returncode == 0, cleaned.stderr
    expected = Cleaner(default_model_dir()).clean(PAGE)
    assert P1 in expected and "Share this article" not in expected  # the shipped model, not a stand-in
    assert cleaned.stdout == expected


def test_target_install_cleans_a_page_with_its_html_model(target, tmp_path):
    """HTML input with no model named: the wheel's own HTML model (``noisecut/_models/html``)."""
    pytest.importorskip("html_text")
    if not (REPO / "models" / "html" / "model.json").exists():
        pytest.skip("models/html is not in this checkout")
    from noisecut.cleaner import explain_table
    from noisecut.io.html import render_document

    paragraphs = "".join(f"<p>{line}</p>" for line in PAGE.splitlines() if line.strip())
    html = f"<!doctype html><html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>{paragraphs}</article></body></html>"
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    cleaned = run([sys.executable, "-m", "noisecut.cli", "clean", "-q", "page.html"], cwd=tmp_path, pythonpath=target)
    explained = run([sys.executable, "-m", "noisecut.cli", "clean", "-q", "--explain", "page.html"], cwd=tmp_path, pythonpath=target)
    assert cleaned.returncode == explained.returncode == 0, cleaned.stderr + explained.stderr
    doc = render_document(html)
    assert cleaned.stdout == Cleaner("html").clean_document(doc) and P1 in cleaned.stdout
    html_model, text_model = (explain_table(Cleaner(name).classify(doc)) for name in ("html", "default"))
    assert explained.stdout == html_model != text_model  # labels and probabilities are the HTML model's


def test_target_install_has_no_training_code_and_import_gold_says_so(target, tmp_path):
    result = run([sys.executable, "-m", "noisecut.cli", "import-gold", str(tmp_path), "-o", str(tmp_path / "out")],
                 cwd=tmp_path, pythonpath=target)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: import-gold runs training/ from a source checkout, which this install lacks: "
        "clone noisecut and pip install -e '.[training]'"
    ]
    assert not (target / "training").exists() and not (tmp_path / "out").exists()


def test_checkout_finds_training_code_without_it_on_the_path(tmp_path):
    """An editable install maps the noisecut package only; import-gold still finds training/ beside it."""
    pytest.importorskip("trafilatura", reason="training.build_corpus needs the training extras")
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "noisecut").symlink_to(REPO / "noisecut")
    result = run([sys.executable, "-c", "from noisecut.cli import _training_build; f = _training_build(); print(f.__module__)"],
                 cwd=tmp_path, pythonpath=tmp_path / "path")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "training.build_corpus"


def requirements(wheel, extra: str) -> set[str]:
    """The distribution names an extra adds, from the wheel's METADATA."""
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    lines = [line.split(":", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    return {re.split(r"[\s\[<>=;!~]", line.strip())[0].lower() for line in lines if f'extra == "{extra}"' in line}


def test_extras_install_what_their_code_and_docs_need(wheel):
    assert {"dask", "pyarrow"} <= requirements(wheel, "dask")  # dask.dataframe reads and writes with pyarrow
    test = requirements(wheel, "test")
    assert {"pytest", "hypothesis", "pyarrow", "warcio", "ray", "dask", "trafilatura"} <= test
    html = requirements(wheel, "html")  # the renderers --renderer offers, and charset guessing
    assert {"html-text", "inscriptis", "charset-normalizer"} <= html <= test
    # A bare torch requirement pulls a CUDA build of several GB: CI installs the CPU build itself
    assert "torch" not in test and "torch" in requirements(wheel, "sequence")
