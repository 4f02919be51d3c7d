"""For maintainers: generate every notebook from its one source (`build`), the known submissions
with known grades that test the grader (`variants`), what the built book was made from
(`book_sources`), and the public student repository (`publish`)."""
