"""Analytics rules and read models: local days, date ranges, streaks, roll-ups. Pure, no I/O.

The store (``fractal_tui.store.analytics``) runs the SQL, restricted by fractal and time, and
hands the rows to these functions; screens and commands get the frozen dataclasses below.

Definitions every panel and report shares:

- *Practice time* is timer time: the work intervals of the practice loop, a running one up to
  now, clipped to the range. A session's time is the sum of its intervals.
- A session is *in* a range when it started in it (counts, averages, completed/unfinished).
- Days are local calendar days of the zone given (``tz=None``: the system's rules, which
  ``datetime.astimezone()`` applies for each instant, so daylight saving is honoured). An
  interval crossing midnight is split between the two days.
- A *practice day* is a local day on which a session started; a streak is a run of
  consecutive practice days, and the current one is still alive until a whole day passes
  without practice.
- A goal's time is the time of its sessions plus its descendants' sessions, each session
  counted once however many goals of the subtree it is linked to. Sessions linked to no goal
  count toward the fractal itself (the root).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from fractal_tui.errors import Invalid
from fractal_tui.progress import SKIPPED, SetLike, ValueLike
from fractal_tui.views import MetricDelta

# --- local days ------------------------------------------------------------------------------


def to_local(when: datetime, tz: tzinfo | None = None) -> datetime:
    """A stored UTC time in the zone (None: the system's rules for that instant)."""
    return when.astimezone(tz)


def local_date(when: datetime, tz: tzinfo | None = None) -> date:
    return to_local(when, tz).date()


def day_start(day: date, tz: tzinfo | None = None) -> datetime:
    """UTC instant of the local midnight that starts ``day`` (23 or 25 h days across DST)."""
    if tz is None:
        return _system_day_start(day)
    return _day_start(day, tz)


@lru_cache(maxsize=4096)
def _day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time()).replace(tzinfo=tz).astimezone(UTC)


def _system_day_start(day: date) -> datetime:
    # Not cached: the system's zone may change while the program runs (TZ in tests).
    naive = datetime.combine(day, time())
    return naive.astimezone().astimezone(UTC)


def split_by_day(
    start: datetime,
    end: datetime,
    tz: tzinfo | None = None,
    _midnights: dict[date, datetime] | None = None,
) -> list[tuple[date, float]]:
    """Seconds of [start, end) falling on each local day, in day order."""
    out: list[tuple[date, float]] = []
    if end <= start:
        return out
    midnights = {} if _midnights is None else _midnights
    current = start
    day = local_date(start, tz)
    while current < end:
        following = day + timedelta(days=1)
        boundary = midnights.get(following)
        if boundary is None:
            boundary = midnights[following] = day_start(following, tz)
        piece_end = min(end, boundary)
        if piece_end > current:
            out.append((day, (piece_end - current).total_seconds()))
            current = piece_end
        day = following
    return out


def clip(
    start: datetime, end: datetime, lo: datetime | None, hi: datetime | None
) -> tuple[datetime, datetime] | None:
    """[start, end) cut to [lo, hi); None when nothing is left."""
    if lo is not None and start < lo:
        start = lo
    if hi is not None and end > hi:
        end = hi
    return (start, end) if end > start else None


def seconds_by_day(
    intervals: Iterable[tuple[datetime, datetime | None]],
    now: datetime,
    tz: tzinfo | None = None,
    *,
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> dict[date, float]:
    """Practice seconds per local day of intervals (open ones up to now), clipped to [lo, hi)."""
    days: dict[date, float] = {}
    midnights: dict[date, datetime] = {}  # one zone lookup per day, not per interval
    for started, ended in intervals:
        piece = clip(started, ended or now, lo, hi)
        if piece is None:
            continue
        for day, secs in split_by_day(piece[0], piece[1], tz, midnights):
            days[day] = days.get(day, 0.0) + secs
    return days


def interval_seconds(
    started: datetime,
    ended: datetime | None,
    now: datetime,
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> float:
    """Length of one interval (open: up to now) inside [lo, hi)."""
    piece = clip(started, ended or now, lo, hi)
    return (piece[1] - piece[0]).total_seconds() if piece else 0.0


MICROSECOND = timedelta(microseconds=1)


def interval_micros(
    started: datetime,
    ended: datetime | None,
    now: datetime,
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> int:
    """``interval_seconds`` in whole microseconds: exact, so sums do not depend on order."""
    piece = clip(started, ended or now, lo, hi)
    return (piece[1] - piece[0]) // MICROSECOND if piece else 0


def micros_to_seconds(micros: int) -> float:
    """Seconds of a microsecond count, correctly rounded (as ``timedelta.total_seconds``)."""
    return micros / 1_000_000


# --- date ranges -----------------------------------------------------------------------------

# Preset ranges offered by the screen and accepted by name: label -> number of days (0: all).
PRESETS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": 0}


@dataclass(frozen=True)
class DateRange:
    """Local days ``first``..``last`` inclusive; ``first`` None means from the beginning."""

    first: date | None
    last: date
    label: str = "custom"

    def bounds(self, tz: tzinfo | None = None) -> tuple[datetime | None, datetime]:
        """UTC [start, end): local midnight of ``first`` to local midnight after ``last``."""
        start = day_start(self.first, tz) if self.first is not None else None
        return start, day_start(self.last + timedelta(days=1), tz)

    def describe(self) -> str:
        if self.first is None:
            return f"up to {self.last.isoformat()}"
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def preset_range(name: str, today: date) -> DateRange:
    """'7d' is today and the 6 days before; 'all' has no first day."""
    key = (name or "").strip().lower()
    if key not in PRESETS:
        raise Invalid(f"unknown range {name!r}; use one of: {', '.join(PRESETS)} or custom dates")
    days = PRESETS[key]
    first = None if days == 0 else today - timedelta(days=days - 1)
    return DateRange(first, today, key)


def custom_range(first: date, last: date) -> DateRange:
    if first > last:
        raise Invalid(f"the range starts ({first}) after it ends ({last}); swap the dates")
    return DateRange(first, last, "custom")


def days_between(first: date, last: date) -> list[date]:
    """Every day from first to last inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- streaks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int
    longest_last_day: date | None = None


def current_streak(days_newest_first: Iterable[date], today: date) -> int:
    """Consecutive practice days ending today, or yesterday when today has none yet.

    Reads the days newest first and stops at the first gap, so a caller may stream them.
    """
    count = 0
    expected: date | None = None
    for day in days_newest_first:
        if day > today:
            continue  # a future-dated session does not make today a practice day
        if expected is None:
            if day < today - timedelta(days=1):
                return 0
            expected = day
        if day == expected:
            count += 1
            expected = day - timedelta(days=1)
        elif day < expected:
            break
    return count


def longest_streak(days: Iterable[date]) -> tuple[int, date | None]:
    """The longest run of consecutive days and its last day (the latest among equals)."""
    best, best_end, run, previous = 0, None, 0, None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        if run >= best:
            best, best_end = run, day
        previous = day
    return best, best_end


def streaks(days: Iterable[date], today: date) -> Streaks:
    unique = sorted(set(days), reverse=True)
    longest, end = longest_streak(unique)
    return Streaks(current_streak(unique, today), longest, end)


# --- roll-ups up the goal tree ---------------------------------------------------------------


@dataclass(frozen=True)
class RolledUp:
    seconds: float
    sessions: int
    own_seconds: float
    own_sessions: int


_NOTHING = RolledUp(seconds=0, sessions=0, own_seconds=0, own_sessions=0)


def rollup(
    parents: Mapping[str, str | None],
    links: Iterable[tuple[str, str]],
    session_seconds: Mapping[str, float],
    root_id: str,
    *,
    counting: AbstractSet[str] | None = None,
) -> dict[str, RolledUp]:
    """Time and session counts per goal, rolled up the tree without counting a session twice.

    parents: goal id -> parent id (None for the root); links: (session id, goal id) pairs;
    session_seconds: every session to count -> its time. A session linked to no goal of
    ``parents`` counts toward ``root_id``. counting: when given, the session counts take
    only these sessions (some of session_seconds), as a second roll-up of them would.
    Cost: O(links x depth).
    """
    own: dict[str, set[str]] = {g: set() for g in parents}
    subtree: dict[str, set[str]] = {g: set() for g in parents}
    linked: set[str] = set()
    for session_id, goal_id in links:
        if session_id not in session_seconds or goal_id not in parents:
            continue
        linked.add(session_id)
        own[goal_id].add(session_id)
    if root_id in parents:
        own[root_id].update(s for s in session_seconds if s not in linked)
    for goal_id, sessions in own.items():
        if not sessions:
            continue  # most goals of a big tree have no session in a range: nothing to carry
        node: str | None = goal_id
        seen: set[str] = set()
        while node is not None and node in parents and node not in seen:
            seen.add(node)  # a cycle in bad data must not loop forever
            subtree[node].update(sessions)
            node = parents[node]
    return {
        g: (
            RolledUp(
                # fsum: the same figure whatever order the set gives the sessions in.
                seconds=math.fsum(session_seconds[s] for s in subtree[g]),
                sessions=len(subtree[g] if counting is None else subtree[g] & counting),
                own_seconds=math.fsum(session_seconds[s] for s in own[g]) if own[g] else 0,
                own_sessions=len(own[g] if counting is None else own[g] & counting),
            )
            if subtree[g]
            else _NOTHING  # a goal without sessions: 0 as an int, as sum() of nothing gave
        )
        for g in parents
    }


# --- progress series -------------------------------------------------------------------------


def personal_bests(
    values: Sequence[float], higher_is_better: bool = True, prior_best: float | None = None
) -> list[bool]:
    """Which points beat every earlier one (and ``prior_best``, the best before the range)."""
    out = []
    best = prior_best
    for v in values:
        better = best is None or (v > best if higher_is_better else v < best)
        out.append(better)
        if better:
            best = v
    return out


def best_value_point(
    sets: Sequence[SetLike],
    values: Iterable[ValueLike],
    metric_id: str,
    higher_is_better: bool,
    *,
    has_sets: bool,
) -> tuple[float, int] | None:
    """A session's point in "best" mode when its best set is ranked by the charted metric
    itself (it is the best-set metric, or the first one and there is no yield): the best
    single side of that metric over the counted sets, and the number of counted sets.

    The same figures as ``fractal_tui.progress.best_set`` gives then, without building
    them: ``sets`` are the sets that hold values (so a set counts unless skipped), and of
    equal cells (an activity without sets done twice in a session) the last one holds.
    """
    if has_sets:
        counted: set[str | None] = {st.id for st in sets if st.status != SKIPPED}
    else:
        counted = {None}
    cells: dict[tuple[str | None, str | None], float] = {}
    for v in values:
        if v.metric_id == metric_id and v.set_id in counted:
            cells[(v.set_id, v.split_id)] = v.value
    if not cells:
        return None
    best = max(cells.values()) if higher_is_better else min(cells.values())
    return best, len(counted)


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


# --- read models -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """The overview panel: counts and times of the sessions in a range."""

    root_id: str
    start: datetime | None
    end: datetime
    sessions: int
    completed: int
    unfinished: int
    practice_seconds: float  # timer time in the range
    session_seconds: float  # sum of the durations of the sessions started in the range
    average_session_seconds: float
    practice_days: int
    current_streak: int  # as of today, whatever the range
    longest_streak: int  # within the range
    running: bool = False


@dataclass(frozen=True)
class DayTotal:
    day: date
    seconds: float
    sessions: int  # sessions started that day
    running: bool = False


@dataclass(frozen=True)
class ActivityTotal:
    id: str
    name: str
    seconds: float
    sessions: int
    instances: int
    running: bool = False


@dataclass(frozen=True)
class GoalTotal:
    id: str
    name: str
    parent_id: str | None
    level: int
    depth: int
    seconds: float  # rolled up: its sessions and its descendants', each once
    sessions: int
    own_seconds: float
    own_sessions: int
    running: bool = False
    completed: bool = False


@dataclass(frozen=True)
class Report:
    """`fractal report`: rows by day, activity or goal, and the totals of the range."""

    root_id: str
    name: str
    by: str
    start: datetime | None
    end: datetime
    rows: tuple[DayTotal | ActivityTotal | GoalTotal, ...]
    total_seconds: float
    sessions: int
    running: bool
    running_activity: str | None = None

    @property
    def empty(self) -> bool:
        return self.sessions == 0 and self.total_seconds == 0


@dataclass(frozen=True)
class ProgressPoint:
    session_id: str
    session_name: str
    started_at: datetime
    day: date
    value: float
    sets: int  # counted sets behind the value
    personal_best: bool = False


@dataclass(frozen=True)
class ProgressSeries:
    """One metric (or the product) of an activity, one point per session."""

    root_id: str
    activity_id: str
    activity_name: str
    metric_id: str | None  # None: the product of the multiplicative metrics
    metric_name: str
    unit: str
    higher_is_better: bool
    mode: str  # "best" (best set per session) or "average" (average of sets)
    split_id: str | None  # None: all splits
    split_name: str | None
    start: datetime | None
    end: datetime
    points: tuple[ProgressPoint, ...]
    best: float | None
    delta: MetricDelta | None = None  # the latest point against the one before

    @property
    def latest(self) -> ProgressPoint | None:
        return self.points[-1] if self.points else None


@dataclass(frozen=True)
class MetricChoice:
    id: str
    name: str
    unit: str


@dataclass(frozen=True)
class ActivityChoice:
    """An activity with history, its metrics and splits: what the progress panel offers."""

    id: str
    name: str
    metrics: tuple[MetricChoice, ...]
    splits: tuple[MetricChoice, ...]
    product: bool  # the product of its multiplicative metrics can be charted
    has_sets: bool


@dataclass(frozen=True)
class Dashboard:
    """Everything the analytics screen shows for one range, read in one transaction."""

    range: DateRange
    overview: Overview
    days: tuple[DayTotal, ...]
    activities: tuple[ActivityTotal, ...]
    goals: tuple[GoalTotal, ...]
    choices: tuple[ActivityChoice, ...]
    progress: ProgressSeries | None
    now: datetime
