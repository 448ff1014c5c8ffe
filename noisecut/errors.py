"""The one error type the library raises for problems a user can fix."""


class NoiseCutError(Exception):
    """Bad input, a missing or mismatched model, a malformed file: one line for the user.

    The message is flattened to one line: third-party messages quoted inside
    it (pyarrow, warcio) may carry newlines.
    """

    def __init__(self, message: str = ""):
        super().__init__(" ".join(str(message).split()))
