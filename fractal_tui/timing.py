"""Timer arithmetic: pure functions over the interval ledger and a clock reading. No I/O.

A session's time is a ledger of work intervals (``Span``): an interval without an end is a
running timer. Nothing here counts ticks; every elapsed figure is computed from the ledger
and a ``now``, so a screen can redraw once a second and a timer survives a restart.

The ledger operations (``start``, ``close``, ``replace_instance``) return a new ledger or
raise ``Invalid``/``Conflict``; the store persists the difference, so every rule about
timers lives here and is unit-tested without a database.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.timeparse import format_duration


class Timed(Protocol):
    @property
    def started_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Span:
    """One work interval of an instance; ``id`` is empty until the store saves it."""

    instance_id: str
    started_at: datetime
    ended_at: datetime | None = None
    id: str = ""

    @property
    def running(self) -> bool:
        return self.ended_at is None


Label = Callable[[str], str]


def _quoted(label: Label | None, instance_id: str) -> str:
    return repr(label(instance_id)) if label else "that activity"


def hhmm(when: datetime) -> str:
    """A time of day in local time, for messages."""
    return when.astimezone().strftime("%H:%M")


# --- elapsed time --------------------------------------------------------------------------


def seconds(start: datetime, end: datetime) -> float:
    """Seconds from start to end, never negative."""
    return max(0.0, (end - start).total_seconds())


def span_seconds(span: Timed, now: datetime) -> float:
    """Length of one interval; a running one counts up to now."""
    return seconds(span.started_at, span.ended_at or now)


def elapsed(spans: Iterable[Timed], now: datetime) -> float:
    """An instance's time: the sum of its intervals, a running one up to now."""
    return sum(span_seconds(s, now) for s in spans)


def running(spans: Iterable[Timed]) -> Timed | None:
    """The interval without an end, if any."""
    return next((s for s in spans if s.ended_at is None), None)


def paused_total(paused_seconds: float, paused_at: datetime | None, until: datetime) -> float:
    """Paused time so far: what is banked plus a pause still open at ``until``."""
    return paused_seconds + (seconds(paused_at, until) if paused_at is not None else 0.0)


def session_elapsed(
    started_at: datetime,
    now: datetime,
    *,
    ended_at: datetime | None = None,
    paused_at: datetime | None = None,
    paused_seconds: float = 0.0,
) -> float:
    """A session's clock: up to its end (or now) minus paused time; frozen while paused."""
    until = ended_at or now
    return max(0.0, seconds(started_at, until) - paused_total(paused_seconds, paused_at, until))


class SessionTimes(Protocol):
    @property
    def started_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def paused_seconds(self) -> float: ...
    @property
    def duration_seconds(self) -> float | None: ...


def session_seconds(session: SessionTimes, now: datetime) -> float:
    """A session's time: its stored duration once ended, else elapsed minus paused to now."""
    if session.ended_at is not None and session.duration_seconds is not None:
        return session.duration_seconds
    return session_elapsed(
        session.started_at,
        now,
        ended_at=session.ended_at,
        paused_at=session.paused_at,
        paused_seconds=session.paused_seconds,
    )


def session_duration(started_at: datetime, ended_at: datetime, paused_seconds: float) -> float:
    """The stored duration of an ended session: end - start - paused."""
    return max(0.0, seconds(started_at, ended_at) - paused_seconds)


# --- checks ---------------------------------------------------------------------------------


def check_not_future(when: datetime, now: datetime, what: str = "that time") -> None:
    if when > now:
        raise Invalid(f"{what} ({hhmm(when)}) is in the future; it is {hhmm(now)} now")


def check_range(start: datetime, end: datetime | None, now: datetime, what: str = "it") -> None:
    """A manual time range: the end is not before the start, and nothing is in the future."""
    if end is not None and end < start:
        raise Invalid(f"{what} cannot end ({hhmm(end)}) before it starts ({hhmm(start)})")
    check_not_future(start, now, f"the start of {what}")
    if end is not None:
        check_not_future(end, now, f"the end of {what}")


def overlaps(start: datetime, end: datetime | None, other: Timed) -> bool:
    """Half-open intervals [start, end) overlap; no end means open to the future."""
    other_end = other.ended_at
    return (other_end is None or start < other_end) and (end is None or other.started_at < end)


def first_overlap(
    start: datetime, end: datetime | None, spans: Iterable[Span], *, skip: str | None = None
) -> Span | None:
    """The first interval (of an instance other than ``skip``) that [start, end) overlaps."""
    for span in sorted(spans, key=lambda s: s.started_at):
        if span.instance_id != skip and overlaps(start, end, span):
            return span
    return None


def outside(spans: Iterable[Span], start: datetime, end: datetime | None) -> Span | None:
    """The first interval that does not fit inside [start, end] (end None: open)."""
    for span in sorted(spans, key=lambda s: s.started_at):
        if span.started_at < start:
            return span
        if end is not None and (span.ended_at is None or span.ended_at > end):
            return span
    return None


def describe_span(span: Span, label: Label | None = None) -> str:
    when = f"{hhmm(span.started_at)}–{hhmm(span.ended_at) if span.ended_at else 'now'}"
    return f"{_quoted(label, span.instance_id)} ({when})"


# --- ledger operations ----------------------------------------------------------------------


def start(
    ledger: Sequence[Span],
    instance_id: str,
    at: datetime,
    *,
    switch: bool = False,
    label: Label | None = None,
) -> tuple[Span, ...]:
    """Open an interval for an instance at ``at``.

    At most one interval runs: another running one is a conflict unless ``switch``, which
    closes it at the very instant the new one opens.
    """
    current = running(ledger)
    if current is not None:
        assert isinstance(current, Span)
        if current.instance_id == instance_id:
            raise Conflict(f"the timer for {_quoted(label, instance_id)} is already running")
        if not switch:
            raise Conflict(
                f"a timer is already running for {_quoted(label, current.instance_id)}; "
                f"use --switch to switch to {_quoted(label, instance_id)}"
            )
        if at < current.started_at:
            raise Invalid(
                f"cannot switch at {hhmm(at)}: {_quoted(label, current.instance_id)} "
                f"only started at {hhmm(current.started_at)}"
            )
    closed = [s for s in ledger if s.ended_at is not None]
    clash = first_overlap(at, None, closed)
    if clash is not None:
        raise Conflict(
            f"a timer starting at {hhmm(at)} would overlap {describe_span(clash, label)}"
        )
    out = [replace(s, ended_at=at) if s is current else s for s in ledger]
    out.append(Span(instance_id=instance_id, started_at=at))
    return tuple(out)


def close(ledger: Sequence[Span], at: datetime, *, label: Label | None = None) -> tuple[Span, ...]:
    """Close the running interval (if any) at ``at``."""
    current = running(ledger)
    if current is None:
        return tuple(ledger)
    assert isinstance(current, Span)
    if at < current.started_at:
        raise Invalid(
            f"cannot stop {_quoted(label, current.instance_id)} at {hhmm(at)}: "
            f"its timer started at {hhmm(current.started_at)}"
        )
    return tuple(replace(s, ended_at=at) if s is current else s for s in ledger)


def replace_instance(
    ledger: Sequence[Span],
    instance_id: str,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    *,
    label: Label | None = None,
) -> tuple[Span, ...]:
    """Set an instance's time by hand: its intervals become the one interval [start, end].

    The first of its saved intervals is kept (with new times) so the store updates rather
    than replaces it; intervals of other instances may not overlap.
    """
    check_range(start_at, end_at, now, f"the time of {_quoted(label, instance_id)}")
    others = [s for s in ledger if s.instance_id != instance_id]
    clash = first_overlap(start_at, end_at, [_upto(s, now) for s in others])
    if clash is not None:
        raise Conflict(
            f"{hhmm(start_at)}–{hhmm(end_at)} overlaps {describe_span(clash, label)}; "
            "intervals in one session cannot overlap"
        )
    own = [s for s in ledger if s.instance_id == instance_id]
    kept = replace(own[0], started_at=start_at, ended_at=end_at) if own else None
    new = kept or Span(instance_id=instance_id, started_at=start_at, ended_at=end_at)
    return (*others, new)


def _upto(span: Span, now: datetime) -> Span:
    # A running interval occupies time up to now for overlap checks.
    return span if span.ended_at is not None else replace(span, ended_at=now)


def instance_seconds(ledger: Iterable[Span], instance_id: str, now: datetime) -> float:
    return elapsed((s for s in ledger if s.instance_id == instance_id), now)


def clock_text(total_seconds: float) -> str:
    """1:02:03 or 2:03: the format every timer uses."""
    return format_duration(total_seconds)
