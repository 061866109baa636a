"""The activities of a session in order, each with its timer state (a mark) and elapsed time."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.text import Text

from fractal_tui import timing
from fractal_tui.screens.base import fill_table, selected_key
from fractal_tui.views import Comparison, InstanceView, SessionView
from fractal_tui.widgets.live_table import LiveTable
from fractal_tui.widgets.session_summary import trend_of
from fractal_tui.widgets.timer import STATE_MARKS, instance_state


class InstanceTable(LiveTable):
    """One row per activity instance; ``tick(now)`` redraws the times from the ledger."""

    DEFAULT_CSS = """
    InstanceTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.instances: tuple[InstanceView, ...] = ()
        self.session: SessionView | None = None

    def on_mount(self) -> None:
        self.add_column("#", key="n", width=2)
        self.add_column("", key="state", width=1)
        self.add_column("Activity", key="name")
        self.add_column("Time", key="time", width=7)

    @property
    def cursor_instance(self) -> InstanceView | None:
        key = selected_key(self)
        return next((i for i in self.instances if i.id == key), None)

    def set_instances(
        self,
        session: SessionView,
        instances: Sequence[InstanceView],
        now: datetime,
        *,
        select: str | None = None,
        comparisons: Mapping[str, Comparison] | None = None,
    ) -> None:
        """Fill the rows; a completed activity with an earlier one gets ▲ (better than last
        time), ▼ (worse) or = after its name."""
        self.session = session
        self.instances = tuple(instances)
        rows = []
        for n, inst in enumerate(self.instances, start=1):
            name = Text(inst.activity_name)
            trend = trend_of((comparisons or {}).get(inst.id))
            if trend is not None:
                name.append(" ")
                name.append_text(trend)
            if inst.section:
                name.append(f"  {inst.section}", style="dim")
            rows.append((inst.id, (str(n), self._state(inst), name, self._time(inst, now))))
        self._fit_name_column([cells[2] for _, cells in rows])
        fill_table(self, rows)
        if select is not None and select in {i.id for i in self.instances}:
            self.move_cursor(row=self.get_row_index(select), animate=False)

    def _fit_name_column(self, names: list[Text]) -> None:
        # Set the width now rather than leave it to DataTable's auto-width, which is
        # measured on Idle: a busy machine could draw a frame with the column cut short.
        column = next(c for key, c in self.columns.items() if key.value == "name")
        column.auto_width = False
        column.width = max([len("Activity"), *(n.cell_len for n in names)])

    def _state(self, inst: InstanceView) -> Text:
        """The state's mark (▶ running, ⏸ paused, ■ stopped, ✓ done, · planned)."""
        mark, style = STATE_MARKS[instance_state(inst, self.session)]
        return Text(mark, style=style)

    def _time(self, inst: InstanceView, now: datetime) -> Text:
        seconds = timing.elapsed(inst.intervals, now)
        return Text(timing.clock_text(seconds), style="bold" if inst.running else "")

    def tick(self, now: datetime) -> None:
        """Redraw the running timers' elapsed time (no database read)."""
        for inst in self.instances:
            if inst.running:
                self.set_cell(inst.id, "time", self._time(inst, now))
