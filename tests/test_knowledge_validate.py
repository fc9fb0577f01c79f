"""`gptkit validate` on knowledge: each file it cannot use is a problem at its glob, with a code;
it reads no more than the checks need (no PDF or DOCX library, no model client)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.knowledge_samples import assistant, docx_bomb, docx_bytes, pdf_bytes, write


def validate(*files: str) -> tuple[int, list[dict]]:
    result = subprocess.run(
        [sys.executable, "-m", "gptkit", "validate", "--format", "json", *files],
        capture_output=True, text=True, timeout=60,
    )
    report = json.loads(result.stdout)
    return result.returncode, [p for f in report["files"] for p in f["problems"]]


def test_good_files_of_every_kind_are_clean(tmp_path: Path) -> None:
    write(tmp_path, "kb/a.md", "# A\n\ntext")
    write(tmp_path, "kb/b.pdf", pdf_bytes(["page one"]))
    write(tmp_path, "kb/c.docx", docx_bytes([("h1", "T"), ("p", "body")]))
    for name in ("d.txt", "e.rst", "f.html", "g.csv", "h.json"):
        write(tmp_path, f"kb/{name}", '{"a": 1}' if name.endswith("json") else "a,b\n1,2\n")
    code, problems = validate(str(assistant(tmp_path, ["kb/*"])))
    assert (code, problems) == (0, [])


def test_each_bad_file_is_a_problem_with_its_code(tmp_path: Path) -> None:
    write(tmp_path, "kb/ok.md", "# fine")
    write(tmp_path, "kb/locked.pdf", pdf_bytes(["secret"], password="pw"))
    write(tmp_path, "kb/fake.pdf", b"hello")
    write(tmp_path, "kb/latin1.txt", b"caf\xe9")
    write(tmp_path, "kb/bomb.docx", docx_bomb())
    write(tmp_path, "kb/big.txt", "x" * 2_000_001)
    write(tmp_path, "kb/photo.png", b"\x89PNG")
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside", "secret.md", "# secret")
    os.symlink(outside, tmp_path / "kb" / "link.md")
    file = assistant(tmp_path, ["kb/*", "missing/*.md", "../x.md", "/etc/hosts"], "  max_file_mb: 2\n")
    code, problems = validate(str(file))
    assert code == 1
    got = sorted((p["code"], p["message"]) for p in problems)
    expected = {
        "knowledge-unreadable": ["kb/locked.pdf is an encrypted PDF", "kb/fake.pdf is not a PDF",
                                 "kb/latin1.txt is not UTF-8 text (byte 0xe9 at offset 3)",
                                 "kb/bomb.docx expands to"],
        "knowledge-size": ["kb/big.txt is 2.0 MB, over knowledge.max_file_mb (2 MB)"],
        "knowledge-type": ["kb/photo.png is of type .png, which is not supported"],
        "knowledge-outside": ["kb/link.md is a symlink to", "/etc/hosts"],
        "knowledge-missing": ["'missing/*.md' matches no file", "'../x.md' matches no file"],
    }
    for code_, parts in expected.items():
        messages = [m for c, m in got if c == code_]
        for part in parts:
            assert any(part in m for m in messages), (code_, part, messages)
    assert not any("ok.md" in m for _, m in got)
    assert all(p["line"] == 6 for p in problems)  # at the files list of the assistant file


def test_a_glob_leading_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(tmp_path, "other/x.md", "# out")
    file = assistant(project, ["../other/*.md"])
    code, problems = validate(str(file))
    assert code == 1 and [p["code"] for p in problems] == ["knowledge-outside"]


def test_validate_imports_no_document_library_or_model_client(tmp_path: Path) -> None:
    write(tmp_path, "kb/b.pdf", pdf_bytes(["page one"]))
    write(tmp_path, "kb/c.docx", docx_bytes([("p", "body")]))
    file = assistant(tmp_path, ["kb/*"])
    probe = (
        "import sys; from gptkit.cli.main import main; code = main(['validate', sys.argv[1]]); "
        "print(sorted(m for m in ('pypdf', 'docx', 'openai', 'httpx') if m in sys.modules), code)"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(file)], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "[] 0", result.stdout + result.stderr


def test_overlap_must_be_below_the_chunk_size(tmp_path: Path) -> None:
    write(tmp_path, "kb/a.md", "# A")
    code, problems = validate(str(assistant(tmp_path, ["kb/*"], "  chunk_tokens: 100\n  overlap_tokens: 100\n")))
    assert code == 1 and "knowledge-overlap" in [p["code"] for p in problems]
