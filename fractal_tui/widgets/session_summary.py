"""What ending a session shows: duration, activities done, sets, bests of the day, "vs last
time" per activity, goals."""

from collections.abc import Mapping

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from fractal_tui import timing
from fractal_tui.comparison import describe
from fractal_tui.views import Comparison, MetricDelta, SessionSummary

Comparisons = Mapping[str, Comparison]  # instance id -> against its last time


def known_deltas(c: Comparison) -> list[MetricDelta]:
    """The figures that both sides have: each metric, then the yield and the volume."""
    rows = [*c.metrics, c.yield_delta, c.volume_delta]
    return [d for d in rows if d is not None and d.delta is not None]


def trend_mark(improved: bool | None, changed: bool) -> Text:
    """▲ better, ▼ worse, = unchanged (nothing when it cannot be told)."""
    if improved:
        return Text("▲", style="bold green")
    if improved is False and changed:
        return Text("▼", style="bold red")
    return Text("=" if not changed else "", style="dim")


def trend_of(c: Comparison | None) -> Text | None:
    """Only the mark of a comparison (for a list), None when nothing can be compared."""
    rows = known_deltas(c) if c is not None else []
    if c is None or not rows:
        return None
    mark = trend_mark(c.improved, any(d.delta for d in rows))
    return mark if mark.plain else None


def vs_last_text(c: Comparison | None, *, headline: bool = False) -> Text | None:
    """'tempo +5 bpm (+4.2%) ▲': the changes against last time and a mark; with headline,
    only the figure that decides (the yield when there is one, else the first metric that
    changed, without its name: '+5 bpm (+4.2%) ▲'). None when there is no earlier one or
    nothing to compare."""
    if c is None:
        return None
    rows = known_deltas(c)
    if not rows:
        return None
    if headline:
        if c.yield_delta is not None and c.yield_delta.delta is not None:
            rows = [c.yield_delta]
        else:
            rows = [next((d for d in rows if d.delta), rows[0])]
    changed = any(d.delta for d in rows)

    def said(d: MetricDelta) -> str:
        words = describe(d)
        return words.removeprefix(f"{d.name} ") if headline and d.key != "yield" else words

    text = Text(" · ".join(said(d) for d in rows))
    mark = trend_mark(c.improved, changed)
    if mark.plain:
        text.append(" ")
        text.append_text(mark)
    return text


def summary_renderable(summary: SessionSummary, comparisons: Comparisons | None = None) -> Group:
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
    versus = {
        item.instance_id: vs_last_text((comparisons or {}).get(item.instance_id), headline=True)
        for item in summary.instances
    }
    with_versus = any(v is not None for v in versus.values())
    if with_versus:
        table.add_column("vs last time", ratio=3, no_wrap=True)
    for item in summary.instances:
        cells = [
            Text("✓", style="green") if item.completed else Text("·", style="dim"),
            item.activity_name,
            timing.clock_text(item.seconds),
            str(item.set_count) if item.set_count else "",
            item.best,
        ]
        if with_versus:
            known = item.instance_id in (comparisons or {})
            cells.append(versus[item.instance_id] or Text("" if known else "first time", "dim"))
        table.add_row(*cells)
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

    def __init__(self, summary: SessionSummary, comparisons: Comparisons | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.comparisons = dict(comparisons or {})

    def compose(self) -> ComposeResult:
        name = self.summary.session.name or "Session"
        with Vertical(id="summary"):
            yield Static(f"{name} ended", id="summary-title", markup=False)
            yield Static(summary_renderable(self.summary, self.comparisons), id="summary-body")
            yield Static("enter closes", id="summary-hint")

    def action_close(self) -> None:
        self.dismiss(None)
