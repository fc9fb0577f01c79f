"""One document to sections: text that knows where it is (a page, a heading, rows, a key).

Every parser takes the file's bytes and returns :class:`Section` objects in reading order, or
raises :class:`~gptkit.knowledge.files.DocumentError` with a reason a person can act on. PDF
(pypdf) and DOCX (python-docx) libraries are imported only here, only for those files
(``pip install 'gptkit[knowledge]'``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.files import kind_of, zip_problem
from gptkit.knowledge.text import decode

MAX_JSON_DEPTH = 64
_ADORNMENT = re.compile(r"([=\-`:'\"~^_*+#<>.])\1+")


@dataclass(frozen=True)
class Section:
    """A run of text and where it is: ``page 3``, ``Refunds > Timing``, ``rows 2-40``, or ""."""

    text: str
    where: str = ""


def parse(path: Path, max_bytes: int) -> list[Section]:
    """The sections of the document at ``path`` (of a supported kind, checked by suffix)."""
    kind = kind_of(path)
    if kind is None:
        raise DocumentError(f"the file type {path.suffix or '(none)'} is not supported")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(f"is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:g} MB")
        if kind == "docx":
            problem = zip_problem(path, max_bytes)
            if problem:
                raise DocumentError(problem)
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot be read: {exc.strerror}") from None
    return parse_data(kind, data)


def parse_data(kind: str, data: bytes) -> list[Section]:
    """The sections of a document of ``kind`` (see :data:`~gptkit.knowledge.files.KINDS`)."""
    try:
        return PARSERS[kind](data)
    except RecursionError:
        raise DocumentError("nests too deeply to read") from None


def parse_markdown(data: bytes) -> list[Section]:
    """Sections by ATX (``# Title``) and setext (underlined) headings; fenced code kept whole."""
    lines = decode(data).splitlines()
    return _by_headings(lines, _markdown_heading)


def _markdown_heading(lines: list[str], i: int, fenced: bool) -> tuple[int, str, int] | None:
    line = lines[i]
    match = re.match(r" {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$", line)
    if match and not fenced:
        return len(match.group(1)), match.group(2).strip(), 1
    if not fenced and i + 1 < len(lines) and line.strip() and not line.startswith((" ", "\t")):
        under = lines[i + 1].strip()
        if under and re.fullmatch(r"=+", under):
            return 1, line.strip(), 2
        if under and re.fullmatch(r"-{2,}", under) and not re.match(r"\s*[-*+]\s", line):
            return 2, line.strip(), 2
    return None


def parse_rst(data: bytes) -> list[Section]:
    """Sections by reStructuredText titles: a line underlined (optionally overlined) by one
    punctuation character; levels in the order the underline styles first appear."""
    lines = decode(data).splitlines()
    styles: list[str] = []

    def level(style: str) -> int:
        if style not in styles:
            styles.append(style)
        return styles.index(style) + 1

    def heading(lines: list[str], i: int, fenced: bool) -> tuple[int, str, int] | None:
        line = lines[i].rstrip()
        if i + 1 >= len(lines) or not line.strip():
            return None
        if _ADORNMENT.fullmatch(line) and i + 2 < len(lines) and lines[i + 2].rstrip() == line:
            title = lines[i + 1].strip()
            if title and len(line) >= len(title):
                return level("o" + line[0]), title, 3
        if line.startswith((" ", "\t")) or _ADORNMENT.fullmatch(line):
            return None
        under = lines[i + 1].rstrip()
        if len(under) < max(2, len(line)) or not _ADORNMENT.fullmatch(under):
            return None
        return level(under[0]), line.strip(), 2

    return _by_headings(lines, heading)


def _by_headings(
    lines: list[str], heading: Callable[[list[str], int, bool], tuple[int, str, int] | None]
) -> list[Section]:
    sections: list[Section] = []
    trail: list[tuple[int, str]] = []
    body: list[str] = []
    fenced = False

    def flush() -> None:
        text = "\n".join(body).strip()
        if text:
            sections.append(Section(text, " > ".join(t for _, t in trail)))
        body.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r" {0,3}(```|~~~)", line):
            fenced = not fenced
        found = heading(lines, i, fenced)
        if found is None:
            body.append(line)
            i += 1
            continue
        level, title, used = found
        flush()
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, title))
        body.append(title)  # the heading's words are searchable in its section
        i += used
    flush()
    return sections


def parse_text(data: bytes) -> list[Section]:
    """The whole text, one section."""
    text = decode(data).strip()
    return [Section(text)] if text else []


class _HTMLText(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})
    BLOCK = frozenset({
        "p", "div", "br", "li", "tr", "table", "section", "article", "blockquote", "pre",
        "ul", "ol", "dd", "dt", "hr", "td", "th", "header", "footer", "main", "nav",
    })

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.trail: list[tuple[int, str]] = []
        self.body: list[str] = []
        self.heading: tuple[int, list[str]] | None = None
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif re.fullmatch(r"h[1-6]", tag) and not self.skipping:
            self.flush()
            self.heading = (int(tag[1]), [])
        elif tag in self.BLOCK:
            self.body.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif re.fullmatch(r"h[1-6]", tag) and self.heading is not None:
            level, words = self.heading
            title = " ".join("".join(words).split())
            self.heading = None
            while self.trail and self.trail[-1][0] >= level:
                self.trail.pop()
            if title:
                self.trail.append((level, title))
                self.body.append(title + "\n")
        elif tag in self.BLOCK:
            self.body.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.heading is not None:
            self.heading[1].append(data)
        else:
            self.body.append(data)

    def flush(self) -> None:
        raw = "".join(self.body)
        lines = [" ".join(line.split()) for line in raw.splitlines()]
        text = "\n".join(line for line in lines if line)
        if text:
            self.sections.append(Section(text, " > ".join(t for _, t in self.trail)))
        self.body.clear()


def parse_html(data: bytes) -> list[Section]:
    """Text from :mod:`html.parser` (scripts and styles left out), sections by h1-h6."""
    parser = _HTMLText()
    parser.feed(decode(data))
    parser.close()
    if parser.heading is not None:  # a heading never closed: its text is kept all the same
        parser.handle_endtag(f"h{parser.heading[0]}")
    parser.flush()
    return parser.sections


def parse_pdf(data: bytes) -> list[Section]:
    """One section per page with text, ``page N`` (pypdf)."""
    pypdf = _optional("pypdf", "PDF")
    _quiet("pypdf")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # pypdf raises several types for ciphers it lacks
                opened = 0
            if not opened:
                raise DocumentError("is an encrypted PDF; save an unencrypted copy")
        sections = []
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if text:
                sections.append(Section(text, f"page {number}"))
        return sections
    except DocumentError:
        raise
    except Exception as exc:  # a damaged PDF: pypdf's errors are many and not one family
        raise DocumentError(f"is not a readable PDF ({type(exc).__name__}: {exc})") from None


def parse_docx(data: bytes) -> list[Section]:
    """Paragraphs and tables (python-docx), sections by the Heading styles."""
    docx = _optional("docx", "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # not a DOCX inside, or damaged
        raise DocumentError(f"is not a readable DOCX ({type(exc).__name__}: {exc})") from None
    lines: list[str] = []
    headings: dict[int, int] = {}
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = paragraph.style.name if paragraph.style is not None else ""
        match = re.match(r"(?:Heading|Title)\s*(\d*)", style or "")
        if match:
            headings[len(lines)] = int(match.group(1) or 1)
        lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))

    def heading(lines: list[str], i: int, fenced: bool) -> tuple[int, str, int] | None:
        return (headings[i], lines[i], 1) if i in headings else None

    return _by_headings(lines, heading)


def parse_csv(data: bytes) -> list[Section]:
    """Each row as ``column: value; ...`` under the header, sections of 20 rows (``rows 2-21``)."""
    text = decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # the file is within max_file_mb already: a long cell is no reason to refuse it (the csv
    # module's default limit is 128 KiB a field); the limit is the process's, only raised
    if csv.field_size_limit() <= len(text):
        csv.field_size_limit(len(text) + 1)
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise DocumentError(f"is not valid CSV ({exc})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [Section(", ".join(header), "row 1")]
    sections = []
    for start in range(0, len(body), 20):
        lines = []
        for row in body[start : start + 20]:
            cells = [
                f"{header[i].strip() if i < len(header) else f'column {i + 1}'}: {cell.strip()}"
                for i, cell in enumerate(row)
                if cell.strip()
            ]
            lines.append("; ".join(cells))
        last = min(start + 20, len(body))
        sections.append(Section("\n".join(lines), f"rows {start + 2}-{last + 1}"))
    return sections


def parse_json(data: bytes) -> list[Section]:
    """Each value as ``path: value``; a section per top-level key (or array item)."""
    try:
        value = json.loads(decode(data))
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"is not valid JSON ({exc})") from None
    if isinstance(value, dict):
        parts = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        parts = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        parts = [("", value)]
    sections = []
    for key, item in parts:
        lines: list[str] = []
        _flatten(key, item, lines, 0)
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(text, key))
    return sections


def _flatten(path: str, value: Any, lines: list[str], depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise DocumentError(f"nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{path}.{key}" if path else str(key), item, lines, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(f"{path}[{index}]", item, lines, depth + 1)
    else:
        shown = value if isinstance(value, str) else json.dumps(value)
        lines.append(f"{path}: {shown}" if path else str(shown))


def _quiet(name: str) -> None:
    """Keep a library's log records off stderr when the program configured no logging.

    pypdf logs what it tolerates in a damaged file ("EOF marker not found"); with no handler
    anywhere, Python would print those bare lines beside gptkit's own warning for the file.
    A NullHandler on the library's logger stops that and still lets records reach handlers
    that the program configured.
    """
    import logging

    logger = logging.getLogger(name)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _optional(module: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise DocumentError(
            f"needs the {module} package to read {what} files: pip install 'gptkit[knowledge]'"
        ) from None


PARSERS: dict[str, Callable[[bytes], list[Section]]] = {
    "markdown": parse_markdown,
    "text": parse_text,
    "rst": parse_rst,
    "html": parse_html,
    "pdf": parse_pdf,
    "docx": parse_docx,
    "csv": parse_csv,
    "json": parse_json,
}
