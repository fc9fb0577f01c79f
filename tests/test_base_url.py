"""A ``model.base_url`` no HTTP client can connect to is a problem at its line, before any call.

``http://[::1/v1`` (an unclosed IPv6 bracket) and port 99999 passed ``validate`` and then gave
an internal error or a confusing retry at run time; ``localhost:4000`` (no scheme) was refused
without saying what to write.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.loading import check_file


def _file(tmp_path: Path, url: str) -> Path:
    file = tmp_path / "a.yaml"
    file.write_text(f"version: 1\nname: a\nmodel:\n  name: gpt-4o-mini\n  base_url: '{url}'\n"
                    "instructions: Hi.\n")
    return file


@pytest.mark.parametrize(("url", "message", "hint"), [
    ("http://[::1/v1", "the '[' of an IPv6 address is not closed",
     "write it as http://[::1]:4000/v1"),
    ("http://localhost:99999/v1", "the port 99999 is out of range", "a port is 1 to 65535"),
    ("http://localhost:0", "the port 0 is out of range", "a port is 1 to 65535"),
    ("http://localhost:4o00/v1", "the port '4o00' is not a number",
     "such as http://localhost:4000/v1"),
    ("https://:443/v1", "it names no host", "such as http://localhost:4000/v1"),
])
def test_a_url_no_client_can_reach_is_an_error_at_its_line(
    tmp_path: Path, url: str, message: str, hint: str
) -> None:
    problems = check_file(_file(tmp_path, url), environ={}).problems
    assert [(p.line, p.column, p.location, p.code, p.message, p.hint) for p in problems] == [
        (5, 13, "model.base_url", "url", f'"{url}" is not a valid URL: {message}', hint)]


@pytest.mark.parametrize("url", ["http://localhost:4000/v1", "http://[::1]:8080/v1",
                                 "https://api.example.com/v1?x=1", "http://127.0.0.1:65535"])
def test_good_urls_pass(tmp_path: Path, url: str) -> None:
    assert check_file(_file(tmp_path, url), environ={}).problems == []


def test_a_url_without_scheme_says_what_to_write(tmp_path: Path) -> None:
    (problem,) = check_file(_file(tmp_path, "localhost:4000"), environ={}).problems
    assert (problem.code, problem.hint) == ("pattern", "add the scheme: http://localhost:4000")


def test_render_refuses_a_bad_port_with_exit_1(tmp_path: Path) -> None:
    _file(tmp_path, "http://localhost:99999/v1")
    result = subprocess.run([sys.executable, "-m", "gptkit", "render", "a.yaml"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={"NO_COLOR": "1", "PATH": ""})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        'a.yaml:5:13: model.base_url: "http://localhost:99999/v1" is not a valid URL: '
        "the port 99999 is out of range\n")
