"""Every example in README.md and docs/*.md runs as written.

Each fenced ```python or ```bash block of those files is one test. It runs in a
new process (``python example.py`` / ``bash -e example.sh``) in a scratch
directory holding the files the examples name (``page.txt``, ``crawl.jsonl.gz``,
``labeled/``, ...; see ``workdir``), with the shipped model. A python block runs
after the first python block of its file (where the examples set up their
data). A block that cannot run in a test (an install, an hour of training) is
preceded by a line ``<!-- not run: REASON -->``; a block whose imports are not
installed is skipped with their names. ```text blocks are samples of output,
checked against real output below.

Adding an example to the docs needs nothing here: it is found and run.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_retrying_ray_abort
from texts import P1, P2, P3

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUN = ("python", "bash")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.+?)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")
PAGE = "\n".join(["Home | News | Sport | Weather", "Library hours extended", P1, "Share this article", P2, P3,
                  "© 2025 Example News. All rights reserved."]) + "\n"
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "000_4cb74e48037637c9.txt"


def fenced_blocks(path: Path) -> list[dict]:
    """The fenced blocks of a Markdown file: language, code, first line number, reason not to run."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        reason = NOT_RUN.search(previous)
        blocks.append({"language": opening.group(1), "code": "\n".join(lines[i + 1:end]) + "\n", "line": i + 1,
                       "not_run": reason.group(1) if reason else None, "path": path})
        i = end + 1
    return blocks


EXAMPLES = [b for path in DOCS for b in fenced_blocks(path) if b["language"] in RUN]


def missing_imports(code: str) -> list[str]:
    names = re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", code, flags=re.M)
    return sorted({n for n in names if importlib.util.find_spec(n) is None})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A directory with the files the examples name, beside ``shared`` as a checkout is."""
    root = tmp_path_factory.mktemp("docs")
    work = root / "work"
    work.mkdir()
    if SHARED.is_dir():
        (root / "shared").symlink_to(SHARED)
    (work / "page.txt").write_text(PAGE, encoding="utf-8")
    shutil.copytree(REPO / "labeled", work / "labeled")  # a copy: an example may write there
    written = sorted((REPO / "labeled" / "written").glob("*.lines"))
    for name, files in (("my-labels", written[:2]), ("held-out", written[2:4])):
        (work / name).mkdir()
        for f in files:
            shutil.copy(f, work / name)
    (work / "models").mkdir()
    for name in ("default", "fast"):
        (work / "models" / name).symlink_to(REPO / "models" / name)
    records = [{"id": i, "text": text} for i, text in enumerate([PAGE, P1 + "\n", "Advertisement\n" + P2 + "\n"])]
    with gzip.open(work / "crawl.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    if importlib.util.find_spec("pyarrow"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"id": [r["id"] for r in records], "text": [r["text"] for r in records]}),
                       work / "data.parquet")
    if importlib.util.find_spec("warcio"):
        from warcio.warcwriter import WARCWriter

        with open(work / "CC-MAIN-…warc.wet.gz", "wb") as f:  # the name the README uses
            writer = WARCWriter(f, gzip=True)
            for r in records:
                payload = r["text"].encode("utf-8")
                writer.write_record(writer.create_warc_record(
                    f"https://example.com/{r['id']}", "conversion", payload=__import__("io").BytesIO(payload),
                    length=len(payload), warc_content_type="text/plain"))
    return work


def run_example(block: dict, workdir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NOISECUT_MODEL"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if block["language"] == "python":
        setup = next(b for b in EXAMPLES if b["path"] == block["path"] and b["language"] == "python")
        code = block["code"] if setup is block else setup["code"] + "\n" + block["code"]
        script, command = workdir / "example.py", [sys.executable, "example.py"]
    else:
        code = block["code"]
        script, command = workdir / "example.sh", ["bash", "-e", "-o", "pipefail", "example.sh"]
    script.write_text(code, encoding="utf-8")
    return run_retrying_ray_abort(command, cwd=workdir, env=env, timeout=600, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("block", EXAMPLES, ids=[f"{b['path'].relative_to(REPO)}:{b['line']}" for b in EXAMPLES])
def test_example_runs_as_written(block, workdir):
    if block["not_run"]:
        pytest.skip(f"not run: {block['not_run']}")
    missing = missing_imports(block["code"])
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, not installed")
    if "../shared" in block["code"] and not SHARED.is_dir():
        pytest.skip("../shared is not available")
    result = run_example(block, workdir)
    assert result.returncode == 0, f"{block['path'].name}:{block['line']} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


def test_examples_are_found_and_every_exemption_says_why():
    readme = [b for b in EXAMPLES if b["path"].name == "README.md"]
    assert len(readme) >= 5 and any(b["path"].name == "pipelines.md" for b in EXAMPLES)
    for path in DOCS:  # a marker must sit right above a fence, or it exempts nothing
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if NOT_RUN.search(line):
                following = next(x for x in lines[number + 1:] if x.strip())
                assert FENCE.match(following), f"{path.name}:{number + 1}: '<!-- not run -->' is not above a code block"


def test_readme_test_command_is_what_ci_runs():
    """The README's test line is one line of .ci/run, word for word."""
    (command,) = [b["code"].strip() for b in EXAMPLES
                  if b["path"].name == "README.md" and "pytest" in b["code"]]
    assert "\n" not in command and "pytest" in command
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def excerpt_matches(sample: str, real: list[str]) -> bool:
    """``sample`` is ``real`` with runs of lines replaced by a line "…": every other line
    equals a real one (trailing spaces aside), in order, adjacent unless "…" separates them."""
    real = [line.rstrip() for line in real]
    position, gap = 0, True  # the sample may start anywhere
    for line in sample.splitlines():
        if line.strip() == "…":
            gap = True
            continue
        found = [i for i in range(position, len(real)) if real[i] == line.rstrip()]
        if not found or (not gap and found[0] != position):
            return False
        position, gap = found[0] + 1, False
    return True


def test_excerpt_matching_sees_changed_missing_and_moved_lines():
    real = ["a", "b", "c", "d"]
    assert excerpt_matches("a\nb\n…\nd\n", real) and excerpt_matches("…\nc\n", real)
    assert not excerpt_matches("a\nc\n", real)  # a line left out without "…"
    assert not excerpt_matches("a\nb2\n", real) and not excerpt_matches("c\n…\na\n", real)


def readme_samples() -> list[str]:
    return [b["code"] for b in fenced_blocks(REPO / "README.md") if b["language"] == "text"]


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip("../shared/seeds is not available")
    return SEED.read_text(encoding="utf-8")


def test_readme_before_and_after_are_the_real_seed_and_output(seed_text):
    from noisecut import Cleaner

    before, after, explained = readme_samples()[:3]
    assert excerpt_matches(before, seed_text.splitlines())
    cleaned = Cleaner().clean(seed_text).splitlines()
    assert cleaned[-len(after.splitlines()):] == after.splitlines()  # "output ends with the article"


def test_readme_explain_sample_is_real_output(seed_text, tmp_path):
    from click.testing import CliRunner

    from noisecut.cli import main

    explained = readme_samples()[2]
    assert explained.startswith(("+ ", "- ", "…"))
    result = CliRunner().invoke(main, ["clean", "--explain", "-q", str(SEED)])
    assert result.exit_code == 0, result.output
    assert excerpt_matches(explained, result.stdout.splitlines()), explained


TROUBLESHOOTING_MESSAGE = re.compile(r"\*\*``(.+?) ?``\*\*|\*\*`([^`]+?)`\*\*")  # **`message`**, or **``a `b` c``**


def troubleshooting_messages(text: str) -> list[str]:
    return [double or single for double, single in TROUBLESHOOTING_MESSAGE.findall(text)]


def test_readme_troubleshooting_lists_the_messages_docs_troubleshooting_explains():
    """Two lists of every CLI message, a short one and one with causes: the same messages."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    short = troubleshooting_messages(readme[readme.index("\n## Troubleshooting"):])
    explained = troubleshooting_messages((REPO / "docs" / "troubleshooting.md").read_text(encoding="utf-8"))
    assert len(short) > 80
    assert [m for m in short if m not in explained] == [] and [m for m in explained if m not in short] == []


ERROR_CALLS = {"NoiseCutError", "UsageError", "ClickException", "LabeledFormatError", "BadParameter"}
# raised only through the Python API, never by the command line
API_ONLY = {"markup features need lxml: pip install 'noisecut[html]", "members must be at least 1, not",
            # distillation: reached through fit() and python -m training.train_default, never the noisecut command
            "distill weighs a teacher's probabilities: give the teacher too", "only a sequence model can be distilled from a teacher",
            "distill is a share from 0 to 1, not", "the teacher must be a sequence model (window stages cannot be distilled from",
            "that the training documents lack", "inputs per line, the model trained"}


def raised_messages(path: Path) -> list[tuple[int, str]]:
    """(line, longest fixed part) of every error message ``path`` raises with a literal or f-string."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        message = node.args[0]
        if name not in ERROR_CALLS or not isinstance(message, (ast.Constant, ast.JoinedStr)):
            continue
        parts = [message] if isinstance(message, ast.Constant) else message.values
        fixed = [p.value.strip(" :;()'") for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)]
        if fixed:
            found.append((node.lineno, max(fixed, key=len)))
    return found


def test_every_command_line_error_message_is_in_docs_troubleshooting():
    """Each message the CLI can raise (its longest fixed part, between the varying ones) is explained."""
    explained = (REPO / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    sources = [p for p in sorted((REPO / "noisecut").rglob("*.py")) if "integrations" not in p.parts]  # Python API
    sources.append(REPO / "training" / "build_corpus.py")  # behind `noisecut import-gold`
    assert sum(len(raised_messages(REPO / "noisecut" / "io" / name)) for name in ("pipeline.py", "files.py")) > 10
    missing = [f"{path.relative_to(REPO)}:{line}: {fixed!r}" for path in sources for line, fixed in raised_messages(path)
               if fixed not in explained and fixed not in API_ONLY]
    assert missing == []
