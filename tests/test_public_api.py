"""The public names of ``gptkit``: pinned, documented, and cheap to import."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import gptkit
import gptkit.errors

REPO = Path(__file__).resolve().parents[1]

PUBLIC = [
    "Answer",
    "Assistant",
    "ConfigError",
    "GptkitError",
    "Network",
    "Problem",
    "ProviderError",
    "Record",
    "RenderError",
    "Replay",
    "Session",
    "SetupError",
    "StoreError",
    "TextDelta",
    "ToolError",
    "ToolFinished",
    "ToolStarted",
    "TurnError",
    "UsageError",
    "__version__",
    "load",
]


def test_all_is_pinned_and_sorted() -> None:
    assert gptkit.__all__ == PUBLIC
    assert gptkit.__all__ == sorted(gptkit.__all__)


def test_dir_shows_the_public_names_only() -> None:
    assert dir(gptkit) == PUBLIC  # no Any, TYPE_CHECKING, annotations or typing


@pytest.mark.parametrize("name", [n for n in PUBLIC if n != "__version__"])
def test_every_public_name_resolves_to_its_home_and_has_its_own_docstring(name: str) -> None:
    value = getattr(gptkit, name)
    home = importlib.import_module(value.__module__)
    assert getattr(home, name) is value
    doc = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
    # a dataclass without a docstring gets "Name(field: type, ...)" made up for it
    assert doc and not doc.startswith(f"{name}("), f"gptkit.{name} has no docstring"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'gptkit' has no attribute 'Sesion'"):
        gptkit.Sesion  # noqa: B018


def test_the_exceptions_live_in_errors_and_its_docstring_draws_each_one() -> None:
    classes = {
        name: value
        for name, value in vars(gptkit.errors).items()
        if inspect.isclass(value) and issubclass(value, Exception)
    }
    public = {n for n in PUBLIC if n.endswith("Error")}
    assert set(classes) == public
    assert all(issubclass(classes[n], gptkit.GptkitError) for n in public)
    assert gptkit.GptkitError.__bases__ == (Exception,)
    doc = gptkit.errors.__doc__ or ""
    drawn = re.findall(r"^[\s│]+(?:[├└]── )?([A-Z]\w+Error)\s+\S", doc, re.MULTILINE)
    assert sorted(drawn) == sorted(public), "one line per class in the tree of gptkit/errors.py"


def test_the_readme_python_section_names_every_public_name() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    missing = [n for n in PUBLIC if not re.search(rf"\b{re.escape(n)}\b", section)]
    assert not missing, f"the README's 'From Python' section does not mention {missing}"
    for block in re.findall(r"```python\n(.*?)```", section, re.DOTALL):
        ast.parse(block)  # its examples are Python that parses


_PROBE = """
import json, sys
import gptkit
after_import = sorted(m for m in sys.modules if m.startswith("gptkit."))
third_party = sorted(
    m for m in {m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names)
    if not m.startswith("_") and m != "gptkit"
)
assistant = gptkit.load(sys.argv[1])
try:
    gptkit.load(sys.argv[2])
    problems = None
except gptkit.ConfigError as exc:
    problems = [p.code for p in exc.problems]
names = {name: type(getattr(gptkit, name)).__name__ for name in gptkit.__all__}
client = sorted(m for m in sys.modules if m.split(".")[0] in ("openai", "httpx", "httpx2"))
print(json.dumps({"after_import": after_import, "third_party": third_party,
                  "name": assistant.name, "problems": problems, "client": client}))
"""


def test_import_gptkit_is_light_and_load_never_imports_the_api_client(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\nname: good\nmodel: {name: gpt-4o-mini}\ninstructions: Hi.\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: bad\nmodel: {name: gpt-4o-mini, temperature: hot}\n")
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(good), str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["after_import"] == [] and seen["third_party"] == []  # nothing until asked
    assert seen["name"] == "good" and seen["problems"] and "type" in seen["problems"]
    assert seen["client"] == []  # every public name resolved, and still no openai or httpx
