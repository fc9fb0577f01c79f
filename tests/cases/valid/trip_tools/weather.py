"""Offline stand-ins for the format example's tools."""


async def get_weather(city: str) -> str:
    """Tell the weather in a city."""
    return f"18C in {city}"


def book(hotel: str, nights: int) -> str:
    """Book a hotel."""
    return f"booked {hotel} for {nights} nights"
