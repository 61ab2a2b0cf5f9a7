"""The core authenticates to a master that requires it (HTTP Basic, principal in FrameworkInfo), and the
acknowledgements sent from its worker threads carry the credentials too."""
from mesosframe import Demand, Framework, SchedulerPlugin, TaskSpec, TaskState
from mesosframe.local.cluster import LocalCluster
from mesosframe.local.master.state_json import master_state


class Once(SchedulerPlugin):
    name = "once"

    def __init__(self) -> None:
        self.done: list[str] = []

    def demand(self, now):
        return [] if self.done else [Demand("t", TaskSpec(name="t", command="true", cpus=0.1, mem=8,
                                                                 labels={"mesosframe.sim/duration": "0.1"}))]

    def on_status(self, task, now):
        if TaskState(task.state).is_terminal:
            self.done.append(task.state)

    def is_done(self):
        return bool(self.done)


def _cluster():
    return LocalCluster(agents=0, simulated_agents=1, credentials={"fw": "s3cret"}, authenticate_frameworks=True)


def test_framework_with_the_right_secret_runs_and_acks():
    with _cluster() as cluster:
        plugin = Once()
        fw = Framework("auth", [plugin], master=cluster.master_address, principal="fw", secret="s3cret").start()
        try:
            assert fw.run_until_done(timeout=30), fw.error
            assert plugin.done == ["FINISHED"]      # its updates were acknowledged with credentials too
            state = cluster.run(master_state, cluster.master)
            assert [f["principal"] for f in state["frameworks"]] == ["fw"]
        finally:
            fw.stop(failover=False)


def test_framework_with_a_wrong_secret_is_refused_not_silently_ignored():
    with _cluster() as cluster:
        fw = Framework("auth", [Once()], master=cluster.master_address, principal="fw", secret="wrong").start()
        try:
            assert not fw.run_until_done(timeout=5)
            assert fw.error is not None and "401" in str(fw.error)
            assert cluster.run(master_state, cluster.master)["frameworks"] == []
        finally:
            fw.stop(failover=False)
