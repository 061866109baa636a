"""The package version, read by the build (hatch) and by `fractal --version`.

A constant rather than importlib.metadata: that import alone costs `fractal --version` ~20 ms.
"""

__version__ = "0.1.0"
