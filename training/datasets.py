"""The gold-standard datasets in ../shared/datasets: pages, their HTML, their gold.

Nothing here copies data into the repository; everything is read in place.
The root is ``<parent of the repo>/shared/datasets`` unless the environment
variable ``NOISECUT_DATASETS`` points elsewhere.
"""
from __future__ import annotations

import html as htmllib
import os
import re
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlsplit

import charset_normalizer
import ftfy
from publicsuffixlist import PublicSuffixList

from noisecut.labels import Label

from .render import html_blocks, parse_html

DATASETS = Path(os.environ.get("NOISECUT_DATASETS") or Path(__file__).resolve().parents[1].parent / "shared" / "datasets")
NAMES = ("cleaneval-dev", "cleaneval-final", "cleanportaleval", "dragnet_data", "l3s-gn1", "readability", "htmltotext")
CLEANEVAL_STYLE = ("cleaneval-dev", "cleaneval-final", "cleanportaleval")
L3S_LABELS = {"x-nc-sel1": Label.TITLE, "x-nc-sel2": Label.BODY, "x-nc-sel3": Label.META,
              "x-nc-sel4": Label.RELATED, "x-nc-sel5": Label.COMMENTS, "x-nc-sel0": None}
OLDER_ENCODINGS = ("cp1252", "latin-1")  # after UTF-8, as ../shared/datasets/README.md says for the older sets
MAIN_LABELS = frozenset({Label.BODY, Label.HEADING, Label.TITLE})


@dataclass
class Page:
    dataset: str
    name: str
    html_path: Path
    gold_path: Path
    site: str
    lang: str

    @property
    def id(self) -> str:
        return f"{self.dataset}/{self.name}"


def iter_pages(root: Path | str = DATASETS, datasets=NAMES, limit: int | None = None) -> Iterator[Page]:
    """Every page with a gold standard, dataset by dataset, names sorted (``limit`` per dataset)."""
    root = Path(root)
    for dataset in datasets:
        inputs = sorted((root / dataset / "input").glob("*.html"))
        with_gold = ((path, root / dataset / "GoldStandard" / (path.stem + ".txt")) for path in inputs)
        with_gold = ((html, gold) for html, gold in with_gold if gold.exists())
        for html_path, gold_path in islice(with_gold, limit):
            name = html_path.stem
            lang = name.split("-", 1)[0] if dataset == "htmltotext" else "en"
            page = Page(dataset, name, html_path, gold_path, "", lang)
            page.site = find_site(page)
            yield page


# --- reading ---------------------------------------------------------------------------

def decode(data: bytes, encodings: Sequence[str] = ()) -> str:
    """UTF-16 or UTF-8 with a byte-order mark, else UTF-8, else the first of ``encodings``
    (the fallbacks a dataset documents) that decodes, else charset_normalizer's guess."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    for encoding in ("utf-8-sig", *encodings):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    guess = charset_normalizer.from_bytes(data).best()
    return str(guess) if guess is not None else data.decode("latin-1")


_MOJIBAKE_SIGNS = ("â€", "Ã")  # UTF-8 punctuation and accented letters read as cp1252


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 read as cp1252 ("donâ€™t" -> "don’t") with ftfy, in texts that show its signs.

    Texts without them are left alone: a stray "Â" or "Ã‚" can be in the page itself
    (l3s-gn1's golds are copies of the page), and the gold must match the page."""
    return ftfy.fix_encoding(text) if any(sign in text for sign in _MOJIBAKE_SIGNS) else text


_TEXT_WRAPPER = re.compile(r"^\s*<text\b[^>]*>|</text>\s*$", re.I)


def read_raw(page: Page) -> str:
    return decode(page.html_path.read_bytes(), OLDER_ENCODINGS)


def read_html(page: Page) -> str:
    """The page's HTML, without the ``<text id=URL>`` wrapper CleanEval puts around it."""
    return _TEXT_WRAPPER.sub("", read_raw(page))


def read_gold(page: Page) -> str:
    return fix_mojibake(decode(page.gold_path.read_bytes(), OLDER_ENCODINGS))


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
    """The page's site (registrable domain): the gold's URL line, the HTML's own URL
    (CleanEval wrapper, canonical, og:url, base), else the domain it links to most.

    Falls back to ``dataset:name`` (readability: the name without its ``-N``).
    """
    if page.dataset in CLEANEVAL_STYLE:
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


def _cleaneval_blocks(gold: str) -> list[tuple[str, Label]]:
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


def _dragnet_blocks(gold: str) -> list[tuple[str, Label]]:
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


def gold_blocks(page: Page) -> list[tuple[str, Label]]:
    """The gold content as (paragraph, label) pairs, in page order; unlisted text is noise."""
    gold = read_gold(page)
    if page.dataset in CLEANEVAL_STYLE:
        return _cleaneval_blocks(gold)
    if page.dataset == "dragnet_data":
        return _dragnet_blocks(gold)
    if page.dataset == "l3s-gn1":
        return _html_gold_blocks(gold, _l3s_label, None)
    if page.dataset == "readability":
        return _html_gold_blocks(gold, _readability_label, Label.BODY)
    return [(line, Label.BODY) for line in _lines_of(gold)]  # htmltotext


def gold_text(page: Page) -> str:
    """The main content for text-level evaluation: body, headings, title; no comments."""
    return "\n".join(text for text, label in gold_blocks(page) if label in MAIN_LABELS)
