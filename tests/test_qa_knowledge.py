"""Outside-in QA of knowledge files: defects a user met, each pinned by a test."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.cli.main import main

pypdf = pytest.importorskip("pypdf")

ASSISTANT = """\
version: 1
name: kb
model:
  name: gpt-4o-mini
instructions: Answer from the files.
knowledge:
  files: ["kb/*"]
"""


def _pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _project(tmp_path: Path) -> Path:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "notes.md").write_text("# Notes\nRefunds take 14 days.\n")
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    return tmp_path / "assistant.yaml"


def test_validate_reports_a_pdf_cut_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: a PDF cut short (a partial download) passed validate and failed only at run time.
    path = _project(tmp_path)
    whole = _pdf()
    (tmp_path / "kb" / "half.pdf").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "kb" / "whole.pdf").write_bytes(whole)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "kb/half.pdf is a damaged PDF" in out
    assert "[knowledge-unreadable]" in out
    assert "whole.pdf" not in out


def test_a_damaged_pdf_prints_only_gptkits_warning(tmp_path: Path) -> None:
    # Before: pypdf's own log line "EOF marker not found" was printed bare on stderr.
    path = _project(tmp_path)
    (tmp_path / "kb" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF\n")
    env = {**os.environ, "GPTKIT_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "gptkit", "knowledge", str(path), "index"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, proc.stderr
    assert all(line.startswith("gptkit: warning: knowledge file kb/broken.pdf") for line in lines), lines
    assert "1 file(s) indexed" in proc.stdout


def test_a_path_out_by_dotdot_is_not_called_a_symlink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: validate said "../shared/faq.md is a symlink to ..." for a plain file reached by "..".
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "faq.md").write_text("# FAQ\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "assistant.yaml").write_text(ASSISTANT.replace('["kb/*"]', '["../shared/faq.md"]'))
    monkeypatch.chdir(project)
    assert main(["validate", "assistant.yaml"]) == 1
    out = capsys.readouterr().out
    assert "knowledge file ../shared/faq.md is outside the project" in out
    assert "symlink" not in out


def test_knowledge_on_a_folder_says_it_is_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "gptkit knowledge: no such file: DIR" for a folder that exists.
    _project(tmp_path)
    assert main(["knowledge", str(tmp_path), "status"]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err
    assert "no such file" not in err


def test_an_index_that_cannot_be_made_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: only "cannot be opened: [Errno 2] ...", with nothing to act on.
    path = _project(tmp_path)
    (tmp_path / "home").write_text("a file, not a folder")
    monkeypatch.setenv("GPTKIT_HOME", str(tmp_path / "home"))
    assert main(["knowledge", str(path), "index"]) == 1
    err = capsys.readouterr().err
    assert "cannot be opened" in err
    assert "GPTKIT_HOME" in err
    assert "Traceback" not in err


def test_html_text_in_a_heading_left_open_is_kept() -> None:
    # Before: "<h1>Opening hours" at the end of a page, never closed, was dropped.
    from gptkit.knowledge.parsers import parse_html

    sections = parse_html(b"<p>Welcome <b>in</b></p><h1>Opening hours")
    assert "Opening hours" in "\n".join(s.text for s in sections)


def test_a_csv_with_a_long_cell_is_indexed() -> None:
    # Before: a cell over 128 KiB (the csv module's default) made the whole file "not valid CSV"
    # at run time, though validate passed it.
    from gptkit.knowledge.parsers import parse_csv

    long = "word " * 40_000
    sections = parse_csv(f'sku,description\nA1,"{long}"\nA2,short\n'.encode())
    text = "\n".join(s.text for s in sections)
    assert "sku: A2; description: short" in text
    assert text.count("word") == 40_000
