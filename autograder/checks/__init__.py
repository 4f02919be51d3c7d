"""Checks that the notebooks' tests call; inlined into the student notebooks."""
