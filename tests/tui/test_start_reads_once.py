"""Start-up reads what the first screen needs once: Textual resumes a new mode's screen twice,
which used to load the goal tree twice, and the app no longer lists every fractal with its
counts just to find the one to open."""

from collections import Counter
from typing import Any

import pytest
from tui_helpers import settle

from fractal_tui.screens.goals import GoalsScreen
from fractal_tui.screens.sessions import SessionsScreen
from fractal_tui.screens.welcome import WelcomeScreen


def count_calls(store: Any, monkeypatch: pytest.MonkeyPatch, *names: str) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in names:
        method = getattr(store, name)

        def spy(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _method(*args, **kwargs)

        monkeypatch.setattr(store, name, spy)
    return calls


async def test_the_goal_tree_is_read_once_at_start_and_again_on_each_return(
    tui: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tui.build_piano()
    calls = count_calls(
        tui.store, monkeypatch, "goals", "goal_detail", "list_fractals", "resolve_fractal"
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert app.screen.tree.cursor_goal is not None
        assert calls == {"resolve_fractal": 1, "goals": 1, "goal_detail": 1}

        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("1")  # back: shown again, so read again (once)
        await settle(pilot)
        assert calls["goals"] == 2
        await pilot.press("question_mark")  # a dialog over it and away again
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert calls["goals"] == 3


async def test_without_a_fractal_the_welcome_screen_shows(
    store: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_calls(store, monkeypatch, "list_fractals", "resolve_fractal")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
    assert calls == {"resolve_fractal": 1, "list_fractals": 1}
