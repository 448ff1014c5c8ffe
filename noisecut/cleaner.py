"""Cleaning: split -> features -> probabilities -> select -> join.

``Cleaner`` loads a model once and reuses it; ``clean()`` uses a shared
``Cleaner`` over the shipped model. Many documents (``clean_many``,
``clean_documents``, ``classify_many``) go through the model in batches
(``batching.py``), each with the result it gets alone. A model that reads
markup (``models/html``) gets each document's markup rows beside its lines
(``markup.document_markup``): documents rendered from HTML only. With no
model named, documents rendered from HTML go to the shipped HTML model and
text to the default one (``_Route``: a model and its policy), each batch
split between them. A site expert (``noisecut train --from``) named as the
model cleans the documents of its site itself and leaves other pages to
the shipped HTML model, and other text to the shipped default model when
it was tuned from ``-m fast`` (as ``noisecut train --from`` does by
default): the others are cleaned as if no model were named.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import numpy as np

from . import batching, unwrap
from .document import Document, encode, keep_with_blanks
from .labels import KEEP_DEFAULT, Label, parse_label
from .markup import document_markup
from .errors import NoiseCutError
from .model import FROM_DEFAULT, META, MODEL_ENV, Model, read_meta, shipped_model_dir
from .policy import THRESHOLD_DEFAULT, Policy, check_keep, check_known, check_threshold, is_flag, missing_labels, select
from .sites import SiteMemory, demote_document
from .sites import check_argument as check_site_memory


@dataclass
class LineResult:
    """One line's verdict: what ``--explain`` prints."""

    index: int                # line number in the document, from 0
    text: str
    label: Label | None       # None for blank lines
    probability: float        # of ``label``
    keep_score: float         # probability mass of the kept labels (0 where the site memory dropped the line)
    kept: bool
    site_memory: bool = False  # dropped by the site memory: the model alone keeps it (``sites.py``)


class Decision(NamedTuple):
    """The model's verdict on one document's non-blank lines."""

    content: list[int]          # indices of the non-blank lines in the document
    probabilities: np.ndarray   # (non-blank lines x labels)
    keep_score: np.ndarray      # probability mass of the kept labels
    kept: np.ndarray            # the keep decisions (``policy.select``)
    by_memory: np.ndarray | None = None  # the lines the model alone keeps that the site memory dropped

    def kept_indices(self) -> list[int]:
        return [i for i, k in zip(self.content, self.kept) if k]


class Cleaner:
    """Load a model once, clean many texts.

    >>> cleaner = Cleaner()                                       # doctest: +SKIP
    >>> cleaner.clean("Home | News | Sport\\nA long paragraph ...")  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Model | str | Path | None = None,
        keep: Iterable[Label | str] = KEEP_DEFAULT,
        threshold: float | str = THRESHOLD_DEFAULT,
        dedupe: bool = True,
        site_memory=None,
        page_model: Model | str | Path | None = None,
        other_text_model: Model | str | Path | None = None,
    ):
        """``model``: a ``Model``, a model directory or shipped model name, or None for the shipped models:
        ``default`` for text, ``html`` for documents that keep the HTML page they were rendered from
        (``io.html.render_document``), unless $NOISECUT_MODEL names one model for both.
        A site expert (``noisecut train --from``), named either way, leaves the pages its gate does not
        recognise to the shipped HTML model, and other text to the shipped default model when it was tuned
        from ``-m fast`` (``shipped_default_for_other_text``; else to its base stage).
        ``page_model``: the model for those documents when it is not ``model`` (for a site expert: for the
        pages of other sites; Ray's actors are given both).
        ``other_text_model``: for a site expert, the model for other sites' text (default: the shipped
        default model for an expert tuned from ``-m fast``, else its own base stage).
        ``keep``: the labels kept (``Label`` members or their names); each beyond ``KEEP_DEFAULT`` must be
        a label of the models named (``check_keep_for``). Where the shipped HTML model (7 of the 12 labels)
        lacks one, HTML pages are cleaned by the text model.
        ``threshold``: a number from 0 to 1, or a preset the model records
        (``"precision"``, ``"recall"``: see its model card; each model its own).
        ``dedupe``: drop later exact repeats of kept lines.
        ``site_memory``: a ``sites.SiteMemory`` or its file (``noisecut sites``): drop lines that recur
        on most of their site's pages unless the model is confident (``sites.py``).
        Wrong types raise TypeError, wrong values ValueError, each naming what is allowed.
        """
        for name, value in (("model", model), ("page_model", page_model), ("other_text_model", other_text_model)):
            if not (value is None or isinstance(value, (Model, str, os.PathLike))):
                raise TypeError(f"{name} takes a Model, a model directory or None (the shipped model), not {type(value).__name__}")
        if not is_flag(dedupe):
            raise TypeError(f"dedupe takes True or False, not {type(dedupe).__name__}")
        keep = check_keep(keep)
        self.model = _loaded(model)
        self._route_options = (keep, threshold, bool(dedupe))
        self._text = _Route(self.model, *self._route_options)
        self.policy = self._text.policy
        # pages' route: with no model named, or a site expert's for other sites' pages, the shipped HTML model's,
        # made for the first page
        self._pages: _Route | None = None
        if page_model is not None:
            self._pages = _Route(_loaded(page_model), *self._route_options)
        elif model is not None and self.model.site is None:
            self._pages = self._text
        check_keep_for(keep, None if model is None else self.model, self._pages.model if page_model is not None else None)
        # a site expert's route for other sites' text: the shipped default model, made for the first such text
        self._other_text: _Route | None = None
        if other_text_model is not None:
            self._other_text = _Route(_loaded(other_text_model), *self._route_options)
        check_site_memory(site_memory)
        if isinstance(site_memory, (str, os.PathLike)):
            site_memory = SiteMemory.load(site_memory)
        self.site_memory = site_memory

    @property
    def page_model(self) -> Model:
        """The model for documents that keep their HTML page (``model`` unless they differ; for a site
        expert, the model for the pages of other sites)."""
        return self._page_route().model

    @property
    def other_text_model(self) -> Model:
        """For a site expert, the model for the text of other sites (else ``model``)."""
        return self._other_text_route().model

    @property
    def needs_pages(self) -> bool:
        """Whether a document must come with its page (to a worker): pages go to a model of their own,
        or the model reads their markup."""
        pages = self._page_route()
        return pages is not self._text or pages.model.reads_markup

    def _page_route(self) -> "_Route":
        if self._pages is None:  # loaded when needed: a Cleaner that only meets text never loads it
            # a site expert named by $NOISECUT_MODEL hands other pages on too: the HTML model cleans them
            # better than the expert's base text model
            html_model = shipped_html_model() if self.model.site is not None else shipped_page_model()
            if html_model is None or missing_labels(self._route_options[0], html_model.labels):
                # a kept label the HTML model lacks (it has 7 of the 12): the text model, which has it, cleans pages
                self._pages = self._text if self.model.site is None else self._other_text_route()
            else:
                self._pages = _Route(html_model, *self._route_options)
        return self._pages

    def _other_text_route(self) -> "_Route":
        if self._other_text is None:  # loaded when needed, as the pages' route
            default = shipped_default_for_other_text(self.model)
            self._other_text = self._text if default is None else _Route(default, *self._route_options)
        return self._other_text

    def _recognised(self, doc: Document) -> bool:
        """Whether the model's site expert recognises ``doc`` as a page of its site (False without one)."""
        return self.model.site is not None and self.model.site.recognises([doc.lines[i] for i in doc.content_indices()])

    def _route(self, doc: Document, recognised: bool | None = None) -> "_Route":
        if self._recognised(doc) if recognised is None else recognised:
            return self._text  # a document of the expert's own site
        return self._page_route() if doc.html is not None or doc.markup is not None else self._other_text_route()

    def model_for(self, doc: Document) -> Model:
        """The model ``doc`` is cleaned with (with no model named: the HTML model for a page, else the text model)."""
        return self._route(doc).model

    def policy_for(self, doc: Document) -> Policy:
        """The policy ``doc`` is cleaned with: its model's (a preset threshold is each model's own)."""
        return self._route(doc).policy

    def _decide(self, docs: Iterable[Document]) -> Iterator[tuple[Document, "_Route", Decision]]:
        """Each document with its model and decision, in order; the models read them in batches (``batching.py``)."""
        for batch in batching.batches(docs):
            recognised = [self._recognised(doc) for doc in batch]  # once: the expert's model is told, not asked again
            routes = [self._route(doc, r) for doc, r in zip(batch, recognised)]
            decisions: list = [None] * len(batch)
            for route in {id(r): r for r in routes}.values():
                picked = [i for i, r in enumerate(routes) if r is route]
                told = [recognised[i] for i in picked] if route.model.site is not None else None
                for i, decision in zip(picked, route.decide([batch[i] for i in picked], self.site_memory, told)):
                    decisions[i] = decision
            yield from zip(batch, routes, decisions)

    def clean_documents(self, docs: Iterable[Document]) -> Iterator[str]:
        """The cleaned text of each document, in order (read lazily, a batch at a time)."""
        for doc, _, decision in self._decide(_documents_argument(docs, "clean_documents")):
            yield doc.join(keep_with_blanks(doc, decision.kept_indices()))

    def clean_document(self, doc: Document) -> str:
        return next(self.clean_documents([_document_argument(doc, "clean_document")]))

    def clean(self, text: str) -> str:
        """The kept lines of ``text``, unchanged and in order."""
        return self.clean_document(Document.from_text(_text_argument(text, "clean")))

    def clean_bytes(self, data: bytes) -> bytes:
        """Like ``clean`` on raw bytes; invalid UTF-8 in kept lines comes back byte for byte."""
        doc = Document.from_bytes(_bytes_argument(data, "clean_bytes"))
        return encode(self.clean_document(doc), doc.encoding)

    def clean_many(self, texts: Iterable[str]) -> Iterator[str]:
        """``clean`` of each text, in order; the texts are read lazily and cleaned in batches."""
        if isinstance(texts, (str, bytes)):  # iterating it would clean one character at a time
            raise TypeError("clean_many() takes an iterable of texts, not one text; for one text use clean()")
        texts = _iterable_argument(texts, "clean_many", "texts (str)")
        return self.clean_documents(Document.from_text(_text_argument(text, "clean_many", i)) for i, text in enumerate(texts))

    def classify(self, text: str | Document) -> list[LineResult]:
        """Every line with its label, probability and whether it is kept.

        The label is the most probable one on the side of the decision: a
        kept line gets the best kept label, a dropped line the best other one.
        """
        return next(self.classify_many([text if isinstance(text, Document) else Document.from_text(_text_argument(text, "classify"))]))

    def classify_many(self, docs: Iterable[Document]) -> Iterator[list[LineResult]]:
        """``classify`` of each document, in order, in batches."""
        for doc, route, decision in self._decide(_documents_argument(docs, "classify_many")):
            content, p, keep_score, kept, by_memory = decision
            in_keep = np.zeros(len(route.model.labels), dtype=bool)
            in_keep[route.keep_columns] = True
            results = [LineResult(i, line, None, 0.0, 0.0, False) for i, line in enumerate(doc.lines)]
            on_keep_side = kept | (keep_score >= route.policy.threshold)
            masked = np.where(on_keep_side[:, None] == in_keep[None, :], p, -1.0)
            best = masked.argmax(axis=1) if len(content) else []
            for row, i in enumerate(content):
                results[i] = LineResult(i, doc.lines[i], route.model.labels[best[row]], float(p[row, best[row]]), float(keep_score[row]), False)
            for i in keep_with_blanks(doc, decision.kept_indices()):
                results[i].kept = True
            if by_memory is not None:
                for row in np.flatnonzero(by_memory):
                    results[content[row]].site_memory = True
            yield results

    def explain(self, data: bytes) -> bytes:
        """One row per line: verdict, label, probability, keep score (``site`` where the site memory dropped the
        line), the line (after ``site_note``'s line, if any, and a note counting the lines the memory dropped)."""
        doc = Document.from_bytes(_bytes_argument(data, "explain"))
        return encode(explain_table(self.classify(doc), self.site_note(doc)))

    def site_note(self, doc: Document) -> str | None:
        """For a model with a site expert (``noisecut train --from``): whether ``doc`` goes through it, and why."""
        site = self.model.site
        if site is None:
            return None
        route = self._route(doc)
        handed_on = "" if route is self._text else (
            f"; the {'HTML' if route.model.reads_markup else 'page' if route is self._pages else 'default'} model cleans it")
        if not len(site.fingerprint):
            return "site expert not used: its labeled pages share no lines, so no page is recognised as theirs" + handed_on
        shared = site.shared_lines([doc.lines[i] for i in doc.content_indices()])
        return (f"site expert {'used' if site.admits(shared) else 'not used'}: this page has {shared} of its "
                f"{len(site.fingerprint)} fingerprint lines (it needs {site.threshold})" + handed_on)


class _Route:
    """One model with the policy as it resolves for it (a preset threshold is the model's own)."""

    def __init__(self, model: Model, keep: frozenset, threshold: float | str, dedupe: bool):
        self.model = model
        self.policy = Policy(keep, check_threshold(threshold, model.meta.get("presets")), dedupe)
        self.keep_columns = model.columns(keep)

    def decide(self, docs: list[Document], site_memory: SiteMemory | None,
               routes: list[bool] | None = None) -> Iterator[Decision]:
        contents = [doc.content_indices() for doc in docs]
        texts = [[doc.lines[i] for i in content] for doc, content in zip(docs, contents)]
        markup = ([document_markup(doc, content, self.model.meta.get("name", "")) for doc, content in zip(docs, contents)]
                  if self.model.reads_markup else None)
        # text broken inside paragraphs is read a paragraph at a time (unwrap.py); markup rows belong to rendered lines
        owners = [None if markup is not None else unwrap.paragraphs_of(content, lines) for content, lines in zip(contents, texts)]
        read = [lines if owner is None else unwrap.joined(lines, owner) for lines, owner in zip(texts, owners)]
        given = batching.probabilities(self.model, read, markup=markup, routes=routes)
        for doc, content, lines, owner, p in zip(docs, contents, texts, owners, given):
            if owner is not None:
                p = p[owner]  # each line gets its paragraph's probabilities
            keep_score = p[:, self.keep_columns].sum(axis=1)
            by_memory = None
            if site_memory is not None and lines:
                demoted = demote_document(site_memory, doc, lines, keep_score)
                if (demoted < keep_score).any():  # selected twice only where the memory changed a score
                    by_memory = select(lines, keep_score, self.policy)  # what the model alone keeps ...
                    keep_score = demoted
            kept = select(lines, keep_score, self.policy) if lines else np.zeros(0, bool)
            if by_memory is not None:
                by_memory &= ~kept  # ... that the memory took away: --explain says so
            yield Decision(content, p, keep_score, kept, by_memory)


def _loaded(model: Model | str | Path | None) -> Model:
    return model if isinstance(model, Model) else Model.load(model)


def shipped_page_model() -> Model | None:
    """The model for HTML pages when none is named: the shipped HTML model, unless $NOISECUT_MODEL
    names one model for everything (or this install has no HTML model: then the text model)."""
    return None if os.environ.get(MODEL_ENV) else shipped_html_model()


def shipped_default_for_other_text(model: Model) -> Model | None:
    """For a site expert tuned from ``-m fast`` (what ``train --from`` tunes when no model is named), the
    shipped default model: the text of other sites is cleaned as with no model named, better than by the
    expert's base. None for any other model (a model tuned from another base keeps it for other text)."""
    base = ((model.meta.get("training") or {}).get("fine_tuned_from") or {}).get("sha256")
    if model.site is None or base is None:
        return None
    try:
        fast, default = shipped_model_dir(FROM_DEFAULT), shipped_model_dir("default")
    except NoiseCutError:  # an install without -m fast
        return None
    if not (default / META).is_file() or read_meta(fast).get("sha256") != base:
        return None
    return Model.load(default)


def check_keep_for(keep: frozenset[Label], model: Model | str | Path | None = None,
                   page_model: Model | str | Path | None = None) -> None:
    """Refuse (ValueError) kept labels that a model named to clean with them lacks (``policy.check_known``):
    ``model`` (None: the default one) and ``page_model``. A model not loaded is read from its model.json:
    the CLI checks ``--keep`` so before reading any input. (The shipped HTML model, which has 7 of the 12
    labels, is not checked: where it lacks a kept label, the text model cleans the pages: ``_page_route``.)"""
    for chosen, role in ((model, ""), (page_model, " (for HTML pages)")):
        if chosen is not None or not role:
            labels, name = _labels_of(chosen)
            if labels is not None:
                check_known(keep, labels, name + role)


def _labels_of(model: Model | str | Path | None) -> tuple[tuple[Label, ...] | None, str]:
    """A model's labels and name (for messages), from its model.json when it is not loaded
    (labels None when it lists none readable: loading the model says what is wrong with it)."""
    if isinstance(model, Model):
        return model.labels, model.meta.get("name") or "given"
    meta = read_meta(model)
    name = meta.get("name") or str(model or "default")
    try:
        return tuple(parse_label(label) for label in meta["labels"]), name
    except (KeyError, TypeError, ValueError, AttributeError):
        return None, name


def shipped_html_model() -> Model | None:
    """The shipped HTML model (``models/html``), or None where this install has none."""
    try:
        directory = shipped_model_dir("html")
    except NoiseCutError:
        return None
    return Model.load(directory)


MEMORY_MARK = "site"  # in the keep score's column of a line the site memory dropped
MEMORY_NOTE = (f"site memory: dropped {{lines}} the model keeps, found on half or more of the site's pages "
               f"(keep score shown as {MEMORY_MARK})")


def explain_table(results: list[LineResult], note: str | None = None) -> str:
    """``Cleaner.explain``'s table for a document's ``classify`` results, after a ``# note`` line if given,
    and a ``# site memory: ...`` line when the site memory dropped lines the model keeps (each marked
    ``MEMORY_MARK`` in the keep score's column)."""
    rows = [] if note is None else [f"# {note}\n"]
    dropped = sum(r.site_memory for r in results)
    if dropped:
        rows.append(f"# {MEMORY_NOTE.format(lines='1 line' if dropped == 1 else f'{dropped} lines')}\n")
    for r in results:
        mark = "+" if r.kept else "-"
        label = r.label.value if r.label else ""
        keep_score = MEMORY_MARK if r.site_memory else f"{r.keep_score:4.2f}"
        numbers = f"{r.probability:4.2f} {keep_score}" if r.label else " " * 9
        rows.append(f"{mark} {label:<9} {numbers}  {r.text}\n")
    return "".join(rows)


def _text_argument(text, method: str, index: int | None = None) -> str:
    if isinstance(text, str):
        return text
    hint = "; for bytes use clean_bytes()" if isinstance(text, (bytes, bytearray, memoryview)) else ""
    which = "" if index is None else f" (text {index}, from 0)"
    raise TypeError(f"{method}() takes the text as a str, not {type(text).__name__}{which}{hint}")


def _iterable_argument(items, method: str, what: str) -> Iterator:
    try:
        return iter(items)
    except TypeError:
        raise TypeError(f"{method}() takes an iterable of {what}, not {type(items).__name__}") from None


def _document_argument(doc, method: str, index: int | None = None) -> Document:
    if isinstance(doc, Document):
        return doc
    which = "" if index is None else f" (item {index}, from 0)"
    hint = "; for texts use clean_many() or classify(), or make one with Document.from_text()" if isinstance(doc, str) else ""
    raise TypeError(f"{method}() takes noisecut.Document objects, not {type(doc).__name__}{which}{hint}")


def _documents_argument(docs, method: str) -> Iterator[Document]:
    """``docs`` checked as they are read: an iterable of ``Document``s (a TypeError naming the first that is not)."""
    if isinstance(docs, (Document, str, bytes)):
        raise TypeError(f"{method}() takes an iterable of noisecut.Document objects, not one {type(docs).__name__}"
                        + ("; for one document use clean_document()" if isinstance(docs, Document) else "; for texts use clean_many()"))
    return (_document_argument(doc, method, i) for i, doc in enumerate(_iterable_argument(docs, method, "noisecut.Document objects")))


def _bytes_argument(data, method: str) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    for_str = {"explain": "classify(), or explain(text.encode())"}.get(method, "clean()")
    hint = f"; for str use {for_str}" if isinstance(data, str) else ""
    raise TypeError(f"{method}() takes the text as bytes, not {type(data).__name__}{hint}")


_default: Cleaner | None = None


def clean(text: str) -> str:
    """Clean ``text`` with the shipped model and default policy."""
    global _default
    if _default is None:
        _default = Cleaner()
    return _default.clean(text)
