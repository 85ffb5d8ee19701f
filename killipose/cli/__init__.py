"""The ``killipose`` command: one subcommand per workflow stage.

Each subcommand reads its inputs, calls the library, and writes its outputs atomically.
User mistakes print ``killipose: error: <message>`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import sys
import time
from pathlib import Path

from killipose.cli import figures, fit, prepare, videos
from killipose.errors import InputError

log = logging.getLogger("killipose")

#: The modules whose subcommands the command has, in the order ``--help`` lists them.
COMMANDS = (prepare, fit, figures, videos)
#: An example command line of every subcommand, shown in its ``--help``.
EXAMPLES = {name: line for module in COMMANDS for name, line in module.EXAMPLES.items()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="killipose", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(func, paths=(), title=None):
        """The subcommand that runs ``cmd_<name>``: the command's docstring is its help;
        then its positional file arguments, and ``--title`` if it has one."""
        name = func.__name__.removeprefix("cmd_").replace("_", "-")
        help_ = " ".join(inspect.getdoc(func).split())
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=f"example:\n  {EXAMPLES[name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        for path in paths:
            p.add_argument(path, type=Path)
        if title is not None:
            p.add_argument("--title", default=title)
        return p

    for module in COMMANDS:
        module.register(add)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    start = time.perf_counter()
    # Torch's OpenMP threads wait for work by sleeping, not spinning: a spinning thread
    # burns a core that another process (a fit beside this one, anyone's job on a shared
    # node) needs, and a fit beside a busy process then took 2.6 times as long. Read when
    # torch loads its OpenMP library, which the commands import lazily, after this line.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "SLURM_JOB_ID" in os.environ:  # on a cluster, say which job wrote this log
        log.info("SLURM job %s on %s", os.environ["SLURM_JOB_ID"], os.uname().nodename)
    try:
        args.func(args)
    except InputError as err:
        print(f"killipose: error: {err}", file=sys.stderr)
        return 2
    log.info("killipose %s done in %.1f s", args.command, time.perf_counter() - start)
    return 0


def run() -> None:
    """The ``killipose`` command: :func:`main`, then exit with its status.

    After an error the process ends at once (``os._exit``) instead of tearing down the
    interpreter: native thread pools (pyarrow's CSV reader, torch) still winding down at
    teardown could otherwise abort it (``terminate called without an active
    exception``, status 134) after the one-line error was printed.
    """
    status = main()
    if status:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
