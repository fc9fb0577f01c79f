"""Tool functions for the test cases."""


def lookup(city: str) -> str:
    """Look a city up."""
    return city


def nodoc(x: int) -> int:
    return x
