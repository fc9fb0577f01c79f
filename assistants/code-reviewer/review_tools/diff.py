"""Tools that read a unified diff (``git diff`` / ``diff -u`` output) passed in as text.

Both tools are pure functions of their input: no files are read, nothing runs, and the same
diff always gives the same answer.
"""

import re
from dataclasses import dataclass, field
from typing import Literal

_FILE_HEADER = re.compile(r"^diff --git a/(?P<old>\S+) b/(?P<new>\S+)")
_OLD_PATH = re.compile(r"^--- (?:a/)?(?P<path>[^\t\n]+)")
_NEW_PATH = re.compile(r"^\+\+\+ (?:b/)?(?P<path>[^\t\n]+)")
_HUNK = re.compile(
    r"^@@ -(?P<old>\d+)(?:,(?P<old_len>\d+))?"
    r" \+(?P<new>\d+)(?:,(?P<new_len>\d+))? @@(?P<context>.*)"
)

_SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass
class _FileChange:
    path: str
    status: str = "modified"
    added: int = 0
    removed: int = 0
    hunks: list[str] = field(default_factory=list)
    binary: bool = False
    # (line number in the new file, text without the leading "+")
    added_lines: list[tuple[int, str]] = field(default_factory=list)


def _parse(diff: str) -> list[_FileChange]:
    """Split a unified diff into per-file changes."""
    files: list[_FileChange] = []
    current: _FileChange | None = None
    old_path = ""
    new_line = 0
    old_left = new_left = 0  # lines still expected in the current hunk
    for raw in diff.splitlines():
        if (
            (old_left > 0 or new_left > 0)
            and current is not None
            and raw[:1] in ("+", "-", " ", "")
        ):
            # Inside a hunk, "--- x" or "+++ x" is content, not a file header.
            if raw.startswith("+"):
                current.added += 1
                current.added_lines.append((new_line, raw[1:]))
                new_line += 1
                new_left -= 1
            elif raw.startswith("-"):
                current.removed += 1
                old_left -= 1
            else:
                new_line += 1
                old_left -= 1
                new_left -= 1
            continue
        header = _FILE_HEADER.match(raw)
        if header:
            old_left = new_left = 0  # a hunk whose counts were off ends here anyway
            current = _FileChange(path=header.group("new"))
            files.append(current)
            continue
        if raw.startswith("--- "):
            match = _OLD_PATH.match(raw)
            old_path = match.group("path").strip() if match else ""
            continue
        if raw.startswith("+++ "):
            match = _NEW_PATH.match(raw)
            new_path = match.group("path").strip() if match else ""
            if current is None or (current.hunks and current.path != new_path):
                # A plain `diff -u` has no "diff --git" line; each "+++" starts a file.
                current = _FileChange(path=new_path)
                files.append(current)
            if new_path == "/dev/null":
                current.path = old_path.removeprefix("a/")
                current.status = "deleted"
            elif old_path == "/dev/null":
                current.path = new_path
                current.status = "added"
            else:
                current.path = new_path
            continue
        if current is None:
            continue
        if raw.startswith("new file mode"):
            current.status = "added"
        elif raw.startswith("deleted file mode"):
            current.status = "deleted"
        elif raw.startswith("rename to "):
            current.status = "renamed"
            current.path = raw.removeprefix("rename to ").strip()
        elif raw.startswith("Binary files ") or raw.startswith("GIT binary patch"):
            current.binary = True
        else:
            hunk = _HUNK.match(raw)
            if hunk:
                new_line = int(hunk.group("new"))
                old_left = int(hunk.group("old_len") or 1)
                new_left = int(hunk.group("new_len") or 1)
                context = hunk.group("context").strip()
                if new_left:
                    label = f"lines {new_line}-{new_line + new_left - 1}"
                else:
                    old_start = int(hunk.group("old"))
                    label = f"removes old lines {old_start}-{old_start + old_left - 1}"
                current.hunks.append(f"{label}, {context}" if context else label)
    return files


def summarize_diff(diff: str) -> str:
    """Summarise a unified diff: which files changed, lines added and removed, and the hunks.

    Call this first when the user pastes a diff or patch, to get an exact overview before reviewing.
    Counts come from the diff text itself, so they are reliable even for very long diffs.

    Args:
        diff: The complete unified diff text, as printed by `git diff` or `diff -u`.

    Returns:
        A plain-text report: one line of totals, then one block per file with its status,
        +added/-removed counts and the line ranges of its hunks in the new version.
    """
    files = _parse(diff)
    if not files:
        return (
            "No unified diff found: expected lines starting with "
            "'diff --git', '---', '+++' and '@@'."
        )
    total_added = sum(f.added for f in files)
    total_removed = sum(f.removed for f in files)
    total_hunks = sum(len(f.hunks) for f in files)
    lines = [
        f"{len(files)} file(s) changed, +{total_added} -{total_removed} lines, "
        f"{total_hunks} hunk(s).",
        "",
    ]
    for change in files:
        extra = " (binary)" if change.binary else ""
        lines.append(f"{change.path} [{change.status}]{extra}: +{change.added} -{change.removed}")
        for hunk in change.hunks:
            lines.append(f"  @@ {hunk}")
    largest = max(files, key=lambda f: f.added + f.removed)
    if len(files) > 1 and largest.added + largest.removed > 0:
        lines += [
            "",
            f"Largest change: {largest.path} ({largest.added + largest.removed} lines touched).",
        ]
    return "\n".join(lines)


# (category, severity, compiled pattern, why it matters)
_RULES: list[tuple[str, str, re.Pattern[str], str]] = [
    (
        "private-key",
        "high",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY"),
        "a private key is committed; rotate it and load it from a secret store",
    ),
    (
        "secret",
        "high",
        re.compile(
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bsk-[A-Za-z0-9_-]{20,}\b|\bxox[abpr]-[A-Za-z0-9-]{10,}"
        ),
        "looks like a real access token; rotate it and read it from the environment",
    ),
    (
        "secret",
        "high",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token|token)\w*\s*[:=]\s*[\"'][^\"'\s]{8,}[\"']"
        ),
        "hard-coded credential; read it from the environment or a secret store",
    ),
    (
        "code-execution",
        "high",
        re.compile(
            r"\b(?:eval|exec)\s*\(|shell\s*=\s*True|os\.system\s*\(|pickle\.loads?\s*\(|yaml\.load\s*\((?!.*Loader\s*=\s*yaml\.SafeLoader)"
        ),
        "executes or deserialises data that may be untrusted",
    ),
    (
        "tls-disabled",
        "high",
        re.compile(
            r"verify\s*=\s*False|InsecureSkipVerify\s*:\s*true|rejectUnauthorized\s*:\s*false|CERT_NONE"
        ),
        "TLS certificate checks are turned off",
    ),
    (
        "sql-injection",
        "medium",
        re.compile(
            r"(?i)\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^\n]*(?:[\"']\s*(?:\+|%)\s*\w|\{\w+\}|\$\{\w+\})"
        ),
        "SQL built by string formatting; use bound parameters",
    ),
    (
        "broad-except",
        "medium",
        re.compile(
            r"^\s*except\s*:|^\s*except\s+(?:Base)?Exception\s*(?:as\s+\w+\s*)?:|catch\s*\(\s*(?:Exception|Throwable|\.\.\.)\b|catch\s*\(\s*\w*\s*\)\s*\{\s*\}"
        ),
        "catches everything; errors may be silently swallowed",
    ),
    (
        "debug-statement",
        "medium",
        re.compile(
            r"\bbreakpoint\(\)|\bpdb\.set_trace\(\)|\bdebugger;|\bbinding\.pry\b|\bdd\(|\bvar_dump\("
        ),
        "debugger hook left in the code",
    ),
    (
        "debug-output",
        "low",
        re.compile(
            r"^\s*print\(|\bconsole\.(?:log|debug)\(|\bSystem\.out\.print(?:ln)?\(|\bfmt\.Print(?:ln|f)?\(|\bprintln!\("
        ),
        "print-style output; use the project's logger or remove it",
    ),
    (
        "todo",
        "low",
        re.compile(r"\b(?:TODO|FIXME|XXX|HACK)\b"),
        "unfinished work marker; link an issue or finish it",
    ),
]


def find_risky_patterns(diff: str, min_severity: Literal["low", "medium", "high"]) -> str:
    """Scan the lines a unified diff adds for risky patterns worth a reviewer's attention.

    Looks for hard-coded secrets and private keys, eval/exec and shell=True, disabled TLS checks,
    SQL built from strings, broad exception handlers, debugger hooks, print-style debug output and
    TODO/FIXME markers. Only added lines are scanned, so existing code is not blamed. The matches
    are heuristics: confirm each one by reading the line before reporting it.

    Args:
        diff: The complete unified diff text, as printed by `git diff` or `diff -u`.
        min_severity: Report findings at this severity or above: "low" reports everything,
            "medium" skips TODOs and prints, "high" keeps only secrets, code execution and TLS.

    Returns:
        One line per finding as `path:line [severity] category: reason | the added code`,
        sorted by severity, or a sentence saying nothing was found.
    """
    if min_severity not in _SEVERITY_RANK:
        raise ValueError(f"min_severity must be one of low, medium, high; got {min_severity!r}")
    threshold = _SEVERITY_RANK[min_severity]
    findings: list[tuple[int, str, int, str]] = []
    for change in _parse(diff):
        for line_no, text in change.added_lines:
            seen: set[str] = set()
            for category, severity, pattern, reason in _RULES:
                if _SEVERITY_RANK[severity] < threshold or category in seen:
                    continue
                if pattern.search(text):
                    seen.add(category)
                    snippet = text.strip()
                    if category in ("secret", "private-key"):
                        snippet = _mask(snippet)
                    if len(snippet) > 120:
                        snippet = snippet[:117] + "..."
                    findings.append(
                        (
                            -_SEVERITY_RANK[severity],
                            change.path,
                            line_no,
                            f"{change.path}:{line_no} [{severity}] {category}: "
                            f"{reason} | {snippet}",
                        )
                    )
    if not findings:
        return f"No risky patterns at severity {min_severity} or above in the added lines."
    findings.sort()
    header = f"{len(findings)} finding(s) at severity {min_severity} or above:"
    return "\n".join([header, *(entry for *_, entry in findings)])


def _mask(text: str) -> str:
    """Hide the middle of quoted or token-like values so a secret is not repeated back."""

    def hide(match: re.Match[str]) -> str:
        value = match.group(0)
        return value[:4] + "*" * 6 + value[-2:] if len(value) > 8 else "*" * len(value)

    return re.sub(r"[A-Za-z0-9_\-/+=]{12,}", hide, text)
