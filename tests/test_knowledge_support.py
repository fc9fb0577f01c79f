"""The support assistant answers from its knowledge files: its cassette replays offline, the
passages it was given are cited, and its project validates clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AGENT = "assistants/support-agent/assistant.yaml"


def gptkit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # nothing listens: offline
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=60)


def test_the_refund_question_is_answered_from_the_policy_offline() -> None:
    result = gptkit("run", AGENT, "I paid for a yearly plan 10 days ago. Can I still get my money back?",
                    "--replay", "assistants/support-agent/cassettes/yearly-refund.cassette.yaml")
    assert result.returncode == 0, result.stderr
    assert "refunded in full within 14 days" in result.stdout
    assert '→ search_knowledge(query="refund yearly plan days")' in result.stderr
    assert "Sources:\n  [1] knowledge/refund-policy.md, Refund and billing policy > Yearly plans\n" in result.stderr


def test_the_support_knowledge_is_indexed_and_searchable() -> None:
    index = gptkit("knowledge", AGENT, "index", "--json")
    assert index.returncode == 0, index.stderr
    assert json.loads(index.stdout)["unreadable"] == {}
    search = json.loads(gptkit("knowledge", AGENT, "search", "price of the Team plan", "--json").stdout)
    assert search["passages"][0]["file"] == "knowledge/plans.csv"
    assert "Team" in search["passages"][0]["text"]
    sync = json.loads(gptkit("knowledge", AGENT, "search", "conflict copy", "--json").stdout)
    assert sync["passages"][0]["citation"] == (
        "knowledge/sync-troubleshooting.html, Sync troubleshooting > Sync conflicts"
    )


def test_assistants_and_examples_validate_clean() -> None:
    result = gptkit("validate", "assistants/", "examples/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 warnings" in result.stdout
