"""Parsing the times and dates people type: pure functions, local time in, UTC out."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from fractal_tui.errors import Invalid


def _localize(naive: datetime, tz: tzinfo | None) -> datetime:
    # Without an explicit zone, astimezone() applies the system's rules for that very
    # instant, so daylight-saving changes are honoured (a fixed offset would not be).
    return naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()


def parse_time(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """``now``, ``HH:MM`` today, an ISO date (its midnight) or date-time; local when no offset.

    Returns timezone-aware UTC.
    """
    raw = (text or "").strip()
    if not raw:
        raise Invalid("a time is empty; use now, HH:MM or an ISO 8601 date or date-time")
    if raw.lower() == "now":
        return now.astimezone(UTC)
    try:
        if len(raw) in (4, 5) and ":" in raw:
            clock = time.fromisoformat(raw.zfill(5))
            today = (now.astimezone(tz) if tz else now.astimezone()).date()
            return _localize(datetime.combine(today, clock), tz).astimezone(UTC)
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return _localize(datetime.combine(day, time()), tz).astimezone(UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = _localize(parsed, tz)
        return parsed.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"{text!r} is outside the range of times Fractal can store") from None
    except ValueError as exc:
        if "year" in str(exc) and "out of range" in str(exc):  # shifted past year 1 or 9999
            raise Invalid(f"{text!r} is outside the range of times Fractal can store") from None
        raise Invalid(
            f"cannot read {text!r} as a time; use now, HH:MM or an ISO 8601 date or date-time"
        ) from None


def parse_date(text: str) -> date:
    """An ISO date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise Invalid(f"cannot read {text!r} as a date; use YYYY-MM-DD") from None


def format_duration(seconds: float) -> str:
    """1:02:03 for an hour and more, else 2:03."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def countdown(deadline: date, today: date) -> str:
    """'in 12d', 'today', '3d overdue'."""
    days = (deadline - today).days
    if days == 0:
        return "today"
    return f"in {days}d" if days > 0 else f"{-days}d overdue"


def local_day_bounds(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """UTC start and end of a local calendar day (23 or 25 hours long across DST)."""
    start = _localize(datetime.combine(day, time()), tz)
    end = _localize(datetime.combine(day + timedelta(days=1), time()), tz)
    return start.astimezone(UTC), end.astimezone(UTC)
