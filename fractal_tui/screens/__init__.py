"""The app's screens, one module per screen.

``MAIN_SCREENS`` names the screens a person switches between with one key. Each entry is
``name -> MainScreen(key, "module:Class", title)``; the module lives in this package and is
imported only when the screen is first shown. A screen whose module does not exist yet is
simply not offered (see ``available_screens``).
"""

import importlib
from importlib.util import find_spec
from typing import NamedTuple

from textual.screen import Screen


class MainScreen(NamedTuple):
    key: str
    target: str  # "module:Class" under fractal_tui.screens
    title: str


MAIN_SCREENS: dict[str, MainScreen] = {
    "fractals": MainScreen("0", "fractals:FractalsScreen", "Fractals"),
    "goals": MainScreen("1", "goals:GoalsScreen", "Goals"),
    "sessions": MainScreen("2", "sessions:SessionsScreen", "Sessions"),
    "activities": MainScreen("3", "activities:ActivitiesScreen", "Activities"),
    "analytics": MainScreen("4", "analytics:AnalyticsScreen", "Analytics"),
    "trash": MainScreen("5", "trash:TrashScreen", "Trash"),
    "history": MainScreen("6", "history:HistoryScreen", "History"),
    "templates": MainScreen("7", "templates:TemplatesScreen", "Templates"),
}


def _module_name(target: str) -> str:
    return f"{__name__}.{target.split(':', 1)[0]}"


def screen_exists(name: str) -> bool:
    """True when the screen's module is there (it is not imported)."""
    entry = MAIN_SCREENS.get(name)
    return entry is not None and find_spec(_module_name(entry.target)) is not None


def available_screens() -> dict[str, MainScreen]:
    """The main screens whose modules exist, in MAIN_SCREENS order."""
    return {name: entry for name, entry in MAIN_SCREENS.items() if screen_exists(name)}


def load_screen_class(name: str) -> type[Screen]:
    """Import a main screen's module and return its class."""
    module_name, cls_name = MAIN_SCREENS[name].target.split(":", 1)
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, cls_name)
