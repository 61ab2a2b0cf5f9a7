"""Host processes that lead their own session: how the process agent starts tasks and the executor host
starts executors (`agents/launchers.py`, `executors/launch.py`).

`spawn_session(spec)` starts `spec.argv` (with `spec.executable`, `cwd`, `env`, `user`; stdin from
/dev/null, stdout/stderr appended to the spec's files) as the leader of a new session and process group.
`SessionProcess` wraps the started process: `pid`, `wait()` (exit status; negative = killed by that
signal) and `signal(signum)` for its whole process group, ignoring processes that are already gone.
"""
from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mesosframe.local.agents.launchers import LaunchSpec

__all__ = ["SessionProcess", "spawn_session"]


async def spawn_session(spec: LaunchSpec) -> asyncio.subprocess.Process:
    """Start the process `spec` describes in a new session. Raises OSError (or ValueError) if it cannot."""
    with open(spec.stdout, "ab") as out, open(spec.stderr, "ab") as err:
        return await asyncio.create_subprocess_exec(
            *spec.argv, executable=spec.executable, stdin=asyncio.subprocess.DEVNULL, stdout=out,
            stderr=err, cwd=spec.cwd, env=spec.env, start_new_session=True, user=spec.user)


class SessionProcess:
    """A started host process that leads its own session and process group; signals go to the group."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pid = process.pid

    async def wait(self) -> int:
        """Wait until the process exits; its status (negative: killed by that signal)."""
        return await self.process.wait()

    def signal(self, signum: int) -> None:
        """Send `signum` to the process group; no error if it is gone."""
        try:
            os.killpg(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
