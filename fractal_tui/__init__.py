"""Fractal: a keyboard-first terminal practice tracker.

Only the version lives here, and it is looked up on first use: importing
importlib.metadata costs ~20 ms that `fractal --help` should not pay.
"""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name != "__version__":
        raise AttributeError(f"module 'fractal_tui' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("fractal-tui")
    except PackageNotFoundError:  # running from a checkout that was never installed
        value = "0+unknown"
    globals()["__version__"] = value
    return value
