"""Sets and metric values of one activity instance, as a table you can type into.

Rows are sets (one row per side when the activity has splits; one row for an activity
without sets); columns are the activity's metrics, then the yield when the metrics are
multiplicative. Typing a number on a metric cell edits it in place (enter edits the current
value): enter, tab or an arrow key commits it, escape cancels, backspace or delete on a
value clears it. The table posts ``CommitCell``; the screen does the writing.
"""

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from fractal_tui import progress
from fractal_tui.views import ActivityView, InstanceView, MetricView, SetView

STATUS_MARKS = {"planned": ("·", "dim"), "completed": ("✓", "green"), "skipped": ("–", "dim")}
_TYPED = set("0123456789.-")


@dataclass(frozen=True)
class Cell:
    """What one editable cell is about."""

    instance_id: str
    metric: MetricView
    set_id: str | None
    split_id: str | None
    set_number: int | None
    split_name: str | None
    value: float | None

    @property
    def label(self) -> str:
        m = self.metric
        parts = [f"{m.name} ({m.unit})" if m.unit and m.unit != m.name else m.name]
        if self.set_number is not None:
            parts.append(f"set {self.set_number}")
        if self.split_name:
            parts.append(self.split_name)
        return ", ".join(parts)


def row_key(set_id: str | None, split_id: str | None) -> str:
    return f"{set_id or '-'}|{split_id or '-'}"


class MetricTable(DataTable):
    """See the module docstring. ``show_instance(instance, activity)`` fills it."""

    DEFAULT_CSS = """
    MetricTable {
        height: 1fr;
    }
    """

    class CommitCell(Message):
        """Typed text for a cell: save it (blank clears the value)."""

        def __init__(self, cell: Cell, text: str) -> None:
            super().__init__()
            self.cell = cell
            self.text = text

    class Editing(Message):
        """Editing started on a cell (or stopped: None)."""

        def __init__(self, cell: Cell | None) -> None:
            super().__init__()
            self.cell = cell

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True)
        self.instance: InstanceView | None = None
        self.activity: ActivityView | None = None
        self._cells: dict[tuple[str, str], Cell] = {}
        self._rows: list[tuple[str | None, str | None]] = []  # (set id, split id) per row
        self._metric_columns: list[str] = []
        self._buffer: str | None = None  # text typed into the cell being edited
        self._edit_keys: tuple[str, str] | None = None

    # --- filling ---------------------------------------------------------------------------

    def show_instance(self, instance: InstanceView | None, activity: ActivityView | None) -> None:
        """Fill the table, keeping the cursor on the same cell when it is still there."""
        old = self._cursor_keys()
        if self.editing and (
            instance is None or self.instance is None or instance.id != self.instance.id
        ):
            self._stop_edit()
        self.instance, self.activity = instance, activity
        self.clear(columns=True)
        self._cells = {}
        self._rows = []
        self._metric_columns = []
        if instance is None or activity is None:
            return
        splits = list(activity.splits) or [None]
        if activity.has_sets:
            self.add_column("Set", key="set", width=4)
        if activity.splits:
            self.add_column("Side", key="side")
        for m in activity.metrics:
            key = f"m:{m.id}"
            self._metric_columns.append(key)
            label = f"{m.name} {m.unit}".strip() if m.unit and m.unit != m.name else m.name
            self.add_column(label, key=key)
        multiplicative = activity.metrics_multiplicative
        if multiplicative:
            self.add_column("Yield", key="yield")
        cells = progress.cells_by_set(instance.values)
        sets: list[SetView | None] = list(instance.sets) if activity.has_sets else [None]
        for number, act_set in enumerate(sets, start=1):
            set_id = act_set.id if act_set else None
            values = cells.get(set_id, {})
            for side_index, split in enumerate(splits):
                split_id = split.id if split else None
                key = row_key(set_id, split_id)
                row: list[Any] = []
                if activity.has_sets:
                    row.append(self._set_label(number, act_set) if side_index == 0 else "")
                if activity.splits:
                    row.append(split.name if split else "")
                side_values: dict[str, float] = {}
                for m in activity.metrics:
                    value = values.get(m.id, {}).get(split_id)
                    if value is not None:
                        side_values[m.id] = value
                    self._cells[(key, f"m:{m.id}")] = Cell(
                        instance_id=instance.id,
                        metric=m,
                        set_id=set_id,
                        split_id=split_id,
                        set_number=number if activity.has_sets else None,
                        split_name=split.name if split else None,
                        value=value,
                    )
                    row.append(progress.number(value) if value is not None else Text("—", "dim"))
                if multiplicative:
                    y = progress.set_yield(side_values, activity.metrics, True)
                    row.append(Text(progress.number(y) if y is not None else "", style="dim"))
                self._rows.append((set_id, split_id))
                self.add_row(*row, key=key)
        self._restore_cursor(old)
        if self._edit_keys is not None:
            if self._edit_keys in self._cells:
                self._draw_buffer()  # a reload while typing keeps what was typed
            else:
                self._edit_keys, self._buffer = None, None

    @staticmethod
    def _set_label(number: int, act_set: SetView | None) -> Text:
        mark, style = STATUS_MARKS.get(act_set.status if act_set else "planned", ("?", ""))
        text = Text(f"{number} ")
        text.append(mark, style=style)
        return text

    def _cursor_keys(self) -> tuple[str, str] | None:
        if not self.row_count or not self.columns:
            return None
        try:
            r, c = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return (str(r.value), str(c.value))

    def _restore_cursor(self, old: tuple[str, str] | None) -> None:
        if not self.row_count:
            return
        if old is not None:
            try:
                row = self.get_row_index(old[0])
                col = self.get_column_index(old[1])
            except Exception:
                pass
            else:
                self.move_cursor(row=row, column=col, animate=False)
                return
        self.first_metric_cell()

    # --- where the cursor is ----------------------------------------------------------------

    def first_metric_cell(self, row: int | None = None) -> None:
        if not self._metric_columns or not self.row_count:
            return
        target = self.cursor_row if row is None else row
        col = self.get_column_index(self._metric_columns[0])
        self.move_cursor(row=max(0, min(target, self.row_count - 1)), column=col, animate=False)

    @property
    def cursor_cell(self) -> Cell | None:
        keys = self._cursor_keys()
        return self._cells.get(keys) if keys else None

    @property
    def cursor_set_id(self) -> str | None:
        if not self._rows or self.cursor_row < 0 or self.cursor_row >= len(self._rows):
            return None
        return self._rows[self.cursor_row][0]

    def advance(self) -> None:
        """Move to the next metric cell: right along the row, then the next row's first."""
        keys = self._cursor_keys()
        if keys is None or not self._metric_columns:
            return
        _, col_key = keys
        if col_key in self._metric_columns:
            index = self._metric_columns.index(col_key)
            if index + 1 < len(self._metric_columns):
                col = self.get_column_index(self._metric_columns[index + 1])
                self.move_cursor(column=col, animate=False)
                return
        if self.cursor_row + 1 < self.row_count:
            self.first_metric_cell(self.cursor_row + 1)

    def focus_set(self, set_id: str | None) -> None:
        """Put the cursor on the first metric of a set's first row."""
        for index, (sid, _) in enumerate(self._rows):
            if sid == set_id:
                self.first_metric_cell(index)
                return

    # --- typing ------------------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        return self._buffer is not None

    def _metric_cell_or_first(self) -> Cell | None:
        cell = self.cursor_cell
        if cell is None and self._metric_columns and self.row_count:
            self.first_metric_cell()
            cell = self.cursor_cell
        return cell

    def _draw_buffer(self) -> None:
        if self._edit_keys is None or self._buffer is None:
            return
        text = Text(self._buffer, style="bold")
        text.append("▏", style="blink")
        self.update_cell(self._edit_keys[0], self._edit_keys[1], text, update_width=True)

    def _start_edit(self, text: str) -> bool:
        cell = self._metric_cell_or_first()
        keys = self._cursor_keys()
        if cell is None or keys is None:
            return False
        self._edit_keys = keys
        self._buffer = text
        self._draw_buffer()
        self.post_message(self.Editing(cell))
        return True

    def _stop_edit(self) -> tuple[Cell | None, str]:
        """Leave editing; the cell shows its stored value again."""
        keys, text = self._edit_keys, self._buffer or ""
        self._edit_keys, self._buffer = None, None
        cell = self._cells.get(keys) if keys else None
        if keys is not None and cell is not None:
            shown = progress.number(cell.value) if cell.value is not None else Text("—", "dim")
            self.update_cell(keys[0], keys[1], shown)
        self.post_message(self.Editing(None))
        return cell, text

    def commit_edit(self) -> None:
        """Hand the typed text to the screen (which saves it) and leave editing."""
        cell, text = self._stop_edit()
        if cell is not None:
            self.post_message(self.CommitCell(cell, text))

    def cancel_edit(self) -> None:
        if self.editing:
            self._stop_edit()

    async def _on_key(self, event: events.Key) -> None:
        char = event.character
        key = event.key
        handled = True
        if char and char in _TYPED:
            if self.editing:
                self._buffer = (self._buffer or "") + char
                self._draw_buffer()
            else:
                handled = self._start_edit(char)
        elif self.editing and key == "backspace":
            self._buffer = (self._buffer or "")[:-1]
            self._draw_buffer()
        elif self.editing and key == "escape":
            self.cancel_edit()
        elif self.editing and key in ("enter", "tab"):
            self.commit_edit()
            self.advance()
        elif self.editing and key in ("up", "down", "left", "right"):
            self.commit_edit()
            handled = False  # and move as usual
        elif key in ("backspace", "delete") and self.cursor_cell is not None:
            cell = self.cursor_cell
            if cell is not None and cell.value is not None:
                self.post_message(self.CommitCell(cell, ""))
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def action_select_cursor(self) -> None:
        """enter on a value starts editing it."""
        cell = self._metric_cell_or_first()
        if cell is not None:
            self._start_edit(progress.number(cell.value) if cell.value is not None else "")

    def coordinate_of(self, row_key_value: str, column_key: str) -> Coordinate:
        return Coordinate(self.get_row_index(row_key_value), self.get_column_index(column_key))
