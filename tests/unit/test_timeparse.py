"""Parsing typed times and dates (fractal_tui.timeparse): local time in, UTC out."""

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fractal_tui.errors import Invalid
from fractal_tui.timeparse import (
    countdown,
    format_duration,
    local_day_bounds,
    parse_date,
    parse_time,
)

NOW = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
PLUS2 = timezone(timedelta(hours=2))
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def system_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set the process's local time zone (TZ) for the test and put it back after."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


# --- parse_time ----------------------------------------------------------------------------


def test_now_is_the_given_now_in_utc() -> None:
    assert parse_time("now", NOW) == NOW
    assert parse_time("  NOW ", NOW.astimezone(PLUS2)) == NOW
    assert parse_time("now", NOW.astimezone(PLUS2)).tzinfo == UTC


def test_hh_mm_is_today_in_local_time() -> None:
    # 23:30 UTC is already the 6th at UTC+2, so "today" is the 6th there.
    assert parse_time("09:30", NOW, PLUS2) == datetime(2026, 1, 6, 7, 30, tzinfo=UTC)
    assert parse_time("9:30", NOW, PLUS2) == datetime(2026, 1, 6, 7, 30, tzinfo=UTC)
    assert parse_time("09:30", NOW, UTC) == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_a_date_is_its_local_midnight() -> None:
    assert parse_time("2026-03-01", NOW, PLUS2) == datetime(2026, 2, 28, 22, 0, tzinfo=UTC)
    assert parse_time("2026-03-01", NOW, UTC) == datetime(2026, 3, 1, tzinfo=UTC)


def test_a_date_time_without_offset_is_local_and_with_offset_is_kept() -> None:
    assert parse_time("2026-01-05T10:15", NOW, PLUS2) == datetime(2026, 1, 5, 8, 15, tzinfo=UTC)
    assert parse_time("2026-01-05 10:15:30", NOW, PLUS2) == datetime(
        2026, 1, 5, 8, 15, 30, tzinfo=UTC
    )
    assert parse_time("2026-01-05T10:15+05:00", NOW, PLUS2) == datetime(
        2026, 1, 5, 5, 15, tzinfo=UTC
    )
    assert parse_time("2026-01-05T10:15Z", NOW, PLUS2) == datetime(2026, 1, 5, 10, 15, tzinfo=UTC)


def test_a_named_zone_honours_daylight_saving() -> None:
    assert parse_time("2026-07-01T12:00", NOW, PARIS) == datetime(2026, 7, 1, 10, tzinfo=UTC)
    assert parse_time("2026-01-01T12:00", NOW, PARIS) == datetime(2026, 1, 1, 11, tzinfo=UTC)


def test_without_a_zone_the_system_rules_apply_per_instant(system_tz: object) -> None:
    system_tz("Europe/Paris")  # type: ignore[operator]
    assert parse_time("2026-07-01T12:00", NOW) == datetime(2026, 7, 1, 10, tzinfo=UTC)
    assert parse_time("2026-01-01T12:00", NOW) == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert parse_time("2026-07-01", NOW) == datetime(2026, 6, 30, 22, tzinfo=UTC)
    system_tz("UTC")  # type: ignore[operator]
    assert parse_time("08:00", NOW) == datetime(2026, 1, 5, 8, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_any_iso_date_time_comes_back_as_aware_utc(naive: datetime) -> None:
    naive = naive.replace(microsecond=0)
    parsed = parse_time(naive.isoformat(), NOW, PLUS2)
    assert parsed.tzinfo == UTC
    assert parsed == naive.replace(tzinfo=PLUS2)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "25:00", "12:60", "yesterday", "2026-13-01", "2026-02-30", "10h30", "12:3"],
)
def test_unreadable_times_are_invalid_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_time(text, NOW, PLUS2)
    assert "HH:MM" in err.value.message and "ISO 8601" in err.value.message


# --- parse_date ----------------------------------------------------------------------------


def test_parse_date() -> None:
    assert parse_date("2026-06-30") == date(2026, 6, 30)
    assert parse_date(" 2026-06-30 ") == date(2026, 6, 30)


@pytest.mark.parametrize("text", ["", "tomorrow", "30/06/2026", "2026-06-31", "2026-6"])
def test_parse_date_rejects_other_forms(text: str) -> None:
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        parse_date(text)


# --- format_duration and countdown ---------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (59.9, "0:59"),
        (61, "1:01"),
        (600, "10:00"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3723, "1:02:03"),
        (36000 + 5, "10:00:05"),
        (-30, "0:00"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_countdown() -> None:
    today = date(2026, 1, 5)
    assert countdown(today, today) == "today"
    assert countdown(date(2026, 1, 6), today) == "in 1d"
    assert countdown(date(2026, 2, 4), today) == "in 30d"
    assert countdown(date(2026, 1, 2), today) == "3d overdue"


# --- local_day_bounds ----------------------------------------------------------------------


def test_local_day_bounds_of_an_ordinary_day() -> None:
    start, end = local_day_bounds(date(2026, 1, 5), PLUS2)
    assert start == datetime(2026, 1, 4, 22, tzinfo=UTC)
    assert end == datetime(2026, 1, 5, 22, tzinfo=UTC)
    assert start.tzinfo == UTC and end.tzinfo == UTC


def test_local_day_bounds_across_daylight_saving() -> None:
    spring = local_day_bounds(date(2026, 3, 29), PARIS)
    autumn = local_day_bounds(date(2026, 10, 25), PARIS)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert spring[0] == datetime(2026, 3, 28, 23, tzinfo=UTC)


def test_local_day_bounds_in_the_system_zone(system_tz: object) -> None:
    system_tz("Europe/Paris")  # type: ignore[operator]
    start, end = local_day_bounds(date(2026, 10, 25))
    assert end - start == timedelta(hours=25)
    assert start == datetime(2026, 10, 24, 22, tzinfo=UTC)
