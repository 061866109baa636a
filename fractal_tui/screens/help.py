"""`?`: every key of the screen below, and the keys that work everywhere."""

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

_HIDDEN_ACTIONS = {"command_palette"}


def key_rows(screen: Screen) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(this screen's keys, the app's keys) as (key, description) rows, in declared order."""
    app = screen.app
    local: list[tuple[str, str]] = []
    everywhere: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding: Binding = active.binding
        if not binding.description or not active.enabled and active.node is not app:
            continue
        key = binding.key_display or app.get_key_display(binding)
        row = (key, binding.description)
        if row in seen:
            continue
        seen.add(row)
        (everywhere if active.node is app else local).append(row)
    if ("^p", "palette") not in seen and app.ENABLE_COMMAND_PALETTE:
        everywhere.append((app.get_key_display(Binding("ctrl+p", "")), "Command palette"))
    return local, everywhere


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", style="bold", no_wrap=True, min_width=7)
    table.add_column()
    table.title = title
    table.title_justify = "left"
    table.title_style = "bold underline"
    for key, description in rows:
        table.add_row(Text(key), Text(description))
    if not rows:
        table.add_row("", Text("(none)", style="dim"))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen it was opened over. Any of escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > #help {
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary 80%;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-title {
        text-style: bold;
        padding-bottom: 1;
    }
    HelpScreen #help-body {
        height: auto;
        max-height: 1fr;
    }
    HelpScreen #help-columns {
        height: auto;
    }
    HelpScreen .help-column {
        width: 1fr;
        height: auto;
    }
    HelpScreen #help-foot {
        color: $text-muted;
        padding-top: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?"),
        Binding("q", "close", "Close"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.for_screen = screen
        self.local, self.everywhere = key_rows(screen)
        self.screen_title = screen.sub_title or screen.title or type(screen).__name__

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(f"Keys — {self.screen_title}", id="help-title", markup=False)
            with VerticalScroll(id="help-body"), Horizontal(id="help-columns"):
                yield Static(_table("This screen", self.local), classes="help-column")
                yield Static(_table("Everywhere", self.everywhere), classes="help-column")
            yield Static("escape closes · ctrl+p finds any command by name", id="help-foot")

    def action_close(self) -> None:
        self.dismiss(None)

    def rows(self) -> list[Any]:
        return [*self.local, *self.everywhere]
