"""The floor of the TUI start-up budget: a minimal Textual app that imports sqlmodel and
shows one label. bench/run.py times process start to this label on screen, as it does for
`fractal` to its first screen."""

import sqlmodel  # noqa: F401  (the import the budget allows for)
from textual.app import App, ComposeResult
from textual.widgets import Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("Minimal app ready")


if __name__ == "__main__":
    Minimal().run()
