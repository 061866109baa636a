"""Read models: frozen dataclasses the store returns. Screens and commands never see ORM rows.

``from_row`` copies the matching fields of a row; ``jsonable`` turns a view into plain JSON
values (ISO 8601 times with offset) for ``--json`` output.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

V = TypeVar("V")

LEVEL_LABELS = ("ultimate", "long-term", "mid-term", "short-term", "immediate", "micro", "nano")


def from_row(cls: type[V], row: Any, **extra: Any) -> V:
    """Build a view from a row: each field from ``extra`` if given, else the row's attribute."""
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in extra:
            values[f.name] = extra[f.name]
        elif hasattr(row, f.name):
            values[f.name] = getattr(row, f.name)
    return cls(**values)


def jsonable(value: Any) -> Any:
    """Views, lists and dicts of them as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in getattr(type(value), "__json_extra__", ()):
            out[name] = jsonable(getattr(value, name))
        return out
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


# --- deletes and the trash -----------------------------------------------------------------


@dataclass(frozen=True)
class DeleteSummary:
    """What one delete took with it; ``batch`` restores exactly that."""

    batch: str
    deleted_at: datetime
    kind: str
    id: str
    name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        from fractal_tui.store.base import describe_counts

        return describe_counts(self.counts)


@dataclass(frozen=True)
class TrashBatch:
    """One delete batch in the trash: when, the row deleted first, and how many went with it."""

    batch: str
    deleted_at: datetime
    root_id: str
    kind: str
    id: str
    name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- goals and fractals --------------------------------------------------------------------


@dataclass(frozen=True)
class GoalView:
    id: str
    root_id: str
    parent_id: str | None
    level: int
    name: str
    description: str
    deadline: date | None
    completed_at: datetime | None
    completed_by: str | None
    complete_with_children: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime

    __json_extra__ = ("level_name",)

    @property
    def level_name(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def done(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True)
class FractalView:
    """A fractal (root goal) with the numbers the fractals list shows."""

    id: str
    root_id: str
    name: str
    description: str
    level: int
    created_at: datetime
    updated_at: datetime
    goal_count: int = 0
    completed_count: int = 0
    active_session_id: str | None = None
    active_session_name: str | None = None
    last_activity: datetime | None = None

    __json_extra__ = ("completion_pct",)

    @property
    def completion_pct(self) -> float:
        return 0.0 if not self.goal_count else 100.0 * self.completed_count / self.goal_count


@dataclass(frozen=True)
class GoalDetail:
    """Everything the goal detail panel shows."""

    goal: GoalView
    children_count: int
    session_count: int
    notes: tuple["NoteView", ...] = ()
    targets: tuple["TargetView", ...] = ()


# --- activities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    id: str
    root_id: str
    name: str
    description: str
    sort_order: int
    created_at: datetime
    updated_at: datetime
    activity_count: int = 0


@dataclass(frozen=True)
class MetricView:
    id: str
    activity_id: str
    name: str
    unit: str
    is_best_set: bool
    is_multiplicative: bool
    higher_is_better: bool
    sort_order: int


@dataclass(frozen=True)
class SplitView:
    id: str
    activity_id: str
    name: str
    sort_order: int


@dataclass(frozen=True)
class ActivityView:
    id: str
    root_id: str
    group_id: str | None
    name: str
    description: str
    has_sets: bool
    has_splits: bool
    metrics_multiplicative: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime
    metrics: tuple[MetricView, ...] = ()
    splits: tuple[SplitView, ...] = ()
    group_name: str | None = None
    times_done: int = 0
    last_done: datetime | None = None


# --- sessions and practice -----------------------------------------------------------------


@dataclass(frozen=True)
class IntervalView:
    id: str
    instance_id: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class SetView:
    id: str
    instance_id: str
    sort_order: int
    status: str
    notes: str


@dataclass(frozen=True)
class ValueView:
    id: str
    instance_id: str
    set_id: str | None
    metric_id: str
    split_id: str | None
    value: float


@dataclass(frozen=True)
class InstanceView:
    id: str
    root_id: str
    session_id: str
    activity_id: str
    section: str
    sort_order: int
    completed_at: datetime | None
    notes: str
    target_duration_seconds: float | None
    created_at: datetime
    updated_at: datetime
    activity_name: str = ""
    intervals: tuple[IntervalView, ...] = ()
    sets: tuple[SetView, ...] = ()
    values: tuple[ValueView, ...] = ()

    @property
    def running(self) -> bool:
        return any(i.ended_at is None for i in self.intervals)

    @property
    def started(self) -> bool:
        return bool(self.intervals)


@dataclass(frozen=True)
class SessionView:
    id: str
    root_id: str
    name: str
    template_id: str | None
    started_at: datetime
    ended_at: datetime | None
    paused_at: datetime | None
    paused_seconds: float
    paused_instance_id: str | None
    duration_seconds: float | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    goal_ids: tuple[str, ...] = ()
    instance_count: int = 0
    goal_names: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.completed_at is not None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


# --- targets, templates, notes, events -------------------------------------------------------


@dataclass(frozen=True)
class ConditionView:
    id: str
    target_id: str
    metric_id: str
    op: str
    value: float
    metric_name: str = ""
    unit: str = ""


@dataclass(frozen=True)
class TargetView:
    id: str
    root_id: str
    goal_id: str
    activity_id: str
    name: str
    kind: str
    count: int | None
    starts_on: date | None
    ends_on: date | None
    met_at: datetime | None
    met_session_id: str | None
    sort_order: int
    created_at: datetime
    updated_at: datetime
    conditions: tuple[ConditionView, ...] = ()
    activity_name: str = ""


@dataclass(frozen=True)
class TemplateItemView:
    id: str
    template_id: str
    section: str
    activity_id: str | None
    planned_minutes: float
    sort_order: int
    activity_name: str = ""


@dataclass(frozen=True)
class TemplateView:
    id: str
    root_id: str
    name: str
    description: str
    sort_order: int
    created_at: datetime
    updated_at: datetime
    items: tuple[TemplateItemView, ...] = ()
    sections: tuple["TemplateSectionView", ...] = ()  # the items grouped by section
    planned_minutes: float = 0.0  # sum over every item


@dataclass(frozen=True)
class NoteView:
    id: str
    root_id: str
    goal_id: str | None
    session_id: str | None
    instance_id: str | None
    text: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EventView:
    id: str
    root_id: str
    created_at: datetime
    kind: str
    entity_type: str
    entity_id: str | None
    message: str
    batch: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a long list; lists load pages, never every row."""

    items: tuple[Any, ...]
    total: int
    offset: int
    limit: int
    extra: dict[str, Any] = field(default_factory=dict)


# --- activity definitions as input (add_activity / update_activity) ---------------------------


@dataclass(frozen=True)
class MetricSpec:
    """One metric of an activity as the caller wants it; ``id`` names an existing one to keep."""

    name: str
    unit: str
    is_best_set: bool = False
    is_multiplicative: bool = True
    higher_is_better: bool = True
    id: str | None = None


@dataclass(frozen=True)
class SplitSpec:
    """One split (e.g. "Left") of an activity; ``id`` names an existing one to keep."""

    name: str
    id: str | None = None


# --- the practice loop: session detail, summary, status, log ----------------------------------


@dataclass(frozen=True)
class SessionDetail:
    """Everything the session screen shows: instances with their ledger, sets and values."""

    session: SessionView
    instances: tuple[InstanceView, ...]
    activities: tuple[ActivityView, ...]  # definitions (metrics, splits) of its instances
    goals: tuple[GoalView, ...] = ()
    notes: tuple[NoteView, ...] = ()

    def activity(self, activity_id: str) -> ActivityView | None:
        return next((a for a in self.activities if a.id == activity_id), None)

    def instance(self, instance_id: str | None) -> InstanceView | None:
        return next((i for i in self.instances if i.id == instance_id), None)

    @property
    def running(self) -> InstanceView | None:
        return next((i for i in self.instances if i.running), None)

    @property
    def intervals(self) -> tuple[IntervalView, ...]:
        return tuple(iv for i in self.instances for iv in i.intervals)


@dataclass(frozen=True)
class InstanceSummary:
    """One activity of an ended session: its time, sets and best of the day."""

    instance_id: str
    activity_id: str
    activity_name: str
    seconds: float
    completed: bool
    set_count: int
    best: str = ""  # e.g. "100 kg × 5 reps"
    volume: float | None = None


@dataclass(frozen=True)
class SessionSummary:
    """What ending a session shows: duration, activities done, sets, bests, goals."""

    session: SessionView
    duration_seconds: float
    instances: tuple[InstanceSummary, ...]
    set_count: int
    goal_names: tuple[str, ...] = ()

    __json_extra__ = ("activities_done",)

    @property
    def activities_done(self) -> int:
        return sum(1 for i in self.instances if i.completed)


@dataclass(frozen=True)
class Status:
    """The active session and its running timer, for `fractal status` and headers."""

    at: datetime
    session: SessionView | None = None
    instance_id: str | None = None
    activity_name: str | None = None
    running_since: datetime | None = None
    elapsed_seconds: float = 0.0  # the running (or paused) instance's total time
    session_elapsed_seconds: float = 0.0

    @property
    def running(self) -> bool:
        return self.running_since is not None


@dataclass(frozen=True)
class LogResult:
    """What `fractal log` recorded: the instance, the set (1-based number) and the values."""

    instance: InstanceView
    values: tuple[ValueView, ...]
    set: SetView | None = None
    set_number: int | None = None
    added_instance: bool = False


# --- targets, templates and "vs last time" (inputs and read models) ------------------------


@dataclass(frozen=True)
class ConditionSpec:
    """A condition to add to a target: a metric (id, or name within the activity), op, value."""

    metric_id: str
    op: str
    value: float


@dataclass(frozen=True)
class ConditionProgressView:
    metric_id: str
    metric_name: str
    unit: str
    op: str
    value: float
    current: float | None  # best so far (threshold, frequency) or total (sum)
    met: bool


@dataclass(frozen=True)
class TargetProgress:
    """How far a target is: 'sum 105/100 kg', '2/3 sessions', 'best 95/100 kg'."""

    target: TargetView
    met: bool
    summary: str
    fraction: float  # 0..1
    conditions: tuple[ConditionProgressView, ...] = ()
    sessions: int = 0  # distinct sessions counted
    met_session_id: str | None = None
    met_at: datetime | None = None


@dataclass(frozen=True)
class TemplateItemSpec:
    """One activity of a template section (activity_id None: planned time without one)."""

    activity_id: str | None
    planned_minutes: float = 0.0


@dataclass(frozen=True)
class TemplateSection:
    """A section to write into a template: a name and its activities in order."""

    name: str
    items: tuple[TemplateItemSpec, ...] = ()


@dataclass(frozen=True)
class TemplateSectionView:
    name: str
    planned_minutes: float  # the sum of its items
    items: tuple[TemplateItemView, ...] = ()


@dataclass(frozen=True)
class SectionProgress:
    """Planned against actual minutes of one section of a session."""

    section: str
    planned_minutes: float
    actual_minutes: float
    instance_count: int = 0
    completed_count: int = 0


@dataclass(frozen=True)
class MetricDelta:
    """One figure now against last time: a metric, the yield or the volume."""

    key: str  # metric id, or "yield" / "volume"
    name: str
    unit: str
    previous: float | None
    current: float | None
    delta: float | None  # current - previous
    pct: float | None  # delta as a percentage of |previous|; None when previous is 0
    higher_is_better: bool = True
    improved: bool | None = None  # None when a side is missing


@dataclass(frozen=True)
class Comparison:
    """An instance against the most recent earlier completed one of its activity."""

    instance_id: str
    activity_id: str
    previous_instance_id: str
    previous_session_id: str
    previous_completed_at: datetime | None
    used_best_set: bool
    metrics: tuple[MetricDelta, ...] = ()
    yield_delta: MetricDelta | None = None  # product of the (best set's) multiplied metrics
    volume_delta: MetricDelta | None = None  # sum of every set's product
    improved: bool | None = None


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or, in a dry run, would write), per model name.

    ``kept`` counts rows of the file that differ from the database's copy but were left
    alone (the database's copy is newer, or one side is deleted); ``hidden`` counts new rows
    stored as deleted because they hang under a deleted row (soft-delete semantics).
    """

    inserted: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    kept: dict[str, int]
    hidden: dict[str, int]
    root_ids: tuple[str, ...]
    dry_run: bool = False
    notes: tuple[str, ...] = ()

    @property
    def written(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())


@dataclass(frozen=True)
class NoteSubject:
    """What a note is about, as resolved from what a person typed."""

    kind: str  # "goal", "session" or "instance"
    id: str
    root_id: str
    label: str  # e.g. "goal 'Bach prelude'", "session 'Morning' (started …)"


@dataclass(frozen=True)
class BulkResult:
    """What one bulk call wrote: row counts by kind (plural) and the ids of its top rows
    (the goals or sessions given, in order)."""

    root_id: str
    counts: dict[str, int]
    ids: tuple[str, ...] = ()
