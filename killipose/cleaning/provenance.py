"""Provenance of a cleaning: each step, the parameters it was called with, what it changed.

After movement's ``log_to_attrs`` (``movement/utils/logging.py``), which appends every
call of a filter to its result's ``attrs["log"]``. Cleaning steps work on arrays, which
carry no attributes, so a step appends its record to a list the caller hands it: the
cleaning report's ``steps``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable


def recorded(title: str) -> Callable[[Callable], Callable]:
    """Decorator: each call of a cleaning step leaves a record in a list.

    Parameters
    ----------
    title
        What the step does, for a person; may name the step's parameters as format
        fields (``"interpolate gaps of <= {max_gap} frames"``).

    Returns
    -------
    A decorator for a step ``step(data..., *, parameters...) -> (result, changes)``:
    positional arguments are the data, keyword-only ones its parameters, ``changes`` a
    JSON-ready dict of what it changed (counts). The decorated step takes one keyword
    more, ``record``: a list to append ``{"step": title, "operation": step.__name__,
    "parameters": {name: value}} | changes`` to, or ``None`` (the default) to record
    nothing. It returns what the step returns. Its ``entry(changes, **parameters)``
    makes the record without running the step: for a step run on pieces of a table,
    with the changes of all the pieces.

    Notes
    -----
    Every keyword-only parameter is recorded, defaults included, so a record says how
    the step ran without reading the code's defaults. Tuples are recorded as lists, as
    JSON reads them back. A step that raises records nothing.
    """

    def decorate(step: Callable) -> Callable:
        signature = inspect.signature(step)
        names = [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]

        def entry(changes: dict, /, *args, **kwargs) -> dict:
            """The record of a call with these arguments that changed ``changes``."""
            bound = signature.bind_partial(*args, **kwargs)
            bound.apply_defaults()
            parameters = {name: _as_json(bound.arguments[name]) for name in names}
            return {
                "step": title.format(**parameters),
                "operation": step.__name__,
                "parameters": parameters,
            } | changes

        @functools.wraps(step)
        def run(*args, record: list[dict] | None = None, **kwargs):
            result, changes = step(*args, **kwargs)
            if record is not None:
                record.append(entry(changes, *args, **kwargs))
            return result, changes

        run.entry = entry
        return run

    return decorate


def _as_json(value):
    """A parameter as JSON gives it back: a tuple as a list."""
    return list(value) if isinstance(value, tuple) else value
