"""The log memo of `fractal batch`: what it keeps, and when it forgets (every commit, and
whenever the batch says so). The batch-level proof that answers never change is
tests/cli/test_cli_batch_same_as_alone.py."""

from typing import Any

import pytest
from sqlalchemy import event

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.views import MetricSpec


@pytest.fixture
def root(store: Any) -> str:
    root = store.create_fractal("Gym").id
    store.add_activity(root, "Run", metrics=(MetricSpec("distance", "km"),))
    store.add_activity(root, "Squat", has_sets=True, metrics=(MetricSpec("reps", "reps"),))
    store.start_session(root, name="Legs")
    return root


def count_statements(engine: Any, work: Any) -> int:
    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen[0]


@pytest.mark.backends("sqlite")  # the memo keeps nothing outside SQLite
def test_the_next_log_skips_the_lookups(store: Any, root: str, engine: Any) -> None:
    with store.log_memo(), store.batched(commit_every=100) as unit:
        with unit():
            store.log(root, "Squat", {"reps": 5})
        with unit():
            second = count_statements(engine, lambda: store.log(root, "Squat", {"reps": 6}))
        with unit():
            first_of_run = count_statements(engine, lambda: store.log(root, "Run", {"km": 5}))
    # Session, activity (by id and name), metrics, splits and instances are not read again.
    assert second <= first_of_run - 5
    sets = store.get_instance(store.log(root, "Squat", {"reps": 7}).instance.id).sets
    assert len(sets) == 3


@pytest.mark.backends("sqlite")  # the memo keeps nothing outside SQLite
def test_a_commit_forgets(store: Any, root: str, engine: Any) -> None:
    # After a commit another writer may get the lock first and end the session; the next
    # log must see that. (Here the "other writer" is a store call the memo is not told of.)
    with store.log_memo() as memo, store.batched(commit_every=1) as unit:
        with unit():
            store.log(root, "Run", {"km": 5})
        assert memo._kept == {}  # the unit was committed
        with unit():
            store.end_session(store.active_session(root).id)
        with pytest.raises(Conflict, match="no active session"), unit():
            store.log(root, "Run", {"km": 6})


@pytest.mark.backends("sqlite")  # the memo keeps nothing outside SQLite
def test_kept_until_forgotten(store: Any, root: str, engine: Any) -> None:
    with store.log_memo() as memo, store.batched(commit_every=100) as unit:
        with unit():
            store.log(root, "Run", {"km": 5})
        assert list(memo._kept) == [(root, "Run")]
        assert memo.fetch("x", lambda: 1) == 1 and memo.fetch("x", lambda: 2) == 1
        memo.forget()
        assert memo._kept == {} and memo.fetch("x", lambda: 2) == 2
        with unit():  # a new session, after the memo was told to forget
            store.end_session(store.active_session(root).id)
            store.start_session(root, name="Arms")
        memo.forget()
        with unit():
            result = store.log(root, "Run", {"km": 6})
    assert store.get_session(result.instance.session_id).name == "Arms"


@pytest.mark.backends("sqlite")  # the memo keeps nothing outside SQLite
def test_a_failed_log_keeps_nothing(store: Any, root: str, engine: Any) -> None:
    with store.log_memo() as memo, store.batched(commit_every=100) as unit:
        with pytest.raises(Invalid, match="there is no set 9"), unit():
            store.log(root, "Squat", {"reps": 5}, set_index=9)  # after its lookups
        assert memo._kept == {}


@pytest.mark.backends("postgresql")
def test_nothing_is_kept_outside_sqlite(store: Any, root: str, engine: Any) -> None:
    with store.log_memo() as memo:
        store.log(root, "Run", {"km": 5})
        assert memo._kept == {} and not memo.enabled
        assert memo.fetch("x", lambda: 1) == 1 and memo.fetch("x", lambda: 2) == 2
