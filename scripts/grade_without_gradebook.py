"""`python -m autograder grade ...` without nbgrader's gradebook, for machines that lack nbgrader.

The GPU check uses this only where `import nbgrader.api` fails (a GPU machine without the carried
gradebook wheels) and the grader has no `--no-gradebook` option of its own: the class-level process
then skips the gradebook calls (set-up, one record per student, the scores it compares with, the
late-penalty plugin) and reads no `timestamp.txt` (nbgrader parses it);
everything else — the workers, the sandboxes, result.json, the feedback pages, grades.csv, the
report — is the command's own. The workers never touch the gradebook.

    python scripts/grade_without_gradebook.py ASSIGNMENT --course COURSE [grade's options]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.classroom import gradebook, submitted_files  # noqa: E402
from autograder.cli import main  # noqa: E402


class _NoGradebook:
    """Takes every write the run would make to the gradebook, and keeps none."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def record(self, *args: object, **kwargs: object) -> None:
        pass

    def close(self) -> None:
        pass


gradebook.ensure_assignment = lambda *args, **kwargs: None
gradebook.Recorder = _NoGradebook  # type: ignore[misc,assignment]
gradebook.read_scores = lambda *args, **kwargs: {}
gradebook.late_penalties = lambda *args, **kwargs: None
submitted_files.submission_timestamp = lambda folder: (None, None)

if __name__ == "__main__":
    code = main(["grade", *sys.argv[1:]])
    from autograder.classroom.local import stop_fork_server

    stop_fork_server()
    sys.exit(code)
