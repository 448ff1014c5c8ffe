"""Reading and writing documents: one module per format; atomic writes live here.

* ``text``: a text file (or an HTML page) is a document; a directory of ``.txt``, ``.md`` and ``.html`` files mirrors into another
* ``html``: HTML in: a page's bytes decoded as a browser would, rendered to lines (html_text or inscriptis)
* ``jsonl``: JSON Lines, plain or gzip'd
* ``parquet``: Parquet via pyarrow, in record batches
* ``warc``: Common Crawl WET/WARC via warcio
* ``records``: a JSONL or Parquet record as a document, and back with its other fields
* ``files``: opening inputs, atomic outputs, what to do with a bad record
* ``formats``: which format a path holds, and its reader or writer
* ``pipeline``: ``clean_files`` (the ``noisecut clean`` command) and ``clean_stream``
"""
from .pipeline import CleanConfig, CleanStats, clean_files, clean_stream  # noqa: F401

__all__ = ["CleanConfig", "CleanStats", "clean_files", "clean_stream"]
