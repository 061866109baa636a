"""What a goal's targets ask for, and whether practice meets them. Pure, no I/O.

A target names an activity and conditions on its metrics, each ``op value`` with op one of
``>=``, ``<=``, ``>``, ``<``, ``==`` (``==`` within ``EQ_TOLERANCE``). Kinds:

- **threshold**: one practice (a completed activity instance) meets every condition within
  one *group* of its values: one set, or the instance's own (set-less) values. With splits
  each side is its own group (values recorded without a split belong to every side).
- **sum**: each condition's metric, summed over every counted value of every practice in the
  date range, meets the condition.
- **frequency**: at least ``count`` distinct sessions hold a practice in the date range (that
  meets the conditions, when the target has any).

A missing value never meets a condition. Practices are taken in the order they were
completed; a target is met by the first practice at which it holds (``Evaluation.instance_id``
and ``session_id``). ``since`` ignores practice completed at or before that moment (a target
that was reset when its goal was reopened counts only what comes after).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fractal_tui.errors import Invalid

OPS = (">=", "<=", ">", "<", "==")
KINDS = ("threshold", "sum", "frequency")
EQ_TOLERANCE = 0.001
# Float sums (0.1 + 0.2) must not miss a bound by a rounding error.
_EPS = 1e-9
_SKIPPED = "skipped"

# Longest operators first so ">=" is not read as ">" followed by "=100".
_PARSE_OPS = (">=", "<=", "==", "=>", "=<", "≥", "≤", ">", "<", "=")
_ALIASES = {"=>": ">=", "=<": "<=", "≥": ">=", "≤": "<=", "=": "=="}

# Sessions a frequency target may ask for: far beyond practice, well inside INTEGER.
MAX_COUNT = 1_000_000


# --- conditions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    metric_id: str
    op: str
    value: float


def normalise_op(op: str) -> str:
    """A known operator (aliases such as ``=`` and ``=>`` accepted), or Invalid."""
    text = (op or "").strip()
    text = _ALIASES.get(text, text)
    if text not in OPS:
        raise Invalid(f"unknown operator {op!r}; use one of {', '.join(OPS)}")
    return text


def check_number(value: float, what: str = "a target value") -> float:
    """A finite number, or Invalid (NaN and infinity are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise Invalid(f"{what} must be a finite number, not {value!r}")
    return float(value)


def check_bound(op: str, expected: float) -> float:
    """What ``check`` compares with: ``actual op bound``, or for ``==`` the largest
    ``abs(actual - expected)``. The store compares in SQL against the very same number."""
    if op in (">=", "<"):
        return expected - _EPS
    if op in ("<=", ">"):
        return expected + _EPS
    if op == "==":
        return EQ_TOLERANCE + _EPS
    raise Invalid(f"unknown operator {op!r}; use one of {', '.join(OPS)}")


def check(actual: float | None, op: str, expected: float) -> bool:
    """Whether ``actual op expected`` holds; a missing value never does."""
    if actual is None or not math.isfinite(actual):
        return False
    bound = check_bound(op, expected)
    if op == ">=":
        return actual >= bound
    if op == "<=":
        return actual <= bound
    if op == ">":
        return actual > bound
    if op == "<":
        return actual < bound
    return abs(actual - expected) <= bound


def parse_condition(text: str) -> tuple[str, str, float]:
    """``weight>=100`` -> ("weight", ">=", 100.0); spaces around the parts are allowed."""
    raw = (text or "").strip()
    index = next((i for i, ch in enumerate(raw) if ch in "<>=≥≤"), -1)
    name = raw[:index].strip() if index > 0 else ""
    if not name:
        raise Invalid(
            f"cannot read {text!r} as a condition; write METRIC OP VALUE with OP one of "
            f"{', '.join(OPS)} (e.g. weight>=100, reps==10)"
        )
    op = next(o for o in _PARSE_OPS if raw.startswith(o, index))
    number_text = raw[index + len(op) :].strip()
    try:
        value = float(number_text)
    except ValueError:
        raise Invalid(
            f"cannot read {text!r}: {number_text!r} is not a number (e.g. weight>=100)"
        ) from None
    return name, normalise_op(op), check_number(value, f"the value in {text!r}")


def validate(
    kind: str,
    conditions: Sequence[Condition],
    count: int | None,
    starts_on: date | None,
    ends_on: date | None,
) -> None:
    """The shape rules of a target; raises Invalid with a message a person can act on."""
    if kind not in KINDS:
        raise Invalid(f"unknown target kind {kind!r}; use one of {', '.join(KINDS)}")
    for c in conditions:
        normalise_op(c.op)
        check_number(c.value)
    if kind == "frequency":
        if count is None:
            raise Invalid("a frequency target needs a count of sessions (e.g. --count 3)")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise Invalid(f"the count of a frequency target must be 1 or more, not {count!r}")
        if count > MAX_COUNT:  # the schema's INTEGER column holds no more
            raise Invalid(f"the count of a frequency target can be at most {MAX_COUNT:,}")
    else:
        if count is not None:
            raise Invalid(f"a count only applies to frequency targets, not to {kind} ones")
        if not conditions:
            raise Invalid(
                f"a {kind} target needs at least one condition on a metric (e.g. weight>=100)"
            )
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise Invalid(f"the target's range ends ({ends_on}) before it starts ({starts_on})")


# --- practice ------------------------------------------------------------------------------


Group = Mapping[str, float]  # metric id -> value


@dataclass(frozen=True)
class Practice:
    """One counted activity instance, reduced to what targets look at."""

    instance_id: str
    session_id: str
    when: datetime  # when it was completed (its own completion, else its session's)
    day: date  # the calendar day it counts for (its session's local start date)
    groups: tuple[Group, ...]  # one per set (and side), plus the instance's own values
    totals: Mapping[str, float]  # metric id -> sum of every counted value


def practice_from_values(
    instance_id: str,
    session_id: str,
    when: datetime,
    day: date,
    values: Iterable[tuple[str | None, str | None, str, float]],
    skipped_sets: Iterable[str] = (),
) -> Practice:
    """Build a Practice from raw (set_id, split_id, metric_id, value) rows.

    Values of skipped sets do not count. Within a set (or the instance's own values), each
    side of a split is a group; values without a split join every side of that set.
    """
    skipped = set(skipped_sets)
    cells: dict[str | None, dict[str | None, dict[str, float]]] = {}
    totals: dict[str, float] = {}
    for set_id, split_id, metric_id, value in values:
        if set_id is not None and set_id in skipped:
            continue
        cells.setdefault(set_id, {}).setdefault(split_id, {})[metric_id] = value
        totals[metric_id] = totals.get(metric_id, 0.0) + value
    groups: list[Group] = []
    for sides in cells.values():
        shared = sides.get(None, {})
        split_sides = [k for k in sides if k is not None]
        if not split_sides:
            groups.append(dict(shared))
        for side in split_sides:
            groups.append({**shared, **sides[side]})
    return Practice(instance_id, session_id, when, day, tuple(groups), totals)


def meets(group: Group, conditions: Sequence[Condition]) -> bool:
    """Every condition holds within one group (an empty list holds trivially)."""
    return all(check(group.get(c.metric_id), c.op, c.value) for c in conditions)


def practice_meets(practice: Practice, conditions: Sequence[Condition]) -> bool:
    if not conditions:
        return True
    return any(meets(g, conditions) for g in practice.groups)


def in_range(
    practice: Practice,
    starts_on: date | None,
    ends_on: date | None,
    since: datetime | None = None,
) -> bool:
    if starts_on is not None and practice.day < starts_on:
        return False
    if ends_on is not None and practice.day > ends_on:
        return False
    return since is None or practice.when > since


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionProgress:
    condition: Condition
    current: float | None  # best value (threshold) or total (sum); None when nothing counts
    met: bool


@dataclass(frozen=True)
class Evaluation:
    met: bool
    instance_id: str | None  # the practice that met the target
    session_id: str | None
    when: datetime | None
    conditions: tuple[ConditionProgress, ...]
    sessions: int  # distinct sessions counted (frequency) or holding counted practice
    count: int | None
    fraction: float  # 0..1, for a progress bar


def best(values: Iterable[float], op: str, goal: float) -> float | None:
    """The value closest to meeting ``op goal``: the largest for >=/>, the smallest for <=/<."""
    seen = list(values)
    if not seen:
        return None
    if op in (">=", ">"):
        return max(seen)
    if op in ("<=", "<"):
        return min(seen)
    return min(seen, key=lambda v: abs(v - goal))


def _ratio(current: float | None, op: str, goal: float) -> float:
    if current is None:
        return 0.0
    if check(current, op, goal):
        return 1.0
    if op in (">=", ">"):
        return max(0.0, min(1.0, current / goal)) if goal > 0 else 0.0
    if op in ("<=", "<"):
        return max(0.0, min(1.0, goal / current)) if current > 0 and goal > 0 else 0.0
    if current == 0 or goal == 0:
        return 0.0
    return max(0.0, min(1.0, min(current / goal, goal / current)))


def evaluate(
    kind: str,
    conditions: Sequence[Condition],
    practices: Iterable[Practice],
    *,
    count: int | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    since: datetime | None = None,
) -> Evaluation:
    """Whether the practices meet a target, which practice met it first, and progress."""
    counted = sorted(
        (p for p in practices if in_range(p, starts_on, ends_on, since)),
        key=lambda p: (p.when, p.instance_id),
    )
    if kind == "threshold":
        return _threshold(conditions, counted)
    if kind == "sum":
        return _sum(conditions, counted)
    if kind == "frequency":
        return _frequency(conditions, counted, count or 1)
    raise Invalid(f"unknown target kind {kind!r}; use one of {', '.join(KINDS)}")


def _fraction(progress: Iterable[ConditionProgress]) -> float:
    """The weakest condition decides how far along a target is."""
    return min(
        (_ratio(cp.current, cp.condition.op, cp.condition.value) for cp in progress),
        default=0.0,
    )


def _sessions(practices: Iterable[Practice]) -> int:
    return len({p.session_id for p in practices})


def _threshold(conditions: Sequence[Condition], counted: Sequence[Practice]) -> Evaluation:
    first = next((p for p in counted if practice_meets(p, conditions)), None)
    progress = []
    for c in conditions:
        values = [g[c.metric_id] for p in counted for g in p.groups if c.metric_id in g]
        current = best(values, c.op, c.value)
        progress.append(ConditionProgress(c, current, check(current, c.op, c.value)))
    fraction = 1.0 if first else _fraction(progress)
    return Evaluation(
        met=first is not None,
        instance_id=first.instance_id if first else None,
        session_id=first.session_id if first else None,
        when=first.when if first else None,
        conditions=tuple(progress),
        sessions=_sessions(counted),
        count=None,
        fraction=fraction,
    )


def _sum(conditions: Sequence[Condition], counted: Sequence[Practice]) -> Evaluation:
    running: dict[str, float] = {}
    first: Practice | None = None
    for p in counted:
        for metric_id, value in p.totals.items():
            running[metric_id] = running.get(metric_id, 0.0) + value
        if first is None and all(
            check(running.get(c.metric_id), c.op, c.value) for c in conditions
        ):
            first = p
    progress = tuple(
        ConditionProgress(
            c, running.get(c.metric_id), check(running.get(c.metric_id), c.op, c.value)
        )
        for c in conditions
    )
    met = first is not None and all(cp.met for cp in progress)
    fraction = 1.0 if met else _fraction(progress)
    return Evaluation(
        met=met,
        instance_id=first.instance_id if met and first else None,
        session_id=first.session_id if met and first else None,
        when=first.when if met and first else None,
        conditions=progress,
        sessions=_sessions(counted),
        count=None,
        fraction=fraction,
    )


def _frequency(
    conditions: Sequence[Condition], counted: Sequence[Practice], count: int
) -> Evaluation:
    seen: list[str] = []
    first: Practice | None = None
    for p in counted:
        if not practice_meets(p, conditions) or p.session_id in seen:
            continue
        seen.append(p.session_id)
        if first is None and len(seen) >= count:
            first = p
    progress = []
    for c in conditions:
        values = [g[c.metric_id] for p in counted for g in p.groups if c.metric_id in g]
        current = best(values, c.op, c.value)
        progress.append(ConditionProgress(c, current, check(current, c.op, c.value)))
    return Evaluation(
        met=first is not None,
        instance_id=first.instance_id if first else None,
        session_id=first.session_id if first else None,
        when=first.when if first else None,
        conditions=tuple(progress),
        sessions=len(seen),
        count=count,
        fraction=min(1.0, len(seen) / count),
    )


# --- evaluation from figures (what the store computes in SQL) -------------------------------
#
# ``evaluate`` over every practice is the reference. The store does not load all practice: it
# asks SQL for the figures of the target's window (best values, totals, distinct sessions) and
# builds Practices only for candidates that may meet. The functions below turn those figures
# into the Evaluation ``evaluate`` would give.


@dataclass(frozen=True)
class Hit:
    """The practice at which a target holds."""

    instance_id: str
    session_id: str
    when: datetime


def hit_of(practice: Practice | None) -> Hit | None:
    if practice is None:
        return None
    return Hit(practice.instance_id, practice.session_id, practice.when)


def local_day(moment: datetime) -> date:
    """The calendar day a session counts for: its start in local time (``Practice.day``)."""
    return moment.astimezone().date()


_DAY = timedelta(days=1)
_SPAN = timedelta(days=2)  # wider than any UTC offset
_MICROSECOND = timedelta(microseconds=1)  # the resolution of stored times


def local_day_start(day: date) -> datetime | None:
    """The first instant (UTC, to the microsecond) whose ``local_day`` is ``day`` or later.

    Found by bisection on ``local_day`` itself, so DST gaps and odd offsets need no rule of
    their own. None when the day is at the edge of the calendar (nothing can be earlier).
    """
    try:
        noon = datetime.combine(day, time(12), tzinfo=UTC)
        lo, hi = noon - _SPAN, noon + _SPAN  # local_day(lo) < day <= local_day(hi)
        if local_day(lo) >= day or local_day(hi) < day:
            return None
    except (OverflowError, ValueError):
        return None
    while hi - lo > _MICROSECOND:
        mid = lo + (hi - lo) // 2
        if local_day(mid) >= day:
            hi = mid
        else:
            lo = mid
    return hi


def day_bounds(
    starts_on: date | None, ends_on: date | None
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds ``lo <= started_at < hi`` that hold exactly when
    ``starts_on <= local_day(started_at) <= ends_on`` (None: no bound on that side)."""
    lo = local_day_start(starts_on) if starts_on is not None else None
    hi = None
    if ends_on is not None:
        try:
            hi = local_day_start(ends_on + _DAY)
        except OverflowError:
            hi = None
    return lo, hi


def compose(
    kind: str,
    conditions: Sequence[Condition],
    currents: Sequence[float | None],
    *,
    sessions: int,
    first: Hit | None,
    count: int | None = None,
) -> Evaluation:
    """An Evaluation from a window's figures.

    ``currents``: per condition, the best counted value (threshold, frequency) or the total
    (sum); ``sessions``: distinct sessions with counted practice (threshold, sum) or with
    practice that meets the conditions (frequency); ``first``: the practice at which the target
    first holds (for a sum: the running totals first hold), None when none does.
    """
    progress = tuple(
        ConditionProgress(c, current, check(current, c.op, c.value))
        for c, current in zip(conditions, currents, strict=True)
    )
    if kind == "frequency":
        count = count or 1
        met = first is not None
        fraction = min(1.0, sessions / count)
    elif kind in ("threshold", "sum"):
        count = None
        # A sum that held once but fell back (negative values) is not met.
        met = first is not None and (kind == "threshold" or all(cp.met for cp in progress))
        fraction = 1.0 if met else _fraction(progress)
    else:
        raise Invalid(f"unknown target kind {kind!r}; use one of {', '.join(KINDS)}")
    return Evaluation(
        met=met,
        instance_id=first.instance_id if met and first else None,
        session_id=first.session_id if met and first else None,
        when=first.when if met and first else None,
        conditions=progress,
        sessions=sessions,
        count=count,
        fraction=fraction,
    )


def first_meeting(conditions: Sequence[Condition], practices: Iterable[Practice]) -> Hit | None:
    """The first practice (in the order given) that meets every condition in one group; stops
    reading ``practices`` there, so a lazy source loads no more."""
    return hit_of(next((p for p in practices if practice_meets(p, conditions)), None))


def frequency_first(
    conditions: Sequence[Condition],
    practices: Iterable[Practice],
    count: int,
    seen: set[str] | None = None,
    *,
    stop: bool = False,
) -> tuple[Hit | None, int]:
    """(the practice at which ``count`` distinct sessions met the conditions, how many did).

    ``seen`` is filled with the sessions counted so far, so a lazy source can leave out
    practice of sessions already counted (they would be skipped here anyway). With ``stop``
    the count ends at the practice found (for callers that need only that).
    """
    seen = set() if seen is None else seen
    first: Practice | None = None
    for p in practices:
        if p.session_id in seen or not practice_meets(p, conditions):
            continue
        seen.add(p.session_id)
        if first is None and len(seen) >= count:
            first = p
            if stop:
                break
    return hit_of(first), len(seen)


def running_totals(
    conditions: Sequence[Condition], totals: Iterable[tuple[Hit, Mapping[str, float]]]
) -> tuple[Hit | None, list[float | None]]:
    """A sum target over per-practice totals in order: (the practice at which every running
    total first holds, each condition's final total or None when nothing counted)."""
    running: dict[str, float] = {}
    first: Hit | None = None
    for hit, figures in totals:
        for metric_id, value in figures.items():
            running[metric_id] = running.get(metric_id, 0.0) + value
        if first is None and all(
            check(running.get(c.metric_id), c.op, c.value) for c in conditions
        ):
            first = hit
    return first, [running.get(c.metric_id) for c in conditions]


# --- text ----------------------------------------------------------------------------------


def number(value: float) -> str:
    """100, 2.5, 0.333: no trailing zeros."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def with_unit(value: float, unit: str) -> str:
    return f"{number(value)} {unit}".strip()


def describe_condition(name: str, op: str, value: float, unit: str = "") -> str:
    """'weight >= 100 kg'."""
    return f"{name} {op} {with_unit(value, unit)}"


def default_name(
    activity: str,
    kind: str,
    conditions: Sequence[tuple[str, str, float, str]],
    count: int | None,
) -> str:
    """A readable name: 'Squat: weight >= 100 kg', 'Scales: 3 sessions'."""
    parts = [describe_condition(*c) for c in conditions]
    if kind == "sum":
        text = "sum " + ", ".join(parts)
    elif kind == "frequency":
        text = f"{count} session{'s' if count != 1 else ''}"
        if parts:
            text += " with " + ", ".join(parts)
    else:
        text = ", ".join(parts)
    return f"{activity}: {text}" if text else activity


def summary(
    kind: str,
    evaluation: Evaluation,
    metric_labels: Mapping[str, tuple[str, str]],
) -> str:
    """One line of progress: 'sum 105/100 kg', '2/3 sessions', 'best 95/100 kg'.

    ``metric_labels`` maps a metric id to (name, unit); names are shown when a target has
    more than one condition.
    """
    if kind == "frequency":
        text = f"{evaluation.sessions}/{evaluation.count} sessions"
        if not evaluation.conditions:
            return text
        return text + " with " + _conditions_text(evaluation, metric_labels, named=True)
    named = len(evaluation.conditions) > 1
    prefix = "sum" if kind == "sum" else "best"
    return f"{prefix} " + _conditions_text(evaluation, metric_labels, named=named)


def _conditions_text(
    evaluation: Evaluation, metric_labels: Mapping[str, tuple[str, str]], *, named: bool
) -> str:
    parts = []
    for cp in evaluation.conditions:
        name, unit = metric_labels.get(cp.condition.metric_id, ("?", ""))
        current = "-" if cp.current is None else number(cp.current)
        op, goal = cp.condition.op, with_unit(cp.condition.value, unit)
        text = f"{current}/{goal}" if op in (">=", "<=") else f"{current} (needs {op} {goal})"
        parts.append(f"{name} {text}" if named else text)
    return ", ".join(parts)
