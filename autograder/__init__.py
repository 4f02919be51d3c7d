"""The course's grading pipeline: build the notebooks, grade a class, report."""
