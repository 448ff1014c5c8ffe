"""Site memory: how often each line recurs across the pages of its site.

Boilerplate repeats across a site's pages (menus, footers, newsletter prompts,
"related" headers) while its articles do not. ``noisecut sites`` reads a
corpus once and counts, per site, on how many pages each normalised line
occurs; ``noisecut clean --site-memory FILE`` then drops a line found on at
least ``SHARE_DEFAULT`` of its site's pages unless the model is confident it
is body (keep score ``CONFIDENT`` or more). A site with fewer than
``MIN_PAGES`` pages says nothing, so single pages clean as without memory.

The counts are a count-min sketch: ``DEPTH`` rows of ``width`` counters
indexed by hashes of (site, line), the page count of a site under its own
key. Memory is fixed (``DEPTH * width * 4`` bytes, 8 MB by default) however
large the corpus; a collision can only raise a count, so a line may look
more common than it is, never less (a wider sketch makes that rarer).

A document's site is the host of its ``url`` (a JSONL/Parquet field, a
WET/WARC record's target URI), else the directory of its file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence
from urllib.parse import urlsplit

import numpy as np

from .document import Document
from .errors import NoiseCutError
from .labels import KEEP_DEFAULT
from .labeled import page_of

MEMORY_VERSION = 1
DEPTH = 2
WIDTH_DEFAULT = 1 << 20
MIN_PAGES = 5          # a site seen on fewer pages says nothing about its lines
SHARE_DEFAULT = 0.5    # a line on at least this share of its site's pages is the site's boilerplate ...
CONFIDENT = 0.9        # ... dropped unless the model's keep score reaches this
URL_FIELDS = ("url", "URL", "warc-target-uri", "WARC-Target-URI")
FINGERPRINT_LINES = 4096   # a site's fingerprint keeps at most this many lines (those on the most pages) ...
FINGERPRINT_MIN_CHARS = 12  # ... of this length or more: shorter ones ("home", "about us") are on many sites

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise(line: str) -> str:
    """What makes two lines the same line: case, runs of digits and of spaces ignored
    ("Photo 3 of 12" and "photo 4 of  12" are one line; so are the years of a footer)."""
    return _SPACE.sub(" ", _DIGITS.sub("0", line.lower())).strip()


def line_hashes(lines: Iterable[str]) -> np.ndarray:
    """The distinct normalised non-blank lines of ``lines`` as sorted 64-bit hashes (a site's
    fingerprint is made of these: ``model.SiteExpert``)."""
    keys = {normalise(line) for line in lines}
    keys.discard("")
    return np.array(sorted(int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "little")
                           for key in keys), dtype=np.uint64)


def fingerprint(pages: Sequence[Sequence[str]], size: int = FINGERPRINT_LINES,
                min_chars: int = FINGERPRINT_MIN_CHARS) -> np.ndarray:
    """A site's template as sorted ``line_hashes``: the normalised lines of at least ``min_chars``
    characters found on at least 2 of its ``pages`` (a single page: all its lines), those on the
    most pages first if there are more than ``size`` (``model.SiteExpert`` recognises the site by them)."""
    hashes = [line_hashes(line for line in lines if len(normalise(line)) >= min_chars) for lines in pages]
    if not hashes:
        return np.zeros(0, dtype=np.uint64)
    hashes, counts = np.unique(np.concatenate(hashes), return_counts=True)
    shared = counts >= min(2, len(pages))
    hashes, counts = hashes[shared], counts[shared]
    kept = np.lexsort((hashes, -counts))[:size]  # most pages first, then by hash: the same pages, the same fingerprint
    return np.sort(hashes[kept])


def site_fingerprint(docs) -> np.ndarray:
    """``fingerprint`` of labeled pages ``docs`` (``LabeledDocument``): the lines they share. Renderings of
    one page (``labeled.page_of``) count as one page, or its own text would look like the template.
    A single page has no second one to compare with: its lines labeled as noise (not ``KEEP_DEFAULT``) stand in."""
    pages: dict[str, list] = {}
    for number, labeled in enumerate(docs):
        pages.setdefault(page_of(labeled, number), []).append(labeled)
    if len(pages) == 1:
        return fingerprint([[line for labeled in docs for line, label in zip(labeled.doc.lines, labeled.labels)
                             if label is not None and label not in KEEP_DEFAULT]])
    return fingerprint([[line for labeled in renderings for line in labeled.doc.lines] for renderings in pages.values()])


def site_of(doc: Document) -> str:
    """The host of the document's URL (without ``www.``), else the directory of its file ("" if none)."""
    meta = doc.meta or {}
    for field in URL_FIELDS:
        url = meta.get(field)
        if isinstance(url, str) and url:
            try:
                host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
            except ValueError:
                host = ""
            if host:
                return host.removeprefix("www.")
    ident = doc.id or meta.get("id")
    if isinstance(ident, str) and ident and ident != "-":
        return str(PurePosixPath(ident.replace("\\", "/")).parent)
    return ""


def _slots(site: str, keys: Iterable[str], width: int) -> np.ndarray:
    """The sketch column of each (site, key) in each row: (len(keys), DEPTH)."""
    prefix = site.encode("utf-8", "surrogateescape") + b"\0"
    out = [np.frombuffer(hashlib.blake2b(prefix + key.encode("utf-8", "surrogateescape"), digest_size=8 * DEPTH).digest(),
                         dtype="<u8") % width for key in keys]
    return np.array(out, dtype=np.int64).reshape(-1, DEPTH)


_PAGES = "\0pages"  # the key a site's page count is kept under (no normalised line contains \0)


class SiteMemory:
    """Per-site line counts in a fixed-size count-min sketch."""

    def __init__(self, width: int = WIDTH_DEFAULT, counts: np.ndarray | None = None, stats: dict | None = None):
        if width < 1:
            raise ValueError(f"width must be at least 1, not {width}")
        self.width = width
        self.counts = counts if counts is not None else np.zeros((DEPTH, width), dtype=np.uint32)
        self.stats = stats or {"documents": 0, "lines": 0}
        self._rows = np.arange(DEPTH)

    def _count(self, slots: np.ndarray) -> np.ndarray:
        return self.counts[self._rows, slots].min(axis=1) if len(slots) else np.zeros(0, dtype=np.uint32)

    def add(self, site: str, lines: Iterable[str]) -> None:
        """Count one page of ``site``: each distinct normalised non-blank line once."""
        keys = {normalise(line) for line in lines if line.strip()}
        keys.discard("")
        slots = _slots(site, [_PAGES, *sorted(keys)], self.width)
        for row in range(DEPTH):  # np.add.at: a slot hit twice in a row is counted twice
            np.add.at(self.counts[row], slots[:, row], 1)
        self.stats["documents"] += 1
        self.stats["lines"] += len(keys)

    def add_document(self, doc: Document) -> None:
        self.add(site_of(doc), doc.lines)

    def pages(self, site: str) -> int:
        return int(self._count(_slots(site, [_PAGES], self.width))[0])

    def shares(self, site: str, lines: Sequence[str]) -> np.ndarray:
        """For each line, the share of the site's pages it occurs on; zeros for a site with fewer than ``MIN_PAGES``."""
        pages = self.pages(site)
        if pages < MIN_PAGES or not lines:
            return np.zeros(len(lines))
        counts = self._count(_slots(site, [normalise(line) for line in lines], self.width))
        return np.minimum(counts, pages) / pages

    def save(self, path: str | Path) -> None:
        from .io.files import open_output

        meta = {"version": MEMORY_VERSION, "depth": DEPTH, "width": self.width, **self.stats}
        with open_output(path, compress=False) as f:  # whole or not at all, in a directory that exists
            np.savez_compressed(f, counts=self.counts, meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, path: str | Path) -> "SiteMemory":
        try:
            with open(path, "rb") as f:  # np.load reads any other file as a pickle, and says so: not the point
                if f.read(4) != b"PK\x03\x04":
                    raise ValueError("not an .npz archive")
            with np.load(Path(path), allow_pickle=False) as npz:
                meta, counts = json.loads(str(npz["meta"])), npz["counts"]
            if not isinstance(meta, dict):
                raise ValueError("its meta is not a mapping")
            if meta.get("version") == MEMORY_VERSION and counts.shape != (DEPTH, meta.get("width")):
                raise ValueError(f"counts of shape {counts.shape}, its meta says {DEPTH} x {meta.get('width')}")
        except FileNotFoundError:
            raise NoiseCutError(f"{path}: no such site memory (write one with `noisecut sites`)") from None
        # a damaged file fails in the zip reader, the decompressor or the JSON, depending on where it is cut
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            raise NoiseCutError(f"{path}: not a site memory written by `noisecut sites` ({error})") from None
        if meta.get("version") != MEMORY_VERSION:
            raise NoiseCutError(f"{path}: site memory version {meta.get('version')}, this noisecut reads {MEMORY_VERSION}; "
                                "count the sites again with `noisecut sites`")
        stats = {key: value for key, value in meta.items() if key not in ("version", "depth", "width")}
        return cls(meta["width"], counts, stats)


def check_argument(site_memory) -> None:
    """A TypeError unless ``site_memory`` is what ``Cleaner`` takes: a ``SiteMemory``, its file or None."""
    if not (site_memory is None or isinstance(site_memory, (SiteMemory, str, os.PathLike))):  # np.load took an int for a file descriptor
        raise TypeError(f"site_memory takes a SiteMemory, its file (noisecut sites) or None, not {type(site_memory).__name__}")


def demote_document(memory: SiteMemory, doc: Document, texts: Sequence[str], keep_score: np.ndarray) -> np.ndarray:
    """``demote`` for the non-blank lines ``texts`` of ``doc``, by the memory of its site (the cleaner's hook)."""
    return demote(keep_score, memory.shares(site_of(doc), texts))


def demote(keep_score: np.ndarray, shares: np.ndarray, share: float = SHARE_DEFAULT,
           confident: float = CONFIDENT) -> np.ndarray:
    """Keep scores with the site's boilerplate (a line on ``share`` of its pages or more) set to 0,
    unless the model is ``confident`` that it is kept."""
    boilerplate = (shares >= share) & (keep_score < confident)
    return np.where(boilerplate, 0.0, keep_score)


def count_files(files: Sequence[str | Path], input_format: str | None = None, text_field: str | None = None,
                on_error: str | None = None, width: int = WIDTH_DEFAULT, html_field: str | None = None,
                renderer: str | None = None) -> SiteMemory:
    """Read ``files`` as ``noisecut clean`` does (HTML rendered by the same ``renderer``, so the
    lines counted are the lines cleaned) and count every document's lines under its site."""
    from .io.files import ON_ERROR_DEFAULT, STDIO, RecordErrors
    from .io.formats import input_format as format_of, open_reader
    from .io.html import RENDERER_DEFAULT
    from .io.records import TEXT_FIELD_DEFAULT

    memory = SiteMemory(width)
    errors = RecordErrors(on_error or ON_ERROR_DEFAULT)
    for source in [str(f) for f in files] or [STDIO]:
        for doc in open_reader(source, format_of(source, input_format), errors, text_field or TEXT_FIELD_DEFAULT,
                               renderer=renderer or RENDERER_DEFAULT, html_field=html_field):
            memory.add_document(doc)
    if not memory.stats["documents"]:
        raise NoiseCutError("no documents to count")
    memory.stats["skipped"] = errors.skipped
    return memory
