#!/usr/bin/env python3
"""Write bench/knowledge-data/questions.jsonl: the labelled questions of bench/knowledge.

For each section of the quality corpus (see bench/knowledge_corpus.py) with enough prose, the
question is built from its most distinctive sentence (the highest mean inverse document
frequency among its plain-prose sentences of 8 to 40 words that occur nowhere else): a
question word, then every other content word of the sentence (stop words and half the rest left
out), so it is not the sentence verbatim. The expected passage is the section: its file and heading path. Up to two
questions a section (its two most distinctive sentences), at most 6 per file.

    .venv/bin/python bench/knowledge-data/make_questions.py     # rewrites questions.jsonl
"""

from __future__ import annotations

import json
import math
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from knowledge_corpus import quality_corpus  # noqa: E402

from gptkit.knowledge.index import STOPWORDS  # noqa: E402
from gptkit.knowledge.parsers import parse  # noqa: E402

PER_FILE = 6
TAKE = 2  # questions per section, from its two most distinctive sentences
OPENERS = ("What does the documentation say about", "How does it work:", "Where is it explained that",
           "Which part covers", "Explain")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = quality_corpus(folder)
        sections = []
        for path in files:
            name = path.relative_to(folder).as_posix()
            for section in parse(path, 50_000_000):
                if section.where:
                    sections.append((name, section.where, section.text))
    words_of = [set(re.findall(r"[a-z]+", text.lower())) for _, _, text in sections]
    df = Counter(w for words in words_of for w in words)
    n = len(sections)
    sentence_count = Counter(s for _, _, text in sections for s in _sentences(text))
    per_file: Counter[str] = Counter()
    questions = []
    for index, (name, where, text) in enumerate(sections):
        if per_file[name] >= PER_FILE:
            continue
        candidates = [s for s in _sentences(text) if sentence_count[s] == 1]
        if not candidates:
            continue

        def distinct(sentence: str) -> float:
            words = [w for w in re.findall(r"[a-z]+", sentence.lower()) if w not in STOPWORDS]
            return sum(math.log(n / (1 + df[w])) for w in words) / max(1, len(words))

        for best in sorted(candidates, key=distinct, reverse=True)[:TAKE]:
            content = [
                w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", best) if w.lower() not in STOPWORDS
            ]
            kept = [w for i, w in enumerate(content) if i % 2 == 0]
            if len(kept) < 4 or per_file[name] >= PER_FILE:
                continue
            opener = OPENERS[len(questions) % len(OPENERS)]
            questions.append({
                "id": len(questions) + 1,
                "question": f"{opener} {' '.join(kept)}?",
                "file": name,
                "section": where,
                "from_sentence": best,
            })
            per_file[name] += 1
    out = HERE / "questions.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for question in questions:
            handle.write(json.dumps(question, ensure_ascii=False) + "\n")
    print(f"{len(questions)} questions from {n} sections written to {out}")


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", flat):
        words = sentence.split()
        letters = sum(c.isalpha() or c.isspace() for c in sentence)
        if 8 <= len(words) <= 40 and letters / max(1, len(sentence)) > 0.9:
            found.append(sentence)
    return found


if __name__ == "__main__":
    main()
