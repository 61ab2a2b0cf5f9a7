"""Topology lab names encode their owner's pid, so stale labs can be told from live ones."""
import pytest

from mesosframe.testing.topology import lab_name_for


@pytest.mark.parametrize("pid,name", [(0, "t0"), (35, "tz"), (36, "t10"), (4194304, "t2hwcg"), (36 ** 5 - 1, "tzzzzz")])
def test_lab_name_is_t_plus_base36_pid(pid, name):
    assert lab_name_for(pid) == name
    assert int(name[1:], 36) == pid and len(name) <= 6 and name.isalnum()
