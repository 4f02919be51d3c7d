"""Shared test settings. CI sets COURSE_REQUIRE_ALL=1: a missing browser or database then fails."""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests' own helper modules


def require(available: bool, what: str) -> None:
    """Skip when `what` is missing on a developer's machine; fail in CI, where everything must run."""
    if available:
        return
    if os.environ.get("COURSE_REQUIRE_ALL"):
        pytest.fail(f"{what} is required here (COURSE_REQUIRE_ALL is set)")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def need():
    return require
