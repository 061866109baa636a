"""The detail panel of the activity library: the selected activity or group."""

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from fractal_tui.views import ActivityView, GroupView


def local_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "never"


def times(n: int) -> str:
    return "never" if n == 0 else "once" if n == 1 else f"{n} times"


def activity_renderable(activity: ActivityView) -> RenderableType:
    parts: list[RenderableType] = []
    title = Text(activity.name, style="bold")
    parts.append(title)
    parts.append(Text(activity.group_name or "No group", style="dim"))
    if activity.description:
        parts.append(Text(""))
        parts.append(Text(activity.description))
    parts.append(Text(""))
    parts.append(Text("Metrics", style="bold"))
    if activity.metrics:
        product = activity.metrics_multiplicative
        table = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False)
        table.add_column("metric", no_wrap=True, header_style="dim")
        table.add_column("unit", style="dim", no_wrap=True, header_style="dim")
        table.add_column("best", justify="center", header_style="dim")
        if product:
            table.add_column("in ×", justify="center", header_style="dim")
        table.add_column("better", header_style="dim")
        for m in activity.metrics:
            row = [m.name, m.unit, "✓" if m.is_best_set else ""]
            if product:
                row.append("✓" if m.is_multiplicative else "")
            row.append("higher" if m.higher_is_better else "lower")
            table.add_row(*row)
        parts.append(table)
        factors = [m.name for m in activity.metrics if m.is_multiplicative]
        if product:
            if len(factors) >= 2:
                parts.append(Text("product: " + " × ".join(factors), style="dim"))
            else:
                parts.append(Text("product: needs two metrics in it", style="dim"))
    else:
        parts.append(Text("none (time only)", style="dim"))
    parts.append(Text(""))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("Splits", " · ".join(sp.name for sp in activity.splits) or "none")
    facts.add_row("Sets", "yes" if activity.has_sets else "no")
    facts.add_row("Done", times(activity.times_done))
    facts.add_row("Last", local_time(activity.last_done))
    parts.append(facts)
    return Group(*parts)


def group_renderable(group: GroupView | None, count: int) -> RenderableType:
    parts: list[RenderableType] = []
    if group is None:
        parts.append(Text("No group", style="bold"))
        parts.append(Text("Activities that belong to no group.", style="dim"))
    else:
        parts.append(Text(group.name, style="bold"))
        parts.append(Text("group", style="dim"))
        if group.description:
            parts.append(Text(""))
            parts.append(Text(group.description))
    parts.append(Text(""))
    parts.append(Text(f"{count} {'activity' if count == 1 else 'activities'}"))
    parts.append(Text(""))
    hint = "a adds an activity here"
    if group is not None:
        hint += " · e renames · K/J reorder groups · d deletes (its activities stay)"
    parts.append(Text(hint, style="dim"))
    return Group(*parts)


class ActivityDetailPanel(VerticalScroll):
    """Shows an activity (``show_activity``), a group (``show_group``) or a hint."""

    DEFAULT_CSS = """
    ActivityDetailPanel {
        border-left: vkey $foreground 20%;
        padding: 0 1;
        height: 1fr;
    }
    ActivityDetailPanel > #activity-detail-body {
        width: 100%;
    }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="activity-detail-body")

    @property
    def body(self) -> Static:
        return self.query_one("#activity-detail-body", Static)

    def show_activity(self, activity: ActivityView) -> None:
        self.body.update(activity_renderable(activity))

    def show_group(self, group: GroupView | None, count: int) -> None:
        self.body.update(group_renderable(group, count))

    def show_hint(self, text: str) -> None:
        self.body.update(Text(text, style="dim"))
