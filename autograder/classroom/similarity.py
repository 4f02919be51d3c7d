"""Whose code is it? Every graded class or function of a class, compared with torch's own source of
the algorithm and with every other submission of the class, for a person to look at.

Winnowing fingerprints (as MOSS does, through `copydetect`): a submission's code is tokenized, its
names and strings made alike (renaming hides nothing), and hashed in k-grams; two codes are similar
by the share of each one's tokens the other holds too. This runs in the class-level process on the
submitted text (parsed, never run). What the notebook gives every student (the cell's template) is
left out of every comparison.

It flags, it does not grade: `similar-to-torch-source` (a graded class that is mostly torch's own
code, with its names changed) and `similar-to:<student>` (two submissions that are mostly the same
code; who copied whom is for a person to find out). The findings, with the matching lines side by
side, go to `reports/<assignment>/similarity.json` and the class report.

Classmates are compared through an index of fingerprints: only pairs that share enough of them are
compared in full, and a fingerprint found in many submissions (an idiom everybody writes) does not
make a pair, so the cost grows with the class, not with its square.
"""

import ast
import io
import json
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from importlib import metadata
from itertools import combinations
from pathlib import Path
from typing import Any, Optional

from .. import cells
from ..results import SubmissionResult
from ..submission.choose import choose_notebook
from ..submission.program import build_program, check_modules
from ..submission.read import SubmissionError, load_source, read_submission
from .job import ClassJob

# The torch files whose code each chapter's graded code implements (by the check module its tests use).
TORCH_SOURCES = {
    "optimizers": ["torch/optim/adam.py", "torch/optim/adamw.py", "torch/optim/nadam.py", "torch/optim/radam.py",
                   "torch/optim/sgd.py", "torch/optim/_functional.py"],
    "descent": ["torch/optim/sgd.py"],
    "schedulers": ["torch/optim/lr_scheduler.py"],
    "symmetry": ["torch/nn/init.py"],
    "autograd": [],  # torch's softplus is C++ (switched off in the sandbox instead)
}
K, WINDOW = 25, 1  # copydetect's defaults: noise threshold 25 tokens, every k-gram kept
TORCH_SHARE = 0.6  # of a graded class's code found in torch's file (honest implementations: at most ~0.4)
PAIR_SHARE = 0.8  # of each of two submissions' code found in the other (independent work: at most ~0.6)
MIN_TOKENS = 120  # below this much code (template left out) there is nothing to compare
COMMON = 0.05  # a fingerprint in more than this share of the class (and at least 5 submissions): an idiom


@dataclass
class Match:
    name: str  # what the compared answer cell defines (MyAdam, ...)
    who: str  # the student whose code it is
    other: str  # the other student, or "torch:<file>"
    share: float  # of `who`'s code found in `other`'s
    other_share: float  # of `other`'s code found in `who`'s (for torch: of torch's file)
    html: str = ""  # `who`'s code, the matching parts marked
    other_html: str = ""


@dataclass
class Findings:
    assignment: str
    torch: list[Match] = field(default_factory=list)
    pairs: list[Match] = field(default_factory=list)
    compared: int = 0  # pieces of code compared

    def flags(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for m in self.torch:
            out[m.who].add("similar-to-torch-source")
        for m in self.pairs:
            out[m.who].add(f"similar-to:{m.other}")
            out[m.other].add(f"similar-to:{m.who}")
        return out


def _fingerprint(code: str, boilerplate: Any = None) -> Any:
    from copydetect import CodeFingerprint

    return CodeFingerprint("code.py", K, WINDOW, boilerplate=boilerplate, fp=io.StringIO(code), language="python")


def _compare(a: Any, b: Any) -> tuple[float, float, Any]:
    from copydetect import compare_files

    _, (share_a, share_b), slices = compare_files(a, b)
    return float(share_a), float(share_b), slices


def _marked(fp: Any, slices: Any) -> str:
    from copydetect.utils import highlight_overlap

    if slices is None or getattr(slices, "size", 0) == 0:
        return ""
    text, _ = highlight_overlap(fp.raw_code, slices, "<mark>", "</mark>", truncate=3, escape_html=True)
    return text


def _template(source: str) -> str:
    """A solution cell as students get it: the solution's lines left out."""
    return cells.without_region(source, "SOLUTION")


def _defined(source: str) -> list[str]:
    try:
        return [n.name for n in ast.parse(source).body
                if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")]
    except (SyntaxError, ValueError, RecursionError):
        return []


def graded_cells(source_nb: dict) -> dict[str, tuple[str, str]]:
    """{grade_id: (what the cell defines, its template)} of the code answer cells: each is compared
    whole (its helpers too: torch's functional code pasted beside an own class is torch's code)."""
    out = {}
    for cell in source_nb["cells"]:
        grade_id = cells.grade_id(cell)
        if grade_id and cell.get("cell_type") == "code" and cells.nbgrader(cell).get("solution"):
            text = cells.source(cell)
            out[grade_id] = (", ".join(_defined(text)) or grade_id, _template(text))
    return out


def _torch_files(modules: list[str]) -> dict[str, str]:
    """{path inside torch's distribution: its text}, found through the installed package's record
    (torch is not imported)."""
    try:
        dist = metadata.distribution("torch")
    except metadata.PackageNotFoundError:
        return {}
    out = {}
    for module in modules:
        for rel in TORCH_SOURCES.get(module, []):
            path = Path(str(dist.locate_file(rel)))
            if path.is_file():
                out[rel] = path.read_text(errors="replace")
    return out


def student_code(job: ClassJob, student: str) -> dict[str, str]:
    """{grade_id: the student's code in that answer cell (every copy of a repeated cell)}, read from the
    submitted notebook."""
    choice = choose_notebook(job.submission(student), job.source.name)
    if choice.path is None:
        return {}
    try:
        program = build_program(load_source(job.source), read_submission(choice.path))
    except (SubmissionError, ValueError):
        return {}
    found: dict[str, str] = {}
    for cell in program.cells:
        if cell.kind == "answer":
            key = cell.grade_id.split("#")[0]
            found[key] = (found[key] + "\n\n" + cell.source) if key in found else cell.source
    return found


def find(job: ClassJob, students: list[str]) -> Findings:
    """Compare the graded code of these students with torch's and with each other's."""
    source_nb = load_source(job.source)
    units = graded_cells(source_nb)
    findings = Findings(job.assignment)
    try:
        modules = check_modules(source_nb)
    except ValueError:
        modules = []
    boiler = {g: sorted(_fingerprint(template).hashes) for g, (_, template) in units.items()}
    torch_prints = {rel: _fingerprint(text) for rel, text in _torch_files(modules).items()}
    prints: dict[str, dict[str, Any]] = defaultdict(dict)  # grade_id -> student -> fingerprint
    for student in students:
        for grade_id, code in student_code(job, student).items():
            if grade_id not in units:
                continue
            fp = _fingerprint(code, boiler[grade_id])
            if fp.token_coverage >= MIN_TOKENS:
                prints[grade_id][student] = fp
                findings.compared += 1
    for grade_id, by_student in prints.items():
        label = units[grade_id][0]
        for student, fp in by_student.items():
            best = max(((_compare(fp, theirs), rel) for rel, theirs in torch_prints.items()),
                       key=lambda found: found[0][0], default=None)
            if best is not None and best[0][0] >= TORCH_SHARE:
                (share, other_share, slices), rel = best
                findings.torch.append(Match(label, student, f"torch:{rel}", round(share, 3), round(other_share, 3),
                                            _marked(fp, slices[0])))
        findings.pairs += _similar_pairs(label, by_student)
    return findings


def _similar_pairs(name: str, by_student: dict[str, Any]) -> list[Match]:
    index: dict[int, list[str]] = defaultdict(list)
    for student, fp in by_student.items():
        for h in fp.hashes:
            index[h].append(student)
    common = max(5, int(COMMON * len(by_student)))
    shared: Counter = Counter()
    for owners in index.values():
        if 1 < len(owners) <= common:
            shared.update(combinations(sorted(owners), 2))
    out = []
    for (a, b), count in shared.items():
        fa, fb = by_student[a], by_student[b]
        if count < PAIR_SHARE * min(len(fa.hashes), len(fb.hashes)) * 0.5:
            continue  # too few fingerprints in common to be mostly the same code
        share_a, share_b, slices = _compare(fa, fb)
        if min(share_a, share_b) >= PAIR_SHARE:
            out.append(Match(name, a, b, round(share_a, 3), round(share_b, 3), _marked(fa, slices[0]),
                             _marked(fb, slices[1])))
    return out


def findings_path(job: ClassJob) -> Path:
    return job.layout.report(job.assignment).parent / "similarity.json"


def apply(job: ClassJob, results: list[SubmissionResult]) -> Findings:
    """Find the similarities in the class, add their flags and notes to the results (in memory: they
    depend on the whole class, so every run finds them again) and write them to similarity.json."""
    findings = find(job, [r.student_id for r in results])
    flags = findings.flags()
    notes = _notes(findings)
    for result in results:
        for flag in sorted(flags.get(result.student_id, ())):
            if flag not in result.flags:
                result.flags.append(flag)
        result.notes += [n for n in notes.get(result.student_id, []) if n not in result.notes]
    path = findings_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(findings), indent=1))
    os.replace(tmp, path)
    return findings


def _notes(findings: Findings) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = defaultdict(list)
    for m in findings.torch:
        notes[m.who].append(f"{m.name}: {m.share:.0%} of its code is in {m.other.removeprefix('torch:')} "
                            f"(torch's own), for a person to look at")
    for m in findings.pairs:
        notes[m.who].append(f"{m.name}: {m.share:.0%} of its code is in {m.other}'s, for a person to look at")
        notes[m.other].append(f"{m.name}: {m.other_share:.0%} of its code is in {m.who}'s, for a person to look at")
    return notes


def read_findings(path: Path) -> Optional[Findings]:
    """similarity.json, as written by `apply` (None: none, or unreadable)."""
    try:
        data = json.loads(path.read_text())
        return Findings(data["assignment"], [Match(**m) for m in data["torch"]], [Match(**m) for m in data["pairs"]],
                        data.get("compared", 0))
    except (OSError, ValueError, KeyError, TypeError):
        return None

