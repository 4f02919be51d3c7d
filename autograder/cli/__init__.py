"""Command line: `python -m autograder {build,book,publish,grade,check} ...` (see README.md).

Each command imports what it needs when it runs: `--help` and `build` never load torch."""

import argparse
from typing import Optional

from . import authoring, grading


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    authoring.add_commands(sub)
    grading.add_commands(sub)
    args = parser.parse_args(argv)
    return args.run(args)
