"""For maintainers: generate every notebook from its one source (`build`), and the known
submissions with known grades that test the grader (`variants`)."""
