"""instructions_format: plain — pasted prompts with literal braces validate, render and are sent
exactly as written; Jinja text gets hints that point at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gptkit.testing import FakeOpenAI, text

PASTED = (
    'Welcome to {{The business name}}!\n'
    'Use JSX such as <motion.div animate={{ backgroundColor: "#fff" }} />.\n'
    '{{user}}: Hi, can you help me?\n'
    '{% endif %} and {# are words here.\n'
)


def gptkit(*args: str, server: FakeOpenAI | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = "sk-test-plain"
    if server is not None:
        env["OPENAI_BASE_URL"] = server.url
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, env=env, timeout=60, input="")


def project(tmp_path: Path, *, inline: bool, plain: bool = True) -> Path:
    head = "version: 1\nname: pasted\nmodel:\n  name: gpt-4o-mini\n"
    if plain:
        head += "instructions_format: plain\n"
    if inline:
        body = "instructions: |\n" + "".join(f"  {line}\n" for line in PASTED.splitlines())
    else:
        (tmp_path / "instructions.txt").write_text(PASTED, encoding="utf-8")
        body = "instructions_file: instructions.txt\n"
    path = tmp_path / "assistant.yaml"
    path.write_text(head + body, encoding="utf-8")
    return path


def test_plain_inline_and_file_validate_clean(tmp_path: Path) -> None:
    for inline in (True, False):
        result = gptkit("validate", str(project(tmp_path, inline=inline)))
        assert result.returncode == 0, result.stderr
        assert "0 errors, 0 warnings" in result.stdout + result.stderr


def test_the_same_text_as_jinja_fails_with_the_plain_hint(tmp_path: Path) -> None:
    result = gptkit("validate", str(project(tmp_path, inline=False, plain=False)))
    assert result.returncode == 1
    assert "instructions_format: plain" in result.stdout + result.stderr


def test_plain_text_is_sent_exactly_as_written(tmp_path: Path) -> None:
    for inline in (True, False):
        path = project(tmp_path, inline=inline)
        body = json.loads(gptkit("render", str(path), "--format", "json").stdout)
        assert body["messages"][0] == {"role": "system", "content": PASTED}
        with FakeOpenAI([text("ok")]) as server:
            result = gptkit("run", str(path), "hi", server=server)
        assert result.returncode == 0, result.stderr
        assert server.requests[0].body["messages"][0]["content"] == PASTED


def test_format_defaults_to_jinja(tmp_path: Path) -> None:
    path = tmp_path / "assistant.yaml"
    path.write_text("version: 1\nname: j\nmodel:\n  name: gpt-4o-mini\n"
                    "instructions: 'I am {{ assistant.name }}.'\n", encoding="utf-8")
    body = json.loads(gptkit("render", str(path), "--format", "json").stdout)
    assert body["messages"][0]["content"] == "I am j."


def test_a_bad_format_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "assistant.yaml"
    path.write_text("version: 1\nname: j\nmodel:\n  name: gpt-4o-mini\n"
                    "instructions_format: text\ninstructions: Hi.\n", encoding="utf-8")
    result = gptkit("validate", str(path))
    assert result.returncode == 1
    assert "instructions_format" in result.stdout + result.stderr
