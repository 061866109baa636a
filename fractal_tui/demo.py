"""A demo fractal with realistic history: a pianist's goals, activities and weeks of practice.

``load_demo(store, scale=1)`` builds it through the store's public methods only (so every
built-in rule applies: root_id, order, audit times, target evaluation, events) and returns
the new fractal's root goal. It is deterministic (a seeded random generator) and its times
are relative to the store's clock, so it always looks recent. ``scale`` multiplies the
history: N x the sessions, reaching N x further back, for benchmarks.

Used by `fractal demo` and by the TUI's welcome screen. Imports nothing heavy itself.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.views import (
    ConditionSpec,
    GoalView,
    MetricSpec,
    SplitSpec,
    TemplateItemSpec,
    TemplateSection,
)

DEMO_NAME = "Become a concert pianist"
SESSIONS_PER_SCALE = 18
DAYS_BETWEEN_SESSIONS = 2
MAX_SCALE = 1000
# The latest sessions are played through the live practice loop (events, pause/resume);
# older ones go in through the store's bulk path, in one transaction.
LIVE_SESSIONS = 2
SEED = 20260105


@dataclass(frozen=True)
class _Goal:
    key: str
    name: str
    level: int
    parent: str | None = None  # key of the parent; None: the root
    deadline_days: int | None = None  # from today
    description: str = ""
    done: bool = False
    complete_with_children: bool = False


# The goal tree, parents before children; levels: 0 ultimate ... 6 nano.
_GOALS: tuple[_Goal, ...] = (
    _Goal(
        "recital",
        "Perform a full solo recital",
        1,
        deadline_days=540,
        description="Sixty minutes of music from memory, in public.",
    ),
    _Goal(
        "technique",
        "Master the core technique",
        1,
        deadline_days=365,
        description="Clean, even, fast: scales, arpeggios and finger independence.",
    ),
    _Goal("ballade", "Learn Chopin's Ballade No. 1", 2, "recital", 240),
    _Goal("partita", "Learn Bach's Partita No. 2", 2, "recital", 180),
    _Goal(
        "house_concert",
        "Play a house concert for friends",
        2,
        "recital",
        description="Three pieces, one evening.",
        done=True,
    ),
    _Goal("ballade_memory", "Memorize the Ballade's first section", 3, "ballade", done=True),
    _Goal("ballade_coda", "Ballade: play the coda at tempo", 3, "ballade", 56),
    _Goal(
        "partita_sinfonia",
        "Partita: Sinfonia hands together",
        3,
        "partita",
        28,
        complete_with_children=True,
    ),
    _Goal("sinfonia_grave", "Sinfonia: the Grave section", 4, "partita_sinfonia", 7, done=True),
    _Goal("sinfonia_andante", "Sinfonia: the Andante", 4, "partita_sinfonia", 21),
    _Goal("scales_goal", "All major scales", 3, "technique", 90),
    _Goal("scales_132", "Scales: every key at 132 BPM, both hands", 4, "scales_goal", 14),
    _Goal("c_sharp", "C# major hands together", 5, "scales_132", 3),
    _Goal("hanon_goal", "Hanon 1-10 at 100 BPM, three repetitions", 4, "technique", 10),
    _Goal("sight_goal", "Sight-read every other day", 3, "technique", 30),
    _Goal("sight_week", "Sight-read one piece a day for a week", 4, "sight_goal", done=True),
)


@dataclass(frozen=True)
class _Activity:
    key: str
    name: str
    group: str
    metrics: tuple[MetricSpec, ...]
    splits: tuple[str, ...] = ()
    has_sets: bool = False
    multiplicative: bool = False
    description: str = ""


_GROUPS = (
    ("Technique", "Scales, arpeggios and exercises."),
    ("Repertoire", "Pieces for the recital."),
    ("Sight-reading", "New music every day."),
)

_ACTIVITIES: tuple[_Activity, ...] = (
    _Activity(
        "hanon",
        "Hanon exercises",
        "Technique",
        (
            MetricSpec("BPM", "bpm", is_best_set=True),
            MetricSpec("Repetitions", "reps"),
        ),
        has_sets=True,
        multiplicative=True,
        description="Exercises 1-10, sets of BPM x repetitions.",
    ),
    _Activity(
        "scales",
        "Hands-separate scales",
        "Technique",
        (MetricSpec("BPM", "bpm", is_multiplicative=False),),
        splits=("Left", "Right"),
        description="Four octaves, each hand alone.",
    ),
    _Activity(
        "arpeggios",
        "Arpeggios",
        "Technique",
        (
            MetricSpec("BPM", "bpm", is_multiplicative=False),
            MetricSpec("Minutes", "min", is_multiplicative=False),
        ),
    ),
    _Activity(
        "ballade",
        "Chopin Ballade No. 1",
        "Repertoire",
        (
            MetricSpec("Minutes", "min", is_multiplicative=False),
            MetricSpec("Accuracy", "%", is_multiplicative=False),
        ),
    ),
    _Activity(
        "partita",
        "Bach Partita No. 2",
        "Repertoire",
        (
            MetricSpec("Minutes", "min", is_multiplicative=False),
            MetricSpec("Accuracy", "%", is_multiplicative=False),
        ),
    ),
    _Activity(
        "sight",
        "Sight-reading",
        "Sight-reading",
        (
            MetricSpec("Pieces", "pieces", is_multiplicative=False),
            MetricSpec("Accuracy", "%", is_multiplicative=False),
        ),
    ),
)


@dataclass(frozen=True)
class _Record:
    """Values logged together: one set (numbered from 1) or the instance, maybe one side."""

    values: dict[str, float]
    set_number: int | None = None
    split: str | None = None


@dataclass(frozen=True)
class _ItemPlan:
    key: str
    started_at: datetime
    ended_at: datetime
    pause: tuple[datetime, datetime] | None
    records: tuple[_Record, ...]


@dataclass(frozen=True)
class _SessionPlan:
    name: str
    goal_keys: tuple[str, ...]
    started_at: datetime
    ended_at: datetime
    items: tuple[_ItemPlan, ...]


def load_demo(store: Any, *, scale: int = 1, name: str = DEMO_NAME, seed: int = SEED) -> GoalView:
    """Create the demo fractal and its history; returns its root goal.

    A Conflict if a fractal of that name exists already (nothing is written then).
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise Invalid(f"the demo's scale must be a whole number from 1 to {MAX_SCALE}")
    if any(f.name.lower() == name.strip().lower() for f in store.list_fractals()):
        raise Conflict(
            f"there is already a fractal named {name!r}; delete it first "
            f"(fractal delete fractal {name!r}) or open it"
        )
    return _Builder(store, scale, name, random.Random(seed)).build()


class _Builder:
    def __init__(self, store: Any, scale: int, name: str, rng: random.Random) -> None:
        self.store = store
        self.scale = scale
        self.name = name
        self.rng = rng
        self.now: datetime = store.now()
        self.goals: dict[str, GoalView] = {}
        self.activities: dict[str, Any] = {}

    def build(self) -> GoalView:
        root = self.store.create_fractal(
            self.name,
            description="From weekly lessons to a solo recital: technique, repertoire and "
            "sight-reading, practised a little every day.",
        )
        self.root = root
        self._goals()
        self._activities()
        self._template()
        self._targets()
        self._history()
        self._notes()
        return self.store.get_goal(root.id)

    # --- the plan ------------------------------------------------------------------------

    def _goals(self) -> None:
        today = self.now.astimezone().date()
        for spec in _GOALS:
            parent = self.goals[spec.parent].id if spec.parent else self.root.id
            deadline = (
                today + timedelta(days=spec.deadline_days)
                if spec.deadline_days is not None
                else None
            )
            self.goals[spec.key] = self.store.add_goal(
                parent,
                spec.name,
                level=spec.level,
                description=spec.description,
                deadline=deadline,
                complete_with_children=spec.complete_with_children,
            )
        for spec in _GOALS:
            if spec.done:
                self.store.complete_goal(self.goals[spec.key].id)

    def _activities(self) -> None:
        groups = {
            label: self.store.add_group(self.root.id, label, description=text)
            for label, text in _GROUPS
        }
        for spec in _ACTIVITIES:
            self.activities[spec.key] = self.store.add_activity(
                self.root.id,
                spec.name,
                group_id=groups[spec.group].id,
                description=spec.description,
                has_sets=spec.has_sets,
                metrics_multiplicative=spec.multiplicative,
                metrics=spec.metrics,
                splits=tuple(SplitSpec(s) for s in spec.splits),
            )

    def _template(self) -> None:
        a = self.activities
        self.store.add_template(
            self.root.id,
            "Daily practice",
            description="An hour: warm-up, repertoire, sight-reading.",
            sections=(
                TemplateSection(
                    "Warm-up",
                    (TemplateItemSpec(a["hanon"].id, 10), TemplateItemSpec(a["scales"].id, 10)),
                ),
                TemplateSection("Repertoire", (TemplateItemSpec(a["ballade"].id, 25),)),
                TemplateSection("Sight-reading", (TemplateItemSpec(a["sight"].id, 10),)),
            ),
        )

    def _targets(self) -> None:
        """Set before the history is played, so practice meets them along the way."""
        add = self.store.add_target
        add(
            self.goals["hanon_goal"].id,
            self.activities["hanon"].id,
            (ConditionSpec("BPM", ">=", 100), ConditionSpec("Repetitions", ">=", 3)),
        )
        add(
            self.goals["scales_132"].id,
            self.activities["scales"].id,
            (ConditionSpec("BPM", ">=", 132),),  # not reached yet,
        )
        # Sight-reading falls on every other session; the fifth one in three weeks is the
        # second newest, played live, so the demo's log shows a target being met.
        add(
            self.goals["sight_goal"].id,
            self.activities["sight"].id,
            kind="frequency",
            count=5,
            starts_on=(self.now - timedelta(days=21)).astimezone().date(),
        )

    def _notes(self) -> None:
        add, g = self.store.add_note, self.goals
        add(
            goal_id=g["ballade_coda"].id,
            text="Left-hand leaps from bar 250: practise the jumps slowly, eyes on the landing.",
        )
        add(
            goal_id=g["recital"].id,
            text="Programme idea: Bach Partita No. 2, Chopin Ballade No. 1, then two encores.",
        )
        [latest] = self.store.sessions(self.root.id, limit=1).items
        add(session_id=latest.id, text="Good focus today; the coda starts to feel natural.")
        detail = self.store.session_detail(latest.id)
        hanon = next(i for i in detail.instances if i.activity_id == self.activities["hanon"].id)
        add(instance_id=hanon.id, text="Last set felt even at this tempo; go up 4 BPM next time.")

    # --- the history ---------------------------------------------------------------------

    def _history(self) -> None:
        """Old sessions through the bulk path, the latest ones through the live loop.

        The live sessions log the events a person would see (session completed, target
        met) and go through pause and resume; the bulk keeps a large scale fast.
        """
        total = SESSIONS_PER_SCALE * self.scale
        plans = [self._plan(index, total) for index in range(total)]
        bulk, live = plans[:-LIVE_SESSIONS], plans[-LIVE_SESSIONS:]
        if bulk:  # one transaction; the store re-evaluates the targets once at the end
            self.store.bulk_add_sessions(self.root.id, (self._bulk(plan) for plan in bulk))
        for plan in live:
            self._play(plan)

    def _plan(self, index: int, total: int) -> _SessionPlan:
        """Session `index` of `total`: when, which activities for how long, and the values."""
        rng = self.rng
        age = total - 1 - index  # 0: the newest session
        days_ago = (age + 1) * DAYS_BETWEEN_SESSIONS - 1
        p = index / max(1, total - 1)  # how far along the progress is
        # An evening in local time, days_ago days back (so always before today).
        day = (self.now.astimezone() - timedelta(days=days_ago)).date()
        evening = datetime.combine(day, time(17, 0)).astimezone()  # naive = local time
        start = (evening + timedelta(minutes=rng.randint(0, 180))).astimezone(UTC)
        piece = "ballade" if index % 3 != 2 else "partita"
        keys = ["hanon", "scales", piece]
        if index % 4 == 1:
            keys.insert(2, "arpeggios")
        if index % 2 == 0:
            keys.append("sight")
        at = start + timedelta(minutes=rng.randint(1, 3))
        items = []
        for position, key in enumerate(keys):
            minutes = {"hanon": 10, "scales": 10, "arpeggios": 8, "sight": 10}.get(key, 25)
            minutes = max(4, minutes + rng.randint(-3, 4))
            end = at + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            pause = None
            if age % 5 == 1 and position == len(keys) - 1:
                # A short break (the doorbell): paused time never counts.
                paused_at = at + (end - at) / 2
                resumed_at = paused_at + timedelta(minutes=rng.randint(3, 8))
                pause = (paused_at, resumed_at)
                end += resumed_at - paused_at
            items.append(_ItemPlan(key, at, end, pause, self._values(key, p, minutes)))
            at = end + timedelta(minutes=rng.randint(1, 3))
        return _SessionPlan(
            name="Lesson preparation" if index % 7 == 6 else "Daily practice",
            goal_keys=("technique", piece),
            started_at=start,
            ended_at=at,
            items=tuple(items),
        )

    def _noise(self, spread: float) -> float:
        return self.rng.uniform(-spread, spread)

    def _values(self, key: str, p: float, minutes: int) -> tuple[_Record, ...]:
        """The values of one activity at progress p (0 at the start of the history, 1 now)."""
        if key == "hanon":
            base = 76 + 34 * p + self._noise(3)
            return tuple(
                _Record(
                    {"BPM": round(base + 4 * n), "Repetitions": 3 if n < 2 or p > 0.5 else 2},
                    set_number=n + 1,
                )
                for n in range(3)
            )
        if key == "scales":
            left = round(72 + 44 * p + self._noise(4))
            right = round(left + 5 + self._noise(3))
            return (_Record({"BPM": left}, split="Left"), _Record({"BPM": right}, split="Right"))
        if key == "arpeggios":
            return (_Record({"BPM": round(66 + 30 * p + self._noise(3)), "Minutes": minutes}),)
        if key == "sight":
            accuracy = min(98.0, round(55 + 30 * p + self._noise(5), 1))
            return (_Record({"Pieces": self.rng.randint(1, 3), "Accuracy": accuracy}),)
        accuracy = min(99.0, round(62 + 32 * p + self._noise(4), 1))  # a piece
        return (_Record({"Minutes": minutes, "Accuracy": accuracy}),)

    # --- writing a plan: live, as a person would ------------------------------------------

    def _play(self, plan: _SessionPlan) -> None:
        store, root_id = self.store, self.root.id
        session = store.start_session(
            root_id,
            name=plan.name,
            goal_ids=[self.goals[k].id for k in plan.goal_keys],
            at=plan.started_at,
        )
        for item in plan.items:
            activity_id = self.activities[item.key].id
            store.start_activity(root_id, activity_id, at=item.started_at)
            if item.pause is not None:
                store.pause_session(session.id, at=item.pause[0])
                store.resume_session(session.id, at=item.pause[1])
            store.stop(root_id, at=item.ended_at)
            for record in item.records:
                store.log(
                    root_id,
                    activity_id,
                    dict(record.values),
                    new_set=record.set_number is not None,
                    split=record.split,
                )
        store.end_session(session.id, at=plan.ended_at)

    # --- writing a plan: in bulk --------------------------------------------------------

    def _bulk(self, plan: _SessionPlan) -> Any:
        """The same practice as ``_play`` records, as one session for the bulk path."""
        from fractal_tui.store.bulk import BulkInstance, BulkSession, BulkSet

        instances = []
        for item in plan.items:
            activity = self.activities[item.key]
            sets = tuple(
                BulkSet(values=self._cells(activity, r)) for r in item.records if r.set_number
            )
            loose = tuple(
                c for r in item.records if not r.set_number for c in self._cells(activity, r)
            )
            intervals = (
                ((item.started_at, item.pause[0]), (item.pause[1], item.ended_at))
                if item.pause
                else ((item.started_at, item.ended_at),)
            )
            instances.append(
                BulkInstance(
                    activity_id=activity.id,
                    intervals=intervals,
                    completed_at=item.ended_at,
                    sets=sets,
                    values=loose,
                )
            )
        return BulkSession(
            started_at=plan.started_at,
            ended_at=plan.ended_at,
            name=plan.name,
            paused_seconds=sum(
                (i.pause[1] - i.pause[0]).total_seconds() for i in plan.items if i.pause
            ),
            goal_ids=tuple(self.goals[k].id for k in plan.goal_keys),
            instances=tuple(instances),
        )

    @staticmethod
    def _cells(activity: Any, record: _Record) -> tuple[tuple[str, str | None, float], ...]:
        """(metric id, split id, value) for each value of a record."""
        metrics = {m.name: m.id for m in activity.metrics}
        split = next((sp.id for sp in activity.splits if sp.name == record.split), None)
        return tuple((metrics[name], split, float(value)) for name, value in record.values.items())
