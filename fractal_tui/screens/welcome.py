"""First run on an empty database: what a fractal is, and two ways to begin."""

from importlib.util import find_spec
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from fractal_tui.errors import FractalError
from fractal_tui.widgets.form import Field, FormScreen

INTRO = (
    "A fractal is one big goal broken down, level by level, into the small goals you can "
    "work on today. You practise in sessions, and Fractal shows how each session moves "
    "the goals above it."
)


def demo_available() -> bool:
    return find_spec("fractal_tui.demo") is not None


def new_fractal_form(store: Any, title: str = "Your first fractal") -> FormScreen:
    return FormScreen(
        title,
        [
            Field("name", "Name", placeholder="e.g. Play the piano well"),
            Field("description", "Description", placeholder="optional"),
        ],
        on_submit=lambda v: store.create_fractal(v["name"], description=v["description"]),
        submit_label="Create",
    )


class WelcomeScreen(Screen):
    DEFAULT_CSS = """
    WelcomeScreen {
        align: center middle;
    }
    WelcomeScreen #welcome {
        width: 64;
        max-width: 100%;
        height: auto;
        border: round $primary;
        padding: 1 2;
    }
    WelcomeScreen #welcome-title {
        text-style: bold;
        color: $accent;
        padding-bottom: 1;
    }
    WelcomeScreen #welcome-intro {
        padding-bottom: 1;
    }
    WelcomeScreen Button {
        width: 100%;
        margin-top: 1;
    }
    """

    BINDINGS = [
        Binding("c", "create", "Create my first fractal"),
        Binding("d", "demo", "Load the demo"),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="welcome"):
            yield Static("Welcome to Fractal", id="welcome-title")
            yield Static(INTRO, id="welcome-intro")
            yield Button("Create my first fractal (c)", id="create", variant="primary")
            if demo_available():
                yield Button("Load the demo (d)", id="demo")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return demo_available()
        return True

    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        def created(fractal: Any) -> None:
            if fractal is not None:
                self.app.open_fractal(fractal.id, fractal.name)  # type: ignore[attr-defined]

        self.app.push_screen(new_fractal_form(self.app.store), created)  # type: ignore[attr-defined]

    @on(Button.Pressed, "#demo")
    def action_demo(self) -> None:
        if not demo_available():
            return
        self.notify("Loading the demo…", timeout=3)
        self._load_demo()

    @work(thread=True, exit_on_error=False, group="demo")
    def _load_demo(self) -> None:
        from fractal_tui.demo import load_demo  # type: ignore[import-not-found]

        store = self.app.store  # type: ignore[attr-defined]
        try:
            result = load_demo(store)
            fractal = result if hasattr(result, "id") else store.resolve_fractal(None)
        except FractalError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error")
            return
        self.app.call_from_thread(self.app.open_fractal, fractal.id, fractal.name)  # type: ignore[attr-defined]
