"""TickPacing: a step when idle only once `factor` times the last step's cost has passed since it ended."""
from __future__ import annotations

import pytest

from schedulers.longrun.pacing import TickPacing


@pytest.mark.parametrize("ran, now, factor, allowed", [
    (None, 0.0, 3.0, True),                # never stepped
    ((10.0, 10.004), 10.017, 3.0, True),   # 4 ms step, 13 ms since: paced enough
    ((10.0, 10.004), 10.015, 3.0, False),  # 11 ms since: too soon
    ((10.0, 10.050), 10.100, 3.0, False),  # a 50 ms step (many kills) waits 150 ms
    ((10.0, 10.050), 10.201, 3.0, True),
    ((10.0, 10.010), 10.011, 0.0, True),   # factor 0: never paced
    ((10.0, 9.0), 9.0, 3.0, True),         # a clock that went back counts as no cost
])
def test_a_step_is_allowed_after_factor_times_its_cost(ran, now, factor, allowed):
    pacing = TickPacing(factor=factor)
    if ran is not None:
        pacing.ran(*ran)
    assert pacing.allows(now) is allowed
