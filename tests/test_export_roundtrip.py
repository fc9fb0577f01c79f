"""`gptkit export` and the round trip: import(export(a)) gives back a for every field both
formats hold (hypothesis), and a field the target cannot hold is reported."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gptkit.formats import import_source
from gptkit.formats.export import export, write_export
from gptkit.formats.writer import write
from gptkit.loading import load

SAMPLES = Path(__file__).parent / "imports"
ROLE = re.compile(r"^[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t]*$",
                  re.I | re.M)
WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
               min_size=1, max_size=12)
LINE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
NAME = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
INSTRUCTIONS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                                     exclude_characters="\ufeff\r"), max_size=300) | st.sampled_from(
    ["{{The business name}}", "{{user}}: Hi", "{% raw %}x", "Costs $5 ${HOME}\n", "日本語\n"])


def project(folder: Path, name: str, display: str, description: str, starters: list[str],
            text: str) -> Path:
    from gptkit.formats.writer import dump_yaml

    data: dict = {"version": 1, "name": name}
    if display:
        data["display_name"] = display
    if description:
        data["description"] = description
    data["model"] = {"name": "gpt-4o"}
    data["instructions_format"] = "plain"
    data["instructions_file"] = "instructions.md"
    if starters:
        data["conversation_starters"] = starters
    escaped = {k: (v.replace("$", "$$") if isinstance(v, str) else
                   [s.replace("$", "$$") for s in v] if isinstance(v, list) else v)
               for k, v in data.items()}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assistant.yaml").write_text(dump_yaml(escaped, "test"), encoding="utf-8")
    (folder / "instructions.md").write_text(text, encoding="utf-8", newline="")
    return folder / "assistant.yaml"


def held(path: Path) -> tuple:
    config = load(path, environ={})
    text = (path.parent / str(config.instructions_file)).read_bytes().decode("utf-8")
    return (config.name, config.display_name or config.name, config.description,
            list(config.conversation_starters), text, config.instructions_format)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NAME, st.none() | LINE.filter(lambda s: len(s) <= 100), st.none() | LINE.filter(
    lambda s: len(s) <= 300), st.lists(LINE, max_size=12), INSTRUCTIONS,
    st.sampled_from(["gpt", "m365", "prompty"]))
def test_import_of_export_gives_back_the_assistant(name: str, display: str | None,
                                                   description: str | None, starters: list[str],
                                                   text: str, target: str) -> None:
    assume(target != "m365" or description)  # Microsoft 365 requires a description
    assume(target != "prompty" or not ROLE.search(text))  # a 'user:' line starts a message
    with tempfile.TemporaryDirectory() as tmp:
        original = project(Path(tmp) / "a", name, display or "", description or "", starters,
                           text)
        write_export(export(original, target), Path(tmp) / "exported")
        source = Path(tmp) / "exported"
        if target == "prompty":
            source = source / f"{name}.prompty"
        (back,) = import_source(source, target)
        (again,) = write([back], Path(tmp) / "back")
        fields = (0, 2, 4, 5) if target == "prompty" else (0, 1, 2, 3, 4, 5)  # what both hold
        assert [held(again)[i] for i in fields] == [held(original)[i] for i in fields]


def gptkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_export_reports_what_the_target_cannot_hold(tmp_path: Path) -> None:
    assert gptkit("import", str(SAMPLES / "assistant.json"), "-o", "inv", cwd=tmp_path
                  ).returncode == 0
    result = gptkit("export", "inv/assistant.yaml", "--to", "gpt", "-o", "gpt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "not exported: tools: a custom GPT has no place for it" in result.stdout
    assert "not exported: metadata" in result.stdout
    assert (tmp_path / "gpt" / "instructions.md").read_text() == (
        tmp_path / "inv" / "instructions.md").read_text()
    again = gptkit("export", "inv/assistant.yaml", "--to", "gpt", "-o", "gpt", cwd=tmp_path)
    assert again.returncode == 1 and "give --force" in again.stderr


def test_export_runs_the_profile_checks_first(tmp_path: Path) -> None:
    path = project(tmp_path / "big", "big", "", "", [], "x" * 8001)
    result = gptkit("export", str(path), "--to", "m365", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "8,001 characters; Microsoft 365 allows at most 8,000" in result.stderr
    assert not (tmp_path / "out").exists()
