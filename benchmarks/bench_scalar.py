"""Scalar engine benchmark: chainrule against micrograd, in the same run, on micrograd's own demo.

Workload (micrograd's demo.ipynb): MLP(2, [16, 16, 1]) on make_moons(n_samples=100, noise=0.1,
random_state=1), max-margin loss mean(relu(1 - y * score)) + 1e-4 * sum(p * p), full-batch
backward and an SGD update. Prints ms per step and ratios, bytes per graph node (tracemalloc),
the chain x = x * 1.0001 + 0.0001 (bytes per step; time and peak memory through a million steps,
each engine in a fresh interpreter) and the deepest chain each engine backpropagates through.

    python benchmarks/bench_scalar.py [--steps N] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from sklearn.datasets import make_moons

import autograd
import nn

sys.path.insert(0, str(Path(__file__).parent))
import scalar_tape  # noqa: E402  (the floor: a minimal tape, beside this file)

X, Y = make_moons(n_samples=100, noise=0.1, random_state=1)
X, Y = X.tolist(), (Y * 2 - 1).tolist()


def micrograd_loss(Value: type, model: Callable, params: list, total: Callable) -> object:
    """micrograd's demo loss, written as in its notebook; `total` sums a list of Values."""
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    data_loss = total(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * total(p * p for p in params)
    return data_loss + reg_loss


def make_step(engine: str) -> tuple[Callable[[int], float], Callable[[], object]]:
    """One training step for `engine`, and a function that builds one step's graph."""
    if engine == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP

        model, total = MLP(2, [16, 16, 1]), sum
    elif engine == "tape (floor)":
        Value, model, total = scalar_tape.Node, scalar_tape.MLP(2, [16, 16, 1]), scalar_tape.total
    else:
        Value, model = autograd.Value, nn.MLP(2, [16, 16, 1], seed=1)
        total = sum if engine == "chainrule (micrograd's code)" else autograd.sum_of
    params = model.parameters()

    def step(k: int) -> float:
        loss = micrograd_loss(Value, model, params, total)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
        return loss.data

    return step, lambda: micrograd_loss(Value, model, params, total)


def time_steps(step: Callable[[int], float], steps: int, gc_on: bool) -> float:
    """Median ms per step over `steps` steps after one warm-up step."""
    step(0)
    times = []
    gc.collect()  # start clean: an earlier engine's garbage must not slow this one
    if not gc_on:
        gc.disable()
    try:
        for k in range(1, steps + 1):
            t = time.perf_counter()
            step(k)
            times.append(time.perf_counter() - t)
    finally:
        gc.enable()
    return statistics.median(times) * 1000


def count_nodes(root: object) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def bytes_per_node(build: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = build()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / count_nodes(root)


CHAIN = """
import resource, sys, time
sys.path.insert(0, {here!r})
if {tape}:
    from scalar_tape import Node as Value
else:
    from autograd import Value
t = time.perf_counter()
y = Value(1.0)
for _ in range({depth}):
    y = y * 1.0001 + 0.0001
y.backward()
seconds = time.perf_counter() - t
try:  # this process's own high-water mark (ru_maxrss would count the parent's, kept over exec)
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB (bytes on macOS)
    peak = peak / 1024 if sys.platform == "darwin" else peak
print(seconds, peak / 1024)
"""


def deep_chain(engine: str, depth: int) -> tuple[float, float]:
    """Seconds of forward + backward through ``depth`` steps of the chain and the peak resident
    memory (MiB) of a fresh interpreter that does only that (Python and NumPy take ~30 MiB)."""
    code = CHAIN.format(here=str(Path(__file__).parent), tape=engine == "tape (floor)", depth=depth)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, peak = map(float, run.stdout.split())
    return seconds, peak


def chain_cost(engine: str) -> tuple[float, int]:
    """Bytes per step of the chain ``x = x * 1.0001 + 0.0001`` (tracemalloc, 10,000 steps), and
    the peak bytes through 100,000 steps forward and backward."""
    Value = scalar_tape.Node if engine == "tape (floor)" else autograd.Value

    def build(n: int) -> tuple[object, object]:
        x = Value(1.0)
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        return x, y

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build(10_000)
    per_step = (tracemalloc.get_traced_memory()[0] - before) / 10_000
    tracemalloc.stop()
    del kept
    scalar_tape.TAPE.clear()
    gc.collect()
    tracemalloc.start()
    x, y = build(100_000)
    y.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return per_step, peak


def survives_chain(engine: str, depth: int) -> bool:
    """Can `engine` backpropagate through a chain of `depth` additions?"""
    if engine == "micrograd":
        from micrograd.engine import Value
    else:
        Value = autograd.Value
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y + 1.0
    try:
        y.backward()
    except RecursionError:
        return False
    return x.grad == 1.0


def deepest_chain(engine: str, limit: int) -> str:
    """The longest chain that backpropagates, by bisection up to `limit`."""
    if survives_chain(engine, limit):
        return f">= {limit:,}"
    lo, hi = 1, limit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if survives_chain(engine, mid) else (lo, mid)
    return f"{lo:,}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 steps, shorter chains")
    args = parser.parse_args()
    steps = 3 if args.quick else args.steps
    try:
        import micrograd  # noqa: F401
    except ImportError:
        sys.exit("micrograd is not installed: pip install -e '.[bench]'")

    print(f"Python {sys.version.split()[0]}, recursion limit {sys.getrecursionlimit()}")
    rows = [
        ("micrograd", True),
        ("micrograd", False),
        ("chainrule (micrograd's code)", True),
        ("chainrule (sum_of)", True),
        ("tape (floor)", True),
    ]
    results = {}
    for engine, gc_on in rows:
        step, _ = make_step(engine)
        n = min(steps, 3) if engine == "micrograd" and gc_on else steps
        results[(engine, gc_on)] = time_steps(step, n, gc_on)
    print(f"\nms per step (median), {steps} steps:")
    base_gc, base_nogc = results[("micrograd", True)], results[("micrograd", False)]
    floor = results[("tape (floor)", True)]
    for (engine, gc_on), ms in results.items():
        gc_text = "gc on " if gc_on else "gc off"
        print(
            f"  {engine:30s} {gc_text} {ms:9.1f} ms   {base_gc / ms:6.1f}x vs micrograd (gc on)"
            f"   {base_nogc / ms:5.1f}x vs micrograd (gc off)"
            f"   {ms / floor:4.2f}x the tape"
        )
    print("\nbytes per graph node (one step's forward graph, tracemalloc):")
    for engine in ("micrograd", "chainrule (micrograd's code)", "chainrule (sum_of)"):
        _, build = make_step(engine)
        print(f"  {engine:30s} {bytes_per_node(build):7.0f}")
    print("\nthe chain x = x * 1.0001 + 0.0001:")
    for engine in ("chainrule", "tape (floor)"):
        depth = 100_000 if args.quick else 1_000_000
        per_step, peak = chain_cost(engine)
        seconds, rss = deep_chain(engine, depth)
        print(
            f"  {engine:30s} {per_step:5.0f} bytes per step; peak through 100,000 steps "
            f"{peak / 2**20:5.1f} MiB; {depth:,} steps forward+backward {seconds:5.2f} s, "
            f"peak resident {rss:4.0f} MiB (a fresh interpreter)"
        )
    print("\ndeepest chain that backpropagates:")
    limit = 100_000 if args.quick else 1_000_000
    for engine in ("micrograd", "chainrule"):
        print(f"  {engine:30s} {deepest_chain(engine, limit if engine == 'chainrule' else 20_000)}")


if __name__ == "__main__":
    main()
