"""A base URL that cannot work is refused up front with a message naming where it came from:
OPENAI_BASE_URL exits 2 (the environment is the command line's), the file's value exits 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.errors import SetupError, UsageError
from gptkit.providers.client import check_base_url

RUNNER = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
BAD = ["localhost:4000", "http://[::1/v1", "http://localhost:99999/v1", "ftp://host/v1",
       "http:///v1", "http://localhost:0/v1"]


def run(file: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    environ.update(OPENAI_API_KEY="k", GPTKIT_TEST_RETRIES="0", **env)
    return subprocess.run([sys.executable, "-m", "gptkit", "run", file, "hi"], capture_output=True,
                          text=True, env=environ, input="", timeout=60)


@pytest.mark.parametrize("value", BAD)
def test_a_bad_openai_base_url_is_a_command_line_error(value: str) -> None:
    result = run(RUNNER, OPENAI_BASE_URL=value)
    assert result.returncode == 2, result.stderr
    assert "OPENAI_BASE_URL" in result.stderr and repr(value) in result.stderr
    assert "internal error" not in result.stderr and "retr" not in result.stderr


def test_a_url_without_a_scheme_gets_the_fix_suggested() -> None:
    result = run(RUNNER, OPENAI_BASE_URL="localhost:4000")
    assert "for example http://localhost:4000" in result.stderr


@pytest.mark.parametrize("value", ["localhost:4000", "http://[::1/v1", "http://localhost:99999/v1"])
def test_a_bad_base_url_in_the_file_is_an_input_error(value: str, tmp_path: Path) -> None:
    file = tmp_path / "assistant.yaml"
    file.write_text(f"version: 1\nname: bad-url\nmodel:\n  name: gpt-4o-mini\n"
                    f"  base_url: \"{value}\"\ninstructions: Be brief.\n")
    result = run(str(file))
    assert result.returncode == 1, result.stderr
    assert "base_url" in result.stderr and "internal error" not in result.stderr


def test_the_checker_keeps_good_urls_and_names_the_source_of_bad_ones() -> None:
    assert check_base_url(" http://127.0.0.1:8080/v1/ ", "x", UsageError) == "http://127.0.0.1:8080/v1"
    assert check_base_url("https://[::1]:4000/v1", "x", UsageError) == "https://[::1]:4000/v1"
    with pytest.raises(SetupError, match="^the environment variable OPENAI_BASE_URL"):
        check_base_url("localhost:4000", "the environment variable OPENAI_BASE_URL", SetupError)
