"""`mesosframe jobs` fails with one clear line and exit status 1 for bad files and unreachable servers."""
from __future__ import annotations

import pytest

from mesosframe.cli import main


@pytest.mark.parametrize("content,message", [
    ("{not json", "invalid JSON at line 1"),
    ('[{"command": "x"}]', "expected a job object (with a name)"),
    (None, "cannot read"),
])
def test_bad_job_files(tmp_path, capsys, content, message):
    path = tmp_path / "job.json"
    if content is not None:
        path.write_text(content)
    assert main(["jobs", "add", str(path), "--url", "http://127.0.0.1:9"]) == 1
    assert message in capsys.readouterr().err


def test_unreachable_server(capsys):
    assert main(["jobs", "list", "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_bad_auth_option(capsys):
    assert main(["jobs", "list", "--auth-basic", "nopassfile"]) == 1
    assert "--auth-basic takes USER:PASSFILE" in capsys.readouterr().err
