"""Domain errors: what the store raises and what the CLI and TUI show as a message.

Kept free of heavy imports so the CLI can catch them without loading SQLAlchemy.
"""


class FractalError(Exception):
    """Base of every error a person should see as a message, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(FractalError):
    """A named row does not exist (or is deleted)."""


class Invalid(FractalError):
    """Input breaks a rule: a bad level, a fourth metric, an end before a start."""


class Conflict(FractalError):
    """The request clashes with the current state: a second running timer or session."""


class SchemaError(FractalError):
    """The database schema is behind or ahead of this program."""
