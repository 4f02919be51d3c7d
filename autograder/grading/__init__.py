"""Grading one submission: the trusted tests in this process (`runner`), the student's code in a
sandbox (`session`, whose replies are checked by `replies`), one result (`submission`), as a task a
worker runs (`task`), fingerprinted for resumed runs (`fingerprint`)."""
