"""A DataTable whose ticking cells repaint their own row, not the whole table."""

from typing import Any, Self

from textual.widgets import DataTable


class LiveTable(DataTable):
    """``set_cell`` repaints one row where ``update_cell`` repaints the whole table.

    A running timer changes one cell every second; repainting every visible row for it was
    most of the app's idle CPU.
    """

    _one_row = False

    def set_cell(self, row_key: str, column_key: str, value: Any) -> None:
        self._one_row = True
        try:
            self.update_cell(row_key, column_key, value)
        finally:
            self._one_row = False
        self.refresh_row(self.get_row_index(row_key))

    def refresh(self, *regions: Any, **kwargs: Any) -> Self:
        if self._one_row:
            return self  # update_cell's whole-table repaint: set_cell repaints the row
        return super().refresh(*regions, **kwargs)
