"""The app shell: first run, switching screens, help, palette, forms, confirmation, undo,
themes, and the FractalScreen load/show contract."""

from importlib.util import find_spec
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Button, Input, Label, Static
from tui_helpers import settle

from fractal_tui.errors import Invalid
from fractal_tui.screens import MAIN_SCREENS, available_screens
from fractal_tui.screens.base import FractalScreen
from fractal_tui.screens.fractals import FractalsScreen
from fractal_tui.screens.goals import GoalsScreen
from fractal_tui.screens.help import HelpScreen
from fractal_tui.screens.history import HistoryScreen
from fractal_tui.screens.trash import TrashScreen
from fractal_tui.screens.welcome import INTRO, WelcomeScreen
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FieldError, FormScreen, optional_date


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# --- first run ---------------------------------------------------------------------------


async def test_first_run_welcomes_and_creates_the_first_fractal(store: Any, make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = screen_text(app)
        assert "Create my first fractal" in text
        assert ("Load the demo" in text) == (find_spec("fractal_tui.demo") is not None)

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")  # an empty name is refused, nothing written
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "needs a name" in str(app.screen.query_one("#error-name", Static).render())
        assert store.list_fractals() == []

        await pilot.press(*"Strength", "enter")
        await settle(pilot)
        [fractal] = store.list_fractals()
        assert fractal.name == "Strength"
        assert isinstance(app.screen, GoalsScreen)
        assert app.fractal_id == fractal.id
        assert app.title == "Strength"


async def test_load_the_demo_from_the_welcome_screen(store: Any, make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        if find_spec("fractal_tui.demo") is None:
            # Without the demo module the option is not offered and d does nothing.
            assert isinstance(app.screen, WelcomeScreen)
            assert store.list_fractals() == []
            return
        [demo] = store.list_fractals()
        assert demo.goal_count > 0
        assert isinstance(app.screen, GoalsScreen)
        assert app.fractal_id == demo.id and app.title == demo.name


async def test_escape_on_the_first_fractal_form_keeps_the_welcome(
    store: Any, make_app: Any
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Half-typed", "escape")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert store.list_fractals() == []


async def test_opens_the_only_fractal_and_switches_screens_by_key(
    store: Any, make_app: Any
) -> None:
    piano = store.create_fractal("Piano")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert app.fractal_id == piano.id
        for key, screen_class in (
            ("5", TrashScreen),
            ("6", HistoryScreen),
            ("0", FractalsScreen),
            ("1", GoalsScreen),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen_class), key
        # The navigation bar names every screen that exists, with its key (at 80 columns
        # in the short form that keeps every key on the line).
        from fractal_tui.screens.base import NavBar

        text = screen_text(app)
        for name, entry in available_screens().items():
            title = NavBar.SHORT_TITLES.get(name, entry.title)
            assert f"{entry.key} {title}" in text, name


async def test_a_screen_whose_module_is_missing_is_not_offered(
    store: Any, make_app: Any, monkeypatch: Any
) -> None:
    import fractal_tui.screens as screens

    real = screens.screen_exists
    monkeypatch.setattr(screens, "screen_exists", lambda n: n != "trash" and real(n))
    store.create_fractal("Piano")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert "5 Trash" not in screen_text(app)
        assert "trash" not in app._modes


def test_main_screens_name_key_module_and_title() -> None:
    keys = [entry.key for entry in MAIN_SCREENS.values()]
    assert len(set(keys)) == len(keys)
    for name in ("goals", "sessions", "activities", "analytics", "trash", "history"):
        entry = MAIN_SCREENS[name]
        module, cls = entry.target.split(":")
        assert module and cls and entry.title


# --- help and palette ----------------------------------------------------------------------


async def test_question_mark_lists_every_binding_of_the_current_screen(
    store: Any, make_app: Any
) -> None:
    store.create_fractal("Piano")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        described = {desc for _, desc in app.screen.local}
        for binding in GoalsScreen.BINDINGS:
            if binding.action == "clear_search":  # type: ignore[union-attr]
                continue  # only offered while a search is on
            label = binding.tooltip or binding.description  # type: ignore[union-attr]
            assert label in described, label
        assert ("^z", "Undo delete") in app.screen.everywhere
        assert ("?", "Help") in app.screen.everywhere
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)

        await pilot.press("5", "question_mark")
        await settle(pilot)
        described = {desc for _, desc in app.screen.local}
        assert {"Restore", "Purge", "Purge older…"} <= described
        assert "Add a child goal" not in described


async def test_palette_offers_every_action_and_runs_it(store: Any, make_app: Any) -> None:
    store.create_fractal("Piano")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {
            "Add a child goal",
            "Delete",
            "Go to Trash",
            "Go to Fractals",
            "Switch fractal",
        } <= titles
        assert "Undo the last delete" in titles
        assert "Trash: Purge older…" in titles  # another screen's action
        assert "Theme" in titles  # Textual's own stay

        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Go to Trash")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrashScreen)

        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Goals: Add a child goal")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.form_title == "New goal under 'Piano'"


# --- themes ----------------------------------------------------------------------------------


async def test_ctrl_t_switches_between_dark_and_light(store: Any, make_app: Any) -> None:
    store.create_fractal("Piano")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.current_theme.dark is not dark
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.current_theme.dark is dark


async def test_theme_from_settings(store: Any, clock: Any) -> None:
    from fractal_tui.app import FractalApp, TuiSettings

    app = FractalApp(store, clock=clock, settings=TuiSettings(poll_seconds=0, theme="nord"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"


# --- delete, confirm, undo -------------------------------------------------------------------


async def test_delete_asks_says_what_goes_and_ctrl_z_restores(store: Any, make_app: Any) -> None:
    piano = store.create_fractal("Piano")
    rep = store.add_goal(piano.id, "Repertoire")
    store.add_goal(rep.id, "Bach")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.message == (
            "Delete 'Repertoire' and everything under it? This deletes 2 goals."
        )
        await pilot.press("n")  # no: nothing deleted
        await settle(pilot)
        assert len(store.goals(piano.id)) == 3

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")  # escape: nothing deleted
        await settle(pilot)
        assert len(store.goals(piano.id)) == 3

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [g.name for g in store.goals(piano.id)] == ["Piano"]
        toast = list(app._notifications)[-1]
        assert toast.message == "Deleted goal 'Repertoire' (2 goals) — press ctrl+z to undo"
        assert "ctrl+z to undo" in toast.message

        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [g.name for g in store.goals(piano.id)] == ["Piano", "Repertoire", "Bach"]
        assert "restored 2 goals" in list(app._notifications)[-1].message
        await pilot.press("ctrl+z")  # only once
        await settle(pilot)
        assert list(app._notifications)[-1].message == "Nothing to undo."


# --- the widgets on their own -------------------------------------------------------------------


class FormHost(App[None]):
    """A bare app to drive FormScreen and ConfirmScreen directly."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []
        self.calls: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Label("host")


async def test_form_puts_errors_by_their_field_and_returns_the_result() -> None:
    host = FormHost()

    def submit(values: dict[str, Any]) -> str:
        host.calls.append(values)
        if values["name"] == "taken":
            raise Invalid("that name is taken")
        if values["name"] == "odd":
            raise FieldError("when", "not on odd days")
        if values["name"] == "weird":
            raise Invalid("something else went wrong")
        return f"made {values['name']}"

    fields = [
        Field("name", "Name"),
        Field("when", "When", parse=optional_date, keywords=("date",)),
    ]
    async with host.run_test(size=(80, 24)) as pilot:
        host.push_screen(FormScreen("Thing", fields, submit), host.results.append)
        await pilot.pause()
        form = host.screen
        assert isinstance(form, FormScreen)

        def error(field: str | None) -> str:
            widget = form.query_one(f"#error-{field}" if field else "#form-error", Static)
            return str(widget.render()) if widget.has_class("-shown") else ""

        await pilot.press(*"x")
        form.query_one("#field-when", Input).focus()
        await pilot.press(*"soon", "enter")
        await settle(pilot)
        assert "YYYY-MM-DD" in error("when")
        assert host.calls == []  # a parse error never reaches on_submit

        form.query_one("#field-when", Input).value = ""
        form.query_one("#field-name", Input).value = "taken"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error("name") == "that name is taken"
        assert error("when") == ""

        form.query_one("#field-name", Input).value = "odd"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error("when") == "not on odd days"

        form.query_one("#field-name", Input).value = "weird"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error(None) == "something else went wrong"
        assert host.screen is form and host.results == []

        form.query_one("#field-name", Input).value = "fine"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert host.results == ["made fine"]
        assert host.screen is not form


async def test_form_escape_cancels_without_calling_submit() -> None:
    host = FormHost()
    async with host.run_test(size=(80, 24)) as pilot:
        form = FormScreen("Thing", [Field("name", "Name")], host.calls.append)
        host.push_screen(form, host.results.append)
        await pilot.pause()
        await pilot.press(*"abc", "escape")
        await settle(pilot)
        assert host.results == [None]
        assert host.calls == []


async def test_confirm_answers_with_a_bool() -> None:
    host = FormHost()
    async with host.run_test(size=(80, 24)) as pilot:
        for keys, expected in (
            (["y"], True),
            (["n"], False),
            (["escape"], False),
            (["enter"], True),
        ):
            host.push_screen(ConfirmScreen("Really?"), host.results.append)
            await pilot.pause()
            assert "Delete (y)" in str(host.screen.query_one("#confirm-yes", Button).label)
            await pilot.press(*keys)
            await pilot.pause()
            assert host.results[-1] is expected, keys


# --- the FractalScreen contract -----------------------------------------------------------------


class CountingScreen(FractalScreen):
    """A minimal screen built the way other screens are: load in a thread, show after."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0
        self.shown: list[Any] = []

    def compose_content(self) -> ComposeResult:
        yield Static("", id="count")

    def load(self) -> Any:
        self.loads += 1
        return [g.name for g in self.app.store.goals(self.fractal_id)]

    def show(self, data: Any) -> None:
        self.shown.append(data)
        self.query_one("#count", Static).update(f"{len(data)} goals")


async def test_fractal_screen_loads_shows_and_the_poll_shows_only_changes(
    store: Any, make_app: Any
) -> None:
    piano = store.create_fractal("Piano")
    app = make_app(fractal_id=piano.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = CountingScreen()
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.shown == [["Piano"]]  # shown once on resume
        screen._poll()
        await settle(pilot)
        assert screen.loads == 2 and len(screen.shown) == 1  # nothing new: not re-shown
        store.add_goal(piano.id, "New")
        screen._poll()
        await settle(pilot)
        assert screen.shown[-1] == ["Piano", "New"]
        await pilot.press("r")
        await settle(pilot)
        assert len(screen.shown) == 3  # r always shows


async def test_poll_timer_follows_the_settings(store: Any, clock: Any) -> None:
    from fractal_tui.app import FractalApp, TuiSettings

    store.create_fractal("Piano")
    app = FractalApp(store, clock=clock, settings=TuiSettings(poll_seconds=2.5))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen._poll_timer is not None
        assert app.screen._poll_timer._interval == 2.5


# --- snapshots ------------------------------------------------------------------------------


def test_welcome_snapshot_80x24(snap_compare: Any, make_app: Any, all_screens: None) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)


def test_welcome_snapshot_120x40(snap_compare: Any, make_app: Any, all_screens: None) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=settle)


def test_help_snapshot_80x24(snap_compare: Any, tui: Any, make_app: Any, all_screens: None) -> None:
    goals = tui.build_piano()

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    app = make_app(fractal_id=goals["piano"].id)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_help_snapshot_120x40(
    snap_compare: Any, tui: Any, make_app: Any, all_screens: None
) -> None:
    goals = tui.build_piano()

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    app = make_app(fractal_id=goals["piano"].id)
    assert snap_compare(app, terminal_size=(120, 40), run_before=ready)


def test_intro_is_two_sentences() -> None:
    assert INTRO.count(". ") + INTRO.endswith(".") == 2
