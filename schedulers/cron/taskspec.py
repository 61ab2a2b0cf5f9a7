"""PURE translation of a Chronos job run into what the core launches: its Demand key and its TaskSpec.

    demand_key(job, trigger_ms, attempt) -> "<job>:<trigger_ms>:<attempt>"   the slot attempt's identity
    parse_key(key) -> (job, trigger_ms, attempt) | None
    task_spec(job, run) -> TaskSpec

The key is deterministic: a new leader finds, among the core's persisted task records, the one that
fulfils a run's current attempt (records are written before their launch). Job names match
`[A-Za-z0-9_.-]+` and so never contain ':'.

Job fields used: `command` (`shell` true: `/bin/sh -c "<command> <arguments...>"`; false: argv =
`[command, *arguments]`), `cpus`/`mem`/`disk` (0 = Chronos defaults), `environmentVariables` (plus
`CHRONOS_JOB_NAME`, `CHRONOS_RESOURCE_*`, `mesos_task_id`-style run facts), `fetch`/`uris`, `runAsUser`,
`constraints` (Chronos EQUALS/LIKE/UNLIKE -> mesosframe IS/LIKE/UNLIKE), `container` (type MESOS with an image
-> a Unified Container; DOCKER images are run the same way, as mesosframe has no Docker containerizer),
`maxCompletionTime` (enforced by the engine, not here). Run arguments are appended after the job's own.
"""
from __future__ import annotations

import shlex

from mesosframe.matching import Constraint
from mesosframe.tasks.spec import Container, TaskSpec, Uri, Volume

from .job import Job
from .runs import Run

__all__ = ["demand_key", "parse_key", "task_spec"]

_OPERATORS = {"EQUALS": "IS", "LIKE": "LIKE", "UNLIKE": "UNLIKE"}


def demand_key(job: str, trigger_ms: int, attempt: int) -> str:
    return f"{job}:{trigger_ms}:{attempt}"


def parse_key(key: str) -> tuple[str, int, int] | None:
    """The (job, trigger_ms, attempt) of a key made by `demand_key`, or None for any other string."""
    parts = key.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not (parts[1] + parts[2]).isascii() or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _command(job: Job, run: Run) -> tuple[str | None, tuple[str, ...] | None]:
    arguments = [*job.arguments, *run.arguments]
    if job.shell:
        text = " ".join([job.command, *(shlex.quote(a) for a in arguments)]).strip()
        return (text or None), None
    argv = tuple(a for a in [job.command, *arguments] if a)
    return None, (argv or None)


def _container(job: Job) -> Container | None:
    if job.container is None:
        return None
    volumes = tuple(Volume(container_path=v.containerPath, host_path=v.hostPath, read_only=v.mode == "RO")
                    for v in job.container.volumes if v.hostPath)
    return Container(image=job.container.image, volumes=volumes, cached=not job.container.forcePullImage)


def task_spec(job: Job, run: Run) -> TaskSpec:
    """The TaskSpec of `run` of `job`; raises ValidationError if a constraint cannot be expressed."""
    command, argv = _command(job, run)
    resources = job.effective_resources()
    env = {v.name: v.value for v in job.environmentVariables}
    env.update({"CHRONOS_JOB_NAME": job.name, "CHRONOS_JOB_OWNER": job.owner,
                "CHRONOS_RESOURCE_CPU": str(resources["cpus"]), "CHRONOS_RESOURCE_MEM": str(resources["mem"]),
                "CHRONOS_RESOURCE_DISK": str(resources["disk"]),
                "MESOSFRAME_CRON_SLOT_MS": str(run.trigger_ms), "MESOSFRAME_CRON_ATTEMPT": str(run.attempt)})
    if job.fetch:
        uris = tuple(Uri(f.uri, executable=f.executable, extract=f.extract, cache=f.cache, output_file=f.output_file)
                     for f in job.fetch)
    else:
        uris = tuple(Uri(u) for u in job.uris)
    constraints = tuple(Constraint.parse([c[0], _OPERATORS[c[1]], c[2]], f"constraints[{i}]")
                        for i, c in enumerate(job.constraints))
    labels = {**job.labels, "mesosframe.cron/job": job.name, "mesosframe.cron/slot_ms": str(run.trigger_ms),
              "mesosframe.cron/attempt": str(run.attempt)}
    return TaskSpec(name=job.name, command=command, argv=argv, cpus=resources["cpus"], mem=resources["mem"],
                    disk=resources["disk"], env=env, uris=uris, labels=labels, container=_container(job),
                    constraints=constraints, user=job.runAsUser or None)
