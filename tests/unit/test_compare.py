"""core.compare, the comparison every check ends in: what it accepts and what its message says."""

import math

import pytest

from autograder.checks.core import CheckFailure, compare


def test_equal_within_tolerance_passes_and_nan_matches_nan():
    compare([1.0, 2.0 + 1e-12, math.nan, math.inf], [1.0, 2.0, math.nan, math.inf], what="x", context="c")


@pytest.mark.parametrize("got, want", [([1.0, 2.5], [1.0, 2.0]), ([math.nan], [1.0]), ([1.0], [math.nan]),
                                       ([math.inf], [-math.inf])])
def test_a_difference_fails_naming_the_entry(got, want):
    with pytest.raises(CheckFailure) as failure:
        compare(got, want, what="the parameter", context="after step 3")
    assert "after step 3" in str(failure.value) and "the parameter" in str(failure.value)


def test_shapes_and_non_numbers_are_reported():
    with pytest.raises(CheckFailure, match=r"has shape \(2,\), expected \(3,\)"):
        compare([1, 2], [1, 2, 3], what="x", context="c")
    with pytest.raises(CheckFailure, match="should be numbers"):
        compare(["a"], [1], what="x", context="c")
