"""noisecut: remove boilerplate and noise from plain text, line by line."""
__version__ = "1.0.0"
