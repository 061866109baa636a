"""Pure analytics rules: local days across DST, ranges, streaks, roll-ups, bests and deltas."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fractal_tui import analytics as a
from fractal_tui.errors import Invalid

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- local days and splitting ----------------------------------------------------------------


def test_day_start_is_local_midnight_in_utc() -> None:
    assert a.day_start(date(2026, 1, 5), BERLIN) == utc(2026, 1, 4, 23)
    assert a.day_start(date(2026, 7, 5), BERLIN) == utc(2026, 7, 4, 22)
    assert a.day_start(date(2026, 1, 5), UTC) == utc(2026, 1, 5)


def test_split_within_one_day() -> None:
    assert a.split_by_day(utc(2026, 1, 5, 10), utc(2026, 1, 5, 11), UTC) == [
        (date(2026, 1, 5), 3600)
    ]


def test_split_across_midnight_is_shared_between_the_two_days() -> None:
    # 23:00-01:00 Berlin time in winter is 22:00-00:00 UTC.
    got = a.split_by_day(utc(2026, 1, 5, 22), utc(2026, 1, 6, 0), BERLIN)
    assert got == [(date(2026, 1, 5), 3600), (date(2026, 1, 6), 3600)]


def test_split_over_several_days() -> None:
    got = a.split_by_day(utc(2026, 1, 1, 12), utc(2026, 1, 3, 6), UTC)
    assert got == [(date(2026, 1, 1), 43200), (date(2026, 1, 2), 86400), (date(2026, 1, 3), 21600)]


def test_empty_or_backwards_interval_gives_nothing() -> None:
    assert a.split_by_day(utc(2026, 1, 1, 12), utc(2026, 1, 1, 12), UTC) == []
    assert a.split_by_day(utc(2026, 1, 1, 12), utc(2026, 1, 1, 11), UTC) == []


def test_dst_spring_forward_day_has_23_hours() -> None:
    # Berlin, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST.
    start, end = a.day_start(date(2026, 3, 29), BERLIN), a.day_start(date(2026, 3, 30), BERLIN)
    assert (end - start) == timedelta(hours=23)
    whole = a.split_by_day(start - timedelta(hours=1), end + timedelta(hours=1), BERLIN)
    assert whole == [
        (date(2026, 3, 28), 3600),
        (date(2026, 3, 29), 23 * 3600),
        (date(2026, 3, 30), 3600),
    ]


def test_dst_fall_back_day_has_25_hours() -> None:
    # New York, Sunday 2026-11-01: 02:00 EDT becomes 01:00 EST.
    start, end = a.day_start(date(2026, 11, 1), NEW_YORK), a.day_start(date(2026, 11, 2), NEW_YORK)
    assert (end - start) == timedelta(hours=25)
    assert a.split_by_day(start, end, NEW_YORK) == [(date(2026, 11, 1), 25 * 3600)]


def test_a_dst_week_by_local_day() -> None:
    """Each evening 23:30-00:30 local through the Berlin change of 2026-03-29."""
    intervals = []
    for offset in range(7):
        day = date(2026, 3, 26) + timedelta(days=offset)
        begin = datetime(day.year, day.month, day.day, 23, 30, tzinfo=BERLIN).astimezone(UTC)
        intervals.append((begin, begin + timedelta(hours=1)))
    days = a.seconds_by_day(intervals, utc(2026, 4, 10), BERLIN)
    # Half an hour on the evening's day, half on the next, every day of the week.
    assert days == {
        date(2026, 3, 26): 1800,
        **{date(2026, 3, 27) + timedelta(days=i): 3600 for i in range(6)},
        date(2026, 4, 2): 1800,
    }


def test_monday_session_after_dst_counts_on_monday() -> None:
    # 00:30 on Monday 2026-03-30 in Berlin is still Sunday (22:30) in UTC.
    when = utc(2026, 3, 29, 22, 30)
    assert a.local_date(when, BERLIN) == date(2026, 3, 30)
    assert a.local_date(when, UTC) == date(2026, 3, 29)
    start, end = a.DateRange(date(2026, 3, 30), date(2026, 3, 30)).bounds(BERLIN)
    assert start <= when < end


def test_seconds_by_day_clips_and_counts_a_running_interval_up_to_now() -> None:
    now = utc(2026, 1, 5, 9)
    days = a.seconds_by_day(
        [(utc(2026, 1, 4, 23), utc(2026, 1, 5, 1)), (utc(2026, 1, 5, 8), None)],
        now,
        UTC,
        lo=utc(2026, 1, 5),
    )
    assert days == {date(2026, 1, 5): 3600 + 3600}


def test_interval_seconds() -> None:
    now = utc(2026, 1, 5, 9)
    assert a.interval_seconds(utc(2026, 1, 5, 8), None, now) == 3600
    assert a.interval_seconds(utc(2026, 1, 5, 8), None, now, hi=utc(2026, 1, 5, 8, 30)) == 1800
    assert a.interval_seconds(utc(2026, 1, 5, 8), utc(2026, 1, 5, 8, 10), now, lo=now) == 0


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(min_value=0, max_value=5 * 86400),
    st.sampled_from([BERLIN, NEW_YORK, UTC, ZoneInfo("Australia/Lord_Howe")]),
)
def test_split_keeps_every_second_on_consecutive_days(
    start: datetime, length: int, tz: ZoneInfo
) -> None:
    begin = start.replace(tzinfo=UTC)
    pieces = a.split_by_day(begin, begin + timedelta(seconds=length), tz)
    assert sum(s for _, s in pieces) == pytest.approx(length, abs=1e-6)
    days = [d for d, _ in pieces]
    assert days == sorted(set(days))
    assert all((b - x).days == 1 for x, b in zip(days, days[1:], strict=False))
    if pieces:
        assert days[0] == a.local_date(begin, tz)


# --- ranges ----------------------------------------------------------------------------------


def test_preset_ranges_end_today() -> None:
    today = date(2026, 1, 5)
    assert a.preset_range("7d", today) == a.DateRange(date(2025, 12, 30), today, "7d")
    assert a.preset_range("30d", today).first == date(2025, 12, 7)
    assert a.preset_range("ALL", today) == a.DateRange(None, today, "all")
    assert a.preset_range("365d", today).describe() == "2025-01-06 to 2026-01-05"


def test_unknown_preset_and_backwards_custom_range() -> None:
    with pytest.raises(Invalid, match="unknown range '2w'"):
        a.preset_range("2w", date(2026, 1, 5))
    with pytest.raises(Invalid, match="starts .* after it ends"):
        a.custom_range(date(2026, 1, 5), date(2026, 1, 4))


def test_range_bounds_in_a_zone() -> None:
    r = a.custom_range(date(2026, 3, 29), date(2026, 3, 29))
    assert r.bounds(BERLIN) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert a.DateRange(None, date(2026, 1, 1)).bounds(UTC) == (None, utc(2026, 1, 2))


def test_days_between() -> None:
    assert a.days_between(date(2026, 2, 27), date(2026, 3, 1)) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ]


# --- streaks ---------------------------------------------------------------------------------

TODAY = date(2026, 1, 10)


def days(*numbers: int) -> list[date]:
    return [date(2026, 1, n) for n in numbers]


@pytest.mark.parametrize(
    ("practised", "current", "longest"),
    [
        ([], 0, 0),
        (days(10), 1, 1),
        (days(8, 9, 10), 3, 3),
        (days(8, 9), 2, 2),  # today not practised yet: the streak lives until tonight
        (days(7, 8), 0, 2),  # yesterday missed: over
        (days(1, 2, 3, 4, 9, 10), 2, 4),
        (days(10, 10, 9, 9), 2, 2),  # several sessions a day count once
    ],
)
def test_streaks(practised: list[date], current: int, longest: int) -> None:
    got = a.streaks(practised, TODAY)
    assert (got.current, got.longest) == (current, longest)


def test_longest_streak_reports_its_last_day() -> None:
    assert a.longest_streak(days(1, 2, 5, 6)) == (2, date(2026, 1, 6))
    assert a.longest_streak(days(1, 2, 3, 6)) == (3, date(2026, 1, 3))


def test_current_streak_ignores_future_days_and_stops_at_the_first_gap() -> None:
    read: list[date] = []

    def stream():
        for d in days(11, 10, 9, 7, 6, 5, 4):
            read.append(d)
            yield d

    assert a.current_streak(stream(), TODAY) == 2
    assert read[-1] == date(2026, 1, 7)  # stopped reading at the gap


def test_streaks_across_a_month_end() -> None:
    practised = [date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1)]
    assert a.streaks(practised, date(2026, 2, 1)) == a.Streaks(3, 3, date(2026, 2, 1))


# --- roll-ups --------------------------------------------------------------------------------

PARENTS = {"root": None, "a": "root", "a1": "a", "a2": "a", "b": "root"}


def test_rollup_adds_descendants() -> None:
    got = a.rollup(
        PARENTS, [("s1", "a1"), ("s2", "a2"), ("s3", "b")], {"s1": 10, "s2": 20, "s3": 40}, "root"
    )
    assert got["a1"] == a.RolledUp(10, 1, 10, 1)
    assert got["a"] == a.RolledUp(30, 2, 0, 0)
    assert got["root"] == a.RolledUp(70, 3, 0, 0)


def test_rollup_counts_a_session_once_per_subtree() -> None:
    got = a.rollup(PARENTS, [("s1", "a"), ("s1", "a1"), ("s1", "b")], {"s1": 10}, "root")
    assert (got["a"].seconds, got["a"].sessions) == (10, 1)
    assert (got["root"].seconds, got["root"].sessions) == (10, 1)
    assert got["b"].seconds == 10


def test_rollup_puts_unlinked_sessions_on_the_root_and_ignores_unknown_ones() -> None:
    got = a.rollup(
        PARENTS, [("s1", "a1"), ("gone", "a1"), ("s2", "deleted-goal")], {"s1": 5, "s2": 7}, "root"
    )
    assert got["root"] == a.RolledUp(12, 2, 7, 1)
    assert got["a1"] == a.RolledUp(5, 1, 5, 1)


def test_rollup_survives_a_cycle_in_bad_data() -> None:
    got = a.rollup({"x": "y", "y": "x"}, [("s", "x")], {"s": 1}, "x")
    assert got["x"].seconds == 1 and got["y"].seconds == 1


# --- bests and deltas ------------------------------------------------------------------------


def test_personal_bests() -> None:
    assert a.personal_bests([5, 7, 6, 7, 9]) == [True, True, False, False, True]
    assert a.personal_bests([60, 58, 59, 55], higher_is_better=False) == [True, True, False, True]
    assert a.personal_bests([5, 7], prior_best=6) == [False, True]


def test_mean() -> None:
    assert a.mean([1, 2, 4]) == pytest.approx(7 / 3)
    assert a.mean([]) is None
