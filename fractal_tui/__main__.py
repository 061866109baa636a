"""`python -m fractal_tui` runs the `fractal` command."""

from fractal_tui.cli import main

main()
