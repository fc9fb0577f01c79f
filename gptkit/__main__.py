"""``python -m gptkit`` runs the command line."""

from gptkit.cli.main import run

run()
