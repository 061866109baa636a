"""Commands for the palette (ctrl+p): every action of the app, found by name.

The current screen's key actions come first ("Add child goal"); then every main screen
("Go to Sessions") and the actions of every other main screen, which switch to that screen
and run there ("Sessions: Start session"); then the app's own (undo, help, light/dark).
Everything is read from the BINDINGS declared on the classes, so a new key is in the palette
without listing it twice.
"""

from collections.abc import Callable, Iterable
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from fractal_tui.screens import available_screens, load_screen_class
from fractal_tui.screens.help import GENERIC_ACTIONS

_SKIP_ACTIONS = {"reload", "help", "quit", "switch_screen", *GENERIC_ACTIONS}


def _class_bindings(cls: type) -> list[Binding]:
    """The bindings declared on a class and its bases (the nearest declaration wins)."""
    seen: dict[str, Binding] = {}
    for klass in cls.__mro__:
        for item in klass.__dict__.get("BINDINGS", ()):
            binding = item if isinstance(item, Binding) else Binding(*item)
            seen.setdefault(binding.action, binding)
    return list(seen.values())


def _useful(binding: Binding) -> bool:
    action = binding.action.split("(", 1)[0].rsplit(".", 1)[-1]
    return bool(binding.description) and action not in _SKIP_ACTIONS


def _label(binding: Binding) -> str:
    """The full wording: a footer label may be short ("Child"), its tooltip says it all."""
    return binding.tooltip or binding.description


def _key(app: Any, binding: Binding) -> str:
    return binding.key_display or app.get_key_display(binding)


def app_commands(app: Any, screen: Screen) -> Iterable[SystemCommand]:
    seen: set[str] = set()
    screens = available_screens()

    # The current screen's own actions.
    for binding in _class_bindings(type(screen)):
        if not _useful(binding) or app._check_action_state(binding.action, screen) is False:
            continue
        seen.add(binding.description)
        yield SystemCommand(
            _label(binding),
            f"{_key(app, binding)} on this screen",
            _runner(app, screen, binding.action),
        )

    # Every main screen, and what can be done there.
    for name, entry in screens.items():
        yield SystemCommand(
            f"Go to {entry.title}",
            f"{entry.key} anywhere",
            _switcher(app, name, None),
        )
    for name, entry in screens.items():
        if app.current_mode == name:
            continue
        try:
            cls = load_screen_class(name)
        except Exception:
            continue
        for binding in _class_bindings(cls):
            if not _useful(binding):
                continue
            yield SystemCommand(
                f"{entry.title}: {_label(binding)}",
                f"opens {entry.title}, then {_key(app, binding)}",
                _switcher(app, name, binding.action),
                discover=False,
            )

    yield SystemCommand("Undo the last delete", "ctrl+z", app.action_undo)
    yield SystemCommand("Keys of this screen", "?", app.action_help)
    yield SystemCommand("Toggle light / dark", "ctrl+t", app.action_toggle_dark)
    yield SystemCommand("Switch fractal", "0 — the fractals list", _switcher(app, "fractals", None))


def _runner(app: Any, node: Any, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await app.run_action(action, node)

    return run


def _switcher(app: Any, name: str, action: str | None) -> Callable[[], Any]:
    async def run() -> None:
        app.switch_screen_named(name)
        if action is not None:
            # The screen of that mode exists once the switch has been processed.
            async def later() -> None:
                await app.run_action(action, app.screen)

            app.call_after_refresh(later)

    return run
