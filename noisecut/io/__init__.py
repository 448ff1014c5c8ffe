"""Reading and writing documents: one module per format; atomic writes live here."""
