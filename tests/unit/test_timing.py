"""Timer arithmetic: the ledger rules and elapsed time, without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from fractal_tui import timing
from fractal_tui.errors import Conflict, Invalid
from fractal_tui.timing import Span


def t(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, second, tzinfo=UTC)


NAMES = {"a": "Scales", "b": "Bach", "c": "Etude"}
label = NAMES.__getitem__


def test_switch_closes_the_running_timer_at_the_instant_the_new_one_opens() -> None:
    ledger = timing.start((), "a", t(14, 10))
    ledger = timing.start(ledger, "b", t(14, 15), switch=True, label=label)
    a = [s for s in ledger if s.instance_id == "a"]
    b = [s for s in ledger if s.instance_id == "b"]
    assert [(s.started_at, s.ended_at) for s in a] == [(t(14, 10), t(14, 15))]
    assert [(s.started_at, s.ended_at) for s in b] == [(t(14, 15), None)]
    assert timing.instance_seconds(ledger, "a", t(14, 30)) == 300
    assert timing.instance_seconds(ledger, "b", t(14, 30)) == 900


def test_second_start_without_switch_is_a_conflict_naming_both() -> None:
    ledger = timing.start((), "a", t(14, 10))
    with pytest.raises(Conflict) as err:
        timing.start(ledger, "b", t(14, 15), label=label)
    assert "'Scales'" in err.value.message and "'Bach'" in err.value.message
    assert "switch" in err.value.message
    # the ledger given is untouched (it is immutable)
    assert ledger == (Span("a", t(14, 10)),)


def test_starting_the_running_instance_again_is_a_conflict() -> None:
    ledger = timing.start((), "a", t(14, 10))
    with pytest.raises(Conflict, match="already running"):
        timing.start(ledger, "a", t(14, 11), switch=True, label=label)


def test_switch_before_the_running_timer_started_is_invalid() -> None:
    ledger = timing.start((), "a", t(14, 10))
    with pytest.raises(Invalid, match="only started at"):
        timing.start(ledger, "b", t(14, 5), switch=True, label=label)


def test_start_in_the_past_may_not_overlap_a_closed_interval() -> None:
    ledger = timing.close(timing.start((), "a", t(14, 0)), t(14, 30))
    with pytest.raises(Conflict, match="overlap 'Scales'"):
        timing.start(ledger, "b", t(14, 20), label=label)
    # touching the end is fine
    ledger = timing.start(ledger, "b", t(14, 30), label=label)
    assert timing.running(ledger) == Span("b", t(14, 30))


def test_close_ends_the_running_interval_and_is_a_no_op_without_one() -> None:
    ledger = timing.start((), "a", t(9))
    closed = timing.close(ledger, t(9, 20))
    assert closed == (Span("a", t(9), t(9, 20)),)
    assert timing.close(closed, t(9, 30)) == closed
    with pytest.raises(Invalid):
        timing.close(ledger, t(8, 59), label=label)


def test_elapsed_sums_intervals_and_counts_a_running_one_up_to_now() -> None:
    spans = [Span("a", t(9), t(9, 10)), Span("a", t(9, 20), t(9, 25)), Span("a", t(9, 40))]
    assert timing.elapsed(spans, t(9, 45)) == 20 * 60
    # a clock behind the start never gives negative time
    assert timing.elapsed([Span("a", t(10))], t(9)) == 0


def test_pause_with_time_already_paused_then_end() -> None:
    # start 10:00, 5 min already paused, paused again at 10:20, ended at 10:30
    paused = timing.paused_total(300, t(10, 20), t(10, 30))
    assert paused == 15 * 60
    assert timing.session_duration(t(10), t(10, 30), paused) == 15 * 60


def test_session_clock_is_frozen_while_paused_and_stops_at_the_end() -> None:
    kwargs = {"paused_at": t(10, 20), "paused_seconds": 300.0}
    assert timing.session_elapsed(t(10), t(10, 25), **kwargs) == 15 * 60
    assert timing.session_elapsed(t(10), t(11, 0), **kwargs) == 15 * 60
    assert timing.session_elapsed(t(10), t(10, 30), paused_seconds=300) == 25 * 60
    ended = timing.session_elapsed(t(10), t(12), ended_at=t(10, 30), paused_seconds=600)
    assert ended == 20 * 60


def test_manual_range_end_before_start_is_invalid() -> None:
    with pytest.raises(Invalid, match="cannot end"):
        timing.check_range(t(10), t(9), t(12))


def test_manual_range_in_the_future_is_invalid() -> None:
    with pytest.raises(Invalid, match="future"):
        timing.check_range(t(10), t(13), t(12))
    with pytest.raises(Invalid, match="future"):
        timing.check_not_future(t(12, 0, 1), t(12))
    timing.check_range(t(10), t(12), t(12))  # up to now is fine


def test_replace_instance_keeps_one_interval_and_refuses_overlaps() -> None:
    ledger = (
        Span("a", t(9), t(9, 10), id="1"),
        Span("a", t(9, 20), t(9, 30), id="2"),
        Span("b", t(9, 30), t(9, 45), id="3"),
    )
    out = timing.replace_instance(ledger, "a", t(9, 0), t(9, 25), t(12), label=label)
    a = [s for s in out if s.instance_id == "a"]
    assert a == [Span("a", t(9), t(9, 25), id="1")]
    with pytest.raises(Conflict, match="'Bach'"):
        timing.replace_instance(ledger, "a", t(9), t(9, 31), t(12), label=label)
    with pytest.raises(Invalid):
        timing.replace_instance(ledger, "a", t(9, 30), t(9), t(12), label=label)


def test_replace_instance_counts_a_running_timer_up_to_now() -> None:
    ledger = (Span("b", t(11)),)
    with pytest.raises(Conflict):
        timing.replace_instance(ledger, "a", t(11, 30), t(11, 40), t(12), label=label)
    out = timing.replace_instance(ledger, "a", t(10), t(11), t(12), label=label)
    assert Span("a", t(10), t(11)) in out


def test_overlap_is_half_open() -> None:
    closed = Span("a", t(9), t(10))
    assert not timing.overlaps(t(10), t(11), closed)
    assert timing.overlaps(t(9, 59), t(11), closed)
    assert timing.overlaps(t(8), None, closed)
    assert timing.overlaps(t(12), t(13), Span("a", t(9)))


def test_outside_finds_intervals_beyond_a_session_range() -> None:
    spans = [Span("a", t(9), t(10)), Span("b", t(10), None)]
    assert timing.outside(spans, t(9), None) is None
    assert timing.outside(spans, t(9, 30), None) == spans[0]
    assert timing.outside(spans, t(9), t(11)) == spans[1]


def test_clock_text() -> None:
    assert timing.clock_text(125) == "2:05"
    assert timing.clock_text(timedelta(hours=1, seconds=3).total_seconds()) == "1:00:03"


def test_session_seconds_uses_the_stored_duration_once_ended() -> None:
    from types import SimpleNamespace

    live = SimpleNamespace(
        started_at=t(10),
        ended_at=None,
        paused_at=None,
        paused_seconds=120.0,
        duration_seconds=None,
    )
    assert timing.session_seconds(live, t(10, 30)) == 28 * 60
    ended = SimpleNamespace(**{**vars(live), "ended_at": t(10, 20), "duration_seconds": 999.0})
    assert timing.session_seconds(ended, t(12)) == 999.0
