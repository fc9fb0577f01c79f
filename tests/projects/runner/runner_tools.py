"""Tools of the end-to-end test assistant; each call is logged to $RUNNER_LOG when set."""

import asyncio
import json
import os


def _log(name: str, **arguments: object) -> None:
    path = os.environ.get("RUNNER_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"tool": name, "arguments": arguments}) + "\n")


def add(a: int, b: int) -> int:
    """Add two integers."""
    _log("add", a=a, b=b)
    return a + b


async def slow_echo(text: str, seconds: float = 0.0) -> str:
    """Echo text after waiting some seconds."""
    _log("slow_echo", text=text, seconds=seconds)
    await asyncio.sleep(seconds)
    return text


def book(city: str) -> str:
    """Book a hotel in a city (asks the person first)."""
    _log("book", city=city)
    return f"booked a hotel in {city}"


_BARRIER = None


def meet(who: str) -> str:
    """Wait until a second call of meet arrives (proves parallel calls run at the same time)."""
    import threading

    global _BARRIER
    if _BARRIER is None:
        _BARRIER = threading.Barrier(2, timeout=5)
    _BARRIER.wait()  # raises BrokenBarrierError when the other call never comes
    return f"{who} met"
