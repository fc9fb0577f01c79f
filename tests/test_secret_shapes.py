"""One list of credential shapes: `validate` refuses what the memory redactor removes, and back.

And the literal secret values the runtime knows (the API key) are replaced only when they are
long and specific enough to be secrets: a placeholder key like ``local`` does not corrupt answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gptkit.config.secrets import MIN_SECRET_CHARS, SHAPES, find_secret, worth_redacting
from gptkit.loading import check_file
from gptkit.memory.redact import Redactor
from gptkit.memory.sqlite import SQLiteStore
from gptkit.messages import Message
from gptkit.testing import FakeOpenAI, text

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def body(alphabet: str, low: int, high: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=low, max_size=high if high is not None else low + 30)


def joined(*parts: st.SearchStrategy[str] | str) -> st.SearchStrategy[str]:
    strategies = [st.just(p) if isinstance(p, str) else p for p in parts]
    return st.tuples(*strategies).map("".join)


# Tokens of each shape, generated from what the shape's owner documents, keyed by the pattern.
TOKENS: dict[str, st.SearchStrategy[str]] = {
    SHAPES[0].pattern: joined(
        "sk-",
        st.sampled_from(["", "proj-", "ant-", "ant-api03-", "svcacct-", "admin-"]),
        body(ALNUM + "_-", 20),
    ),
    SHAPES[1].pattern: joined(
        st.sampled_from(["sk", "rk", "pk"]),
        "_",
        st.sampled_from(["live", "test"]),
        "_",
        body(ALNUM, 16),
    ),
    SHAPES[2].pattern: joined("gh", st.sampled_from("pousr"), "_", body(ALNUM, 36)),
    SHAPES[3].pattern: joined("github_pat_", body(ALNUM + "_", 40)),
    SHAPES[4].pattern: joined("glpat-", body(ALNUM + "_-", 20)),
    SHAPES[5].pattern: joined(st.sampled_from(["AKIA", "ASIA"]), body(UPPER_DIGITS, 16, 16)),
    SHAPES[6].pattern: joined("xox", st.sampled_from("abposr"), "-", body(ALNUM + "-", 10)),
    SHAPES[7].pattern: joined("AIza", body(ALNUM + "_-", 35, 35)),
    SHAPES[8].pattern: joined("hf_", body(ALNUM, 30)),
    SHAPES[9].pattern: joined(
        "eyJ", body(ALNUM + "_-", 8), ".eyJ", body(ALNUM + "_-", 8), ".", body(ALNUM + "_-", 8)
    ),
    SHAPES[10].pattern: joined("Bearer ", body(ALNUM + "._~+/-", 20), body("=", 0, 2)),
}

ASSISTANT = """\
version: 1
name: shapes
description: {description}
model:
  name: gpt-4o-mini
instructions: Be brief.
"""


def test_every_shape_has_a_token_generator() -> None:
    assert list(TOKENS) == [shape.pattern for shape in SHAPES]


@pytest.mark.parametrize("index", range(len(SHAPES)), ids=[s.label for s in SHAPES])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_validate_and_the_memory_redactor_catch_every_shape(
    index: int, data: st.DataObject, tmp_path: Path
) -> None:
    token = data.draw(TOKENS[SHAPES[index].pattern])
    sentence = f"call me with {token} please"
    # validate refuses it in the file
    file = tmp_path / "assistant.yaml"
    file.write_text(ASSISTANT.format(description=json.dumps(sentence)), encoding="utf-8")
    report = check_file(file)
    assert [p.code for p in report.problems] == ["secret"], report.problems
    assert SHAPES[index].label in report.problems[0].message
    # the memory redactor's api_key built-in removes it
    redacted = Redactor(["api_key"])(sentence)
    assert token.removeprefix("Bearer ") not in redacted and "[api key]" in redacted
    assert find_secret(sentence) is not None


@pytest.mark.parametrize("index", range(len(SHAPES)), ids=[s.label for s in SHAPES])
def test_the_shortest_token_of_each_shape_is_found(index: int) -> None:
    # The length pre-check must not rule out the shortest token of any shape.
    @settings(max_examples=10, deadline=None)
    @given(TOKENS[SHAPES[index].pattern])
    def check(token: str) -> None:
        assert len(token) >= MIN_SECRET_CHARS or token.startswith("Bearer ")
        assert find_secret(token) is not None

    check()


def test_gitlab_and_aws_session_keys_fail_validate_and_never_reach_the_store(
    tmp_path: Path,
) -> None:
    gitlab, aws = "glpat-AbCdEfGhIjKlMnOpQrStUv", "ASIAIOSFODNN7EXAMPLE"
    file = tmp_path / "assistant.yaml"
    file.write_text(
        ASSISTANT.format(description=f"uses {gitlab}") + f"x-aws: {aws}\n", encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "gptkit", "validate", str(file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "this looks like a GitLab token" in result.stdout
    assert "this looks like an AWS access key id" in result.stdout
    with SQLiteStore(tmp_path / "m.db", redactor=Redactor(["api_key"])) as store:
        store.ensure_session("shapes", "s1", None)
        store.append_turn("s1", [Message("user", f"{gitlab} and {aws}")])
        (stored,) = store.messages("s1")
    assert stored.content == "[api key] and [api key]"


# --- literal values ----------------------------------------------------------------------------

PLACEHOLDERS = ["fine", "local", "ollama", "EMPTY", "dummy", "lm-studio", "not-needed", "changeme"]


@given(st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_. ", max_size=15))
def test_word_like_values_are_not_secrets(value: str) -> None:
    assert not worth_redacting(value)
    assert Redactor(literals=[value])(f"running {value}ly") == f"running {value}ly"


@given(
    st.text(min_size=7, max_size=40).filter(lambda s: s.strip() == s),
    st.sampled_from("0123456789!#%&*+=@^|~$"),
)
def test_values_with_a_digit_or_symbol_from_8_chars_are_secrets(value: str, mark: str) -> None:
    secret = value + mark
    assert worth_redacting(secret)
    assert secret not in Redactor(literals=[secret])(f"the key is {secret}.")


def test_long_values_are_secrets_whatever_they_hold() -> None:
    assert worth_redacting("correct-horse-battery-staple")
    assert all(not worth_redacting(p) for p in PLACEHOLDERS)


def _run(server: FakeOpenAI, key: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
    env.update(OPENAI_API_KEY=key, OPENAI_BASE_URL=server.url, GPTKIT_HOME=str(home))
    project = Path(__file__).parent / "projects" / "runner" / "assistant.yaml"
    return subprocess.run(
        [sys.executable, "-m", "gptkit", "run", str(project), "hi", "--no-stream"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_placeholder_key_does_not_corrupt_the_answer(tmp_path: Path) -> None:
    with FakeOpenAI([text("I am running locally, fine.")]) as server:
        result = _run(server, "local", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "I am running locally, fine.\n"


def test_a_real_key_echoed_by_the_model_is_hidden(tmp_path: Path) -> None:
    key = "sk-test-Echoed0123456789abcdef"
    with FakeOpenAI([text(f"your key is {key}, and a short one is {key[:6]}")]) as server:
        result = _run(server, key, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"your key is ***, and a short one is {key[:6]}\n"
    assert key not in result.stderr


def test_no_shipped_cassette_shows_a_redacted_placeholder() -> None:
    # They are recorded with OLLAMA_API_KEY=local: "running locally" must stay as it was said.
    repo = Path(__file__).resolve().parents[1]
    cassettes = [
        *repo.glob("assistants/**/*.cassette.yaml"),
        *repo.glob("examples/**/*.cassette.yaml"),
    ]
    assert cassettes
    for cassette in cassettes:
        assert "***" not in cassette.read_text(encoding="utf-8"), cassette
    assert "running locally" in (
        repo / "examples/env-substitution/env-substitution.cassette.yaml"
    ).read_text(encoding="utf-8")


def test_a_bearer_token_folded_onto_the_next_line_is_found(tmp_path: Path) -> None:
    file = tmp_path / "assistant.yaml"
    folded = "send Authorization Bearer\n  abcdefghijklmnopqrstuvwxyz012345"
    file.write_text(ASSISTANT.format(description=folded), encoding="utf-8")
    assert [p.code for p in check_file(file).problems] == ["secret"]
