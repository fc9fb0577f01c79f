"""Offline climate normals for popular destinations.

The figures are rounded long-term monthly averages (typical daytime high, night-time low, and
total rainfall), good enough to plan clothes and activities. They are not a forecast.
"""

import unicodedata

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# city: (average highs °C, average lows °C, rain mm per month), January to December.
_CLIMATE: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {
    "Lisbon": (
        (15, 16, 19, 20, 23, 27, 29, 29, 27, 23, 18, 15),
        (8, 9, 11, 12, 14, 17, 18, 19, 18, 15, 11, 9),
        (100, 90, 60, 65, 50, 15, 5, 5, 30, 95, 125, 125),
    ),
    "Porto": (
        (14, 15, 17, 18, 20, 24, 25, 26, 24, 21, 17, 14),
        (5, 6, 8, 9, 12, 14, 16, 16, 15, 12, 8, 6),
        (150, 115, 95, 110, 90, 40, 20, 30, 75, 150, 170, 180),
    ),
    "Funchal": (
        (19, 19, 20, 20, 22, 23, 25, 26, 26, 25, 22, 20),
        (13, 13, 14, 14, 16, 17, 19, 19, 19, 18, 16, 14),
        (90, 80, 60, 35, 20, 5, 2, 3, 25, 80, 95, 105),
    ),
    "Madrid": (
        (10, 12, 16, 18, 22, 28, 32, 31, 26, 19, 13, 10),
        (3, 3, 5, 7, 11, 15, 19, 19, 15, 11, 6, 3),
        (35, 35, 25, 45, 50, 20, 10, 10, 25, 60, 50, 50),
    ),
    "Barcelona": (
        (14, 15, 17, 19, 22, 26, 29, 29, 26, 22, 17, 14),
        (5, 6, 8, 10, 14, 17, 20, 21, 18, 14, 9, 6),
        (40, 35, 35, 50, 55, 30, 20, 60, 85, 90, 60, 50),
    ),
    "Paris": (
        (7, 9, 13, 16, 20, 23, 25, 25, 21, 16, 11, 8),
        (3, 3, 5, 7, 11, 14, 16, 16, 13, 10, 6, 4),
        (50, 40, 50, 50, 65, 55, 60, 50, 50, 60, 50, 55),
    ),
    "London": (
        (8, 9, 12, 15, 18, 21, 24, 23, 20, 16, 11, 9),
        (3, 3, 4, 6, 9, 12, 14, 14, 12, 9, 6, 3),
        (55, 40, 40, 45, 50, 45, 45, 50, 50, 70, 65, 55),
    ),
    "Amsterdam": (
        (6, 7, 10, 14, 18, 20, 22, 22, 19, 15, 10, 7),
        (1, 1, 3, 5, 8, 11, 13, 13, 11, 8, 4, 2),
        (65, 50, 55, 40, 55, 65, 75, 85, 80, 85, 85, 75),
    ),
    "Berlin": (
        (3, 5, 9, 15, 19, 22, 24, 24, 19, 14, 8, 4),
        (-2, -2, 1, 4, 8, 12, 14, 13, 10, 6, 2, -1),
        (40, 35, 40, 35, 55, 60, 55, 60, 45, 35, 45, 55),
    ),
    "Vienna": (
        (3, 5, 10, 16, 21, 24, 26, 26, 21, 15, 8, 4),
        (-2, -1, 2, 6, 11, 14, 16, 16, 12, 7, 3, -1),
        (40, 40, 45, 50, 70, 70, 70, 70, 55, 40, 50, 45),
    ),
    "Prague": (
        (2, 4, 9, 15, 20, 23, 25, 25, 20, 14, 7, 3),
        (-3, -3, 0, 4, 8, 12, 13, 13, 9, 5, 1, -2),
        (20, 20, 30, 35, 65, 70, 80, 70, 45, 30, 30, 25),
    ),
    "Rome": (
        (12, 14, 16, 19, 24, 28, 31, 32, 27, 22, 17, 13),
        (3, 4, 6, 8, 12, 16, 18, 18, 15, 11, 7, 4),
        (70, 75, 60, 65, 50, 35, 20, 30, 70, 110, 110, 80),
    ),
    "Athens": (
        (13, 14, 17, 20, 25, 30, 33, 33, 29, 24, 19, 15),
        (7, 7, 9, 12, 16, 20, 23, 23, 20, 16, 12, 9),
        (55, 45, 40, 25, 15, 5, 5, 5, 15, 45, 60, 70),
    ),
    "Istanbul": (
        (9, 9, 12, 16, 21, 26, 28, 29, 25, 20, 15, 11),
        (3, 3, 5, 8, 13, 17, 20, 21, 17, 13, 9, 5),
        (100, 75, 70, 45, 35, 30, 20, 30, 50, 90, 100, 120),
    ),
    "Reykjavik": (
        (2, 3, 3, 6, 10, 12, 14, 13, 11, 7, 4, 2),
        (-3, -3, -2, 0, 4, 7, 9, 8, 5, 2, -1, -3),
        (75, 70, 80, 60, 45, 50, 50, 60, 65, 85, 75, 85),
    ),
    "Marrakech": (
        (18, 20, 23, 25, 29, 33, 37, 37, 32, 28, 22, 19),
        (6, 8, 10, 12, 15, 18, 21, 22, 19, 15, 10, 7),
        (30, 35, 35, 30, 15, 5, 2, 3, 10, 25, 40, 30),
    ),
    "Dubai": (
        (24, 25, 29, 33, 38, 40, 42, 42, 39, 35, 30, 26),
        (14, 16, 18, 22, 26, 28, 30, 30, 27, 23, 19, 16),
        (20, 35, 20, 8, 1, 0, 1, 0, 0, 1, 3, 15),
    ),
    "New York": (
        (4, 6, 10, 17, 22, 27, 29, 29, 25, 18, 12, 6),
        (-3, -2, 2, 7, 12, 18, 21, 20, 16, 10, 5, 0),
        (90, 80, 110, 105, 100, 105, 115, 110, 100, 100, 90, 100),
    ),
    "Tokyo": (
        (10, 10, 14, 19, 23, 26, 30, 31, 27, 22, 17, 12),
        (1, 2, 5, 10, 15, 19, 23, 24, 21, 15, 9, 4),
        (50, 55, 115, 130, 140, 165, 155, 155, 225, 235, 95, 55),
    ),
    "Bangkok": (
        (32, 33, 34, 35, 34, 33, 33, 33, 32, 32, 32, 31),
        (22, 24, 25, 26, 26, 26, 25, 25, 25, 25, 24, 22),
        (15, 20, 40, 80, 220, 150, 160, 200, 320, 240, 50, 10),
    ),
    "Sydney": (
        (26, 26, 25, 23, 20, 18, 17, 19, 21, 23, 24, 25),
        (19, 19, 18, 15, 12, 9, 8, 9, 11, 14, 16, 18),
        (100, 120, 130, 125, 120, 130, 100, 80, 70, 75, 85, 80),
    ),
    "Cape Town": (
        (26, 27, 26, 23, 21, 19, 18, 18, 19, 21, 24, 25),
        (16, 16, 14, 12, 10, 8, 7, 8, 9, 11, 13, 15),
        (15, 15, 20, 40, 70, 90, 85, 75, 40, 30, 15, 15),
    ),
}

_ALIASES = {
    "lisboa": "Lisbon",
    "oporto": "Porto",
    "madeira": "Funchal",
    "roma": "Rome",
    "athina": "Athens",
    "wien": "Vienna",
    "praha": "Prague",
    "nyc": "New York",
    "new york city": "New York",
    "capetown": "Cape Town",
    "marrakesh": "Marrakech",
}


def _key(name: str) -> str:
    """Lower-case, strip accents and extra spaces: "  Reykjavík " -> "reykjavik"."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().replace("-", " ").split())


_INDEX = {_key(city): city for city in _CLIMATE} | {alias: city for alias, city in _ALIASES.items()}


def known_cities() -> list[str]:
    """Return the cities the climate table covers, sorted."""
    return sorted(_CLIMATE)


def lookup(city: str, month: int) -> tuple[str, int, int, int]:
    """Return (canonical city name, average high, average low, rain mm) or raise ValueError."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be a number from 1 (January) to 12 (December), got {month}")
    canonical = _INDEX.get(_key(city.split(",")[0]))
    if canonical is None:
        raise ValueError(
            f"No climate data for {city!r}. Known cities: {', '.join(known_cities())}. "
            "For other places, give general advice and say it is not from the table."
        )
    highs, lows, rain = _CLIMATE[canonical]
    return canonical, highs[month - 1], lows[month - 1], rain[month - 1]


def _describe(high: int, low: int, rain_mm: int) -> str:
    if high >= 30:
        feel = "hot"
    elif high >= 24:
        feel = "warm"
    elif high >= 17:
        feel = "mild"
    elif high >= 10:
        feel = "cool"
    else:
        feel = "cold"
    if rain_mm >= 150:
        wet = "very wet (expect frequent heavy showers)"
    elif rain_mm >= 80:
        wet = "often rainy"
    elif rain_mm >= 40:
        wet = "some rainy days"
    else:
        wet = "mostly dry"
    frost = ", frost likely at night" if low <= 0 else ""
    return f"{feel}, {wet}{frost}"


async def get_weather(city: str, month: int) -> str:
    """Get a city's typical weather in a given month: average high, low and rainfall.

    Uses a built-in table of long-term climate averages (offline, not a forecast) for about twenty
    popular destinations. Use it to compare destinations, pick a travel month, or plan what to pack.

    Args:
        city: City name in English or the local spelling, e.g. "Lisbon", "Wien", "Reykjavík".
        month: Month number, 1 = January ... 12 = December.

    Returns:
        One line such as
        "Porto in March: 17°C by day, 8°C at night, 95 mm of rain; mild, often rainy."
    """
    # async so a live weather service can replace the table without changing the tool's signature.
    canonical, high, low, rain = lookup(city, month)
    return (
        f"{canonical} in {MONTHS[month - 1]}: {high}°C by day, {low}°C at night, "
        f"{rain} mm of rain; {_describe(high, low, rain)}. (Climate average, not a forecast.)"
    )
