"""The Textual app: main screens as modes, global keys, undo after delete, command palette.

    app = FractalApp(store, clock=clock, settings=TuiSettings(poll_seconds=0))

- ``app.store``, ``app.clock`` (use it for countdowns and elapsed times, never
  datetime.now()), ``app.settings`` and the reactive ``app.fractal_id`` (the open fractal).
- Each entry of ``fractal_tui.screens.MAIN_SCREENS`` whose module exists becomes a mode,
  switched to with its key (``action_switch_screen(name)``).
- ``app.open_fractal(fractal_id, name)`` makes a fractal the open one and shows its goals.
- ``app.offer_undo(summary)`` after a delete: a toast says what went and that ctrl+z
  brings it back (``action_undo`` restores that delete batch).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from fractal_tui.clock import Clock, system_clock
from fractal_tui.errors import FractalError, Invalid
from fractal_tui.screens import MAIN_SCREENS, available_screens, load_screen_class


@dataclass(frozen=True)
class TuiSettings:
    """How the TUI behaves. poll_seconds: how often the current screen re-reads the store
    (0 turns the poll off, as tests do); theme: a Textual theme name."""

    poll_seconds: float = 3.0
    theme: str | None = None


class LoadingScreen(Screen):
    """The app's default screen, shown for a moment while the first read runs."""

    def compose(self) -> ComposeResult:
        yield Static("Opening Fractal…", id="loading")


def _switch_bindings() -> list[Binding]:
    return [
        Binding(
            entry.key,
            f"switch_screen('{name}')",
            entry.title,
            show=False,
        )
        for name, entry in MAIN_SCREENS.items()
    ]


class FractalApp(App[None]):
    """Fractal's terminal app (see the module docstring)."""

    CSS_PATH = "app.tcss"
    TITLE = "Fractal"

    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+z", "undo", "Undo delete", show=False),
        Binding("ctrl+t", "toggle_dark", "Light/dark", show=False),
        Binding("q", "quit", "Quit", show=False),
        *_switch_bindings(),
    ]

    fractal_id: reactive[str | None] = reactive(None, init=False)

    def __init__(
        self,
        store: Any,
        *,
        clock: Clock = system_clock,
        settings: Any = None,
        fractal_id: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.settings = settings if settings is not None else TuiSettings()
        self._initial_fractal = fractal_id
        self._undo: Any = None  # the DeleteSummary of the last delete
        for name in available_screens():
            self.add_mode(name, self._screen_factory(name))
        theme = getattr(self.settings, "theme", None)
        if theme:
            self.theme = theme

    def _screen_factory(self, name: str) -> Any:
        def make() -> Screen:
            return load_screen_class(name)()

        return make

    def get_default_screen(self) -> Screen:
        return LoadingScreen()

    # --- start-up and the open fractal ----------------------------------------------------

    def on_mount(self) -> None:
        self._start()

    @work(thread=True, exit_on_error=False, group="app")
    def _start(self) -> None:
        try:
            if self._initial_fractal:
                chosen = self.store.get_goal(self._initial_fractal)
            else:
                chosen = self._last_fractal()
        except FractalError as exc:
            self.call_from_thread(self.notify, exc.message, severity="error")
            chosen = None
            if self.store.list_fractals():
                self.call_from_thread(self.switch_screen_named, "fractals")
                return
        if chosen is None:
            self.call_from_thread(self.show_welcome)
        else:
            self.call_from_thread(self.open_fractal, chosen.id, chosen.name)

    def _last_fractal(self) -> Any:
        """The only or last used fractal; None when there is none yet. (resolve_fractal
        alone: list_fractals counts goals and sessions of every fractal, not needed here.)"""
        try:
            return self.store.resolve_fractal(None)
        except Invalid:
            if self.store.list_fractals():
                raise
            return None

    def show_welcome(self) -> None:
        from fractal_tui.screens.welcome import WelcomeScreen

        self.title = "Fractal"
        self.push_screen(WelcomeScreen())

    def open_fractal(self, fractal_id: str, name: str | None = None, *, goals: bool = True) -> None:
        """Make a fractal the open one and (by default) show its goal tree."""
        if name:
            self.title = name
        if self.fractal_id != fractal_id:
            self.fractal_id = fractal_id
        if goals:
            self.switch_screen_named("goals")

    def close_fractal(self) -> None:
        """No fractal is open any more (it was deleted): show the fractals list."""
        self.fractal_id = None
        self.title = "Fractal"
        self.switch_screen_named("fractals")

    def watch_fractal_id(self, old: str | None, new: str | None) -> None:
        # Screens of other modes show the old fractal: drop them, they are rebuilt on demand.
        for name in list(self._screen_stacks):
            if name != self.current_mode and name in MAIN_SCREENS:
                self.remove_mode(name)
                self.add_mode(name, self._screen_factory(name))
        if new is not None:
            self._refresh_title(new)
        reload = getattr(self.screen, "reload", None)
        if callable(reload):
            reload()

    @work(thread=True, exit_on_error=False, group="app")
    def _refresh_title(self, fractal_id: str) -> None:
        try:
            name = self.store.get_goal(fractal_id).name
        except FractalError:
            return
        if self.fractal_id == fractal_id:
            self.call_from_thread(setattr, self, "title", name)

    # --- screens --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_screen" and parameters:
            return str(parameters[0]) in self._modes
        return True

    def action_switch_screen(self, name: str) -> None:
        self.switch_screen_named(name)

    def switch_screen_named(self, name: str) -> None:
        """Show a main screen (its mode), closing any dialog or welcome screen on top."""
        if name not in self._modes:
            self.notify(f"The {name} screen is not available yet.", severity="warning")
            return
        try:
            load_screen_class(name)
        except Exception as exc:  # a screen under construction must not take the app down
            self.notify(f"The {name} screen could not be opened: {exc}", severity="error")
            return
        while len(self.screen_stack) > 1 and self.current_mode == "_default":
            self.pop_screen()
        self.switch_mode(name)

    def action_help(self) -> None:
        from fractal_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # --- undo after a delete --------------------------------------------------------------

    def offer_undo(self, summary: Any) -> None:
        """After a delete: remember its batch and say how to bring it back."""
        self._undo = summary
        what = f"{summary.kind} {summary.name!r}" if summary.name else summary.kind
        if summary.total > 1:
            what += f" ({summary.describe()})"
        self.notify(f"Deleted {what} — press ctrl+z to undo", timeout=10)

    def action_undo(self) -> None:
        summary = self._undo
        if summary is None:
            self.notify("Nothing to undo.", timeout=3)
            return
        self._undo = None
        self._restore(summary)

    @work(thread=True, exit_on_error=False, group="app")
    def _restore(self, summary: Any) -> None:
        try:
            counts = self.store.restore(summary.batch)
        except FractalError as exc:
            self.call_from_thread(self.notify, exc.message, severity="error")
            return
        from fractal_tui.store import describe_counts

        def done() -> None:
            self.notify(f"Undone: restored {describe_counts(counts)}.")
            if self.fractal_id is None and summary.kind == "goal":
                self.open_fractal(summary.id, summary.name, goals=False)
            reload = getattr(self.screen, "reload", None)
            if callable(reload):
                reload()

        self.call_from_thread(done)

    # --- refresh when the terminal regains focus -------------------------------------------

    def on_app_focus(self) -> None:
        reload = getattr(self.screen, "reload", None)
        if callable(reload):
            reload()

    # --- command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from fractal_tui.palette import app_commands

        yield from super().get_system_commands(screen)
        yield from app_commands(self, screen)


def run_tui(app_context: Any) -> None:
    """Start the TUI over the database the CLI context names (created and migrated if new)."""
    store = app_context.store
    fractal_id = None
    ref = getattr(app_context, "fractal_ref", None)
    if ref:
        fractal_id = store.resolve_fractal(ref).id
    FractalApp(store, fractal_id=fractal_id).run()
