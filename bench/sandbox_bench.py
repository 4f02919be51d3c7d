"""Benchmark: how long a sandbox takes to start, and to grade one submission.

    .venv/bin/python bench/sandbox_bench.py                 # 10 sandbox starts, isolation auto
    .venv/bin/python bench/sandbox_bench.py --n 20 --isolation off
    .venv/bin/python bench/sandbox_bench.py --grade         # also: one Adam solution graded, by phase

A start is timed from `Sandbox.start` to the child's first message (the process, its namespaces and
mounts, the interpreter, torch and the checks imported), then one trivial cell. It prints the median,
minimum and maximum. Speed is measured here, never in the test suite.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from autograder.checks import CHECK_MODULES, declared
from autograder.paths import THIS_REPO
from autograder.sandbox import Limits, Sandbox


def one_start(isolation: str) -> tuple[float, float]:
    """(seconds to the first message, seconds to the end of a one-line cell)."""
    box = Sandbox(Limits(), isolation)
    started = time.monotonic()
    box.start([{"grade_id": "cell", "source": "x = 1"}], CHECK_MODULES, [], declared(["optimizers"], "_SWITCHED_OFF"))
    try:
        errors, stuck = box.run_cells([{"grade_id": "cell"}], time.monotonic() + 120)
        assert stuck is None and errors == {"cell": None}, (errors, box.output_tail())
        return box.timings["start"], time.monotonic() - started
    finally:
        box.close()


def grade_solution(isolation: str) -> dict:
    from autograder.grading.submission import grade_submission

    source = THIS_REPO.source_notebook("adam")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "s"
        folder.mkdir()
        (folder / source.name).write_text(source.read_text())
        started = time.monotonic()
        result = grade_submission(source, folder, "s", "adam", isolation=isolation)
        return {"wall": round(time.monotonic() - started, 2), "score": result.score, "max": result.max_score,
                **result.timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--isolation", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--grade", action="store_true", help="also grade the Adam solution once")
    args = parser.parse_args()
    one_start(args.isolation)  # warm-up: the page cache, the stubs' generation
    firsts, totals = zip(*(one_start(args.isolation) for _ in range(args.n)))
    for label, values in (("to the child's first message", firsts), ("start + one cell", totals)):
        print(f"sandbox start ({args.isolation}), {label}: median {statistics.median(values):.3f} s "
              f"(min {min(values):.3f}, max {max(values):.3f}, n={args.n})")
    if args.grade:
        print("one Adam solution graded:", json.dumps(grade_solution(args.isolation)))


if __name__ == "__main__":
    main()
