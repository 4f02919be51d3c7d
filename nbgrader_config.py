"""nbgrader settings: the repo root is the course directory."""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = "."
c.CourseDirectory.course_id = "optim-dl"
# The instructor's notebooks (solutions + hidden tests) and the generated student versions.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# The jupytext source of each notebook sits beside it and holds the solutions: never release it.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
# Deleted test cells come back at grading time instead of silently vanishing.
c.OverwriteCells.add_missing_cells = True
