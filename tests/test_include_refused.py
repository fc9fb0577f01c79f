"""An include refused at render time says what was refused and why, not a bare path.

An include whose name comes from a variable is only known when rendering; a refusal used to
print as ``gptkit: error: instructions: ../outside.txt``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

OUTSIDE = ("was refused: it leads outside the assistant's folder "
           "(includes name files inside it, without '..')")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text("not for the prompt\n")
    (folder / "link.md").symlink_to(tmp_path / "outside.txt")
    (folder / "ok.md").write_text("Included.\n")
    (folder / "a.yaml").write_text(
        "version: 1\nname: a\nmodel: {name: gpt-4o-mini}\n"
        "variables:\n  part: {type: string, default: ok.md}\n"
        "instructions: |\n  {% include vars.part %}\n")
    return folder


@pytest.mark.parametrize(("name", "message"), [
    ("../outside.txt", f"the include '../outside.txt' {OUTSIDE}"),
    ("link.md", f"the include 'link.md' {OUTSIDE}"),
    ("/etc/hostname", f"the include '/etc/hostname' {OUTSIDE}"),
    ("nope.md", "the included template 'nope.md' does not exist in the assistant's folder"),
])
def test_a_refused_include_says_what_and_why(project: Path, name: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gptkit", "render", "a.yaml", "--var", f"part={name}"],
        capture_output=True, text=True, cwd=project, timeout=120,
        env={"NO_COLOR": "1", "PATH": "", "GPTKIT_HOME": str(project / ".home")})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"gptkit: error: instructions: {message}\n"


def test_an_allowed_include_renders(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "gptkit", "render", "a.yaml"],
                            capture_output=True, text=True, cwd=project, timeout=120,
                            env={"NO_COLOR": "1", "PATH": "", "GPTKIT_HOME": str(project / ".home")})
    assert result.returncode == 0, result.stderr
    assert "Included." in result.stdout
