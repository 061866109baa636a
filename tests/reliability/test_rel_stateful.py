"""Issue 9.1: random sequences of store operations keep every built-in rule.

A hypothesis state machine drives goals (add, move, reorder, complete, delete, restore),
activities, sessions and timers (start, switch, pause, resume, stop, end, reopen, delete,
restore), values (including NaN and infinity), targets, notes, templates, groups, sets,
manual times, purges and a fake clock. After every step the
independent checks of rel_helpers, ``Store.check_invariants()`` and the SQLite integrity
check (what `fractal db check` runs) must all come back empty, and a step that raised a
domain error must have written nothing at all.
"""

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from rel_helpers import (
    all_problems,
    invariant_problems,
    model_tables,
    snapshot,
    visible_goal_tree_ok,
    wipe,
)
from sqlalchemy import text

from fractal_tui.clock import FakeClock
from fractal_tui.db import integrity_check
from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.store import Store
from fractal_tui.views import ConditionSpec, MetricSpec

DOMAIN_ERRORS = (NotFound, Invalid, Conflict)

# Mostly sane names, sometimes empty, long or with control characters (the store refuses).
names = st.one_of(
    st.sampled_from(["Piano", "Bach", "Scales", "Gym", "Squat", "a", "Étude №1", "日本"]),
    st.text(min_size=0, max_size=12),
    st.just("x" * 600),
)
values = st.one_of(
    st.integers(-5, 300).map(float),
    st.integers(-5, 300).map(float),
    st.floats(allow_nan=True, allow_infinity=True),
)
METRICS = (MetricSpec("reps", "n"), MetricSpec("weight", "kg"))

# The practice loop is where the timer rules live: most steps go there.
PRACTICE_OPS = (
    ["start_session"] * 3
    + ["start"] * 3
    + ["switch"] * 2
    + ["pause", "resume", "stop", "stop_named", "end", "end_earlier", "reopen"]
    + ["log"] * 3
    + ["delete_session", "delete_instance"]
)
AREAS = ["practice"] * 6 + ["goal"] * 2 + ["extra"] * 2 + ["activity", "restore", "clock"]
EXTRA_OPS = [
    "target",
    "note",
    "template",
    "from_template",
    "edit_activity",
    "instance_times",
    "session_times",
    "set",
    "group",
    "with_children",
    "delete_other",
]
GOAL_OPS = ["fractal", "add", "add", "move", "shift", "place", "complete", "delete"]

SETTINGS = settings(
    # Every step costs database round trips: shrinking a failure could take many minutes,
    # so a failure is reported with its whole (unshrunk) list of steps and the problems.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def rows_in_batch(engine: Any, batch: str) -> set[str]:
    """Ids of the rows a delete batch holds."""
    with engine.connect() as conn:
        return {
            row_id
            for table in model_tables()
            if table != "events"
            for row_id in conn.execute(
                text(f"SELECT id FROM {table} WHERE delete_batch = :b"), {"b": batch}
            ).scalars()
        }


def make_machine(engine: Any) -> type[RuleBasedStateMachine]:
    class StoreMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            wipe(engine)
            self.clock = FakeClock()
            self.store = Store(engine, clock=self.clock)
            self.fractals: list[str] = []
            self.goals: list[str] = []  # every goal ever made (some deleted later)
            self.activities: list[tuple[str, str, int]] = []  # (root, id, metric count)
            self.sessions: list[tuple[str, str]] = []  # (root_id, session_id)
            self.instances: list[str] = []
            self.batches: list[str] = []
            self.targets: list[tuple[str, str]] = []
            self.notes: list[tuple[str, str]] = []
            self.templates: list[tuple[str, str]] = []
            self.done: dict[str, int] = {}  # successful steps by operation
            self.errors = 0
            self.checked: dict[str, list[str]] | None = None
            self.restored: set[str] = set()

        # --- the one rule every step follows ----------------------------------------

        def attempt(self, op: Any, *args: Any, **kwargs: Any) -> Any:
            """Run a store call; a domain error is fine but must leave no trace."""
            before = snapshot(engine)
            try:
                result = op(*args, **kwargs)
            except DOMAIN_ERRORS as exc:
                assert exc.message.strip(), "a domain error without a message"
                after = snapshot(engine)
                changed = [t for t in before if before[t] != after[t]]
                assert not changed, f"{op.__name__} raised {exc!r} but changed {changed}"
                self.errors += 1
                return None
            self.done[op.__name__] = self.done.get(op.__name__, 0) + 1
            return result

        # --- a starting point, so the practice rules have something to work on --------

        @initialize(fractals=st.integers(1, 2))
        def start(self, fractals: int) -> None:
            for n in range(fractals):
                root = self.store.create_fractal(f"Fractal {n}").id
                self.fractals.append(root)
                self.goals.append(root)
                self.goals.append(self.store.add_goal(root, "Goal", level=2).id)
                for name, sets, metrics in (
                    ("Timed", False, 0),
                    ("Scales", False, 2),
                    ("Squat", True, 2),
                ):
                    made = self.store.add_activity(
                        root, name, has_sets=sets, metrics=METRICS[:metrics]
                    )
                    self.activities.append((root, made.id, metrics))

        # --- fractals and goals -----------------------------------------------------

        @rule(data=st.data(), area=st.sampled_from(AREAS))
        def step(self, data: Any, area: str) -> None:
            """One random operation; the areas are weighted so the practice loop gets most."""
            self.clock.advance(minutes=data.draw(st.sampled_from([0, 0, 1, 5, 30]), "minutes"))
            getattr(self, f"{area}_op")(data)

        def goal_op(self, data: Any) -> None:
            """Add a fractal; add, move, shift, place, complete (or undo) or delete a goal."""
            op = data.draw(st.sampled_from(GOAL_OPS), "op")
            name = data.draw(st.one_of(st.sampled_from(["Bach", "Scales"]), names), "name")
            level = data.draw(st.one_of(st.none(), st.integers(-1, 8)), "level")
            offset = data.draw(st.integers(-3, 3), "offset")
            flag = data.draw(st.booleans(), "flag")
            goal = data.draw(st.sampled_from(self.goals))
            other = data.draw(st.sampled_from(self.goals))
            if op == "fractal":
                made = self.attempt(self.store.create_fractal, name)
                if made is not None:
                    self.fractals.append(made.id)
                    self.goals.append(made.id)
            elif op == "add":
                made = self.attempt(self.store.add_goal, goal, name, level=level)
                if made is not None:
                    self.goals.append(made.id)
            elif op == "move":
                self.attempt(self.store.edit_goal, goal, parent_id=other)
            elif op == "shift":
                self.attempt(self.store.shift_goal, goal, offset)
            elif op == "place":
                where = {"before": other} if flag else {"after": other}
                self.attempt(self.store.place_goal, goal, **where)
            elif op == "complete":
                self.attempt(self.store.complete_goal, goal, undo=flag)
            else:
                summary = self.attempt(self.store.delete_goal, goal)
                if summary is not None:
                    self.batches.append(summary.batch)

        # --- activities -------------------------------------------------------------

        def activity_op(self, data: Any) -> None:
            """Define an activity, or delete one (with its instances)."""
            if data.draw(st.sampled_from([False, False, True]), "delete"):
                root, activity, _ = data.draw(st.sampled_from(self.activities))
                summary = self.attempt(self.store.delete, "activity", activity, root)
                if summary is not None:
                    self.batches.append(summary.batch)
                return
            root = data.draw(st.sampled_from(self.fractals))
            name = data.draw(names, "name")
            has_sets = data.draw(st.booleans(), "has_sets")
            metrics = data.draw(st.integers(0, 2), "metrics")
            made = self.attempt(
                self.store.add_activity, root, name, has_sets=has_sets, metrics=METRICS[:metrics]
            )
            if made is not None:
                self.activities.append((root, made.id, metrics))

        # --- the practice loop ------------------------------------------------------

        def practice_op(self, data: Any) -> None:
            """One step of the practice loop, mostly in the first fractal."""
            op = data.draw(st.sampled_from(PRACTICE_OPS), "op")
            first = data.draw(st.sampled_from([True, True, True, False]), "first")
            name = data.draw(st.one_of(st.sampled_from(["", "Morning"]), names), "name")
            ensure = data.draw(st.sampled_from([True, True, True, False]), "ensure")
            root = self.fractals[0] if first else data.draw(st.sampled_from(self.fractals))
            mine = [a for a in self.activities if a[0] == root] or self.activities
            _, activity, _ = data.draw(st.sampled_from(mine))
            if op != "start_session" and ensure and self.store.active_session(root) is None:
                # Most practice needs an active session: usually start one first.
                self.start_session_in(root, name, data)
            current = self.store.active_session(root)
            mine_sessions = [sid for r, sid in self.sessions if r == root]
            if current is not None and ensure:
                session: str | None = current.id  # usually the active one, else any
            else:
                session = data.draw(st.sampled_from(mine_sessions)) if mine_sessions else None
            if op == "start_session":
                self.start_session_in(root, name, data)
            elif op in ("start", "switch"):
                made = self.attempt(
                    self.store.start_activity, root, activity, switch=op == "switch"
                )
                if made is not None and made.id not in self.instances:
                    self.instances.append(made.id)
            elif op in ("stop", "stop_named"):
                self.attempt(self.store.stop, root, activity if op == "stop_named" else None)
            elif op == "log":
                metric = data.draw(st.sampled_from(["reps", "reps", "weight", "nope"]), "metric")
                value = data.draw(values, "value")
                new_set = data.draw(st.booleans(), "new_set")
                made = self.attempt(
                    self.store.log, root, activity, {metric: value}, new_set=new_set
                )
                if made is not None and made.instance.id not in self.instances:
                    self.instances.append(made.instance.id)
            elif op == "delete_instance" and self.instances:
                instance = data.draw(st.sampled_from(self.instances))
                summary = self.attempt(self.store.delete, "instance", instance)
                if summary is not None:
                    self.batches.append(summary.batch)
            elif session is None:
                return
            elif op == "pause":
                self.attempt(self.store.pause_session, session)
            elif op == "resume":
                self.attempt(self.store.resume_session, session)
            elif op in ("end", "end_earlier"):
                back = data.draw(st.integers(1, 30), "back") if op == "end_earlier" else 0
                at = self.clock.now - timedelta(minutes=back) if back else None
                self.attempt(self.store.end_session, session, at)
            elif op == "reopen":
                self.attempt(self.store.reopen_session, session)
            elif op == "delete_session":
                summary = self.attempt(self.store.delete, "session", session, root)
                if summary is not None:
                    self.batches.append(summary.batch)

        def start_session_in(self, root: str, name: str, data: Any) -> None:
            goal = data.draw(st.sampled_from(self.goals))
            made = self.attempt(self.store.start_session, root, name=name, goal_ids=[goal])
            if made is not None:
                self.sessions.append((root, made.id))

        # --- the trash and the clock ------------------------------------------------

        def extra_op(self, data: Any) -> None:
            """Targets, notes, templates, manual times, sets, groups: the rest of the store."""
            op = data.draw(st.sampled_from(EXTRA_OPS), "op")
            root = data.draw(st.sampled_from(self.fractals), "root")
            _, activity, _ = data.draw(st.sampled_from(self.activities), "activity")
            goal = data.draw(st.sampled_from(self.goals), "goal")
            session = (
                data.draw(st.sampled_from(self.sessions), "session")[1] if self.sessions else None
            )
            instance = (
                data.draw(st.sampled_from(self.instances), "instance") if self.instances else None
            )
            back = data.draw(st.integers(0, 90), "minutes back")
            span = data.draw(st.integers(-5, 60), "minutes long")
            value = data.draw(values, "value")
            if op == "target":
                kind = data.draw(st.sampled_from(["threshold", "sum", "frequency"]), "kind")
                made = self.attempt(
                    self.store.add_target,
                    goal,
                    activity,
                    [ConditionSpec("reps", ">=", value)] if kind != "frequency" else [],
                    kind=kind,
                    count=data.draw(st.sampled_from([None, 1, 2]), "count"),
                )
                if made is not None:
                    self.targets.append((made.root_id, made.id))
            elif op == "note":
                where = data.draw(st.sampled_from(["goal", "session", "instance"]), "on")
                subject = {"goal": goal, "session": session, "instance": instance}[where]
                made = self.attempt(
                    self.store.add_note, **{f"{where}_id": subject}, text=data.draw(names, "text")
                )
                if made is not None:
                    self.notes.append((made.root_id, made.id))
            elif op == "template" and session is not None:
                made = self.attempt(
                    self.store.template_from_session, session, data.draw(names, "name")
                )
                if made is not None:
                    self.templates.append((made.root_id, made.id))
            elif op == "from_template" and self.templates:
                t_root, template = data.draw(st.sampled_from(self.templates), "template")
                made = self.attempt(self.store.start_session_from_template, t_root, template)
                if made is not None:
                    self.sessions.append((t_root, made.id))
            elif op == "edit_activity":
                metrics = data.draw(st.integers(0, 2), "metrics")
                self.attempt(
                    self.store.update_activity,
                    activity,
                    name=data.draw(st.one_of(st.none(), names), "name"),
                    metrics=METRICS[:metrics] if data.draw(st.booleans(), "replace") else None,
                )
            elif op == "instance_times" and instance is not None:
                start = self.clock.now - timedelta(minutes=back)
                self.attempt(
                    self.store.set_instance_times, instance, start, start + timedelta(minutes=span)
                )
            elif op == "session_times" and session is not None:
                start = self.clock.now - timedelta(minutes=back)
                end = start + timedelta(minutes=span) if data.draw(st.booleans(), "end") else None
                self.attempt(self.store.set_session_times, session, start, end)
            elif op == "set" and instance is not None:
                made = self.attempt(self.store.add_set, instance, status="completed")
                if made is not None and data.draw(st.booleans(), "remove"):
                    summary = self.attempt(self.store.remove_set, made.id)
                    if summary is not None:
                        self.batches.append(summary.batch)
            elif op == "group":
                made = self.attempt(self.store.add_group, root, data.draw(names, "name"))
                if made is not None:
                    self.attempt(self.store.move_activity_to_group, activity, made.id)
                    if data.draw(st.booleans(), "delete"):
                        summary = self.attempt(self.store.delete, "group", made.id, root)
                        if summary is not None:
                            self.batches.append(summary.batch)
            elif op == "with_children":
                self.attempt(self.store.update_goal, goal, complete_with_children=True)
            elif op == "delete_other":
                kind = data.draw(st.sampled_from(["target", "template", "note"]), "kind")
                pool = {"target": self.targets, "template": self.templates, "note": self.notes}
                if pool[kind]:
                    k_root, ref = data.draw(st.sampled_from(pool[kind]), "ref")
                    summary = self.attempt(self.store.delete, kind, ref, k_root)
                    if summary is not None:
                        self.batches.append(summary.batch)

        def restore_op(self, data: Any) -> None:
            if not self.batches:
                return
            batch = data.draw(st.sampled_from(self.batches))
            ids = rows_in_batch(engine, batch)
            if self.attempt(self.store.restore, batch) is not None:
                # Restored rows are tracked for the invariant report; none is excused now
                # that deleting an instance stops its timer.
                self.restored.update(ids)

        def clock_op(self, data: Any) -> None:
            """Time passes; now and then the trash is emptied of what is old enough."""
            self.clock.advance(minutes=data.draw(st.integers(0, 3000), "minutes"))
            purge = data.draw(st.sampled_from([None, 0, 0.5, 1]), "purge")
            if purge is not None:
                self.attempt(self.store.purge, older_than_days=purge)

        # --- after every step -------------------------------------------------------

        @invariant()
        def rules_hold(self) -> None:
            # A step that wrote nothing cannot break a rule the last check saw hold; the
            # snapshot (one cheap query per table) tells. Otherwise the independent checks
            # (a superset of the store's) and SQLite's integrity and foreign-key checks run.
            now = snapshot(engine)
            if now == self.checked:
                return
            problems = [
                *invariant_problems(engine, restored=self.restored),
                *integrity_check(engine),
            ]
            assert problems == [], problems
            visible_goal_tree_ok(engine)
            self.checked = now

        def teardown(self) -> None:
            # Store.check_invariants() issues ~150 queries (~80 ms): once per run, on the
            # final state, with everything `fractal db check` looks at.
            problems = [
                *invariant_problems(engine, restored=self.restored),
                *self.store.check_invariants(),
                *integrity_check(engine),
            ]
            assert problems == [], problems

    return StoreMachine


def test_random_store_use_keeps_every_rule(engine: Any) -> None:
    # PostgreSQL answers each of the many small queries over a socket: fewer runs there.
    runs = 20 if engine.dialect.name == "sqlite" else 10
    machine = make_machine(engine)
    done: dict[str, int] = {}
    check_final_state = machine.teardown

    def teardown(self: Any) -> None:
        for op, n in self.done.items():
            done[op] = done.get(op, 0) + n
        check_final_state(self)

    machine.teardown = teardown  # type: ignore[method-assign]
    run_state_machine_as_test(machine, settings=settings(SETTINGS, max_examples=runs))
    # The runs reached the practice loop and the trash, not only refusals.
    for op in ("add_goal", "start_session", "start_activity", "end_session", "delete", "purge"):
        assert done.get(op, 0) > 0, (op, done)


@pytest.mark.parametrize("delete_and_restore", [False, True])
def test_a_scripted_practice_loop_keeps_every_rule(engine: Any, delete_and_restore: bool) -> None:
    """A fixed walk through the practice loop, so the timer rules are reached on every run,
    whatever the random machine happens to draw."""
    machine = make_machine(engine)()
    machine.start(1)
    store, clock = machine.store, machine.clock
    root = machine.fractals[0]
    _, scales, _ = machine.activities[1]
    _, squat, _ = machine.activities[2]
    session = store.start_session(root, name="Morning")
    steps = [
        lambda: store.start_activity(root, scales),
        lambda: store.start_activity(root, squat),  # conflict: Scales runs
        lambda: store.start_activity(root, squat, switch=True),
        lambda: store.pause_session(session.id),
        lambda: store.log(root, squat, {"reps": float("nan")}),  # refused
        lambda: store.log(root, squat, {"weight": float("inf")}),  # refused
        lambda: store.log(root, squat, {"reps": 5.0, "weight": 60.0}),
        lambda: store.resume_session(session.id),
        lambda: store.stop(root),
        lambda: store.end_session(session.id),
        lambda: store.reopen_session(session.id),
        lambda: store.end_session(session.id),
    ]
    if delete_and_restore:
        steps[3:3] = [
            lambda: machine.batches.append(store.delete("session", session.id, root).batch),
            lambda: store.start_activity(root, scales),  # no active session: conflict
            lambda: store.restore(machine.batches[-1]),
        ]
    for step in steps:
        clock.advance(minutes=7)
        machine.attempt(step)
        machine.rules_hold()
        assert all_problems(engine, store) == []
    assert machine.errors == (4 if delete_and_restore else 3)
    detail = store.session_detail(session.id)
    assert detail.session.done
    assert [len(i.intervals) for i in detail.instances] == [1, 2]


@pytest.mark.parametrize("kind", ["activity", "group", "session"])
def test_restore_into_a_deleted_fractal_is_refused(store: Any, engine: Any, kind: str) -> None:
    from rel_helpers import invariant_problems

    root = store.create_fractal("Piano").id
    if kind == "activity":
        ref = store.add_activity(root, "Scales").id
    elif kind == "group":
        ref = store.add_group(root, "Warm-up").id
    else:
        ref = store.start_session(root, name="Morning").id
    first = store.delete(kind, ref, root).batch
    store.delete_goal(root)
    before = snapshot(engine)
    with pytest.raises(Conflict, match="deleted"):
        store.restore(first)
    assert snapshot(engine) == before
    assert invariant_problems(engine) == []


@pytest.mark.parametrize("kind", ["goal", "activity"])
def test_restored_rows_keep_a_unique_sort_order(store: Any, engine: Any, kind: str) -> None:
    root = store.create_fractal("Piano").id
    if kind == "goal":
        store.add_goal(root, "A")
        gone = store.delete_goal(store.add_goal(root, "B").id).batch
        store.add_goal(root, "C")
        order = lambda: [(g.name, g.sort_order) for g in store.goals(root) if g.parent_id]  # noqa: E731
    else:
        store.add_activity(root, "A")
        gone = store.delete("activity", store.add_activity(root, "B").id, root).batch
        store.add_activity(root, "C")
        order = lambda: [(a.name, a.sort_order) for a in store.activities(root)]  # noqa: E731
    store.restore(gone)
    orders = [n for _, n in order()]
    assert len(set(orders)) == len(orders), order()
    assert invariant_problems(engine) == []


@pytest.mark.parametrize("then", ["pause", "end"])
def test_restoring_a_deleted_running_instance_does_not_revive_its_timer(
    store: Any, clock: Any, engine: Any, then: str
) -> None:
    root = store.create_fractal("Piano").id
    scales = store.add_activity(root, "Scales").id
    session = store.start_session(root).id
    clock.advance(minutes=1)
    instance = store.start_activity(root, scales).id
    clock.advance(minutes=1)
    batch = store.delete("instance", instance, root).batch
    clock.advance(minutes=1)
    if then == "pause":
        store.pause_session(session)
    else:
        store.end_session(session)
    clock.advance(minutes=1)
    store.restore(batch)
    assert invariant_problems(engine) == []
    if then == "pause":
        assert not store.status(root).running  # a paused session has no running timer
        store.resume_session(session)  # and resumes without a conflict
