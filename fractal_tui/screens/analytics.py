"""Analytics of the open fractal: overview, calendar heatmap, activity progress, time by
activity and by goal, all for one date range.

The range (last 7/30/90/365 days, all, or custom local dates) applies to every panel; ``[``
and ``]`` step through the presets, ``c`` asks for dates. The progress panel charts one
activity's metric (or the product of its metrics): ``a``/``A`` pick the activity, ``m`` the
metric, ``s`` the split, ``v`` best set or average of sets. Everything is read in one store
call (``analytics_dashboard``) in a thread; the panels only draw what it returned.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from fractal_tui import analytics
from fractal_tui.analytics import ActivityChoice, Dashboard, DateRange
from fractal_tui.errors import Invalid
from fractal_tui.screens.base import FractalScreen
from fractal_tui.widgets.charts import ProgressChart, TimeBars
from fractal_tui.widgets.form import Field, FieldError, FormScreen
from fractal_tui.widgets.heatmap import CalendarHeatmap

PRESET_ORDER = ("7d", "30d", "90d", "365d", "all")
PRESET_NAMES = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "365d": "Last 365 days",
    "all": "All time",
    "custom": "Custom",
}
DEFAULT_PRESET = "30d"
START_HINT = "press n to start one"
GOAL_ROWS = 12


def duration(seconds: float) -> str:
    """H:MM:SS, hours always shown."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def number(value: float) -> str:
    from fractal_tui.progress import number as plain

    return plain(round(value, 2))


@dataclass(frozen=True)
class Choice:
    """What the progress panel charts."""

    activity_id: str | None = None
    metric: str | None = None  # a metric id, "product", or None for the default
    split: str | None = None  # a split id, or None for all splits
    mode: str = "best"


class AnalyticsScreen(FractalScreen):
    """Charts and totals of the open fractal over a date range."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    DEFAULT_CSS = """
    AnalyticsScreen #analytics-body {
        height: 1fr;
    }
    AnalyticsScreen #analytics-range {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    AnalyticsScreen .panel {
        height: auto;
        border: round $primary 50%;
        border-title-color: $text;
        padding: 0 1;
    }
    AnalyticsScreen #analytics-top, AnalyticsScreen #analytics-bottom {
        height: auto;
    }
    AnalyticsScreen.-wide #analytics-top, AnalyticsScreen.-wide #analytics-bottom {
        layout: horizontal;
    }
    AnalyticsScreen.-narrow #analytics-top, AnalyticsScreen.-narrow #analytics-bottom {
        layout: vertical;
    }
    AnalyticsScreen.-wide #overview {
        width: 40;
    }
    AnalyticsScreen.-wide #heatmap-panel {
        width: 1fr;
    }
    AnalyticsScreen.-wide #activities-panel, AnalyticsScreen.-wide #goals-panel {
        width: 1fr;
    }
    AnalyticsScreen.-wide #overview {
        height: 11;
    }
    AnalyticsScreen.-wide #heatmap-panel {
        min-height: 11;
    }
    AnalyticsScreen #progress-head, AnalyticsScreen #progress-foot {
        height: auto;
    }
    AnalyticsScreen .empty-hint {
        display: none;
        padding: 0 0;
    }
    AnalyticsScreen .empty-hint.-shown {
        display: block;
    }
    AnalyticsScreen .-hidden {
        display: none;
    }
    """

    BINDINGS = [
        Binding("right_square_bracket", "range(1)", "Longer", key_display="]"),
        Binding("left_square_bracket", "range(-1)", "Shorter", key_display="["),
        Binding("c", "custom_range", "Dates"),
        Binding("a", "activity(1)", "Activity"),
        Binding("A", "activity(-1)", "Previous activity", show=False),
        Binding("m", "metric", "Metric"),
        Binding("s", "split", "Split"),
        Binding("v", "mode", "Best/avg"),
        Binding("n", "new_session", "New session", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Analytics"
        self.preset = DEFAULT_PRESET
        self.custom: DateRange | None = None
        self.choice = Choice()
        self.data: Dashboard | None = None

    def compose_content(self) -> ComposeResult:
        with VerticalScroll(id="analytics-body"):
            yield Static("", id="analytics-range")
            with Horizontal(id="analytics-top"):
                yield Static("", id="overview", classes="panel")
                with Vertical(id="heatmap-panel", classes="panel"):
                    yield CalendarHeatmap(id="heatmap")
                    yield Static("", id="heatmap-empty", classes="empty-hint")
            with Vertical(id="progress-panel", classes="panel"):
                yield Static("", id="progress-head")
                yield ProgressChart(id="progress-chart")
                yield Static("", id="progress-foot")
            with Horizontal(id="analytics-bottom"):
                with Vertical(id="activities-panel", classes="panel"):
                    yield TimeBars(id="activity-bars")
                    yield Static("", id="activities-empty", classes="empty-hint")
                with Vertical(id="goals-panel", classes="panel"):
                    yield Static("", id="goals-table")

    def on_mount(self) -> None:
        super().on_mount()
        titles = {
            "#overview": "Overview",
            "#heatmap-panel": "Practice per day",
            "#progress-panel": "Activity progress",
            "#activities-panel": "Time by activity (sessions)",
            "#goals-panel": "Time by goal",
        }
        for selector, title in titles.items():
            self.query_one(selector).border_title = title
        self.query_one("#analytics-body").focus()

    # --- loading ---------------------------------------------------------------------------

    def current_range(self) -> DateRange:
        if self.preset == "custom" and self.custom is not None:
            return self.custom
        today = analytics.local_date(self.app.clock())  # type: ignore[attr-defined]
        return analytics.preset_range(self.preset, today)

    def load(self) -> Dashboard:
        c = self.choice
        return self.app.store.analytics_dashboard(  # type: ignore[attr-defined,no-any-return]
            self.fractal_id,
            self.current_range(),
            activity=c.activity_id,
            metric=c.metric,
            split=c.split,
            mode=c.mode,
        )

    def show(self, data: Dashboard) -> None:
        self.data = data
        series = data.progress
        if series is not None:
            self.choice = Choice(
                series.activity_id,
                series.metric_id or "product",
                series.split_id,
                series.mode,
            )
        self._show_range(data)
        self._show_overview(data)
        self._show_heatmap(data)
        self._show_progress(data)
        self._show_activities(data)
        self._show_goals(data)

    # --- panels ----------------------------------------------------------------------------

    def _show_range(self, data: Dashboard) -> None:
        rng = data.range
        name = PRESET_NAMES.get(rng.label, rng.label)
        text = Text.assemble(
            (f"{name}: ", "bold"),
            (rng.describe(), ""),
            ("   [ ] change range · c custom dates", "dim"),
        )
        self.query_one("#analytics-range", Static).update(text)

    def _show_overview(self, data: Dashboard) -> None:
        o = data.overview
        panel = self.query_one("#overview", Static)
        if o.sessions == 0 and o.practice_seconds == 0:
            panel.update(
                Text.assemble(
                    ("No sessions in this range — ", ""),
                    (START_HINT, "bold"),
                    (".\n\n", ""),
                    (f"Current streak: {days(o.current_streak)}", "dim"),
                )
            )
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        grid.add_row("Sessions", str(o.sessions))
        done = Text(str(o.completed))
        if o.unfinished:
            done.append(f" ({o.unfinished} unfinished)", style="dim")
        grid.add_row("Completed", done)
        practice = Text(duration(o.practice_seconds))
        if o.running:
            practice.append("  ▶ running", style="bold green")
        grid.add_row("Practice time", practice)
        grid.add_row("Avg session", duration(o.average_session_seconds))
        grid.add_row("Practice days", str(o.practice_days))
        grid.add_row("Current streak", days(o.current_streak))
        grid.add_row("Longest streak", days(o.longest_streak))
        panel.update(grid)

    def _show_heatmap(self, data: Dashboard) -> None:
        seconds = {d.day: d.seconds for d in data.days}
        heatmap = self.query_one("#heatmap", CalendarHeatmap)
        empty = not any(v > 0 for v in seconds.values())
        hint = self.query_one("#heatmap-empty", Static)
        if empty:
            hint.update(f"No practice time in this range — {START_HINT} and time an activity.")
        hint.set_class(empty, "-shown")
        heatmap.set_class(empty, "-hidden")
        heatmap.set_days(seconds, data.range.first, data.range.last)

    def _show_progress(self, data: Dashboard) -> None:
        head = self.query_one("#progress-head", Static)
        foot = self.query_one("#progress-foot", Static)
        chart = self.query_one("#progress-chart", ProgressChart)
        series = data.progress
        if series is None:
            head.update(
                Text.assemble(
                    ("No metric values recorded yet — ", ""),
                    (START_HINT, "bold"),
                    (" and log values (weight, reps, BPM …) to chart them here.", ""),
                )
            )
            foot.update("")
            chart.set_class(True, "-hidden")
            chart.set_series(None)
            return
        what = "best set" if series.mode == "best" else "average of sets"
        split = series.split_name or "all splits"
        choice = self._choice(series.activity_id)
        parts = [(series.activity_name, "bold"), (f" · {series.metric_name}", "")]
        if series.unit:
            parts.append((f" ({series.unit})", "dim"))
        parts.append((f" · {what}", ""))
        if choice is not None and choice.splits:
            parts.append((f" · {split}", ""))
        head.update(Text.assemble(*parts))
        chart.set_class(not series.points, "-hidden")
        chart.set_series(series)
        if not series.points:
            foot.update(
                f"No {series.metric_name} values for {series.activity_name} in this range — "
                "press ] for a longer range, or a for another activity."
            )
            return
        line = Text()
        line.append("★", style="bold yellow")
        line.append(" personal best")
        if series.best is not None:
            line.append(f" · best ever {number(series.best)} {series.unit}".rstrip())
        d = series.delta
        if d is not None and d.delta is not None:
            sign = "+" if d.delta > 0 else ""
            pct = f" ({d.pct:+.1f}%)" if d.pct is not None else ""
            verdict, style = (
                ("same", "")
                if d.delta == 0
                else (("better", "bold green") if d.improved else ("worse", "bold red"))
            )
            line.append(f" · vs last time {sign}{number(d.delta)} {series.unit}".rstrip())
            line.append(pct)
            line.append(" ")
            line.append(verdict, style=style)
        foot.update(line)

    def _show_activities(self, data: Dashboard) -> None:
        bars = self.query_one("#activity-bars", TimeBars)
        hint = self.query_one("#activities-empty", Static)
        rows = [(f"{a.name} ({a.sessions})", a.seconds) for a in data.activities if a.seconds > 0]
        empty = not rows
        if empty:
            hint.update(f"No timed practice in this range — {START_HINT} and start a timer.")
        hint.set_class(empty, "-shown")
        bars.set_class(empty, "-hidden")
        bars.set_rows(rows)

    def _show_goals(self, data: Dashboard) -> None:
        panel = self.query_one("#goals-table", Static)
        rows = [g for g in data.goals if g.depth == 0 or g.seconds or g.sessions]
        if not rows or (rows[0].seconds == 0 and rows[0].sessions == 0):
            panel.update(
                Text.assemble(
                    ("No sessions in this range — ", ""),
                    (START_HINT, "bold"),
                    (" and link it to goals.", ""),
                )
            )
            return
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
        table.add_column("Goal", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("Sess.", justify="right")
        table.add_column("Time", justify="right")
        for g in rows[:GOAL_ROWS]:
            name = Text("  " * g.depth + g.name, style="dim" if g.completed else "")
            time_text = Text(duration(g.seconds))
            if g.running:
                time_text.append(" ▶", style="bold green")
            table.add_row(name, str(g.sessions), time_text)
        if len(rows) > GOAL_ROWS:
            table.add_row(Text(f"… {len(rows) - GOAL_ROWS} more goals", style="dim"), "", "")
        panel.update(table)

    def _choice(self, activity_id: str | None) -> ActivityChoice | None:
        if self.data is None:
            return None
        return next((c for c in self.data.choices if c.id == activity_id), None)

    # --- keys --------------------------------------------------------------------------------

    def action_range(self, step: int) -> None:
        current = self.preset if self.preset in PRESET_ORDER else DEFAULT_PRESET
        index = PRESET_ORDER.index(current) + step
        if self.preset == "custom":
            index = PRESET_ORDER.index(DEFAULT_PRESET)
        index = max(0, min(len(PRESET_ORDER) - 1, index))
        self.preset = PRESET_ORDER[index]
        self.reload()

    def action_custom_range(self) -> None:
        rng = self.current_range()
        first = rng.first or rng.last

        def submit(values: dict[str, Any]) -> DateRange:
            try:
                return analytics.custom_range(values["first"], values["last"])
            except Invalid as exc:
                raise FieldError("last", exc.message) from None

        def chosen(result: DateRange | None) -> None:
            if result is not None:
                self.custom = result
                self.preset = "custom"
                self.reload()

        self.app.push_screen(
            FormScreen(
                "Custom range",
                [
                    Field("first", "From", first.isoformat(), "YYYY-MM-DD", parse=_date),
                    Field("last", "To", rng.last.isoformat(), "YYYY-MM-DD", parse=_date),
                ],
                on_submit=submit,
                submit_label="Show",
                description="Local days, both included.",
            ),
            chosen,
        )

    def action_activity(self, step: int) -> None:
        if self.data is None or not self.data.choices:
            self.notify("No activity has recorded values yet.", severity="warning")
            return
        ids = [c.id for c in self.data.choices]
        current = self.choice.activity_id
        index = ids.index(current) + step if current in ids else 0
        self.choice = Choice(ids[index % len(ids)], mode=self.choice.mode)
        self.reload()

    def action_metric(self) -> None:
        choice = self._choice(self.choice.activity_id)
        if choice is None:
            return
        options = [m.id for m in choice.metrics] + (["product"] if choice.product else [])
        if len(options) < 2:
            self.notify(f"{choice.name} has only one metric.", timeout=3)
            return
        current = self.choice.metric
        index = options.index(current) + 1 if current in options else 0
        self.choice = Choice(
            choice.id, options[index % len(options)], self.choice.split, self.choice.mode
        )
        self.reload()

    def action_split(self) -> None:
        choice = self._choice(self.choice.activity_id)
        if choice is None:
            return
        if not choice.splits:
            self.notify(f"{choice.name} has no splits.", timeout=3)
            return
        options: list[str | None] = [None, *(sp.id for sp in choice.splits)]
        current = self.choice.split
        index = options.index(current) + 1 if current in options else 0
        self.choice = Choice(
            choice.id, self.choice.metric, options[index % len(options)], self.choice.mode
        )
        self.reload()

    def action_mode(self) -> None:
        c = self.choice
        self.choice = Choice(
            c.activity_id, c.metric, c.split, "average" if c.mode == "best" else "best"
        )
        self.reload()

    def action_new_session(self) -> None:
        """Start a session where sessions live: the sessions screen and its form."""
        app: Any = self.app
        app.switch_screen_named("sessions")

        def open_form() -> None:
            action = getattr(app.screen, "action_new_session", None)
            if callable(action):
                action()

        app.call_after_refresh(open_form)


def days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _date(text: str) -> date:
    from fractal_tui.timeparse import parse_date

    return parse_date(text)
