"""``python -m noisecut``: the ``noisecut`` command (the same click group)."""
from noisecut.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="noisecut")
