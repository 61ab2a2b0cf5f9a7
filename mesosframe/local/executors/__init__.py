"""The agent side of the Mesos v1 executor API for the local cluster's agents (`mesosframe.local`).

Seam for an agent (everything runs on the cluster loop; nothing blocks):

    host = ExecutorHost(agent.info, master, status_sink, loop=loop, clock=clock, work_dir=work_dir,
                        launcher=None,                 # ExecutorLauncher; default: host processes
                        image_launcher=None,           # for ExecutorInfos with a container image:
                                                       # ContainerExecutorLauncher(runtime, store, bundle_root)
                        registration_timeout=60.0,     # Mesos --executor_registration_timeout
                        heartbeat_interval=1800.0)     # HEARTBEAT events to subscribed executors
    http = ExecutorHttp(host)
    agent.info.port = http.listen("127.0.0.1", 0)   # sync, on the loop (agent.start(), before registering):
                                              # binds now, serves from a task, sets host.endpoint. Or
                                              # `await http.start(ip, port)`, or mount `http.routes()` on the
                                              # agent's own app and set host.endpoint = "ip:port" yourself.

    status_sink(framework_id, status)   # the agent's: queue `status` (complete TaskStatus JSON, `uuid` base64
                                        # of 16 bytes, `timestamp`) in its StatusUpdateManager with that uuid,
                                        # keep it as the task's latest; called for executor UPDATEs and for the
                                        # host's own TASK_LOST/GONE/FAILED/KILLED reports.
    host.launch(framework, executor_info, tasks, group)   # LAUNCH with TaskInfo.executor (group=False), or
                                        # LAUNCH_GROUP (executor_info given, group=True). DEFAULT executors run
                                        # the bundled `python -m executors.group`.
    host.owns(framework_id, task_id) -> bool
    host.kill_task(framework_id, task_id, kill_policy) -> bool   # False: not an executor's task
    host.framework_message(framework_id, executor_id, data: bytes) -> bool
    host.shutdown_executor(framework_id, executor_id) -> bool
    host.shutdown_framework(framework_id)      # no updates, no FAILURE for its executors
    host.stop()                                # SIGKILL all executors (and their tasks); then
    await host.wait_stopped()                  # (reaps them before the loop closes) and `await http.stop()`

`mesosframe.local.agents.ProcessAgent` wires it this way (`executor_api=True`, its `take_status` is the sink).

The host calls `master.executor_message(...)` for executor MESSAGE calls and `master.executor_exited(...)`
when an executor process exits (not after `shutdown_framework` or `stop`). Scheduler acknowledgements stay
with the agent's StatusUpdateManager: the executor got ACKNOWLEDGED when the agent took the update.
`ExecutorLauncher` is the plug-in point for starting executors; `ContainerExecutorLauncher` (`container.py`)
runs an executor inside its ExecutorInfo's container image (runc), and `ProcessAgent` routes image executors
to it when it has `containers=ContainerOptions(...)` and a usable runtime.
"""
from __future__ import annotations

from mesosframe.local.executors.container import (
    ContainerExecutorLauncher, ContainerExecutorRun, ExecutorImageError, container_task,
)
from mesosframe.local.executors.host import EventStream, ExecutorHost, ExecutorState
from mesosframe.local.executors.http import EXECUTOR_API_PATH, BufferedStream, ExecutorHttp
from mesosframe.local.executors.launch import (
    ExecutorLauncher, ExecutorLaunchSpec, ExecutorRun, ProcessExecutorLauncher, ProcessRun, executor_argv,
)
from mesosframe.local.executors.wire import ExecutorCall, ExecutorCallError, executor_environment, parse_call

__all__ = [
    "ContainerExecutorLauncher", "ContainerExecutorRun", "ExecutorImageError", "ExecutorLaunchSpec",
    "container_task", "EXECUTOR_API_PATH", "BufferedStream", "EventStream", "ExecutorCall", "ExecutorCallError", "ExecutorHost",
    "ExecutorHttp", "ExecutorLauncher", "ExecutorRun", "ExecutorState", "ProcessExecutorLauncher", "ProcessRun",
    "executor_argv", "executor_environment", "parse_call",
]
