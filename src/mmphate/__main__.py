"""``python -m mmphate``: the same as the ``mmphate`` command."""

from .cli import run

run()
