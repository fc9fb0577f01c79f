"""Temperature conversion, the tool of the python-tool example."""

from typing import Literal

Unit = Literal["C", "F", "K"]

_NAMES = {"C": "°C", "F": "°F", "K": "K"}


def convert_temperature(value: float, from_unit: Unit, to_unit: Unit) -> str:
    """Convert a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K).

    Args:
        value: The temperature to convert.
        from_unit: The unit of `value`: "C", "F" or "K".
        to_unit: The unit to convert to: "C", "F" or "K".

    Returns:
        The conversion, e.g. "100 °F = 37.78 °C".
    """
    if from_unit == "C":
        kelvin = value + 273.15
    elif from_unit == "F":
        kelvin = (value - 32) * 5 / 9 + 273.15
    else:
        kelvin = value
    if kelvin < -1e-9:  # allow rounding noise at exactly absolute zero
        raise ValueError(f"{value} {_NAMES[from_unit]} is below absolute zero")
    if to_unit == "C":
        result = kelvin - 273.15
    elif to_unit == "F":
        result = (kelvin - 273.15) * 9 / 5 + 32
    else:
        result = kelvin
    return f"{value:g} {_NAMES[from_unit]} = {round(result, 2):g} {_NAMES[to_unit]}"
