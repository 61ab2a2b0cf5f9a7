"""Fetching CommandInfo URIs into the sandbox: paths, file:// and http://, executable, extract, output_file."""
from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
import zipfile

import pytest

from mesosframe.local.agents import FetchError
from mesosframe.local.agents.sandbox import fetch_uris

FRAMEWORK = {"id": {"value": "fw-1"}}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    source = tmp_path_factory.mktemp("src")
    (source / "hello.txt").write_text("hello\n")
    (source / "run.sh").write_text("#!/bin/sh\necho ran\n")
    with tarfile.open(source / "bundle.tgz", "w:gz") as tar:
        data = b"inside tar\n"
        info = tarfile.TarInfo("bundle/inner.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(source / "pack.zip", "w") as zipped:
        zipped.writestr("packed.txt", "inside zip\n")
    return source


@pytest.fixture(scope="module")
def http_url(files):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(files))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("uri, checks", [
    ({"value": "{src}/hello.txt"}, {"hello.txt": "hello\n"}),
    ({"value": "file://{src}/hello.txt"}, {"hello.txt": "hello\n"}),
    ({"value": "{http}/hello.txt", "output_file": "greeting"}, {"greeting": "hello\n"}),
    ({"value": "{src}/bundle.tgz"}, {"bundle/inner.txt": "inside tar\n"}),
    ({"value": "{http}/pack.zip"}, {"packed.txt": "inside zip\n", "pack.zip": None}),
    ({"value": "{src}/bundle.tgz", "extract": False}, {"bundle.tgz": None, "bundle": "absent"}),
    ({"value": "{src}/pack.zip", "executable": True}, {"pack.zip": None, "packed.txt": "absent"}),
])
def test_fetch(tmp_path, files, http_url, uri, checks):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    uri = {**uri, "value": uri["value"].format(src=files, http=http_url)}
    fetch_uris([uri], sandbox)
    for name, content in checks.items():
        if content == "absent":
            assert not (sandbox / name).exists()
        elif content is None:
            assert (sandbox / name).is_file()
        else:
            assert (sandbox / name).read_text() == content


def test_executable_flag(tmp_path, files):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    (path,) = fetch_uris([{"value": str(files / "run.sh"), "executable": True}], sandbox)
    assert path.stat().st_mode & 0o111 == 0o111


@pytest.mark.parametrize("value, fragment", [
    ("{src}/missing.txt", "failed to fetch"),
    ("{http}/missing.txt", "404"),
    ("relative/file.txt", "relative path"),
    ("ftp://example.org/x", "not supported"),
    ("{http}/", "cannot name"),
])
def test_fetch_errors(tmp_path, files, http_url, value, fragment):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    with pytest.raises(FetchError) as info:
        fetch_uris([{"value": value.format(src=files, http=http_url)}], sandbox)
    assert fragment in str(info.value)


def test_output_file_cannot_leave_the_sandbox(tmp_path, files):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    with pytest.raises(FetchError, match="leaves the sandbox"):
        fetch_uris([{"value": str(files / "hello.txt"), "output_file": "../escape"}], sandbox)


def test_task_uses_fetched_files(harness, files, http_url):
    command = {"value": "./run.sh && cat bundle/inner.txt", "uris": [
        {"value": f"{http_url}/run.sh", "executable": True}, {"value": str(files / "bundle.tgz")}]}
    harness.agent.launch_tasks(FRAMEWORK, [{"task_id": {"value": "t1"}, "name": "t1", "command": command}])
    final = harness.until_terminal("t1")
    assert final["state"] == "TASK_FINISHED"
    container = final["container_status"]["container_id"]["value"]
    sandbox = harness.agent.work_dir / "slaves/S1/frameworks/fw-1/executors/t1/runs" / container
    assert (sandbox / "stdout").read_text() == "ran\ninside tar\n"


def test_fetch_failure_fails_the_task(harness, files):
    command = {"value": "true", "uris": [{"value": str(files / "missing.bin")}]}
    harness.agent.launch_tasks(FRAMEWORK, [{"task_id": {"value": "t1"}, "name": "t1", "command": command}])
    final = harness.until_terminal("t1")
    assert harness.master.states("t1") == ["TASK_FAILED"]
    assert final["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and "missing.bin" in final["message"]
    assert final["source"] == "SOURCE_AGENT"
