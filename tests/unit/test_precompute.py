"""The symmetry notebooks' precomputed reference data is written the same on every CPU."""

import json

from autograder.authoring.precompute import _rounded


def test_rounding_noise_is_written_as_zero_whatever_its_sign():
    # one CPU's spread of a tensor whose entries are equal in exact arithmetic, another CPU's 0
    noisy = {"spreads": {"2.bias": 1.73472348e-17, "0.bias": -2.0e-16, "2.weight": 0.0}}
    assert json.dumps(_rounded(noisy)) == json.dumps({"spreads": {"2.bias": 0.0, "0.bias": 0.0, "2.weight": 0.0}})


def test_values_keep_nine_significant_digits():
    value = [0.0211603568123, -0.618291945456, 1e-9 + 1e-18]
    assert _rounded(value) == [0.0211603568, -0.618291945, 1e-9]
    assert _rounded({"a": [[3.141592653589793]]}) == {"a": [[3.14159265]]}
