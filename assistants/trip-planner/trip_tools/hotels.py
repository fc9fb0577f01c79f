"""Hotel booking requests, recorded locally.

There is no booking service behind this tool: it writes a request record to
``data/bookings.json`` in the assistant's folder (and nowhere else) and returns a confirmation,
so the traveller has a tidy list of what to book. The file path is fixed on purpose: the model
chooses the arguments, and a path argument would let it write anywhere.
"""

import hashlib
import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

BOOKINGS_FILE = Path(__file__).resolve().parent.parent / "data" / "bookings.json"


def _load(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise ValueError(f"{path} does not hold a JSON list of bookings; move it aside and retry")
    return records


def _save(path: Path, records: list[dict[str, object]]) -> None:
    """Write the list to a temporary file, then rename it over the old one: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bookings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(records, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def book(
    hotel_name: str,
    city: str,
    check_in: str,
    nights: int,
    guests: int,
    price_per_night_eur: int,
    traveller_name: str,
) -> str:
    """Record a hotel booking request for the traveller and return its reference number.

    Only call this after the traveller has agreed to the hotel, dates and price. It saves the
    request in the local bookings file; it does not pay or contact the hotel, so tell the
    traveller to complete the booking with the hotel or a booking site. Calling it again with
    the same details returns the same reference instead of a duplicate.

    Args:
        hotel_name: Name of the hotel, e.g. "Casa do Rio".
        city: City of the hotel.
        check_in: Arrival date as YYYY-MM-DD.
        nights: Number of nights, 1 to 30.
        guests: Number of guests, 1 to 8.
        price_per_night_eur: Expected price per night in whole euros, as quoted to the traveller.
        traveller_name: Name the booking is for.

    Returns:
        A confirmation with the reference, dates and total price, or a note that the same request
        already exists.
    """
    try:
        arrival = date.fromisoformat(check_in)
    except ValueError:
        raise ValueError(f"check_in must be a date as YYYY-MM-DD, got {check_in!r}") from None
    if not 1 <= nights <= 30:
        raise ValueError(f"nights must be between 1 and 30, got {nights}")
    if not 1 <= guests <= 8:
        raise ValueError(f"guests must be between 1 and 8, got {guests}")
    if price_per_night_eur < 0:
        raise ValueError("price_per_night_eur cannot be negative")
    for label, value in (
        ("hotel_name", hotel_name),
        ("city", city),
        ("traveller_name", traveller_name),
    ):
        if not value.strip():
            raise ValueError(f"{label} must not be empty")

    departure = arrival + timedelta(days=nights)
    fingerprint = "|".join(
        [
            hotel_name.strip().lower(),
            city.strip().lower(),
            arrival.isoformat(),
            str(nights),
            str(guests),
            traveller_name.strip().lower(),
        ]
    )
    reference = "TP-" + hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:8].upper()
    total = price_per_night_eur * nights
    summary = (
        f"{hotel_name.strip()}, {city.strip()}: {arrival.isoformat()} to {departure.isoformat()} "
        f"({nights} night(s)), {guests} guest(s), for {traveller_name.strip()}, "
        f"{price_per_night_eur} EUR/night = {total} EUR total"
    )

    records = _load(BOOKINGS_FILE)
    if any(record.get("reference") == reference for record in records):
        return f"Already recorded as {reference}: {summary}. No duplicate was created."

    records.append(
        {
            "reference": reference,
            "status": "requested",
            "hotel": hotel_name.strip(),
            "city": city.strip(),
            "check_in": arrival.isoformat(),
            "check_out": departure.isoformat(),
            "nights": nights,
            "guests": guests,
            "price_per_night_eur": price_per_night_eur,
            "total_eur": total,
            "traveller": traveller_name.strip(),
        }
    )
    _save(BOOKINGS_FILE, records)
    return (
        f"Booking request {reference} recorded: {summary}. "
        "This is a local record only: nothing was paid and the hotel was not contacted."
    )
