"""The one exception users see."""


class InputError(ValueError):
    """A user mistake: a missing or unreadable file, a bad table, a bad parameter.

    The message is one line that names the file or key and what to do. The command line
    prints it as ``killipose: error: <message>`` and exits with status 2.
    """
