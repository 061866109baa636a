"""What ending a session shows: duration, activities done, sets, bests of the day, goals."""

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from fractal_tui import timing
from fractal_tui.views import SessionSummary


def summary_renderable(summary: SessionSummary) -> Group:
    done = summary.activities_done
    head = Text()
    head.append(timing.clock_text(summary.duration_seconds), style="bold")
    head.append(
        f"  ·  {done} {'activity' if done == 1 else 'activities'} done"
        f"  ·  {summary.set_count} {'set' if summary.set_count == 1 else 'sets'}"
    )
    table = Table(box=None, show_header=True, header_style="dim", expand=True, pad_edge=False)
    table.add_column("")
    table.add_column("Activity", ratio=2)
    table.add_column("Time", justify="right")
    table.add_column("Sets", justify="right")
    table.add_column("Best of the day", ratio=3)
    for item in summary.instances:
        table.add_row(
            Text("✓", style="green") if item.completed else Text("·", style="dim"),
            item.activity_name,
            timing.clock_text(item.seconds),
            str(item.set_count) if item.set_count else "",
            item.best,
        )
    parts: list = [head, Text("")]
    if summary.instances:
        parts.append(table)
    else:
        parts.append(Text("No activities in this session.", style="dim"))
    if summary.goal_names:
        parts += [Text(""), Text("Worked on: " + ", ".join(summary.goal_names))]
    return Group(*parts)


class SummaryScreen(ModalScreen[None]):
    """The summary of an ended session; enter or escape closes it."""

    DEFAULT_CSS = """
    SummaryScreen {
        align: center middle;
        background: $background 60%;
    }
    SummaryScreen > #summary {
        width: 84;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $success 80%;
        background: $surface;
        padding: 0 1;
    }
    SummaryScreen #summary-title {
        text-style: bold;
        padding-bottom: 1;
    }
    SummaryScreen #summary-hint {
        color: $text-muted;
        padding-top: 1;
    }
    """

    BINDINGS = [
        Binding("escape,enter,q", "close", "Close"),
    ]

    def __init__(self, summary: SessionSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        name = self.summary.session.name or "Session"
        with Vertical(id="summary"):
            yield Static(f"{name} ended", id="summary-title", markup=False)
            yield Static(summary_renderable(self.summary), id="summary-body")
            yield Static("enter closes", id="summary-hint")

    def action_close(self) -> None:
        self.dismiss(None)
