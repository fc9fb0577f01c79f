"""`validate` parses each python tool module once per version of the file, not once a reference.

Many assistant files naming functions of one module (the usual layout: a folder of assistants
and its `tools/` package) used to pay one `ast.parse` of the module per reference.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest

from gptkit.loading import check_file

ASSISTANT = """\
version: 1
name: a{index}
description: One of many assistants sharing a tool module.
model:
  name: gpt-4o-mini
instructions: Use the tools.
tools:
  - {{name: one, type: python, function: "shared_tools:one"}}
  - {{name: two, type: python, function: "shared_tools:two"}}
  - {{name: three, type: python, function: "shared_tools:{third}"}}
"""

MODULE = '''\
def one() -> str:
    """One."""
    return "1"


def two() -> str:
    """Two."""
    return "2"
'''


def test_a_module_is_parsed_once_per_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "shared_tools.py"
    module.write_text(MODULE, encoding="utf-8")
    parses: list[str] = []
    real = ast.parse

    def counting(source: Any, filename: Any = "<unknown>", *args: Any, **kwargs: Any) -> Any:
        if str(filename).endswith("shared_tools.py"):
            parses.append(str(filename))
        return real(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    files = []
    for index in range(20):
        file = tmp_path / f"a{index}.yaml"
        file.write_text(ASSISTANT.format(index=index, third="one"), encoding="utf-8")
        files.append(file)
    for file in files:
        assert check_file(file).problems == []
    assert len(parses) == 1

    # A changed module is read again: its new function is found, the old parse is not reused.
    files[0].write_text(ASSISTANT.format(index=0, third="three"), encoding="utf-8")
    codes = [p.code for p in check_file(files[0]).problems]
    assert codes == ["tool-attribute"]
    module.write_text(MODULE + '\n\ndef three() -> str:\n    """Three."""\n    return "3"\n')
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert check_file(files[0]).problems == []
    assert len(parses) == 2
