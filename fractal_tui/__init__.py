"""Fractal: a keyboard-first terminal practice tracker."""

from fractal_tui._version import __version__

__all__ = ["__version__"]
