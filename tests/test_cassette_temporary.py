"""Writing a cassette goes through a temporary file of its own: two writers of one cassette (two
`gptkit test --record` runs at once) never share one, and none is left behind."""

from __future__ import annotations

from pathlib import Path

from gptkit.config.paths import temporary_sibling


def test_each_writer_gets_its_own_temporary_beside_the_file(tmp_path: Path) -> None:
    target = tmp_path / "case.cassette.yaml"
    names = {temporary_sibling(target) for _ in range(50)}
    assert len(names) == 50
    assert all(n.parent == tmp_path and n.name.startswith("case.cassette.yaml.") for n in names)
    assert all(n.suffix == ".tmp" for n in names)
