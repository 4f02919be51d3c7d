"""Command line: `python -m autograder {build,book,grade} ...` (see README.md)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
