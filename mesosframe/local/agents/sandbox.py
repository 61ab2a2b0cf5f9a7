"""A task's sandbox: its directory, the URIs fetched into it, and the environment its command sees.

Layout, as a Mesos agent's: `<work_dir>/slaves/<agent_id>/frameworks/<fid>/executors/<executor_id>/runs/
<container_id>` plus a `runs/latest` symlink; the command's `stdout` and `stderr` files are in it.

Fetching (blocking; run it in a worker thread): URIs are absolute file paths, `file://` or `http(s)://`.
The file is named by `output_file` or the URI's last path segment. `executable: true` makes it executable
(and is never extracted); otherwise, with `extract` (default true), `.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`,
`.tbz2`, `.tar.xz`, `.txz` and `.zip` files are unpacked into the sandbox (the archive stays). `cache` is
ignored. Any failure raises `FetchError`.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import stat
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Mapping

from mesosframe.errors import MesosframeError
from mesosframe.local.protocol import AgentInfo

__all__ = ["FetchError", "sandbox_path", "make_sandbox", "fetch_uris", "task_environment", "allocation_role"]

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
FETCH_TIMEOUT = 60.0


class FetchError(MesosframeError):
    """A CommandInfo URI could not be fetched or extracted into the sandbox."""


def sandbox_path(work_dir: pathlib.Path, agent_id: str, framework_id: str, executor_id: str,
                 container_id: str) -> pathlib.Path:
    """Where a Mesos agent puts the sandbox of this executor run."""
    return (pathlib.Path(work_dir) / "slaves" / agent_id / "frameworks" / framework_id / "executors"
            / executor_id / "runs" / container_id)


def make_sandbox(path: pathlib.Path) -> None:
    """Create the sandbox directory and point `runs/latest` at it."""
    path.mkdir(parents=True, exist_ok=True)
    latest = path.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(path.name)
    except OSError:  # a concurrent run of the same executor id won the race; `latest` is a convenience
        pass


def fetch_uris(uris: list[dict], sandbox: pathlib.Path) -> list[pathlib.Path]:
    """Fetch every CommandInfo URI into `sandbox` (see the module docstring); return the fetched files."""
    return [_fetch(uri, sandbox) for uri in uris]


def _fetch(uri: dict, sandbox: pathlib.Path) -> pathlib.Path:
    value = uri.get("value", "")
    parsed = urllib.parse.urlparse(value)
    name = uri.get("output_file") or pathlib.PurePosixPath(urllib.parse.unquote(parsed.path)).name
    if not name or name in (".", ".."):
        raise FetchError(f"cannot name the file for URI {value!r}")
    target = (sandbox / name).resolve()
    if sandbox.resolve() not in target.parents:
        raise FetchError(f"output_file {name!r} leaves the sandbox")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if parsed.scheme in ("http", "https"):
            with urllib.request.urlopen(value, timeout=FETCH_TIMEOUT) as response, open(target, "wb") as out:
                shutil.copyfileobj(response, out)
        elif parsed.scheme in ("", "file"):
            source = urllib.parse.unquote(parsed.path) if parsed.scheme else value
            if not os.path.isabs(source):
                raise FetchError(f"URI {value!r} is a relative path; give an absolute path or a URL")
            shutil.copyfile(source, target)
        else:
            raise FetchError(f"URI scheme {parsed.scheme!r} of {value!r} is not supported (file, http, https)")
    except (OSError, urllib.error.URLError) as exc:
        raise FetchError(f"failed to fetch {value!r}: {exc}") from None
    if uri.get("executable", False):
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    elif uri.get("extract", True):
        _extract(target, sandbox)
    return target


def _extract(archive: pathlib.Path, sandbox: pathlib.Path) -> None:
    lower = archive.name.lower()
    try:
        if lower.endswith(_TAR_SUFFIXES):
            with tarfile.open(archive) as tar:
                tar.extractall(sandbox, filter="data")
        elif lower.endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(sandbox)
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise FetchError(f"failed to extract {archive.name!r}: {exc}") from None


def allocation_role(task: dict, framework: dict) -> str:
    """The role the task's resources were allocated to (`MESOS_ALLOCATION_ROLE`)."""
    for resource in task.get("resources", ()):
        role = resource.get("allocation_info", {}).get("role")
        if role:
            return role
    roles = framework.get("roles") or [framework.get("role") or "*"]
    return roles[0]


def task_environment(*, base: Mapping[str, str], agent: AgentInfo, framework: dict, framework_id: str,
                     task: dict, task_id: str, executor_id: str, sandbox: pathlib.Path,
                     ip: str = "127.0.0.1") -> dict[str, str]:
    """The environment of a command task: `base` (the agent's own environment, inherited as Mesos does),
    the command executor's variables, `MESOS_ALLOCATION_ROLE`, then CommandInfo.environment (which wins).
    SECRET variables are not supported and are left out."""
    env = dict(base)
    env.update({
        "MESOS_AGENT_ENDPOINT": f"{ip}:{agent.port}",
        "MESOS_SLAVE_PID": f"slave(1)@{ip}:{agent.port}",
        "MESOS_SLAVE_ID": agent.agent_id,
        "MESOS_FRAMEWORK_ID": framework_id,
        "MESOS_EXECUTOR_ID": executor_id,
        "MESOS_TASK_ID": task_id,
        "MESOS_DIRECTORY": str(sandbox),
        "MESOS_SANDBOX": str(sandbox),
        "MESOS_CHECKPOINT": "1" if framework.get("checkpoint") else "0",
        "MESOS_HTTP_COMMAND_EXECUTOR": "0",
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "5secs",
        "LIBPROCESS_PORT": "0",
        "MESOS_ALLOCATION_ROLE": allocation_role(task, framework),
    })
    for variable in task.get("command", {}).get("environment", {}).get("variables", ()):
        if variable.get("type", "VALUE") == "VALUE":
            env[variable["name"]] = variable.get("value", "")
    return env
