"""Code the book pages and the student notebooks share (test functions, trajectories, figures).

Student notebooks get these modules inlined by `python -m autograder build`, so they import only
numpy, torch and plotly.
"""
