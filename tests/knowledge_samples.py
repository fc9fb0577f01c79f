"""Small documents of every kind the knowledge tests index, made on the spot."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def pdf_bytes(pages: list[str], password: str | None = None) -> bytes:
    """A PDF with one line of Helvetica text per page (pypdf), encrypted when ``password``."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }))
    for text in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})
        })
        stream = DecodedStreamObject()
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if password is not None:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(blocks: list[tuple[str, str]]) -> bytes:
    """A DOCX (python-docx) of ``(style, text)`` paragraphs: style "h1", "h2" or "p"."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style.startswith("h"):
            document.add_heading(text, level=int(style[1:]))
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb() -> bytes:
    """A zip named .docx whose one part expands from a few kB to 200 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                part.write(chunk)
    return out.getvalue()


def write(folder: Path, name: str, data: bytes | str) -> Path:
    """Write ``data`` to ``folder/name`` (folders made); the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


ASSISTANT = """\
version: 1
name: kb-test
model: {{name: gpt-4o-mini}}
instructions: Answer from the knowledge files and cite them.
knowledge:
  files: {files}
{extra}"""


def assistant(folder: Path, files: list[str], extra: str = "") -> Path:
    """An assistant file in ``folder`` whose knowledge is ``files``."""
    import json

    return write(folder, "assistant.yaml", ASSISTANT.format(files=json.dumps(files), extra=extra))
