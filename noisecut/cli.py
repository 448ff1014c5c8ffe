"""The ``noisecut`` command: thin click wrappers over library functions.

Every error a user can cause (missing file, bad model, malformed labeled
file) surfaces as one line on stderr and exit status 1, never a traceback.
"""
from __future__ import annotations

import functools
import math
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from .errors import NoiseCutError
from .labeled import LabeledFormatError
from .labels import KEEP_DEFAULT, LABELS, parse_label
from .io.files import ON_ERROR_DEFAULT, RecordErrors
from .io.formats import INPUT_FORMATS, OUTPUT_FORMATS
from .io.html import RENDERER_DEFAULT, RENDERERS
from .io.records import TEXT_FIELD_DEFAULT
from .model import FROM_DEFAULT, GATE_LINES_DEFAULT, GATE_SHARE_DEFAULT
from .parallel import available_cores
from .policy import THRESHOLD_DEFAULT
from .sites import CONFIDENT, FINGERPRINT_MIN_CHARS, MIN_PAGES, SHARE_DEFAULT, WIDTH_DEFAULT
from .train import HIDDEN_DEFAULT, LOGISTIC_MIN_ITER, MAX_ITER_DEFAULT, SEED

LABEL_NAMES = ", ".join(label.value for label in LABELS)
SKIPS_NAMED = 20  # import-gold names this many skipped renderings on stderr; summary.json has them all


EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130: Ctrl-C, as a shell reports a command it stopped
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(BaseException):
    """SIGTERM (or SIGHUP: the terminal closed) raised where the command is, as Ctrl-C raises
    KeyboardInterrupt, so that the same clean-up runs: temporary outputs removed, workers shut down."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def user_errors(command):
    """Turn library errors into one-line click errors; exit quietly on a closed pipe; on Ctrl-C, SIGTERM
    or SIGHUP, clean up and exit with 128 + the signal's number (130, 143, 129) after one line on stderr."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with _stop_signals_raise():
                return command(*args, **kwargs)
        except (NoiseCutError, LabeledFormatError) as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                _quiet_broken_pipe()
            raise click.ClickException(f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")) from None
        except KeyboardInterrupt:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Terminated as stop:
            click.echo(f"Aborted! ({signal.Signals(stop.signum).name})", err=True)
            sys.exit(128 + stop.signum)

    return wrapper


@contextmanager
def _stop_signals_raise():
    """While the block runs, SIGTERM and SIGHUP raise ``Terminated`` (left alone where they are ignored, as in
    a `nohup` run, or handled by the program that runs this one in-process, or off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_terminated(signum, frame):
    raise Terminated(signum)


def _quiet_broken_pipe():
    # stdout's reader went away (`noisecut clean big.txt | head`): stop without a message
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _also_keep(ctx, param, values) -> frozenset:
    """``--keep``: the labels named, added to ``KEEP_DEFAULT`` (``integrations.batch.parse_keep`` takes the whole set)."""
    try:
        added = {parse_label(name) for value in values for name in value.split(",") if name.strip()}
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return KEEP_DEFAULT | added


def _check_keep(keep: frozenset, model) -> None:
    """``--keep`` labels that a model cleaning with them lacks: a usage error, before any input is read."""
    from .cleaner import check_keep_for

    try:
        check_keep_for(keep, model)
    except ValueError as error:
        raise click.BadParameter(str(error).removeprefix("keep: "), param_hint="'--keep' / '-k'") from None


model_option = click.option(
    "--model", "-m", "model", type=click.Path(path_type=Path), default=None,
    help="Model directory, or a shipped model by name: `default`, `fast` (about 1.2x as fast, a little less "
         "accurate), `html` (reads the markup: HTML input only). A named model cleans every input "
         "(default: `html` for HTML input and `default` for text; $NOISECUT_MODEL, when set, for both), "
         "save that a model made by `train --from` leaves other sites' HTML pages to `html` and, "
         "tuned from `fast`, their text to `default`.",
)
keep_option = click.option(
    "--keep", "-k", multiple=True, callback=_also_keep, metavar="LABEL[,LABEL]",
    help=f"Also keep lines with these labels (body and heading are always kept). Labels: {LABEL_NAMES}; "
         "each one the model has (the HTML model has no nav, share, ad, legal or unrelated: with no -m, keeping one "
         "has HTML cleaned by the default model).",
)


def _not_nan(ctx, param, value: float) -> float:
    if value != value:  # FloatRange lets NaN through: every comparison with it is false
        raise click.BadParameter("nan is not a probability; give a number from 0 to 1")
    return value


def _finite_weight(ctx, param, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):  # FloatRange lets nan and inf through: the loss became nan
        raise click.BadParameter(f"{value} is not a weight; give a number of 0 or more")
    return value


threshold_option = click.option(
    "--threshold", "-t", type=click.FloatRange(0.0, 1.0), default=THRESHOLD_DEFAULT, show_default=True,
    callback=_not_nan,
    help="Keep a line when the probability of the kept labels reaches this. Lower keeps more (recall), higher keeps less (precision).",
)


def threshold_options(command):
    """``--threshold`` or one of the model's presets (``--precision``, ``--recall``); the command gets the number,
    or the preset's name, which each model resolves to its own (with no -m, HTML and text get different models)."""

    @functools.wraps(command)
    def wrapper(*args, threshold, precision, recall, **kwargs):
        return command(*args, threshold=_threshold(threshold, precision, recall, kwargs.get("model")), **kwargs)

    wrapper = click.option("--recall", is_flag=True, help=(
        "Keep more: the model's recall preset threshold (best text-level F2 on the dev split; see its model card). "
        "Instead of --threshold."))(wrapper)
    wrapper = click.option("--precision", is_flag=True, help=(
        "Keep less: the model's precision preset threshold (best text-level F0.5 on the dev split; see its model card). "
        "Instead of --threshold."))(wrapper)
    return threshold_option(wrapper)


def _threshold(threshold: float, precision: bool, recall: bool, model) -> float | str:
    from .model import read_meta
    from .policy import check_threshold

    presets = [name for name, chosen in (("precision", precision), ("recall", recall)) if chosen]
    if not presets:
        return threshold
    if len(presets) > 1 or _given("threshold"):
        raise click.UsageError("--threshold, --precision and --recall are mutually exclusive: pick one")
    try:
        check_threshold(presets[0], read_meta(model).get("presets"))  # refused here, before any input is read
        return presets[0]
    except NoiseCutError as error:
        raise click.ClickException(str(error)) from None
    except ValueError:
        raise click.ClickException(f"--{presets[0]}: the model records no {presets[0]!r} threshold preset "
                                   "(python -m training.presets --record adds them); use --threshold") from None


def _given(*names: str) -> list[str]:
    """The ``--option`` names of those of ``names`` the user gave (not left at their default)."""
    source = click.get_current_context().get_parameter_source
    return [f"--{name.replace('_', '-')}" for name in names if source(name) != click.core.ParameterSource.DEFAULT]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="noisecut")
def main():
    """Remove boilerplate and noise from text (plain, or rendered from HTML), line by line.

    Each non-blank line is classified as body or a kind of noise (menus,
    share widgets, ads, related stories, comments, notices, ...); `clean`
    keeps the body lines exactly as they were.
    """


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--output", "-o", type=click.Path(allow_dash=True), default=None,  # a str: a trailing / means a directory
    help="Write here instead of stdout: a file, or a directory for directory input (either written whole or not at all). "
    "The format follows the name: -o clean.jsonl.gz, -o clean.parquet, -o clean.wet.gz, -o clean/. "
    "Several documents in one text output follow each other, each starting on a new line (a line break is added "
    "after one that ends without); -O jsonl keeps them apart. The same for both engines.",
)
@click.option(
    "--input-format", "-I", type=click.Choice(INPUT_FORMATS), default=None,
    help="Format of every input (default: from each name: .jsonl, .ndjson, .json, .parquet, .wet, .warc, .html, "
    ".htm, .xhtml, .shtml, .txt (each but .parquet also .gz), a directory; a .txt file, anything else and stdin "
    "are html when they start with <!doctype html or <html, else text, refused when their first line is a JSON object or they start WARC/1.). "
    "`-I html` renders each input as a page; `-I text` cleans markup as text. E.g. `-I jsonl -` reads JSONL from stdin.",
)
@click.option(
    "--output-format", "-O", type=click.Choice(OUTPUT_FORMATS + ("warc",)), default=None,
    help="Format to write (default: from the -o name, else text for text and HTML input, JSONL for records and WARC/WET, "
    "Parquet for Parquet). WARC input is written as JSONL (url, warc-record-id, date, text) or `-O wet`.",
)
@click.option(
    "--text-field", default=TEXT_FIELD_DEFAULT, show_default=True, metavar="NAME",
    help="JSONL field or Parquet column holding the text; every other field is passed through untouched. E.g. --text-field content.",
)
@click.option(
    "--html-field", default=None, metavar="NAME",
    help="JSONL field or Parquet column holding HTML (strings, or bytes in Parquet): each page is rendered to text and "
    "cleaned, and the cleaned text goes to --text-field (added when the record has none); the HTML field is passed "
    "through. E.g. --html-field html.",
)
@click.option(
    "--renderer", type=click.Choice(RENDERERS), default=RENDERER_DEFAULT, show_default=True,
    help="What renders HTML inputs to text (HTML files, HTML in WARC responses, --html-field): one of the two renderers "
    "the model is trained on (html_text scores best). Needs noisecut[html]. E.g. --renderer inscriptis page.html.",
)
@click.option(
    "--labels-field", default=None, metavar="NAME",
    help="Also write each record's per-line labels (one per input line, null for blank lines) to this field "
    "(JSONL or Parquet output). E.g. --labels-field line_labels.",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=0), default=None, metavar="N",
    help="Worker processes (default and 0: every core; 1: in this process). The model loads once per worker; "
    "output order is input order. E.g. -j 8.",
)
@click.option(
    "--on-error", type=click.Choice(RecordErrors.MODES), default=ON_ERROR_DEFAULT, show_default=True,
    help="A record that cannot be read (invalid JSON, no text field, text not a string, truncated gzip, corrupt Parquet): "
    "`stop` with one line naming the file and record, writing no file (on stdout, what was cleaned before it has gone out); or `skip` it, log it on stderr and report the count. "
    "E.g. --on-error skip.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, closing summary, notes or Ray log lines on stderr (errors still show). "
              "The bar only appears on a terminal (stderr), and not while the cleaned text is printed on it; it shows bytes "
              "read, with an ETA, when the inputs are files.")
@model_option
@keep_option
@threshold_options
@click.option("--explain", is_flag=True, help="Print every line with its label, probability and verdict instead of the cleaned text, "
              "as text whatever the input format (a model fine-tuned with train --from first says whether its "
              "site expert cleaned the page; with --site-memory, `site` stands for the keep score of each line the "
              "memory dropped). E.g. --explain page.txt.")
@click.option("--no-dedupe", is_flag=True, help="Keep later exact repeats of kept lines. E.g. --no-dedupe page.txt.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="`ray`: clean on a Ray cluster (needs noisecut[ray]), -j actors; inputs are read and the output written "
                   "here as with `local`, so the output is the same. E.g. --engine ray -o clean.jsonl data.jsonl.")
@click.option("--address", default=None,
              help="Ray cluster address for --engine ray (default: a running cluster if Ray finds one, RAY_ADDRESS or "
                   "`ray start`, else a new local one). E.g. --address auto.")
@click.option("--site-memory", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help=f"Drop lines found on {SHARE_DEFAULT:.0%} or more of their site's pages (FILE from `noisecut sites`) "
                   f"unless the model is confident they are kept (keep score {CONFIDENT:g}); a site with fewer than "
                   f"{MIN_PAGES} pages is cleaned as without. E.g. --site-memory sites.npz.")
@user_errors
def clean(files, output, input_format, output_format, text_field, html_field, renderer, labels_field, jobs, on_error, quiet, model, keep, threshold, explain, no_dedupe, engine, address, site_memory):
    """Clean FILES (text, HTML, JSONL, Parquet, WET/WARC, or a directory of .txt, .md and .html files; none or `-`: stdin).

    Kept lines come out byte for byte as they went in, in order; blank lines
    between kept lines stay. HTML (pages, WARC responses, --html-field) is
    first rendered to lines of text (--renderer); its kept lines come out as
    the renderer wrote them. Unless -m (or $NOISECUT_MODEL) names a model, HTML is cleaned by the
    HTML model (reads the markup too: about 1.5 times the time per page of
    the text model, `-m default`) and text by the default one. Markdown is judged by its plain text (a link
    by its words), a text browser's dump without its link numbers ([12]), and text broken inside its
    paragraphs (hard-wrapped, or a line at every tag as BeautifulSoup writes it) a paragraph at a time;
    all come out as they went in. Records keep their other
    fields and their order. Inputs stream through in bounded memory, and a file output
    appears only when everything was written (never half a file, not
    after an error, Ctrl-C, SIGTERM or a crashed worker; a stopped run
    exits with 130 or 143). The output may not be one of the inputs.

    \b
    Examples:
      noisecut clean page.txt
      noisecut clean --keep title -o clean.txt page.txt
      noisecut clean -m models/default -t 0.7 --no-dedupe page.txt
      noisecut clean --precision page.txt                # or --recall: the model's presets
      cat page.txt | noisecut clean --explain
      noisecut clean pages/ -o cleaned/                  # mirror a directory of .txt, .md and .html files (also .gz)
      noisecut clean page.html                           # render, then clean (pip install 'noisecut[html]')
      noisecut clean -m default page.html                # the text model on the rendered lines: faster
      curl -s https://example.com/ | noisecut clean      # HTML on stdin is recognised
      noisecut clean crawl.warc.gz -o clean.jsonl        # HTML responses rendered and cleaned
      noisecut clean pages.jsonl --html-field html -o clean.jsonl
      noisecut clean crawl.jsonl.gz -o clean.jsonl.gz -j 8
      noisecut clean data.jsonl --text-field content --labels-field labels -o out.jsonl
      noisecut clean data.parquet -o clean.parquet --on-error skip
      noisecut clean CC-MAIN-...warc.wet.gz -o clean.wet.gz
      noisecut clean CC-MAIN-...warc.wet.gz -O jsonl -q | head
      zcat data.jsonl.gz | noisecut clean -I jsonl - > clean.jsonl
      noisecut sites crawl.jsonl.gz -o sites.npz && noisecut clean --site-memory sites.npz crawl.jsonl.gz -o clean.jsonl.gz
    """
    from .io.pipeline import CleanConfig, clean_files

    _check_keep(keep, model)
    clean_files(CleanConfig(
        files=files, output=output, input_format=input_format, output_format=output_format,
        text_field=text_field, html_field=html_field, renderer=renderer, labels_field=labels_field, jobs=jobs, on_error=on_error, quiet=quiet,
        model=model, keep=keep, threshold=threshold, no_dedupe=no_dedupe, explain=explain,
        engine=engine, address=address, site_memory=site_memory,
    ))


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Site memory file to write (e.g. sites.npz), for `noisecut clean --site-memory`.")
@click.option("--input-format", "-I", type=click.Choice(INPUT_FORMATS), default=None, help="As for `clean`.")
@click.option("--text-field", default=TEXT_FIELD_DEFAULT, show_default=True, metavar="NAME", help="As for `clean`.")
@click.option("--html-field", default=None, metavar="NAME", help="As for `clean`: this field holds HTML, rendered before counting.")
@click.option("--renderer", type=click.Choice(RENDERERS), default=RENDERER_DEFAULT, show_default=True,
              help="As for `clean`; use the renderer you clean with, so the lines counted are the lines cleaned.")
@click.option("--on-error", type=click.Choice(RecordErrors.MODES), default=ON_ERROR_DEFAULT, show_default=True, help="As for `clean`.")
@click.option("--width", type=click.IntRange(min=1024), default=WIDTH_DEFAULT, show_default=True, metavar="N",
              help="Counters per row of the sketch (8 MB at the default). Wider: fewer collisions, more memory.")
@user_errors
def sites(files, output, input_format, text_field, html_field, renderer, on_error, width):
    """Count how often each line recurs on its site's pages, for `clean --site-memory`.

    Reads FILES as `clean` does (text, HTML, JSONL, Parquet, WET/WARC, a
    directory of .txt, .md and .html files, each also .gz; HTML is rendered by --renderer, as
    `clean` renders it). A document's site is the host of its `url` field (a WET
    or WARC record's URI), else the directory of its file as its id names it
    (DIR/a/p.txt: `a` when the directory DIR is read, `DIR/a` when the file
    is; so count and clean the same way). Each line is
    normalised (case, digits and spaces ignored) and counted once per page, in
    a fixed-size hashed sketch: the memory never grows with the corpus.

    \b
    Examples:
      noisecut sites crawl.jsonl.gz -o sites.npz
      noisecut clean --site-memory sites.npz crawl.jsonl.gz -o clean.jsonl.gz
    """
    from .io.files import check_not_an_input, check_output_file, is_compressed_name
    from .sites import count_files

    if is_compressed_name(output):  # it wrote an .npz archive under the name, or said to name it .gz
        raise NoiseCutError(f"{output}: a site memory is an .npz archive, compressed already; name it .npz")
    check_not_an_input(output, files)
    check_output_file(output)  # before the pass over the corpus
    memory = count_files(files, input_format, text_field, on_error, width, html_field, renderer)
    memory.save(output)
    stats = memory.stats
    click.echo(f"wrote {output} ({_plural(stats['documents'], 'document')}, {stats['lines']} lines counted once per page, "
               f"{_plural(stats['skipped'], 'record')} skipped)", err=True)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _read(source: Path) -> bytes:
    """The bytes of a text input (``-``: stdin), through the opener ``clean`` uses (gzip'd or not)."""
    from .io.files import READ_ERRORS, open_input

    with open_input(source) as f:
        try:
            return f.read()
        except READ_ERRORS as error:
            raise NoiseCutError(f"{source}: unreadable ({error})") from None


@main.command()
@click.argument("labeled", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path, file_okay=False), help="Model directory to write.")
@click.option("--sequence", is_flag=True,
              help="Train a sequence model (a bidirectional GRU over the document's lines, the kind the shipped model is) "
                   "instead of window stages. Needs PyTorch: pip install 'noisecut[sequence]'.")
@click.option("--members", default=1, show_default=True, type=click.IntRange(min=1),
              help="Sequence model: networks to train (seeds SEED, SEED+1 ...) and average. More is steadier "
                   "and slower to train and to clean; the default model has 5 (`-m fast`: 3).")
@click.option("--from", "base", is_flag=False, flag_value=FROM_DEFAULT, default=None, metavar="MODEL",
              help=f"Fine-tune this sequence model (a directory or a shipped model's name; left out: `{FROM_DEFAULT}`, "
                   "which adapts better than `default`) "
                   "on LABELED instead of training from scratch: a few pages of your site are enough, on CPU in about a "
                   "minute. Needs PyTorch. E.g. --from fast mine/.")
@click.option("--replay", multiple=True, type=click.Path(path_type=Path, exists=True), metavar="LABELED",
              help="With --from: labeled files or directories mixed into every step, so the model keeps what they "
                   "teach (e.g. --replay labeled/).")
@click.option("--anchor", type=click.FloatRange(min=0.0), default=None, metavar="WEIGHT", callback=_finite_weight,
              help="With --from: pull towards the starting weights (L2 penalty on their distance). Default 0, with "
                   "--everywhere 1: higher keeps the tuned weights general and changes less (see the README's "
                   "figures). E.g. --anchor 0.02.")
@click.option("--tune", type=click.Choice(["output", "all"]), default=None,
              help="With --from: the parameters that change. `all` (the default; `output` with --everywhere) "
                   "moves the GRU too and adapts most to your pages; `output` re-weights what the model already reads "
                   "(see the README's figures).")
@click.option("--everywhere", is_flag=True,
              help="With --from: use the tuned weights on every page. By default the model keeps the base model's "
                   "weights for pages of other sites and uses the tuned ones only on pages that share your pages' "
                   f"template: at least {GATE_LINES_DEFAULT}, and at least {GATE_SHARE_DEFAULT:.0%}, of the lines of "
                   f"{FINGERPRINT_MIN_CHARS} characters or more that two of your pages have in common (menus, footers, "
                   "share rows). Without it, other sites' documents clean as with no model named (HTML pages: the "
                   "HTML model; text: the default model, or the base model when it is not `fast`).")
@click.option("--hidden", default=",".join(map(str, HIDDEN_DEFAULT)), show_default=True, help="Window stages: hidden layer sizes, comma-separated; 0 for a logistic regression.")
@click.option("--single-stage", is_flag=True, help="Window stages: skip the second stage that reads neighbours' probabilities.")
@click.option("--max-iter", default=MAX_ITER_DEFAULT, show_default=True, type=click.IntRange(min=1), help=f"Window stages: training epochs at most (--hidden 0: solver iterations, at least {LOGISTIC_MIN_ITER}).")
@click.option("--seed", default=SEED, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="Random seed (shuffling, initial weights, held-out pages).")
@user_errors
def train(labeled, output, sequence, members, base, replay, anchor, tune, everywhere, hidden, single_stage, max_iter, seed):
    """Train a model on LABELED files or directories of `*.lines` files.

    The default is window stages trained with scikit-learn: each line's
    features, then its neighbours' probabilities. `--sequence` trains a
    bidirectional GRU instead, which reads the whole document in order.
    `--from MODEL` fine-tunes an existing sequence model on LABELED (your
    own site's pages). The new model uses the tuned weights on pages of
    that site, recognised by the lines its pages share, and leaves other
    sites' HTML pages to the shipped HTML model and their text to the
    default model (to the base model, for a base other than `fast`;
    `--everywhere`: the tuned weights on every input).

    \b
    Examples:
      noisecut train labeled/ -o models/window
      noisecut train --sequence --members 3 labeled/ corpus/train -o models/mine
      noisecut train --from fast mine/ -o models/mine
      noisecut train --from models/mine --replay labeled/ more-pages/ -o models/mine2
    """
    from .io.files import check_not_an_input
    from .train import check_model_output, fit, fit_from, load_base, read_labeled, save_model
    from .train_data import label_summary, trainable_summary

    try:
        sizes = [int(h) for h in hidden.split(",")]
    except ValueError:
        raise click.BadParameter(f"{hidden!r} is not a comma-separated list of integers", param_hint="--hidden") from None
    if any(size < 0 for size in sizes):  # was left out: --hidden -5 trained a logistic regression without a word
        raise click.BadParameter(f"{hidden!r} has a negative layer size; give sizes of 1 or more, or 0 for a logistic regression",
                                 param_hint="--hidden")
    layers = tuple(size for size in sizes if size > 0)
    if base is None and (replay or anchor is not None or tune is not None):
        raise click.UsageError("--replay, --anchor and --tune tune --from; add --from MODEL")
    if base is None and everywhere:
        raise click.UsageError("--everywhere applies a --from model's tuned weights; add --from MODEL")
    if base is not None:
        changed = _given("members", "hidden", "single_stage", "max_iter")
        if changed:
            raise click.UsageError(f"{', '.join(changed)} shape a new model; --from keeps the base model's shape")
    elif not sequence and _given("members"):
        raise click.UsageError("--members sets the sequence model; add --sequence")
    elif sequence:
        window_options = _given("hidden", "single_stage", "max_iter")
        if window_options:
            raise click.UsageError(f"{', '.join(window_options)} set the window stages; --sequence trains none")
    if base is not None or sequence:
        from .train_sequence import require_torch

        require_torch()  # before reading and featurizing the documents
    check_not_an_input(output, [*labeled, *replay])  # the model's files would land among the labeled ones
    check_model_output(output)  # nor among a directory's other files
    base_model = load_base(base) if base is not None else None
    docs = read_labeled(labeled)
    # what the trainers would refuse, refused before saying they start: the error is the only line
    if base_model is not None:
        from .train_sequence import check_fine_tunable

        label_summary(docs)
        replayed = read_labeled(replay) if replay else ()
        check_fine_tunable(base_model, docs, replayed)
        click.echo(f"fine-tuning {base} on {len(docs)} documents ...", err=True)
        model, estimators = fit_from(base_model, docs, replayed, anchor, seed=seed, tune=tune, everywhere=everywhere), {}
    else:
        trainable_summary(docs)
        click.echo(f"training on {len(docs)} documents ...", err=True)
        model, estimators = fit(docs, hidden=layers, two_stage=not single_stage, max_iter=max_iter, seed=seed,
                                sequence=sequence, members=members)
    model.meta["name"] = output.name
    save_model(model, estimators, output)  # all files or none; no estimators (a sequence model): a stale file is removed
    trained = model.meta["training"]
    done = (f"fine-tuned on {trained['lines']} lines, {trained['fine_tuning']['steps']} steps" if base is not None
            else f"{trained['lines']} lines, labels: {', '.join(model.meta['labels'])}")  # labels: written by save
    if model.site is not None:
        shared = len(model.site.fingerprint)
        done += (f"; used on pages sharing {model.site.threshold} of the {shared} lines your pages have in common"
                 if model.site.threshold <= shared else
                 f"; your pages share {shared} of the {model.site.threshold} lines a page needs to be recognised, so "
                 "no page will use the tuned weights: add pages or use --everywhere")
    click.echo(f"wrote {output} ({done})", err=True)


@main.command()
@click.argument("labeled", nargs=-1, required=True, type=click.Path(path_type=Path))
@model_option
@keep_option
@threshold_options
@user_errors
def evaluate(labeled, model, keep, threshold):
    """Score a model on LABELED files or directories of `*.lines` files.

    First the text level, the metric of the README's results table: each
    document is cleaned and its kept text is compared with the text of its
    lines labeled with a kept label (bag-of-tokens precision, recall and F1,
    averaged over documents). Then the line level (scikit-learn's report):
    per-label precision, recall and F1 with the macro average over the labels
    that have gold lines, the keep/drop decision, and a confusion table. A
    file with its page's markup rows beside it (`import-gold` writes them for
    html_text renderings) is a page: with no -m the HTML model scores it, as
    `clean` cleans the page.

    \b
    Examples:
      noisecut evaluate labeled/
      noisecut evaluate --precision held-out/
      noisecut evaluate -m models/mine -t 0.7 held-out/
    """
    from .evaluate import evaluate_labeled, format_report
    from .model import META

    if model is None and (labeled[0] / META).is_file():
        raise click.ClickException(f"{labeled[0]} is a model directory; the model is an option now: "
                               f"noisecut evaluate -m {labeled[0]} LABELED...")
    _check_keep(keep, model)
    click.echo(format_report(evaluate_labeled(model, labeled, keep=keep, threshold=threshold)))


@main.command()
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Labeled file to write (default: stdout).")
@click.option("--renderer", type=click.Choice(RENDERERS), default=RENDERER_DEFAULT, show_default=True,
              help="As for `clean`: what renders an HTML page to the lines to label.")
@model_option
@user_errors
def label(file, output, renderer, model):
    """Pre-label FILE with the model's predictions, in the labeled (`.lines`) format, for a person to correct.

    FILE is a text file or an HTML page (by its name, or its first bytes; gzip'd
    or not; `-`: stdin), one labeled row per line of the text (of the page as
    --renderer renders it); the labels are what `clean --explain` shows. The
    labeling policy is labeled/GUIDE.md. The file holds text alone (no markup
    rows, even of a page): `train` and `train --from` tune text models on it,
    and a model tuned from `fast` cleans the site's HTML pages too; the HTML
    model cannot be tuned on it (`train --from html` says so).

    \b
    Examples:
      noisecut label page.txt -o page.lines
      noisecut label -m models/mine page.html.gz > page.lines
    """
    from .cleaner import Cleaner
    from .labeled import LabeledDocument, format
    from .document import Document, encode
    from .io.files import HEAD_BYTES, check_not_an_input, input_name, is_compressed_name, write_output
    from .io.formats import check_one_text
    from .io.html import is_html_file, render_document
    from .markup import PLAIN_TEXT

    if output is not None and is_compressed_name(output):  # it wrote plain text under a .gz name
        raise NoiseCutError(f"{output}: labeled files are plain text, as train and evaluate read them; name it .lines")
    check_not_an_input(output, [file])
    data, name = _read(file), Path(file.name.removesuffix(".gz")).stem
    html = is_html_file(file.name, data[:HEAD_BYTES])
    check_one_text(file, data[:HEAD_BYTES], html)
    cleaner = Cleaner(model)
    if not html and cleaner.model.reads_markup:  # named here by its file, not by the id the labeled file gets
        raise NoiseCutError(PLAIN_TEXT.format(what=input_name(file), model=f"{cleaner.model.meta.get('name', model)} "))
    doc = render_document(data, name, renderer_name=renderer) if html else Document.from_bytes(data, id=name)
    results = cleaner.classify(doc)
    labeled = LabeledDocument(doc, [r.label for r in results], {"id": doc.id, "source": str(file), "labeled-by": "noisecut label (correct me)"})
    write_output([encode(format(labeled))], output)


@main.command("import-gold")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path, file_okay=False), help="Corpus directory to write (outside your repository).")
@click.option("--datasets", default=None, help="Comma-separated folders under ROOT (default: all that have input/).")
@click.option("--renderers", default=None, help="Comma-separated HTML-to-text renderers: inscriptis, html_text, trafilatura_full, lxml_blocks (default: all).")
@click.option("--split", "split", type=click.Choice(["site", "none"]), default="site", show_default=True,
              help="`site`: OUTPUT/train|dev|test/ by a hash of each page's site (its meta.jsonl URL's host, else the "
                   "address the page names or links to most; a page with no address is a site of its own); "
                   "`none`: everything under OUTPUT/<folder>/, for your own pages. E.g. --split none.")
@click.option("--gold-format", default=None, metavar="FORMAT",
              help="How to read every gold file: plain (one paragraph per line, all body), cleaneval (URL: line, <p>/<h>/<l> "
                   "markers), dragnet (comments after a `!@#$%^&*() COMMENTS` line), l3s (x-nc-sel spans), readability "
                   "(HTML, <h1>-<h6> headings), wcxb, googletrends. Default: the shared benchmark folders' own formats, "
                   "plain for any other folder. E.g. --gold-format cleaneval.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N", help="At most N pages per folder.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=available_cores(), show_default="all cores", metavar="N",
              help="Pages rendered and aligned at once (worker processes).")
@user_errors
def import_gold(root, output, datasets, renderers, split, gold_format, limit, jobs):
    """Turn HTML pages with gold main content into labeled lines for `train`.

    ROOT holds one folder per collection, each with `input/NAME.html` (or
    `.html.gz`) and `GoldStandard/NAME.txt` (plain text of the main content,
    one paragraph per line; the folders of the shared benchmark datasets are
    read in their own gold formats, `--gold-format` for yours), and optionally
    `meta.jsonl`. Every page is rendered to text by several HTML-to-text
    tools, each rendered line is aligned to the gold text and labeled, and the
    labeled documents are written to OUTPUT/<split>/<folder>/<renderer>/NAME.lines
    (`--split none`: OUTPUT/<folder>/<renderer>/NAME.lines), html_text's with
    the page's markup rows beside them (NAME.markup.vN.npy: `evaluate` then
    scores them with the HTML model, as `clean` cleans the page), and the
    counts to OUTPUT/summary.json. An import replaces the earlier import of
    the same folders (their renderings and splits in OUTPUT, other files
    left), all at once: a run that fails, is stopped or writes no document
    leaves OUTPUT as it was. Runs the training/ scripts of a clone of noisecut (they are not in the wheel),
    with the training extras: pip install -e '.[training]'.

    \b
    Examples:
      noisecut import-gold my-pages/ -o mine/ --split none --gold-format plain --renderers html_text
      noisecut import-gold ../shared/datasets -o corpus/ --datasets dragnet_data --renderers html_text
    """
    build = _training_build()

    names = _names(datasets) or sorted(p.name for p in root.iterdir() if (p / "input").is_dir())
    if not names:  # else build() falls back to the benchmark folders' names
        raise NoiseCutError(f"{root}: none of its folders has an input/ directory; ROOT holds one folder per "
                            "collection (ROOT/NAME/input/*.html, ROOT/NAME/GoldStandard/*.txt)")
    from training.datasets import pages_without_gold

    no_gold = pages_without_gold(root, [name for name in names if (root / name / "input").is_dir()])
    try:
        summary = build(output, _names(renderers) or None, names, limit, jobs, root,
                        split=split, gold_format=gold_format, replace=True)
    except ValueError as error:
        raise NoiseCutError(str(error)) from None
    if no_gold:
        click.echo(f"left out {len(no_gold)} pages without a gold file (input/NAME.html needs GoldStandard/NAME.txt): "
                   + ", ".join(no_gold[:SKIPS_NAMED]) + (", …" if len(no_gold) > SKIPS_NAMED else ""), err=True)
    for skipped in summary["skipped"][:SKIPS_NAMED]:
        click.echo(f"skipped {skipped['id']}: {skipped['reason']}", err=True)
    more = len(summary["skipped"]) - SKIPS_NAMED
    listed = f" in {Path(output) / 'summary.json'}" if summary["documents"] else ""  # nothing written: nor is it
    click.echo(f"wrote {summary['documents']} labeled documents to {output} ({len(summary['skipped'])} renderings skipped"
               + (f"; {more} more{listed}" if more > 0 else "") + ")", err=True)
    if not summary["documents"]:
        why = ("every rendering was skipped (see above)" if summary["skipped"] else
               "no page has a gold file" if no_gold else "no input/*.html pages")
        raise NoiseCutError(f"no labeled documents written to {output}: {why}")


def _names(value: str | None) -> list[str]:
    """A comma-separated option's names, without spaces or empty ones ("html_text, inscriptis," is two)."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _training_build():
    """``training.build_corpus.build``. training/ is part of a source checkout and never
    installed: an editable install finds it beside noisecut/, a wheel has none."""
    checkout = Path(__file__).resolve().parent.parent
    if not (checkout / "training" / "build_corpus.py").is_file():
        raise NoiseCutError("import-gold runs training/ from a source checkout, which this install lacks: "
                            "clone noisecut and pip install -e '.[training]'")
    if str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    try:
        from training.build_corpus import build
    except ImportError as error:
        raise NoiseCutError(f"import-gold needs the training extras ({error.name} missing): pip install 'noisecut[training]'") from None
    return build


if __name__ == "__main__":  # pragma: no cover
    main()
