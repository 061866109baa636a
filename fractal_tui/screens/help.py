"""`?`: every key of the screen below, and the keys that work everywhere."""

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# Generic movement keys every list and scroll area has; listing them hides the useful ones.
GENERIC_ACTIONS = {
    "command_palette",
    "copy_text",
    "cursor_up",
    "cursor_down",
    "cursor_left",
    "cursor_right",
    "focus_next",
    "focus_previous",
    "page_up",
    "page_down",
    "page_left",
    "page_right",
    "scroll_up",
    "scroll_down",
    "scroll_left",
    "scroll_right",
    "scroll_home",
    "scroll_end",
    "scroll_top",
    "scroll_bottom",
}


def _action_name(action: str) -> str:
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def key_rows(screen: Screen) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(this screen's keys, the app's keys) as (keys, description) rows.

    The screen's own bindings come first, then those of the focused widget (generic
    movement left out), then the app's. Keys for the same action share a row.
    """
    app = screen.app
    local: dict[tuple[str, str], list[str]] = {}
    shared: dict[tuple[str, str], list[str]] = {}
    actives = sorted(
        screen.active_bindings.values(),
        key=lambda a: (a.node is app, a.node is not screen, a.binding.action == "reload"),
    )
    for active in actives:
        binding: Binding = active.binding
        name = _action_name(binding.action)
        if not binding.description or name in GENERIC_ACTIONS:
            continue
        group = shared if active.node is app else local
        key = binding.key_display or app.get_key_display(binding)
        # Help has room for the full wording that a short footer label leaves out.
        label = binding.tooltip or binding.description
        keys = group.setdefault(("" if group is local else name, label), [])
        if key not in keys:
            keys.append(key)

    def rows(group: dict[tuple[str, str], list[str]]) -> list[tuple[str, str]]:
        return [(", ".join(keys), desc) for (_, desc), keys in group.items()]

    everywhere = rows(shared)
    if app.ENABLE_COMMAND_PALETTE and not any(d == "Command palette" for _, d in everywhere):
        everywhere.append(("^p", "Command palette"))
    return rows(local), everywhere


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
