"""Grading a whole class: the run (`run`: what to grade, in what order, what to write), resumed runs
(`resume`), where the work happens (`local` workers or a Dask `cluster`, behind one interface), and
what it writes: results, nbgrader's `gradebook`, the students' `feedback`, `grades_csv`, the class
`report`. Nothing here imports torch: the workers do."""
