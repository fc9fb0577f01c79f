"""`gptkit import` of a custom GPT with knowledge files: the copies are listed under knowledge:,
so they are searched; a type gptkit does not read is copied but not listed, and says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

SAMPLES = Path(__file__).parent / "imports"


def gptkit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_an_imported_gpt_searches_its_knowledge_files(tmp_path: Path) -> None:
    source = tmp_path / "gpt"
    shutil.copytree(SAMPLES / "gpt-folder", source)
    (source / "knowledge" / "photo.png").write_bytes(b"\x89PNG\r\n")
    (source / "knowledge" / "odd[1].md").write_text("# Opening hours\n\nWe open at 9.\n")
    out = tmp_path / "out"
    result = gptkit("import", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = YAML(typ="safe").load((out / "assistant.yaml").read_text())
    files = data["knowledge"]["files"]
    assert "knowledge/menu.md" in files and "knowledge/prices.pdf" in files
    assert "knowledge/odd[[]1].md" in files  # a glob that matches exactly that name
    assert not any("photo.png" in f for f in files)
    assert "knowledge/photo.png" in data["x-imported"]["knowledge"]
    assert "knowledge file 'knowledge/photo.png': copied, but gptkit does not read .png" in result.stdout + result.stderr
    assert "searched (knowledge.files, the search_knowledge tool)" in result.stdout + result.stderr
    check = gptkit("validate", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    search = gptkit("knowledge", str(out / "assistant.yaml"), "search", "opening hours", "--json")
    assert json.loads(search.stdout)["passages"][0]["file"] == "knowledge/odd[1].md"
