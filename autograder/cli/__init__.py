"""Command line: `python -m autograder {build,book,publish,grade,check} ...` (see README.md).

Each command imports what it needs when it runs: `--help` and `build` never load torch."""

import argparse
from typing import NoReturn, Optional

from . import authoring, grading


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake said in one line (the valid choices in it), exit status 2."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def main(argv: Optional[list[str]] = None) -> int:
    parser = Parser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    authoring.add_commands(sub)
    grading.add_commands(sub)
    args = parser.parse_args(argv)
    return args.run(args)
