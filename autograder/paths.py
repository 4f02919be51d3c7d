"""Where the course repository is (a module of its own: importing it costs nothing)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
