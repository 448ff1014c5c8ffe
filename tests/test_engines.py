"""CleanBatch on real engines: a local Ray cluster, a Dask LocalCluster, Spark.

Each engine runs several worker processes and must give exactly what one
process gives with ``Cleaner.clean``. Select these with ``-m engines`` (or
skip them with ``-m "not engines"``). Each cluster starts once for its class
of tests and stops before the next engine starts, so that two clusters never
share CI's two cores.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from noisecut import NoiseCutError
from noisecut.integrations.batch import CleanBatch
from noisecut.parallel import CHUNK_DOCS

from conftest import assert_site_memory_dropped_the_note, cleaned_around_a_pause, run_retrying_ray_abort

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reporting from the test cluster

pytestmark = pytest.mark.engines

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
N_DOCS = 50


def corpus(n: int = N_DOCS) -> list[str]:
    """~50 real documents: the seed texts repeated with variations (built texts where seeds are absent)."""
    bases = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] if SEEDS.is_dir() else []
    if not bases:
        paragraph = "The ministers met on Wednesday and discussed trade, energy and security in detail, officials said."
        bases = [f"Home | World | Sport\n\nTalks in the capital {i}\n\n{paragraph}\n{paragraph} ({i})\n\nShare this\nAdvertisement\n" for i in range(5)]
    docs = []
    for i in range(n):
        lines = bases[i % len(bases)].splitlines()
        variant = [f"Updated {i % 12 + 1} April 2021, report {i}"] + lines
        if i % 3 == 0:
            variant.insert(len(variant) // 2, "Read More: more coverage of the visit")
        if i % 4 == 1:
            variant.append("Comments")
        docs.append("\n".join(variant) + "\n")
    return docs


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    docs = corpus()
    return pd.DataFrame({"id": np.arange(len(docs)), "text": docs, "site": [f"site-{i % 5}" for i in range(len(docs))]})


@pytest.fixture(scope="module")
def expected(frame, cleaner) -> list[str]:
    return [cleaner.clean(text) for text in frame["text"]]


def by_id(out: pd.DataFrame) -> pd.DataFrame:
    return out.sort_values("id").reset_index(drop=True)


# -- Ray ---------------------------------------------------------------------


@pytest.fixture(scope="class")
def ray_cluster():
    """A real local Ray cluster (worker processes, not local mode) for the class."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, object_store_memory=256 * 1024**2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    bars, context.enable_progress_bars = context.enable_progress_bars, False
    yield ray
    context.enable_progress_bars = bars
    if started:
        ray.shutdown()


# Ray's core worker can abort the process it runs in (conftest.RAY_CORE_BUG), so the
# Ray tests run in a child pytest, run once more when it died that way.
IN_RAY_CHILD = os.environ.get("NOISECUT_RAY_CHILD") == "1"


@pytest.mark.skipif(IN_RAY_CHILD, reason="this is the child")
def test_ray_tests_pass_in_a_child_process():
    pytest.importorskip("ray.data")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::TestRay"]
    result = run_retrying_ray_abort(command, cwd=Path(__file__).parents[1],
                                    env={**os.environ, "NOISECUT_RAY_CHILD": "1"}, timeout=1200)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout, result.stdout[-2000:]


@pytest.mark.skipif(not IN_RAY_CHILD, reason="runs in a child process (test_ray_tests_pass_in_a_child_process); "
                                              "NOISECUT_RAY_CHILD=1 runs it here")
@pytest.mark.usefixtures("ray_cluster")
class TestRay:
    def test_map_batches_with_an_actor_pool(self, ray_cluster, model_dir, frame, expected):
        ray = ray_cluster
        ds = ray.data.from_pandas([frame.iloc[i::4] for i in range(4)])  # four blocks for two actors
        out = ds.map_batches(
            CleanBatch,
            fn_constructor_kwargs={"model": str(model_dir), "output_column": "clean"},
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=2),  # `concurrency=2` before Ray 2.51
        ).to_pandas()
        out = by_id(out)
        assert out["clean"].tolist() == expected
        assert out["text"].tolist() == frame["text"].tolist()
        assert out["site"].tolist() == frame["site"].tolist()

    def test_clean_with_ray_jsonl_in_and_out_with_labels(self, model_dir, frame, expected, cleaner, tmp_path):
        from noisecut.integrations.ray import clean_with_ray

        source = tmp_path / "in.jsonl"
        with source.open("w", encoding="utf-8") as f:
            for row in frame.to_dict("records"):
                f.write(json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}) + "\n")
        written = clean_with_ray(source, tmp_path / "out", output_format="jsonl", model=model_dir, labels_column="labels", concurrency=2)
        rows = [json.loads(line) for path in sorted(written.iterdir()) for line in path.open(encoding="utf-8")]
        out = by_id(pd.DataFrame(rows))
        assert out["text"].tolist() == expected
        assert out["site"].tolist() == frame["site"].tolist()
        assert out["labels"].iloc[0] == [r.label.value if r.label else None for r in cleaner.classify(frame["text"].iloc[0])]

    def test_clean_with_ray_text_files_to_one_file_in_input_order(self, model_dir, frame, cleaner, tmp_path):
        from noisecut.integrations.ray import clean_with_ray

        raw = [text.encode() for text in frame["text"].iloc[:8]]
        raw[3] = raw[3].replace(b"April", b"Avril \xe9t\xe9")  # invalid UTF-8 comes back byte for byte
        paths = []
        for i, data in enumerate(raw):
            paths.append(tmp_path / f"page{i}.txt")
            paths[-1].write_bytes(data)
        order = [5, 0, 7, 3, 1, 6, 2, 4]
        out = clean_with_ray([paths[i] for i in order], tmp_path / "clean.txt", model=model_dir)
        cleaned = [cleaner.clean_bytes(raw[i]) for i in order]
        # documents follow each other, each on lines of its own, as with `noisecut clean -o`
        assert out.read_bytes() == b"".join(c if c.endswith(b"\n") or c is cleaned[-1] else c + b"\n" for c in cleaned if c)

    def test_clean_with_ray_dataframe_and_parquet(self, ray_cluster, model_dir, frame, expected, tmp_path):
        from noisecut.integrations.ray import clean_with_ray

        assert isinstance(clean_with_ray(frame, model=model_dir), ray_cluster.data.Dataset)  # lazy: nothing runs
        frame.to_parquet(tmp_path / "in.parquet")
        clean_with_ray(tmp_path / "in.parquet", tmp_path / "out.parquet", model=model_dir, output_column="clean")
        out = by_id(pd.read_parquet(tmp_path / "out.parquet"))
        assert out["clean"].tolist() == expected
        assert out["text"].tolist() == frame["text"].tolist()

    def test_site_memory_on_the_actors(self, ray_cluster, model_dir, site_frame, site_memory_file, tmp_path):
        """By map_batches (each actor loads the file once) and clean_with_ray (loaded in the driver, shipped)."""
        from noisecut.integrations.ray import clean_with_ray

        ray = ray_cluster
        records = site_frame.assign(id=np.arange(len(site_frame)))
        without = CleanBatch(model=str(model_dir))(site_frame)["text"].tolist()
        mapped = ray.data.from_pandas([records.iloc[i::2] for i in range(2)]).map_batches(
            CleanBatch,
            fn_constructor_kwargs={"model": str(model_dir), "output_column": "clean", "site_memory": str(site_memory_file)},
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=2),
        ).to_pandas()
        assert_site_memory_dropped_the_note(without, by_id(mapped)["clean"].tolist())
        cleaned = clean_with_ray(records, model=model_dir, site_memory=site_memory_file, output_column="clean", concurrency=2)
        assert_site_memory_dropped_the_note(without, by_id(cleaned.to_pandas())["clean"].tolist())
        (tmp_path / "page.txt").write_text(site_frame["text"][0], encoding="utf-8")
        with pytest.raises(NoiseCutError, match="no column 'url'.*text files have none"):
            clean_with_ray([tmp_path / "page.txt"], model=model_dir, site_memory=site_memory_file)

    def test_worker_errors_come_back_as_noisecut_errors(self, model_dir, tmp_path):
        from noisecut.integrations.ray import clean_with_ray

        with pytest.raises(NoiseCutError, match="column 'text', index 1: expected str or bytes, got int"):
            clean_with_ray(pd.DataFrame({"text": ["fine", 7]}), tmp_path / "out.txt", model=model_dir, concurrency=1)
        assert not (tmp_path / "out.txt").exists()
        with pytest.raises(NoiseCutError, match="no column 'body'"):
            clean_with_ray(pd.DataFrame({"text": ["x"]}), model=model_dir, text_column="body")
        with pytest.raises(NoiseCutError, match="no such model"):
            clean_with_ray(pd.DataFrame({"text": ["x"]}), model=tmp_path / "missing")

    def test_documents_read_before_a_reading_error_come_out_first(self, model_dir, frame, expected):
        """As with the local engine (test_parallel): a reader that fails after two chunks and a bit (a bad
        record under --on-error stop) has the documents read before it cleaned and handed on, in order,
        then the error; so stdout gets the same documents from both engines."""
        from noisecut.document import Document
        from noisecut.integrations.ray import ray_engine
        from noisecut.parallel import CHUNK_DOCS, CleanerSpec, Output

        texts = (list(frame["text"]) * 3)[:2 * CHUNK_DOCS + 5]
        answers = (expected * 3)[:len(texts)]

        def stream():
            yield from (Document.from_text(text, str(i)) for i, text in enumerate(texts))
            raise NoiseCutError("data.jsonl: record 99: invalid JSON")

        got = []
        with pytest.raises(NoiseCutError, match="record 99: invalid JSON"):
            for doc, text, _ in ray_engine(quiet=True)(stream(), CleanerSpec(str(model_dir)), 2, Output()):
                got.append((doc.id, text))
        assert got == [(str(i), answer) for i, answer in enumerate(answers)]

    @pytest.mark.parametrize("before", [5, 2 * CHUNK_DOCS + 5], ids=["part-of-a-chunk", "chunks-in-flight"])
    def test_documents_read_before_a_pause_come_out_before_it_ends(self, model_dir, frame, expected, before):
        """As with the local engine (test_parallel): a slow input (``tail -f``, read through ``ReadAhead`` as
        ``noisecut clean`` reads) has the documents read before it pauses cleaned by the actors and handed on
        during the pause, in order. Before, they waited for a full chunk of 64, and for the chunks in flight."""
        from noisecut.document import Document
        from noisecut.integrations.ray import ray_engine
        from noisecut.parallel import CleanerSpec, Output

        texts = (list(frame["text"]) * 3)[:before + 3]
        docs = [Document.from_text(text, str(i)) for i, text in enumerate(texts)]
        got = cleaned_around_a_pause(lambda read: ray_engine(quiet=True)(read, CleanerSpec(str(model_dir)), 2, Output()),
                                     docs, before)
        assert got == [(str(i), answer) for i, answer in enumerate((expected * 3)[:len(texts)])]

    def test_cli_engine_ray_slow_input_comes_out_as_it_comes(self, ray_cluster, model_dir, frame, tmp_path):
        """`tail -f crawl.jsonl | noisecut clean --engine ray -I jsonl`: each record's output comes while stdin is
        still open, before the next record is written (test_cli_formats.test_slow_input_comes_out_as_it_comes for
        the local engine), and the output is the local engine's. The command joins this class's cluster."""
        import queue

        rows = [{"id": f"doc-{i}", "text": text} for i, text in enumerate(frame["text"].iloc[:3])]
        env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # stdout as users have it
        address = ray_cluster.get_runtime_context().gcs_address
        proc = subprocess.Popen([sys.executable, "-m", "noisecut.cli", "clean", "-m", str(model_dir), "--engine", "ray",
                                 "--address", address, "-j", "1", "-I", "jsonl", "-q"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in iter(proc.stdout.readline, b"")], daemon=True).start()
        got = []
        try:
            for row in rows:
                proc.stdin.write(json.dumps(row).encode() + b"\n")
                proc.stdin.flush()
                try:
                    got.append(lines.get(timeout=60))  # a few seconds for the first (the actor starts); only a failure waits this out
                except queue.Empty:
                    pytest.fail(f"no output 60 s after record {row['id']} was written")
                assert json.loads(got[-1])["id"] == row["id"]
            proc.stdin.close()
            assert proc.wait(timeout=60) == 0, proc.stderr.read()
        finally:
            proc.kill()
        src = tmp_path / "in.jsonl"
        src.write_bytes(b"".join(json.dumps(row).encode() + b"\n" for row in rows))
        local = subprocess.run([sys.executable, "-m", "noisecut.cli", "clean", "-m", str(model_dir), "-q", str(src)],
                               capture_output=True, timeout=120)
        assert b"".join(got) == local.stdout

    def test_cli_engine_ray_cleans_with_the_site_memory_as_the_local_engine_does(self, model_dir, site_frame,
                                                                                site_memory_file, tmp_path):
        """--site-memory on the actors: the local engine's bytes, the site's note dropped, for records (each
        one's URL travels to its actor) and a directory of text files (each one's id: its site); a memory
        that knows none of the inputs' sites gives the same note on both engines."""
        from click.testing import CliRunner

        from noisecut.cli import main
        from noisecut.sites import count_files

        records = tmp_path / "crawl.jsonl"
        site_frame.to_json(records, orient="records", lines=True)
        pages = tmp_path / "pages"
        for n, (url, text) in enumerate(zip(site_frame["url"], site_frame["text"])):
            path = pages / ("coast" if isinstance(url, str) and "coast" in url else "other") / f"{n}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        count_files([pages]).save(tmp_path / "pages.npz")
        runner = CliRunner()

        def clean(engine, *args):
            result = runner.invoke(main, ["clean", "-m", str(model_dir), "--engine", engine, "-j", "2", *map(str, args)],
                                   catch_exceptions=False)
            assert result.exit_code == 0, (engine, result.stderr)
            return result

        def texts(path):
            return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]

        clean("local", "-q", records, "-o", tmp_path / "without.jsonl")
        for engine in ("local", "ray"):
            clean(engine, "-q", "--site-memory", site_memory_file, records, "-o", tmp_path / f"{engine}.jsonl")
            clean(engine, "-q", "--site-memory", tmp_path / "pages.npz", pages, "-o", tmp_path / engine)
        assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
        assert_site_memory_dropped_the_note(texts(tmp_path / "without.jsonl"), texts(tmp_path / "ray.jsonl"))
        mirrored = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*.txt"))
        assert mirrored == sorted(p.relative_to(tmp_path / "ray") for p in (tmp_path / "ray").rglob("*.txt"))
        assert all((tmp_path / "ray" / p).read_bytes() == (tmp_path / "local" / p).read_bytes() for p in mirrored)
        assert (tmp_path / "ray" / "coast" / "0.txt").read_text(encoding="utf-8") == texts(tmp_path / "ray.jsonl")[0]

        def note(engine):  # the memory counted by directory knows none of the records' hosts
            stderr = clean(engine, "--site-memory", tmp_path / "pages.npz", records, "-o", tmp_path / f"{engine}-note.jsonl").stderr
            return [line for line in stderr.splitlines() if "the site memory has none of these documents' sites" in line]

        assert len(note("local")) == 1 and note("ray") == note("local")

    def test_a_site_expert_hands_other_sites_text_to_the_default_model_on_ray_too(self, tmp_path, monkeypatch):
        """On Ray's actors a site expert tuned from -m fast hands other sites' text to the default model, as locally."""
        from test_site_expert import COURIER, GAZETTE, expert_tuned_from_fast, page, random_stage, text_of

        from noisecut import Cleaner
        from noisecut.document import Document
        from noisecut.integrations.ray import ray_engine
        from noisecut.parallel import CleanerSpec, Output

        monkeypatch.delenv("NOISECUT_MODEL", raising=False)
        expert_tuned_from_fast(random_stage(0)).save(tmp_path / "expert")
        docs = [Document.from_text("\n".join(text_of(page(GAZETTE if n % 2 else COURIER, n))), str(n)) for n in range(12)]
        local = list(Cleaner(tmp_path / "expert").clean_documents(docs))
        assert local[0] == Cleaner("default").clean_document(docs[0]) and local[1] != local[0]
        remote = [text for _, text, _ in ray_engine(quiet=True)(iter(docs), CleanerSpec(str(tmp_path / "expert")), 2, Output())]
        assert remote == local

    def test_cli_engine_ray_writes_what_the_local_engine_writes(self, model_dir, frame, tmp_path):
        from click.testing import CliRunner

        from noisecut.cli import main

        src = tmp_path / "in"
        (src / "pages").mkdir(parents=True)
        with (src / "docs.jsonl").open("w", encoding="utf-8") as f:
            for row in frame.to_dict("records"):
                f.write(json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}) + "\n")
        for i, text in enumerate(frame["text"].iloc[:6]):
            (src / "pages" / f"{i}.txt").write_text(text.rstrip("\n"), encoding="utf-8")  # no final line break
        runner = CliRunner()

        def clean(engine, *args):
            result = runner.invoke(main, ["clean", "-m", str(model_dir), "-q", "--engine", engine, "-j", "2", *map(str, args)],
                                   catch_exceptions=False)
            return result

        cases = [  # (inputs, output name): a file stays a file, a directory mirrors into a directory
            ([src / "docs.jsonl"], "clean.jsonl"),
            ([src / "docs.jsonl"], "clean.wet.gz"),
            ([src / "pages"], "mirror"),
            (sorted((src / "pages").glob("*.txt")), "pages.txt"),
        ]
        for inputs, name in cases:
            (tmp_path / "local").mkdir(exist_ok=True)
            (tmp_path / "ray").mkdir(exist_ok=True)
            local, remote = clean("local", *inputs, "-o", tmp_path / "local" / name), clean("ray", *inputs, "-o", tmp_path / "ray" / name)
            assert local.exit_code == remote.exit_code == 0 and remote.stderr == "", (name, remote.stderr)
            written = tmp_path / "local" / name
            for path in [written, *sorted(written.rglob("*"))]:
                twin = tmp_path / "ray" / path.relative_to(tmp_path / "local")
                assert path.is_dir() == twin.is_dir(), twin
                if path.is_file():
                    assert wet_payloads(twin) == wet_payloads(path) if name.endswith(".wet.gz") else twin.read_bytes() == path.read_bytes(), twin
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes((src / "docs.jsonl").read_bytes() + b"{oops\n")
        result = clean("ray", bad, "-o", tmp_path / "ray" / "bad.jsonl")
        assert result.exit_code == 1 and result.stderr == f"Error: {bad}: record {len(frame) + 1}: invalid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))\n"
        assert not (tmp_path / "ray" / "bad.jsonl").exists()


def wet_payloads(path: Path) -> list[tuple]:
    """A WET file's records without what each write makes anew (record ids, the warcinfo's date)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read()) for r in ArchiveIterator(f)]


def test_cli_engine_ray_quiet_prints_nothing(model_dir, tmp_path):
    """Its own local cluster (the class's is stopped by now): Ray's start-up lines are what -q must silence."""
    pytest.importorskip("ray")
    src = tmp_path / "page.txt"
    src.write_text(corpus(1)[0], encoding="utf-8")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    run = [sys.executable, "-m", "noisecut.cli", "clean", "-m", str(model_dir), "--engine", "ray", "-j", "1", str(src)]
    quiet = subprocess.run([*run, "-q"], capture_output=True, env=env, timeout=300)
    local = subprocess.run([sys.executable, "-m", "noisecut.cli", "clean", "-m", str(model_dir), "-q", str(src)], capture_output=True, env=env)
    assert quiet.returncode == 0 and quiet.stderr == b"" and quiet.stdout == local.stdout


# -- Dask --------------------------------------------------------------------


@pytest.fixture(scope="class")
def dask_client():
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.mark.usefixtures("dask_client")
class TestDask:
    def test_map_partitions(self, model_dir, frame, expected):
        import dask.dataframe as dd

        clean = CleanBatch(model=str(model_dir), output_column="clean", labels_column="labels")
        ddf = dd.from_pandas(frame, npartitions=4)
        out = by_id(ddf.map_partitions(clean, meta=clean.meta(ddf)).compute())
        assert out["clean"].tolist() == expected
        assert out["text"].tolist() == frame["text"].tolist()
        assert all(len(labels) == len(text.splitlines()) for text, labels in zip(out["text"], out["labels"]))

    def test_map_partitions_with_a_site_memory(self, model_dir, site_frame, site_memory_file):
        import dask.dataframe as dd

        clean = CleanBatch(model=str(model_dir), output_column="clean", site_memory=site_memory_file)
        ddf = dd.from_pandas(site_frame.assign(id=np.arange(len(site_frame))), npartitions=3)
        out = by_id(ddf.map_partitions(clean, meta=clean.meta(ddf)).compute())
        assert_site_memory_dropped_the_note(CleanBatch(model=str(model_dir))(site_frame)["text"].tolist(), out["clean"].tolist())

    def test_map_partitions_overwriting_the_text_without_meta(self, model_dir, frame, expected):
        import dask.dataframe as dd

        ddf = dd.from_pandas(frame, npartitions=3)
        out = by_id(ddf.map_partitions(CleanBatch(model=str(model_dir))).compute())
        assert out["text"].tolist() == expected


# -- Spark -------------------------------------------------------------------


@pytest.fixture(scope="class")
def spark():
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("noisecut-tests")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


class TestSpark:
    def test_map_in_pandas(self, spark, model_dir, frame, expected):
        clean = CleanBatch(model=str(model_dir), output_column="clean", labels_column="labels")
        sdf = spark.createDataFrame(frame).repartition(4)
        out = by_id(sdf.mapInPandas(clean.map_iter, schema=clean.spark_schema(sdf.schema)).toPandas())
        assert out["clean"].tolist() == expected
        assert out["text"].tolist() == frame["text"].tolist()
        assert list(out["labels"].iloc[0]) == list(CleanBatch(model=str(model_dir), labels_column="labels")(frame.iloc[:1])["labels"].iloc[0])

    def test_map_in_pandas_with_a_site_memory(self, spark, model_dir, site_frame, site_memory_file):
        clean = CleanBatch(model=str(model_dir), output_column="clean", site_memory=site_memory_file)
        sdf = spark.createDataFrame(site_frame.assign(id=np.arange(len(site_frame)))).repartition(3)
        out = by_id(sdf.mapInPandas(clean.map_iter, schema=clean.spark_schema(sdf.schema)).toPandas())
        assert_site_memory_dropped_the_note(CleanBatch(model=str(model_dir))(site_frame)["text"].tolist(), out["clean"].tolist())
