"""The rolling restart: Marathon's bounds, single steps, and bounds at every moment (hypothesis)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from schedulers.longrun.restart import InstanceView, RestartStrategy, restart_step, restart_strategy


@pytest.mark.parametrize("instances, min_hc, max_oc, running, expected", [
    (10, 1.0, 1.0, 10, (10, 20, 0)),
    (10, 0.5, 0.0, 10, (5, 10, 5)),
    (3, 1.0, 0.0, 3, (3, 4, 0)),        # min == max <= running: one extra instance
    (100, 0.07, 0.0, 100, (8, 100, 92)),  # 100 * 0.07 == 7.000000000000001 in doubles: ceil 8, as Marathon
    (5, 0.0, 0.0, 5, (0, 5, 5)),
    (4, 0.5, 0.5, 4, (2, 6, 2)),
    (3, 0.6, 0.5, 3, (2, 4, 1)),        # floor(3 * 1.5) == 4
    (3, 1.0, 0.0, 2, (3, 4, 0)),        # the extra is allowed below capacity too (differs from Marathon)
    (0, 1.0, 1.0, 2, (0, 0, 2)),
])
def test_strategy_matches_marathon(instances, min_hc, max_oc, running, expected):
    s = restart_strategy(instances, min_hc, max_oc, running)
    assert (s.min_healthy, s.max_capacity, s.kill_immediately) == expected


def test_strategy_rejects_negative_counts():
    with pytest.raises(ValueError):
        restart_strategy(-1, 1.0, 1.0, 0)


def views(prefix: str, pattern: str) -> list[InstanceView]:
    """'HHu k' style: H healthy, u unhealthy, K healthy-killing, k unhealthy-killing."""
    return [InstanceView(f"{prefix}{i}", c in "HK", c in "Kk") for i, c in enumerate(pattern)]


@pytest.mark.parametrize("strategy, target, old, new, queued, start, kill, done", [
    # minHC 1, maxOC 1, 3 instances: start 3 at once, kill nothing yet
    (RestartStrategy(3, 6, 0), 3, "HHH", "", 0, 3, (), False),
    # minHC 0.5 of 4: kill 2 healthy at once, start up to capacity 4 (4 old incl. killing)
    (RestartStrategy(2, 4, 2), 4, "HHHH", "", 0, 0, ("o0", "o1"), False),
    # one new became healthy: one old can go
    (RestartStrategy(3, 4, 0), 3, "HHH", "H", 0, 0, ("o0",), False),
    # unhealthy old killed first and only when capacity is needed
    (RestartStrategy(3, 4, 0), 3, "HHu", "", 0, 1, (), False),
    (RestartStrategy(3, 4, 0), 3, "HHu", "u", 0, 0, ("o2",), False),
    # new version complete: the remaining unhealthy old instance goes
    (RestartStrategy(2, 4, 0), 2, "u", "HH", 0, 0, ("o0",), False),
    # killing instances still take capacity
    (RestartStrategy(2, 3, 0), 2, "KK", "H", 0, 0, (), False),
    # done: no old, all new healthy
    (RestartStrategy(2, 4, 0), 2, "", "HH", 0, 0, (), True),
    # not done while a new one is unhealthy
    (RestartStrategy(2, 4, 0), 2, "", "Hu", 0, 0, (), False),
    # queued launches count as started
    (RestartStrategy(2, 4, 0), 2, "HH", "", 2, 0, (), False),
])
def test_step_table(strategy, target, old, new, queued, start, kill, done):
    step = restart_step(strategy, target, views("o", old), views("n", new), queued)
    assert (step.start, step.kill, step.done) == (start, kill, done)


def healthy_count(old, new) -> int:
    return sum(1 for i in old if i.healthy and not i.killing) + sum(1 for i in new if i.healthy)


def apply(step, old, new, queued):
    killed = set(step.kill)
    old = [InstanceView(i.id, i.healthy, i.killing or i.id in killed) for i in old]
    return old, new, queued + step.start


@settings(max_examples=150, deadline=None)
@given(instances=st.integers(1, 8), min_hc=st.sampled_from([0.0, 0.25, 0.5, 0.7, 0.9, 1.0]),
       max_oc=st.sampled_from([0.0, 0.1, 0.5, 1.0]), old_health=st.lists(st.booleans(), max_size=10),
       events=st.lists(st.integers(0, 10_000), max_size=120))
def test_bounds_hold_at_every_moment_and_restart_finishes(instances, min_hc, max_oc, old_health, events):
    strategy = restart_strategy(instances, min_hc, max_oc, len(old_health))
    old = [InstanceView(f"o{i}", h) for i, h in enumerate(old_health)]
    new: list[InstanceView] = []
    queued, seq = 0, 0
    floor = min(strategy.min_healthy, healthy_count(old, new))
    ceiling = max(strategy.max_capacity, len(old))

    def step_and_check():
        nonlocal old, new, queued
        before = healthy_count(old, new)
        step = restart_step(strategy, instances, old, new, queued)
        old, new, queued = apply(step, old, new, queued)
        assert healthy_count(old, new) >= min(strategy.min_healthy, before)
        assert healthy_count(old, new) >= floor
        assert len(old) + len(new) + queued <= ceiling
        return step.done

    def event(choice: int) -> None:
        nonlocal old, new, queued, seq
        options = []
        if queued:
            options.append("launch")
        if any(not i.healthy for i in new):
            options += ["heal", "fail"]
        if any(i.killing for i in old):
            options.append("terminate")
        if not options:
            return
        kind = options[choice % len(options)]
        if kind == "launch":
            queued, seq = queued - 1, seq + 1
            new.append(InstanceView(f"n{seq}", False))
        elif kind in ("heal", "fail"):
            sick = [i for i in new if not i.healthy]
            victim = sick[choice % len(sick)]
            new.remove(victim)
            if kind == "heal":
                new.append(InstanceView(victim.id, True))
        else:
            dying = [i for i in old if i.killing]
            old.remove(dying[choice % len(dying)])

    done = step_and_check()
    for choice in events:
        if done:
            break
        event(choice)
        done = step_and_check()
    for _ in range(200):   # then let everything succeed: the restart must finish
        if done:
            break
        queued, new = 0, new + [InstanceView(f"x{seq}-{k}", False) for k in range(queued)]
        seq += 1
        new = [InstanceView(i.id, True) for i in new]
        old = [i for i in old if not i.killing]
        done = step_and_check()
    assert done
    assert not old and sum(1 for i in new if i.healthy) >= instances
