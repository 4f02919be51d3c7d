"""Benchmark: one optimizer step of the solutions' MyAdam, MyNAdam and MySGD against torch's own.

    .venv/bin/python bench/optimizer_bench.py                        # CPU (or cuda where it is), 1M and 10M
    .venv/bin/python bench/optimizer_bench.py --device cuda --sizes 1000000,10000000 --json out.json

Each run steps float32 parameters split into 10 tensors of equal size, each with a fixed gradient,
with the solution's class (from `solutions/<a>/<a>.ipynb`) and with torch's: the for-loop
implementation (`foreach=False`), the multi-tensor one (`foreach=True`) and, where torch accepts it,
the fused kernel (`fused=True`). After warm-up steps it times every step (CUDA events on a GPU, the
wall clock on the CPU) and reports the median, the memory bandwidth that time implies, and that
bandwidth as a share of the device's peak.

Bytes per parameter and step (float32), the least any implementation must move: Adam and NAdam read
p, the gradient, m and v (16 B) and write p, m and v (12 B): 28 B; SGD with momentum reads p, the
gradient and the buffer (12 B) and writes p and the buffer (8 B): 20 B. The peak is the memory's
(clock x bus width x 2, from the device's properties) on a GPU, and on both a measured large copy.

Every implementation starts from the same parameters; the largest difference of its parameters
from the for-loop's after the same steps is reported too (a wrong fast step is no use).
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import torch

REPO = Path(__file__).resolve().parent.parent
TENSORS = 10
# (solution class, its assignment, torch's class, settings, bytes moved per float32 parameter and step)
OPTIMIZERS = [
    ("MyAdam", "adam", "Adam", {"lr": 1e-3}, 28),
    ("MyNAdam", "adam", "NAdam", {"lr": 2e-3}, 28),
    ("MySGD", "momentum", "SGD", {"lr": 1e-2, "momentum": 0.9}, 20),
]


def solution_classes() -> dict[str, type]:
    """The solutions' optimizer classes, run from the answer cells of the source notebooks."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from autograder.authoring.variants import solution_answers
    from autograder.paths import THIS_REPO
    from autograder.submission.read import load_source

    found: dict[str, type] = {}
    for name in sorted({a for _, a, _, _, _ in OPTIMIZERS}):
        namespace: dict[str, Any] = {"torch": torch, "math": math, "Optimizer": torch.optim.Optimizer}
        for grade_id, code in solution_answers(load_source(THIS_REPO.source_notebook(name))).items():
            exec(compile(code, f"<{name}:{grade_id}>", "exec"), namespace)
        found.update({k: v for k, v in namespace.items() if isinstance(v, type) and k.startswith("My")})
    return found


def _params(size: int, device: torch.device) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    each = size // TENSORS
    params = []
    for _ in range(TENSORS):
        p = torch.randn(each, generator=gen).to(device).requires_grad_()
        p.grad = (0.1 * torch.randn(each, generator=gen)).to(device)
        params.append(p)
    return params


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(step: Callable[[], Any], device: torch.device, warmup: int, repeats: int) -> list[float]:
    """Seconds per step, each timed on its own after `warmup` untimed steps."""
    for _ in range(warmup):
        step()
    _sync(device)
    times = []
    if device.type == "cuda":
        events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(repeats)]
        for start, end in events:
            start.record()
            step()
            end.record()
        _sync(device)
        times = [start.elapsed_time(end) / 1e3 for start, end in events]
    else:
        for _ in range(repeats):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
    return times


def copy_bandwidth(device: torch.device, mb: int) -> float:
    """Bytes per second of a large tensor copy (read + write), median of 10."""
    n = (mb << 20) // 4
    src = torch.ones(n, device=device)
    dst = torch.empty_like(src)
    times = time_steps(lambda: dst.copy_(src), device, warmup=2, repeats=10)
    return 2 * n * 4 / statistics.median(times)


# Data-sheet memory bandwidth (GB/s) by device name, where torch's properties lack the memory's clock
# and bus width. Longest match first: "H100 PCIe" before "H100".
SPEC_GBPS = {"H200": 4800, "H100 PCIe": 2000, "H100": 3350, "A100-SXM4-80GB": 2039, "A100 80GB PCIe": 1935,
             "A100": 1555, "L40S": 864, "L4": 300, "A10G": 600, "A10": 600, "T4": 320, "V100": 900}


def spec_bandwidth(device: torch.device) -> Optional[float]:
    """The GPU memory's peak bytes per second: clock x bus width x 2 (double data rate) from the
    device's properties, else the data sheet's figure for its name (None: neither is known)."""
    if device.type != "cuda":
        return None
    props = torch.cuda.get_device_properties(device)
    clock_khz = getattr(props, "memory_clock_rate", None)
    bus_bits = getattr(props, "memory_bus_width", None)
    if clock_khz and bus_bits:
        return 2 * clock_khz * 1e3 * bus_bits / 8
    for name in sorted(SPEC_GBPS, key=len, reverse=True):
        if name in props.name:
            return SPEC_GBPS[name] * 1e9
    return None


def _implementations(my_cls: type, torch_name: str, settings: dict) -> list[tuple[str, Callable[[list], Any]]]:
    torch_cls = getattr(torch.optim, torch_name)
    impls: list[tuple[str, Callable[[list], Any]]] = [
        (f"solution {my_cls.__name__}", lambda ps: my_cls(ps, **settings)),
        (f"torch {torch_name} for-loop", lambda ps: torch_cls(ps, **settings, foreach=False)),
        (f"torch {torch_name} foreach", lambda ps: torch_cls(ps, **settings, foreach=True)),
    ]
    if "fused" in torch_cls.__init__.__code__.co_varnames:
        impls.append((f"torch {torch_name} fused", lambda ps: torch_cls(ps, **settings, fused=True)))
    return impls


def _settle(device: torch.device, classes: dict, size: int) -> None:
    """Untimed steps of every kind first: the first steps of a process pay for lazy imports, the
    allocator's first blocks and (on a GPU) loading kernels, and would skew the first rows."""
    for my_name, _, torch_name, settings, _ in OPTIMIZERS:
        for _, make in _implementations(classes[my_name], torch_name, settings):
            try:
                opt = make(_params(size, device))
            except (RuntimeError, ValueError, TypeError):
                continue
            for _ in range(5):
                opt.step()
    _sync(device)


def run(device: torch.device, sizes: list[int], warmup: int, repeats: int, copy_mb: int,
        log: Callable[[str], None] = lambda line: None) -> dict:
    """Every optimizer at every size: median step time, bandwidth, share of the peak."""
    classes = solution_classes()
    _settle(device, classes, min(sizes))
    peak_spec = spec_bandwidth(device)
    peak_copy = copy_bandwidth(device, copy_mb)
    peak = peak_spec or peak_copy
    rows = []
    for my_name, _, torch_name, settings, bytes_per_param in OPTIMIZERS:
        for size in sizes:
            reference: Optional[list[torch.Tensor]] = None
            for label, make in _implementations(classes[my_name], torch_name, settings):
                params = _params(size, device)
                try:
                    opt = make(params)
                except (RuntimeError, ValueError, TypeError) as error:  # e.g. no fused kernel on this device
                    log(f"  {label}: not run ({str(error).splitlines()[0][:100]})")
                    continue
                times = time_steps(opt.step, device, warmup, repeats)
                final = [p.detach().clone() for p in params]
                if reference is None and "for-loop" in label:
                    reference = final
                median = statistics.median(times)
                bandwidth = bytes_per_param * (size // TENSORS * TENSORS) / median
                row = {"optimizer": torch_name, "implementation": label, "parameters": size // TENSORS * TENSORS,
                       "tensors": TENSORS, "median_ms": round(median * 1e3, 4), "min_ms": round(min(times) * 1e3, 4),
                       "bytes_per_parameter": bytes_per_param, "GBps": round(bandwidth / 1e9, 2),
                       "share_of_peak": round(bandwidth / peak, 4), "steps_timed": repeats, "final": final}
                rows.append(row)
                log(f"  {label:<28} {size:>10,} params: {row['median_ms']:9.3f} ms/step, "
                    f"{row['GBps']:8.1f} GB/s, {100 * row['share_of_peak']:5.1f}% of peak")
            for row in rows:  # the largest difference from torch's for-loop after the same steps
                if row["optimizer"] == torch_name and row["parameters"] == size // TENSORS * TENSORS and "final" in row:
                    final = row.pop("final")
                    row["max_abs_diff_vs_for_loop"] = None if reference is None else float(
                        max((a - b).abs().max() for a, b in zip(final, reference)))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name()
    return {"device": str(device), "device_name": name, "torch": torch.__version__, "threads": torch.get_num_threads(),
            "peak_spec_GBps": None if peak_spec is None else round(peak_spec / 1e9, 1),
            "copy_GBps": round(peak_copy / 1e9, 1), "peak_used": "spec" if peak_spec else "copy",
            "warmup": warmup, "rows": rows}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument("--sizes", default="1000000,10000000", help="parameter counts, comma-separated")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--copy-mb", type=int, default=None, help="size of the copy that measures bandwidth")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    copy_mb = args.copy_mb or (1024 if device.type == "cuda" else 256)
    result = run(device, [int(s) for s in args.sizes.split(",")], args.warmup, args.repeats, copy_mb, log=print)
    print(f"{result['device_name']} ({result['device']}, torch {result['torch']}): peak "
          f"{result['peak_spec_GBps'] or '-'} GB/s (spec), copy {result['copy_GBps']} GB/s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
