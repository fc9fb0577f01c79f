"""A python-tool project's files never stand in for the modules gptkit and its client import.

`gptkit run` used to put the project folder first on sys.path before openai was imported, so a
project's `http.py` or `queue.py` crashed the run and its `mimetypes.py` or `idna.py` ran in
place of the real module. Also: tools are looked up beside their assistant file, whatever
`--root` says.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gptkit.testing import FakeOpenAI, call, text, tool_calls

REPO = Path(__file__).resolve().parents[1]

ASSISTANT = """\
version: 1
name: shadows
description: Adds numbers with a tool that sits among badly named files.
model:
  name: gpt-4o-mini
instructions: Use the tools.
tools:
  - name: add
    type: python
    function: tools:add
  - name: greet
    type: python
    function: kit.greet:greet
"""

TOOLS = '''\
"""Tools whose siblings are imported by absolute name, as a script's would be."""

import helpers


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return helpers.total(a, b)
'''

MARKER = """\
from pathlib import Path

Path(__file__).with_name("{name}.ran").write_text("executed")
"""


def write_project(root: Path) -> Path:
    files = {
        "assistant.yaml": ASSISTANT,
        "tools.py": TOOLS,
        "helpers.py": "def total(a: int, b: int) -> int:\n    return a + b\n",
        "kit/__init__.py": "",
        "kit/words.py": "HELLO = 'hello'\n",
        "kit/greet.py": (
            "from kit.words import HELLO\nfrom . import words\n\n\n"
            "def greet(name: str) -> str:\n"
            '    """Greet someone."""\n'
            "    assert words.HELLO is HELLO\n"
            "    return f'{HELLO}, {name}'\n"
        ),
        # unrelated files that share a name with modules the runtime imports
        "http.py": "raise RuntimeError('the project http.py was imported')\n",
        "queue.py": "raise RuntimeError('the project queue.py was imported')\n",
        "mimetypes.py": MARKER.format(name="mimetypes"),
        "idna.py": MARKER.format(name="idna"),
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root / "assistant.yaml"


def gptkit(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gptkit", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
    )


def test_project_files_named_like_runtime_modules_are_never_imported(tmp_path: Path) -> None:
    assistant = write_project(tmp_path / "project")
    script = [
        tool_calls(
            call("add", {"a": 2, "b": 3}, id="call_add"),
            call("greet", {"name": "Ana"}, id="call_greet"),
        ),
        text("2 + 3 = 5, and hello to Ana."),
    ]
    for mode in ([], ["--no-stream"]):
        with FakeOpenAI(list(script)) as server:
            result = gptkit(
                "run",
                str(assistant),
                "Add 2 and 3, greet Ana",
                *mode,
                env={
                    "OPENAI_API_KEY": "sk-test-imports-0123456789abcdef",
                    "OPENAI_BASE_URL": server.url,
                    "GPTKIT_HOME": str(tmp_path / "home"),
                },
            )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "2 + 3 = 5, and hello to Ana.\n"
        assert "Traceback" not in result.stderr
        results = {
            m["tool_call_id"]: m["content"]
            for m in server.requests[1].body["messages"]
            if m.get("role") == "tool"
        }
        assert results == {"call_add": "5", "call_greet": "hello, Ana"}
    assert not (tmp_path / "project" / "mimetypes.ran").exists()
    assert not (tmp_path / "project" / "idna.ran").exists()


def test_validate_with_a_wider_root_finds_tools_beside_their_assistant() -> None:
    result = gptkit("validate", "assistants", "--root", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no module" not in result.stdout
    examples = gptkit("validate", "examples", "--root", ".")
    assert "no module" not in examples.stdout, examples.stdout


def test_run_with_a_wider_root_finds_tools_beside_their_assistant(tmp_path: Path) -> None:
    assistant = write_project(tmp_path / "outer" / "project")
    with FakeOpenAI([tool_calls(call("add", {"a": 1, "b": 1}, id="c1")), text("2")]) as server:
        result = gptkit(
            "run",
            str(assistant),
            "1+1",
            "--root",
            str(tmp_path / "outer"),
            "--no-stream",
            env={
                "OPENAI_API_KEY": "sk-test-imports-0123456789abcdef",
                "OPENAI_BASE_URL": server.url,
                "GPTKIT_HOME": str(tmp_path / "home"),
            },
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2\n"


def test_a_refused_standard_library_target_is_quoted_whole(tmp_path: Path) -> None:
    (tmp_path / "assistant.yaml").write_text(
        ASSISTANT.split("tools:")[0] + "tools:\n  - name: shell\n    type: python\n"
        "    function: os:system\n    description: Runs a command.\n",
        encoding="utf-8",
    )
    result = gptkit("validate", str(tmp_path / "assistant.yaml"))
    assert result.returncode == 1
    assert "'os:system' names the standard-library module 'os'" in result.stdout


def test_a_library_a_tool_uses_never_gets_a_project_file(tmp_path: Path) -> None:
    """Only the project's own modules see its files by absolute name, not libraries they call."""
    from gptkit.config.models import Assistant
    from gptkit.tools.registry import build_tools

    project = tmp_path / "project"
    library = tmp_path / "lib"
    project.mkdir()
    library.mkdir()
    (library / "helperlib_xyz.py").write_text(
        "try:\n    import optional_dep_xyz\n    FOUND = True\nexcept ImportError:\n    FOUND = False\n"
    )
    (project / "optional_dep_xyz.py").write_text("raise RuntimeError('project file used')\n")
    (project / "tools.py").write_text(
        "import helperlib_xyz\n\n\ndef found() -> bool:\n"
        '    """Whether the library found its optional dependency."""\n'
        "    return helperlib_xyz.FOUND\n"
    )
    sys.path.insert(0, str(library))
    try:
        config = Assistant.model_validate(
            {
                "version": 1,
                "name": "lib",
                "model": {"name": "gpt-4o-mini"},
                "instructions": "x",
                "tools": [{"name": "found", "type": "python", "function": "tools:found"}],
            }
        )
        (tool,) = build_tools(config, project)
        assert tool.function() is False  # type: ignore[attr-defined]
    finally:
        sys.path.remove(str(library))
        for name in ("helperlib_xyz", "optional_dep_xyz"):
            sys.modules.pop(name, None)
