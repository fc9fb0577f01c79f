"""A packing list built from the destination's climate, the trip length and planned activities."""

from typing import Literal

from .weather import MONTHS, lookup

Activity = Literal["city", "beach", "hiking", "business", "nightlife", "skiing", "swimming"]

_ACTIVITY_ITEMS: dict[str, list[str]] = {
    "city": ["comfortable walking shoes", "small day bag", "refillable water bottle"],
    "beach": ["swimsuit", "beach towel or sarong", "sandals", "sunglasses", "after-sun lotion"],
    "hiking": [
        "broken-in hiking shoes",
        "hiking socks (2 pairs)",
        "daypack",
        "blister plasters",
        "offline map on your phone",
    ],
    "business": [
        "smart outfit per meeting day",
        "smart shoes",
        "laptop and charger",
        "presentation adapter",
    ],
    "nightlife": ["one going-out outfit", "small cross-body bag"],
    "skiing": [
        "thermal base layers",
        "ski socks (2 pairs)",
        "ski gloves",
        "neck warmer",
        "goggles",
        "lip balm with SPF",
    ],
    "swimming": ["swimsuit", "quick-dry towel", "flip-flops for the pool"],
}


def packing_list(city: str, month: int, nights: int, activities: list[Activity]) -> str:
    """Make a packing checklist for a trip from the destination's typical weather that month.

    Takes the climate averages for the city and month, the number of nights and the planned
    activities, and returns a grouped checklist with quantities. Clothes are counted for up to
    seven nights; longer trips assume one laundry stop a week.

    Args:
        city: Destination city, e.g. "Funchal" (must be one of the cities get_weather knows).
        month: Month of travel, 1 = January ... 12 = December.
        nights: Number of nights away, 1 to 60.
        activities: Planned activities; an empty list means general sightseeing.

    Returns:
        A Markdown checklist grouped into clothes, weather gear, activities and essentials.
    """
    if not 1 <= nights <= 60:
        raise ValueError(f"nights must be between 1 and 60, got {nights}")
    canonical, high, low, rain = lookup(city, month)
    days = min(nights, 7) + 1
    chosen = list(dict.fromkeys(activities or ["city"]))  # unique, in the order given
    unknown = [a for a in chosen if a not in _ACTIVITY_ITEMS]
    if unknown:
        raise ValueError(f"unknown activities {unknown}; use any of {sorted(_ACTIVITY_ITEMS)}")

    clothes = [f"underwear and socks x{days}", f"tops/T-shirts x{days}"]
    clothes.append(
        f"{'shorts or light trousers' if high >= 24 else 'trousers'} x{max(2, days // 3)}"
    )
    clothes.append("sleepwear")
    if low < 12:
        clothes.append("warm sweater or fleece")
    if low <= 3:
        clothes += ["warm coat", "hat, scarf and gloves", "thermal layer"]
    elif high < 17:
        clothes.append("light jacket")
    elif low < 16:
        clothes.append("light layer for the evenings")
    if high >= 28:
        clothes.append("breathable, loose clothing (cotton or linen)")

    weather = []
    if rain >= 80:
        weather += ["waterproof jacket with hood", "compact umbrella", "shoes that survive puddles"]
    elif rain >= 40:
        weather.append("compact umbrella or light rain jacket")
    if high >= 22:
        weather += ["sunscreen SPF 30+", "sunglasses", "sun hat"]
    if high >= 32:
        weather.append("electrolyte sachets")

    activity_items: list[str] = []
    for activity in chosen:
        for item in _ACTIVITY_ITEMS[activity]:
            if item not in activity_items and item not in weather:
                activity_items.append(item)

    essentials = [
        "passport or ID card",
        "bank card + a little cash",
        "phone and charger",
        "travel adapter (check the plug type)",
        "basic medicines and any prescriptions",
        "travel insurance details",
    ]
    if nights > 7:
        essentials.append("laundry bag and a few detergent sheets")

    sections = [
        f"Packing list: {canonical} in {MONTHS[month - 1]}, {nights} night(s) "
        f"(typically {high}°C by day, {low}°C at night, {rain} mm rain)",
        "",
        "Clothes:",
        *(f"- [ ] {item}" for item in clothes),
    ]
    if weather:
        sections += ["", "Weather gear:", *(f"- [ ] {item}" for item in weather)]
    sections += ["", f"For {', '.join(chosen)}:", *(f"- [ ] {item}" for item in activity_items)]
    sections += ["", "Essentials:", *(f"- [ ] {item}" for item in essentials)]
    return "\n".join(sections)
