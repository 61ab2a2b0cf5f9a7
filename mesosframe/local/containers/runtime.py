"""Run ContainerSpecs with runc, on an asyncio loop.

    runtime = ContainerRuntime()                      # runc from PATH, state under /run/mesosframe-runc
    result = runtime.probe()                          # ProbeResult: usable? and why not
    container = await runtime.launch(spec, image_rootfs, bundle_dir)   # returns once the process runs
    status = await container.wait()                   # ExitStatus(exit_code, signal, limitation, message)
    await container.kill(grace_period=3.0)            # SIGTERM, SIGKILL after the grace period
    await container.destroy()                         # runc delete, cgroups removed, rootfs released

`launch` runs `runc run` in the foreground with a pid file: runc stays our child, so its exit status is the
container's (128+N for signal N). The container's stdout/stderr are the sandbox files `stdout`/`stderr`;
runc's own log goes to `<bundle>/runc.log`. The memory limit sits in a parent cgroup (see `cgroups`), so an
OOM kill is reported as a `Limitation` (REASON_CONTAINER_LIMITATION_MEMORY) after the container is gone.
`destroy()` always runs `runc delete --force` and removes the cgroups and the rootfs, also after failures.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from mesosframe.local.containers.cgroups import ContainerCgroup, cgroup_layout
from mesosframe.local.containers.errors import ContainerLaunchError, RuntimeUnavailableError
from mesosframe.local.containers.rootfs import PreparedRootfs, prepare_rootfs
from mesosframe.local.containers.spec import ContainerSpec
from mesosframe.local.containers.users import ROOT, resolve_user

log = logging.getLogger("mesosframe.containers.runtime")

NAMESPACES = ("pid", "mnt", "uts", "ipc")
MEMORY_REASON = "REASON_CONTAINER_LIMITATION_MEMORY"
CONTAINER_ID = re.compile(r"^[A-Za-z0-9_+.-]{1,128}$")


@dataclass(frozen=True)
class ProbeResult:
    """Whether containers can run here; `reasons` say why not, `details` what was found."""

    usable: bool
    reasons: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)

    def require(self) -> None:
        """Raise RuntimeUnavailableError (with the reasons) unless usable."""
        if not self.usable:
            raise RuntimeUnavailableError(list(self.reasons))


@dataclass(frozen=True)
class Limitation:
    """A resource limit the container hit; `reason` is the TaskStatus reason to report."""

    resource: str
    message: str
    reason: str


@dataclass(frozen=True)
class ExitStatus:
    """How the container ended. `signal` is set when runc reported 128+N; `killed` when we killed it."""

    exit_code: int
    signal: int | None = None
    limitation: Limitation | None = None
    killed: bool = False

    @property
    def message(self) -> str:
        if self.limitation:
            return self.limitation.message
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = str(self.signal)
            return f"Command terminated with signal {name}"
        return f"Command exited with status {self.exit_code}"


class ContainerRuntime:
    """Launches containers with `runc` (root of its state `state_root`; cgroups under `/<cgroup_root>`)."""

    def __init__(self, runc: str = "runc", state_root: Path | str = "/run/mesosframe-runc",
                 cgroup_root: str = "mesosframe", rootfs_backend: str | None = None) -> None:
        self.runc = shutil.which(runc) or runc
        self.state_root = Path(state_root)
        self.cgroup_root = cgroup_root
        self.rootfs_backend = rootfs_backend

    def probe(self) -> ProbeResult:
        """Check root, runc, namespaces and cgroup v1 memory/cpu; never raises."""
        reasons: list[str] = []
        details: dict[str, str] = {}
        if os.geteuid() != 0:
            reasons.append(f"not running as root (euid {os.geteuid()}): runc needs root for namespaces and cgroups")
        runc = shutil.which(self.runc)
        if runc is None:
            reasons.append(f"runc not found ({self.runc!r}); install the runc package")
        else:
            try:
                version = subprocess.run([runc, "--version"], capture_output=True, text=True, timeout=10)
                details["runc"] = version.stdout.splitlines()[0] if version.stdout else runc
            except (OSError, subprocess.SubprocessError) as exc:
                reasons.append(f"runc at {runc} does not run: {exc}")
        missing = [ns for ns in NAMESPACES if not os.path.exists(f"/proc/self/ns/{ns}")]
        if missing:
            reasons.append(f"kernel lacks namespaces: {', '.join(missing)}")
        try:
            layout = cgroup_layout()
            details["cgroups"] = layout.description
            if layout.version != "v1":
                reasons.append(f"found {layout.description}; this runtime needs cgroup v1 (memory and cpu controllers)")
            else:
                lacking = [c for c in ("memory", "cpu") if c not in layout.v1]
                if lacking:
                    reasons.append(f"cgroup v1 controllers not mounted: {', '.join(lacking)}")
        except OSError as exc:
            reasons.append(f"cannot read the cgroup mounts: {exc}")
        return ProbeResult(not reasons, tuple(reasons), details)

    async def launch(self, spec: ContainerSpec, image_rootfs: Path, bundle: Path) -> Container:
        """Prepare rootfs, cgroup and config in `bundle`, start the container; return once it runs.

        Raises ContainerLaunchError (with runc's error) and cleans up if it does not start. The container id
        must be a valid runc id and cgroup name (letters, digits, `_+.-`).
        """
        if not CONTAINER_ID.match(spec.container_id) or spec.container_id in (".", ".."):
            raise ContainerLaunchError(f"invalid container id {spec.container_id!r}: use letters, digits and _+.-")
        container = Container(self, spec, Path(bundle))
        try:
            await container.start(image_rootfs)
        except BaseException:
            await asyncio.shield(container.destroy())
            raise
        return container

    def remove_cgroup_root(self) -> None:
        """Remove the (empty) `/<cgroup_root>` cgroups this runtime's containers lived under; keep busy ones."""
        layout = cgroup_layout()
        for mount in set(layout.v1.values()) | ({layout.unified} if layout.unified else set()):
            with contextlib.suppress(OSError):
                (mount / self.cgroup_root).rmdir()

    def runc_command(self, *args: str) -> list[str]:
        return [self.runc, "--root", str(self.state_root), *args]


class Container:
    """One container: start, wait, kill, destroy. Use `ContainerRuntime.launch` to make one."""

    def __init__(self, runtime: ContainerRuntime, spec: ContainerSpec, bundle: Path) -> None:
        self.runtime = runtime
        self.spec = spec
        self.id = spec.container_id
        self.bundle = bundle
        self.pid: int | None = None
        self.started_at: float | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._cgroup: ContainerCgroup | None = None
        self._rootfs: PreparedRootfs | None = None
        self._watcher: asyncio.Task[ExitStatus] | None = None
        self._killed = False
        self._destroyed = False

    async def start(self, image_rootfs: Path) -> None:
        """Build the bundle and run runc; return when the pid file exists (the process runs)."""
        self.bundle.mkdir(parents=True, exist_ok=True)
        self.spec.sandbox.mkdir(parents=True, exist_ok=True)
        for volume in self.spec.volumes:
            if volume.inside_sandbox:
                volume.source.mkdir(parents=True, exist_ok=True)
        backend = self.runtime.rootfs_backend
        self._rootfs = await asyncio.to_thread(prepare_rootfs, image_rootfs, self.bundle, backend)
        self._cgroup = ContainerCgroup(cgroup_layout(), self.runtime.cgroup_root, self.id)
        self._cgroup.create(self.spec.memory_limit_bytes)
        user = resolve_user(self.spec.user, self._rootfs.path)
        if user != ROOT:
            os.chown(self.spec.sandbox, user.uid, user.gid)
        config = self.spec.to_oci_config(self._rootfs.path, self._cgroup.runc_path, include_memory=False, user=user)
        (self.bundle / "config.json").write_text(json.dumps(config, indent=1))
        pid_file = self.bundle / "container.pid"
        pid_file.unlink(missing_ok=True)
        command = self.runtime.runc_command("--log", str(self.bundle / "runc.log"), "--log-format", "json",
                                            "run", "--bundle", str(self.bundle), "--pid-file", str(pid_file), self.id)
        with open(self.spec.sandbox / "stdout", "ab") as out, open(self.spec.sandbox / "stderr", "ab") as err:
            self._process = await asyncio.create_subprocess_exec(
                *command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        self._watcher = asyncio.create_task(self._watch(), name=f"container-{self.id}")
        await self._await_pid(pid_file)
        self.started_at = time.monotonic()
        log.info("container.started id=%s pid=%s", self.id, self.pid)

    async def _await_pid(self, pid_file: Path) -> None:
        assert self._process is not None
        delay = 0.001
        while True:
            if pid_file.exists():
                text = pid_file.read_text().strip()
                if text:
                    self.pid = int(text)
                    return
            if self._process.returncode is not None:
                raise ContainerLaunchError(f"container {self.id} failed to start: {self._runc_error()}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._process.wait()), delay)
            delay = min(delay * 2, 0.005)

    def _runc_error(self) -> str:
        messages = []
        with contextlib.suppress(OSError):
            for line in (self.bundle / "runc.log").read_text().splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("level") in ("error", "fatal"):
                        messages.append(entry.get("msg", ""))
        return "; ".join(messages) or f"runc exited with {self._process.returncode if self._process else '?'}"

    async def wait(self) -> ExitStatus:
        """Wait for the container's process to end; the status includes a memory limitation if one hit."""
        assert self._watcher is not None, "container not started"
        return await asyncio.shield(self._watcher)

    async def _watch(self) -> ExitStatus:
        assert self._process is not None and self._cgroup is not None
        code = await self._process.wait()
        sig = code - 128 if 128 < code < 128 + 65 else None
        limitation = None
        if self._cgroup.oom_events() > 0:
            stats = self._cgroup.memory_stats()
            limit_mb, used_mb = stats["limit"] // 2**20, stats["max_usage"] // 2**20
            limitation = Limitation("mem", f"Memory limit exceeded: Requested: {limit_mb}MB "
                                           f"Maximum Used: {used_mb}MB", MEMORY_REASON)
        status = ExitStatus(code, sig, limitation, killed=self._killed)
        log.info("container.exited id=%s code=%s limitation=%s", self.id, code, limitation and limitation.resource)
        return status

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def signal(self, sig: int) -> None:
        """Send `sig` to the container's init process (`runc kill`); no-op once it has exited."""
        if not self.running:
            return
        proc = await asyncio.create_subprocess_exec(
            *self.runtime.runc_command("kill", self.id, str(int(sig))),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = await proc.communicate()
        if proc.returncode != 0 and self.running:
            log.warning("container.signal_failed id=%s signal=%s error=%s", self.id, sig, err.decode().strip())

    async def kill(self, grace_period: float = 3.0) -> ExitStatus:
        """SIGTERM, then SIGKILL if still running after `grace_period` seconds; returns the exit status."""
        self._killed = True
        await self.signal(signal.SIGTERM)
        if self._process is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._process.wait()), grace_period)
        await self.signal(signal.SIGKILL)
        return await self.wait()

    async def destroy(self) -> None:
        """Kill what is left, `runc delete --force`, remove cgroups and rootfs. Idempotent."""
        if self._destroyed:
            return
        self._destroyed = True
        if self.running:
            await self.signal(signal.SIGKILL)
        if self._watcher is not None:
            with contextlib.suppress(Exception):
                await self._watcher
        proc = await asyncio.create_subprocess_exec(
            *self.runtime.runc_command("delete", "--force", self.id),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await proc.wait()
        if self._cgroup is not None:
            self._cgroup.destroy()
        if self._rootfs is not None:
            await asyncio.to_thread(self._rootfs.release)
        log.info("container.destroyed id=%s", self.id)
