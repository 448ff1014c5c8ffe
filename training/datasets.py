"""The gold-standard datasets in ../shared/datasets: pages, their HTML, their gold.

Nothing here copies data into the repository; everything is read in place.
The root is ``<parent of the repo>/shared/datasets`` unless the environment
variable ``NOISECUT_DATASETS`` points elsewhere.
"""
from __future__ import annotations

import gzip
import html as htmllib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlsplit

import charset_normalizer
import ftfy
from publicsuffixlist import PublicSuffixList

from noisecut.io.files import READ_ERRORS
from noisecut.labels import Label

from .render import html_blocks, parse_html

DATASETS = Path(os.environ.get("NOISECUT_DATASETS") or Path(__file__).resolve().parents[1].parent / "shared" / "datasets")
L3S_LABELS = {"x-nc-sel1": Label.TITLE, "x-nc-sel2": Label.BODY, "x-nc-sel3": Label.META,
              "x-nc-sel4": Label.RELATED, "x-nc-sel5": Label.COMMENTS, "x-nc-sel0": None}
OLDER_ENCODINGS = ("cp1252", "latin-1")  # after UTF-8, as ../shared/datasets/README.md says for the older sets
MAIN_LABELS = frozenset({Label.BODY, Label.HEADING, Label.TITLE})


@dataclass(frozen=True)
class Dataset:
    """How one folder is read: its gold format (a key of ``GOLD_FORMATS``), the encodings
    to try after UTF-8 (its README's word), and whether its golds carry mojibake to repair."""

    name: str
    gold_format: str
    encodings: tuple[str, ...] = ()
    gold_mojibake: bool = False

    @property
    def empty_gold_is_all_noise(self) -> bool:
        """CleanEval marks pages without main content (404s, index pages) with an empty gold."""
        return self.gold_format == "cleaneval"


# Every folder of ../shared/datasets and how to read it, chosen by hand from its README
# (never guessed from the folder's name). NAMES are the seven older sets the quality gate
# and the README's figures use; NEWER_NAMES came with issue 13.
REGISTRY = {dataset.name: dataset for dataset in (
    Dataset("cleaneval-dev", "cleaneval", OLDER_ENCODINGS, gold_mojibake=True),
    Dataset("cleaneval-final", "cleaneval", OLDER_ENCODINGS, gold_mojibake=True),
    Dataset("cleanportaleval", "cleaneval", OLDER_ENCODINGS, gold_mojibake=True),
    Dataset("dragnet_data", "dragnet", OLDER_ENCODINGS, gold_mojibake=True),
    Dataset("l3s-gn1", "l3s", OLDER_ENCODINGS, gold_mojibake=True),
    Dataset("readability", "readability", OLDER_ENCODINGS, gold_mojibake=True),
    Dataset("htmltotext", "plain", OLDER_ENCODINGS, gold_mojibake=True),
    # the newer golds are clean UTF-8 (googletrends' was repaired upstream); some quote mojibake on purpose
    Dataset("wcxb-dev", "wcxb"),
    Dataset("magic-html", "plain"),
    Dataset("chinese-cwce", "plain", ("gb18030",)),  # 47 of 69 inputs are GB2312/GBK
    Dataset("googletrends-2017", "googletrends", ("cp1252",)),
)}
NAMES = ("cleaneval-dev", "cleaneval-final", "cleanportaleval", "dragnet_data", "l3s-gn1", "readability", "htmltotext")
NEWER_NAMES = ("wcxb-dev", "magic-html", "chinese-cwce", "googletrends-2017")
ALL_NAMES = NAMES + NEWER_NAMES
DEFAULT_GOLD_FORMAT = "plain"  # a folder outside the registry (`noisecut import-gold` on your own data)


def dataset_of(name: str) -> Dataset:
    return REGISTRY.get(name) or Dataset(name, DEFAULT_GOLD_FORMAT)


@dataclass
class Page:
    dataset: str
    name: str
    html_path: Path
    gold_path: Path
    site: str
    lang: str
    meta: dict = field(default_factory=dict)  # the page's meta.jsonl record (page_type, with/without ...)
    gold_format: str | None = None  # overrides the registry's (`noisecut import-gold --gold-format`)

    @property
    def id(self) -> str:
        return f"{self.dataset}/{self.name}"

    @property
    def spec(self) -> Dataset:
        spec = dataset_of(self.dataset)
        return replace(spec, gold_format=self.gold_format) if self.gold_format else spec

    @property
    def page_type(self) -> str:
        """wcxb-dev's page type, magic-html's kind (article/forum); "" where the dataset has none."""
        return self.meta.get("page_type") or self.meta.get("kind") or ""


_INPUT_SUFFIXES = (".html", ".html.gz")


def _inputs(folder: Path) -> list[tuple[str, Path]]:
    """(name, path) of the pages in ``folder/input``, names sorted."""
    return sorted((path.name.removesuffix(suffix), path) for suffix in _INPUT_SUFFIXES
                  for path in (folder / "input").glob("*" + suffix))


def pages_without_gold(root: Path | str, datasets) -> list[str]:
    """``FOLDER/input/NAME.html`` of each page with no ``FOLDER/GoldStandard/NAME.txt``: ``iter_pages`` leaves them out."""
    root = Path(root)
    return [str(path.relative_to(root)) for dataset in datasets for name, path in _inputs(root / dataset)
            if not (root / dataset / "GoldStandard" / (name + ".txt")).exists()]


def read_meta(folder: Path) -> dict[str, dict]:
    """``meta.jsonl`` of a dataset folder by page name ({} if it has none)."""
    path = folder / "meta.jsonl"
    if not path.exists():
        return {}
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {record["name"]: record for record in records}


def iter_pages(root: Path | str = DATASETS, datasets=NAMES, limit: int | None = None,
               gold_format: str | None = None) -> Iterator[Page]:
    """Every page with a gold standard, dataset by dataset, names sorted (``limit`` per dataset).
    ``gold_format`` (a key of ``GOLD_FORMATS``) reads every gold that way instead of the registry's."""
    root = Path(root)
    for dataset in datasets:
        folder = root / dataset
        meta = read_meta(folder)
        with_gold = ((name, html, folder / "GoldStandard" / (name + ".txt")) for name, html in _inputs(folder))
        with_gold = (item for item in with_gold if item[2].exists())
        for name, html_path, gold_path in islice(with_gold, limit):
            record = meta.get(name, {})
            lang = record.get("language") or (name.split("-", 1)[0] if dataset == "htmltotext" else "en")
            page = Page(dataset, name, html_path, gold_path, "", lang, record, gold_format)
            try:
                page.site = find_site(page)
            except READ_ERRORS:  # an unreadable page (a truncated .gz): skipped by name when it is built, not here
                page.site = f"{dataset}:{name}"
            yield page


# --- reading ---------------------------------------------------------------------------

def decode(data: bytes, encodings: Sequence[str] = ()) -> str:
    """UTF-16 or UTF-8 with a byte-order mark, else UTF-8, else the first of ``encodings``
    (the encodings a dataset documents) that decodes.

    Bytes that none of them decodes: with documented encodings, the one that leaves the
    fewest replacement characters (a few broken bytes, not another charset); without,
    charset_normalizer's guess.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    candidates = ("utf-8-sig", *encodings)
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    if encodings:
        return min((data.decode(encoding, "replace") for encoding in candidates), key=lambda text: text.count("\ufffd"))
    guess = charset_normalizer.from_bytes(data).best()
    return str(guess) if guess is not None else data.decode("utf-8", "replace")


_MOJIBAKE_SIGNS = ("â€", "Ã")  # UTF-8 punctuation and accented letters read as cp1252


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 read as cp1252 ("donâ€™t" -> "don’t") with ftfy, in texts that show its signs.

    Texts without them are left alone: a stray "Â" or "Ã‚" can be in the page itself
    (l3s-gn1's golds are copies of the page), and the gold must match the page."""
    return ftfy.fix_encoding(text) if any(sign in text for sign in _MOJIBAKE_SIGNS) else text


_TEXT_WRAPPER = re.compile(r"^\s*<text\b[^>]*>|</text>\s*$", re.I)


def read_raw(page: Page) -> str:
    data = page.html_path.read_bytes()
    return decode(gzip.decompress(data) if page.html_path.suffix == ".gz" else data, page.spec.encodings)


def read_html(page: Page) -> str:
    """The page's HTML, without the ``<text id=URL>`` wrapper CleanEval puts around it."""
    return _TEXT_WRAPPER.sub("", read_raw(page))


def read_gold(page: Page) -> str:
    gold = decode(page.gold_path.read_bytes(), page.spec.encodings)
    return fix_mojibake(gold) if page.spec.gold_mojibake else gold


# --- site -------------------------------------------------------------------------------

_URL_PATTERNS = [re.compile(p, re.I | re.S) for p in (
    r"^\s*<text\b[^>]*\bid=[\"'](https?://[^\"']+)",
    r"<link\b[^>]*rel=[\"']?canonical[\"']?[^>]*href=[\"']?(https?://[^\"'\s>]+)",
    r"<link\b[^>]*href=[\"']?(https?://[^\"'\s>]+)[^>]*rel=[\"']?canonical",
    r"<meta\b[^>]*property=[\"']og:url[\"'][^>]*content=[\"'](https?://[^\"']+)",
    r"<meta\b[^>]*content=[\"'](https?://[^\"']+)[\"'][^>]*property=[\"']og:url",
    r"<base\b[^>]*href=[\"']?(https?://[^\"'\s>]+)",
)]
_LINK = re.compile(r"<a\b[^>]*href=[\"']?(https?://[^\"'\s>]+)", re.I)
# hosts that say nothing about whose page it is: test hosts, ads, trackers, share buttons
_IGNORED_HOSTS = {"", "fakehost", "localhost", "example.com", "doubleclick.net", "googlesyndication.com",
                  "google-analytics.com", "facebook.com", "twitter.com", "digg.com", "del.icio.us",
                  "icio.us", "delicious.com", "addthis.com", "addtoany.com", "reddit.com", "stumbleupon.com",
                  "newsvine.com", "technorati.com", "feedburner.com", "w3.org", "adobe.com", "macromedia.com",
                  "adtech.de", "fastclick.net", "atdmt.com", "2mdn.net", "yieldmanager.com", "advertising.com"}
_AD_HOST = re.compile(r"^https?://(ads?|adserver|adclick|banners?)\d*\.", re.I)
# the ICANN part of the public suffix list bundled with publicsuffixlist (no network): private
# suffixes (blogspot.com, github.io) are left out, so all blogs of one host stay one site
_SUFFIXES = PublicSuffixList(only_icann=True)


def host(url: str) -> str:
    """The registrable domain of a URL (``news.bbc.co.uk`` -> ``bbc.co.uk``), "" if none."""
    try:
        name = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    labels = name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return ""  # a test host ("fakehost") or an IP address
    return _SUFFIXES.privatesuffix(name) or ""


def find_site(page: Page) -> str:
    """The page's site (registrable domain): its URL in meta.jsonl, the gold's URL line,
    the HTML's own URL (CleanEval wrapper, canonical, og:url, base), else the domain it
    links to most.

    Falls back to ``dataset:name`` (readability: the name without its ``-N``).
    """
    from_meta = host(page.meta.get("url") or "")
    if from_meta not in _IGNORED_HOSTS:
        return from_meta
    if page.spec.gold_format == "cleaneval":
        first = read_gold(page).lstrip().split("\n", 1)[0]
        if first.startswith("URL:") and host(first[4:]) not in _IGNORED_HOSTS:
            return host(first[4:])
    raw = read_raw(page)
    for pattern in _URL_PATTERNS:
        match = pattern.search(raw)
        if match and host(htmllib.unescape(match.group(1))) not in _IGNORED_HOSTS:
            return host(htmllib.unescape(match.group(1)))
    links = [url for url in _LINK.findall(raw) if not _AD_HOST.match(url)]
    hosts = Counter(h for h in map(host, links) if h not in _IGNORED_HOSTS)
    if hosts:
        return hosts.most_common(1)[0][0]
    name = re.sub(r"-\d+$", "", page.name) if page.dataset == "readability" else page.name
    return f"{page.dataset}:{name}"


# --- gold -------------------------------------------------------------------------------

_CLEANEVAL_MARK = re.compile(r"^[ \t]*<([phl])>", re.I | re.M)
_DRAGNET_COMMENTS = re.compile(r"^[ \t]*[!@#$%^&*() ]*[$%^&*]{3}[!@#$%^&*() ]*\s*COMMENTS[ \t]*$", re.M)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, hard wraps unwrapped."""
    return [" ".join(p.split()) for p in re.split(r"\n[ \t\r]*\n", text) if p.strip()]


def cleaneval_gold(gold: str) -> list[tuple[str, Label]]:
    """CleanEval: a ``URL:`` line, paragraphs opened by ``<p>``, ``<h>`` (heading) or ``<l>``, hard-wrapped."""
    gold = gold.replace("\r\n", "\n").replace("\r", "\n")
    gold = re.sub(r"<!--.*?-->", "", gold, flags=re.S)  # "<!-- this page contains no article -->"
    if gold.lstrip().startswith("URL:"):
        gold = gold.lstrip().split("\n", 1)[1] if "\n" in gold.lstrip() else ""
    blocks: list[tuple[str, Label]] = []
    pieces = _CLEANEVAL_MARK.split(gold)  # text, mark, text, mark, text...
    marks = [None] + pieces[1::2]
    for mark, text in zip(marks, pieces[0::2]):
        label = Label.HEADING if mark and mark.lower() == "h" else Label.BODY
        for paragraph in _paragraphs(htmllib.unescape(text)):
            blocks.append((paragraph, label))
            label = Label.BODY  # text after a blank line inside a heading's run is body
    return blocks


def dragnet_gold(gold: str) -> list[tuple[str, Label]]:
    """Dragnet: the article's lines, then the comments after a ``!@#$%^&*() COMMENTS`` line."""
    gold = gold.replace("\r\n", "\n").replace("\r", "\n")
    main, *comments = _DRAGNET_COMMENTS.split(gold, maxsplit=1)
    blocks = [(p, Label.BODY) for p in _lines_of(main)]
    return blocks + [(p, Label.COMMENTS) for text in comments for p in _lines_of(text)]


def _lines_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _l3s_label(element, inherited):
    if element.tag == "span":
        for name in (element.get("class") or "").split():
            if name in L3S_LABELS:
                return L3S_LABELS[name]
    return inherited


def _html_gold_blocks(gold: str, label_of, label) -> list[tuple[str, Label]]:
    tree = parse_html(gold)
    if tree is None:
        return []
    blocks = html_blocks(tree, label_of, label, skip=("script", "style", "template"))
    return [(text, label) for text, label in blocks if label is not None]


def _readability_label(element, inherited):
    return Label.HEADING if isinstance(element.tag, str) and element.tag.lower() in _HEADINGS else inherited


def l3s_gold(gold: str) -> list[tuple[str, Label]]:
    """L3S-GN1: the page's HTML with spans ``x-nc-sel0``..``sel5`` (not content, title, body, meta, related, comments)."""
    return _html_gold_blocks(gold, _l3s_label, None)


def readability_gold(gold: str) -> list[tuple[str, Label]]:
    """Readability: HTML of the readable article; ``<h1>``..``<h6>`` are headings."""
    return _html_gold_blocks(gold, _readability_label, Label.BODY)


def plain_gold(gold: str) -> list[tuple[str, Label]]:
    """Plain text of the main content, a paragraph (or post) per line: all body."""
    return [(line, Label.BODY) for line in _lines_of(gold)]


def wcxb_gold(gold: str) -> list[tuple[str, Label]]:
    """WCXB: headings on their own lines, paragraphs between blank lines; nothing marks a
    heading, so every line is body (a forum's posts too: they are the page's main content)."""
    return plain_gold(gold)


def googletrends_gold(gold: str) -> list[tuple[str, Label]]:
    """GoogleTrends-2017: one line per block element the annotators labelled content
    (headline, byline, captions and text alike; user comments were left out): all body."""
    return plain_gold(gold)


# gold format -> reader; a dataset's format is named in REGISTRY, never guessed
GOLD_FORMATS = {
    "plain": plain_gold,
    "cleaneval": cleaneval_gold,
    "dragnet": dragnet_gold,
    "l3s": l3s_gold,
    "readability": readability_gold,
    "wcxb": wcxb_gold,
    "googletrends": googletrends_gold,
}


def gold_blocks(page: Page) -> list[tuple[str, Label]]:
    """The gold content as (paragraph, label) pairs, in page order; unlisted text is noise."""
    return GOLD_FORMATS[page.spec.gold_format](read_gold(page))


def gold_text(page: Page) -> str:
    """The main content for text-level evaluation: body, headings, title; no comments."""
    return "\n".join(text for text, label in gold_blocks(page) if label in MAIN_LABELS)
