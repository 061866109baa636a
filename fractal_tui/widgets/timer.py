"""The session clock: elapsed minus paused, large, recomputed from the ledger and a clock.

Nothing here counts ticks. ``show(session, instances, now)`` draws the figures for ``now``;
the screen calls it once a second with ``app.clock()``, so a timer started elsewhere (or
left running across a restart) shows the right time.
"""

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from fractal_tui import timing
from fractal_tui.views import InstanceView, SessionView
from fractal_tui.widgets import local_time

RUNNING, PAUSED, DONE, STOPPED, PLANNED = "running", "paused", "done", "stopped", "planned"

STATE_MARKS = {
    RUNNING: ("▶", "bold green"),
    PAUSED: ("⏸", "bold yellow"),
    DONE: ("✓", "green"),
    STOPPED: ("■", "dim"),
    PLANNED: ("·", "dim"),
}


def instance_state(instance: InstanceView, session: SessionView | None = None) -> str:
    if instance.completed_at is not None:
        return DONE
    if instance.running:
        return RUNNING
    if session is not None and session.paused and session.paused_instance_id == instance.id:
        return PAUSED
    return STOPPED if instance.started else PLANNED


def state_text(state: str, label: str | None = None) -> Text:
    mark, style = STATE_MARKS[state]
    return Text(f"{mark} {label or state}", style=style)


def _same_content(a: object, b: object) -> bool:
    # rich's Text == compares text and spans but not the base style: compare that too.
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.style == b.style and a.spans == b.spans
    return type(a) is type(b) and a == b


def _shape(content: object) -> str | None:
    """The text with every digit as 0: the same shape wraps to the same lines."""
    plain = content.plain if isinstance(content, Text) else content
    return plain.translate(_DIGITS_TO_ZERO) if isinstance(plain, str) else None


_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")


def set_static(widget: Static, content: str | Text) -> None:
    """Show content in a Static once a second without redoing the screen's layout.

    Nothing happens when the content is unchanged. A running time changes digits only: the
    text keeps its length and breaks at the same places, so only the widget is repainted;
    anything else (another length, other words) may change its height and lays out again.
    """
    old = widget.content
    if _same_content(old, content):
        return
    shape = _shape(content)
    widget.update(content, layout=shape is None or shape != _shape(old))


class SessionClock(Horizontal):
    """Big digits for the session's time, and a few lines about it beside them."""

    DEFAULT_CSS = """
    SessionClock {
        height: auto;
        padding: 0 1;
        border-bottom: hkey $foreground 20%;
    }
    SessionClock > Digits {
        width: auto;
        min-width: 10;
        margin-right: 2;
    }
    SessionClock.-paused > Digits {
        color: $warning;
    }
    SessionClock.-running > Digits {
        color: $success;
    }
    SessionClock.-ended > Digits {
        color: $text-muted;
    }
    SessionClock > #clock-info {
        width: 1fr;
        height: auto;
    }
    SessionClock #clock-title {
        text-style: bold;
    }
    """

    def compose(self) -> ComposeResult:
        yield Digits("0:00", id="clock-digits")
        with Vertical(id="clock-info"):
            yield Static("", id="clock-title", markup=False)
            yield Static("", id="clock-state")
            yield Static("", id="clock-goals", markup=False)

    def show(
        self,
        session: SessionView | None,
        instances: Sequence[InstanceView],
        now: datetime,
        goal_names: Sequence[str] = (),
    ) -> None:
        digits = self.query_one(Digits)
        if session is None:
            digits.update("0:00")
            set_static(self.query_one("#clock-title", Static), "")
            return
        figures = timing.clock_text(timing.session_seconds(session, now))
        if digits.value != figures:
            digits.update(figures)
        self.set_class(session.ended_at is not None, "-ended")
        self.set_class(session.paused, "-paused")
        running = next((i for i in instances if i.running), None)
        self.set_class(running is not None and not session.paused, "-running")
        title = session.name or "Session"
        set_static(
            self.query_one("#clock-title", Static),
            f"{title} · started {local_time(session.started_at, '%a %d %b %H:%M')}",
        )
        state = Text()
        if session.ended_at is not None:
            state.append_text(state_text(DONE, f"ended {local_time(session.ended_at, '%H:%M')}"))
        elif session.paused:
            state.append_text(state_text(PAUSED, "paused — p resumes"))
        elif running is not None:
            spent = timing.clock_text(timing.elapsed(running.intervals, now))
            state.append_text(state_text(RUNNING, f"{running.activity_name} {spent}"))
        else:
            state.append_text(state_text(STOPPED, "no timer running — t starts one"))
        if session.paused_seconds or session.paused:
            paused = timing.paused_total(
                session.paused_seconds, session.paused_at, session.ended_at or now
            )
            state.append(f"   paused {timing.clock_text(paused)}", style="dim")
        set_static(self.query_one("#clock-state", Static), state)
        goals = ", ".join(goal_names)
        set_static(self.query_one("#clock-goals", Static), f"Goals: {goals}" if goals else "")
