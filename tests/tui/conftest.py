"""TUI test helpers: UTC local time, an app over the test store, and waiting for workers.

Every TUI test runs with TZ=UTC so local times on screen do not depend on the machine. The
app gets the test's store and FakeClock and no poll (tests refresh explicitly), so nothing
on screen changes between two looks.
"""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tui_helpers import settle

from fractal_tui.app import FractalApp, TuiSettings


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def all_screens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots show every main screen in the navigation bar, as the finished app does,
    whichever screen modules exist yet (no screen is switched to in a snapshot)."""
    import fractal_tui.screens as screens

    monkeypatch.setattr(screens, "screen_exists", lambda name: name in screens.MAIN_SCREENS)


@pytest.fixture
def make_app(store: Any, clock: Any) -> Callable[..., FractalApp]:
    """FractalApp over the test store and clock, without the poll."""

    def make(**kwargs: Any) -> FractalApp:
        kwargs.setdefault("settings", TuiSettings(poll_seconds=0))
        return FractalApp(store, clock=clock, **kwargs)

    return make


def screen_text(app: Any) -> str:
    """What the current screen shows, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class TuiHelpers:
    """Helpers for TUI tests, handed out by the ``tui`` fixture."""

    settle = staticmethod(settle)
    screen_text = staticmethod(screen_text)

    def __init__(self, store: Any, clock: Any) -> None:
        self.store = store
        self.clock = clock

    def build_piano(self) -> dict[str, Any]:
        return build_piano(self.store, self.clock)


@pytest.fixture
def tui(store: Any, clock: Any) -> TuiHelpers:
    return TuiHelpers(store, clock)


FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def build_piano(store: Any, clock: Any) -> dict[str, Any]:
    """A small fractal made at fixed times: the data of the goal tree snapshots."""
    clock.set(FIXED_START)
    piano = store.create_fractal("Piano", description="Play the music I love, well.")
    clock.advance(minutes=5)
    rep = store.add_goal(piano.id, "Repertoire", deadline=date(2026, 6, 30))
    clock.advance(minutes=5)
    bach = store.add_goal(
        rep.id,
        "Bach prelude in C minor",
        deadline=date(2026, 1, 2),
        description="BWV 847, from memory at 80 bpm.",
    )
    clock.advance(minutes=5)
    store.add_goal(bach.id, "Left hand alone", level=4)
    clock.advance(minutes=5)
    chopin = store.add_goal(rep.id, "Chopin nocturne")
    clock.advance(minutes=5)
    tech = store.add_goal(piano.id, "Technique")
    clock.advance(minutes=5)
    scales = store.add_goal(tech.id, "Scales in all keys", deadline=date(2026, 1, 17))
    clock.advance(hours=2)
    store.complete_goal(chopin.id)
    clock.set(datetime(2026, 1, 8, 18, 30, tzinfo=UTC))
    return {
        "piano": piano,
        "rep": rep,
        "bach": bach,
        "chopin": chopin,
        "tech": tech,
        "scales": scales,
    }
