"""Store: fractals and the goal tree, with the built-in rules (root_id, order, audit, errors)."""

from datetime import date
from typing import Any

import pytest
from sqlmodel import SQLModel

from fractal_tui.errors import Invalid, NotFound


def db_state(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, to prove that a rejected call wrote nothing."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(t.select()))
            for t in SQLModel.metadata.sorted_tables
        }


def refused(engine: Any, error: type[Exception], call: Any, *args: Any, **kw: Any) -> str:
    """The call raises `error` and the database is exactly as before."""
    before = db_state(engine)
    with pytest.raises(error) as info:
        call(*args, **kw)
    assert db_state(engine) == before
    return str(info.value)


@pytest.fixture
def tree(store: Any) -> dict[str, Any]:
    """Piano > Bach (long-term) > Prelude, Fugue (mid-term) > Subject (short-term); Scales."""
    root = store.create_fractal("Piano")
    bach = store.add_goal(root.id, "Bach")
    prelude = store.add_goal(bach.id, "Prelude")
    fugue = store.add_goal(bach.id, "Fugue")
    subject = store.add_goal(fugue.id, "Subject")
    scales = store.add_goal(root.id, "Scales", level=3)
    return {
        "root": root,
        "bach": bach,
        "prelude": prelude,
        "fugue": fugue,
        "subject": subject,
        "scales": scales,
    }


def children(store: Any, root_id: str, parent_id: str) -> list[str]:
    return [g.name for g in store.goals(root_id) if g.parent_id == parent_id]


# --- fractals and root_id ------------------------------------------------------------------


def test_a_fractal_is_its_own_root(store: Any) -> None:
    fractal = store.create_fractal("Piano", description="d", deadline=date(2030, 1, 1))
    assert fractal.root_id == fractal.id
    assert fractal.parent_id is None and fractal.level == 0 and fractal.is_root
    assert store.get_goal(fractal.id).deadline == date(2030, 1, 1)
    assert [e.kind for e in store.history(fractal.id)] == ["fractal_created"]


def test_root_id_comes_from_the_parent_at_every_depth(store: Any, tree: Any) -> None:
    root_id = tree["root"].id
    for key in ("bach", "prelude", "fugue", "subject", "scales"):
        goal = store.get_goal(tree[key].id)
        parent = store.get_goal(goal.parent_id)
        assert goal.root_id == parent.root_id == root_id


def test_a_second_fractal_gets_its_own_root(store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    goal = store.add_goal(other.id, "5k")
    assert goal.root_id == other.id != tree["root"].id


@pytest.mark.parametrize(
    ("name", "says"),
    [("", "needs a name"), ("  ", "needs a name"), ("a\tb", "control"), ("x" * 501, "500")],
)
def test_create_fractal_refuses_bad_names(engine: Any, store: Any, name: str, says: str) -> None:
    assert says in refused(engine, Invalid, store.create_fractal, name)


@pytest.mark.parametrize("level", [-1, 7])
def test_create_fractal_refuses_a_level_out_of_range(engine: Any, store: Any, level: int) -> None:
    assert "between 0 and 6" in refused(engine, Invalid, store.create_fractal, "X", level=level)


def test_list_fractals_counts(store: Any, clock: Any, tree: Any) -> None:
    store.complete_goal(tree["subject"].id)
    clock.advance(minutes=3)
    other = store.create_fractal("Run")
    by_name = {f.name: f for f in store.list_fractals()}
    assert by_name["Piano"].goal_count == 5
    assert by_name["Piano"].completed_count == 1
    assert by_name["Piano"].completion_pct == 20.0
    assert by_name["Piano"].active_session_id is None
    assert by_name["Run"].goal_count == 0 and by_name["Run"].completion_pct == 0.0
    assert by_name["Run"].last_activity == clock.now
    assert by_name["Run"].last_activity.tzinfo is not None
    assert by_name["Run"].id == other.id


def test_resolve_fractal(store: Any, clock: Any) -> None:
    with pytest.raises(Invalid, match="add-fractal"):
        store.resolve_fractal(None)
    piano = store.create_fractal("Piano")
    assert store.resolve_fractal(None).id == piano.id  # the only one
    clock.advance(minutes=1)
    run = store.create_fractal("Run")
    assert store.resolve_fractal(None).id == run.id  # the one used last
    clock.advance(minutes=1)
    store.add_goal(piano.id, "Bach")
    assert store.resolve_fractal(None).id == piano.id
    assert store.resolve_fractal("run").id == run.id
    assert store.resolve_fractal(run.id[:5]).id == run.id
    bach = store.resolve_goal(piano.id, "Bach")
    with pytest.raises(NotFound):
        store.resolve_fractal(bach.id)  # a goal inside a fractal is not a fractal


# --- add_goal ------------------------------------------------------------------------------


def test_add_goal_levels_default_and_may_skip(store: Any, tree: Any) -> None:
    assert tree["bach"].level == 1
    assert tree["prelude"].level == 2
    assert tree["subject"].level == 3
    assert tree["scales"].level == 3  # skipped long-term and mid-term
    nano = store.add_goal(tree["scales"].id, "C major", level=6)
    assert nano.level == 6


@pytest.mark.parametrize("level", [0, 1, 2])
def test_a_goal_whose_level_is_not_below_its_parent_is_refused(
    engine: Any, store: Any, tree: Any, level: int
) -> None:
    message = refused(engine, Invalid, store.add_goal, tree["prelude"].id, "X", level=level)
    assert "cannot sit under a mid-term goal" in message


def test_add_goal_errors_leave_the_database_unchanged(engine: Any, store: Any, tree: Any) -> None:
    refused(engine, NotFound, store.add_goal, "no-such-id", "X")
    refused(engine, Invalid, store.add_goal, tree["bach"].id, "")
    refused(engine, Invalid, store.add_goal, tree["bach"].id, "bad\x00name")
    refused(engine, Invalid, store.add_goal, tree["bach"].id, "X", level=7)
    nano = store.add_goal(tree["scales"].id, "Nano", level=6)
    assert "lowest level" in refused(engine, Invalid, store.add_goal, nano.id, "X")


def test_add_goal_under_a_deleted_parent_is_refused(engine: Any, store: Any, tree: Any) -> None:
    store.delete_goal(tree["fugue"].id)
    refused(engine, NotFound, store.add_goal, tree["fugue"].id, "X")


def test_add_sibling(store: Any, tree: Any) -> None:
    gigue = store.add_sibling(tree["fugue"].id, "Gigue")
    assert gigue.parent_id == tree["bach"].id and gigue.level == tree["fugue"].level
    with pytest.raises(Invalid, match="no siblings"):
        store.add_sibling(tree["root"].id, "X")


def test_goal_names_resolve_within_one_fractal(store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    marathon = store.add_goal(other.id, "Marathon")
    piano_id = tree["root"].id
    assert store.resolve_goal(piano_id, "bach").id == tree["bach"].id
    assert store.resolve_goal(piano_id, "PIANO").id == piano_id  # the root by its name
    assert store.resolve_goal(piano_id, tree["bach"].id[:4]).id == tree["bach"].id
    for ref in ("Marathon", marathon.id, marathon.id[:8], "Run"):
        with pytest.raises(NotFound):
            store.resolve_goal(piano_id, ref)


def test_an_ambiguous_goal_name_lists_the_candidates(store: Any, tree: Any) -> None:
    twin = store.add_goal(tree["scales"].id, "Fugue")
    with pytest.raises(Invalid) as err:
        store.resolve_goal(tree["root"].id, "fugue")
    assert tree["fugue"].id[:8] in err.value.message and twin.id[:8] in err.value.message


def test_goals_of_one_fractal_never_include_another(store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    store.add_goal(other.id, "Marathon")
    piano = store.goals(tree["root"].id)
    assert {g.root_id for g in piano} == {tree["root"].id}
    assert "Marathon" not in {g.name for g in piano}
    assert {g.name for g in store.goals(other.id)} == {"Run", "Marathon"}


def test_goals_without_completed(store: Any, tree: Any) -> None:
    store.complete_goal(tree["prelude"].id)
    open_names = {g.name for g in store.goals(tree["root"].id, include_completed=False)}
    assert "Prelude" not in open_names and "Fugue" in open_names


# --- ordering ------------------------------------------------------------------------------


def test_new_goals_go_last_among_their_siblings(store: Any, tree: Any) -> None:
    bach = tree["bach"]
    gigue = store.add_goal(bach.id, "Gigue")
    assert [tree["prelude"].sort_order, tree["fugue"].sort_order, gigue.sort_order] == [0, 1, 2]
    assert tree["scales"].sort_order == 1  # siblings are per parent
    assert tree["subject"].sort_order == 0
    assert children(store, tree["root"].id, bach.id) == ["Prelude", "Fugue", "Gigue"]


def test_shift_and_place_reorder_siblings(store: Any, tree: Any) -> None:
    root_id, bach = tree["root"].id, tree["bach"]
    gigue = store.add_goal(bach.id, "Gigue")
    assert store.shift_goal(gigue.id, -1) is True
    assert children(store, root_id, bach.id) == ["Prelude", "Gigue", "Fugue"]
    assert store.shift_goal(gigue.id, -5) is True
    assert children(store, root_id, bach.id) == ["Gigue", "Prelude", "Fugue"]
    assert store.shift_goal(gigue.id, -1) is False  # already first
    store.place_goal(gigue.id, after=tree["fugue"].id)
    assert children(store, root_id, bach.id) == ["Prelude", "Fugue", "Gigue"]
    store.place_goal(gigue.id, before=tree["fugue"].id)
    assert children(store, root_id, bach.id) == ["Prelude", "Gigue", "Fugue"]
    orders = sorted(g.sort_order for g in store.goals(root_id) if g.parent_id == bach.id)
    assert orders == [0, 1, 2]  # rewritten densely


def test_place_goal_errors_leave_the_order(engine: Any, store: Any, tree: Any) -> None:
    refused(engine, Invalid, store.place_goal, tree["fugue"].id, before=tree["scales"].id)
    refused(engine, Invalid, store.place_goal, tree["fugue"].id)
    refused(
        engine,
        Invalid,
        store.place_goal,
        tree["fugue"].id,
        before=tree["prelude"].id,
        after=tree["prelude"].id,
    )


# --- audit times ---------------------------------------------------------------------------


def test_updated_at_moves_on_change_and_created_at_does_not(
    store: Any, clock: Any, tree: Any
) -> None:
    created = tree["fugue"].created_at
    clock.advance(minutes=10)
    changed = store.update_goal(tree["fugue"].id, description="four voices")
    assert changed.created_at == created
    assert changed.updated_at == clock.now > created
    clock.advance(minutes=10)
    same = store.update_goal(tree["fugue"].id, description="four voices")  # no change
    assert same.updated_at == changed.updated_at
    clock.advance(minutes=10)
    done = store.complete_goal(tree["fugue"].id)
    assert done.updated_at == clock.now and done.created_at == created


def test_reordering_touches_only_rows_whose_order_changes(
    store: Any, clock: Any, tree: Any
) -> None:
    root_id, bach = tree["root"].id, tree["bach"]
    gigue = store.add_goal(bach.id, "Gigue")
    clock.advance(minutes=1)
    store.shift_goal(gigue.id, -1)  # swaps Gigue and Fugue; Prelude stays first
    by_name = {g.name: g for g in store.goals(root_id)}
    assert by_name["Gigue"].updated_at == clock.now
    assert by_name["Fugue"].updated_at == clock.now
    assert by_name["Prelude"].updated_at < clock.now


# --- update, move, edit --------------------------------------------------------------------


def test_update_goal_level_must_stay_between_parent_and_children(
    engine: Any, store: Any, tree: Any
) -> None:
    assert store.update_goal(tree["prelude"].id, level=5).level == 5
    assert "cannot sit under" in refused(
        engine, Invalid, store.update_goal, tree["fugue"].id, level=1
    )
    assert "cannot keep a short-term child" in refused(
        engine, Invalid, store.update_goal, tree["fugue"].id, level=3
    )
    assert "between 0 and 6" in refused(
        engine, Invalid, store.update_goal, tree["root"].id, level=9
    )
    refused(engine, Invalid, store.update_goal, tree["fugue"].id, name="")
    refused(engine, NotFound, store.update_goal, "nope", name="X")


def test_move_goal_with_its_subtree(store: Any, tree: Any) -> None:
    moved = store.move_goal(tree["fugue"].id, tree["root"].id)
    assert moved.parent_id == tree["root"].id
    assert store.get_goal(tree["subject"].id).parent_id == tree["fugue"].id
    assert children(store, tree["root"].id, tree["root"].id) == ["Bach", "Scales", "Fugue"]


def test_move_goal_errors_leave_the_database_unchanged(engine: Any, store: Any, tree: Any) -> None:
    other = store.create_fractal("Run")
    assert "under itself" in refused(
        engine, Invalid, store.move_goal, tree["bach"].id, tree["subject"].id
    )
    assert "under itself" in refused(
        engine, Invalid, store.move_goal, tree["bach"].id, tree["bach"].id
    )
    assert "cannot sit under" in refused(
        engine, Invalid, store.move_goal, tree["fugue"].id, tree["scales"].id
    )
    assert "root" in refused(engine, Invalid, store.move_goal, tree["root"].id, other.id)
    assert "own fractal" in refused(engine, Invalid, store.move_goal, tree["bach"].id, other.id)


def test_edit_goal_applies_everything_in_one_go(store: Any, clock: Any, tree: Any) -> None:
    root_id = tree["root"].id
    store.add_goal(tree["scales"].id, "C major", level=5)
    clock.advance(minutes=1)
    edited = store.edit_goal(
        tree["prelude"].id,
        name="Prelude in C",
        description="BWV 846",
        deadline=date(2026, 5, 1),
        level=4,
        parent_id=tree["scales"].id,
        before=store.resolve_goal(root_id, "C major").id,
        complete_with_children=True,
    )
    assert edited.name == "Prelude in C" and edited.level == 4
    assert edited.parent_id == tree["scales"].id
    assert edited.deadline == date(2026, 5, 1) and edited.complete_with_children
    assert children(store, root_id, tree["scales"].id) == ["Prelude in C", "C major"]
    assert edited.updated_at == clock.now
    assert store.edit_goal(tree["prelude"].id, deadline=None).deadline is None


def test_edit_goal_offset_moves_among_siblings(store: Any, tree: Any) -> None:
    store.edit_goal(tree["fugue"].id, offset=-1)
    assert children(store, tree["root"].id, tree["bach"].id) == ["Fugue", "Prelude"]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"name": "X", "parent_id": "no-such-id"}, "no goal"),
        ({"name": "X", "level": 1}, "cannot sit under"),
        ({"name": "X", "level": 3}, "cannot keep"),
        ({"name": "X", "level": 9}, "between 0 and 6"),
        ({"name": ""}, "needs a name"),
        ({"name": "X", "parent_id": "@subject"}, "under itself"),
        ({"name": "X", "parent_id": "@scales"}, "cannot sit under"),  # mid-term under short-term
        ({"name": "X", "before": "@scales"}, "not a sibling"),
        ({"name": "X", "after": "@fugue"}, "not a sibling"),
        ({"name": "X", "before": "@prelude", "after": "@prelude"}, "at most one"),
        ({"name": "X", "before": "@prelude", "offset": 1}, "not both"),
        ({"name": "X", "parent_id": "@other"}, "own fractal"),
    ],
)
def test_edit_goal_errors_leave_the_database_unchanged(
    engine: Any, store: Any, tree: Any, changes: dict[str, Any], says: str
) -> None:
    tree = dict(tree, other=store.create_fractal("Other"))
    resolved = {
        k: (tree[v[1:]].id if isinstance(v, str) and v.startswith("@") else v)
        for k, v in changes.items()
    }
    assert says in refused(
        engine, (Invalid, NotFound), store.edit_goal, tree["fugue"].id, **resolved
    )


def test_edit_goal_cannot_move_a_root(engine: Any, store: Any, tree: Any) -> None:
    assert "root" in refused(
        engine, Invalid, store.edit_goal, tree["root"].id, parent_id=tree["bach"].id
    )


# --- completion ----------------------------------------------------------------------------


def test_complete_and_reopen_log_events(store: Any, clock: Any, tree: Any) -> None:
    clock.advance(minutes=1)
    done = store.complete_goal(tree["prelude"].id)
    assert done.completed_at == clock.now and done.completed_by == "manual" and done.done
    assert store.complete_goal(tree["prelude"].id).completed_at == done.completed_at  # no-op
    clock.advance(minutes=1)
    reopened = store.complete_goal(tree["prelude"].id, undo=True)
    assert reopened.completed_at is None and reopened.completed_by is None
    kinds = [e.kind for e in store.history(tree["root"].id, limit=2)]
    assert kinds == ["goal_reopened", "goal_completed"]


def test_a_parent_completes_with_its_children(store: Any, tree: Any) -> None:
    store.update_goal(tree["bach"].id, complete_with_children=True)
    store.complete_goal(tree["prelude"].id)
    assert store.get_goal(tree["bach"].id).completed_at is None
    store.complete_goal(tree["fugue"].id)
    bach = store.get_goal(tree["bach"].id)
    assert bach.done and bach.completed_by == "children"
    store.complete_goal(tree["fugue"].id, undo=True)
    assert not store.get_goal(tree["bach"].id).done


def test_a_parent_completed_by_hand_stays_done_when_a_child_reopens(store: Any, tree: Any) -> None:
    store.update_goal(tree["bach"].id, complete_with_children=True)
    store.complete_goal(tree["prelude"].id)
    store.complete_goal(tree["bach"].id)  # by hand
    store.complete_goal(tree["prelude"].id, undo=True)
    assert store.get_goal(tree["bach"].id).completed_by == "manual"


def test_complete_goal_unknown(engine: Any, store: Any, tree: Any) -> None:
    refused(engine, NotFound, store.complete_goal, "nope")


# --- detail and delete ---------------------------------------------------------------------


def test_goal_detail(store: Any, tree: Any) -> None:
    detail = store.goal_detail(tree["bach"].id)
    assert detail.goal.id == tree["bach"].id
    assert detail.children_count == 2
    assert detail.session_count == 0


def test_delete_goal_takes_its_subtree(store: Any, tree: Any) -> None:
    preview = store.preview_delete_goal(tree["fugue"].id)
    assert preview.counts == {"goals": 2}
    assert store.get_goal(tree["fugue"].id).name == "Fugue"  # preview wrote nothing
    summary = store.delete_goal(tree["fugue"].id)
    assert summary.counts == {"goals": 2} and summary.kind == "goal"
    names = {g.name for g in store.goals(tree["root"].id)}
    assert names == {"Piano", "Bach", "Prelude", "Scales"}
    with pytest.raises(NotFound):
        store.get_goal(tree["subject"].id)
