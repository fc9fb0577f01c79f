"""The documentation stays true: its links resolve inside the repository, and its examples validate.

- Every relative link in README.md and docs/*.md names a file or folder of this repository (and,
  for a Markdown target with ``#anchor``, a heading there). Nothing links outside the checkout.
- Every ``yaml`` block of docs/format.md and README.md that is a whole assistant file (it has
  ``version:``) passes ``gptkit validate``, and every ``yaml`` block there is YAML. A block whose first line is ``# file: PATH`` (``{# file: PATH #}``
  in a ``jinja`` block) is written under that name, so examples can extend or include each other;
  the tool packages of assistants/ and examples/ sit beside the examples, as they would in a
  project.
- Every key of the assistant schema is named in docs/format.md.
- Every subcommand of ``gptkit`` has its section in docs/cli.md, naming each of its options and
  arguments; every name of ``gptkit.__all__`` and every option of ``gptkit.Session`` is in the
  README's Python section; the per-reply tool-call cap the docs state is the code's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS]
GPTKIT = [sys.executable, "-m", "gptkit"]

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_LINK = re.compile(
    r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|^\[[^\]\n]+\]:\s*(\S+)", re.M
)
_FILE_LINE = re.compile(r"^(?:#|\{#)\s*file:\s*(\S+?)\s*(?:#\})?$")


def _prose(text: str) -> str:
    """``text`` without its code blocks and inline code, where links are not links."""
    text = _FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def _links(page: Path) -> list[str]:
    return [a or b for a, b in _LINK.findall(_prose(page.read_text(encoding="utf-8")))]


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub makes for the headings of ``page``."""
    found: set[str] = set()
    for line in _FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
        anchor, n = slug, 1
        while anchor in found:
            anchor, n = f"{slug}-{n}", n + 1
        found.add(anchor)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve_inside_the_repository(page: Path) -> None:
    broken = []
    for link in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", link, re.I):  # http:, mailto: ...
            if page.name == "README.md":
                broken.append(f"{link}: the README links only to files of the repository")
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.is_relative_to(REPO):
            broken.append(f"{link}: outside the repository")
        elif not path.exists():
            broken.append(f"{link}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{link}: no heading #{anchor} in {path.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_the_readme_points_at_the_references() -> None:
    links = _links(REPO / "README.md")
    assert "docs/format.md" in links
    assert "docs/cli.md" in links


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in _FENCE.findall(page.read_text(encoding="utf-8"))]


def _project(page: Path, tmp: Path) -> list[Path]:
    """Write the examples of ``page`` into ``tmp``; return the whole assistant files."""
    for folder in [*(REPO / "assistants").iterdir(), *(REPO / "examples").iterdir()]:
        for package in folder.glob("*/__init__.py"):
            shutil.copytree(package.parent, tmp / package.parent.name, dirs_exist_ok=True)
    assistants = []
    for index, (lang, body) in enumerate(_blocks(page)):
        first = body.splitlines()[0] if body else ""
        named = _FILE_LINE.match(first)
        whole = lang == "yaml" and re.search(r"^version:", body, re.M) is not None
        if not (named or whole):
            continue
        name = named.group(1) if named else f"example-{index:02d}.yaml"
        path = tmp / name
        assert not path.exists(), f"two examples are written to {name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        if whole and not path.name.startswith("_"):
            assistants.append(path)
    return assistants


EXAMPLES = {REPO / "docs" / "format.md": 8, REPO / "README.md": 1}  # at least this many files


@pytest.mark.parametrize("page", EXAMPLES, ids=lambda p: p.name)
def test_every_yaml_block_is_yaml(page: Path) -> None:
    for lang, body in _blocks(page):
        if lang == "yaml":
            YAML(typ="safe").load(body)


@pytest.mark.parametrize("page", EXAMPLES, ids=lambda p: p.name)
def test_every_whole_assistant_file_validates(page: Path, tmp_path: Path) -> None:
    files = _project(page, tmp_path)
    assert len(files) >= EXAMPLES[page], f"{page.name} has lost its examples"
    env = {"PATH": "/usr/bin:/bin", "GPTKIT_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [*GPTKIT, "validate", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    report = json.loads(result.stdout)
    problems = [
        f"{Path(f['path']).name}:{p['line']}: {p['severity']}: {p['message']}"
        for f in report["files"]
        for p in f["problems"]
        if p["code"] != "unset-variable"
    ]
    assert result.returncode == 0 and not problems, "\n".join(problems) or result.stderr


def test_every_schema_key_is_documented() -> None:
    schema = json.loads((REPO / "schemas" / "assistant.schema.json").read_text(encoding="utf-8"))
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys.update(definition.get("properties", {}))
    text = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"docs/format.md does not name these keys: {', '.join(missing)}"


def test_every_problem_code_of_the_golden_cases_is_in_the_command_reference() -> None:
    codes: set[str] = set()
    for expected in (REPO / "tests" / "cases" / "invalid").glob("*.expected"):
        codes.update(re.findall(r"\[([a-z-]+)\]$", expected.read_text(encoding="utf-8"), re.M))
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    table = text[text.index("## Problem codes") :]
    missing = sorted(code for code in codes if f"`{code}`" not in table)
    assert not missing, f"docs/cli.md's problem codes lack: {', '.join(missing)}"


def _sections(text: str) -> dict[str, str]:
    """The text of each ``## gptkit COMMAND`` section of docs/cli.md, by command."""
    parts = re.split(r"^## gptkit (\w+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


def _subcommands() -> dict[str, object]:
    import argparse

    from gptkit.cli.main import build_parser

    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("gptkit has no subcommands")


def test_every_command_and_option_of_the_cli_is_in_its_section_of_the_reference() -> None:
    """What ``gptkit COMMAND --help`` offers is documented where a reader of that command looks:
    each subcommand has a section in docs/cli.md, and each of its options and positionals
    (``--strict``, ``MESSAGE``) is named in that section."""
    sections = _sections((REPO / "docs" / "cli.md").read_text(encoding="utf-8"))
    missing = []
    for name, parser in _subcommands().items():
        section = sections.get(name)
        if section is None:
            missing.append(f"no '## gptkit {name}' section")
            continue
        for action in parser._actions:  # type: ignore[attr-defined]
            if "-h" in action.option_strings:
                continue
            words = action.option_strings or [action.metavar or action.dest.upper()]
            if isinstance(action.metavar, tuple) or action.choices and not action.option_strings:
                words = list(action.choices)  # sessions list|show|delete, schema assistant|cassette
            missing += [f"gptkit {name}: {w}" for w in words if f"{w}" not in section]
    assert not missing, "docs/cli.md does not document: " + "; ".join(missing)


def test_every_public_name_and_session_option_is_in_the_readme() -> None:
    """``gptkit.__all__`` and the keyword options of ``gptkit.Session`` each appear in the
    README's Python section, so a name added to the API is documented where users read."""
    import inspect

    import gptkit

    text = (REPO / "README.md").read_text(encoding="utf-8")
    python = text[text.index("## From Python") : text.index("## Testing your assistant")]
    options = [
        name
        for name, p in inspect.signature(gptkit.Session).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name != "source"  # the CLI's, internal
    ]
    missing = [n for n in gptkit.__all__ if not re.search(rf"(?<![\w.]){n}\b", python)]
    missing += [n for n in options if f"`{n}`" not in python]
    assert not missing, f"README's Python section does not name: {', '.join(missing)}"


def test_the_documented_tool_call_cap_is_the_code_s() -> None:
    from gptkit.runtime.dispatch import MAX_PARALLEL_TOOL_CALLS

    for page in (REPO / "docs" / "cli.md", REPO / "docs" / "format.md", REPO / "README.md"):
        text = " ".join(page.read_text(encoding="utf-8").split())
        assert f"at most {MAX_PARALLEL_TOOL_CALLS} " in text, f"{page.name}: the per-reply cap"
