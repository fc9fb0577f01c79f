"""Support tickets, kept in a local JSON Lines file.

Tickets are appended to ``data/tickets.jsonl`` in the assistant's folder, one JSON object per
line, so a person (or a script feeding a real help desk) can pick them up. The path is fixed on
purpose: the model chooses the arguments and must not choose where files are written.
"""

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Literal

TICKETS_FILE = Path(__file__).resolve().parent.parent / "data" / "tickets.jsonl"

# 13-19 digits, optionally grouped by spaces or dashes: card numbers never go into a ticket.
_CARD_NUMBER = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    tickets = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            tickets.append(json.loads(line))
    return tickets


def _ticket_id(summary: str, priority: str) -> str:
    normalized = " ".join(summary.lower().split()) + "|" + priority
    return "T-" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:6].upper()


def open_ticket(summary: str, priority: Literal["low", "normal", "high"]) -> str:
    """Open a support ticket so a human agent follows up with the customer.

    Use it only when the help-centre articles cannot solve the problem, or the customer asks for
    a person (refund of a wrong charge, account recovery, bugs, data loss). The customer is asked
    to confirm before the ticket is created. Opening the same summary twice returns the existing
    ticket instead of a duplicate.

    Args:
        summary: What happened and what the customer needs, in 1-3 sentences, with the useful
            details (device, app version, dates, amounts). Never include passwords or card numbers.
        priority: "high" for data loss, locked-out accounts, security or wrong charges; "normal"
            for bugs and billing questions; "low" for feedback and feature requests.

    Returns:
        The ticket id and a short confirmation to pass on to the customer.
    """
    if priority not in ("low", "normal", "high"):
        raise ValueError(f"priority must be low, normal or high, got {priority!r}")
    text = " ".join(summary.split())
    if len(text) < 10:
        raise ValueError("summary is too short: describe the problem in a sentence or two")
    if len(text) > 2000:
        raise ValueError("summary is too long: keep it under 2000 characters")
    text = _CARD_NUMBER.sub("[card number removed]", text)

    ticket_id = _ticket_id(text, priority)
    if any(ticket.get("id") == ticket_id for ticket in _read(TICKETS_FILE)):
        return f"Ticket {ticket_id} is already open for this problem; no duplicate was created."

    record = {"id": ticket_id, "status": "open", "priority": priority, "summary": text}
    TICKETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    # One os.write on an O_APPEND descriptor: concurrent writers never interleave inside a line.
    fd = os.open(TICKETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    response = {
        "high": "within 4 business hours",
        "normal": "within 1 business day",
        "low": "within 3 business days",
    }
    return (
        f"Ticket {ticket_id} opened with {priority} priority. "
        f"A person from the team replies {response[priority]}."
    )


def ticket_status(ticket_id: str) -> str:
    """Look up a support ticket by its id (such as "T-1A2B3C") and return its status and priority.

    The summary is not returned: a ticket id alone must not reveal what another customer wrote.

    Args:
        ticket_id: The ticket id the customer was given, e.g. "T-1A2B3C".

    Returns:
        The ticket's status and priority, or a sentence saying no such ticket exists.
    """
    wanted = ticket_id.strip().upper()
    for ticket in _read(TICKETS_FILE):
        if ticket.get("id") == wanted:
            status, priority = ticket.get("status"), ticket.get("priority")
            return f"Ticket {wanted}: status {status}, priority {priority}."
    return f"No ticket {wanted!r} found. Ask the customer to check the id (it looks like T-1A2B3C)."
