"""A TUI writer for the two-writers test: the app under run_test(), adding goals by keys.

    python rel_tui_writer.py DB FRACTAL N GO_FILE

Opens FractalApp on FRACTAL (polling the database every half second, as a person's app
would), waits until GO_FILE exists, then adds N goals through the goal form ("a" for the
first, "s" for siblings after it), typing each name and pressing enter. Prints one JSON
object: every error the app showed (notifications of severity error, or a form that stayed
open with its message).
"""

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def run(db: str, fractal: str, n: int, go: Path) -> dict[str, Any]:
    from textual.widgets import Static

    from fractal_tui.app import FractalApp, TuiSettings
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.screens.goals import GoalsScreen
    from fractal_tui.store import Store
    from fractal_tui.widgets.form import FormScreen

    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    store = Store(engine)
    root = store.resolve_fractal(fractal).id
    app = FractalApp(store, settings=TuiSettings(poll_seconds=0.5), fractal_id=root)
    errors: list[str] = []
    shown = app.notify

    def notify(message: str, *args: Any, severity: str = "information", **kw: Any) -> None:
        if severity == "error":
            errors.append(str(message))
        shown(message, *args, severity=severity, **kw)

    app.notify = notify  # type: ignore[method-assign]
    added = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if not isinstance(app.screen, GoalsScreen):
            errors.append(f"the app opened on {type(app.screen).__name__}")
            return {"errors": errors, "added": added}
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for k in range(n):
            await pilot.press("a" if k == 0 else "s")
            await settle(pilot)
            if not isinstance(app.screen, FormScreen):
                errors.append(f"no form after a key ({type(app.screen).__name__})")
                break
            await pilot.press(*f"Goal {k}")
            await pilot.press("enter")
            await settle(pilot)
            if isinstance(app.screen, FormScreen):
                messages = [
                    str(w.render()) for w in app.screen.query(Static) if w.has_class("-shown")
                ]
                errors.append(f"the form stayed open: {messages}")
                await pilot.press("escape")
                await settle(pilot)
                continue
            added += 1
    engine.dispose()
    return {"errors": errors, "added": added}


def main() -> None:
    db, fractal, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    print(json.dumps(asyncio.run(run(db, fractal, n, go))))


if __name__ == "__main__":
    main()
