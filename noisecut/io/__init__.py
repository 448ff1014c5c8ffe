"""Reading and writing documents: one module per format; atomic writes live here.

* ``text``: a text file is a document; a directory of ``.txt`` files mirrors into another
* ``jsonl``: JSON Lines, plain or gzip'd
* ``parquet``: Parquet via pyarrow, in record batches
* ``warc``: Common Crawl WET/WARC via warcio
* ``files``: opening inputs, atomic outputs, what to do with a bad record
* ``formats``: which format a path holds, and its reader or writer
* ``pipeline``: ``clean_files`` (the ``noisecut clean`` command) and ``clean_stream``
"""
from .pipeline import CleanConfig, CleanStats, clean_files, clean_stream  # noqa: F401

__all__ = ["CleanConfig", "CleanStats", "clean_files", "clean_stream"]
