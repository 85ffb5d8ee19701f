"""``python -m killipose.cli``: the ``killipose`` command."""

from killipose.cli import run

run()
