"""Properties: whatever the globs, no usable file is outside the project; whatever a passage
says, it stays inside its quoted document; whatever the query, search does not fail."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gptkit.knowledge.files import find_files
from gptkit.knowledge.passages import Passage, as_documents
from gptkit.knowledge.sqlite import SQLiteIndex

PARTS = st.sampled_from(["..", ".", "docs", "out", "*", "**", "a.md", "*.md", "link", "x.txt", ""])


@settings(max_examples=150, deadline=None)
@given(patterns=st.lists(st.lists(PARTS, min_size=1, max_size=4).map("/".join), min_size=1, max_size=4))
def test_no_usable_file_is_outside_the_project(tmp_path_factory, patterns: list[str]) -> None:
    base = tmp_path_factory.mktemp("p")
    project, outside = base / "project", base / "out"
    (project / "docs").mkdir(parents=True)
    outside.mkdir()
    (project / "docs" / "a.md").write_text("# in")
    (project / "x.txt").write_text("in")
    (outside / "a.md").write_text("# out")
    os.symlink(outside, project / "docs" / "link")
    os.symlink(outside / "a.md", project / "link")
    found, _ = find_files([p for p in patterns if p], project, project, 10**6)
    real_project = Path(os.path.realpath(project))
    for file in found:
        if file.problem is None:
            assert Path(os.path.realpath(file.path)).is_relative_to(real_project), file
        else:
            assert file.code.startswith("knowledge-")


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=300), min_size=1, max_size=4), where=st.text(max_size=40))
def test_a_passage_cannot_leave_its_document(texts: list[str], where: str) -> None:
    block = as_documents([Passage("f.md", where, t, 1.0) for t in texts])
    assert block.count("<document ") == len(texts)
    assert block.count("</document>") == len(texts)
    documents = block.split("\n\n", 1)[1]  # after the preamble, which names the element
    assert documents.lower().count("<document") == len(texts)
    assert documents.lower().count("</document") == len(texts)


_INDEX: dict[str, SQLiteIndex] = {}


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=200))
def test_any_query_is_searched_without_failing(tmp_path_factory, query: str) -> None:
    if "index" not in _INDEX:
        folder = tmp_path_factory.mktemp("q")
        (folder / "a.md").write_text('# Quotes "and" stars*\n\nNEAR OR AND NOT ^ - : ( ) words\n')
        index = SQLiteIndex(folder / "k.db", 400, 60, 10**6)
        index.sync(find_files(["*.md"], folder, folder, 10**6)[0])
        _INDEX["index"] = index
    passages = _INDEX["index"].search(query, 5)
    assert all(p.file == "a.md" for p in passages)
