"""The activity library in the store: groups, activities, metric and split definitions."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text

from fractal_tui.errors import Invalid, NotFound
from fractal_tui.models import (
    ActivityInstance,
    MetricDefinition,
    MetricValue,
    PracticeSession,
    SplitDefinition,
    WorkInterval,
)
from fractal_tui.store.base import INCLUDE_DELETED
from fractal_tui.views import MetricSpec, SplitSpec

M = MetricSpec
S = SplitSpec


# --- helpers -------------------------------------------------------------------------------


def db_state(store: Any) -> dict[str, list[tuple]]:
    """Every row of every table, to check that a rejected call wrote nothing."""
    from sqlmodel import SQLModel

    out = {}
    with store.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


@pytest.fixture
def root(store: Any) -> str:
    return store.create_fractal("Gym").id


def practise(
    store: Any,
    activity: Any,
    *,
    started: Any,
    minutes: float = 10,
    values: dict[str, float] | None = None,
    split_id: str | None = None,
) -> str:
    """Record one completed instance of an activity (with a timer interval and values)."""
    ended = started + timedelta(minutes=minutes)
    with store._tx(activity.root_id) as s:
        session = store._insert(
            s,
            PracticeSession(started_at=started, ended_at=ended, completed_at=ended),
            root_id=activity.root_id,
        )
        instance = store._insert(
            s,
            ActivityInstance(session_id=session.id, activity_id=activity.id, completed_at=ended),
        )
        store._insert(
            s,
            WorkInterval(
                session_id=session.id, instance_id=instance.id, started_at=started, ended_at=ended
            ),
        )
        for metric_id, value in (values or {}).items():
            store._insert(
                s,
                MetricValue(
                    instance_id=instance.id, metric_id=metric_id, split_id=split_id, value=value
                ),
            )
        return instance.id


def rejects(store: Any, error: type[Exception], match: str, call: Any) -> None:
    """The call raises error with a message matching match, and nothing is written."""
    before = db_state(store)
    with pytest.raises(error, match=match):
        call()
    assert db_state(store) == before


# --- creating activities -------------------------------------------------------------------


def test_add_activity_keeps_every_field_in_order(store: Any, root: str) -> None:
    squat = store.add_activity(
        root,
        "  Back squat ",
        description="low bar",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=[
            M("weight", "kg", is_best_set=True),
            M("reps", "count"),
            M("rpe", "1-10", is_multiplicative=False, higher_is_better=False),
        ],
        splits=[S("Left"), S("Right")],
    )
    assert squat.name == "Back squat"
    assert squat.description == "low bar"
    assert squat.has_sets and squat.metrics_multiplicative and squat.has_splits
    assert [(m.name, m.unit, m.sort_order) for m in squat.metrics] == [
        ("weight", "kg", 0),
        ("reps", "count", 1),
        ("rpe", "1-10", 2),
    ]
    weight, reps, rpe = squat.metrics
    assert weight.is_best_set and not reps.is_best_set and not rpe.is_best_set
    assert weight.is_multiplicative and reps.is_multiplicative and not rpe.is_multiplicative
    assert weight.higher_is_better and not rpe.higher_is_better
    assert [(sp.name, sp.sort_order) for sp in squat.splits] == [("Left", 0), ("Right", 1)]
    assert squat.group_id is None and squat.group_name is None
    assert squat.times_done == 0 and squat.last_done is None
    assert store.get_activity(squat.id) == squat
    assert store.history(root, kind="activity_created")[0].message == "added activity 'Back squat'"


def test_has_splits_follows_the_splits(store: Any, root: str) -> None:
    plain = store.add_activity(root, "Plank", metrics=[M("time", "s")])
    assert not plain.has_splits and plain.splits == ()
    five = store.add_activity(root, "Fingers", splits=[S(n) for n in "ABCDE"])
    assert five.has_splits and [sp.name for sp in five.splits] == list("ABCDE")


def test_names_need_not_be_unique(store: Any, root: str) -> None:
    a = store.add_activity(root, "Scales")
    b = store.add_activity(root, "Scales")
    assert a.id != b.id
    assert [x.name for x in store.activities(root)] == ["Scales", "Scales"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "needs a name"),
        ({"name": "   "}, "needs a name"),
        ({"name": "bad\x07name"}, "control characters"),
        ({"name": "x" * 201}, "at most 200"),
        (
            {"metrics": [M("a", "u"), M("b", "u"), M("c", "u"), M("d", "u")]},
            "at most 3 metrics; got 4",
        ),
        ({"metrics": [M("", "kg")]}, "metric 1 needs a name"),
        ({"metrics": [M("weight", "kg"), M("reps", " ")]}, "metric 'reps' needs a unit"),
        ({"metrics": [M("weight", "kg\n")]}, None),  # stripped: accepted (checked below)
        (
            {"metrics": [M("weight", "kg", is_best_set=True), M("reps", "n", is_best_set=True)]},
            "only one metric can pick the best set; 'weight' and 'reps'",
        ),
        ({"metrics": [M("Weight", "kg"), M("weight", "lb")]}, "two metrics are called 'weight'"),
        ({"splits": [S("Left")]}, "no splits or 2 to 5 of them .*got 1 \\('Left'\\)"),
        ({"splits": [S(n) for n in "ABCDEF"]}, "got 6"),
        ({"splits": [S("Left"), S("left")]}, "two splits are called 'left'"),
        ({"splits": [S("Left"), S("")]}, "split 2 needs a name"),
        ({"metrics": [M("weight", "kg", id="0000-not-yours")]}, "cannot name existing ids"),
        ({"group_id": "no-such-group"}, "no group"),
    ],
)
def test_add_activity_rejections_write_nothing(
    store: Any, root: str, kwargs: dict[str, Any], match: str | None
) -> None:
    kwargs = {"name": "Squat", **kwargs}
    name = kwargs.pop("name")
    if match is None:
        made = store.add_activity(root, name, **kwargs)
        assert made.metrics[0].unit == "kg"
        return
    error = NotFound if "group_id" in kwargs else Invalid
    rejects(store, error, match, lambda: store.add_activity(root, name, **kwargs))


def test_group_by_name_is_found_or_created_in_the_same_transaction(store: Any, root: str) -> None:
    a = store.add_activity(root, "Scales", group_name="Technique")
    b = store.add_activity(root, "Arpeggios", group_name="technique")
    assert a.group_id == b.group_id and a.group_name == "Technique"
    assert [g.name for g in store.groups(root)] == ["Technique"]
    # A failing activity does not leave a new group behind.
    rejects(
        store,
        Invalid,
        "at most 3 metrics",
        lambda: store.add_activity(
            root, "Bad", group_name="Repertoire", metrics=[M(c, "u") for c in "abcd"]
        ),
    )


def test_activities_of_another_fractal_stay_apart(store: Any, root: str) -> None:
    other = store.create_fractal("Piano").id
    foreign_group = store.add_group(other, "Technique")
    store.add_activity(other, "Scales")
    mine = store.add_activity(root, "Squat")
    assert [a.name for a in store.activities(root)] == ["Squat"]
    rejects(
        store,
        NotFound,
        "no group",
        lambda: store.add_activity(root, "X", group_id=foreign_group.id),
    )
    rejects(
        store,
        NotFound,
        "no group",
        lambda: store.move_activity_to_group(mine.id, foreign_group.id),
    )
    with pytest.raises(NotFound):
        store.resolve_activity(root, "Scales")


# --- editing metrics and splits ------------------------------------------------------------


def test_editing_metrics_matches_by_id_and_keeps_recorded_values(
    store: Any, root: str, clock: Any
) -> None:
    squat = store.add_activity(
        root,
        "Squat",
        metrics=[M("weight", "kg", is_best_set=True), M("reps", "n"), M("rpe", "1-10")],
    )
    weight, reps, rpe = squat.metrics
    practise(store, squat, started=clock(), values={weight.id: 100, reps.id: 5, rpe.id: 8})
    clock.advance(minutes=30)

    edited = store.update_activity(
        squat.id,
        metrics=[
            M("reps", "reps", id=reps.id),
            M("load", "kg", is_best_set=True, id=weight.id),
            M("tempo", "s", is_multiplicative=False),
        ],
    )
    assert [(m.name, m.unit, m.sort_order) for m in edited.metrics] == [
        ("reps", "reps", 0),
        ("load", "kg", 1),
        ("tempo", "s", 2),
    ]
    assert edited.metrics[0].id == reps.id and edited.metrics[1].id == weight.id
    assert edited.metrics[2].id not in {weight.id, reps.id, rpe.id}

    with store._read(root) as s:
        # The removed metric is soft-deleted, never hard-deleted; its values stay, live.
        removed = s.execute(
            select(MetricDefinition).where(MetricDefinition.id == rpe.id),
            execution_options={INCLUDE_DELETED: True},
        ).scalar_one()
        assert removed.deleted_at == clock()
        values = {v.metric_id: v.value for v in s.execute(select(MetricValue)).scalars()}
    assert values == {weight.id: 100, reps.id: 5, rpe.id: 8}
    message = store.history(root, kind="activity_updated")[0].message
    assert "removed metric 'rpe' (its recorded values are kept)" in message

    # Even purging old deleted rows keeps a metric that recorded values still point at.
    clock.advance(days=30)
    store.purge(older_than_days=1)
    with store.engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM metric_definitions")).scalars())
    assert rpe.id in ids


def test_editing_metric_rules_reject_and_write_nothing(store: Any, root: str) -> None:
    squat = store.add_activity(root, "Squat", metrics=[M("weight", "kg"), M("reps", "n")])
    weight, reps = squat.metrics
    cases = [
        (
            Invalid,
            "at most 3 metrics",
            [M("a", "u", id=weight.id), M("b", "u"), M("c", "u"), M("d", "u")],
        ),
        (Invalid, "needs a unit", [M("weight", "", id=weight.id)]),
        (Invalid, "only one metric", [M("w", "kg", True, id=weight.id), M("r", "n", True)]),
        (Invalid, "two metrics are called", [M("x", "kg", id=weight.id), M("X", "n", id=reps.id)]),
        (
            Invalid,
            "same metric id appears twice",
            [M("a", "u", id=reps.id), M("b", "u", id=reps.id)],
        ),
        (NotFound, "'Squat' has no metric with id 'nope'", [M("a", "u", id="nope")]),
    ]
    for error, match, metrics in cases:
        rejects(store, error, match, lambda m=metrics: store.update_activity(squat.id, metrics=m))
    # A metric of another activity cannot be taken over either.
    other = store.add_activity(root, "Bench", metrics=[M("weight", "kg")])
    rejects(
        store,
        NotFound,
        "has no metric with id",
        lambda: store.update_activity(squat.id, metrics=[M("w", "kg", id=other.metrics[0].id)]),
    )


def test_editing_splits_matches_by_id_soft_deletes_the_rest(
    store: Any, root: str, clock: Any
) -> None:
    lunge = store.add_activity(
        root, "Lunge", metrics=[M("reps", "n")], splits=[S("Left"), S("Right")]
    )
    left, right = lunge.splits
    practise(store, lunge, started=clock(), values={lunge.metrics[0].id: 10}, split_id=right.id)

    edited = store.update_activity(
        lunge.id, splits=[S("R", id=right.id), S("L", id=left.id), S("Both")]
    )
    assert [(sp.name, sp.id) for sp in edited.splits][:2] == [("R", right.id), ("L", left.id)]
    assert [sp.sort_order for sp in edited.splits] == [0, 1, 2]

    rejects(
        store,
        Invalid,
        "got 1",
        lambda: store.update_activity(lunge.id, splits=[S("R", id=right.id)]),
    )

    none = store.update_activity(lunge.id, splits=[])
    assert not none.has_splits and none.splits == ()
    with store._read(root) as s:
        gone = s.execute(
            select(SplitDefinition).where(SplitDefinition.activity_id == lunge.id),
            execution_options={INCLUDE_DELETED: True},
        ).scalars()
        assert all(sp.deleted_at is not None for sp in gone)
        value_split = s.execute(select(MetricValue.split_id)).scalar_one()
    assert value_split == right.id


def test_update_activity_fields_and_events(store: Any, root: str, clock: Any) -> None:
    a = store.add_activity(root, "Scales")
    clock.advance(minutes=1)
    b = store.update_activity(
        a.id, name="Scales, all keys", description="two octaves", has_sets=True,
        metrics_multiplicative=True,
    )  # fmt: skip
    assert (b.name, b.description, b.has_sets, b.metrics_multiplicative) == (
        "Scales, all keys",
        "two octaves",
        True,
        True,
    )
    assert b.updated_at == clock() and b.created_at < b.updated_at
    assert store.history(root, kind="activity_updated")[0].message == (
        "renamed activity 'Scales' to 'Scales, all keys'"
    )
    rejects(store, Invalid, "needs a name", lambda: store.update_activity(a.id, name=" "))
    rejects(store, NotFound, "no activity", lambda: store.update_activity("nope", name="x"))
    # Nothing to change: no event.
    count = len(store.history(root, kind="activity_updated"))
    store.update_activity(a.id, name="Scales, all keys")
    assert len(store.history(root, kind="activity_updated")) == count


# --- groups --------------------------------------------------------------------------------


def test_groups_are_ordered_and_reorderable(store: Any, root: str) -> None:
    tech = store.add_group(root, "Technique", description="daily")
    rep = store.add_group(root, "Repertoire")
    sight = store.add_group(root, "Sight reading")
    assert [g.name for g in store.groups(root)] == ["Technique", "Repertoire", "Sight reading"]
    assert store.groups(root)[0].description == "daily"

    assert store.shift_group(sight.id, -1) is True
    assert [g.name for g in store.groups(root)] == ["Technique", "Sight reading", "Repertoire"]
    assert store.shift_group(tech.id, -1) is False

    store.set_group_order(root, [rep.id, tech.id, sight.id])
    groups = store.groups(root)
    assert [g.name for g in groups] == ["Repertoire", "Technique", "Sight reading"]
    assert [g.sort_order for g in groups] == [0, 1, 2]
    rejects(
        store,
        Invalid,
        "each item exactly once",
        lambda: store.set_group_order(root, [rep.id, tech.id]),
    )


def test_group_names_and_resolution(store: Any, root: str) -> None:
    rejects(store, Invalid, "needs a name", lambda: store.add_group(root, "  "))
    tech = store.add_group(root, "Technique")
    assert store.resolve_group(root, "TECHNIQUE").id == tech.id
    assert store.resolve_group(root, tech.id[:6]).id == tech.id
    renamed = store.update_group(tech.id, name="Tech", description="scales and such")
    assert (renamed.name, renamed.description) == ("Tech", "scales and such")
    rejects(store, Invalid, "needs a name", lambda: store.update_group(tech.id, name=""))
    store.add_group(root, "tech")
    with pytest.raises(Invalid, match="matches 2 groups"):
        store.resolve_group(root, "Tech")
    with pytest.raises(NotFound):
        store.resolve_group(root, "Nothing")


def test_deleting_a_group_ungroups_its_activities(store: Any, root: str) -> None:
    tech = store.add_group(root, "Technique")
    store.add_activity(root, "Loose")
    scales = store.add_activity(root, "Scales", group_id=tech.id)
    arps = store.add_activity(root, "Arpeggios", group_id=tech.id)
    assert store.groups(root)[0].activity_count == 2

    summary, ungrouped = store.preview_delete_group(tech.id)
    assert ungrouped == 2 and summary.counts == {"groups": 1}
    assert store.groups(root) != []  # a preview changes nothing

    store.delete("group", "Technique", root)
    assert store.groups(root) == []
    after = store.activities(root)
    assert [(a.name, a.group_id, a.sort_order) for a in after] == [
        ("Loose", None, 0),
        ("Scales", None, 1),
        ("Arpeggios", None, 2),
    ]
    assert {a.id for a in after} >= {scales.id, arps.id}
    # The group comes back from the trash; its former activities stay where they are.
    store.restore(tech.id, root)
    assert [g.name for g in store.groups(root)] == ["Technique"]
    assert store.groups(root)[0].activity_count == 0


# --- order, moving and listing -------------------------------------------------------------


def test_listing_order_groups_then_activities_ungrouped_last(store: Any, root: str) -> None:
    a_grp = store.add_group(root, "A")
    b_grp = store.add_group(root, "B")
    store.add_activity(root, "loose 1")
    b1 = store.add_activity(root, "b1", group_id=b_grp.id)
    store.add_activity(root, "a1", group_id=a_grp.id)
    store.add_activity(root, "a2", group_id=a_grp.id)
    store.add_activity(root, "b2", group_id=b_grp.id)
    names = [(a.group_name, a.name) for a in store.activities(root)]
    assert names == [("A", "a1"), ("A", "a2"), ("B", "b1"), ("B", "b2"), (None, "loose 1")]

    store.shift_group(b_grp.id, -1)
    assert store.shift_activity(b1.id, 1) is True
    assert store.shift_activity(b1.id, 1) is False
    names = [a.name for a in store.activities(root)]
    assert names == ["b2", "b1", "a1", "a2", "loose 1"]

    assert [a.name for a in store.activities(root, query="A")] == ["a1", "a2"]
    assert [a.name for a in store.activities(root, query="LOOSE")] == ["loose 1"]
    assert store.activities(root, query="%") == []


def test_move_activity_to_group_goes_last_and_closes_the_gap(store: Any, root: str) -> None:
    a_grp = store.add_group(root, "A")
    b_grp = store.add_group(root, "B")
    a1 = store.add_activity(root, "a1", group_id=a_grp.id)
    store.add_activity(root, "a2", group_id=a_grp.id)
    store.add_activity(root, "b1", group_id=b_grp.id)

    moved = store.move_activity_to_group(a1.id, b_grp.id)
    assert (moved.group_id, moved.group_name) == (b_grp.id, "B")
    listing = [(a.group_name, a.name, a.sort_order) for a in store.activities(root)]
    assert listing == [("A", "a2", 0), ("B", "b1", 0), ("B", "a1", 1)]
    assert store.history(root, kind="activity_moved")[0].message == "'a1' moved to group 'B'"

    loose = store.move_activity_to_group(a1.id, None)
    assert loose.group_id is None and loose.group_name is None
    # The same move through update_activity, by group name (created when missing).
    regrouped = store.update_activity(a1.id, group_name="C")
    assert regrouped.group_name == "C"
    assert [g.name for g in store.groups(root)] == ["A", "B", "C"]
    back = store.update_activity(a1.id, group_id=None)
    assert back.group_id is None


def test_times_done_and_last_done(store: Any, root: str, clock: Any) -> None:
    squat = store.add_activity(root, "Squat", metrics=[M("weight", "kg")])
    bench = store.add_activity(root, "Bench")
    first = clock()
    practise(store, squat, started=first)
    clock.advance(days=1)
    practise(store, squat, started=clock(), minutes=20)
    last_end = clock() + timedelta(minutes=20)
    clock.advance(days=1)
    doomed = practise(store, squat, started=clock())

    with store._tx(root) as s:  # a deleted instance no longer counts
        store._soft_delete(s, store._get(s, ActivityInstance, doomed))
    views = {a.name: a for a in store.activities(root)}
    assert views["Squat"].times_done == 2
    assert views["Squat"].last_done == last_end
    assert views["Bench"].times_done == 0 and views["Bench"].last_done is None
    assert store.get_activity(squat.id).times_done == 2
    assert store.resolve_activity(root, "squat").last_done == last_end

    # A running instance (no completion yet) counts from its timer's start.
    with store._tx(root) as s:
        session = store._insert(s, PracticeSession(started_at=clock()), root_id=root)
        inst = store._insert(s, ActivityInstance(session_id=session.id, activity_id=bench.id))
        store._insert(
            s, WorkInterval(session_id=session.id, instance_id=inst.id, started_at=clock())
        )
    assert store.get_activity(bench.id).last_done == clock()
    assert store.get_activity(bench.id).times_done == 1


def test_listing_uses_a_fixed_number_of_queries(store: Any, root: str, clock: Any) -> None:
    def count_queries(call: Any) -> int:
        seen: list[str] = []

        def listener(*args: Any) -> None:
            seen.append(args[2])

        event.listen(store.engine, "before_cursor_execute", listener)
        try:
            call()
        finally:
            event.remove(store.engine, "before_cursor_execute", listener)
        return len(seen)

    grp = store.add_group(root, "G")
    a = store.add_activity(root, "a", group_id=grp.id, metrics=[M("m", "u")])
    practise(store, a, started=clock())
    few = count_queries(lambda: store.activities(root))
    for i in range(8):
        b = store.add_activity(root, f"b{i}", metrics=[M("m", "u")], splits=[S("L"), S("R")])
        practise(store, b, started=clock())
    assert count_queries(lambda: store.activities(root)) == few


def test_resolve_activity(store: Any, root: str) -> None:
    a = store.add_activity(root, "Scales")
    assert store.resolve_activity(root, "SCALES").id == a.id
    assert store.resolve_activity(root, a.id[:5]).id == a.id
    store.add_activity(root, "scales")
    with pytest.raises(Invalid, match="'Scales' matches 2 activities.*Use an id prefix"):
        store.resolve_activity(root, "Scales")
    with pytest.raises(NotFound, match="no activity matches 'Chords'"):
        store.resolve_activity(root, "Chords")


def test_deleting_an_activity_takes_its_definitions(store: Any, root: str) -> None:
    a = store.add_activity(root, "Lunge", metrics=[M("reps", "n")], splits=[S("L"), S("R")])
    summary = store.delete("activity", a.id, root)
    assert summary.counts == {"activities": 1, "metrics": 1, "splits": 2}
    assert store.activities(root) == []
    store.restore(summary.batch, root)
    back = store.get_activity(a.id)
    assert len(back.metrics) == 1 and len(back.splits) == 2
