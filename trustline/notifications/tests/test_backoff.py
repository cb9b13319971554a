"""The retry schedule, as a property of the delay function."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustline.notifications.delivery import retry_delay


@given(attempts=st.integers(min_value=1, max_value=40), jitter=st.floats(min_value=-1.0, max_value=1.0))
def test_retry_delay_doubles_from_30_seconds_with_20_percent_jitter_and_caps_at_an_hour(
    attempts: int, jitter: float
) -> None:
    base = 30 * 2 ** (attempts - 1)
    delay = retry_delay(attempts, jitter=jitter).total_seconds()
    assert delay <= 3600
    assert delay == pytest.approx(min(base * (1 + 0.2 * jitter), 3600))
    assert delay >= min(0.8 * base, 3600)
