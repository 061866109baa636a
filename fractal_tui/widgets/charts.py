"""Charts drawn by Plotext (through textual-plotext): a metric over time and time bars.

    chart.set_series(series)       # ProgressChart: a ProgressSeries from the store
    bars.set_rows([("Scales", 3600.0), ...])   # TimeBars: label and seconds, biggest first

Both keep the data they were given and redraw from it at whatever size they get, so a
resize or a theme change needs no store call.
"""

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from textual_plotext import PlotextPlot

POINT_COLOR = "cyan"
BEST_COLOR = "yellow"
BAR_COLOR = "green"
MAX_BARS = 8


def clock(seconds: float) -> str:
    """H:MM for axis labels."""
    m = int(round(seconds / 60))
    return f"{m // 60}:{m % 60:02d}"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round steps of minutes from 0 to at least ``top`` seconds."""
    if top <= 0:
        return [0.0]
    for step_minutes in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 3000, 6000, 12000):
        step = step_minutes * 60.0
        if top / step <= count:
            break
    n = int(top // step) + (1 if top % step else 0)
    return [i * step for i in range(n + 1)]


class ProgressChart(PlotextPlot):
    """One value per session over time; personal bests marked with a star."""

    DEFAULT_CSS = """
    ProgressChart {
        height: 14;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.series: Any = None

    def set_series(self, series: Any) -> None:
        self.series = series
        self._draw()

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        series = self.series
        if series is None or not series.points:
            self.refresh()
            return
        first = series.points[0].day
        # Days since the first point on x, so sessions sit at their distance in time and the
        # axis is labelled with real dates rather than Plotext's fractional timestamps.
        xs = [float((p.day - first).days) for p in series.points]
        values = [p.value for p in series.points]
        if len(xs) == 1:
            plt.scatter(xs, values, marker="●", color=POINT_COLOR)
        else:
            plt.plot(xs, values, marker="braille", color=POINT_COLOR)
        bests = [(x, p.value) for x, p in zip(xs, series.points, strict=True) if p.personal_best]
        if bests:
            plt.scatter([x for x, _ in bests], [v for _, v in bests], marker="★", color=BEST_COLOR)
        span = xs[-1]
        if span == 0:
            plt.xlim(-3, 3)
        ticks = day_ticks(xs)
        fmt = "%b %d" if span < 330 else "%Y-%m-%d"
        plt.xticks(ticks, [(first + timedelta(days=int(x))).strftime(fmt) for x in ticks])
        low, high = min(values), max(values)
        yticks = value_ticks(low, high)
        plt.ylim(yticks[0], yticks[-1])
        plt.yticks(yticks, [short_number(v) for v in yticks])
        plt.ylabel(series.unit)
        self.refresh()


def day_ticks(xs: Sequence[float], count: int = 5) -> list[float]:
    """Up to ``count`` of the points' own days, evenly spread, first and last included."""
    days = sorted(set(xs))
    if len(days) <= count:
        return days
    picked = {days[round(i * (len(days) - 1) / (count - 1))] for i in range(count)}
    return sorted(picked)


def value_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round ticks covering [low, high] (a flat series gets room above and below)."""
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(v, 10) for v in ticks]


def short_number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class TimeBars(PlotextPlot):
    """Horizontal bars of time, one row per label, the biggest on top."""

    DEFAULT_CSS = """
    TimeBars {
        height: 6;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[tuple[str, float]] = []

    def set_rows(self, rows: Sequence[tuple[str, float]]) -> None:
        """(label, seconds) pairs; beyond MAX_BARS the rest are summed as 'others'."""
        rows = [r for r in rows if r[1] > 0]
        if len(rows) > MAX_BARS:
            rest = rows[MAX_BARS - 1 :]
            rows = [*rows[: MAX_BARS - 1], (f"{len(rest)} others", sum(s for _, s in rest))]
        self.rows = rows
        # One row per bar plus the frame and the axis: Plotext draws each bar on one line.
        self.styles.height = max(len(rows), 1) + 3
        self._draw()

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        if not self.rows:
            self.refresh()
            return
        ordered = list(reversed(self.rows))  # Plotext draws the first bar at the bottom
        plt.bar(
            [label for label, _ in ordered],
            [seconds for _, seconds in ordered],
            orientation="horizontal",
            width=0.3,
            color=BAR_COLOR,
        )
        ticks = nice_ticks(max(s for _, s in self.rows))
        plt.xticks(ticks, [clock(t) for t in ticks])
        plt.xlim(0, ticks[-1])
        self.refresh()
