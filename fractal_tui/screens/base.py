"""The base of every main screen: load from the store in a thread, show on the UI thread.

Subclass ``FractalScreen`` and override:

- ``compose_content()`` — the widgets between the header and the footer (or ``compose()``
  itself, yielding ``Header()`` and ``Footer()`` too);
- ``load()`` — runs in a thread worker; call ``self.app.store`` there and return read models
  (frozen dataclasses). A ``FractalError`` raised here is shown as a notification.
- ``show(data)`` — runs on the UI thread with what ``load`` returned; render it.

``reload()`` re-runs load/show. It is called when the screen is shown (mount and resume),
when the terminal regains focus, on ``r``, after the app's fractal changes, and by a light
poll every few seconds (``app.settings.poll_seconds``). The poll calls ``show`` only when the
loaded data differs from the last shown (read models compare by value), so a poll that finds
nothing new does not disturb the cursor.

``run_store(fn, *args, done=..., **kw)`` runs one store call in a thread worker and calls
``done(result)`` on the UI thread; a ``FractalError`` becomes an error notification. Use it for
writes triggered by keys (complete, move, …), then ``reload()``.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Static

from fractal_tui.errors import FractalError

_NOTHING = object()


class NavBar(Static):
    """One line naming the main screens and their keys; the current one stands out."""

    DEFAULT_CSS = """
    NavBar {
        height: 1;
        width: 100%;
        background: $panel;
        color: $text-muted;
        padding: 0 0;
        link-style: none;
        link-color: $text-muted;
        link-background: $panel;
        link-style-hover: bold;
        link-color-hover: $text;
        link-background-hover: $panel-lighten-1;
    }
    """

    # Shorter titles for narrow terminals, so every key stays visible at 80 columns.
    SHORT_TITLES: ClassVar[dict[str, str]] = {
        "activities": "Library",
        "analytics": "Stats",
        "history": "Log",
        "templates": "Plans",
    }

    def on_mount(self) -> None:
        self.refresh_tabs()

    def on_resize(self) -> None:
        self.refresh_tabs()

    def refresh_tabs(self) -> None:
        from fractal_tui.screens import available_screens

        current = getattr(self.app, "current_mode", None)
        screens = available_screens()
        full = sum(len(f" {e.key} {e.title}") for e in screens.values()) + 2
        width = self.size.width or self.app.size.width
        short = width < full
        parts = []
        for name, entry in screens.items():
            title = self.SHORT_TITLES.get(name, entry.title) if short else entry.title
            if name == current:
                parts.append(f" [b $text on $accent-muted] {entry.key} {title} [/]")
            else:
                label = f" [b $accent]{entry.key}[/] {title}"
                parts.append(f"[@click=app.switch_screen('{name}')]{label}[/]")
        self.update("".join(parts))


class FractalScreen(Screen):
    """A main screen of the app (see the module docstring)."""

    BINDINGS = [Binding("r", "reload", "Refresh", show=False)]

    # Show "no fractal" rather than calling load() when no fractal is open.
    NEEDS_FRACTAL = True

    class Loaded(Message):
        """Data loaded in the worker, delivered to the UI thread."""

        def __init__(self, data: Any, generation: int, quiet: bool) -> None:
            super().__init__()
            self.data = data
            self.generation = generation
            self.quiet = quiet

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._generation = 0
        self._last_data: Any = _NOTHING
        self._poll_timer: Any = None
        self._resumed = False

    # --- override these ------------------------------------------------------------------

    def compose_content(self) -> ComposeResult:
        """The screen's widgets between the header and the footer."""
        yield from ()

    def load(self) -> Any:
        """Runs in a thread: ask the store, return read models. Override."""
        return None

    def show(self, data: Any) -> None:
        """Runs on the UI thread with what load() returned. Override."""

    # --- machinery -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar()
        yield from self.compose_content()
        yield Footer(compact=True)

    @property
    def fractal_id(self) -> str | None:
        return getattr(self.app, "fractal_id", None)

    @property
    def is_showing(self) -> bool:
        """On the display: the current screen, or under dialogs only (they let it show
        through). Once-a-second redraws skip a screen that is not: show() redraws it when it
        comes back."""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return all(isinstance(s, ModalScreen) for s in stack[stack.index(self) + 1 :])

    def on_mount(self) -> None:
        seconds = _poll_seconds(self.app)
        if seconds and self._poll_timer is None:
            self._poll_timer = self.set_interval(seconds, self._poll)

    def on_screen_resume(self) -> None:
        # Textual resumes a mode's screen twice the first time it is shown (once as the
        # mode starts, once as it is switched to): the second would load everything again.
        if self._resumed:
            return
        self._resumed = True
        for nav in self.query(NavBar):
            nav.refresh_tabs()
        self.reload()

    def on_screen_suspend(self) -> None:
        self._resumed = False

    def _poll(self) -> None:
        # Textual counts the screen right under the top one as current; a screen hidden
        # under another catches up on resume instead of re-reading every few seconds.
        if self.is_showing:
            self.reload(quiet=True)

    def action_reload(self) -> None:
        self.reload()

    def reload(self, *, quiet: bool = False) -> None:
        """Re-run load() in a thread worker and show() the result.

        quiet: skip show() when the data equals what is already shown (used by the poll).
        """
        if not self.is_attached:
            return
        self._generation += 1
        generation = self._generation
        if self.NEEDS_FRACTAL and self.fractal_id is None:
            self._last_data = _NOTHING
            self.show_no_fractal()
            return

        def work() -> None:
            try:
                data = self.load()
            except FractalError as exc:
                self.app.call_from_thread(self.app.notify, exc.message, severity="error")
                return
            self.post_message(self.Loaded(data, generation, quiet))

        self.run_worker(work, thread=True, group="load", exit_on_error=False)

    def on_fractal_screen_loaded(self, message: "FractalScreen.Loaded") -> None:
        message.stop()
        if message.generation != self._generation:
            return  # a newer load is on its way
        if message.quiet and _same(message.data, self._last_data):
            return
        self._last_data = message.data
        self.show(message.data)

    def show_no_fractal(self) -> None:
        """What to do when no fractal is open; by default, say so."""
        self.notify("No fractal is open: press 0 to choose or create one.", timeout=4)

    def run_store(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        error: Callable[[FractalError], None] | None = None,
        reload: bool = True,
        **kwargs: Any,
    ) -> None:
        """Run one store call in a thread; then done(result) and reload() on the UI thread.

        A FractalError goes to error(exc), or becomes an error notification.
        """

        def work() -> None:
            try:
                result = fn(*args, **kwargs)
            except FractalError as exc:
                if error is not None:
                    self.app.call_from_thread(error, exc)
                else:
                    self.app.call_from_thread(self.app.notify, exc.message, severity="error")
                return

            def finish() -> None:
                if done is not None:
                    done(result)
                if reload:
                    self.reload()

            self.app.call_from_thread(finish)

        self.run_worker(work, thread=True, group="store", exit_on_error=False)


def _poll_seconds(app: Any) -> float:
    settings = getattr(app, "settings", None)
    return float(getattr(settings, "poll_seconds", 0) or 0)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def fill_table(table: Any, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Replace a DataTable's rows (key, cells) and keep the cursor on the same key."""
    from textual.widgets.data_table import RowKey

    current: str | None = None
    if table.row_count and table.cursor_row >= 0:
        try:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            current = row_key.value
        except Exception:
            current = None
    old_row = table.cursor_row
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if not rows:
        return
    keys = [k for k, _ in rows]
    if current in keys:
        table.move_cursor(row=table.get_row_index(RowKey(current)), animate=False)
    else:
        table.move_cursor(row=max(0, min(old_row, len(rows) - 1)), animate=False)


def selected_key(table: Any) -> str | None:
    """The key of the DataTable row under the cursor."""
    if not table.row_count:
        return None
    try:
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    except Exception:
        return None
    return row_key.value
