"""The one error type the library raises for problems a user can fix."""


class NoiseCutError(Exception):
    """Bad input, a missing or mismatched model, a malformed file: one line for the user."""
