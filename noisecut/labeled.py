"""The labeled-document format (``*.lines``): one line of the document per line.

Human-editable and diff-friendly: fixing a label is editing one word.

    # id: seed-000
    # lang: en
    title	Qureshi, Lavrov lead Pakistan-Russian delegation-level talks
                                      (an empty line is a blank line of the document)
    body	ISLAMABAD, Pakistan: The delegation-level talks between ...

* ``LABEL<TAB>TEXT``: the label (see ``noisecut.labels``), one tab, then the
  line exactly as it appears in the document (tabs inside the text are fine:
  only the first tab separates).
* An empty line is a blank line of the document; it carries no label.
* Lines starting with ``#`` are comments; ``# key: value`` comments before the
  first labeled line are the document's metadata (id, lang, source, site, ...).
* UTF-8 text; invalid bytes are kept through ``surrogateescape``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .document import BOM, ENCODING, ERRORS, WIDE_BOMS, Document
from .labels import Label, parse_label
from .markup import read_rows

SUFFIX = ".lines"


class LabeledFormatError(ValueError):
    """A malformed labeled file; the message names the file and line."""


@dataclass
class LabeledDocument:
    """A document plus one label per line (``None`` for blank lines)."""

    doc: Document
    labels: list[Label | None]
    meta: dict = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        return self.meta.get("id") or self.doc.id


def page_of(labeled: LabeledDocument, number: int) -> str:
    """Which page document ``number`` of a list is: one page's renderings share this key (the corpus's
    and ``import-gold``'s dataset and name), any other document has its own."""
    name = labeled.meta.get("name")
    return f"{labeled.meta.get('dataset', '')}/{name}" if name else labeled.id or str(number)


def parse(text: str, source: str = "<string>") -> LabeledDocument:
    meta: dict = {}
    lines: list[str] = []
    labels: list[Label | None] = []
    rows = text.split("\n")
    if rows[-1] == "":  # the file's final newline ends the last row; it is not a blank line
        rows.pop()
    for number, row in enumerate(rows, start=1):
        row = row.rstrip("\r")
        if row.startswith("#"):
            key, sep, value = row[1:].partition(":")
            if sep and key.strip() and not any(label is not None for label in labels):
                meta[key.strip()] = value.strip()
            continue
        if not row.strip():
            lines.append("")
            labels.append(None)
            continue
        name, tab, line = row.partition("\t")
        if not tab:
            raise LabeledFormatError(f"{source}:{number}: expected LABEL<TAB>TEXT, got {row[:60]!r}")
        try:
            label = parse_label(name)
        except ValueError as error:
            raise LabeledFormatError(f"{source}:{number}: {error}") from None
        if not line.strip():
            raise LabeledFormatError(f"{source}:{number}: label {name.strip()!r} on an empty line")
        lines.append(line)
        labels.append(label)
    doc = Document(lines, ["\n"] * len(lines), id=meta.get("id"), meta=meta)
    return LabeledDocument(doc, labels, meta)


def format(labeled: LabeledDocument) -> str:
    out = [f"# {key}: {value}" for key, value in labeled.meta.items()]
    for line, label in zip(labeled.doc.lines, labeled.labels):
        if label is None or not line.strip():
            out.append("")
        else:
            out.append(f"{label.value}\t{line}")
    return "\n".join(out) + "\n"


def read(path: str | Path) -> LabeledDocument:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LabeledFormatError(f"{path}: cannot read ({error.strerror})") from None
    for bom, encoding in WIDE_BOMS:
        if data.startswith(bom):
            wide = encoding.upper()[:6]
            raise LabeledFormatError(f"{path}: {wide} (its byte-order mark says so); labeled files are UTF-8: "
                                     f"re-encode it (iconv -f {wide} -t UTF-8)")
    text = data.decode(ENCODING, ERRORS).removeprefix(BOM)
    labeled = parse(text, str(path))
    labeled.meta.setdefault("id", path.stem)
    return labeled


def read_with_page_rows(path: str | Path) -> LabeledDocument:
    """``read``, with the markup rows of its page when they sit beside it (``noisecut import-gold``
    writes them for html_text renderings): then it is a page, cleaned as ``noisecut clean page.html`` would."""
    labeled = read(path)
    labeled.doc.markup = read_rows(path, len(labeled.doc.lines))
    return labeled


def write(labeled: LabeledDocument, path: str | Path) -> None:
    Path(path).write_bytes(format(labeled).encode(ENCODING, ERRORS))


def find(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand files and directories (recursively) into ``*.lines`` files, sorted."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(path.rglob("*" + SUFFIX))
        elif path.exists():
            yield path
        else:
            raise LabeledFormatError(f"{path}: no such file or directory")


def read_all(paths: Iterable[str | Path]) -> list[LabeledDocument]:
    return [read(path) for path in find(paths)]
