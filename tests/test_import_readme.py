"""The README's "Moving a custom GPT to gptkit" example runs offline as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def test_the_readme_import_example_runs(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Moving a custom GPT to gptkit"):]
    section = section[: section.index("\n## ", 3)]
    (script,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gptkit").write_text(f"#!/bin/sh\nexec {sys.executable} -m gptkit \"$@\"\n")
    (bin_dir / "gptkit").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    result = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "carried over: name: study-buddy (Study Buddy ✏️)" in out
    assert "not carried over: web browsing" in out
    assert "0 errors, 0 warnings in 1 file" in out
    assert "Ask one question at a time, in the form: Q{{number}}: {{question}}" in out
    assert (tmp_path / "study-buddy" / "knowledge" / "biology.md").is_file()
