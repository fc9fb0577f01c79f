"""Paths in an assistant file are normalised, then judged by where they lead.

`instructions_file: ./prompts/system.md` was refused as "leads outside the assistant's folder",
and so was any include with a `.` segment or a doubled slash. Equivalent spellings of a path
inside must be accepted (extends, instructions_file, includes); spellings that leave the folder
(`..`, absolute, `~`, a symbolic link out) refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gptkit.loading import check_file

ASSISTANT = """\
version: 1
name: spellings
description: Checks how paths are spelt.
extends: {extends}
instructions_file: {instructions}
"""
BASE = "model:\n  name: gpt-4o-mini\n"
SYSTEM = 'You help. {{% include "{include}" %}}\n'

LEADS = ["", "./", ".//", "././", "prompts/../", "./parts/../", "parts//../"]
SEPARATORS = ["/", "//", "/./", "/.//", "/parts/../"]


@st.composite
def spelt(draw: st.DrawFn, path: str) -> str:
    """An equivalent spelling of ``path`` (inside the project): dots, doubled slashes, detours."""
    parts = path.split("/")
    text = draw(st.sampled_from(LEADS)) + parts[0]
    for part in parts[1:]:
        separator = draw(st.sampled_from(SEPARATORS))
        if separator == "/parts/../" and not (project_dir() / text / "parts").is_dir():
            separator = "/"  # a detour only through a folder that exists there
        text += separator + part
    return text


_PROJECT: list[Path] = []


def project_dir() -> Path:
    return _PROJECT[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("spellings")
    root = base / "project"
    for name, text in {
        "partials/base.yaml": BASE,
        "prompts/system.md": SYSTEM.format(include="parts/part.md"),
        "prompts/parts/.keep": "",
        "parts/part.md": "Be brief.\n",
        "partials/parts/.keep": "",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (base / "outside").mkdir()
    (base / "outside" / "part.md").write_text("Leaked.\n", encoding="utf-8")
    (base / "outside" / "base.yaml").write_text(BASE, encoding="utf-8")
    (base / "outside.md").write_text("Leaked.\n", encoding="utf-8")
    (root / "link").symlink_to(base / "outside", target_is_directory=True)
    _PROJECT[:] = [root]
    return root


def check(project: Path, *, extends: str, instructions: str, include: str) -> list[tuple[str, str]]:
    (project / "prompts" / "system.md").write_text(SYSTEM.format(include=include), "utf-8")
    file = project / "assistant.yaml"
    file.write_text(ASSISTANT.format(extends=extends, instructions=instructions), "utf-8")
    return [(p.code, p.message) for p in check_file(file).problems if p.severity == "error"]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data())
def test_equivalent_spellings_of_an_inside_path_are_accepted(
    project: Path, data: st.DataObject
) -> None:
    extends = data.draw(spelt("partials/base.yaml"))
    instructions = data.draw(spelt("prompts/system.md"))
    include = data.draw(spelt("parts/part.md"))
    assert check(project, extends=extends, instructions=instructions, include=include) == []


def outside_spellings(project: Path, name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            f"../outside/{name}",
            f"./../outside/{name}",
            f"prompts/../../outside/{name}",
            f"parts//..//../outside/{name}",
            f"link/{name}",
            f"./link//{name}",
            str(project.parent / "outside" / name),
            str(project / "parts" / "part.md"),  # absolute, even when inside
            f"~/{name}",
            f"~root/{name}",
        ]
    )


@SETTINGS
@given(data=st.data())
def test_spellings_that_leave_the_folder_are_refused(project: Path, data: st.DataObject) -> None:
    which = data.draw(st.sampled_from(["extends", "instructions", "include"]))
    good = {
        "extends": "partials/base.yaml",
        "instructions": "prompts/system.md",
        "include": "parts/part.md",
    }
    bad = data.draw(outside_spellings(project, "base.yaml" if which == "extends" else "part.md"))
    problems = check(project, **{**good, which: bad})
    codes = [code for code, _ in problems]
    assert "path-outside" in codes, problems
    # nothing of the refused file is read: with extends refused, the model it gave is missing
    allowed = {"path-outside", "missing-key"} if which == "extends" else {"path-outside"}
    assert set(codes) <= allowed, problems


def test_gptkit_render_reads_a_dot_slash_instructions_file(project: Path) -> None:
    check(
        project,
        extends="./partials/base.yaml",
        instructions="./prompts/system.md",
        include="./parts//part.md",
    )
    result = subprocess.run(
        [sys.executable, "-m", "gptkit", "render", str(project / "assistant.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
    )
    assert result.returncode == 0, result.stderr
    assert "You help. Be brief." in result.stdout
    assert "Leaked" not in result.stdout
