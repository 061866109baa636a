"""Kind names in messages read as English."""

import pytest

from fractal_tui.kinds import with_article


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("goal", "a goal"),
        ("activity", "an activity"),
        ("instance", "an instance"),
        ("set", "a set"),
    ],
)
def test_with_article(noun: str, expected: str) -> None:
    assert with_article(noun) == expected
