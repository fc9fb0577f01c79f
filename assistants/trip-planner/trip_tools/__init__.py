"""Offline tools for the trip-planner assistant: climate, packing lists, booking requests."""
