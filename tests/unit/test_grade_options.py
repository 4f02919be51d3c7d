"""`python -m autograder grade --feedback ...` reaches the class run (nothing is graded here)."""

import pytest

from autograder import cli
from autograder.classroom import run


@pytest.mark.parametrize("argv, mode", [([], "full"), (["--feedback", "counts"], "counts"),
                                        (["--feedback", "full"], "full")])
def test_the_feedback_mode_reaches_the_job(tmp_path, monkeypatch, argv, mode):
    (tmp_path / "submitted" / "ann" / "adam").mkdir(parents=True)
    jobs = []
    monkeypatch.setattr(run, "grade_class", lambda job: jobs.append(job) or [])
    assert cli.main(["grade", "adam", "--course", str(tmp_path), *argv]) == 0
    assert [job.feedback for job in jobs] == [mode]


def test_an_unknown_feedback_mode_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "adam", "--course", str(tmp_path), "--feedback", "everything"])
    assert "invalid choice" in capsys.readouterr().err


def test_kept_results_get_their_page_in_this_runs_mode(tmp_path, monkeypatch):
    """An unchanged submission is not graded again, but a run with another --feedback rewrites its page."""
    from autograder.classroom import gradebook
    from autograder.classroom.job import ClassJob
    from autograder.paths import THIS_REPO
    from autograder.results import SubmissionResult, TestResult

    monkeypatch.setattr(gradebook, "read_scores", lambda db_url, assignment: {"ann": 0.0})
    result = SubmissionResult("ann", "adam", 0.0, 3.0, tests=[
        TestResult("adam-eps", 0.0, 3.0, False, "MyAdam, a hidden setting: step 9 differs", True, title="MyAdam: ε")])
    page = tmp_path / "feedback" / "ann" / "adam" / "adam.html"
    for mode, shown in (("full", True), ("counts", False), ("full", True)):
        job = ClassJob(tmp_path, "adam", THIS_REPO.source_notebook("adam"), feedback=mode)
        run.Writer(job, "sqlite://").keep({"ann": result})
        assert ("a hidden setting" in page.read_text()) == shown, mode
