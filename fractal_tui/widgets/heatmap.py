"""A GitHub-style calendar heatmap: practice time per local day, weeks as columns.

    heatmap.set_days({date(2026, 1, 5): 3600.0, ...}, first, last)

Rows are the weekdays (Monday on top), columns the weeks, oldest on the left. Each day is a
block whose shade says how much was practised, from none to the most of the range in four
steps; a legend under the grid gives the steps in minutes. When the range has more weeks than
fit, the latest weeks are shown and the legend says so.
"""

import math
from collections.abc import Mapping
from datetime import date, timedelta

from rich.text import Text
from textual.widget import Widget

# Shades from "nothing" to the most practice; readable on dark and light themes.
SHADES = ("#3a3f47", "#0e4429", "#006d32", "#26a641", "#39d353")
EMPTY_DAY = "#3a3f47"
BLOCK = "■"
DAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
LABEL_WIDTH = 4


def level(seconds: float, top: float) -> int:
    """0 for no practice, else 1-4 by quarter of the range's busiest day."""
    if seconds <= 0 or top <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * seconds / top)))


def minutes(seconds: float) -> str:
    m = int(round(seconds / 60))
    return f"{m // 60}h{m % 60:02d}" if m >= 60 else f"{m}m"


class CalendarHeatmap(Widget):
    """Practice time per day over a range of local days (see the module docstring)."""

    DEFAULT_CSS = """
    CalendarHeatmap {
        height: 9;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.days: dict[date, float] = {}
        self.first: date | None = None
        self.last: date | None = None

    def set_days(self, days: Mapping[date, float], first: date | None, last: date) -> None:
        """Seconds per day; first None: from the earliest day with practice."""
        self.days = {d: s for d, s in days.items() if s > 0}
        if first is None:
            first = min(self.days, default=last)
        self.first, self.last = first, last
        self._fit()
        self.refresh()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """One more line when only the latest weeks fit, to say so."""
        if self.first is None or self.last is None or not self.size.width:
            return
        weeks, shown, _ = layout(self.first, self.last, self.size.width)
        height = 10 if shown < weeks else 9
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height

    def render(self) -> Text:
        if self.last is None or self.first is None:
            return Text("")
        return render_heatmap(self.days, self.first, self.last, self.size.width)


def layout(first: date, last: date, width: int) -> tuple[int, int, int]:
    """(weeks in the range, weeks shown, cell width) for a grid ``width`` columns wide."""
    start_week = first - timedelta(days=first.weekday())
    weeks = (last - start_week).days // 7 + 1
    room = max(1, width - LABEL_WIDTH)
    cell = 2 if weeks * 2 <= room else 1
    return weeks, min(weeks, max(1, room // cell)), cell


def render_heatmap(days: Mapping[date, float], first: date, last: date, width: int) -> Text:
    """The grid, month labels and legend as rich Text, fitted to ``width`` columns."""
    weeks, shown, cell = layout(first, last, width)
    start_week = first - timedelta(days=first.weekday())
    grid_start = start_week + timedelta(weeks=weeks - shown)
    top = max(days.values(), default=0.0)

    out = Text(no_wrap=True, overflow="crop")
    # Month names over the week in which a month begins, and over the first week unless
    # the next month's name needs that room.
    labels: list[tuple[int, str]] = []
    for week in range(shown):
        sunday = grid_start + timedelta(weeks=week, days=6)
        if sunday.day <= 7:
            labels.append((week * cell, sunday.strftime("%b")))
    if not labels or labels[0][0] >= 4:
        labels.insert(0, (0, grid_start.strftime("%b")))
    months = [" "] * (shown * cell + 3)
    free = 0
    for pos, name in labels:
        if pos >= free:
            months[pos : pos + len(name)] = list(name)
            free = pos + len(name) + 1
    out.append(" " * LABEL_WIDTH + "".join(months).rstrip() + "\n", style="dim")
    for weekday in range(7):
        out.append(f"{DAY_LABELS[weekday]:<{LABEL_WIDTH}}", style="dim")
        for week in range(shown):
            day = grid_start + timedelta(weeks=week, days=weekday)
            if day < first or day > last:
                out.append(" " * cell)
                continue
            lv = level(days.get(day, 0.0), top)
            out.append(BLOCK, style=SHADES[lv])
            if cell == 2:
                out.append(" ")
        out.append("\n")
    out.append(" " * LABEL_WIDTH + "Less ", style="dim")
    for lv in range(5):
        out.append(BLOCK, style=SHADES[lv])
        out.append(" ")
    out.append("More", style="dim")
    if top > 0:
        steps = " · ".join(f"≤{minutes(top * q / 4)}" for q in (1, 2, 3, 4))
        out.append(f"  ({steps})", style="dim")
    if shown < weeks:
        out.append(f"\n{' ' * LABEL_WIDTH}the last {shown} of {weeks} weeks", style="dim")
    return out
