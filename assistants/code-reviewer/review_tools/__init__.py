"""Diff tools for the code-reviewer assistant."""
