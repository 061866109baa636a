"""SQLModel tables: the whole data model of DESIGN.md in one place.

Four mixins mark what a table carries, and the store builds the behaviour in once for each:

- ``Audited``: ``created_at`` / ``updated_at``, set by the store.
- ``RootScoped``: ``root_id``, derived by the store from the row named by ``__root_from__``.
- ``SoftDeletable``: ``deleted_at`` and ``delete_batch``; hidden from every read by one
  loader criterion; ``__cascade__`` names the dependents deleted in the same batch.
- ``Ordered``: ``sort_order`` among the siblings that share the ``__order_scope__`` columns.

Deliberately no ``from __future__ import annotations`` here (see PITFALLS.md).
"""

import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from pydantic import ConfigDict
from sqlalchemy import CheckConstraint, Index, Table, event, func, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns timezone-aware UTC, refuses naive datetimes.

    SQLite keeps no offset, so values go in as naive UTC and come back tagged as UTC;
    PostgreSQL uses ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc_field(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


# --- enums -----------------------------------------------------------------------------


class GoalLevel(enum.IntEnum):
    """Goal levels by rank; a child's rank must be greater than its parent's."""

    ultimate = 0
    long_term = 1
    mid_term = 2
    short_term = 3
    immediate = 4
    micro = 5
    nano = 6


MAX_LEVEL = max(GoalLevel).value


class SetStatus(enum.StrEnum):
    planned = "planned"
    completed = "completed"
    skipped = "skipped"


class TargetKind(enum.StrEnum):
    threshold = "threshold"
    sum = "sum"
    frequency = "frequency"


class ConditionOp(enum.StrEnum):
    ge = ">="
    le = "<="
    gt = ">"
    lt = "<"
    eq = "=="


# --- mixins ----------------------------------------------------------------------------


class Base(SQLModel):
    # Build each validator on first use, not at import: table models are constructed
    # without validation, so most commands never need one (~7 ms of every start-up).
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)


class Audited(SQLModel):
    created_at: datetime = Field(default=None, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default=None, sa_type=UTCDateTime, nullable=False)


class RootScoped(SQLModel):
    # The column the store follows to find the parent whose root_id this row inherits.
    __root_from__: ClassVar[tuple[str, str] | None] = None
    root_id: str = Field(foreign_key="goals.id", index=True, nullable=False, max_length=36)


class SoftDeletable(SQLModel):
    # (model class name, foreign-key column) of rows deleted and restored with this one.
    __cascade__: ClassVar[tuple[tuple[str, str], ...]] = ()
    deleted_at: datetime | None = _utc_field()
    delete_batch: str | None = Field(default=None, index=True, max_length=36)


class Ordered(SQLModel):
    # Columns whose equal values make rows siblings for ordering.
    __order_scope__: ClassVar[tuple[str, ...]] = ("root_id",)
    sort_order: int = Field(default=0, nullable=False)


# Key in Index.info holding a partial index's condition until CREATE time.
PARTIAL_WHERE = "fractal_partial_where"


def partial_index(name: str, *columns: Any, where: str, unique: bool = True) -> Index:
    """A partial index (SQLite and PostgreSQL) whose condition is attached at CREATE time.

    Passing ``postgresql_where=`` to ``Index`` makes SQLAlchemy import the PostgreSQL dialect
    to check the keyword, ~20 ms on every `fractal` command that never talks to PostgreSQL.
    The condition waits in ``info`` until a table is created on a known dialect (see
    ``attach_partial_conditions``); the migrations spell it out for both backends.
    """
    return Index(name, *columns, unique=unique, info={PARTIAL_WHERE: where})


def attach_partial_conditions(table: Table, dialect: str) -> None:
    """Give ``table``'s partial indexes their condition for ``dialect`` (sqlite/postgresql)."""
    if dialect not in ("sqlite", "postgresql"):
        return
    for index in table.indexes:
        where = index.info.get(PARTIAL_WHERE)
        if where is not None:
            index.dialect_options[dialect]["where"] = text(where)


@event.listens_for(Table, "before_create")
def _before_create(table: Table, connection: Any, **_: Any) -> None:
    attach_partial_conditions(table, connection.dialect.name)


def _live(column: str) -> str:
    """Partial-index condition: only rows that are not soft-deleted and ``column`` unset."""
    return f"deleted_at IS NULL AND {column} IS NULL"


# --- goals -----------------------------------------------------------------------------


class Goal(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "goals"
    __root_from__ = ("parent_id", "Goal")
    __order_scope__ = ("root_id", "parent_id")
    __cascade__ = (
        ("Goal", "parent_id"),
        ("Target", "goal_id"),
        ("SessionGoal", "goal_id"),
        ("Note", "goal_id"),
    )
    __table_args__ = (
        CheckConstraint(f"level >= 0 AND level <= {MAX_LEVEL}", name="ck_goals_level"),
        CheckConstraint("parent_id IS NOT NULL OR root_id = id", name="ck_goals_root_self"),
    )

    parent_id: str | None = Field(default=None, foreign_key="goals.id", index=True, max_length=36)
    level: int = Field(nullable=False)
    name: str = Field(nullable=False, max_length=500)
    description: str = Field(default="", nullable=False)
    deadline: date | None = None
    completed_at: datetime | None = _utc_field()
    # Complete this goal when all its children are complete (issue: targets and progress).
    complete_with_children: bool = Field(default=False, nullable=False)
    # Why it was completed: "manual", "targets" or "children".
    completed_by: str | None = Field(default=None, max_length=20)


# --- activities ------------------------------------------------------------------------


class ActivityGroup(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "activity_groups"
    __root_from__ = None  # top-level in a fractal: the caller names the fractal
    name: str = Field(nullable=False, max_length=200)
    description: str = Field(default="", nullable=False)


class Activity(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "activities"
    __order_scope__ = ("root_id", "group_id")
    __cascade__ = (
        ("MetricDefinition", "activity_id"),
        ("SplitDefinition", "activity_id"),
        ("ActivityInstance", "activity_id"),
        ("TemplateItem", "activity_id"),
        ("Target", "activity_id"),
    )
    group_id: str | None = Field(
        default=None, foreign_key="activity_groups.id", index=True, max_length=36
    )
    name: str = Field(nullable=False, max_length=200)
    description: str = Field(default="", nullable=False)
    has_sets: bool = Field(default=False, nullable=False)
    has_splits: bool = Field(default=False, nullable=False)
    metrics_multiplicative: bool = Field(default=False, nullable=False)


class MetricDefinition(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "metric_definitions"
    __root_from__ = ("activity_id", "Activity")
    __order_scope__ = ("activity_id",)
    activity_id: str = Field(foreign_key="activities.id", index=True, max_length=36)
    name: str = Field(nullable=False, max_length=100)
    unit: str = Field(nullable=False, max_length=50)
    is_best_set: bool = Field(default=False, nullable=False)
    is_multiplicative: bool = Field(default=True, nullable=False)
    higher_is_better: bool = Field(default=True, nullable=False)


class SplitDefinition(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "split_definitions"
    __root_from__ = ("activity_id", "Activity")
    __order_scope__ = ("activity_id",)
    activity_id: str = Field(foreign_key="activities.id", index=True, max_length=36)
    name: str = Field(nullable=False, max_length=100)


# --- templates -------------------------------------------------------------------------


class SessionTemplate(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "session_templates"
    __cascade__ = (("TemplateItem", "template_id"),)
    name: str = Field(nullable=False, max_length=200)
    description: str = Field(default="", nullable=False)


class TemplateItem(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    """One activity in a template section; a section is the run of items sharing its name."""

    __tablename__ = "template_items"
    __root_from__ = ("template_id", "SessionTemplate")
    __order_scope__ = ("template_id",)
    __table_args__ = (CheckConstraint("planned_minutes >= 0", name="ck_template_items_minutes"),)
    template_id: str = Field(foreign_key="session_templates.id", index=True, max_length=36)
    section: str = Field(default="", nullable=False, max_length=200)
    activity_id: str | None = Field(
        default=None, foreign_key="activities.id", index=True, max_length=36
    )
    planned_minutes: float = Field(default=0, nullable=False)


# --- sessions and practice -------------------------------------------------------------


class PracticeSession(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "sessions"
    __cascade__ = (
        ("ActivityInstance", "session_id"),
        ("WorkInterval", "session_id"),
        ("SessionGoal", "session_id"),
        ("Note", "session_id"),
    )
    __table_args__ = (
        # At most one unfinished (and not deleted) session per fractal.
        partial_index("uq_sessions_one_unfinished", "root_id", where=_live("completed_at")),
        Index("ix_sessions_root_started", "root_id", "started_at"),
        CheckConstraint("paused_seconds >= 0", name="ck_sessions_paused"),
        CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name="ck_sessions_end_after_start"
        ),
    )
    name: str = Field(default="", nullable=False, max_length=200)
    template_id: str | None = Field(
        default=None, foreign_key="session_templates.id", index=True, max_length=36
    )
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = _utc_field()
    paused_at: datetime | None = _utc_field()
    paused_seconds: float = Field(default=0, nullable=False)
    # The instance whose timer a pause stopped, so resume can reopen it.
    paused_instance_id: str | None = Field(default=None, max_length=36)
    duration_seconds: float | None = None
    completed_at: datetime | None = _utc_field()


class SessionGoal(Base, RootScoped, SoftDeletable, Audited, table=True):
    __tablename__ = "session_goals"
    __root_from__ = ("session_id", "PracticeSession")
    __table_args__ = (
        partial_index("uq_session_goals_pair", "session_id", "goal_id", where="deleted_at IS NULL"),
    )
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=36)
    goal_id: str = Field(foreign_key="goals.id", index=True, max_length=36)


class ActivityInstance(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "activity_instances"
    __root_from__ = ("session_id", "PracticeSession")
    __order_scope__ = ("session_id",)
    __cascade__ = (
        ("ActivitySet", "instance_id"),
        ("MetricValue", "instance_id"),
        ("WorkInterval", "instance_id"),
        ("Note", "instance_id"),
    )
    __table_args__ = (
        Index("ix_instances_root_activity", "root_id", "activity_id"),
        CheckConstraint(
            "target_duration_seconds IS NULL OR target_duration_seconds >= 0",
            name="ck_instances_target_duration",
        ),
    )
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=36)
    activity_id: str = Field(foreign_key="activities.id", index=True, max_length=36)
    section: str = Field(default="", nullable=False, max_length=200)
    completed_at: datetime | None = _utc_field()
    notes: str = Field(default="", nullable=False)
    target_duration_seconds: float | None = None


class WorkInterval(Base, RootScoped, SoftDeletable, Audited, table=True):
    """The timer ledger: a running timer is an interval without an end."""

    __tablename__ = "work_intervals"
    __root_from__ = ("instance_id", "ActivityInstance")
    __table_args__ = (
        # At most one running interval per session.
        partial_index("uq_work_intervals_one_running", "session_id", where=_live("ended_at")),
        CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name="ck_work_intervals_order"
        ),
    )
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=36)
    instance_id: str = Field(foreign_key="activity_instances.id", index=True, max_length=36)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = _utc_field()


class ActivitySet(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "activity_sets"
    __root_from__ = ("instance_id", "ActivityInstance")
    __order_scope__ = ("instance_id",)
    __cascade__ = (("MetricValue", "set_id"),)
    __table_args__ = (
        CheckConstraint(
            "status IN ('planned', 'completed', 'skipped')", name="ck_activity_sets_status"
        ),
    )
    instance_id: str = Field(foreign_key="activity_instances.id", index=True, max_length=36)
    status: str = Field(default=SetStatus.planned.value, nullable=False, max_length=20)
    notes: str = Field(default="", nullable=False)


class MetricValue(Base, RootScoped, SoftDeletable, Audited, table=True):
    """One number: a metric of an instance, or of one of its sets, optionally per split."""

    __tablename__ = "metric_values"
    __root_from__ = ("instance_id", "ActivityInstance")
    __table_args__ = (
        # One row per (instance, set, metric, split); NULL set/split count as equal.
        partial_index(
            "uq_metric_values_cell",
            "instance_id",
            func.coalesce(text("set_id"), ""),
            "metric_id",
            func.coalesce(text("split_id"), ""),
            where="deleted_at IS NULL",
        ),
        Index("ix_metric_values_root_metric", "root_id", "metric_id"),
    )
    instance_id: str = Field(foreign_key="activity_instances.id", index=True, max_length=36)
    set_id: str | None = Field(
        default=None, foreign_key="activity_sets.id", index=True, max_length=36
    )
    metric_id: str = Field(foreign_key="metric_definitions.id", index=True, max_length=36)
    split_id: str | None = Field(
        default=None, foreign_key="split_definitions.id", index=True, max_length=36
    )
    value: float = Field(nullable=False)


# --- targets ---------------------------------------------------------------------------


class Target(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "targets"
    __root_from__ = ("goal_id", "Goal")
    __order_scope__ = ("goal_id",)
    __cascade__ = (("TargetCondition", "target_id"),)
    __table_args__ = (
        CheckConstraint("kind IN ('threshold', 'sum', 'frequency')", name="ck_targets_kind"),
        CheckConstraint("count IS NULL OR count >= 1", name="ck_targets_count"),
    )
    goal_id: str = Field(foreign_key="goals.id", index=True, max_length=36)
    activity_id: str = Field(foreign_key="activities.id", index=True, max_length=36)
    name: str = Field(default="", nullable=False, max_length=200)
    kind: str = Field(default=TargetKind.threshold.value, nullable=False, max_length=20)
    count: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    met_at: datetime | None = _utc_field()
    met_session_id: str | None = Field(default=None, foreign_key="sessions.id", max_length=36)


class TargetCondition(Base, RootScoped, SoftDeletable, Ordered, Audited, table=True):
    __tablename__ = "target_conditions"
    __root_from__ = ("target_id", "Target")
    __order_scope__ = ("target_id",)
    __table_args__ = (
        CheckConstraint("op IN ('>=', '<=', '>', '<', '==')", name="ck_target_conditions_op"),
    )
    target_id: str = Field(foreign_key="targets.id", index=True, max_length=36)
    metric_id: str = Field(foreign_key="metric_definitions.id", index=True, max_length=36)
    op: str = Field(nullable=False, max_length=2)
    value: float = Field(nullable=False)


# --- notes and events ------------------------------------------------------------------


class Note(Base, RootScoped, SoftDeletable, Audited, table=True):
    """Free text on exactly one goal, session or activity instance."""

    __tablename__ = "notes"
    __root_from__ = None  # derived from whichever of the three it is attached to
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN goal_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN session_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN instance_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_notes_one_subject",
        ),
    )
    goal_id: str | None = Field(default=None, foreign_key="goals.id", index=True, max_length=36)
    session_id: str | None = Field(
        default=None, foreign_key="sessions.id", index=True, max_length=36
    )
    instance_id: str | None = Field(
        default=None, foreign_key="activity_instances.id", index=True, max_length=36
    )
    text: str = Field(nullable=False)


class Event(Base, RootScoped, table=True):
    """Append-only log of what happened; never soft-deleted."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_root_created", "root_id", "created_at"),)
    created_at: datetime = Field(default=None, sa_type=UTCDateTime, nullable=False)
    kind: str = Field(nullable=False, max_length=40, index=True)
    entity_type: str = Field(default="", nullable=False, max_length=40)
    entity_id: str | None = Field(default=None, max_length=36)
    message: str = Field(default="", nullable=False)
    batch: str | None = Field(default=None, max_length=36)


MODELS: dict[str, type[SQLModel]] = {
    cls.__name__: cls
    for cls in (
        Goal,
        ActivityGroup,
        Activity,
        MetricDefinition,
        SplitDefinition,
        SessionTemplate,
        TemplateItem,
        PracticeSession,
        SessionGoal,
        ActivityInstance,
        WorkInterval,
        ActivitySet,
        MetricValue,
        Target,
        TargetCondition,
        Note,
        Event,
    )
}

# end of models
