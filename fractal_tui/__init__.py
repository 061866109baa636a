"""Fractal: a keyboard-first terminal practice tracker.

Only the version lives here: importing the package must stay cheap for `fractal --help`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fractal-tui")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
