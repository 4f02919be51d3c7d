"""A submitted notebook, before any of it runs: which file is the submission (`choose`), reading it
safely (`read`), the program of trusted cells with the student's answers in place (`program`), and
what its source shows to a reader (`screening`). Pure Python: nothing here executes student code."""
