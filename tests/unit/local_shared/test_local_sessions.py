"""mesosframe.local.sessions: a process started in its own session, waited for and signalled as a group."""
import asyncio
import os
import signal
from dataclasses import dataclass, field

from mesosframe.local.sessions import SessionProcess, spawn_session


@dataclass
class Spec:
    argv: list[str]
    stdout: str
    stderr: str
    executable: str = "/bin/sh"
    cwd: str = "/"
    env: dict = field(default_factory=lambda: {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    user: str | None = None


def test_output_goes_to_the_files_and_the_process_leads_its_session(tmp_path):
    spec = Spec(["sh", "-c", "echo out; echo err >&2; ps -o sid= -p $$"], str(tmp_path / "o"), str(tmp_path / "e"))

    async def scenario():
        run = SessionProcess(await spawn_session(spec))
        return run.pid, await run.wait()
    pid, status = asyncio.run(scenario())
    out = (tmp_path / "o").read_text().split()
    assert status == 0 and out[0] == "out" and int(out[1]) == pid
    assert (tmp_path / "e").read_text() == "err\n"


def test_signal_reaches_the_group_and_is_quiet_once_it_is_gone(tmp_path):
    spec = Spec(["sh", "-c", "sleep 30 & wait"], str(tmp_path / "o"), str(tmp_path / "e"))

    async def scenario():
        run = SessionProcess(await spawn_session(spec))
        run.signal(signal.SIGTERM)
        status = await asyncio.wait_for(run.wait(), 10)
        run.signal(signal.SIGTERM)                 # the group is gone: no error
        return status
    assert asyncio.run(scenario()) == -signal.SIGTERM
