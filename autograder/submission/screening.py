"""What a submission's source shows to a reader, found by parsing it (never by running it).

- `suspicious_code`: code that reaches into the interpreter or the grading process (frame and trace
  hooks, the probes, raw file descriptors, exits...), flagged for a human; it changes no grade.
- `defining_sources`: the answer cells that define a name (what an own-work check reads).
"""

import ast

_SUSPICIOUS_NAMES = {
    "autograder_checks", "PROBES", "TRIPWIRES", "run_probe", "install_tripwires", "tripwire_counts", "use_student",
    "settrace", "setprofile", "_getframe", "f_locals", "f_globals", "f_back", "f_trace", "__kwdefaults__",
    "__closure__", "__globals__", "__code__", "get_referrers", "get_referents", "get_objects", "_exit", "fork",
    "forkpty", "setsid", "setpgid", "fdopen", "dup2", "pidfd_open", "TransformerManager",
    "input_transformers_cleanup", "input_transformers_post", "addaudithook",
}
_SUSPICIOUS_MODULES = {"gc", "ctypes", "importlib", "subprocess", "multiprocessing", "signal", "pty", "socket",
                       "_thread", "builtins", "posix", "mmap", "resource"}
_SUSPICIOUS_CALLS = {"exec", "eval", "compile", "__import__", "breakpoint", "globals", "vars"}
_BY_NAME = {"getattr", "setattr", "delattr", "hasattr"}  # suspicious with a name computed at run time


def suspicious_code(sources: list[str]) -> list[str]:
    """What in the answers reaches into the interpreter or the grading process (for a human to look
    at; it changes no grade): frame and trace hooks, the probes, raw file descriptors, exits..."""
    hits: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
                hits.add(node.id)
            elif isinstance(node, ast.Attribute):
                if node.attr in _SUSPICIOUS_NAMES:
                    hits.add(node.attr)
                elif isinstance(node.value, ast.Name) and (node.value.id, node.attr) in {
                        ("sys", "modules"), ("os", "write"), ("os", "kill"), ("os", "abort"), ("sys", "exit"),
                        ("os", "system"), ("os", "execv"), ("os", "execve"), ("os", "close")}:
                    hits.add(f"{node.value.id}.{node.attr}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                hits.update(n for n in names if n.split(".")[0] in _SUSPICIOUS_MODULES)
                hits.update(a.name for a in node.names if a.name in _SUSPICIOUS_NAMES)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _SUSPICIOUS_CALLS:
                hits.add(f"{node.func.id}()")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BY_NAME \
                    and len(node.args) >= 2 and not (isinstance(node.args[1], ast.Constant)
                                                     and isinstance(node.args[1].value, str)):
                hits.add(f"{node.func.id}(computed name)")  # e.g. getattr(torch.ops.aten, "_fused_" + "adam_")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "/proc/" in node.value or "/dev/fd" in node.value or "autograder" in node.value):
                hits.add(repr(node.value[:40]))
    return sorted(hits)


def top_level_names(source: str) -> set[str]:
    """The names a cell binds at its top level (classes, functions, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def defining_sources(answers: list[str], name: str) -> list[str]:
    """The answer cells that define `name` (as a class, function or assignment at the top level of
    the cell; every copy of a repeated cell), else every answer cell."""
    defining = [s for s in answers if name in top_level_names(s)]
    return defining or answers
